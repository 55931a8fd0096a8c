package addr

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestAppendCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"AV. JUAREZ MZ 5 LT 12 S/N", "AVENIDA JUAREZ MANZANA 5 LOTE 12 SIN NUMERO"},
		{"AVENIDA JUAREZ", "AVENIDA JUAREZ"},
		{"av juárez mz. 5", "AVENIDA JUAREZ MANZANA 5"},
		{"C", "C"},
		{"HIDALGO C", "HIDALGO C"},
		{"PRIV. DE LA PEÑA", "PRIVADA DE LA PEÑA"},
		{"MZ Ñ LT 3", "MZ Ñ LOTE 3"}, // Ñ is not number-like: it stays a word, not N
		{"U.HAB. TLATELOLCO", "UNIDAD HABITACIONAL TLATELOLCO"},
		{"U HAB  EL ROSARIO ", "UNIDAD HABITACIONAL EL ROSARIO"},
		{"DOM. CONOCIDO", "DOMICILIO CONOCIDO"},
		{"CONOCIDO   5 MZ \x91", "CONOCIDO 5 MZ \uFFFD"}, // splitNormal fails after its digit: split starts afresh
		{"", ""},
		{"   ", ""},
		{"A B C D E F G H I J K L M N O P Q R S T U V W X S/N", "A B C D E F G H I J K L M N O P Q R S T U V W X S/N"},
		{"A B C D E F G H I J K L M N O P Q R S T U V W S/N", "A B C D E F G H I J K L M N O P Q R S T U V W SIN NUMERO"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var buf [16]byte
			if got := string(AppendCanonical(buf[:0], tt.in)); got != tt.want {
				t.Errorf("AppendCanonical(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := Canonical(tt.in); got != tt.want {
				t.Errorf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := string(AppendCanonical([]byte("x"), tt.in)); got != "x"+tt.want {
				t.Errorf("AppendCanonical(\"x\", %q) = %q, want %q", tt.in, got, "x"+tt.want)
			}
		})
	}
}

func TestAppendCanonicalAllocs(t *testing.T) {
	vals := []string{"AV. JUAREZ MZ 5 LT 12 S/N", "PRIV. DE LA PEÑA", "COL CENTRO", "123", "U HAB EL ROSARIO"}
	n := testing.AllocsPerRun(100, func() {
		for _, v := range vals {
			var buf [128]byte
			_ = AppendCanonical(buf[:0], v)
		}
	})
	if n != 0 {
		t.Errorf("AppendCanonical of normal values: %v allocations, want 0", n)
	}
}

// FuzzAppendCanonical checks AppendCanonical against Canonical, and the
// one-pass splitNormal against Normal and split.
func FuzzAppendCanonical(f *testing.F) {
	for _, s := range []string{"AV. JUAREZ MZ 5 LT 12 S/N", "PRIV. DE LA PEÑA", "c. muñoz  s/n", "MZ Ñ LT 3", " X", "X ", "A  B", "\xc3", "\xc3\x91", "N\u0303", "×"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(AppendCanonical(nil, s)), canonicalRef(s); got != want {
			t.Fatalf("AppendCanonical(%q) = %q, reference %q", s, got, want)
		}
		if got, want := Canonical(s), canonicalRef(s); got != want {
			t.Fatalf("Canonical(%q) = %q, reference %q", s, got, want)
		}
		var a, b words
		if a.splitNormal(s) {
			if n := Normal(s); n != s {
				t.Fatalf("splitNormal accepted %q, Normal is %q", s, n)
			}
			b.split(s)
			if a.n != b.n || !slices.Equal(a.starts[:a.n], b.starts[:b.n]) || !slices.Equal(a.ends[:a.n], b.ends[:b.n]) || a.num&(1<<a.n-1) != b.num&(1<<b.n-1) {
				t.Fatalf("splitNormal(%q) = %+v, split = %+v", s, a, b)
			}
		}
	})
}

// formsRef is AppendForms as first written (a word list, then every
// spelling with the word's first word compared in turn): the reference the
// table-driven AppendForms must agree with.
func formsRef(s string) []Slot {
	var starts, ends []int
	for i := 0; i < len(s); {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			break
		}
		j := i
		for j < len(s) && s[j] != ' ' {
			j++
		}
		starts, ends = append(starts, i), append(ends, j)
		i = j
	}
	n := len(starts)
	if n > maxWords {
		return nil
	}
	var out []Slot
	for k := 0; k < n; {
		var found *spelling
		for _, sp := range byFirst[s[starts[k]:ends[k]]] {
			w := len(sp.words)
			if k+w > n {
				continue
			}
			same := true
			for i := 1; i < w; i++ {
				same = same && s[starts[k+i]:ends[k+i]] == sp.words[i]
			}
			ok := same
			switch classes[sp.class].Where {
			case Prefix:
				ok = ok && k == 0 && k+w < n
			case Number:
				ok = ok && k+w < n && numberLike(s[starts[k+w]:ends[k+w]])
			case Trailing:
				ok = ok && k+w == n
			}
			if ok {
				found = &sp
				break
			}
		}
		if found == nil {
			k++
			continue
		}
		out = append(out, Slot{Start: starts[k], End: ends[k+len(found.words)-1], Class: found.class, Group: found.group, Spelling: found.index})
		k += len(found.words)
	}
	return out
}

// canonicalRef is Canonical as first written, on formsRef.
func canonicalRef(s string) string {
	s = Normal(s)
	slots := formsRef(s)
	return Set(s, slots, make([]int, len(slots)))
}

func FuzzFormsRef(f *testing.F) {
	for _, s := range []string{"AV. JUAREZ MZ 5 LT 12 S/N", "U HAB EL ROSARIO", "MZ A LT 3 INT B", "HIDALGO SIN NUM.", "C S/N", "DOM. CONOCIDO", "SN JUAN", "MZ Ñ LT 3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normal(s)
		if got, want := AppendForms(nil, n), formsRef(n); !slices.Equal(got, want) {
			t.Fatalf("AppendForms(%q) = %v, reference %v", n, got, want)
		}
	})
}

// TestFormsRefPairs compares AppendForms and AppendCanonical with the
// references on every pair of spellings in the places a class is
// recognised.
func TestFormsRefPairs(t *testing.T) {
	var all []string
	for _, c := range classes {
		for g := range 2 {
			all = append(all, c.Groups[g]...)
		}
	}
	all = append(all, "X", "5", "Ñ", "12B")
	for _, a := range all {
		for _, b := range all {
			for _, v := range []string{a + " " + b, a + " " + b + " 5", a + " 5 " + b, "X " + a + " " + b, a + " " + b + " X"} {
				got, want := AppendForms(nil, v), formsRef(v)
				if !slices.Equal(got, want) {
					t.Errorf("AppendForms(%q) = %v, reference %v", v, got, want)
				}
				if got, want := string(AppendCanonical(nil, v)), canonicalRef(v); got != want {
					t.Errorf("AppendCanonical(%q) = %q, reference %q", v, got, want)
				}
				if t.Failed() {
					t.FailNow()
				}
			}
		}
	}
}

// TestFirstWords checks that every first word is found, and counts the
// probes: a bad wordHash would make lookups slow, not wrong.
func TestFirstWords(t *testing.T) {
	probes := 0
	for f, list := range byFirst {
		got := spellingsAt("X "+f+" Y", 2, 2+len(f))
		if len(got) != len(list) || &got[0] != &list[0] && got[0].index != list[0].index {
			t.Errorf("spellingsAt(%q) = %v, want %v", f, got, list)
		}
		if got := spellingsAt(f, 0, len(f)); len(got) != len(list) {
			t.Errorf("spellingsAt(%q) at the end = %v, want %v", f, got, list)
		}
		if got := spellingsAt(f+"X", 0, len(f)+1); got != nil && len(f) < 8 {
			t.Errorf("spellingsAt(%q) = %v, want none", f+"X", got)
		}
		for i := wordHash(pack(f, 0, len(f)), len(f)); firstWords[i].word != f; i = (i + 1) & (len(firstWords) - 1) {
			probes++
		}
	}
	if probes > len(byFirst)/2 {
		t.Errorf("%d extra probes for %d first words", probes, len(byFirst))
	}
	t.Logf("%d first words, %d extra probes", len(byFirst), probes)
}

// TestRandomPieces checks AppendForms and AppendCanonical against the
// references on random values made of address words, numbers and the bytes
// where splitNormal gives up.
func TestRandomPieces(t *testing.T) {
	pieces := []string{" ", "  ", "\t", "5", "12B", "A", "x", "Ñ", "ñ", "é", "\xc3", "\x91", "\u00a0",
		"C", "C.", "AV.", "MZ", "LT", "S/N", "SIN", "NUMERO", "NUM.", "U", "HAB", "U.", "HAB.", "DOM.", "CONOCIDO", "COL", "CALLE", "INT"}
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	for range 20000 {
		b.Reset()
		for range 1 + r.IntN(7) {
			b.WriteString(pieces[r.IntN(len(pieces))])
			if r.IntN(4) != 0 {
				b.WriteByte(' ')
			}
		}
		v := b.String()
		n := Normal(v)
		if got, want := AppendForms(nil, n), formsRef(n); !slices.Equal(got, want) {
			t.Fatalf("AppendForms(%q) = %v, reference %v", n, got, want)
		}
		if got, want := string(AppendCanonical(nil, v)), canonicalRef(v); got != want {
			t.Fatalf("AppendCanonical(%q) = %q, reference %q", v, got, want)
		}
	}
}
