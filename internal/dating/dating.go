// Package dating estimates the cut-off instant of a leaked copy of a register:
// the day the copy was taken, from the versions its rows show.
//
// # Model
//
// Every matched leaked row is consistent with a set of days: the union of the
// validity intervals [ValidFrom, ValidTo) of the versions of its person that
// agree with the row's visible fields (the caller decides agreement; package
// analysis compares normalised values, addresses in canonical form). A copy cut
// at day T shows, for every person, the version valid at T, so every genuine
// row is consistent with T. Rows that constrain nothing (a person who never
// changed) are consistent with every day the person existed.
//
// The count c(t) is the number of rows consistent with day t. It is a step
// function that changes only at interval endpoints, so it is computed by one
// sweep over the sorted endpoints (O(E log E) for E endpoints, independent of
// the span's length). M = max c(t) is the most rows any single day agrees
// with; the agreeing fraction is M/N for N dated rows.
//
// # Confidence band
//
// Each row is taken to agree with the true cut T with probability q and to be
// noise otherwise (a damaged row, a row from another cut), so the likelihood
// of T is q^c(T)·(1−q)^(N−c(T)) and the log-likelihood ratio of the best day
// against t is (M − c(t))·ln(q/(1−q)), with q = (M+1)/(N+2). The band at
// level 95% is every day with ratio ≤ χ²₁(0.95)/2 = 1.92. Because noise rows
// are not independent of each other (a second cut mixed in moves many at
// once), the band also admits days within 1.96·√(N−M) rows of M: with no
// noise (M = N) the band is exactly the days every row agrees with. The
// reported interval [Earliest, Latest] is the run of consecutive band days
// that holds the best day; other runs (a file that mixes cuts) are listed in
// Runs.
//
// # Known span
//
// The store knows the register only between its first and last loaded
// instants (First, Last). The band is clipped to [First, Last]; when it
// touches Last the copy may be later than anything loaded and OpenEnd says
// so (likewise OpenStart at First).
//
// When the store was built from snapshots only, a version first seen at
// snapshot s_k may have begun on any day after the previous snapshot
// s_{k−1}; Widen moves such a ValidFrom back to s_{k−1}+1. The estimate is
// then a snapshot or the span between two, never a finer claim than the data
// allow.
//
// # Example
//
// Three rows consistent with [2018-01-01, 2018-09-01), [2018-03-10, ∞) and
// [2017-01-01, 2018-05-01): every row agrees with 2018-03-10 … 2018-04-30,
// so BestFrom = 2018-03-10, BestTo = 2018-04-30, AgreeingFraction = 1. With
// only three rows one disagreeing row is within noise (Slack = 1), so the 95%
// band [Earliest, Latest] is wider; at 1,000 rows it shrinks to days.
package dating

import (
	"errors"
	"math"
	"slices"

	"github.com/huella/huella/internal/register"
)

// Interval is a half-open range of days [From, To); To = register.NoDate is
// an open end.
type Interval struct {
	From, To register.Date
}

// Options describe what the store knows.
type Options struct {
	// First and Last are the first and last instants loaded into the store.
	First, Last register.Date
	// Snapshots are the snapshot instants loaded, ascending, when the store
	// holds snapshots only; nil when it holds an exact change history.
	Snapshots []register.Date
}

// Run is a run of consecutive days of the band, inclusive, and the most
// rows any of its days agrees with.
type Run struct {
	From, To register.Date
	Max      int
}

// Point is one step of the agreement curve: from Day on (until the next
// point), Count rows agree with a cut on that day.
type Point struct {
	Day   register.Date `json:"day"`
	Count int           `json:"count"`
}

// Estimate is the dated cut-off of a leak.
type Estimate struct {
	Rows             int     // rows that carried a dating constraint (N)
	Agreeing         int     // most rows any single day agrees with (M)
	AgreeingFraction float64 // M / N
	// Best is the hull of the days with c(t) = M, clipped to the known span.
	BestFrom, BestTo register.Date // inclusive
	// Earliest and Latest are the hull of the 95% band, clipped, inclusive.
	Earliest, Latest register.Date
	Slack            int  // rows below M a day may be and stay in the band
	Disjoint         bool // the band is more than one run of days (mixed cuts?)
	// Runs are the band's runs of consecutive days; [Earliest, Latest] is
	// the run that reaches M.
	Runs          []Run
	OpenStart     bool // the band reaches the first loaded instant: the cut may be earlier
	OpenEnd       bool // the band reaches the last loaded instant: the cut may be later
	SnapshotsOnly bool
	// Curve is c(t) over [First, Last] as steps, for charts.
	Curve []Point
}

// ErrNoRows is returned when no row carries a dating constraint.
var ErrNoRows = errors.New("dating: no matched row to date")

// Widen moves a ValidFrom that falls on a snapshot instant (other than the
// first) back to the day after the previous snapshot, where the version may
// really have begun. With no snapshots it returns iv unchanged.
func Widen(iv Interval, snapshots []register.Date) Interval {
	if len(snapshots) < 2 {
		return iv
	}
	k, found := slices.BinarySearch(snapshots, iv.From)
	if found && k > 0 {
		iv.From = snapshots[k-1] + 1
	}
	return iv
}

// Merge sorts intervals and joins overlapping or touching ones, so a row
// counts at most once on any day.
func Merge(ivs []Interval) []Interval {
	out := make([]Interval, 0, len(ivs))
	for _, iv := range ivs {
		if iv.To <= iv.From {
			continue
		}
		out = append(out, iv)
	}
	slices.SortFunc(out, func(a, b Interval) int { return int(a.From) - int(b.From) })
	n := 0
	for _, iv := range out {
		if n > 0 && iv.From <= out[n-1].To {
			if iv.To > out[n-1].To {
				out[n-1].To = iv.To
			}
			continue
		}
		out[n] = iv
		n++
	}
	return out[:n]
}

// Counter accumulates rows' consistent days; Estimate reads the result.
// It keeps one count per day (intervals opening minus intervals closing
// that day) over the span of days seen, not one event per row: ten million
// rows cost a few kilobytes, and nothing needs sorting.
// The zero value is ready to use.
type Counter struct {
	base   register.Date // the day of deltas[0]
	deltas []int64
	rows   int
}

type event struct {
	day   register.Date
	delta int64
}

// add counts d on day.
func (c *Counter) add(day register.Date, d int64) {
	if len(c.deltas) == 0 {
		c.base, c.deltas = day, make([]int64, 1, 1024)
	}
	if day < c.base {
		n := int(c.base - day)
		c.deltas = append(make([]int64, n, n+len(c.deltas)+1024), c.deltas...)
		c.base = day
	}
	i := int(day - c.base)
	if i >= len(c.deltas) {
		c.deltas = append(c.deltas, make([]int64, i+1-len(c.deltas))...)
	}
	c.deltas[i] += d
}

// Add records one row consistent with the union of ivs. Rows with no
// interval are ignored (they date nothing).
func (c *Counter) Add(ivs []Interval) {
	if len(ivs) == 1 { // the usual row: one version agrees; nothing to merge
		iv := ivs[0]
		if iv.To <= iv.From {
			return
		}
		c.rows++
		c.add(iv.From, +1)
		if iv.To != register.NoDate {
			c.add(iv.To, -1)
		}
		return
	}
	ivs = Merge(ivs)
	if len(ivs) == 0 {
		return
	}
	c.rows++
	for _, iv := range ivs {
		c.add(iv.From, +1)
		if iv.To != register.NoDate {
			c.add(iv.To, -1)
		}
	}
}

// Rows is the number of rows added.
func (c *Counter) Rows() int { return c.rows }

// Estimate computes the cut-off estimate.
func (c *Counter) Estimate(opt Options) (*Estimate, error) {
	if c.rows == 0 {
		return nil, ErrNoRows
	}
	first, last := opt.First, opt.Last
	if last < first {
		first, last = last, first
	}
	var ev []event // by day
	for i, d := range c.deltas {
		if d != 0 {
			ev = append(ev, event{c.base + register.Date(i), d})
		}
	}

	// Steps of c(t): at each distinct event day the count changes. The
	// curve starts at `first` with the count of intervals already open.
	type step struct {
		day   register.Date
		count int
	}
	var steps []step
	cur := 0
	i := 0
	for i < len(ev) && ev[i].day <= first {
		cur += int(ev[i].delta)
		i++
	}
	steps = append(steps, step{first, cur})
	for i < len(ev) && ev[i].day <= last {
		d := ev[i].day
		for i < len(ev) && ev[i].day == d {
			cur += int(ev[i].delta)
			i++
		}
		if steps[len(steps)-1].day == d {
			steps[len(steps)-1].count = cur
		} else {
			steps = append(steps, step{d, cur})
		}
	}
	// end(k) is the last day (inclusive) of step k.
	end := func(k int) register.Date {
		if k+1 < len(steps) {
			return steps[k+1].day - 1
		}
		return last
	}

	m := 0
	for _, s := range steps {
		m = max(m, s.count)
	}
	n := c.rows
	est := &Estimate{
		Rows:             n,
		Agreeing:         m,
		AgreeingFraction: float64(m) / float64(n),
		SnapshotsOnly:    len(opt.Snapshots) > 0,
	}
	est.Slack = Slack(n, m)

	// The band's runs of consecutive days; the main run is the one that
	// reaches M (the earliest such, if several do).
	var run *Run
	for k, s := range steps {
		inBand := m > 0 && s.count >= m-est.Slack
		if !inBand {
			run = nil
			continue
		}
		if run == nil {
			est.Runs = append(est.Runs, Run{From: s.day, To: end(k), Max: s.count})
			run = &est.Runs[len(est.Runs)-1]
		}
		run.To = end(k)
		run.Max = max(run.Max, s.count)
	}
	est.Disjoint = len(est.Runs) > 1
	est.BestFrom, est.BestTo = register.NoDate, register.NoDate
	est.Earliest, est.Latest = register.NoDate, register.NoDate
	for _, r := range est.Runs {
		if r.Max == m {
			est.Earliest, est.Latest = r.From, r.To
			break
		}
	}
	for k, s := range steps {
		if s.count == m && m > 0 && s.day >= est.Earliest && s.day <= est.Latest {
			if est.BestFrom == register.NoDate {
				est.BestFrom = s.day
			}
			est.BestTo = end(k)
		}
	}
	if est.Earliest != register.NoDate {
		est.OpenStart = est.Earliest <= first && first != last
		est.OpenEnd = est.Latest >= last
	}
	est.Curve = make([]Point, len(steps))
	for k, s := range steps {
		est.Curve[k] = Point{s.day, s.count}
	}
	return est, nil
}

// Slack is how many rows below the best count M (of N) a day may be and stay
// in the 95% band: the larger of the binomial likelihood-ratio allowance and
// 1.96·√(N−M).
func Slack(n, m int) int {
	if n <= 0 || m <= 0 {
		return 0
	}
	q := (float64(m) + 1) / (float64(n) + 2)
	lr := 1.92 / math.Log(q/(1-q))
	if q <= 0.5 || math.IsInf(lr, 0) || math.IsNaN(lr) {
		lr = float64(m) // no signal: every day with any agreement
	}
	noise := 1.96 * math.Sqrt(float64(n-m))
	return int(math.Floor(max(lr, noise)))
}
