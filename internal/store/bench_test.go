package store

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/huella/huella/internal/cputime"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/synth"
)

// Benchmarks load synth's register: HUELLA_BENCH_PEOPLE people (default
// 200,000) with two snapshots three months apart.
//
//	go test -run '^$' -bench . -benchtime 3x ./internal/store

var bench struct {
	once   sync.Once
	dir    string
	s1, s2 string
	err    error
}

func benchFiles(b *testing.B) (s1, s2 string) {
	bench.once.Do(func() {
		n := 200_000
		if v, err := strconv.Atoi(os.Getenv("HUELLA_BENCH_PEOPLE")); err == nil && v > 0 {
			n = v
		}
		bench.dir, bench.err = os.MkdirTemp("", "huella-bench-")
		if bench.err != nil {
			return
		}
		d1, d2 := register.MustDate("2024-01-31"), register.MustDate("2024-04-30")
		cfg := synth.Config{People: n, Seed: 1, Start: register.MustDate("2023-12-01"), End: d2, Snapshots: []register.Date{d1, d2}}
		bench.err = synth.WriteFiles(context.Background(), cfg, bench.dir, nil)
		bench.s1, bench.s2 = filepath.Join(bench.dir, synth.SnapshotFile(d1)), filepath.Join(bench.dir, synth.SnapshotFile(d2))
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.s1, bench.s2
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// cpuTime is the process's user+system CPU time so far. Benchmarks report
// rows per CPU second besides rows per second: on a shared machine the
// first is the steadier figure.
func cpuTime() time.Duration { return cputime.Used() }

// cpuMeter sums CPU time while the benchmark timer runs.
type cpuMeter struct {
	start, total time.Duration
}

func (m *cpuMeter) on()  { m.start = cpuTime() }
func (m *cpuMeter) off() { m.total += cpuTime() - m.start }

func benchStore(b *testing.B) *Store {
	dir, err := os.MkdirTemp("", "huella-bench-store-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	if err := Create(dir, register.INE()); err != nil {
		b.Fatal(err)
	}
	st, err := Open(dir, register.INE())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkLoadFirst loads a snapshot into an empty store (every row new).
func BenchmarkLoadFirst(b *testing.B) {
	s1, _ := benchFiles(b)
	var rows int64
	var cpu cpuMeter
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := benchStore(b)
		b.StartTimer()
		cpu.on()
		res, err := st.Load(context.Background(), []LoadInput{{Path: s1}}, nil)
		cpu.off()
		if err != nil {
			b.Fatal(err)
		}
		rows += res[0].Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rows)/cpu.total.Seconds(), "rows/cpu-s")
}

// BenchmarkLoadDiff loads the second snapshot on top of the first (diff).
func BenchmarkLoadDiff(b *testing.B) {
	s1, s2 := benchFiles(b)
	var rows int64
	var cpu cpuMeter
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := benchStore(b)
		if _, err := st.Load(context.Background(), []LoadInput{{Path: s1}}, nil); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu.on()
		res, err := st.Load(context.Background(), []LoadInput{{Path: s2}}, nil)
		cpu.off()
		if err != nil {
			b.Fatal(err)
		}
		rows += res[0].Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rows)/cpu.total.Seconds(), "rows/cpu-s")
}

func loadedStore(b *testing.B) *Store {
	if v, err := strconv.Atoi(os.Getenv("HUELLA_BENCH_BLOCK")); err == nil && v > 0 {
		tableBlockSize = v // A/B of the block size
	}
	s1, s2 := benchFiles(b)
	st := benchStore(b)
	if _, err := st.Load(context.Background(), []LoadInput{{Path: s1}, {Path: s2}}, nil); err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkAsOf streams the register as of the first snapshot's day.
func BenchmarkAsOf(b *testing.B) {
	benchScan(b, func(st *Store, fn func(v *register.Version) error) error {
		return st.AsOf(context.Background(), register.MustDate("2024-01-31"), fn)
	})
}

// benchScan runs scan over the loaded bench store b.N times and reports
// versions per second and per CPU-second.
func benchScan(b *testing.B, scan func(st *Store, fn func(v *register.Version) error) error) {
	st := loadedStore(b)
	b.ResetTimer()
	var rows int64
	var cpu cpuMeter
	cpu.on()
	for i := 0; i < b.N; i++ {
		if err := scan(st, func(v *register.Version) error { rows++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	cpu.off()
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rows)/cpu.total.Seconds(), "rows/cpu-s")
}

// BenchmarkByCURP looks people up by CURP, in random order.
func BenchmarkByCURP(b *testing.B) {
	st := loadedStore(b)
	var curps []string
	st.AsOf(context.Background(), register.MustDate("2024-04-30"), func(v *register.Version) error {
		if len(curps) < 100_000 {
			curps = append(curps, v.Record[1])
		}
		return nil
	})
	for i := len(curps) - 1; i > 0; i-- {
		j := int(uint64(i) * 2654435761 % uint64(i+1))
		curps[i], curps[j] = curps[j], curps[i]
	}
	b.ResetTimer()
	var cpu cpuMeter
	cpu.on()
	for i := 0; i < b.N; i++ {
		vs, err := st.ByCURP(curps[i%len(curps)])
		if err != nil || len(vs) == 0 {
			b.Fatalf("by curp: %v %d", err, len(vs))
		}
	}
	cpu.off()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
	b.ReportMetric(float64(b.N)/cpu.total.Seconds(), "gets/cpu-s")
}

// TestMakeBenchSnapshot writes a synth snapshot for scripts/bench-load.sh
// when HUELLA_BENCH_OUT is set (until "huella synth" exists).
func TestMakeBenchSnapshot(t *testing.T) {
	out := os.Getenv("HUELLA_BENCH_OUT")
	if out == "" {
		t.Skip("set HUELLA_BENCH_OUT and HUELLA_BENCH_PEOPLE")
	}
	n, _ := strconv.Atoi(os.Getenv("HUELLA_BENCH_PEOPLE"))
	d := register.MustDate("2024-01-31")
	cfg := synth.Config{People: n, Seed: 1, Start: register.MustDate("2024-01-01"), End: d, Snapshots: []register.Date{d}}
	if err := synth.WriteFiles(context.Background(), cfg, out, nil); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkVersions streams every version (the analysis's scan).
func BenchmarkVersions(b *testing.B) {
	benchScan(b, func(st *Store, fn func(v *register.Version) error) error {
		return st.Versions(context.Background(), fn)
	})
}
