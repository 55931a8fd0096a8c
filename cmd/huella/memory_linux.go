package main

import (
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
)

// physicalMemory is the memory this process may use, in bytes: the
// machine's, or its control group's limit when that is lower (a
// container's, or a group it was started in, such as systemd-run -p
// MemoryMax=); 0 when unknown.
func physicalMemory() int64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0
	}
	total := int64(si.Totalram) * int64(si.Unit)
	self, _ := os.ReadFile("/proc/self/cgroup")
	if l, ok := cgroupMemoryLimit(self, os.ReadFile); ok && l < total {
		return l
	}
	return total
}

// cgroupMemoryLimit is the lowest memory limit of the control groups a
// process is in (self: /proc/self/cgroup) and of their ancestors, under
// /sys/fs/cgroup, cgroup v2 (memory.max) and v1 (memory.limit_in_bytes);
// ok is false when none sets one. In a container the group's own files
// are usually at the root of the hierarchy, which is read as well.
func cgroupMemoryLimit(self []byte, read func(string) ([]byte, error)) (limit int64, ok bool) {
	// the limit files of every group and ancestor, each read once
	files := map[string]bool{}
	walk := func(root, group, file string) {
		for g := path.Clean("/" + group); ; g = path.Dir(g) {
			files[path.Join(root, g, file)] = true
			if g == "/" {
				return
			}
		}
	}
	walk("/sys/fs/cgroup", "/", "memory.max")
	walk("/sys/fs/cgroup/memory", "/", "memory.limit_in_bytes")
	for _, line := range strings.Split(string(self), "\n") {
		// hierarchy-ID:controllers:path
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		switch {
		case f[0] == "0" && f[1] == "":
			walk("/sys/fs/cgroup", f[2], "memory.max")
		case strings.Contains(","+f[1]+",", ",memory,"):
			walk("/sys/fs/cgroup/memory", f[2], "memory.limit_in_bytes")
		}
	}
	for file := range files {
		if b, err := read(file); err == nil {
			if l, lok := cgroupLimit(b); lok && (!ok || l < limit) {
				limit, ok = l, true
			}
		}
	}
	return limit, ok
}

// cgroupLimit reads a control group's memory limit file: a number of
// bytes, or "max" (no limit: ok is false).
func cgroupLimit(b []byte) (limit int64, ok bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil && n > 0
}
