package fingerprint

import (
	"strings"
	"testing"
	"time"

	"github.com/huella/huella/internal/cputime"
	"github.com/huella/huella/internal/register"
)

// cpuTime is the process's user + system CPU time: on a shared machine it
// measures the work better than the wall clock.
func cpuTime() time.Duration { return cputime.Used() }

func benchEncode(dst []byte, rec register.Record) []byte {
	for i, v := range rec {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, v...)
	}
	return append(dst, '\n')
}

// BenchmarkCopy is the cost of a fingerprinted copy per row (marks,
// canaries, keyed order in blocks of 65,536) over encoding the same rows in
// register order (BenchmarkPlain). The rows come from memory.
//
//	go test ./internal/fingerprint -run '^$' -bench 'Copy|Plain'
func BenchmarkCopy(b *testing.B) {
	reg := testRegister(100_000, 12)
	stats := NewFormStats()
	for _, ps := range reg[:20000] {
		stats.Add(ine, ps.rec)
	}
	var total int
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		m := NewMarker(testKey, "bench", ine, nil, DefaultParams(), stats)
		c := m.NewEncodedCopy(ine, register.MustDate("2018-06-01"), nil, benchEncode, func(p []byte) error { total += len(p); return nil })
		for _, ps := range reg {
			c.Add(ps.pid, ps.rec)
		}
		c.Close()
	}
	b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N*len(reg)), "cpu-ns/row")
}

func BenchmarkPlain(b *testing.B) {
	reg := testRegister(100_000, 12)
	var buf []byte
	var total int
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		for _, ps := range reg {
			buf = benchEncode(buf[:0], ps.rec)
			total += len(buf)
		}
	}
	b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N*len(reg)), "cpu-ns/row")
}

func BenchmarkMark(b *testing.B) {
	reg := testRegister(10_000, 13)
	m := NewMarker(testKey, "bench", ine, nil, DefaultParams(), nil)
	rec := make(register.Record, len(ine.Fields))
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		ps := reg[i%len(reg)]
		copy(rec, ps.rec)
		m.markInPlace(ps.pid, rec)
	}
	b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N), "cpu-ns/row")
	_ = strings.Join(rec, ",")
}

// BenchmarkAttributeSample scores a 1,000-row sample against 20 releases:
// the attribution part of analysing a forum "proof sample".
//
//	go test ./internal/fingerprint -run '^$' -bench AttributeSample
func BenchmarkAttributeSample(b *testing.B) {
	reg := testRegister(5000, 21)
	var rels []Release
	var leak []register.Record
	for k := 0; k < 20; k++ {
		rows, rel := makeCopy(b, "rel-bench-"+string(rune('a'+k)), reg, DefaultParams())
		rels = append(rels, rel)
		if k == 7 {
			leak = rows[:1000]
		}
	}
	obs := observe(reg, leak)
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		ev := Attribute(testKey, rels, obs, 1e-6)
		if !ev[7].Accused {
			b.Fatal("not accused")
		}
	}
	b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
}
