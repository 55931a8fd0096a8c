package benchacc

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Target is one goal of issue 5 with its measured figure.
type Target struct {
	ID       string // short name, used by scripts/accuracy-guard.sh
	Goal     string
	Measured string
	Met      bool
	// Applies is false when the run is too small to judge the target (a
	// quick run cannot reach 10,000 innocent evaluations).
	Applies bool
}

func pct(a, b int) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

// Targets judges the run against the targets.
func (r *Result) Targets() []Target {
	var ts []Target
	add := func(id, goal, measured string, met, applies bool) {
		ts = append(ts, Target{ID: id, Goal: goal, Measured: measured, Met: met, Applies: applies})
	}
	var trials, wrong, innocents, accusedInnocents int
	var collTrials, collWrong int
	var notOurs, calledOurs int
	var dated, covered, datingTrials int
	var mixTrials, mixCovered int
	var w1000, wFull []int
	for _, c := range r.Cells {
		trials += c.Trials
		wrong += c.Wrong
		innocents += c.Innocents
		accusedInnocents += c.InnocentsAccused
		if c.Kind == Collude2 || c.Kind == Collude3 || c.Kind == MixedCuts {
			collTrials += c.Trials
			collWrong += c.Wrong
		}
		if c.Kind == MixedCuts {
			mixTrials += c.Trials
			mixCovered += c.Covered
		}
		if c.Kind == NotOurs {
			notOurs += c.Trials
			calledOurs += c.CalledOurs
		}
		if c.Kind == Single {
			datingTrials += c.Trials
			dated += c.Dated
			covered += c.Covered
			if c.Rows == 1000 {
				w1000 = append(w1000, c.Widths...)
			}
			if c.Rows == Full {
				wFull = append(wFull, c.Widths...)
			}
		}
	}
	add("wrong", "0 wrong accusations in every trial",
		fmt.Sprintf("%d trials with a wrong accusation of %d (%d innocent recipients accused)", wrong, trials, accusedInnocents),
		wrong == 0, true)
	full := innocents >= 10000
	add("innocents", "≥10,000 innocent-recipient evaluations in the full run",
		fmt.Sprintf("%d evaluations", innocents), full, r.Config.SingleTrials[1000] >= 20)

	perAttack := func(rows int, goal float64) (string, bool, bool) {
		worst, worstName := 2.0, ""
		var tot, cor int
		for _, c := range r.Cells {
			if c.Kind != Single || !c.Carrier || c.Rows != rows || c.Trials == 0 {
				continue
			}
			tot += c.Trials
			cor += c.Correct
			if f := float64(c.Correct) / float64(c.Trials); f < worst {
				worst, worstName = f, c.Attack
			}
		}
		if tot == 0 {
			return "not run", false, false
		}
		m := fmt.Sprintf("%s correct over all attacks (%d trials); worst attack %q %.0f%%", pct(cor, tot), tot, worstName, 100*worst)
		var misses []string
		for _, c := range r.Cells {
			if c.Kind == Single && c.Carrier && c.Rows == rows && c.Trials > 0 && float64(c.Correct) < goal*float64(c.Trials) {
				misses = append(misses, fmt.Sprintf("%s %d/%d", c.Attack, c.Correct, c.Trials))
			}
		}
		if len(misses) > 0 {
			m += "; below goal: " + strings.Join(misses, ", ")
		}
		return m, worst >= goal, true
	}
	m, met, ap := perAttack(1000, 0.99)
	add("one-1000", "one leaker: ≥99% correct at 1,000 rows under every attack that leaves a carrier", m, met, ap)
	m, met, ap = perAttack(100, 0.90)
	add("one-100", "one leaker: ≥90% correct at 100 rows under every attack that leaves a carrier", m, met, ap)

	var c3t, c3c int
	var c3parts []string
	for _, c := range r.Cells {
		if c.Kind == Collude3 && c.Rows == 5000 {
			c3t += c.Trials
			c3c += c.Correct
			c3parts = append(c3parts, fmt.Sprintf("%s %d/%d", c.Attack, c.Correct, c.Trials))
		}
	}
	add("collude3", "three colluders: one of them accused in ≥95% of trials at 5,000 rows",
		fmt.Sprintf("%s (%s)", pct(c3c, c3t), strings.Join(c3parts, ", ")), c3t > 0 && float64(c3c) >= 0.95*float64(c3t), c3t > 0)
	add("collude-innocent", "collusion: never an innocent accused",
		fmt.Sprintf("%d of %d collusion trials accused an innocent", collWrong, collTrials), collWrong == 0, collTrials > 0)

	add("dating-coverage", "dating: truth inside the interval in ≥95% of trials",
		fmt.Sprintf("%s of %d single-copy trials (%d had no interval)", pct(covered, datingTrials), datingTrials, datingTrials-dated),
		datingTrials > 0 && float64(covered) >= 0.95*float64(datingTrials), datingTrials > 0)
	add("dating-mixed", "dating: a file mixed from copies of two cuts is dated at one of them, and the other cut named at the other, in ≥95% of trials",
		fmt.Sprintf("%s of %d trials", pct(mixCovered, mixTrials), mixTrials),
		mixTrials > 0 && float64(mixCovered) >= 0.95*float64(mixTrials), mixTrials > 0)
	md := median(w1000)
	add("dating-1000", "dating: median interval width ≤45 days at 1,000 rows",
		fmt.Sprintf("%s (%d trials)", days(md), len(w1000)), md >= 0 && md <= 45, len(w1000) > 0)
	mf := median(wFull)
	add("dating-full", "dating: median interval width ≤2 days for a full dump",
		fmt.Sprintf("%s (%d trials)", days(mf), len(wFull)), mf >= 0 && mf <= 2, len(wFull) > 0)
	add("not-ours", "a not-ours leak is never called ours",
		fmt.Sprintf("%d of %d not-ours leaks called ours or partial", calledOurs, notOurs), calledOurs == 0, notOurs > 0)

	l := &r.Linkage
	add("linkage-precision", "keyless linkage: precision ≥99.9%",
		fmt.Sprintf("%.3f%% (%d of %d people linked are right)", 100*l.Precision(), l.TruePositives, l.Linked),
		l.Linked > 0 && l.Precision() >= 0.999, l.Trials > 0)
	add("linkage-recall", "keyless linkage: recall ≥99.75%",
		fmt.Sprintf("%.3f%% (%d of %d people found)", 100*l.Recall(), l.TruePositives, l.Rows),
		l.Rows > 0 && l.Recall() >= 0.9975, l.Trials > 0)
	return ts
}

func days(d int) string {
	switch {
	case d < 0:
		return "–"
	case d >= 1<<20:
		return "no interval"
	}
	return fmt.Sprintf("%d days", d)
}

// WriteTable prints the table and the targets.
func (r *Result) WriteTable(out io.Writer) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "attack\trows\ttrials\tcorrect\tinconcl.\twrong\tinnocents accused\tverdict right\tdate in band\tmedian width\t")
	for _, c := range r.Cells {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d/%d\t%d/%d\t%s\t%s\t\n", c.Attack, rowsOf(c), c.Trials,
			c.Correct, c.Inconclusive, c.Wrong, c.InnocentsAccused, c.Innocents, c.VerdictRight, c.Trials,
			datedOf(c), days(c.MedianWidth()))
	}
	tw.Flush()
	l := &r.Linkage
	fmt.Fprintf(out, "\nkeyless linkage: %d leaks, %d people, %d with typing errors: precision %.3f%%, recall %.3f%% (rows linked by %s)\n",
		l.Trials, l.Rows, l.Typos.RowsChanged, 100*l.Precision(), 100*l.Recall(), counts(l.ByMethod))
	fmt.Fprintln(out, "\ntargets:")
	for _, t := range r.Targets() {
		fmt.Fprintf(out, "  %-7s %-18s %s\n      goal: %s\n", status(t), t.ID, t.Measured, t.Goal)
	}
	for _, c := range r.Cells {
		for _, f := range c.Failures {
			fmt.Fprintf(out, "wrong accusation: %s, %s rows: %s\n", c.Attack, rowsOf(c), f)
		}
	}
}

func status(t Target) string {
	switch {
	case !t.Applies:
		return "n/a"
	case t.Met:
		return "met"
	}
	return "MISSED"
}

func rowsOf(c *Cell) string {
	if c.Rows == Full {
		return "all"
	}
	return fmt.Sprint(c.Rows)
}

func datedOf(c *Cell) string {
	if c.Kind != Single && c.Kind != MixedCuts {
		return "–"
	}
	return fmt.Sprintf("%d/%d", c.Covered, c.Trials)
}
