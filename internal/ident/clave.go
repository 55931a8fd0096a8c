package ident

import (
	"fmt"

	"github.com/huella/huella/internal/register"
)

// ValidateClave checks a clave de elector: the pattern
// ^[A-Z]{6}\d{6}(0[1-9]|[12]\d|3[0-2])[HM]\d{3}$ and a real birth date (in
// 19YY or 20YY). The error names the 1-based position of the first problem.
func ValidateClave(s string) error {
	if len(s) != 18 {
		return fmt.Errorf("clave de elector %q: %d bytes, expected 18 characters", s, len(s))
	}
	bad := func(pos int, want string) error {
		return fmt.Errorf("clave de elector %q: position %d: %q, expected %s", s, pos, s[pos-1], want)
	}
	for i := 0; i < 6; i++ {
		if !isUpper(s[i]) {
			return bad(i+1, "a letter A-Z")
		}
	}
	for i := 6; i < 14; i++ {
		if !isDigit(s[i]) {
			return bad(i+1, "a digit")
		}
	}
	if e := int(s[12]-'0')*10 + int(s[13]-'0'); e < 1 || e > 32 {
		return fmt.Errorf("clave de elector %q: position 13: entity %s, expected 01-32", s, s[12:14])
	}
	if s[14] != 'H' && s[14] != 'M' {
		return bad(15, "H or M (sex)")
	}
	for i := 15; i < 18; i++ {
		if !isDigit(s[i]) {
			return bad(i+1, "a digit")
		}
	}
	yy := int(s[6]-'0')*10 + int(s[7]-'0')
	m := int(s[8]-'0')*10 + int(s[9]-'0')
	d := int(s[10]-'0')*10 + int(s[11]-'0')
	if _, err := register.DateOf(1900+yy, m, d); err != nil {
		if _, err := register.DateOf(2000+yy, m, d); err != nil {
			return fmt.Errorf("clave de elector %q: position 7: birth date %s is not a real day", s, s[6:12])
		}
	}
	return nil
}

// Clave derives a clave de elector. entidad is the birth entity 1-32 (use the
// entity of residence for people born abroad); seq 0-999 fills the last three
// digits (homonym and control).
func Clave(n Names, birth register.Date, entidad int, sex byte, seq int) string {
	return string(AppendClave(nil, SurnameLetters(n.Paterno), SurnameLetters(n.Materno), GivenNameLetters(n.Nombre), birth, entidad, sex, seq))
}

// AppendClave appends a clave de elector made from the letters of the name
// parts (a missing second surname has letters X X X, so gives XX).
func AppendClave(dst []byte, pat, mat, nom Letters, birth register.Date, entidad int, sex byte, seq int) []byte {
	var b [18]byte
	b[0], b[1] = pat.Initial, pat.Consonant
	b[2], b[3] = mat.Initial, mat.Consonant
	b[4], b[5] = nom.Initial, nom.Consonant
	y, m, d := birth.YMD()
	put := func(i, v, w int) {
		for k := w - 1; k >= 0; k-- {
			b[i+k] = byte('0' + v%10)
			v /= 10
		}
	}
	put(6, y%100, 2)
	put(8, m, 2)
	put(10, d, 2)
	if entidad < 1 || entidad > 32 {
		entidad = 1 + ((entidad-1)%32+32)%32
	}
	put(12, entidad, 2)
	b[14] = sex
	if sex != 'H' && sex != 'M' {
		b[14] = 'H'
	}
	seq = (seq%1000 + 1000) % 1000
	put(15, seq, 3)
	return append(dst, b[:]...)
}
