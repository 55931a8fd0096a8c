package release

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huella/huella/internal/cputime"
	"github.com/huella/huella/internal/fingerprint"
	"github.com/huella/huella/internal/ledger"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/store"
)

// benchRows is the register size of the benchmarks (HUELLA_BENCH_ROWS,
// default 200,000).
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("HUELLA_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

var (
	benchOnce  sync.Once
	benchStore *store.Store
	benchErr   error
)

// openBenchStore loads a synthetic register of benchRows() people into a
// store in a temporary folder (kept for the whole benchmark run).
func openBenchStore(b *testing.B) *store.Store {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "huella-release-bench-")
		if err != nil {
			benchErr = err
			return
		}
		n := benchRows()
		snap := filepath.Join(dir, "snapshot-2018-06-01.csv")
		if benchErr = writeSnapshot(snap, n); benchErr != nil {
			return
		}
		schema := register.INE()
		path := filepath.Join(dir, "store")
		if benchErr = store.Create(path, schema); benchErr != nil {
			return
		}
		st, err := store.Open(path, schema)
		if err != nil {
			benchErr = err
			return
		}
		if _, benchErr = st.Load(context.Background(), []store.LoadInput{{Path: snap}}, nil); benchErr != nil {
			return
		}
		benchStore = st
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

// writeSnapshot writes n synthetic people with address habits.
func writeSnapshot(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	schema := register.INE()
	w.WriteString(strings.Join(schema.Names(), ",") + "\n")
	seen := map[string]bool{}
	taken := func(curp, clave string) bool { return seen[curp] || seen[clave] }
	asOf := register.MustDate("2018-06-01")
	streets := []string{"CALLE", "C.", "AV.", "AVENIDA", "PRIV.", "CDA", "CALLE", "BLVD.", "CALLE"}
	names := []string{"HIDALGO", "JUAREZ", "MORELOS", "5 DE MAYO", "REFORMA", "INDEPENDENCIA", "ALLENDE", "LAS FLORES"}
	settl := []string{"COL", "COL.", "COLONIA", "FRACC.", "BARRIO", "U HAB", "COL", "CENTRO"}
	const chunk = 10_000
	for i := 0; i < n; i += chunk {
		k := min(chunk, n-i)
		for j, rec := range fingerprint.Canaries([]byte("bench register"), "part "+strconv.Itoa(i), k, asOf, taken) {
			x := i + j
			seen[rec[1]], seen[rec[0]] = true, true
			rec[schema.Index(register.FCalle)] = streets[x%len(streets)] + " " + names[x/7%len(names)]
			rec[schema.Index(register.FNumExterior)] = []string{"S/N", fmt.Sprintf("MZ %d LT %d", x%40+1, x%23+1), "SIN NUMERO", strconv.Itoa(x%500 + 1), strconv.Itoa(x%300 + 1)}[x/3%5]
			rec[schema.Index(register.FColonia)] = settl[x/11%len(settl)] + " " + names[x/13%len(names)]
			w.WriteString(strings.Join(rec, ",") + "\n")
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// peakHeap samples the live heap until stop is closed.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak {
				peak = v
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// cpuTime is the process's user + system CPU time: on a shared machine it
// measures the work better than the wall clock.
func cpuTime() time.Duration { return cputime.Used() }

// nopLedger records nothing: the benchmark measures the copy, not the ledger.
type nopLedger struct{}

func (nopLedger) Append(ledger.Entry) (int64, error) { return 0, nil }

// BenchmarkRelease compares, on the same store in the same run, writing the
// register as of a day unmarked (scan + CSV) with a full release (scan,
// marks, canaries, keyed order, CSV, SHA-256, fsync). Rows/s and the peak
// live heap are reported.
//
//	HUELLA_BENCH_ROWS=1000000 go test ./internal/release -run '^$' -bench Release -benchtime 3x
func BenchmarkRelease(b *testing.B) {
	st := openBenchStore(b)
	key := []byte("0123456789abcdef0123456789abcdef")
	asOf := register.MustDate("2018-06-01")
	schema := register.INE()
	dir := b.TempDir()
	n := benchRows()
	run := func(b *testing.B, fn func(i int) error) {
		runtime.GC()
		stop := make(chan struct{})
		peak := peakHeap(stop)
		cpu0 := cpuTime()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := fn(i); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		cpu := cpuTime() - cpu0
		close(stop)
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		b.ReportMetric(float64(<-peak)/(1<<20), "peak-heap-MB")
	}
	// plain writes the same rows with no marks: the baseline, with or
	// without the final fsync.
	plain := func(name string, sync bool) func(i int) error {
		return func(i int) error {
			out := filepath.Join(dir, fmt.Sprintf("%s-%d.csv", name, i))
			f, err := os.Create(out)
			if err != nil {
				return err
			}
			bw := bufio.NewWriterSize(f, 1<<20)
			cols := make([]int, len(schema.Fields))
			for k := range cols {
				cols[k] = k
			}
			w, _ := newCSV(bw, schema, schema.Names())
			if err := st.AsOf(context.Background(), asOf, func(v *register.Version) error {
				return w.Row(v.Record, cols)
			}); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			if sync {
				if err := f.Sync(); err != nil {
					return err
				}
			}
			f.Close()
			return os.Remove(out)
		}
	}
	b.Run("unmarked", func(b *testing.B) { run(b, plain("plain", false)) })
	b.Run("unmarked+fsync", func(b *testing.B) { run(b, plain("plainsync", true)) })
	b.Run("release", func(b *testing.B) {
		run(b, func(i int) error {
			out := filepath.Join(dir, fmt.Sprintf("rel-%d.csv", i))
			if _, err := Write(context.Background(), key, schema, st, nopLedger{}, Options{Recipient: "BENCH", AsOf: asOf, Out: out}); err != nil {
				return err
			}
			return os.Remove(out)
		})
	})
}
