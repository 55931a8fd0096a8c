//go:build unix

package analysis

import (
	"syscall"
	"testing"
	"time"
)

// cpuNow is the CPU time (user and system) this process has used.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPUPerOp reports the CPU time per operation since start (from cpuNow)
// as cpu-ns/op: on a shared machine the wall time of a single-goroutine,
// allocation-free loop counts the time other processes hold the core, its
// CPU time does not.
func reportCPUPerOp(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuNow()-start)/float64(b.N), "cpu-ns/op")
}
