package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestSorters(t *testing.T) {
	for _, n := range []int{0, 1, 10, 5000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 3))
			ks, kv, spilled := newKeySorter(), newSorter(), newKeySorter()
			spilled.spill = &spillTo{dir: t.TempDir(), budget: 300}
			want := map[string]string{}
			for i := 0; i < n; i++ {
				k := strings.Repeat("k", rng.IntN(40)) + fmt.Sprint(rng.IntN(n/2+1))
				v := fmt.Sprint(i)
				ks.add([]byte(k))
				if err := spilled.add([]byte(k)); err != nil {
					t.Fatal(err)
				}
				kv.add([]byte(k), []byte(v))
				want[k] = v // the last one added wins
			}
			keys := make([]string, 0, len(want))
			for k := range want {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if n >= 5000 && len(spilled.runs) < 5 {
				t.Errorf("%d runs written, want at least 5", len(spilled.runs))
			}
			for _, s := range []sortedKVs{ks, kv, spilled} {
				s.sort()
				var got []string
				s.each(func(k, v []byte) error {
					got = append(got, string(k))
					if _, isKV := s.(*kvSorter); isKV && want[string(k)] != string(v) {
						t.Errorf("key %q: value %q, want the last added %q", k, v, want[string(k)])
					}
					return nil
				})
				if !slices.Equal(got, keys) {
					t.Errorf("%T: %d keys, want %d sorted distinct", s, len(got), len(keys))
				}
			}
		})
	}
}

// TestSortInline: the parallel sort orders keys as one sort does, with
// many equal keys, a least key as common as can be, and sizes around the
// split's threshold.
func TestSortInline(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 1000, 1<<16 - 1, 1 << 16, 200_000} {
		for _, distinct := range []int{1, 3, 1000, 1 << 30} {
			ents := make([]inlineKey, n)
			for i := range ents {
				v := uint64(r.IntN(distinct))
				ents[i] = inlineKey{w: [4]uint64{v >> 3, v * 0x9E3779B97F4A7C15, 0, 0}, n: uint8(9 + v%20)}
			}
			want := slices.Clone(ents)
			slices.SortFunc(want, compareInline)
			sortInlineIn(ents, 4) // split whatever the machine's cores
			if !slices.Equal(ents, want) {
				t.Fatalf("%d keys, %d distinct: not sorted as one sort does", n, distinct)
			}
		}
	}
}
