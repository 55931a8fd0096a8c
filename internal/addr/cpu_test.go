package addr_test

import (
	"testing"
	"time"

	"github.com/huella/huella/internal/cputime"
)

// cpuNow is the CPU time (user and system) this process has used.
func cpuNow() time.Duration { return cputime.Used() }

// reportCPUPerOp reports the CPU time per operation since start (from cpuNow)
// as cpu-ns/op: on a shared machine the wall time of a single-goroutine,
// allocation-free loop counts the time other processes hold the core, its
// CPU time does not.
func reportCPUPerOp(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuNow()-start)/float64(b.N), "cpu-ns/op")
}
