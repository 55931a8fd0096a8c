#!/usr/bin/env bash
# accuracy-guard.sh: the CI guard of issue 5. Runs the quick accuracy table
#
#   go run ./cmd/huella bench accuracy --quick --enforce "$ENFORCED"
#
# (under a minute on two cores) and fails when any innocent recipient is
# accused (always enforced) or a target listed in ENFORCED is below its goal.
#
# ENFORCED lists the targets the method meets today (docs/accuracy.md has
# every target with its measured figure). A target that is not met yet is
# listed under REPORTED: its figure is printed, not enforced; move it to
# ENFORCED once it is met so that it cannot regress.
#
#   wrong              0 wrong accusations in every trial (always enforced)
#   not-ours           a not-ours leak is never called ours
#   collude-innocent   collusion never accuses an innocent
#   collude3           ≥95% of 3-colluder leaks of 5,000 rows accuse a colluder
#   one-1000           one leaker ≥99% correct at 1,000 rows, every carrier attack
#   one-100            one leaker ≥90% correct at 100 rows, every carrier attack
#   dating-coverage    true cut inside the band in ≥95% of trials
#   dating-mixed       two cuts mixed: dated at the cuts, not between, ≥95% of trials
#   dating-1000        median band ≤45 days at 1,000 rows
#   dating-full        median band ≤2 days for a full dump
#   linkage-precision  keyless linkage precision ≥99.9%
#   linkage-recall     keyless linkage recall ≥99.75%
#   innocents          ≥10,000 innocent evaluations: full run only (n/a here)
#
# Usage: scripts/accuracy-guard.sh [--seed S]
set -euo pipefail
cd "$(dirname "$0")/.."

ENFORCED=wrong,not-ours,collude-innocent,collude3,one-1000,one-100,dating-coverage,dating-mixed,dating-1000,dating-full,linkage-precision,linkage-recall
REPORTED=innocents

echo "accuracy guard: enforcing $ENFORCED (reported only: $REPORTED)"
start=$(date +%s)
status=0
go run ./cmd/huella bench accuracy --quick --out - --enforce "$ENFORCED" "$@" || status=$?
echo "accuracy guard: $(( $(date +%s) - start )) s, exit $status"
exit $status
