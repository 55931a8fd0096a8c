package linkage

import (
	"testing"

	"github.com/huella/huella/internal/register"
)

func TestCivil(t *testing.T) {
	for d := register.MustDate("1800-01-01"); d < register.MustDate("2200-01-01"); d += 37 {
		y, m, day := civil(d)
		y2, m2, d2 := d.YMD()
		if y != y2 || m != m2 || day != d2 {
			t.Fatalf("civil(%v) = %d-%d-%d", d, y, m, day)
		}
	}
}
