package benchacc

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"

	"github.com/huella/huella/internal/attack"
	"github.com/huella/huella/internal/register"
)

// linkage measures keyless linkage: leaks of cfg.LinkageRows rows of a copy
// with the CURP and clave columns removed and typing errors injected
// (attack.Typos, DefaultTypoRates), analysed end to end. Truth is the
// person each row was cut from; the analysis's affected people are compared
// with it person by person (a leak holds each person once). Canary rows are
// left out of these leaks: they are nobody.
func (w *world) linkage(ctx context.Context, cfg Config, dir string, l *Linkage, tick func()) error {
	l.Verdicts = map[string]int{}
	l.ByMethod = map[string]int{}
	keep := slices.DeleteFunc(w.schema.Names(), func(n string) bool { return n == register.FCURP || n == register.FClave })
	for t := range cfg.LinkageTrials {
		r := rand.New(rand.NewPCG(w.seed, 0x6c696e6b<<8|uint64(t)))
		i := r.IntN(len(w.copies))
		cp := w.copies[i]
		ci := cp.Col(register.FCURP)
		// The copy's rows that are people of the register, and who they are.
		real := &attack.Table{Header: cp.Header}
		var ids []uint64
		for _, row := range cp.Rows {
			vs, err := w.st.ByCURP(row[ci])
			if err != nil || len(vs) == 0 {
				continue
			}
			real.Rows = append(real.Rows, row)
			ids = append(ids, vs[0].PersonID)
		}
		// Sample rows and keep their persons.
		idx := r.Perm(len(real.Rows))[:min(cfg.LinkageRows, len(real.Rows))]
		slices.Sort(idx)
		leak := &attack.Table{Header: real.Header}
		truth := map[uint64]bool{}
		for _, k := range idx {
			leak.Rows = append(leak.Rows, real.Rows[k])
			truth[ids[k]] = true
		}
		leak = attack.KeepColumns(leak, keep...)
		leak, n := attack.Typos(leak, attack.DefaultTypoRates, r)
		addTypos(&l.Typos, n)
		path := dir + "-keyless.csv"
		if err := attack.WriteFile(path, leak, attack.CSV); err != nil {
			return err
		}
		res, err := w.analyze(ctx, path)
		os.Remove(path)
		if err != nil {
			return err
		}
		l.Trials++
		l.Rows += len(truth)
		l.Verdicts[res.Report.Verdict]++
		for m, k := range res.Report.Match.ByMethod {
			l.ByMethod[m] += k
		}
		seen := map[uint64]bool{}
		for _, curp := range res.Affected {
			vs, err := w.st.ByCURP(curp)
			if err != nil || len(vs) == 0 {
				l.Linked++
				l.FalsePositives++
				continue
			}
			p := vs[0].PersonID
			if seen[p] {
				continue
			}
			seen[p] = true
			l.Linked++
			if truth[p] {
				l.TruePositives++
			} else {
				l.FalsePositives++
			}
		}
		tick()
	}
	return nil
}

func addTypos(a *attack.TypoCount, b attack.TypoCount) {
	a.Rows += b.Rows
	a.RowsChanged += b.RowsChanged
	a.Transposed += b.Transposed
	a.Dropped += b.Dropped
	a.SwappedGiven += b.SwappedGiven
	a.NoMaterno += b.NoMaterno
	a.DayMonth += b.DayMonth
}
