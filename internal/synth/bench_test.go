package synth

import (
	"context"
	"testing"
	"time"

	"github.com/huella/huella/internal/cputime"
	"github.com/huella/huella/internal/register"
)

// cpuTime is the process's user+system CPU time: on a shared machine the
// CPU per person is steadier than the wall-clock rate.
func cpuTime() time.Duration { return cputime.Used() }

// BenchmarkGenerate measures WriteFiles (history + two snapshots) of one
// million people in people per second (wall clock) and CPU µs per person:
//
//	go test ./internal/synth -run XXX -bench 'Generate$' -benchtime 3x
func BenchmarkGenerate(b *testing.B) {
	cfg := DefaultConfig()
	cfg.People = 1_000_000
	dir := b.TempDir()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := WriteFiles(context.Background(), cfg, dir, nil); err != nil {
			b.Fatal(err)
		}
	}
	people := float64(cfg.Total()) * float64(b.N)
	b.ReportMetric(people/b.Elapsed().Seconds(), "people/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/people, "cpu-µs/person")
}

// BenchmarkGenerateVersions measures Generate (records as strings, no files).
func BenchmarkGenerateVersions(b *testing.B) {
	cfg := DefaultConfig()
	cfg.People = 200_000
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Generate(context.Background(), cfg, func(v *register.Version) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	people := float64(cfg.Total()) * float64(b.N)
	b.ReportMetric(people/b.Elapsed().Seconds(), "people/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/people, "cpu-µs/person")
}
