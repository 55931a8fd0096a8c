package analysis

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/huella/huella/internal/addr"
	"github.com/huella/huella/internal/cputime"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/synth"
)

// fieldValue is one value of one field, as comparer.hash sees it.
type fieldValue struct {
	f int
	v string
}

// hashMix is the values the analysis hashes for n synthetic people: each
// register value (names with Ñ, addresses in the person's habitual
// spellings, codes with leading zeros, dates) and the same value as a
// leaked copy shows it: accents and Ñ stripped, every address slot
// rewritten in a spelling drawn from all its class's spellings (what
// fingerprinted copies and leakers do). With lower, the leaked values are
// also lower-cased with doubled spaces (attack.Lower, attack.PadSpaces).
func hashMix(s *register.Schema, n int, lower bool) []fieldValue {
	m := synth.NewMaker(7)
	r := rand.New(rand.NewPCG(7, 11))
	asOf := register.MustDate("2021-06-01")
	var out []fieldValue
	for range n {
		rec := m.Person(asOf)
		for f, v := range rec {
			if v == "" {
				continue
			}
			out = append(out, fieldValue{f, v})
			l := strings.ReplaceAll(v, "Ñ", "N")
			if s.Fields[f].Role == register.RoleAddress {
				slots := addr.Forms(l)
				spell := make([]int, len(slots))
				for i, sl := range slots {
					spell[i] = r.IntN(addr.SpellingCount(sl.Class))
				}
				l = addr.Set(addr.Normal(l), slots, spell)
			}
			if lower {
				l = " " + strings.ReplaceAll(strings.ToLower(l), " ", "  ") + " "
			}
			out = append(out, fieldValue{f, l})
		}
	}
	return out
}

// BenchmarkHash is comparer.hash per value over hashMix: register and
// leaked values of every field, in record order.
func BenchmarkHash(b *testing.B) {
	s := register.INE()
	c := newComparer(s)
	for _, bc := range []struct {
		name  string
		lower bool
		only  func(f int) bool
	}{
		{"mix", false, nil},
		{"addr", false, func(f int) bool { return c.kind[f] == cmpAddr }},
		{"text", false, func(f int) bool { return c.kind[f] == cmpText }},
		{"code", false, func(f int) bool { return c.kind[f] == cmpCode }},
		{"lower", true, nil},
	} {
		vals := hashMix(s, 500, bc.lower)
		if bc.only != nil {
			k := 0
			for _, x := range vals {
				if bc.only(x.f) {
					vals[k] = x
					k++
				}
			}
			vals = vals[:k]
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var sink uint32
			i := 0
			start := cputime.Used()
			for b.Loop() {
				x := vals[i]
				sink += c.hash(x.f, x.v)
				if i++; i == len(vals) {
					i = 0
				}
			}
			cputime.ReportPerOp(b, start)
			_ = sink
		})
	}
}

// BenchmarkAddrMemo is an address value's hash through a worker's memo:
// values that repeat (hashMix's addresses of 500 people, over and over),
// values that never repeat (a street with a running number, where the
// memo stands aside after its first period) and the same through the
// comparer alone.
func BenchmarkAddrMemo(b *testing.B) {
	s := register.INE()
	c := newComparer(s)
	var repeat []fieldValue
	for _, x := range hashMix(s, 500, false) {
		if c.kind[x.f] == cmpAddr {
			repeat = append(repeat, x)
		}
	}
	calle := s.Index(register.FCalle)
	distinct := make([]fieldValue, 1<<20)
	for i := range distinct {
		distinct[i] = fieldValue{calle, "C MORELOS " + strconv.Itoa(i)}
	}
	for _, bc := range []struct {
		name string
		vals []fieldValue
		memo bool
	}{
		{"repeat", repeat, true},
		{"repeat-direct", repeat, false},
		{"distinct", distinct, true},
		{"distinct-direct", distinct, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := new(addrMemo)
			var sink uint32
			i := 0
			start := cputime.Used()
			for b.Loop() {
				x := bc.vals[i]
				if bc.memo {
					sink += m.hash(c, x.f, x.v)
				} else {
					sink += c.hash(x.f, x.v)
				}
				if i++; i == len(bc.vals) {
					i = 0
				}
			}
			cputime.ReportPerOp(b, start)
			_ = sink
		})
	}
}
