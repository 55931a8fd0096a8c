package synth

import (
	"context"
	"testing"

	"github.com/huella/huella/internal/register"
)

// BenchmarkGenerate measures WriteFiles (history + two snapshots) in people
// per second: go test ./internal/synth -run XXX -bench Generate -benchtime 3x
func BenchmarkGenerate(b *testing.B) {
	cfg := DefaultConfig()
	cfg.People = 1_000_000
	dir := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := WriteFiles(context.Background(), cfg, dir, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cfg.Total())*float64(b.N)/b.Elapsed().Seconds(), "people/s")
}

// BenchmarkGenerateVersions measures Generate (records as strings) without files.
func BenchmarkGenerateVersions(b *testing.B) {
	cfg := DefaultConfig()
	cfg.People = 50_000
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		if err := Generate(context.Background(), cfg, func(v *register.Version) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cfg.Total())*float64(b.N)/b.Elapsed().Seconds(), "people/s")
}
