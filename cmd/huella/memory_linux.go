package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// physicalMemory is the memory this process may use, in bytes: the
// machine's, or its control group's limit when that is lower (a
// container's); 0 when unknown.
func physicalMemory() int64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0
	}
	total := int64(si.Totalram) * int64(si.Unit)
	// cgroup v2, then v1
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := os.ReadFile(path); err == nil {
			if l, ok := cgroupLimit(b); ok && l < total {
				return l
			}
			break
		}
	}
	return total
}

// cgroupLimit reads a control group's memory limit file: a number of
// bytes, or "max" (no limit: ok is false).
func cgroupLimit(b []byte) (limit int64, ok bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil && n > 0
}
