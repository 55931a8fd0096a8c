package analysis

import (
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
