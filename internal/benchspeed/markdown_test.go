package benchspeed

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func size(people int, dumpWall float64) Size {
	ok := Analysis{Verdict: "ours", Accused: []string{recipients[0]}}
	s := Size{People: people, Rows: int64(people), CopyRows: int64(people) + 10,
		Synth:    Measure{Wall: float64(people) / 400_000, CPU: float64(people) * 5e-6},
		Load:     Measure{Wall: float64(people) / 500_000, RSS: 300},
		PGLoad:   &PGMeasure{Wall: float64(people) / 300_000, Statements: map[string]float64{"copy": 1, "index": 1}},
		Unmarked: Measure{Wall: 1}, Release: Measure{Wall: 1.2, RSS: 200},
		Sample: ok, Dump: ok,
		PGJoin: &PGMeasure{Wall: 4 * dumpWall, Statements: map[string]float64{}},
		Floor:  Measure{Wall: dumpWall / 3}, FloorRows: int64(people)}
	s.Sample.Measure = Measure{Wall: 0.5}
	s.Dump.Measure = Measure{Wall: dumpWall, CPU: 2 * dumpWall, RSS: 1000}
	s.Dump.Rows = int64(people)
	return s
}

func TestFit(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		x1, y1, x2, y2, x, want float64
	}{
		{"through origin", 1, 2, 10, 20, 91, 182},
		{"with intercept", 1e6, 6, 1e7, 50, 9.1e7, 6 + 44*90.0/9},
		{"one point", 5, 10, 5, 10, 10, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fit(tc.x1, tc.y1, tc.x2, tc.y2, tc.x); math.Abs(got-tc.want) > 1e-9*math.Abs(tc.want) {
				t.Errorf("fit = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestScalingAndGoals(t *testing.T) {
	run := Run{Start: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC), Command: "huella bench speed", Machine: Machine{Cores: 2},
		Sizes: []Size{size(1_000_000, 6), size(10_000_000, 50)}}
	r := Results{Runs: []Run{run}}
	sc := r.ScalingOf()
	if sc == nil || !sc.SameRun {
		t.Fatalf("scaling: %+v", sc)
	}
	if want := (50.0 / 1e7) / (6.0 / 1e6); math.Abs(sc.PerRowRatio-want) > 1e-9 {
		t.Errorf("per-row ratio %v, want %v", sc.PerRowRatio, want)
	}
	if want := 6 + 44*90.0/9; math.Abs(sc.Extrapolated-want) > 1e-6 {
		t.Errorf("extrapolated %v, want %v", sc.Extrapolated, want)
	}
	if sc.RowBudget != 0 {
		t.Errorf("row budget %d on a machine of unknown memory", sc.RowBudget)
	}
	for gib, want := range map[float64]string{24: "106,837,311 rows, holds it", 16: "refuses it"} {
		run.Machine.MemGiB = gib
		if got := budget(Results{Runs: []Run{run}}.ScalingOf().RowBudget); !strings.Contains(got, want) {
			t.Errorf("%.0f GiB: %q, want %q", gib, got, want)
		}
	}
	run.Machine.MemGiB = 0
	doc := Render(r, []PerfDoc{{Name: "perf-x.md", Text: "# Performance: x\n\nfast\n\n## Figures\n\n```\n# not a heading\n```\n"}})
	for _, want := range []string{
		"| 1,000,000 people | 10,000,000 people |",
		"the extrapolated 91M-row analysis takes 7 min 26 s wall",
		"[perf-x.md](perf-x.md): Performance: x",
		"#### Figures",
		"# not a heading",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("document lacks %q", want)
		}
	}
	for _, met := range []string{"release memory is not flat", "PostgreSQL COPY + JOIN", "scaling is worse"} {
		if strings.Contains(doc, met) {
			t.Errorf("a met goal is reported missed: %q", met)
		}
	}
	back, err := ParseResults([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Runs) != 1 || len(back.Runs[0].Sizes) != 2 || back.Runs[0].Sizes[1].Dump.Wall != 50 {
		t.Errorf("results block did not round-trip: %+v", back)
	}
}

func TestMerge(t *testing.T) {
	old := Results{Runs: []Run{
		{Command: "first", Sizes: []Size{size(1_000_000, 6), size(10_000_000, 50)}},
		{Command: "oldest", Sizes: []Size{size(100_000, 1)}},
	}}
	got := old.Merge(Run{Command: "new", Sizes: []Size{size(1_000_000, 5)}})
	var cmds []string
	people := map[int]string{}
	for _, r := range got.Runs {
		cmds = append(cmds, r.Command)
		for _, s := range r.Sizes {
			if _, dup := people[s.People]; dup {
				t.Errorf("%d people twice", s.People)
			}
			people[s.People] = r.Command
		}
	}
	if strings.Join(cmds, ",") != "new,first,oldest" {
		t.Errorf("runs %v", cmds)
	}
	if people[1_000_000] != "new" || people[10_000_000] != "first" || people[100_000] != "oldest" {
		t.Errorf("sizes from %v", people)
	}
	if r := got.ScalingOf(); r == nil || r.SameRun {
		t.Errorf("scaling across runs: %+v", r)
	}
}

func TestMissedGoalsSaidPlainly(t *testing.T) {
	s := size(10_000_000, 50)
	s.Sample.Wall = 1.7
	s.Release.Wall = 2
	s.Dump.Accused = []string{recipients[0], recipients[1]}
	doc := Render(Results{Runs: []Run{{Machine: Machine{Cores: 2}, Sizes: []Size{s}}}}, nil)
	for _, want := range []string{
		"the 1,000-row sample took 1.70 s end to end",
		"a release took 2.00× the unmarked write",
		"an analysis gave a wrong answer",
		"A, B accused **(wrong)**",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("document lacks %q", want)
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 91_000_000: "91,000,000", -1234: "-1,234"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestMedianOfRuns(t *testing.T) {
	runs := []*PGMeasure{{Wall: 7}, {Wall: 3}, {Wall: 5}}
	if got := medianOf(runs, func(m *PGMeasure) float64 { return m.Wall }); got != runs[2] {
		t.Errorf("median of 7, 3, 5: %v", got.Wall)
	}
	if got := medianOf(runs[:1], func(m *PGMeasure) float64 { return m.Wall }); got != runs[0] {
		t.Errorf("median of one run: %v", got.Wall)
	}
	if got, want := runsOf([]float64{21.94, 19.5, 23}), "median of 3: 21.9, 19.5, 23.0 s; "; got != want {
		t.Errorf("runsOf: %q, want %q", got, want)
	}
	if got := runsOf([]float64{21.9}); got != "" {
		t.Errorf("runsOf one run: %q", got)
	}
}

func TestMedianRun(t *testing.T) {
	runs := []*Analysis{{Measure: Measure{Wall: 3, CPU: 30}}, {Measure: Measure{Wall: 1, CPU: 10}}, {Measure: Measure{Wall: 2, CPU: 20}}}
	got := medianRun(runs)
	if got.Wall != 2 || got.CPU != 20 || !slices.Equal(got.Runs, []float64{3, 1, 2}) {
		t.Errorf("medianRun: wall %v CPU %v runs %v", got.Wall, got.CPU, got.Runs)
	}
}

// TestPairedRatios: each PostgreSQL run over the analysis run before it,
// their median, and how many meet the goal.
func TestPairedRatios(t *testing.T) {
	s := size(1_000_000, 2.5)
	s.Dump.Runs = []float64{2.5, 2.0, 3.0}
	s.PGJoinRuns = []float64{7.0, 8.0, 8.1}
	if got, want := pairedRatios(&s), "; run by run: 2.80×, 4.00×, 2.70× (median 2.80×, 1 of 3 ≥ 3×)"; got != want {
		t.Errorf("pairedRatios: %q, want %q", got, want)
	}
	s.PGJoinRuns = s.PGJoinRuns[:1]
	if got := pairedRatios(&s); got != "" {
		t.Errorf("one pair: %q", got)
	}
}
