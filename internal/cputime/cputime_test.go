package cputime

import (
	"runtime"
	"testing"
	"time"
)

// TestUsedGrowsWithWork: busy work shows in Used. The work runs until
// Used has grown by 20 ms, or 10 s have passed: on a machine shared with
// other tests the process may get a quarter of a core, so a fixed span of
// wall time says little about the CPU it gets.
func TestUsedGrowsWithWork(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no getrusage")
	}
	start := Used()
	x := uint64(1)
	deadline := time.Now().Add(10 * time.Second)
	for Used()-start < 20*time.Millisecond && time.Now().Before(deadline) {
		for i := 0; i < 100000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	if x == 0 {
		t.Log("unlikely")
	}
	if d := Used() - start; d < 20*time.Millisecond {
		t.Errorf("10 s of busy work used %v of CPU", d)
	}
}
