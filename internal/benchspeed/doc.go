// Package benchspeed is "huella bench speed": the head-to-head speed table
// of huella against what an analyst would use instead, and the generated
// docs/performance.md.
//
// # What is measured
//
// For a register of N people (Execute, one size after the other), in a
// fresh folder, the huella binary's own commands run as child processes so
// that each one's wall time, CPU time (user + system) and peak RSS (the
// child's wait4 rusage, ru_maxrss) are its own:
//
//	synth     huella synth --people N --seed S --start 2018-01-01 --end 2018-02-15 --snapshots 2018-02-15
//	load      huella load of snapshot-2018-02-15.csv into an empty store
//	PG load   one psql session: BEGIN; CREATE TABLE padron (...text);
//	          COPY padron FROM the same file; CREATE INDEX ON padron (curp); COMMIT
//	release   huella release --recipient "PARTIDO A" --as-of 2018-02-15, against
//	          WriteUnmarked (the same rows, same CSV, no marks), two rounds
//	          alternating which goes first, the faster round of each kept
//	sample    huella analyze of the copy's first 1,000 rows (median of 3)
//	dump      huella analyze of the whole copy
//	(a)       one psql session: COPY of the copy into a new table, ANALYZE,
//	          JOIN on curp with the loaded and indexed register
//	(b)       ParseFloor of the copy: the file split into fields on every core
//
// PostgreSQL 15 runs from a cluster made for the run (StartPostgres): initdb
// in the work folder, 127.0.0.1 on a free port and a unix socket in its
// folder, trust authentication, as the system user postgres when the
// process is root; stopped and removed at the end.
//
// # Figures and goals
//
// Ratios are taken between figures of the same run:
//
//	load ratio      PG load wall / huella load wall                  goal ≥ 1
//	release ratio   release wall / unmarked wall                     goal ≤ 1.5
//	release memory  peak RSS at the largest size / at the smallest   goal ≤ 1.25 (flat)
//	sample          wall seconds at ≥ 10M people                     goal ≤ 1
//	vs PostgreSQL   (a) wall / dump wall                             goal ≥ 3
//	vs floor        dump wall / (b) wall                             goal ≤ 4
//	dump memory     peak RSS at ≥ 10M people                         goal < 4 GiB
//	scaling         (t₂/n₂) / (t₁/n₁), n the dump's rows             goal ≤ 1.25
//	extrapolation   t(91M) from t = a + b·n through both sizes       goal ≤ 180 s
//
// For example, a dump of 1,000,000 rows analysed in 6 s and one of
// 10,000,000 in 50 s give b = 44/9,000,000 s per row, a = 1.11 s and
// t(91M) = 1.11 + 91,000,000·b = 446 s: linear (50/60 = 0.83 ≤ 1.25), but
// the 3-minute goal is missed.
//
// # The document
//
// Render writes docs/performance.md: the reproducing commands, the machine,
// the table with each goal beside its figures, the missed goals in words,
// what each figure is, and the parts' own docs/perf-*.md merged in. The
// measurements themselves are kept at its end, in a block that starts
//
//	<!-- huella bench speed results v1
//
// followed by the JSON of Results and "-->", so that a later run of one
// size (ParseResults, Merge) replaces that size and keeps the others.
package benchspeed
