package linkage

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/huella/huella/internal/cputime"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/synth"
)

// benchPeople makes about a million versions (1.8 versions per person).
const benchPeople = 555000

// BenchmarkIndexBuildSynth indexes package synth's padrón of 600,000 people
// over 2017-2021 (about 1M versions) and reports the heap the frozen index
// holds per version; generation is outside the timer.
//
//	go test ./internal/linkage -run '^$' -bench IndexBuildSynth -benchtime 1x
func BenchmarkIndexBuildSynth(b *testing.B) {
	s := register.INE()
	var vs []register.Version
	cfg := synth.Config{People: 600000, Seed: 7,
		Start: register.MustDate("2017-01-01"), End: register.MustDate("2021-12-31")}
	if err := synth.Generate(context.Background(), cfg, func(v *register.Version) error {
		vs = append(vs, register.Version{PersonID: v.PersonID, ValidFrom: v.ValidFrom, ValidTo: v.ValidTo,
			Record: append(register.Record(nil), v.Record...)})
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		cpu0 := cpuTime()
		ix := NewIndex(s)
		for k := range vs {
			ix.Add(&vs[k])
		}
		ix.Freeze()
		cpu := cpuTime() - cpu0
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/float64(ix.Len()), "heap-B/version")
		b.ReportMetric(float64(ix.MemoryBytes())/float64(ix.Len()), "est-B/version")
		b.ReportMetric(float64(ix.Len()), "versions")
		b.ReportMetric(float64(ix.Len())/cpu.Seconds(), "versions/cpu-s")
		runtime.KeepAlive(ix)
	}
}

// BenchmarkIndexBuild adds about 1M versions of the linkage tests' own
// generator and freezes the index; it reports the heap the frozen index
// holds per version (generation is inside the timer here).
//
//	go test ./internal/linkage -run '^$' -bench IndexBuild -benchtime 1x
func BenchmarkIndexBuild(b *testing.B) {
	s := register.INE()
	people := genPeople(benchPeople, 42, 1)
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		ix := NewIndex(s)
		genVersions(people, 42, s, func(v *register.Version) { ix.Add(v) })
		ix.Freeze()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/float64(ix.Len()), "heap-B/version")
		b.ReportMetric(float64(ix.MemoryBytes())/float64(ix.Len()), "est-B/version")
		b.ReportMetric(float64(ix.Len()), "versions")
		runtime.KeepAlive(ix)
	}
}

// cpuTime is the CPU time the process has used (all threads, GC included):
// on a machine shared with other jobs, rows per CPU-second is the figure
// that does not depend on the others' load.
func cpuTime() time.Duration { return cputime.Used() }

var benchReg *testRegister

func benchRegister(b *testing.B) *testRegister {
	if benchReg == nil {
		b.StopTimer()
		benchReg = newLeanRegister(b, benchPeople, 42, 30000)
		runtime.GC()
		b.StartTimer()
	}
	return benchReg
}

// keylessSample is n keyless rows of the register with typing errors at
// rate q, in the party column set when party is true.
func keylessSample(tr *testRegister, n int, q float64, cols []string) []register.Record {
	g := genRNG{rand.New(rand.NewPCG(3, 3))}
	clean, _ := tr.leak(g, n, register.MustDate("2016-06-01"))
	out := make([]register.Record, 0, n)
	for _, r := range clean {
		d, _ := damage(g, tr.schema, r, true, q)
		if cols != nil {
			for i, f := range tr.schema.Fields {
				keep := false
				for _, c := range cols {
					keep = keep || c == f.Name
				}
				if !keep {
					d[i] = ""
				}
			}
		}
		out = append(out, d)
	}
	return out
}

// BenchmarkLinkAll links a 1,000-row keyless sample (all columns but the
// keys, typing errors at q = 0.1) against the ~1M-version index, EM
// included; rows/s is the figure.
//
//	go test ./internal/linkage -run '^$' -bench 'LinkAll|LinkOne' -benchtime 5x
func BenchmarkLinkAll(b *testing.B) {
	for _, sc := range []struct {
		name string
		cols []string
	}{{"all_columns", nil}, {"party_columns", colsParty}} {
		b.Run(sc.name, func(b *testing.B) {
			tr := benchRegister(b)
			recs := keylessSample(tr, 1000, 0.1, sc.cols)
			runtime.GC()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				tr.ix.LinkAll(recs)
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(b.N*len(recs))/cpu.Seconds(), "rows/cpu-s")
		})
	}
}

// benchLink links recs one at a time, round robin, b.N times.
func benchLink(b *testing.B, tr *testRegister, recs []register.Record) {
	runtime.GC()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		tr.ix.Link(recs[i%len(recs)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
}

// BenchmarkLinkOne links one keyless row at a time with the prior model.
func BenchmarkLinkOne(b *testing.B) {
	tr := benchRegister(b)
	recs := keylessSample(tr, 1000, 0.1, nil)
	benchLink(b, tr, recs)
}

// BenchmarkLinkKeyed links rows that carry their CURP (the common case of a
// full dump).
func BenchmarkLinkKeyed(b *testing.B) {
	tr := benchRegister(b)
	g := genRNG{rand.New(rand.NewPCG(4, 4))}
	recs, _ := tr.leak(g, 1000, register.MustDate("2016-06-01"))
	benchLink(b, tr, recs)
}

// BenchmarkKeylessAccuracy measures issue 5 item 3 at scale: 10,000 keyless
// rows with typing errors (q = 0.25: two errors a row on average) plus 1,000
// rows of people not in the register, against the ~1M-version index. It
// reports precision and recall in percent.
//
//	go test ./internal/linkage -run '^$' -bench KeylessAccuracy -benchtime 1x
func BenchmarkKeylessAccuracy(b *testing.B) {
	for _, sc := range []struct {
		name string
		cols []string
		q    float64
	}{
		{"all_columns/q=0.25", nil, 0.25},
		{"party_columns/q=0.25", colsParty, 0.25},
		{"names_birth_entidad/q=0.10", colsNamesBirth, 0.10},
		{"names_address/q=0.10", colsNamesAddress, 0.10},
	} {
		b.Run(sc.name, func(b *testing.B) {
			tr := benchRegister(b)
			for i := 0; i < b.N; i++ {
				a := runAccuracy(b, tr, 11, 10000, 1000, sc.q, sc.cols)
				a.log(b)
				b.ReportMetric(100*a.precision(), "precision-%")
				b.ReportMetric(100*a.recall(), "recall-%")
				b.ReportMetric(float64(a.wrong), "wrong")
			}
		})
	}
}
