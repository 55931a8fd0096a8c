package report

import (
	"strings"
	"testing"
)

// TestSummaryWords: the terminal summary says no one rather than "0 people
// in 0 entidades", n/a for the agreement of no row, and a share too small
// for one decimal as "<0.1%".
func TestSummaryWords(t *testing.T) {
	r := &Report{Verdict: Partial, AttributionStatus: StatusAccused, Input: Input{Rows: 21117},
		Match: Match{RowsMatched: 5, MatchRate: 5.0 / 21117, FieldAgreement: 1}, Affected: Affected{People: 1, ByEntidad: map[string]int{"09": 1}}}
	s := r.Summary()
	for _, want := range []string{"5 of 21117 rows (<0.1%), field agreement 100.0%", "exposed:     1 person in 1 entidad"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	r.Match = Match{}
	r.Affected = Affected{}
	s = r.Summary()
	for _, want := range []string{"0 of 21117 rows (0.0%), field agreement n/a", "exposed:     no one"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}
