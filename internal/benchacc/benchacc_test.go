package benchacc

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/huella/huella/internal/report"
)

// TestRun runs a small accuracy table end to end: a real register, real
// releases, real analyses. The figures must be those of a working method:
// the leaker found, no innocent accused, not-ours not called ours, the cut
// inside the band, keyless rows linked to the right people.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a register and runs analyses")
	}
	cfg := Config{Seed: 3, People: 1500, Recipients: 12,
		SingleTrials:    map[int]int{300: 2, Full: 1},
		NotOursTrials:   map[int]int{300: 1},
		CollusionTrials: map[int]int{1000: 1},
		LinkageTrials:   1, LinkageRows: 300,
		Only: []string{"as released", "rows shuffled", "not ours", "3 copies mixed row-wise", "30% rows appended", "linkage"},
		Dir:  t.TempDir(),
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != 2+2+1+1+2 {
		t.Fatalf("%d cells", len(res.Cells))
	}
	for _, c := range res.Cells {
		if c.Wrong != 0 || c.InnocentsAccused != 0 {
			t.Errorf("%s, %d rows: an innocent accused: %v", c.Attack, c.Rows, c.Failures)
		}
		if c.Trials == 0 || c.Innocents == 0 {
			t.Errorf("%s, %d rows: %d trials, %d innocents", c.Attack, c.Rows, c.Trials, c.Innocents)
		}
		switch c.Kind {
		case NotOurs:
			if c.CalledOurs != 0 || c.Correct != 0 {
				t.Errorf("not ours: called ours %d times, accused %d times", c.CalledOurs, c.Correct)
			}
		case Single:
			if c.Correct != c.Trials {
				t.Errorf("%s, %d rows: %d of %d correct", c.Attack, c.Rows, c.Correct, c.Trials)
			}
			if c.Covered != c.Trials {
				t.Errorf("%s, %d rows: cut in band %d of %d", c.Attack, c.Rows, c.Covered, c.Trials)
			}
		case MixedCuts:
			if c.Wrong != 0 || c.Covered != c.Trials {
				t.Errorf("2 cuts mixed: %d wrong, cuts in band %d of %d", c.Wrong, c.Covered, c.Trials)
			}
		case Collude3:
			if c.Correct != c.Trials {
				t.Errorf("3 colluders: %d of %d trials accused one", c.Correct, c.Trials)
			}
		}
		if c.Attack == "partial: 30% rows appended from another register" && c.VerdictRight != c.Trials {
			t.Errorf("partial leak: verdict right %d of %d (want %s)", c.VerdictRight, c.Trials, report.Partial)
		}
	}
	l := res.Linkage
	if l.Trials != 1 || l.Rows != 300 || l.Typos.RowsChanged == 0 {
		t.Errorf("linkage: %+v", l)
	}
	if l.Precision() < 0.99 || l.Recall() < 0.95 {
		t.Errorf("keyless linkage precision %.4f recall %.4f", l.Precision(), l.Recall())
	}
	byID := map[string]Target{}
	for _, tg := range res.Targets() {
		byID[tg.ID] = tg
	}
	for _, id := range []string{"wrong", "not-ours", "collude-innocent", "dating-coverage"} {
		if tg := byID[id]; !tg.Applies || !tg.Met {
			t.Errorf("target %s: %+v", id, tg)
		}
	}
	if byID["innocents"].Applies {
		t.Error("a small run judged the 10,000-evaluations target")
	}
	var table bytes.Buffer
	res.WriteTable(&table)
	md := string(res.Markdown("go run ./cmd/huella bench accuracy --seed 3"))
	for _, want := range []string{"`go run ./cmd/huella bench accuracy --seed 3` (seed 3)", "| `wrong` |", "## Keyless linkage", "| as released | all |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if !strings.Contains(table.String(), "targets:") {
		t.Errorf("table:\n%s", table.String())
	}
}
