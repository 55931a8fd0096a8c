// Package cputime reads how much CPU time this process has used, user and
// system, on every thread (garbage collection included). Benchmarks report
// work per CPU-second beside work per wall-second: on a machine shared
// with other jobs the first does not depend on the others' load.
//
//	start := cputime.Used()
//	... the work ...
//	b.ReportMetric(float64(cputime.Used()-start)/float64(b.N), "cpu-ns/op")
//
// Where the platform has no getrusage, Used is always 0.
package cputime

import (
	"testing"
	"time"
)

// ReportPerOp reports the CPU time per operation of b since start (a Used
// reading) as cpu-ns/op: the wall time of a single-goroutine loop on a
// shared machine counts the time other processes hold the core, its CPU
// time does not.
func ReportPerOp(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(Used()-start)/float64(b.N), "cpu-ns/op")
}
