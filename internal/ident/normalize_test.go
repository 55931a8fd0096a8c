package ident

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/huella/huella/internal/cputime"
)

// oldNormalize is Normalize as it was before the byte tables (commit
// f3cd7c4), kept to check that the fast one gives the same bytes.
func oldNormalize(s string) string {
	if oldIsNormalASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	last := rune(-1)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if unicode.IsSpace(r) {
			pendingSpace = last >= 0
			continue
		}
		if unicode.Is(unicode.Mn, r) {
			if r == '\u0303' && last == 'N' && !pendingSpace {
				str := b.String()
				b.Reset()
				b.WriteString(str[:len(str)-1])
				b.WriteRune('Ñ')
				last = 'Ñ'
			}
			continue
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		r = foldRune(r)
		b.WriteRune(r)
		last = r
	}
	return b.String()
}

func oldIsNormalASCII(s string) bool {
	prevSpace := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf, 'a' <= c && c <= 'z', c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
			return false
		case c == ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
		default:
			prevSpace = false
		}
	}
	return len(s) == 0 || !prevSpace
}

// normalizeSeeds are inputs that exercise every path: already normal,
// Ñ, accents, mixed case, white space of every kind, combining marks,
// runes of three and four bytes, invalid bytes, and lengths around the
// eight-byte blocks.
var normalizeSeeds = []string{
	"", " ", "A", "a", "HERNANDEZ", "JUAN PEREZ", "AV. IRRIGACION 125", "COLONIA LOMAS DE SAN MIGUEL",
	"PEÑA", "MUÑOZ NUÑEZ", "ÑÑÑÑÑÑÑÑ", "PEÑAPEÑAPEÑA", "  maría  de la Peña ", "José\tLuis\n", "GÜERO",
	"Núñez", "N\u0303u\u0301n\u0303ez", "N \u0303", "\u0303N", "Ǹ\u0303", "ÁÉÍÓÚ àèìòù âêîôû äëïöü ç",
	"C.\u00a0REFORMA  #12", "ñ", "Ǹ", "ǅ ß ﬃ", "\xff\xfe", "\xc3", "\xc3\x28", "\xc0\x80", "\xe2\x80\x83X",
	"ABCDEFGH ", "ABCDEFG  H", "ABCDEFGH\tI", "ABCDEFGHabcdefgh", "12345678", "1234567 8", "        ",
	"ABCDEFGH IJKLMNOP", "ABCDEFG HIJKLMNO ", "\x00\x1f\x7f", "ɐ", "İstanbul", "ſ", "\u2028LINE\u2029",
	"ΑΒΓ αβγ", "Ωmega", "\U0001F600 smile", "N\u0303\u0303", "NNNNNNN\u0303", "ABCDEFGN\u0303",
}

func TestNormalizeEqualsOld(t *testing.T) {
	for _, s := range normalizeSeeds {
		if got, want := Normalize(s), oldNormalize(s); got != want {
			t.Errorf("Normalize(%q) = %q, old %q", s, got, want)
		}
		for _, prefix := range []string{"", "N", "X "} {
			if got := string(AppendNormal([]byte(prefix), s)); got != prefix+oldNormalize(s) {
				t.Errorf("AppendNormal(%q, %q) = %q, want %q", prefix, s, got, prefix+oldNormalize(s))
			}
		}
	}
	// Spaces, lower case and tabs at every position of every length up to 20.
	for n := 0; n <= 20; n++ {
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				for _, pair := range []string{"  ", " a", "a ", "\t ", " Ñ", "ÑÑ"} {
					b := []byte(strings.Repeat("X", n))
					b[i], b[j] = pair[0], pair[1]
					s := string(b)
					if isNormal(s) != isNormalBytes(s) || Normalize(s) != oldNormalize(s) {
						t.Fatalf("%q: isNormal %v, byte by byte %v; Normalize %q, old %q", s, isNormal(s), isNormalBytes(s), Normalize(s), oldNormalize(s))
					}
				}
			}
		}
	}
	// Every rune up to U+0800 and a sample above, alone and in context.
	for r := rune(0); r < 0x3000; r++ {
		if r >= 0x800 && r%7 != 0 {
			continue
		}
		for _, s := range []string{string(r), "n" + string(r), "ABCDEFGH" + string(r) + "x ", " " + string(r) + " \u0303"} {
			if got, want := Normalize(s), oldNormalize(s); got != want {
				t.Fatalf("Normalize(%q) = %q, old %q", s, got, want)
			}
		}
	}
}

// FuzzNormalizeEqualsOld compares the byte-table Normalize with the old
// rune-wise one on random inputs.
func FuzzNormalizeEqualsOld(f *testing.F) {
	for _, s := range normalizeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Normalize(s), oldNormalize(s); got != want {
			t.Errorf("Normalize(%q) = %q, old %q", s, got, want)
		}
		for _, prefix := range []string{"", "N", "X "} {
			if got := string(AppendNormal([]byte(prefix), s)); got != prefix+oldNormalize(s) {
				t.Errorf("AppendNormal(%q, %q) = %q, want %q", prefix, s, got, prefix+oldNormalize(s))
			}
		}
		if isNormal(s) != isNormalBytes(s) {
			t.Errorf("isNormal(%q) = %v, byte by byte %v", s, isNormal(s), isNormalBytes(s))
		}
		if isNormal(s) && Normalize(s) != s {
			t.Errorf("isNormal(%q) but Normalize gives %q", s, Normalize(s))
		}
	})
}

// go test ./internal/ident -run '^$' -bench Normalize -benchmem
func BenchmarkNormalize(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"upper-ascii", "COLONIA LOMAS DE SAN MIGUEL"},
		{"upper-short", "GARCIA"},
		{"upper-enye", "MUÑOZ DE LA PEÑA"},
		{"upper-accents", "JOSÉ MARÍA NÚÑEZ GÜEMES"},
		{"mixed-case", "Avenida Ruiz Cortines"},
		{"spaces", "  CERRADA   ALDAMA "},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			c0 := cpuTime()
			for b.Loop() {
				normSink = Normalize(bc.in)
			}
			b.ReportMetric((cpuTime()-c0)*1e9/float64(b.N), "cpu-ns/op")
		})
	}
}

var normSink string

// cpuTime is the process's user+system CPU seconds: on a shared machine it
// is steadier than wall time.
func cpuTime() float64 { return cputime.Used().Seconds() }
