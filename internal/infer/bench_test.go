package infer

import (
	"testing"

	"github.com/huella/huella/internal/register"
)

// go test ./internal/infer -run XXX -bench .
func BenchmarkInfer1000(b *testing.B) {
	schema := register.INE()
	recs := people(5, 1000)
	rows := make([][]string, len(recs))
	for i, r := range recs {
		rows[i] = []string(r)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Infer(schema, schema.Names(), rows)
	}
}

func BenchmarkRecord(b *testing.B) {
	schema := register.INE()
	recs := people(5, 1000)
	rows := make([][]string, len(recs))
	for i, r := range recs {
		rows[i] = []string(r)
	}
	m := Infer(schema, nil, rows)
	var rec register.Record
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec = m.Record(rows[i%len(rows)], rec)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
