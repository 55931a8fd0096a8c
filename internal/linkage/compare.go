package linkage

import (
	"strings"

	"github.com/huella/huella/internal/addr"
	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// nameKey is the comparison form of a name: ident.Normalize, Ñ folded to N
// (a leak that strips accents strips the tilde too), every character that is
// not A-Z turned into a space, spaces collapsed.
func nameKey(s string) string {
	if s == "" {
		return ""
	}
	s = ident.Normalize(s)
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c == ' ') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	b := make([]byte, 0, len(s))
	space := false
	for _, r := range s {
		switch {
		case r == 'Ñ':
			r = 'N'
		case r >= 'A' && r <= 'Z':
		default:
			space = len(b) > 0
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = append(b, byte(r))
	}
	return string(b)
}

// sortedTokens is s with its space-separated tokens in ascending order, so
// that "LUIS JOSE" and "JOSE LUIS" compare equal. It returns s itself when s
// has one token or is already sorted.
func sortedTokens(s string) string {
	if strings.IndexByte(s, ' ') < 0 {
		return s
	}
	toks := strings.Fields(s)
	sorted := true
	for i := 1; i < len(toks); i++ {
		if toks[i] < toks[i-1] {
			sorted = false
			break
		}
	}
	if sorted {
		return s
	}
	// insertion sort: names have two or three tokens
	for i := 1; i < len(toks); i++ {
		for j := i; j > 0 && toks[j] < toks[j-1]; j-- {
			toks[j], toks[j-1] = toks[j-1], toks[j]
		}
	}
	return strings.Join(toks, " ")
}

// firstToken is s up to its first space.
func firstToken(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}

// tokensWithin reports whether every token of a is a token of b: the row's
// "GUADALUPE" within the register's "MARIA GUADALUPE". It is one-way on
// purpose: leaks drop parts of compound names, they do not add them.
func tokensWithin(a, b string) bool {
	if a == "" || len(a) >= len(b) {
		return false
	}
	for _, t := range strings.Fields(a) {
		found := false
		for rest := b; rest != ""; {
			var tok string
			if i := strings.IndexByte(rest, ' '); i >= 0 {
				tok, rest = rest[:i], rest[i+1:]
			} else {
				tok, rest = rest, ""
			}
			if tok == t {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// addrWords are the type words of Mexican addresses, dropped from the
// comparison form because leaks and released copies spell them in many ways
// (CALLE, C., CLL; COLONIA, COL.; MANZANA, MZ, MZA ...). Their abbreviated
// and expanded forms carry fingerprints, not meaning.
var addrWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`C CL CLL CALLE AV AVE AVDA AVENIDA COL COLONIA FRACC FRAC
		FRACCIONAMIENTO BO BARRIO PRIV PRIVADA PRIVADAS AND ANDADOR CDA CERR CERRADA CJON CALLEJON
		BLVD BLVR BOULEVARD BULEVAR CALZ CALZADA PROL PROLONGACION CARR CARRETERA CTO CIRCUITO
		MZ MZA MANZANA LT LOTE NO NUM NUMERO NUMS EXT INT INTERIOR EXTERIOR DEPTO DEPARTAMENTO
		UNIDAD HAB HABITACIONAL UH INFONAVIT PUEBLO PBLO POB POBLADO RANCHERIA RANCHO RCHO EJIDO EJ
		SECC SECCION SEC ZONA Z LOC LOCALIDAD AMPL AMPLIACION PASEO PSO PJE PASAJE RET RETORNO`) {
		m[w] = true
	}
	return m
}()

// addrKey is the comparison form of an address part: addr.Canonical (every
// equivalent spelling written one way), then "S/N", "SN", "S N" and "SIN
// NUMERO" made "SN", punctuation made spaces, and the type words of
// addrWords dropped, which also forgives a leak that changed AVENIDA into
// CALLE. "Av. Benito Juárez S/N" and "AVENIDA BENITO JUAREZ SIN NUMERO"
// both become "BENITO JUAREZ SN".
func addrKey(s string) string {
	if s == "" {
		return ""
	}
	s = addr.Canonical(s)
	s = strings.ReplaceAll(s, "S/N", " SN ")
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r == 'Ñ':
			b = append(b, 'N')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b = append(b, byte(r))
		default:
			b = append(b, ' ')
		}
	}
	toks := strings.Fields(string(b))
	out := toks[:0]
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t == "SIN" && i+1 < len(toks) && (toks[i+1] == "NUMERO" || toks[i+1] == "NUM" || toks[i+1] == "NO") {
			out = append(out, "SN")
			i++
			continue
		}
		if t == "S" && i+1 < len(toks) && toks[i+1] == "N" {
			out = append(out, "SN")
			i++
			continue
		}
		if addrWords[t] {
			continue
		}
		out = append(out, t)
	}
	return strings.Join(out, " ")
}

// codeKey is the comparison form of a code: normalised, and for an all-digit
// code its leading zeros trimmed ("09" and "9" are the same entity).
func codeKey(s string) string {
	if s == "" {
		return ""
	}
	s = ident.Normalize(s)
	digits := len(s) > 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			digits = false
			break
		}
	}
	if digits {
		s = strings.TrimLeft(s, "0")
		if s == "" {
			s = "0"
		}
		return s
	}
	if k := addrKey(s); k == "SN" {
		return k
	}
	return s
}

// sexKey maps the spellings of sex to the register's H / M, 0 when unknown.
func sexKey(s string) byte {
	switch ident.Normalize(s) {
	case "H", "HOMBRE", "MASCULINO", "MASC", "V", "VARON":
		return 'H'
	case "M", "MUJER", "FEMENINO", "FEM", "F":
		return 'M'
	}
	return 0
}

// parseBirth reads a birth date in ISO order. A value whose month is over 12
// and whose day is at most 12 is read with day and month swapped: leaks mix
// DD/MM and MM/DD, and normalisation upstream cannot always tell them apart.
func parseBirth(s string) (register.Date, bool) {
	if s == "" {
		return 0, false
	}
	if d, err := register.ParseDate(s); err == nil {
		return d, true
	}
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		y, ok1 := atoi(s[0:4])
		m, ok2 := atoi(s[5:7])
		d, ok3 := atoi(s[8:10])
		if ok1 && ok2 && ok3 && m > 12 && d <= 12 {
			if t, err := register.DateOf(y, d, m); err == nil {
				return t, true
			}
		}
	}
	return 0, false
}

func atoi(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, len(s) > 0
}

// swapDayMonth is d with day and month exchanged, if that is a real day
// different from d.
func swapDayMonth(d register.Date) (register.Date, bool) {
	y, m, day := d.YMD()
	if day == m || day > 12 {
		return 0, false
	}
	s, err := register.DateOf(y, day, m)
	return s, err == nil
}

// jaroWinkler is the Jaro–Winkler similarity of a and b (Winkler 1990):
// Jaro J = (m/|a| + m/|b| + (m−t)/m)/3 with m characters matching within a
// window of max(|a|,|b|)/2−1 and t half the transpositions; then
// JW = J + ℓ·0.1·(1−J) with ℓ the common prefix, at most 4. Bytes are
// compared: names are ASCII after nameKey. It allocates nothing for strings
// up to 64 bytes.
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	if la > lb {
		a, b, la, lb = b, a, lb, la
	}
	window := lb/2 - 1
	if window < 0 {
		window = 0
	}
	var bufA, bufB [64]bool
	var ma, mb []bool
	if la <= 64 && lb <= 64 {
		ma, mb = bufA[:la], bufB[:lb]
	} else {
		ma, mb = make([]bool, la), make([]bool, lb)
	}
	m := 0
	for i := 0; i < la; i++ {
		lo, hi := i-window, i+window+1
		if lo < 0 {
			lo = 0
		}
		if hi > lb {
			hi = lb
		}
		for j := lo; j < hi; j++ {
			if !mb[j] && a[i] == b[j] {
				ma[i], mb[j] = true, true
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	t, j := 0, 0
	for i := 0; i < la; i++ {
		if !ma[i] {
			continue
		}
		for !mb[j] {
			j++
		}
		if a[i] != b[j] {
			t++
		}
		j++
	}
	fm := float64(m)
	jaro := (fm/float64(la) + fm/float64(lb) + (fm-float64(t/2))/fm) / 3
	p := 0
	for p < la && p < 4 && a[p] == b[p] {
		p++
	}
	return jaro + float64(p)*0.1*(1-jaro)
}

// phonetic is a four-letter Spanish sound code of a name (its first token is
// not special: the whole key is coded): silent H dropped; LL→Y; QU, C before
// A/O/U/consonants, and K → K; C before E/I and Z → S; V, W → B; G before
// E/I and X → J; vowels after the first sound dropped; repeats collapsed.
// HERNANDEZ → ERND, ERNANDES → ERND, VAZQUEZ → BSKS, BASQUEZ → BSKS. The
// code is packed into a uint32.
func phonetic(s string) uint32 {
	var out [4]byte
	n := 0
	var last byte
	for i := 0; i < len(s) && n < 4; i++ {
		c := s[i]
		var next byte
		if i+1 < len(s) {
			next = s[i+1]
		}
		var code byte
		switch c {
		case 'H':
			continue
		case 'L':
			if next == 'L' {
				code = 'Y'
				i++
			} else {
				code = 'L'
			}
		case 'Q':
			code = 'K'
			if next == 'U' {
				i++
			}
		case 'C':
			switch next {
			case 'E', 'I':
				code = 'S'
			case 'H':
				code = 'C'
				i++
			default:
				code = 'K'
			}
		case 'K':
			code = 'K'
		case 'Z', 'S':
			code = 'S'
		case 'V', 'W', 'B':
			code = 'B'
		case 'G':
			if next == 'E' || next == 'I' {
				code = 'J'
			} else {
				code = 'G'
			}
		case 'X', 'J':
			code = 'J'
		case 'Y':
			if n == 0 {
				code = 'I'
			} else {
				code = 'Y'
			}
		case 'A', 'E', 'I', 'O', 'U':
			if n == 0 {
				code = c
				if c == 'U' || c == 'O' {
					code = 'O'
				}
				if c == 'I' || c == 'E' {
					code = 'E'
				}
			} else {
				continue // a dropped or changed vowel leaves the code alone
			}
		case ' ':
			last = 0
			continue
		default:
			if c < 'A' || c > 'Z' {
				continue
			}
			code = c
		}
		if code == last {
			continue
		}
		out[n] = code
		n++
		last = code
	}
	return uint32(out[0])<<24 | uint32(out[1])<<16 | uint32(out[2])<<8 | uint32(out[3])
}
