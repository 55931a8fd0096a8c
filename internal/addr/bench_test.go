package addr_test

import (
	"math/rand/v2"
	"testing"

	"github.com/huella/huella/internal/addr"
	"github.com/huella/huella/internal/cputime"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/synth"
)

// addressMix is the address values of n synthetic people (calle, número
// exterior and interior, colonia) as the register holds them, each followed
// by the same value with every slot respelled at random among all its
// class's spellings, as fingerprinted copies and leakers write them.
func addressMix(n int) []string {
	s := register.INE()
	m := synth.NewMaker(7)
	r := rand.New(rand.NewPCG(7, 11))
	asOf := register.MustDate("2021-06-01")
	var out []string
	for range n {
		rec := m.Person(asOf)
		for f, v := range rec {
			if v == "" || s.Fields[f].Role != register.RoleAddress {
				continue
			}
			slots := addr.Forms(v)
			spell := make([]int, len(slots))
			for i, sl := range slots {
				spell[i] = r.IntN(addr.SpellingCount(sl.Class))
			}
			out = append(out, v, addr.Set(addr.Normal(v), slots, spell))
		}
	}
	return out
}

// BenchmarkCanonical is the canonical form of one address value of
// addressMix, as a string (Canonical) and into a stack buffer
// (AppendCanonical).
func BenchmarkCanonical(b *testing.B) {
	vals := addressMix(500)
	b.Run("Canonical", func(b *testing.B) {
		b.ReportAllocs()
		n, i := 0, 0
		start := cputime.Used()
		for b.Loop() {
			n += len(addr.Canonical(vals[i]))
			if i++; i == len(vals) {
				i = 0
			}
		}
		cputime.ReportPerOp(b, start)
	})
	b.Run("AppendCanonical", func(b *testing.B) {
		b.ReportAllocs()
		n, i := 0, 0
		start := cputime.Used()
		for b.Loop() {
			var buf [128]byte
			n += len(addr.AppendCanonical(buf[:0], vals[i]))
			if i++; i == len(vals) {
				i = 0
			}
		}
		cputime.ReportPerOp(b, start)
	})
}
