package analysis

import (
	"testing"

	"github.com/huella/huella/internal/register"
)

// refHash is the definition comparer.hash implements: FNV-1a of the
// comparison form, 0 for an absent value, 1 in place of 0.
func refHash(c *comparer, f int, v string) uint32 {
	k := c.key(f, v)
	if k == "" {
		return 0
	}
	x := uint32(2166136261)
	for i := 0; i < len(k); i++ {
		x ^= uint32(k[i])
		x *= 16777619
	}
	if x == 0 {
		return 1
	}
	return x
}

var hashSeeds = []string{
	"", " ", "0", "000", "007", "0070", "JUAN", "juan", "JUAN  PEREZ", " JUAN", "JUAN ",
	"MUÑOZ", "MUNOZ", "José", "CALLE 5 DE MAYO", "C. 5 DE MAYO", "AV. JUAREZ", "S/N",
	"2018-02-15", " 2018-02-15 ", "A\tB", "0001", "HASS", "CAGJ910208HASSRS06",
}

func TestHashIsKeyHash(t *testing.T) {
	s := register.INE()
	c := newComparer(s)
	for f := range s.Fields {
		for _, v := range hashSeeds {
			t.Run(s.Fields[f].Name+"/"+v, func(t *testing.T) {
				if got, want := c.hash(f, v), refHash(c, f, v); got != want {
					t.Errorf("hash(%s, %q) = %d, key form %q hashes to %d", s.Fields[f].Name, v, got, c.key(f, v), want)
				}
			})
		}
	}
}

func FuzzHash(f *testing.F) {
	for _, v := range hashSeeds {
		f.Add(v)
	}
	s := register.INE()
	c := newComparer(s)
	f.Fuzz(func(t *testing.T, v string) {
		for i := range s.Fields {
			if got, want := c.hash(i, v), refHash(c, i, v); got != want {
				t.Fatalf("hash(%s, %q) = %d, key form %q hashes to %d", s.Fields[i].Name, v, got, c.key(i, v), want)
			}
		}
	})
}
