package ident

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/huella/huella/internal/register"
)

// curpAlphabet gives each CURP character its check-digit value (its index).
const curpAlphabet = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"

// curpValue is the check-digit value of r, or -1.
func curpValue(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= 'A' && r <= 'N':
		return int(r-'A') + 10
	case r == 'Ñ':
		return 24
	case r >= 'O' && r <= 'Z':
		return int(r-'O') + 25
	}
	return -1
}

// CURPCheckDigit is the check digit ('0'-'9') of the first 17 characters of a CURP.
func CURPCheckDigit(first17 string) (byte, error) {
	sum, i := 0, 0
	for _, r := range first17 {
		v := curpValue(r)
		if v < 0 {
			return 0, fmt.Errorf("curp check digit: position %d: %q is not in the CURP alphabet", i+1, r)
		}
		if i < 17 {
			sum += v * (18 - i)
		}
		i++
	}
	if i != 17 {
		return 0, fmt.Errorf("curp check digit: %d characters, expected 17", i)
	}
	return byte('0' + (10-sum%10)%10), nil
}

// curpStates are the birth-state codes of positions 12-13, NE for abroad.
var curpStates = func() map[string]bool {
	m := map[string]bool{"NE": true}
	for _, e := range Entidades {
		m[e.CURPCode] = true
	}
	return m
}()

// inconvenient are the words positions 1-4 must not spell; position 2 becomes X.
var inconvenient = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`BACA BAKA BUEI BUEY CACA CACO CAGA CAGO CAKA CAKO COGE
	COGI COJA COJE COJI COJO COLA CULO FALO FETO GETA GUEI GUEY JETA JOTO KACA KACO KAGA KAGO KAKA KAKO
	KOGE KOGI KOJA KOJE KOJI KOJO KOLA KULO LILO LOCA LOCO LOKA LOKO MAME MAMO MEAR MEAS MEON MIAR MION
	MOCO MOKO MULA MULO NACA NACO PEDA PEDO PENE PIPI PITO POPO PUTA PUTO QULO RATA ROBA ROBE ROBO RUIN
	SENO TETA VACA VAGA VAGO VAKA VUEI VUEY WUEI WUEY`) {
		m[w] = true
	}
	return m
}()

// IsInconvenient reports whether a 4-letter CURP prefix is on RENAPO's list
// of inconvenient words.
func IsInconvenient(first4 string) bool { return inconvenient[first4] }

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isVowel(c byte) bool { return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U' }

// ValidateCURP checks a CURP's structure, birth date, sex, birth state,
// the inconvenient-word rule and the check digit. The error names the
// 1-based position of the first problem.
func ValidateCURP(s string) error {
	if n := utf8.RuneCountInString(s); n != 18 || len(s) != 18 {
		if n == 18 {
			return fmt.Errorf("curp %q: non-ASCII character", s)
		}
		return fmt.Errorf("curp %q: %d characters, expected 18", s, n)
	}
	bad := func(pos int, want string) error {
		return fmt.Errorf("curp %q: position %d: %q, expected %s", s, pos, s[pos-1], want)
	}
	for i := 0; i < 4; i++ {
		if !isUpper(s[i]) {
			return bad(i+1, "a letter A-Z")
		}
	}
	if !isVowel(s[1]) && s[1] != 'X' {
		return bad(2, "a vowel or X (first internal vowel of the first surname)")
	}
	for i := 4; i < 10; i++ {
		if !isDigit(s[i]) {
			return bad(i+1, "a digit (birth date YYMMDD)")
		}
	}
	if s[10] != 'H' && s[10] != 'M' {
		return bad(11, "H or M (sex)")
	}
	if !curpStates[s[11:13]] {
		return fmt.Errorf("curp %q: position 12: %q is not a birth-state code (AS…ZS or NE)", s, s[11:13])
	}
	for i := 13; i < 16; i++ {
		if !isUpper(s[i]) || isVowel(s[i]) {
			return bad(i+1, "a consonant (first internal consonant)")
		}
	}
	if !isUpper(s[16]) && !isDigit(s[16]) {
		return bad(17, "a digit or letter (homonym)")
	}
	if !isDigit(s[17]) {
		return bad(18, "a digit (check digit)")
	}
	if inconvenient[s[:4]] {
		return fmt.Errorf("curp %q: positions 1-4: %q is an inconvenient word (position 2 should be X)", s, s[:4])
	}
	century := 1900
	if isUpper(s[16]) {
		century = 2000
	}
	y := century + int(s[4]-'0')*10 + int(s[5]-'0')
	m := int(s[6]-'0')*10 + int(s[7]-'0')
	d := int(s[8]-'0')*10 + int(s[9]-'0')
	if _, err := register.DateOf(y, m, d); err != nil {
		return fmt.Errorf("curp %q: position 5: birth date %s is not a real day", s, s[4:10])
	}
	want, _ := CURPCheckDigit(s[:17])
	if s[17] != want {
		return fmt.Errorf("curp %q: position 18: check digit %c, expected %c", s, s[17], want)
	}
	return nil
}

// isParticle reports whether w is a particle dropped from names before
// deriving letters: DA DAS DE DEL DER DI DIE DD EL LA LOS LAS LE LES MAC MC VAN VON Y.
func isParticle(w string) bool {
	switch w {
	case "DA", "DAS", "DE", "DEL", "DER", "DI", "DIE", "DD", "EL", "LA", "LOS", "LAS", "LE", "LES",
		"MAC", "MC", "VAN", "VON", "Y":
		return true
	}
	return false
}

// isCommonFirst reports whether w is a given name skipped when a compound
// name has a second one (MARIA, MA, MA., JOSE, J, J.).
func isCommonFirst(w string) bool {
	switch w {
	case "MARIA", "MA", "JOSE", "J":
		return true
	}
	return false
}

// nextWord returns the first word of letters (A-Z, Ñ) in s at or after i and
// the index after it; punctuation such as "." and "-" separates words.
func nextWord(s string, i int) (w string, next int) {
	isLetter := func(i int) (bool, int) {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			return true, 1
		}
		if c == 0xC3 && i+1 < len(s) && s[i+1] == 0x91 { // Ñ
			return true, 2
		}
		return false, 1
	}
	for i < len(s) {
		if ok, _ := isLetter(i); ok {
			break
		}
		i++
	}
	start := i
	for i < len(s) {
		ok, n := isLetter(i)
		if !ok {
			break
		}
		i += n
	}
	return s[start:i], i
}

// significantWords calls f with the words of the normalised name s that are
// not particles, until f returns false; if every word is a particle, with the
// first word only.
func significantWords(s string, f func(w string) bool) {
	s = Normalize(s)
	first := ""
	found := false
	for i := 0; ; {
		w, next := nextWord(s, i)
		if w == "" {
			break
		}
		i = next
		if first == "" {
			first = w
		}
		if isParticle(w) {
			continue
		}
		found = true
		if !f(w) {
			return
		}
	}
	if !found && first != "" {
		f(first)
	}
}

// surname is the word of a surname used for letters: the first word after
// dropping particles ("DE LA CRUZ" → "CRUZ").
func surname(s string) string {
	out := ""
	significantWords(s, func(w string) bool { out = w; return false })
	return out
}

// givenName is the given name used for letters: the second one when a
// compound name starts with MARIA/MA/JOSE/J.
func givenName(s string) string {
	first, out := "", ""
	significantWords(s, func(w string) bool {
		if first == "" {
			first = w
			return isCommonFirst(w)
		}
		out = w
		return false
	})
	if out == "" {
		return first
	}
	return out
}

// initial is the first letter of w (Ñ → X, missing → X).
func initial(w string) byte {
	if w == "" || w[0] >= utf8.RuneSelf {
		return 'X'
	}
	return w[0]
}

// internal finds the first letter after the first of w that satisfies want;
// Ñ counts as a consonant and becomes X; none → X.
func internal(w string, vowel bool) byte {
	first := true
	for _, r := range w {
		if first {
			first = false
			continue
		}
		if r == 'Ñ' {
			if !vowel {
				return 'X'
			}
			continue
		}
		if r > 'Z' || r < 'A' {
			continue
		}
		if isVowel(byte(r)) == vowel {
			return byte(r)
		}
	}
	return 'X'
}

// Letters are what one part of a name contributes to a CURP and a clave:
// its initial, first internal vowel and first internal consonant (X when
// missing, Ñ → X).
type Letters struct{ Initial, Vowel, Consonant byte }

// SurnameLetters are the letters of a surname (particles dropped); a
// missing surname gives X X X.
func SurnameLetters(s string) Letters {
	w := surname(s)
	return Letters{initial(w), internal(w, true), internal(w, false)}
}

// GivenNameLetters are the letters of the given name used (the second one
// after MARIA/MA/JOSE/J).
func GivenNameLetters(s string) Letters {
	w := givenName(s)
	return Letters{initial(w), internal(w, true), internal(w, false)}
}

// CURP16 derives positions 1-16 of a CURP. sex is 'H' or 'M'; birthState a
// 2-letter CURP state code ("DF", "MC", "NE").
func CURP16(n Names, birth register.Date, sex byte, birthState string) (string, error) {
	if surname(n.Paterno) == "" {
		return "", fmt.Errorf("curp: first surname %q has no letters", n.Paterno)
	}
	if givenName(n.Nombre) == "" {
		return "", fmt.Errorf("curp: given name %q has no letters", n.Nombre)
	}
	b, err := AppendCURP16(nil, SurnameLetters(n.Paterno), SurnameLetters(n.Materno), GivenNameLetters(n.Nombre), birth, sex, birthState)
	return string(b), err
}

// AppendCURP16 appends positions 1-16 of a CURP made from the letters of
// the first surname, the second surname and the given name.
func AppendCURP16(dst []byte, pat, mat, nom Letters, birth register.Date, sex byte, birthState string) ([]byte, error) {
	if sex != 'H' && sex != 'M' {
		return dst, fmt.Errorf("curp: sex %q, expected H or M", sex)
	}
	if !curpStates[birthState] {
		return dst, fmt.Errorf("curp: birth state %q is not a CURP state code", birthState)
	}
	y, m, d := birth.YMD()
	if y < 1900 || y > 2099 {
		return dst, fmt.Errorf("curp: birth year %d outside 1900-2099", y)
	}
	var b [16]byte
	b[0] = pat.Initial
	b[1] = pat.Vowel
	b[2] = mat.Initial
	b[3] = nom.Initial
	if inconvenient[string(b[:4])] {
		b[1] = 'X'
	}
	put2 := func(i, v int) { b[i], b[i+1] = byte('0'+v/10%10), byte('0'+v%10) }
	put2(4, y%100)
	put2(6, m)
	put2(8, d)
	b[10] = sex
	b[11], b[12] = birthState[0], birthState[1]
	b[13] = pat.Consonant
	b[14] = mat.Consonant
	b[15] = nom.Consonant
	return append(dst, b[:]...), nil
}

// CURP derives a full CURP. homonym must be a digit for births before 2000
// and a letter from 2000 on.
func CURP(n Names, birth register.Date, sex byte, birthState string, homonym byte) (string, error) {
	p, err := CURP16(n, birth, sex, birthState)
	if err != nil {
		return "", err
	}
	y, _, _ := birth.YMD()
	if y < 2000 && !isDigit(homonym) {
		return "", fmt.Errorf("curp: homonym %q must be a digit for a birth in %d", homonym, y)
	}
	if y >= 2000 && !isUpper(homonym) {
		return "", fmt.Errorf("curp: homonym %q must be a letter for a birth in %d", homonym, y)
	}
	first17 := p + string(homonym)
	c, err := CURPCheckDigit(first17)
	if err != nil {
		return "", err
	}
	return first17 + string(c), nil
}
