package dating

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/huella/huella/internal/register"
)

var d = register.MustDate

func TestEstimateExample(t *testing.T) {
	var c Counter
	c.Add([]Interval{{d("2018-01-01"), d("2018-09-01")}})
	c.Add([]Interval{{d("2018-03-10"), register.NoDate}})
	c.Add([]Interval{{d("2017-01-01"), d("2018-05-01")}})
	est, err := c.Estimate(Options{First: d("2017-01-01"), Last: d("2021-12-31")})
	if err != nil {
		t.Fatal(err)
	}
	if est.BestFrom != d("2018-03-10") || est.BestTo != d("2018-04-30") {
		t.Errorf("best = %s..%s, want 2018-03-10..2018-04-30", est.BestFrom, est.BestTo)
	}
	// With three rows one disagreeing row is within noise: the band is wider.
	if est.Earliest > est.BestFrom || est.Latest < est.BestTo {
		t.Errorf("band %s..%s does not hold the best days", est.Earliest, est.Latest)
	}
	if est.AgreeingFraction != 1 || est.Agreeing != 3 || est.Rows != 3 {
		t.Errorf("agreeing %d/%d = %v", est.Agreeing, est.Rows, est.AgreeingFraction)
	}
	if est.OpenEnd || est.OpenStart || est.Disjoint {
		t.Errorf("flags: %+v", est)
	}
}

func TestEstimateCases(t *testing.T) {
	first, last := d("2017-01-01"), d("2021-12-31")
	for _, tc := range []struct {
		name             string
		rows             [][]Interval
		earliest, latest string
		openEnd          bool
	}{
		{
			name:     "open end clipped to last load",
			rows:     [][]Interval{{{d("2021-06-01"), register.NoDate}}, {{d("2020-01-01"), register.NoDate}}},
			earliest: "2021-06-01", latest: "2021-12-31", openEnd: true,
		},
		{
			name: "union of two agreeing versions",
			rows: [][]Interval{
				{{d("2017-01-01"), d("2018-01-01")}, {d("2019-01-01"), d("2020-01-01")}},
				{{d("2019-06-01"), d("2019-07-01")}},
			},
			earliest: "2019-06-01", latest: "2019-06-30",
		},
		{
			name:     "touching intervals of one row merge",
			rows:     [][]Interval{{{d("2018-01-01"), d("2018-02-01")}, {d("2018-02-01"), d("2018-03-01")}}},
			earliest: "2018-01-01", latest: "2018-02-28",
			openEnd: true, // one row is too little to exclude any day at 95%
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Counter
			for _, r := range tc.rows {
				c.Add(r)
			}
			est, err := c.Estimate(Options{First: first, Last: last})
			if err != nil {
				t.Fatal(err)
			}
			if got := est.BestFrom.String() + ".." + est.BestTo.String(); got != tc.earliest+".."+tc.latest {
				t.Errorf("best %s, want %s..%s", got, tc.earliest, tc.latest)
			}
			if est.OpenEnd != tc.openEnd {
				t.Errorf("openEnd=%v", est.OpenEnd)
			}
		})
	}
}

func TestNoRows(t *testing.T) {
	var c Counter
	c.Add(nil)
	if _, err := c.Estimate(Options{}); err != ErrNoRows {
		t.Fatalf("err = %v, want ErrNoRows", err)
	}
}

func TestWiden(t *testing.T) {
	snaps := []register.Date{d("2017-01-01"), d("2018-01-01"), d("2019-01-01")}
	for _, tc := range []struct{ in, want Interval }{
		{Interval{d("2018-01-01"), d("2019-01-01")}, Interval{d("2017-01-02"), d("2019-01-01")}},
		{Interval{d("2017-01-01"), d("2018-01-01")}, Interval{d("2017-01-01"), d("2018-01-01")}},
		{Interval{d("2018-05-05"), register.NoDate}, Interval{d("2018-05-05"), register.NoDate}},
	} {
		if got := Widen(tc.in, snaps); got != tc.want {
			t.Errorf("Widen(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// simulate draws people whose records change at random days with rate
// perMonth, cuts at cut, and returns each sampled row's consistent interval.
func simulate(r *rand.Rand, rows int, perMonth float64, first, last, cut register.Date) [][]Interval {
	out := make([][]Interval, 0, rows)
	span := float64(last - first)
	for len(out) < rows {
		// change days of one person
		var changes []register.Date
		n := int(perMonth * span / 30.4 * 2 * r.Float64())
		for range n {
			changes = append(changes, first+register.Date(r.IntN(int(span))))
		}
		sort.Slice(changes, func(i, j int) bool { return changes[i] < changes[j] })
		from, to := first-1000, register.NoDate
		for _, ch := range changes {
			if ch <= cut {
				from = ch
			} else {
				to = ch
				break
			}
		}
		out = append(out, []Interval{{from, to}})
	}
	return out
}

func TestCoverageAndWidth(t *testing.T) {
	first, last := d("2017-01-01"), d("2021-12-31")
	r := rand.New(rand.NewPCG(1, 2))
	var widths []int
	misses := 0
	const trials = 200
	for range trials {
		cut := first + 100 + register.Date(r.IntN(int(last-first)-200))
		var c Counter
		for _, iv := range simulate(r, 1000, 0.012, first, last, cut) {
			c.Add(iv)
		}
		est, err := c.Estimate(Options{First: first, Last: last})
		if err != nil {
			t.Fatal(err)
		}
		if cut < est.Earliest || cut > est.Latest {
			misses++
		}
		widths = append(widths, int(est.Latest-est.Earliest)+1)
	}
	sort.Ints(widths)
	if misses > trials/20 {
		t.Errorf("truth outside the band in %d of %d trials", misses, trials)
	}
	if med := widths[len(widths)/2]; med > 45 {
		t.Errorf("median width %d days at 1,000 rows, want ≤45", med)
	}
	t.Logf("1,000 rows: misses %d/%d, median width %d days", misses, trials, widths[len(widths)/2])
}

func TestNoiseKeepsTruth(t *testing.T) {
	// 2% of rows are consistent only with an unrelated day range: the band
	// must still hold the cut.
	first, last := d("2017-01-01"), d("2021-12-31")
	r := rand.New(rand.NewPCG(3, 4))
	misses := 0
	for range 100 {
		cut := first + 100 + register.Date(r.IntN(int(last-first)-200))
		var c Counter
		for _, iv := range simulate(r, 1000, 0.012, first, last, cut) {
			c.Add(iv)
		}
		for range 20 {
			x := first + register.Date(r.IntN(int(last-first)))
			c.Add([]Interval{{x, x + 30}})
		}
		est, _ := c.Estimate(Options{First: first, Last: last})
		if cut < est.Earliest || cut > est.Latest {
			misses++
		}
	}
	if misses > 5 {
		t.Errorf("truth outside the band in %d of 100 noisy trials", misses)
	}
}

func TestSnapshotsOnly(t *testing.T) {
	// A store of yearly snapshots; a copy cut mid-2018 shows versions first
	// seen at 2019-01-01 (changed before the cut) and versions that ended at
	// 2019-01-01 (changed after): after widening, the answer is the span
	// between the 2018 and 2019 snapshots.
	snaps := []register.Date{d("2017-01-01"), d("2018-01-01"), d("2019-01-01"), d("2020-01-01")}
	var c Counter
	c.Add([]Interval{Widen(Interval{d("2019-01-01"), register.NoDate}, snaps)})
	c.Add([]Interval{Widen(Interval{d("2017-01-01"), d("2019-01-01")}, snaps)})
	c.Add([]Interval{Widen(Interval{d("2018-01-01"), d("2020-01-01")}, snaps)})
	est, err := c.Estimate(Options{First: snaps[0], Last: snaps[3], Snapshots: snaps})
	if err != nil {
		t.Fatal(err)
	}
	if est.BestFrom != d("2018-01-02") || est.BestTo != d("2018-12-31") || !est.SnapshotsOnly {
		t.Errorf("best %s..%s", est.BestFrom, est.BestTo)
	}
}

func TestSlack(t *testing.T) {
	for _, tc := range []struct{ n, m, want int }{
		{1000, 1000, 0},
		{1000, 990, 6},
		{10, 10, 0},
		{0, 0, 0},
	} {
		if got := Slack(tc.n, tc.m); got != tc.want {
			t.Errorf("Slack(%d,%d) = %d, want %d", tc.n, tc.m, got, tc.want)
		}
	}
}

func BenchmarkEstimate1M(b *testing.B) {
	first, last := d("2017-01-01"), d("2021-12-31")
	r := rand.New(rand.NewPCG(1, 2))
	rows := simulate(r, 1_000_000, 0.012, first, last, d("2018-06-15"))
	b.ResetTimer()
	for range b.N {
		var c Counter
		for _, iv := range rows {
			c.Add(iv)
		}
		if _, err := c.Estimate(Options{First: first, Last: last}); err != nil {
			b.Fatal(err)
		}
	}
}
