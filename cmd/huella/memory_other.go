//go:build !linux

package main

// physicalMemory is 0: unknown on this platform (the limit is not capped).
func physicalMemory() int64 { return 0 }
