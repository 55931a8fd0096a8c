package main

import (
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
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err == nil {
		if got, total := physicalMemory(), int64(si.Totalram)*int64(si.Unit); got <= 0 || got > total {
			t.Errorf("physicalMemory %d, the machine's %d", got, total)
		}
	}
}
