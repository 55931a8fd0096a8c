package analysis

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/huella/huella/internal/register"
)

func TestCodeRoundTrip(t *testing.T) {
	m := newMatcher(register.INE(), newComparer(register.INE()), nil, nil)
	ids := map[uint32]string{}
	for _, c := range []string{"", "0", "00", "09", "9", "1234", "0123", "999999", "000001", "1000000", "A1", "ÁB", "12 3", "-1"} {
		id := m.code(c)
		if got := m.codeOf(id); got != c {
			t.Errorf("code %q: id %#x gives %q", c, id, got)
		}
		if prev, ok := ids[id]; ok && prev != c {
			t.Errorf("codes %q and %q share id %#x", prev, c, id)
		}
		ids[id] = c
		if again := m.code(c); again != id {
			t.Errorf("code %q: id %#x then %#x", c, id, again)
		}
	}
}

func TestKey18(t *testing.T) {
	a, b := toKey18("GOMC800101HDFRRR09"), toKey18("GOMC800101HDFRRR09")
	if !a.eq(&b) || a.none() {
		t.Fatal("equal keys")
	}
	for i := range b {
		c := b
		c[i] ^= 1
		if a.eq(&c) {
			t.Errorf("keys differing at byte %d compare equal", i)
		}
		z := key18{}
		z[i] = 1
		if z.none() {
			t.Errorf("key with byte %d set is none", i)
		}
	}
	if z := (key18{}); !z.none() {
		t.Error("zero key is not none")
	}
}

// TestKeyCol appends keys in pieces that cross chunk boundaries and reads
// every row back.
func TestKeyCol(t *testing.T) {
	var c keyCol
	want := 0
	for _, k := range []int{1, chunkRows - 2, 3, 0, 2*chunkRows + 5, 7} {
		keys := make([]key18, k)
		for i := range keys {
			keys[i] = toKey18(fmt.Sprintf("K%017d", want+i))
		}
		c.append(keys)
		want += k
	}
	if c.n != want || len(c.chunks) != (want+chunkRows-1)/chunkRows {
		t.Fatalf("%d rows in %d chunks, want %d rows", c.n, len(c.chunks), want)
	}
	for r := range want {
		if got := c.at(r).String(); got != fmt.Sprintf("K%017d", r) {
			t.Fatalf("row %d: %q", r, got)
		}
	}
	for _, ch := range c.chunks[:len(c.chunks)-1] {
		if len(ch) != chunkRows {
			t.Fatalf("a chunk of %d keys before the last", len(ch))
		}
	}
}

// TestAgreementOf checks the counts by population count against a field
// by field count, over the INE's fields with some hidden.
func TestAgreementOf(t *testing.T) {
	s := register.INE()
	cmp := newComparer(s)
	rnd := rand.New(rand.NewPCG(7, 7))
	for range 200 {
		visible := make([]bool, len(s.Fields))
		for f := range visible {
			visible[f] = rnd.IntN(4) > 0
		}
		m := newMatcher(s, cmp, visible, nil)
		for range 50 {
			full := uint64(1)<<len(m.vis) - 1
			p := maskPair{compared: rnd.Uint64() & full, agree: rnd.Uint64() & full} // agree may set bits compared does not
			var want agreement
			for j, f := range m.vis {
				if p.compared&(1<<j) == 0 {
					continue
				}
				ok := p.agree&(1<<j) != 0
				want.compared++
				if ok {
					want.agreeing++
				}
				if cmp.distinguishing[f] {
					want.distCompared++
					if ok {
						want.distAgreeing++
					}
				}
			}
			if got := m.agreementOf(p); got != want {
				t.Fatalf("visible %v, %+v: %+v, want %+v", visible, p, got, want)
			}
		}
	}
}

// TestKeyIndexOneSlotPerKey: a key takes one slot of the index however
// many rows hold it (rows sharing a key in one probe sequence made adding
// them quadratic), and its rows come back in row order.
func TestKeyIndexOneSlotPerKey(t *testing.T) {
	var c keyCol
	keys := make([]key18, 0, 5010)
	for i := range 5010 {
		if i%501 == 0 {
			keys = append(keys, toKey18(fmt.Sprintf("B%017d", i)))
		} else {
			keys = append(keys, toKey18("AAAA000000AAAAAA00"))
		}
	}
	c.append(keys)
	ix := newKeyIndex(len(keys), &c)
	for r := range keys {
		ix.add(r)
	}
	used := 0
	for _, s := range ix.slots {
		if s.row != 0 {
			used++
		}
	}
	if used != 11 {
		t.Errorf("%d slots used for 11 keys", used)
	}
	got := ix.rows(toKey18("AAAA000000AAAAAA00"), nil)
	if len(got) != 5000 || !slices.IsSorted(got) {
		t.Errorf("%d rows of the shared key (sorted %v), want 5000", len(got), slices.IsSorted(got))
	}
	if got := ix.rows(toKey18(fmt.Sprintf("B%017d", 501)), nil); !slices.Equal(got, []int32{501}) {
		t.Errorf("rows of B501: %v", got)
	}
}

// TestHashSeeded: the key hash depends on the process's seed (a fixed one
// let crafted CURPs share one run of slots), and the join finds the same
// rows whatever the seed (TestJoinDigest runs under each process's own).
func TestHashSeeded(t *testing.T) {
	defer func(s uint64) { hashSeed = s }(hashSeed)
	k := toKey18("AAAA000000AAAAAA00")
	hashSeed = 1
	a := hash64(&k)
	hashSeed = 2
	if hash64(&k) == a {
		t.Error("the hash does not depend on the seed")
	}
	var c keyCol
	keys := []key18{k, toKey18("BBBB000000BBBBBB00"), k}
	c.append(keys)
	for _, seed := range []uint64{0, 1, 1 << 63, 0x9E3779B97F4A7C15} {
		hashSeed = seed
		ix := newKeyIndex(len(keys), &c)
		for r := range keys {
			ix.add(r)
		}
		if got := ix.rows(k, nil); !slices.Equal(got, []int32{0, 2}) {
			t.Errorf("seed %x: rows %v", seed, got)
		}
	}
}
