//go:build !unix

package analysis

import (
	"testing"
	"time"
)

func cpuNow() time.Duration                            { return 0 }
func reportCPUPerOp(b *testing.B, start time.Duration) {}
