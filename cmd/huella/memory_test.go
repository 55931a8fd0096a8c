package main

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

func TestMemoryLimitGrowsWithRows(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	l := newMemoryLimit()
	if gc := debug.SetGCPercent(100); os.Getenv("GOGC") == "" && gc != analysisGCPercent {
		t.Errorf("GOGC %d under the memory limit, want %d", gc, analysisGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != memoryBase {
		t.Fatalf("initial limit %d, want %d", got, memoryBase)
	}
	l.rows(1_000_000) // 512 MiB + 300 MB: below the base
	if got := debug.SetMemoryLimit(-1); got != memoryBase {
		t.Errorf("after 1M rows: limit %d, want the base %d", got, memoryBase)
	}
	l.rows(30_000_000)
	want := min(int64(memoryFixed+30_000_000*memoryPerRow), l.max)
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Errorf("after 30M rows: limit %d, want %d", got, want)
	}
	l.rows(10_000_000) // never lowered
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Errorf("after fewer rows: limit %d, want %d still", got, want)
	}
	l.rows(math.MaxInt64 / memoryPerRow / 2)
	if got := debug.SetMemoryLimit(-1); got != l.max {
		t.Errorf("huge leak: limit %d, want the cap %d", got, l.max)
	}
	if physicalMemory() > 0 && l.max > physicalMemory() {
		t.Errorf("cap %d above the machine's memory %d", l.max, physicalMemory())
	}
	var none *memoryLimit
	none.rows(1) // GOMEMLIMIT set: nothing to do, no panic
}
