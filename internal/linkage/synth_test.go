package linkage

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/synth"
)

// synthRegister indexes a padrón from package synth (Mexico's name
// frequencies, sections at national density, address-writing habits,
// churn 2017-2021) and keeps a pool of versions valid at the cut.
func synthRegister(tb testing.TB, people int, seed uint64, poolN int, cut register.Date) *testRegister {
	tb.Helper()
	s := register.INE()
	tr := &testRegister{schema: s, ix: NewIndex(s)}
	cfg := synth.Config{People: people, Seed: seed,
		Start: register.MustDate("2017-01-01"), End: register.MustDate("2021-12-31")}
	g := genRNG{rand.New(rand.NewPCG(seed, 4321))}
	p := float64(poolN) / float64(people)
	err := synth.Generate(context.Background(), cfg, func(v *register.Version) error {
		tr.ix.Add(v)
		if v.ValidAt(cut) && g.Float64() < p {
			c := *v
			c.Record = append(register.Record(nil), v.Record...)
			tr.pool = append(tr.pool, c)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	tr.ix.Freeze()
	maker := synth.NewMaker(seed + 1)
	tr.stranger = func() register.Record { return maker.Person(cut) }
	return tr
}

// TestKeylessAccuracySynth is TestKeylessAccuracy on package synth's padrón.
func TestKeylessAccuracySynth(t *testing.T) {
	tr := synthRegister(t, 15000, 5, 4000, leakCut.AddMonths(36))
	tests := []struct {
		name      string
		cols      []string
		q         float64
		minRecall float64
	}{
		{"all_columns/q=0.25", nil, 0.25, 0.9975},
		{"party_columns/q=0.25", colsParty, 0.25, 0.9975},
		// The workspace's "partido" profile: names and sección, no entidad,
		// no birth date, as released (no typing errors).
		{"names_seccion/q=0", []string{register.FNombre, register.FPaterno, register.FMaterno, register.FSeccion}, 0, 0.99},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := runAccuracy(t, tr, 9, 2000, 200, tt.q, tt.cols)
			a.log(t)
			if p := a.precision(); p < 0.999 {
				t.Errorf("precision %.4f%% < 99.9%%", 100*p)
			}
			if r := a.recall(); r < tt.minRecall {
				t.Errorf("recall %.4f%% < %.2f%%", 100*r, 100*tt.minRecall)
			}
		})
	}
}
