package benchspeed

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/huella/huella/internal/analysis"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// resultsHeader opens the machine-readable block at the end of the
// generated document.
const resultsHeader = "<!-- huella bench speed results v1"

// Results are the runs a document is generated from.
type Results struct {
	Runs []Run `json:"runs"`
}

// ParseResults reads the results block of a document written by Render;
// a document without one gives no runs.
func ParseResults(doc []byte) (Results, error) {
	s := string(doc)
	i := strings.Index(s, resultsHeader)
	if i < 0 {
		return Results{}, nil
	}
	s = s[i+len(resultsHeader):]
	j := strings.Index(s, "-->")
	if j < 0 {
		return Results{}, fmt.Errorf("results block: no closing -->")
	}
	var r Results
	if err := json.Unmarshal([]byte(s[:j]), &r); err != nil {
		return Results{}, fmt.Errorf("results block: %w", err)
	}
	return r, nil
}

// Merge adds run to r: for each register size the newest measurement is
// kept, and runs left with no size are dropped.
func (r Results) Merge(run Run) Results {
	newer := map[int]bool{}
	for _, s := range run.Sizes {
		newer[s.People] = true
	}
	out := Results{}
	for _, old := range r.Runs {
		var keep []Size
		for _, s := range old.Sizes {
			if !newer[s.People] {
				keep = append(keep, s)
				newer[s.People] = true
			}
		}
		if len(keep) > 0 {
			old.Sizes = keep
			out.Runs = append(out.Runs, old)
		}
	}
	out.Runs = append([]Run{run}, out.Runs...)
	return out
}

// column is one register size of the table, with the run it comes from.
type column struct {
	run  *Run
	size *Size
}

func (r Results) columns() []column {
	var cols []column
	for i := range r.Runs {
		for j := range r.Runs[i].Sizes {
			cols = append(cols, column{&r.Runs[i], &r.Runs[i].Sizes[j]})
		}
	}
	sort.Slice(cols, func(a, b int) bool { return cols[a].size.People < cols[b].size.People })
	return cols
}

// Goals, from the issues (figures per register size; "at 10M" goals are
// judged on the largest size of at least 10M people).
const (
	GoalSynthRate      = 300_000 // people/s
	GoalLoadVsPG       = 1.0     // PostgreSQL time / huella time, at least
	GoalReleaseRatio   = 1.5     // release time / unmarked time, at most
	GoalReleaseRSSFlat = 1.25    // largest size's peak RSS / smallest's, at most
	GoalSampleSeconds  = 1.0     // at 10M
	GoalVsPG           = 3.0     // PostgreSQL COPY+JOIN time / huella time, at least
	GoalVsFloor        = 4.0     // huella time / floor time, at most
	GoalDumpRSSMiB     = 4096.0  // at 10M
	GoalLinear         = 1.25    // time per row, largest / smallest size, at most
	GoalExtrapolated   = 180.0   // seconds, 91M dump vs 93M register
	ExtrapolateRows    = 91_000_000
	ExtrapolateTo      = 93_000_000
)

// Scaling is the linear-scaling check between the smallest and the
// largest size and the extrapolation to a 91M-row dump against a 93M
// register: t(n) = a + b·n through the two measured points, n the dump's
// rows (the benchmark's register has about as many people as its dump has
// rows, so one n stands for both).
type Scaling struct {
	Small, Large    *Size
	SameRun         bool
	PerRowRatio     float64 // (t_large/n_large) / (t_small/n_small)
	Extrapolated    float64 // seconds, wall-clock fit
	ExtrapolatedCPU float64 // CPU seconds at 91M: an idle machine's wall time lies between this / cores and this
	Cores           float64
	ExtrapolatedRSS float64 // MiB
	// RowBudget is the most rows `huella analyze` accepts on the large
	// size's machine (analysis.MaxRowsOn its memory); 0: unknown. The
	// extrapolated RSS is a collection of the heap at GOGC 400 each time it
	// grows fivefold, far above what is live: the memory limit that grows
	// with the rows read holds a larger dump near its live heap instead.
	RowBudget           int
	ExtrapolatedPG      float64 // seconds, PostgreSQL COPY + JOIN, same fit
	ExtrapolatedLoadSec float64 // seconds, huella load of a 93M snapshot
}

// budget says whether a 91M-row dump fits the row budget rows.
func budget(rows int) string {
	switch {
	case rows <= 0:
		return ""
	case rows >= ExtrapolateRows:
		return fmt.Sprintf("; the row budget of this machine's memory, %s rows, holds it", count(rows))
	}
	return fmt.Sprintf("; the row budget of this machine's memory, %s rows, refuses it", count(rows))
}

// fit returns a + b·x through (x1, y1), (x2, y2).
func fit(x1, y1, x2, y2, x float64) float64 {
	if x2 == x1 {
		return y2 * x / x2
	}
	b := (y2 - y1) / (x2 - x1)
	return y1 + b*(x-x1)
}

// ScalingOf computes the check from the smallest and largest sizes of r;
// nil when r has fewer than two sizes.
func (r Results) ScalingOf() *Scaling {
	cols := r.columns()
	if len(cols) < 2 {
		return nil
	}
	small, large := cols[0], cols[len(cols)-1]
	s := &Scaling{Small: small.size, Large: large.size, SameRun: small.run == large.run}
	n1, n2 := float64(small.size.Dump.Rows), float64(large.size.Dump.Rows)
	if n1 <= 0 || n2 <= 0 || small.size.Dump.Error != "" || large.size.Dump.Error != "" {
		return nil
	}
	d1, d2 := small.size.Dump, large.size.Dump
	s.PerRowRatio = (d2.Wall / n2) / (d1.Wall / n1)
	s.Extrapolated = fit(n1, d1.Wall, n2, d2.Wall, ExtrapolateRows)
	cores := float64(large.run.Machine.Cores)
	if cores < 1 {
		cores = 1
	}
	s.Cores = cores
	s.ExtrapolatedCPU = fit(n1, d1.CPU, n2, d2.CPU, ExtrapolateRows)
	s.ExtrapolatedRSS = fit(n1, d1.RSS, n2, d2.RSS, ExtrapolateRows)
	if gib := large.run.Machine.MemGiB; gib > 0 {
		s.RowBudget = analysis.MaxRowsOn(int64(gib * (1 << 30)))
	}
	if small.size.PGJoin != nil && large.size.PGJoin != nil {
		s.ExtrapolatedPG = fit(n1, small.size.PGJoin.Wall, n2, large.size.PGJoin.Wall, ExtrapolateRows)
	}
	r1, r2 := float64(small.size.Rows), float64(large.size.Rows)
	if r1 > 0 && r2 > 0 {
		s.ExtrapolatedLoadSec = fit(r1, small.size.Load.Wall, r2, large.size.Load.Wall, ExtrapolateTo)
	}
	return s
}

// PerfDoc is one part's own performance notes (docs/perf-*.md).
type PerfDoc struct {
	Name string // file name, e.g. "perf-store.md"
	Text string
}

// ReadPerfDocs reads docs/perf-*.md from dir, sorted by name.
func ReadPerfDocs(dir string) ([]PerfDoc, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "perf-*.md"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var docs []PerfDoc
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		docs = append(docs, PerfDoc{Name: filepath.Base(p), Text: string(b)})
	}
	return docs, nil
}

// title is a document's first heading, or its name.
func (d PerfDoc) title() string {
	for _, line := range strings.Split(d.Text, "\n") {
		if strings.HasPrefix(line, "#") {
			return strings.TrimSpace(strings.TrimLeft(line, "#"))
		}
	}
	return d.Name
}

// demoted is the document with every heading two levels down (so that it
// nests under this document's sections) and its first heading dropped.
func (d PerfDoc) demoted() string {
	var b strings.Builder
	first, fence := true, false
	for _, line := range strings.Split(strings.TrimSpace(d.Text), "\n") {
		if strings.HasPrefix(line, "```") {
			fence = !fence
		}
		if !fence && strings.HasPrefix(line, "#") {
			if first {
				first = false
				continue
			}
			line = "##" + line
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// Render writes docs/performance.md from the results and the parts' own
// notes.
func Render(r Results, parts []PerfDoc) string {
	cols := r.columns()
	sc := r.ScalingOf()
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }

	p("# Performance\n\n")
	p("One document for huella's speed: the head-to-head table (huella against what an analyst would use\n")
	p("instead, at 1M and 10M people), then each part's own figures. The table and everything above\n")
	p("\"Per-part figures\" are generated by `huella bench speed` (package `internal/benchspeed`); do not\n")
	p("edit them by hand: rerun the command. Each goal is from the project's issues; where one is missed\n")
	p("the table says so.\n\n")

	p("## Reproduce\n\n")
	p("```\n")
	p("apt-get install -y postgresql          # PostgreSQL 15 (Debian); the command starts its own cluster\n")
	p("go build -o huella ./cmd/huella\n")
	p("./huella bench speed --people 1000000 --people 10000000\n")
	p("```\n\n")
	p("Each size runs in a fresh temporary folder: a synthetic register is made, loaded, released and\n")
	p("analysed by the `huella` binary's own commands, run as child processes, so that each step's wall\n")
	p("time, CPU time and peak RSS (`wait4` rusage of the child) are its own. PostgreSQL runs from a\n")
	p("throw-away cluster (initdb in the run's folder, 127.0.0.1 on a free port, as the `postgres` user\n")
	p("when run as root), stopped and removed at the end. Ratios are always between figures of the same\n")
	p("run, measured minutes apart, because the machine is shared and noisy. The command prints the\n")
	p("table and rewrites this file, keeping the newest measurement of each size (`--doc -` only\n")
	p("prints).\n\n")

	p("## Machine\n\n")
	seen := map[*Run]bool{}
	for _, c := range cols {
		if seen[c.run] {
			continue
		}
		seen[c.run] = true
		m := c.run.Machine
		var sizes []string
		for _, s := range c.run.Sizes {
			sizes = append(sizes, fmt.Sprintf("%s people (load average %.1f before, %.1f after)", count(s.People), s.LoadBefore, s.LoadAfter))
		}
		p("- Run of %s UTC, %s, `%s`: %s.\n", c.run.Start.Format("2006-01-02 15:04"), duration(c.run.Seconds), c.run.Command, strings.Join(sizes, "; "))
		p("  %s, %d cores, %.0f GiB RAM, Linux %s, %s", m.CPU, m.Cores, m.MemGiB, m.Kernel, m.Go)
		if m.Postgres != "" {
			p(", %s", m.Postgres)
		}
		p(".\n")
	}
	p("\nThe machine has 2 cores and was shared with other engineers' builds and tests: a load average\n")
	p("above 2 means this benchmark got only part of the CPU, and wall times are longer than on an idle\n")
	p("machine. CPU seconds are given beside wall times for that reason.\n\n")

	p("## The table\n\n")
	p("| figure | goal |")
	for _, c := range cols {
		p(" %s people |", count(c.size.People))
	}
	p(" verdict |\n|---|---|")
	for range cols {
		p("---|")
	}
	p("---|\n")
	row := func(name, goal string, cell func(s *Size) string, verdict string) {
		p("| %s | %s |", name, goal)
		for _, c := range cols {
			p(" %s |", cell(c.size))
		}
		p(" %s |\n", verdict)
	}
	largest := func() *Size {
		if len(cols) == 0 {
			return nil
		}
		return cols[len(cols)-1].size
	}()
	judge := func(ok func(s *Size) (bool, bool), at10M bool) string {
		if len(cols) == 0 {
			return ""
		}
		var missed []string
		measured := 0
		for _, c := range cols {
			if at10M && c.size.People < 10_000_000 {
				continue
			}
			good, has := ok(c.size)
			if !has {
				continue
			}
			measured++
			if !good {
				missed = append(missed, count(c.size.People))
			}
		}
		switch {
		case measured == 0 && at10M:
			return "not yet measured at 10M"
		case measured == 0:
			return "not measured"
		case len(missed) > 0:
			return "**missed** at " + strings.Join(missed, ", ")
		}
		return "met"
	}
	mark := func(good bool) string {
		if good {
			return "✔"
		}
		return "✘ **missed**"
	}

	row("synth, people/s", fmt.Sprintf("≥ %s/s", count(GoalSynthRate)), func(s *Size) string {
		return fmt.Sprintf("%s/s (%s, %.1f CPU-µs/person) %s", count(int(rate(s.People, s.Synth.Wall))), secs(s.Synth.Wall), 1e6*s.Synth.CPU/float64(s.People), mark(rate(s.People, s.Synth.Wall) >= GoalSynthRate))
	}, judge(func(s *Size) (bool, bool) { return rate(s.People, s.Synth.Wall) >= GoalSynthRate, true }, false))

	row("load a snapshot: `huella load`", "", func(s *Size) string {
		return fmt.Sprintf("%s (%s rows/s; CPU %s; peak RSS %s; store %s)", secs(s.Load.Wall), count(int(rate(int(s.Rows), s.Load.Wall))), secs(s.Load.CPU), mib(s.Load.RSS), mib(s.StoreMB))
	}, "")
	row("load: PostgreSQL `COPY` + index on curp", "", func(s *Size) string {
		if s.PGLoad == nil {
			return "not run"
		}
		return fmt.Sprintf("%s (COPY %s, index %s; backend CPU %s, peak RSS %s; disk %s)", secs(s.PGLoad.Wall), secs(s.PGLoad.Statements["copy"]), secs(s.PGLoad.Statements["index"]), secs(s.PGLoad.BackendCPU), mib(s.PGLoad.BackendRSS), mib(s.PGLoad.DiskMB))
	}, "")
	loadRatio := func(s *Size) (float64, bool) {
		if s.PGLoad == nil || s.Load.Wall == 0 {
			return 0, false
		}
		return s.PGLoad.Wall / s.Load.Wall, true
	}
	row("load: PostgreSQL time / huella time", "≥ 1 (huella at least as fast)", func(s *Size) string {
		v, ok := loadRatio(s)
		if !ok {
			return "—"
		}
		return fmt.Sprintf("%.2f %s (CPU: %s)", v, mark(v >= GoalLoadVsPG), cpuRatio(s.PGLoad.BackendCPU, s.Load.CPU))
	}, judge(func(s *Size) (bool, bool) { v, ok := loadRatio(s); return v >= GoalLoadVsPG, ok }, false))

	row("release: unmarked write of the same rows", "", func(s *Size) string {
		return fmt.Sprintf("%s (%s rows/s; CPU %s)", secs(s.Unmarked.Wall), count(int(rate(int(s.Rows), s.Unmarked.Wall))), secs(s.Unmarked.CPU))
	}, "")
	row("release: fingerprinted copy, `huella release`", "", func(s *Size) string {
		return fmt.Sprintf("%s (%s rows/s; CPU %s; peak RSS %s)", secs(s.Release.Wall), count(int(rate(int(s.CopyRows), s.Release.Wall))), secs(s.Release.CPU), mib(s.Release.RSS))
	}, "")
	relRatio := func(s *Size) (float64, bool) {
		if s.Unmarked.Wall == 0 {
			return 0, false
		}
		return s.Release.Wall / s.Unmarked.Wall, true
	}
	row("release time / unmarked time", fmt.Sprintf("≤ %.1f×", GoalReleaseRatio), func(s *Size) string {
		v, ok := relRatio(s)
		if !ok {
			return "—"
		}
		return fmt.Sprintf("%.2f× %s (CPU: %s)", v, mark(v <= GoalReleaseRatio), cpuRatio(s.Release.CPU, s.Unmarked.CPU))
	}, judge(func(s *Size) (bool, bool) { v, ok := relRatio(s); return v <= GoalReleaseRatio, ok }, false))
	if len(cols) >= 2 {
		small := cols[0].size
		flat := largest.Release.RSS / small.Release.RSS
		row("release peak RSS, flat in rows", fmt.Sprintf("largest size ≤ %.2f× smallest", GoalReleaseRSSFlat), func(s *Size) string {
			return fmt.Sprintf("%s (%.2f× the smallest)", mib(s.Release.RSS), s.Release.RSS/small.Release.RSS)
		}, map[bool]string{true: "met", false: fmt.Sprintf("**missed**: %.2f×", flat)}[flat <= GoalReleaseRSSFlat])
	}

	row("analysis: 1,000-row sample, end to end", fmt.Sprintf("≤ %.0f s at 10M", GoalSampleSeconds), func(s *Size) string {
		return fmt.Sprintf("%s (median of %d; CPU %s; peak RSS %s) %s", secs(s.Sample.Wall), len(s.Sample.Runs), secs(s.Sample.CPU), mib(s.Sample.RSS), answer(&s.Sample))
	}, judge(func(s *Size) (bool, bool) { return s.Sample.Wall <= GoalSampleSeconds, true }, true))
	row("analysis: full dump, `huella analyze`", "", func(s *Size) string {
		return fmt.Sprintf("%s (%s%s rows, %s rows/s; CPU %s) %s", secs(s.Dump.Wall), runsOf(s.Dump.Runs), count(int(s.Dump.Rows)), count(int(rate(int(s.Dump.Rows), s.Dump.Wall))), secs(s.Dump.CPU), answer(&s.Dump))
	}, "")
	row("(a) PostgreSQL: `COPY` of the leak + `JOIN` on curp against the loaded, indexed register", "", func(s *Size) string {
		if s.PGJoin == nil {
			return "not run"
		}
		return fmt.Sprintf("%s (%sCOPY %s, ANALYZE %s, JOIN %s; %s rows matched)", secs(s.PGJoin.Wall), runsOf(s.PGJoinRuns), secs(s.PGJoin.Statements["copy"]), secs(s.PGJoin.Statements["analyze"]), secs(s.PGJoin.Statements["join"]), count(int(s.PGMatched)))
	}, "")
	pgRatio := func(s *Size) (float64, bool) {
		if s.PGJoin == nil || s.Dump.Wall == 0 || s.Dump.Error != "" {
			return 0, false
		}
		return s.PGJoin.Wall / s.Dump.Wall, true
	}
	row("(a) time / huella time", fmt.Sprintf("≥ %.0f×", GoalVsPG), func(s *Size) string {
		v, ok := pgRatio(s)
		if !ok {
			return "—"
		}
		return fmt.Sprintf("%.2f× %s (CPU: %s)%s", v, mark(v >= GoalVsPG), cpuRatio(s.PGJoin.BackendCPU, s.Dump.CPU), pairedRatios(s))
	}, judge(func(s *Size) (bool, bool) { v, ok := pgRatio(s); return v >= GoalVsPG, ok }, false))
	row("(b) floor: hand-rolled CSV parse of the same file", "", func(s *Size) string {
		return fmt.Sprintf("%s (%s rows/s; CPU %s)", secs(s.Floor.Wall), count(int(rate(int(s.FloorRows), s.Floor.Wall))), secs(s.Floor.CPU))
	}, "")
	floorRatio := func(s *Size) (float64, bool) {
		if s.Floor.Wall == 0 || s.Dump.Error != "" {
			return 0, false
		}
		return s.Dump.Wall / s.Floor.Wall, true
	}
	row("huella time / (b)", fmt.Sprintf("≤ %.0f×", GoalVsFloor), func(s *Size) string {
		v, ok := floorRatio(s)
		if !ok {
			return "—"
		}
		return fmt.Sprintf("%.1f× %s (CPU: %s)", v, mark(v <= GoalVsFloor), cpuRatio(s.Dump.CPU, s.Floor.CPU))
	}, judge(func(s *Size) (bool, bool) { v, ok := floorRatio(s); return v <= GoalVsFloor, ok }, false))
	row("analysis: full dump, peak RSS", "< 4 GiB at 10M", func(s *Size) string {
		return mib(s.Dump.RSS)
	}, judge(func(s *Size) (bool, bool) { return s.Dump.RSS < GoalDumpRSSMiB, true }, true))

	if sc != nil {
		// One figure for the pair of sizes: in the largest size's column.
		wide := func(name, goal, value, verdict string) {
			p("| %s | %s |", name, goal)
			for range cols[:len(cols)-1] {
				p(" |")
			}
			p(" %s | %s |\n", value, verdict)
		}
		note := ""
		if !sc.SameRun {
			note = ", sizes from different runs"
		}
		met := map[bool]string{true: "met", false: "**missed**"}
		wide(fmt.Sprintf("analysis: linear scaling, time per dump row at %s people / at %s%s", count(sc.Large.People), count(sc.Small.People), note),
			fmt.Sprintf("≤ %.2f×", GoalLinear), fmt.Sprintf("%.2f×", sc.PerRowRatio), met[sc.PerRowRatio <= GoalLinear])
		wide("analysis: extrapolated to a 91M-row dump against a 93M register (linear fit through the two sizes)", "≤ 3 min on 2 cores",
			fmt.Sprintf("%s wall (idle machine, from CPU time: %s on %.0f busy cores to %s on one; peak RSS %s at GOGC 400%s)", duration(sc.Extrapolated), duration(sc.ExtrapolatedCPU/sc.Cores), sc.Cores, duration(sc.ExtrapolatedCPU), mib(sc.ExtrapolatedRSS), budget(sc.RowBudget)),
			met[sc.Extrapolated <= GoalExtrapolated])
		if sc.ExtrapolatedPG > 0 {
			wide("(a) PostgreSQL extrapolated the same way", "", duration(sc.ExtrapolatedPG), "")
		}
		if sc.ExtrapolatedLoadSec > 0 {
			wide("`huella load` extrapolated to a 93M snapshot", "", duration(sc.ExtrapolatedLoadSec), "")
		}
	}
	p("\n")
	p("✔ goal met at that size, ✘ missed, judged on wall time; the CPU-time ratio beside it is steadier\n")
	p("on a loaded machine but favours single-threaded work (PostgreSQL's backend, one core) over work\n")
	p("spread on both cores (huella). The verdict column judges the sizes a goal is about (\"at 10M\":\n")
	p("sizes of 10M people or more). An analysis cell ends with what the analysis answered for the\n")
	p("benchmark's leak (the first recipient's copy): \"ours, A accused\" is the right answer.\n\n")

	misses := missesOf(r, cols, sc)
	p("### Missed goals\n\n")
	if len(misses) == 0 {
		p("None at the sizes measured.\n\n")
	} else {
		for _, m := range misses {
			p("- %s\n", m)
		}
		p("\n")
	}

	p("## What each figure is\n\n")
	p("For a size of N people, in a fresh folder DIR (the command runs exactly these):\n\n")
	p("- **synth**: `huella synth --people N --seed 1 --start %s --end %s --snapshots %s --out DIR/synth`\n", synthStart, cutDay, cutDay)
	p("  (a six-week history, so the time is mostly making people; it writes history.csv and the snapshot).\n")
	p("  People/s = N / wall time. [perf-synth.md](perf-synth.md) has the 5-year history figures.\n")
	p("- **load**: `huella init --dir DIR/ws` then, timed, `huella load --dir DIR/ws DIR/synth/snapshot-%s.csv`\n", cutDay)
	p("  into the empty store (every row a new person: parse, check every CURP and clave, index by both,\n")
	p("  write sorted tables, commit durably).\n")
	p("- **PostgreSQL load**, the same file, one psql session, timed from psql's start to its exit:\n")
	p("  `BEGIN; CREATE TABLE padron (<the 20 columns> text); COPY padron FROM 'snapshot.csv' WITH (FORMAT csv, HEADER true);\n")
	p("  CREATE INDEX padron_curp ON padron (curp); COMMIT;` The cluster is tuned the way an analyst\n")
	p("  loading a big file would tune it: %s. With `wal_level = minimal` a table created and filled in\n", strings.Join(postgresSettings, ", "))
	p("  one transaction skips the write-ahead log, PostgreSQL's fastest load path; with its defaults (as\n")
	p("  `scripts/bench-load.sh` runs it, see perf-store.md below) every row is also written to the WAL and\n")
	p("  the load is slower. `ANALYZE padron` follows, untimed.\n")
	p("- **release**: `huella release --dir DIR/ws --recipient \"PARTIDO A\" --as-of %s --out DIR/copy-a.csv`\n", cutDay)
	p("  (every carrier: address forms, canaries, keyed row order; SHA-256, fsync, ledger entry).\n")
	p("  **Unmarked**: the same rows from the same store written as plain CSV in the same format by\n")
	p("  `benchspeed.WriteUnmarked` (workspace lock, store scan as of the day, 1 MiB buffered writes,\n")
	p("  fsync; no marks, no canaries, no order, no hash, no ledger), in the bench process. Two rounds of\n")
	p("  each, alternating which goes first (the second release is to \"PARTIDO B\"); the faster round of\n")
	p("  each is reported.\n")
	p("- **sample**: the header and first %d rows of PARTIDO A's copy; `huella analyze --dir DIR/ws sample.csv --json OUT`,\n", sampleRows)
	p("  a new process each time (open workspace, store and ledger; read; infer the columns; link; date;\n")
	p("  attribute against both releases; report with HTML; case files; ledger entry), median of the runs.\n")
	p("- **full dump**: `huella analyze --dir DIR/ws copy-a.csv --json OUT`, the whole copy as released.\n")
	p("- **(a) PostgreSQL**: one psql session against the register loaded above: `BEGIN; CREATE TABLE leak (...);\n")
	p("  COPY leak FROM 'copy-a.csv' WITH (FORMAT csv, HEADER true); ANALYZE leak; SELECT count(*), count(*) FILTER\n")
	p("  (WHERE every other column IS NOT DISTINCT FROM the register's) FROM leak l JOIN padron p ON p.curp = l.curp; COMMIT;`\n")
	p("  — the rows of the leak that are in the register and those that agree on every field, which is\n")
	p("  much less than huella answers (no verdict, cut-off, attribution or exposure); then `DROP TABLE leak`.\n")
	p("  The full dump and (a) run in turn, three times each by default (`--dump-runs`), and each figure is\n")
	p("  the median run: the machine's speed drifts by ±20%% within minutes. Before each analysis the\n")
	p("  case folder is removed, as for a first analysis; the later runs find the analysis in the ledger\n")
	p("  and do not log it again.\n")
	p("- **(b) floor**: `benchspeed.ParseFloor`, in the bench process: the file read in 4 MiB blocks, each\n")
	p("  split into lines and fields (quotes honoured) on 2 goroutines, nothing else.\n")
	p("- **scaling**: time per dump row at the largest size over that at the smallest; the extrapolation\n")
	p("  fits t = a + b·n through the two sizes (n = dump rows ≈ register people) and evaluates it at\n")
	p("  91M rows; the idle-machine estimate does the same with CPU seconds: its wall time would lie\n")
	p("  between that CPU time divided by the cores (perfectly parallel) and that CPU time (serial).\n\n")

	p("## Per-part figures\n\n")
	p("Each part measures itself with `go test -bench` or a script; its notes are merged below, as\n")
	p("they stood when this file was generated.\n\n")
	for _, d := range parts {
		p("- [%s](%s): %s\n", d.Name, d.Name, d.title())
	}
	p("\n")
	for _, d := range parts {
		p("### %s ([%s](%s))\n\n", d.title(), d.Name, d.Name)
		p("%s\n", d.demoted())
	}

	js, _ := json.MarshalIndent(r, "", " ")
	p("%s\n%s\n-->\n", resultsHeader, js)
	return b.String()
}

// missesOf lists, in words, every goal missed at the sizes it is about.
func missesOf(r Results, cols []column, sc *Scaling) []string {
	var out []string
	for _, c := range cols {
		s := c.size
		n := count(s.People) + " people"
		if v := rate(s.People, s.Synth.Wall); v < GoalSynthRate {
			out = append(out, fmt.Sprintf("%s: synth made %s people/s, below %s/s (wall time; %.1f CPU-µs/person, load average %.1f)", n, count(int(v)), count(GoalSynthRate), 1e6*s.Synth.CPU/float64(s.People), s.LoadBefore))
		}
		if s.PGLoad != nil && s.PGLoad.Wall/s.Load.Wall < GoalLoadVsPG {
			out = append(out, fmt.Sprintf("%s: huella load took %s (CPU %s), PostgreSQL COPY + index %s (backend CPU %s): huella is slower in wall time%s", n, secs(s.Load.Wall), secs(s.Load.CPU), secs(s.PGLoad.Wall), secs(s.PGLoad.BackendCPU), loaded(s)))
		}
		if s.Unmarked.Wall > 0 && s.Release.Wall/s.Unmarked.Wall > GoalReleaseRatio {
			out = append(out, fmt.Sprintf("%s: a release took %.2f× the unmarked write (%s vs %s; CPU %s vs %s)%s", n, s.Release.Wall/s.Unmarked.Wall, secs(s.Release.Wall), secs(s.Unmarked.Wall), secs(s.Release.CPU), secs(s.Unmarked.CPU), loaded(s)))
		}
		if s.People >= 10_000_000 && s.Sample.Wall > GoalSampleSeconds {
			out = append(out, fmt.Sprintf("%s: the 1,000-row sample took %s end to end (CPU %s)%s", n, secs(s.Sample.Wall), secs(s.Sample.CPU), loaded(s)))
		}
		if s.PGJoin != nil && s.Dump.Error == "" && s.PGJoin.Wall/s.Dump.Wall < GoalVsPG {
			out = append(out, fmt.Sprintf("%s: the full dump took %s (CPU %s), PostgreSQL COPY + JOIN %s (backend CPU %s): %.2f×, not ≥ %.0f×%s", n, secs(s.Dump.Wall), secs(s.Dump.CPU), secs(s.PGJoin.Wall), secs(s.PGJoin.BackendCPU), s.PGJoin.Wall/s.Dump.Wall, GoalVsPG, loaded(s)))
		}
		if s.Floor.Wall > 0 && s.Dump.Error == "" && s.Dump.Wall/s.Floor.Wall > GoalVsFloor {
			out = append(out, fmt.Sprintf("%s: the full dump took %.1f× the floor parse (%s vs %s; CPU %s vs %s)", n, s.Dump.Wall/s.Floor.Wall, secs(s.Dump.Wall), secs(s.Floor.Wall), secs(s.Dump.CPU), secs(s.Floor.CPU)))
		}
		if s.People >= 10_000_000 && s.Dump.RSS >= GoalDumpRSSMiB {
			out = append(out, fmt.Sprintf("%s: the full dump's analysis peaked at %s RSS", n, mib(s.Dump.RSS)))
		}
		if !s.Sample.Correct() || !s.Dump.Correct() {
			out = append(out, fmt.Sprintf("%s: an analysis gave a wrong answer (sample: %s; dump: %s)", n, answer(&s.Sample), answer(&s.Dump)))
		}
	}
	if len(cols) >= 2 {
		small, large := cols[0].size, cols[len(cols)-1].size
		if large.Release.RSS/small.Release.RSS > GoalReleaseRSSFlat {
			out = append(out, fmt.Sprintf("release memory is not flat: %s at %s people, %s at %s", mib(small.Release.RSS), count(small.People), mib(large.Release.RSS), count(large.People)))
		}
	}
	if sc != nil {
		if sc.PerRowRatio > GoalLinear {
			out = append(out, fmt.Sprintf("scaling is worse than linear: time per row %.2f× from %s to %s people", sc.PerRowRatio, count(sc.Small.People), count(sc.Large.People)))
		}
		if sc.Extrapolated > GoalExtrapolated {
			out = append(out, fmt.Sprintf("the extrapolated 91M-row analysis takes %s wall (on an idle machine, from its CPU time, %s to %s), above 3 min", duration(sc.Extrapolated), duration(sc.ExtrapolatedCPU/sc.Cores), duration(sc.ExtrapolatedCPU)))
		}
	}
	return out
}

// loaded says how busy the machine was, when it was.
func loaded(s *Size) string {
	if l := max(s.LoadBefore, s.LoadAfter); l > 3 {
		return fmt.Sprintf(" — machine shared, load average %.0f", l)
	}
	return ""
}

func answer(a *Analysis) string {
	if a.Error != "" {
		return "— **failed**: " + strings.ReplaceAll(strings.ReplaceAll(a.Error, "\n", " "), "|", "/")
	}
	who := "nobody accused"
	if len(a.Accused) > 0 {
		var short []string
		for _, r := range a.Accused {
			short = append(short, strings.TrimPrefix(r, "PARTIDO "))
		}
		who = strings.Join(short, ", ") + " accused"
	}
	s := a.Verdict + ", " + who
	if !a.Correct() {
		s += " **(wrong)**"
	}
	return "— " + s
}

// cpuRatio is a/b of two CPU times, "—" when b is 0.
func cpuRatio(a, b float64) string {
	if b <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func rate(n int, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(n) / secs
}

// count writes n with thousands separators: 1,000,000.
func count(n int) string { return thousands.Sprintf("%d", n) }

var thousands = message.NewPrinter(language.English)

// runsOf is "median of n: a, b, c s; " for several runs' wall times (in
// the order run), "" for one.
// pairedRatios is PostgreSQL's time over huella's run by run, each
// PostgreSQL run against the analysis just before it (the machine's speed
// drifts over minutes, and a pair shares it), and how many meet the goal;
// "" with fewer than two pairs.
func pairedRatios(s *Size) string {
	n := min(len(s.PGJoinRuns), len(s.Dump.Runs))
	if n < 2 || s.Dump.Error != "" {
		return ""
	}
	rs := make([]float64, n)
	w := make([]string, n)
	met := 0
	for i := range n {
		rs[i] = s.PGJoinRuns[i] / s.Dump.Runs[i]
		w[i] = fmt.Sprintf("%.2f×", rs[i])
		if rs[i] >= GoalVsPG {
			met++
		}
	}
	slices.Sort(rs)
	return fmt.Sprintf("; run by run: %s (median %.2f×, %d of %d ≥ %.0f×)", strings.Join(w, ", "), rs[n/2], met, n, GoalVsPG)
}

func runsOf(walls []float64) string {
	if len(walls) < 2 {
		return ""
	}
	w := make([]string, len(walls))
	for i, x := range walls {
		w[i] = fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("median of %d: %s s; ", len(walls), strings.Join(w, ", "))
}

func secs(s float64) string {
	switch {
	case s < 10:
		return fmt.Sprintf("%.2f s", s)
	case s < 100:
		return fmt.Sprintf("%.1f s", s)
	}
	return fmt.Sprintf("%.0f s", s)
}

func duration(s float64) string {
	if s < 120 {
		return secs(s)
	}
	m := math.Floor(s / 60)
	return fmt.Sprintf("%.0f min %02.0f s", m, s-60*m)
}

func mib(m float64) string {
	if m >= 1024 {
		return fmt.Sprintf("%.2f GiB", m/1024)
	}
	return fmt.Sprintf("%.0f MiB", m)
}

// Table is the table section of Render (with its missed goals), for a
// terminal.
func Table(r Results) string {
	doc := Render(r, nil)
	i := strings.Index(doc, "## The table")
	j := strings.Index(doc, "## What each figure is")
	if i < 0 || j < i {
		return doc
	}
	return doc[i:j]
}
