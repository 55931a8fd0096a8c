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
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Names is a person's name as the register holds it. Materno is "" for a
// person with a single surname.
type Names struct{ Nombre, Paterno, Materno string }

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
