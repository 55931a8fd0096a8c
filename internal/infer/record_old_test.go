package infer

// This file keeps Mapping.Record and its converters as they were before
// the per-value speed work (commit f3cd7c4), renamed old*, so that tests
// compare the fast ones with them on random rows instead of asserting.

import (
	"strconv"
	"strings"

	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// Record turns a leaked row into a record in schema order, normalised as
// the register writes it; fields without a column are "". dst is reused
// when it has the capacity.
func (m *Mapping) oldRecord(row []string, dst register.Record) register.Record {
	n := len(m.schema.Fields)
	if cap(dst) >= n {
		dst = dst[:n]
	} else {
		dst = make(register.Record, n)
	}
	for i := range dst {
		dst[i] = ""
	}
	for _, s := range m.plan {
		if s.col >= len(row) {
			continue
		}
		v := row[s.col]
		if s.full != nil {
			var nom, pat, mat string
			if s.full[0] < 0 { // both surnames
				p := oldNameParts(ident.Normalize(v))
				if len(p) > 0 {
					pat, mat = p[0], strings.Join(p[1:], " ")
				}
			} else {
				nom, pat, mat = oldSplitFullName(ident.Normalize(v), s.pmn)
				dst[s.full[0]] = nom
			}
			dst[s.full[1]] = pat
			if s.full[2] >= 0 {
				dst[s.full[2]] = mat
			}
			continue
		}
		dst[s.field] = oldConverter(m.schema.Fields[s.field].Name, s.date, s.mf)(v)
	}
	return dst
}

// converter normalises a value of the column as the register writes the field.
func oldConverter(field string, date dateStats, sexMF bool) func(string) string {
	switch field {
	case register.FNacimiento:
		d := date
		return func(s string) string { v, _ := d.oldParse(ident.Normalize(s), 8); return v }
	case register.FFechaRegistro:
		d := date
		return func(s string) string { v, _ := d.oldParse(ident.Normalize(s), 35); return v }
	case register.FSexo:
		mf := sexMF
		return func(s string) string {
			if x := oldSexOf(ident.Normalize(s), mf); x != 0 {
				return string(x)
			}
			return ""
		}
	case register.FEntidad:
		return func(s string) string { return oldEntidadCode(oldTrimFloatZero(ident.Normalize(s))) }
	case register.FCIC:
		return func(s string) string { return oldTrimFloatZero(ident.Normalize(s)) }
	case register.FMunicipio:
		return oldPadder(3)
	case register.FSeccion, register.FLocalidad:
		return oldPadder(4)
	case register.FCodigoPostal:
		return oldPadder(5)
	case register.FOCR:
		return oldPadder(13)
	case register.FEmision:
		return func(s string) string {
			s = oldTrimFloatZero(ident.Normalize(s))
			if _, ok := intIn(s, 1900, 2100); ok {
				return s
			}
			if len(s) >= 4 {
				if _, ok := intIn(s[:4], 1900, 2100); ok {
					return s[:4]
				}
			}
			return s
		}
	case register.FCURP, register.FClave:
		return func(s string) string { return strings.ReplaceAll(ident.Normalize(s), " ", "") }
	}
	return ident.Normalize
}

func oldPadder(n int) func(string) string {
	return func(s string) string { return oldPad(oldTrimFloatZero(ident.Normalize(s)), n) }
}

// trimFloatZero undoes a spreadsheet's or a data frame's "1929.0".
func oldTrimFloatZero(s string) string {
	n := len(s)
	if n < 3 || s[n-2] != '.' || s[n-1] != '0' {
		return s
	}
	for i := 0; i < n-2; i++ {
		if s[i] < '0' || s[i] > '9' {
			return s
		}
	}
	return s[:n-2]
}

// pad zero-pads a number to n digits; anything else is left as it is.
func oldPad(s string, n int) string {
	if len(s) >= n || len(s) == 0 {
		return s
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return s
		}
	}
	return strings.Repeat("0", n-len(s)) + s
}

// sexOf reads a written sex; with mf, "M" is male.
func oldSexOf(s string, mf bool) byte {
	x, ok := oldSexWords[s]
	if !ok {
		return 0
	}
	if s == "M" && mf {
		return 'H'
	}
	return x
}

// entidadCode is the INE code "01".."32" of a written state, or "".
func oldEntidadCode(s string) string {
	if n, ok := intIn(s, 1, 32); ok {
		return oldPad(strconv.Itoa(n), 2)
	}
	return entidadNames[s]
}

// nameParts splits a name into words, each particle joined to the word
// after it ("DE LA CRUZ GARCIA" → "DE LA CRUZ", "GARCIA").
func oldNameParts(s string) []string {
	w := strings.Fields(s)
	var parts []string
	for i := 0; i < len(w); i++ {
		j := i
		for j < len(w)-1 && oldParticles[w[j]] {
			j++
		}
		parts = append(parts, strings.Join(w[i:j+1], " "))
		i = j
	}
	return parts
}

// splitFullName cuts a whole name into given names, first and second
// surname. Surnames are one word each, with their particles ("DE LA CRUZ").
func oldSplitFullName(s string, pmn bool) (nombre, paterno, materno string) {
	parts := oldNameParts(s)
	if len(parts) == 0 {
		return "", "", ""
	}
	if pmn {
		switch len(parts) {
		case 1:
			return "", parts[0], ""
		case 2:
			return parts[1], parts[0], ""
		}
		if isGiven(parts[1]) && !surnames[parts[1]] { // one surname
			return strings.Join(parts[1:], " "), parts[0], ""
		}
		return strings.Join(parts[2:], " "), parts[0], parts[1]
	}
	switch len(parts) {
	case 1:
		return parts[0], "", ""
	case 2:
		return parts[0], parts[1], ""
	}
	// Given names then two surnames; a lone trailing surname when the
	// second-to-last word is itself a given name.
	n := len(parts)
	if n >= 3 && isGiven(firstWord(parts[n-2])) && !surnames[parts[n-2]] {
		return strings.Join(parts[:n-1], " "), parts[n-1], ""
	}
	return strings.Join(parts[:n-2], " "), parts[n-2], parts[n-1]
}

// split cuts a date value into its three numbers as written, dropping a
// time after a space or 'T'.
func oldSplitDate(s string) (p [3]string, sep byte, ok bool) {
	if len(s) > 10 {
		if i := strings.IndexAny(s, " T"); i >= 6 {
			s = s[:i]
		}
	}
	if len(s) < 6 || len(s) > 10 {
		return p, 0, false
	}
	k, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '-' || s[i] == '/' || s[i] == '.' {
			if i < len(s) {
				if sep == 0 {
					sep = s[i]
				} else if s[i] != sep {
					return p, 0, false
				}
			}
			if k == 3 || i == start {
				return p, 0, false
			}
			p[k] = s[start:i]
			k++
			start = i + 1
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return p, 0, false
		}
	}
	if k == 3 {
		return p, sep, true
	}
	if k == 1 && sep == 0 { // compact digits: split by order later
		return p, 0, true
	}
	return p, 0, false
}

// ymd reads a split date in an order; pivot: a two-digit year yy ≤ pivot
// is 20yy, else 19yy.
func oldYmd(p [3]string, sep byte, order string, pivot int) (y, m, d, ydig int, ok bool) {
	if sep == 0 {
		s := p[0]
		var q [3]string
		switch {
		case len(s) == 8 && order == "YMD":
			q = [3]string{s[:4], s[4:6], s[6:]}
		case len(s) == 8:
			q = [3]string{s[:2], s[2:4], s[4:]}
		case len(s) == 6 && order == "YMD":
			q = [3]string{s[:2], s[2:4], s[4:]}
		case len(s) == 6:
			q = [3]string{s[:2], s[2:4], s[4:]}
		default:
			return 0, 0, 0, 0, false
		}
		p = q
	}
	var ys, ms, ds string
	for i, c := range order {
		switch c {
		case 'Y':
			ys = p[i]
		case 'M':
			ms = p[i]
		case 'D':
			ds = p[i]
		}
	}
	if len(ms) > 2 || len(ds) > 2 || (len(ys) != 4 && len(ys) != 2) {
		return 0, 0, 0, 0, false
	}
	y, m, d = oldAtoi(ys), oldAtoi(ms), oldAtoi(ds)
	ydig = len(ys)
	if ydig == 2 {
		if y <= pivot {
			y += 2000
		} else {
			y += 1900
		}
	}
	if y < 1900 || y > 2035 || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, 0, 0, false
	}
	if _, err := register.DateOf(y, m, d); err != nil {
		return 0, 0, 0, 0, false
	}
	return y, m, d, ydig, true
}

func oldAtoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// parse reads a value of the column as an ISO date.
func (d dateStats) oldParse(s string, pivot int) (string, bool) {
	if d.order == "" {
		return "", false
	}
	p, sep, ok := oldSplitDate(s)
	if !ok {
		return "", false
	}
	y, m, day, _, ok := oldYmd(p, sep, d.order, pivot)
	if !ok {
		return "", false
	}
	b := []byte("0000-00-00")
	put := func(i, v, n int) {
		for k := n - 1; k >= 0; k-- {
			b[i+k] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	put(5, m, 2)
	put(8, day, 2)
	if string(b) == s { // already ISO: no copy
		return s, true
	}
	return string(b), true
}

var oldParticles = map[string]bool{"DE": true, "DEL": true, "LA": true, "LAS": true, "LOS": true, "Y": true, "MC": true, "MAC": true, "VAN": true, "VON": true, "DA": true, "DI": true}

var oldSexWords = map[string]byte{"H": 'H', "M": 'M', "F": 'M', "V": 'H', "HOMBRE": 'H', "MUJER": 'M',
	"MASCULINO": 'H', "FEMENINO": 'M', "MALE": 'H', "FEMALE": 'M', "MASC": 'H', "FEM": 'M', "VARON": 'H'}
