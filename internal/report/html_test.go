package report

import (
	"strings"
	"testing"
)

func render(t *testing.T, r *Report) string {
	t.Helper()
	b, err := r.HTML(Manifest{LedgerIndex: -1})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkHTML(t *testing.T, s string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("HTML lacks %q", w)
		}
	}
	for _, n := range not {
		if strings.Contains(s, n) {
			t.Errorf("HTML has %q", n)
		}
	}
}

// TestHTMLSamePeopleBanner: identity fields alone cannot show whose copy a
// file is, so the banner must not say it is not ours.
func TestHTMLSamePeopleBanner(t *testing.T) {
	r := sample()
	r.Verdict = SamePeopleOtherSource
	checkHTML(t, render(t, r), []string{"Same people as our register: not shown to be our copy"}, []string{"not our copy"})
}

// mixed is a file mixed from a 2018 cut (150 rows) and a 2021 cut (850
// rows) whose curve peaks between them, on days that date neither copy.
func mixed() *Report {
	r := sample()
	r.Cutoff = &Cutoff{
		Earliest: "2021-02-15", Latest: "2021-02-17", BestEarliest: "2021-02-15", BestLatest: "2021-02-17",
		AgreeingFraction: 0.85, RowsDated: 1000, Confidence: 0.95,
		OtherCuts: []OtherCut{{Earliest: "2018-02-15", Latest: "2018-02-15", Rows: 150, AgreeingFraction: 0.15}},
		Curve: []CurvePoint{{"2017-01-01", 0}, {"2018-02-15", 150}, {"2018-02-16", 100}, {"2020-12-30", 900},
			{"2021-01-01", 880}, {"2021-02-15", 850}, {"2021-02-18", 10}},
	}
	r.Attribution = []Attribution{
		{Recipient: "OLD", ReleaseID: "r18", AsOf: "2018-02-15", Threshold: 6, FalseAccusationBound: 1,
			Evidence: Evidence{Marks: 10, Agreeing: 5, CutInstant: "2018-02-15", CutAgrees: true}},
		{Recipient: "NEW", ReleaseID: "r21", AsOf: "2021-02-15", Threshold: 6, FalseAccusationBound: 1,
			Evidence: Evidence{Marks: 10, Agreeing: 5, CutInstant: "2021-02-15", CutAgrees: true}},
		{Recipient: "MID", ReleaseID: "r19", AsOf: "2019-06-01", Threshold: 6, FalseAccusationBound: 1,
			Evidence: Evidence{Marks: 10, Agreeing: 5, CutInstant: "2019-06-01"}},
	}
	return r
}

// TestHTMLMixedCuts: when a second cut is mixed in and the curve peaks
// outside the band, the caption names the peak and each cut with its rows
// and does not say most rows agree with the band; when the peak is inside
// the band, it does.
func TestHTMLMixedCuts(t *testing.T) {
	t.Run("peak between the cuts", func(t *testing.T) {
		checkHTML(t, render(t, mixed()),
			[]string{"The curve peaks at 2020-12-30 … 2020-12-31 (900 rows), outside both cuts",
				"850 rows agree with the cut-off band, 2021-02-15 … 2021-02-17",
				"150 rows agree with the other cut, 2018-02-15:"},
			[]string{"Most rows agree", "2018-02-15 … 2018-02-15"})
	})
	t.Run("peak inside the band", func(t *testing.T) {
		r := mixed()
		r.Cutoff.Curve = []CurvePoint{{"2017-01-01", 0}, {"2018-02-15", 150}, {"2018-02-16", 100}, {"2021-02-15", 850}, {"2021-02-18", 10}}
		checkHTML(t, render(t, r),
			[]string{"Most rows agree with 2021-02-15 … 2021-02-17.", "150 rows agree with the other cut, 2018-02-15:"},
			[]string{"peaks"})
	})
}

// TestHTMLCutPlace: a release cut at the instant of the other cut mixed in
// is not said to lie inside the cut-off band, though its evidence says the
// leak's cuts hold it.
func TestHTMLCutPlace(t *testing.T) {
	checkHTML(t, render(t, mixed()),
		[]string{"cut 2018-02-15 (the other cut mixed in)", "cut 2021-02-15 (inside the cut-off band)", "cut 2019-06-01 (outside the band)"},
		[]string{"cut 2018-02-15 (inside"})
}

// TestHTMLWording: what the HTML itself words agrees with its numbers:
// plurals, nobody exposed, no rows matched, shares near 0 and 1, one-day
// ranges, no marks, a row-order p-value that underflowed, no compression.
func TestHTMLWording(t *testing.T) {
	for _, tc := range []struct {
		name      string
		edit      func(r *Report)
		want, not []string
	}{
		{"one of each", func(r *Report) {
			r.Input.Rows, r.Match.RowsMatched, r.Cutoff.RowsDated = 1, 1, 1
			r.Affected = Affected{People: 1, ByEntidad: map[string]int{"09": 1}}
		}, []string{"· 1 row ·", "1 of 1 row matched", "of 1 dated row agree", "1 person in 1 entidad<"}, []string{"1 rows", "1 entidades", "1 people"}},
		{"nobody", func(r *Report) {
			r.Match = Match{}
			r.Affected = Affected{}
		}, []string{"No one in the register is exposed", "field agreement n/a"}, []string{"0 people in 0 entidades", "field agreement 0.0%"}},
		{"tiny share", func(r *Report) {
			r.Input.Rows, r.Match.RowsMatched, r.Match.MatchRate = 20000, 1, 0.00005
		}, []string{"(&lt;0.1%)"}, []string{"(0.0%)"}},
		{"almost all", func(r *Report) {
			r.Input.Rows, r.Match.RowsMatched, r.Match.MatchRate = 20000, 19999, 0.99995
		}, []string{"(&gt;99.9%)"}, []string{"(100.0%)"}},
		{"one day", func(r *Report) {
			r.Cutoff.Latest, r.Cutoff.BestEarliest, r.Cutoff.BestLatest = r.Cutoff.Earliest, r.Cutoff.Earliest, r.Cutoff.Earliest
			r.Store.First, r.Store.Last = "2018-02-15", "2018-02-15"
		}, []string{"Most rows agree with 2018-03-01."}, []string{"2018-03-01 … 2018-03-01", "2018-02-15 … 2018-02-15"}},
		{"no marks", func(r *Report) {
			r.Attribution[1].Evidence.Marks = 0
		}, []string{"no address marks"}, []string{"marks 0/0"}},
		{"order p underflow", func(r *Report) {
			r.Attribution[0].Evidence.Carriers = []Carrier{{Name: "row_order", Log10Bound: -500.2, Detail: "ascents"}}
		}, []string{"row-order p 1e-501"}, []string{"row-order p 0.0e"}},
		{"no compression", func(r *Report) {
			r.Input.Compression = "none"
		}, nil, []string{"· none"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sample()
			tc.edit(r)
			checkHTML(t, render(t, r), tc.want, tc.not)
		})
	}
}
