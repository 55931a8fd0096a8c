package benchacc

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/huella/huella/internal/attack"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/report"
)

// Full is the sample size that stands for the whole copy.
const Full = 0

// Config sizes a run.
type Config struct {
	Seed       uint64
	People     int // people in the synthetic register at its start
	Recipients int // copies released, dealt over Cuts
	// Trials per sample size (Full for the whole copy); a size missing
	// from the map is not run.
	SingleTrials    map[int]int
	NotOursTrials   map[int]int
	CollusionTrials map[int]int
	// LinkageTrials leaks of LinkageRows rows for keyless linkage.
	LinkageTrials, LinkageRows int
	// Only, when not empty, runs only the attacks whose names contain one
	// of these strings (and skips keyless linkage unless one is "linkage").
	Only    []string
	Workers int    // trials analysed at once (default 2)
	Dir     string // working folder (default: a new temporary folder, removed after)
	// Progress, when set, reports what is being built and trials done.
	Progress func(msg string, done, total int)
}

// FullConfig is the full run: about 20 minutes on two shared cores.
func FullConfig(seed uint64) Config {
	return Config{Seed: seed, People: 20000, Recipients: 20,
		SingleTrials:    map[int]int{100: 20, 300: 12, 1000: 20, 10000: 3, Full: 2},
		NotOursTrials:   map[int]int{100: 20, 1000: 20, Full: 2},
		CollusionTrials: map[int]int{1000: 10, 5000: 20},
		LinkageTrials:   10, LinkageRows: 1000}
}

// QuickConfig is the CI run: a few minutes.
func QuickConfig(seed uint64) Config {
	return Config{Seed: seed, People: 12000, Recipients: 20,
		SingleTrials:    map[int]int{100: 3, 1000: 3, Full: 1},
		NotOursTrials:   map[int]int{100: 3, Full: 1},
		CollusionTrials: map[int]int{5000: 4},
		LinkageTrials:   2, LinkageRows: 1000}
}

// Cell is one attack × sample size.
type Cell struct {
	Attack  string
	Kind    Kind
	Carrier bool
	Rows    int // requested sample size; Full for the whole copy
	Trials  int
	// Attribution: correct (a leaker accused, no innocent), inconclusive
	// (nobody accused), wrong (an innocent accused).
	Correct, Inconclusive, Wrong int
	Innocents, InnocentsAccused  int // innocent recipient evaluations, and accusations of them
	VerdictRight                 int // verdict as expected (ours, partial, not_ours)
	CalledOurs                   int // not-ours leaks called ours or partial
	Dated, Covered               int // trials with a cut-off band; truth inside it
	Widths                       []int
	RowsSeen                     int // rows of the leaks (mean = RowsSeen/Trials)
	Failures                     []string
}

// MedianWidth is the median band width in days, or -1.
func (c *Cell) MedianWidth() int { return median(c.Widths) }

func median(w []int) int {
	if len(w) == 0 {
		return -1
	}
	s := slices.Clone(w)
	slices.Sort(s)
	return s[len(s)/2]
}

// Linkage is the keyless linkage measurement.
type Linkage struct {
	Trials, Rows   int // leaks, rows (people) in them
	Linked         int // people the analysis reported
	TruePositives  int // of them, people who are in the leak
	FalsePositives int
	Typos          attack.TypoCount
	Verdicts       map[string]int // verdict → leaks
	ByMethod       map[string]int // how the analysis linked the rows (report match.by_method)
}

// Precision is TP / linked.
func (l *Linkage) Precision() float64 { return ratio(l.TruePositives, l.Linked) }

// Recall is TP / rows.
func (l *Linkage) Recall() float64 { return ratio(l.TruePositives, l.Rows) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Result is a run.
type Result struct {
	Config  Config
	Cells   []*Cell
	Linkage Linkage
	Elapsed time.Duration
	Setup   time.Duration
	Build   string // what was measured: the build's version control revision, when known
}

type job struct {
	cell  *Cell
	att   Attack
	rows  int
	trial int
}

// Run builds the world, runs every trial and tallies.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	start := time.Now()
	progress := func(msg string, done, total int) {
		if cfg.Progress != nil {
			cfg.Progress(msg, done, total)
		}
	}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "huella-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	w, err := build(ctx, cfg, dir, func(s string) { progress(s, 0, 0) })
	if w != nil {
		defer w.close()
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Config: cfg, Setup: time.Since(start)}

	var jobs []job
	linkTrials := cfg.LinkageTrials
	if len(cfg.Only) > 0 && !slices.Contains(cfg.Only, "linkage") {
		linkTrials = 0
	}
	for _, a := range Suite() {
		if len(cfg.Only) > 0 && !slices.ContainsFunc(cfg.Only, func(s string) bool { return strings.Contains(a.Name, s) }) {
			continue
		}
		trials := cfg.SingleTrials
		switch a.Kind {
		case NotOurs:
			trials = cfg.NotOursTrials
		case Collude2, Collude3, MixedCuts:
			trials = cfg.CollusionTrials
		}
		for _, n := range sizes(trials) {
			c := &Cell{Attack: a.Name, Kind: a.Kind, Carrier: a.Carrier, Rows: n}
			res.Cells = append(res.Cells, c)
			for t := range trials[n] {
				jobs = append(jobs, job{cell: c, att: a, rows: n, trial: t})
			}
		}
	}
	// Big leaks first, so the workers finish together.
	slices.SortStableFunc(jobs, func(a, b job) int { return weight(b.rows) - weight(a.rows) })

	trialDir := filepath.Join(dir, "trials")
	if err := os.MkdirAll(trialDir, 0o755); err != nil {
		return nil, err
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = min(2, runtime.GOMAXPROCS(0))
	}
	total := len(jobs) + linkTrials
	var (
		mu   sync.Mutex
		done int
		next int
		ferr error
		wg   sync.WaitGroup
	)
	for k := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= len(jobs) || ferr != nil {
					mu.Unlock()
					return
				}
				j := jobs[next]
				next++
				mu.Unlock()
				o, err := w.trial(ctx, j, filepath.Join(trialDir, fmt.Sprintf("w%d", k)))
				mu.Lock()
				if err != nil {
					if ferr == nil {
						ferr = fmt.Errorf("%s, %s rows, trial %d: %w", j.att.Name, sizeName(j.rows), j.trial, err)
					}
				} else {
					o.tally(j.cell)
				}
				done++
				progress("trials", done, total)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ferr != nil {
		return nil, ferr
	}
	cfg.LinkageTrials = linkTrials
	if err := w.linkage(ctx, cfg, trialDir, &res.Linkage, func() {
		done++
		progress("trials", done, total)
	}); err != nil {
		return nil, fmt.Errorf("keyless linkage: %w", err)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func weight(n int) int {
	if n == Full {
		return 1 << 30
	}
	return n
}

func sizes(m map[int]int) []int {
	var out []int
	for n, t := range m {
		if t > 0 {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b int) int { return weight(a) - weight(b) })
	return out
}

func sizeName(n int) string {
	if n == Full {
		return "all"
	}
	return fmt.Sprint(n)
}

// outcome is one trial's result.
type outcome struct {
	kind     Kind
	expect   string
	verdict  string
	leakers  []string // release ids
	accused  []string
	releases int
	truth    register.Date   // cut of the leaked copy (single leaks)
	truths   []register.Date // the cuts of the copies mixed (MixedCuts)
	cutoff   *report.Cutoff
	rows     int
	note     string
}

func (o *outcome) tally(c *Cell) {
	c.Trials++
	c.RowsSeen += o.rows
	wrong, right := 0, 0
	for _, a := range o.accused {
		if slices.Contains(o.leakers, a) {
			right++
		} else {
			wrong++
		}
	}
	switch {
	case wrong > 0:
		c.Wrong++
		c.Failures = append(c.Failures, fmt.Sprintf("accused %v, leakers %v: %s", o.accused, o.leakers, o.note))
	case right > 0:
		c.Correct++
	default:
		c.Inconclusive++
	}
	c.Innocents += o.releases - len(o.leakers)
	c.InnocentsAccused += wrong
	if o.verdict == o.expect {
		c.VerdictRight++
	}
	if o.kind == NotOurs && (o.verdict == report.Ours || o.verdict == report.Partial) {
		c.CalledOurs++
	}
	if o.kind == MixedCuts {
		// covered: the band holds one of the cuts, and the other cut is
		// named and holds the other (each person's row from one of the
		// two copies at random: about half the rows from each)
		holds := func(a, b string, t register.Date) bool {
			e, err1 := register.ParseDate(a)
			l, err2 := register.ParseDate(b)
			return err1 == nil && err2 == nil && e <= t && t <= l
		}
		if o.cutoff != nil {
			c.Dated++
			for k, t := range o.truths {
				if !holds(o.cutoff.Earliest, o.cutoff.Latest, t) {
					continue
				}
				other := o.truths[1-k]
				if len(o.cutoff.OtherCuts) > 0 && holds(o.cutoff.OtherCuts[0].Earliest, o.cutoff.OtherCuts[0].Latest, other) {
					c.Covered++
				}
				break
			}
		}
	}
	if o.kind == Single {
		if o.cutoff != nil {
			c.Dated++
			e, err1 := register.ParseDate(o.cutoff.Earliest)
			l, err2 := register.ParseDate(o.cutoff.Latest)
			if err1 == nil && err2 == nil {
				c.Widths = append(c.Widths, int(l-e))
				if e <= o.truth && o.truth <= l {
					c.Covered++
				}
			}
		} else {
			c.Widths = append(c.Widths, 1<<20) // no band: counts as infinitely wide
		}
	}
}

// trial makes one leak, analyses it and says what happened.
func (w *world) trial(ctx context.Context, j job, base string) (*outcome, error) {
	o, leak, err := w.leak(j)
	if err != nil {
		return nil, err
	}
	path := base + "." + j.att.Format.Ext()
	if err := attack.WriteFile(path, leak, j.att.Format); err != nil {
		return nil, err
	}
	defer os.Remove(path)
	res, err := w.analyze(ctx, path)
	if err != nil {
		return nil, err
	}
	o.report(res.Report)
	return o, nil
}

// leak makes job j's leak: the attacked table, and who made it.
func (w *world) leak(j job) (*outcome, *attack.Table, error) {
	seed := w.seedOf(j)
	r := rand.New(rand.NewPCG(seed, uint64(j.rows)<<20|uint64(j.trial)))
	o := &outcome{kind: j.att.Kind, expect: j.att.Expect, releases: len(w.rels)}
	var leak *attack.Table
	switch j.att.Kind {
	case Single:
		i := r.IntN(len(w.copies))
		c := w.cutOf[i]
		o.leakers = []string{w.rels[i].ID}
		o.truth = w.rels[i].AsOf
		leak = j.att.Apply(attack.Sample(w.copies[i], sampleSize(j.rows), r), w.other[c], r)
	case NotOurs:
		c := r.IntN(len(Cuts))
		leak = attack.Sample(w.other[c], sampleSize(j.rows), r)
	case Collude2, Collude3:
		k := 2
		if j.att.Kind == Collude3 {
			k = 3
		}
		var cuts []int
		for c, rs := range w.byCut {
			if len(rs) >= k {
				cuts = append(cuts, c)
			}
		}
		if len(cuts) == 0 {
			return nil, nil, fmt.Errorf("%d colluders need %d releases at one cut: release to at least %d recipients", k, k, k*len(Cuts))
		}
		c := cuts[r.IntN(len(cuts))]
		pick := slices.Clone(w.byCut[c])
		r.Shuffle(len(pick), func(a, b int) { pick[a], pick[b] = pick[b], pick[a] })
		pick = pick[:k]
		copies := make([]*attack.Table, k)
		for x, i := range pick {
			copies[x] = w.copies[i]
			o.leakers = append(o.leakers, w.rels[i].ID)
		}
		leak = j.att.Mix(copies, sampleSize(j.rows), r)
	case MixedCuts:
		var cuts []int // the cuts some recipient got a copy of
		for c, rs := range w.byCut {
			if len(rs) > 0 {
				cuts = append(cuts, c)
			}
		}
		if len(cuts) < 2 {
			return nil, nil, fmt.Errorf("copies of two cuts need releases at two cuts: release to at least %d recipients", len(Cuts))
		}
		var copies []*attack.Table
		for _, k := range r.Perm(len(cuts))[:2] {
			c := cuts[k]
			i := w.byCut[c][r.IntN(len(w.byCut[c]))]
			copies = append(copies, w.copies[i])
			o.leakers = append(o.leakers, w.rels[i].ID)
			o.truths = append(o.truths, w.rels[i].AsOf)
		}
		leak = j.att.Mix(copies, sampleSize(j.rows), r)
	}
	o.rows = len(leak.Rows)
	return o, leak, nil
}

func (o *outcome) report(rep *report.Report) {
	o.verdict = rep.Verdict
	o.cutoff = rep.Cutoff
	for _, a := range rep.Accused() {
		o.accused = append(o.accused, a.ReleaseID)
	}
	o.note = rep.Verdict + "; " + rep.AttributionStatus
}

func sampleSize(n int) int {
	if n == Full {
		return 1 << 62
	}
	return n
}

func (w *world) seedOf(j job) uint64 {
	h := uint64(14695981039346656037)
	for _, b := range []byte(j.att.Name) {
		h ^= uint64(b)
		h *= 1099511628211
	}
	return h ^ w.seed
}

// SetTrials runs n trials in every cell (and n keyless-linkage leaks):
// for smoke tests.
func (c *Config) SetTrials(n int) {
	for _, m := range []map[int]int{c.SingleTrials, c.NotOursTrials, c.CollusionTrials} {
		for k := range m {
			m[k] = n
		}
	}
	c.LinkageTrials = n
}
