// Package ident owns the identifier formats of Mexican registers of people:
// the CURP, the clave de elector, the 32 federal entities, and the one text
// normalisation every other package uses.
//
// # Normalisation
//
// Normalize upper-cases, strips accents and diaereses (Á→A, Ü→U, Ç→C), keeps
// Ñ, trims and collapses every run of white space to one ASCII space. It is
// idempotent: Normalize(Normalize(s)) == Normalize(s). "  maría  de la Peña "
// becomes "MARIA DE LA PEÑA". This is how the custodian stores names and
// addresses.
//
// # CURP (18 characters)
//
//	pos  1    first letter of the first surname (Ñ → X)
//	pos  2    first internal vowel of the first surname (X if none)
//	pos  3    first letter of the second surname (X if none)
//	pos  4    first letter of the given name used (MARIA/MA/JOSE/J compounds use the second name)
//	pos  5-10 birth date YYMMDD
//	pos 11    sex, H or M
//	pos 12-13 birth state (AS … ZS, NE born abroad)
//	pos 14-16 first internal consonant of first surname, second surname, given name (X if none, Ñ → X)
//	pos 17    homonym character: a digit for births in 1900-1999, a letter from 2000
//	pos 18    check digit
//
// Particles (DE, DEL, LA, LOS, Y, MC, VAN, ...) are dropped from names before
// deriving letters. If positions 1-4 spell an inconvenient word (BACA, PEDO,
// ...), position 2 becomes X.
//
// The check digit: each of the first 17 characters has a value, its index in
// the alphabet "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ" (Ñ = 24);
// S = Σ value(cᵢ)·(19−i) for i = 1..17 and the digit is (10 − S mod 10) mod 10.
// Example: PEGL890909MJCRMS0 → 8, so PEGL890909MJCRMS08 is valid.
//
// # Clave de elector (18 characters)
//
//	^[A-Z]{6}\d{6}(0[1-9]|[12]\d|3[0-2])[HM]\d{3}$
//
// Six letters (initial and first internal consonant of the first surname, the
// second surname and the given name; XX for a missing second surname), the
// birth date YYMMDD, the 2-digit birth entity (01-32, INE order), H/M and three
// digits (homonym and control; INE publishes no algorithm, so any digits pass).
package ident

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Names is a person's name as the register holds it. Materno is "" for a
// person with a single surname.
type Names struct{ Nombre, Paterno, Materno string }

// Normalize is the one normalisation of names and addresses used everywhere
// in huella: upper case, accents stripped (Ñ kept), white space trimmed and
// collapsed to single spaces.
func Normalize(s string) string {
	if isNormalASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	last := rune(-1) // last rune written, to compose N + combining tilde
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if unicode.IsSpace(r) {
			pendingSpace = last >= 0
			continue
		}
		if unicode.Is(unicode.Mn, r) {
			// A combining mark: a tilde on N makes Ñ; every other mark is an accent to drop.
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

// foldRune upper-cases r and reduces an accented Latin letter to its base.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	r = unicode.ToUpper(r)
	if r == 'Ñ' {
		return r
	}
	switch r {
	case 'Á', 'À', 'Â', 'Ä', 'Ã', 'Å':
		return 'A'
	case 'É', 'È', 'Ê', 'Ë':
		return 'E'
	case 'Í', 'Ì', 'Î', 'Ï':
		return 'I'
	case 'Ó', 'Ò', 'Ô', 'Ö', 'Õ':
		return 'O'
	case 'Ú', 'Ù', 'Û', 'Ü':
		return 'U'
	case 'Ç':
		return 'C'
	}
	// Other letters with marks: keep the base when it is an ASCII letter.
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	d := norm.NFD.Bytes(buf[:n])
	base, size := utf8.DecodeRune(d)
	if base >= 'A' && base <= 'Z' && size < len(d) {
		for rest := d[size:]; len(rest) > 0; {
			m, sz := utf8.DecodeRune(rest)
			if !unicode.Is(unicode.Mn, m) {
				return r
			}
			rest = rest[sz:]
		}
		return base
	}
	return r
}

// isNormalASCII reports whether s is already normal and plain ASCII: no
// lower case, no leading, trailing or doubled spaces, no other white space.
func isNormalASCII(s string) bool {
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
