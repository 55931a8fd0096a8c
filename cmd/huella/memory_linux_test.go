package main

import (
	"io/fs"
	"syscall"
	"testing"
)

func TestCgroupLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"max\n", 0, false},
		{"1073741824\n", 1 << 30, true},
		{"9223372036854771712\n", 9223372036854771712, true}, // v1's "no limit": above any machine
		{"", 0, false},
		{"-1\n", 0, false},
	} {
		got, ok := cgroupLimit([]byte(tc.in))
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("cgroupLimit(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	files := map[string]string{
		"/sys/fs/cgroup/memory/memory.limit_in_bytes":          "9223372036854771712\n",
		"/sys/fs/cgroup/memory/batch/memory.limit_in_bytes":    "8589934592\n",
		"/sys/fs/cgroup/memory/batch/j1/memory.limit_in_bytes": "9223372036854771712\n",
		"/sys/fs/cgroup/memory.max":                            "max\n",
		"/sys/fs/cgroup/user.slice/memory.max":                 "max\n",
		"/sys/fs/cgroup/user.slice/run-1.scope/memory.max":     "3221225472\n",
	}
	read := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	for _, tc := range []struct {
		self string
		want int64
		ok   bool
	}{
		{"", 9223372036854771712, true},                                         // the roots only: v1's "no limit"
		{"4:memory:/batch/j1\n0::/\n", 8 << 30, true},                           // v1: a parent's limit
		{"0::/user.slice/run-1.scope\n", 3 << 30, true},                         // v2: the group's own
		{"5:cpu,memory:/batch\n", 8 << 30, true},                                // v1, controllers joined
		{"0::/user.slice/run-1.scope/../../batch\n", 9223372036854771712, true}, // v2 path cleaned: no v2 limit there
	} {
		got, ok := cgroupMemoryLimit([]byte(tc.self), read)
		if ok != tc.ok || got != tc.want {
			t.Errorf("cgroupMemoryLimit(%q) = %d, %v; want %d, %v", tc.self, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := cgroupMemoryLimit(nil, func(string) ([]byte, error) { return nil, fs.ErrNotExist }); ok {
		t.Error("no control group files: a limit")
	}

	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err == nil {
		if got, total := physicalMemory(), int64(si.Totalram)*int64(si.Unit); got <= 0 || got > total {
			t.Errorf("physicalMemory %d, the machine's %d", got, total)
		}
	}
}
