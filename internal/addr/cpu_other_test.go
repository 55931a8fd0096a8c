//go:build !unix

package addr_test

import (
	"testing"
	"time"
)

func cpuNow() time.Duration                            { return 0 }
func reportCPUPerOp(b *testing.B, start time.Duration) {}
