package infer

import (
	"strings"
	"sync"

	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// convKind is how a step converts its column's values.
type convKind uint8

const (
	convText     convKind = iota // ident.Normalize
	convKey                      // CURP, clave: normalised, spaces dropped
	convDate                     // any layout → YYYY-MM-DD
	convSexo                     // → H or M
	convEntidad                  // code or name → "01".."32"
	convCIC                      // normalised, a spreadsheet's ".0" dropped
	convPad                      // a number zero-padded to width digits
	convEmision                  // a year, or the year a date starts with
	convFull                     // nombre, paterno and materno in one column
	convSurnames                 // paterno and materno in one column
)

// step maps one leaked column onto the schema. It is read-only once
// Infer returns, so workers share it.
type step struct {
	col   int // column index in the leaked row
	field int // schema index
	kind  convKind
	width int       // convPad
	date  dateStats // convDate: the column's layout
	pivot int       // convDate: two-digit years up to pivot are 20yy
	mf    bool      // convSexo: written M/F, M is male
	full  []int     // convFull, convSurnames: schema indexes of nombre, paterno, materno
	pmn   bool      // convFull: written surnames first
}

// step is the conversion of the column's values to a field.
func (c *colInfo) step(field int, name string) step {
	s := step{col: c.index, field: field}
	switch name {
	case register.FNacimiento:
		s.kind, s.date, s.pivot = convDate, c.date, 8
	case register.FFechaRegistro:
		s.kind, s.date, s.pivot = convDate, c.date, 35
	case register.FSexo:
		s.kind, s.mf = convSexo, c.sexMF
	case register.FEntidad:
		s.kind = convEntidad
	case register.FCIC:
		s.kind = convCIC
	case register.FMunicipio:
		s.kind, s.width = convPad, 3
	case register.FSeccion, register.FLocalidad:
		s.kind, s.width = convPad, 4
	case register.FCodigoPostal:
		s.kind, s.width = convPad, 5
	case register.FOCR:
		s.kind, s.width = convPad, 13
	case register.FEmision:
		s.kind = convEmision
	case register.FCURP, register.FClave:
		s.kind = convKey
	}
	return s
}

// Record turns a leaked row into a record in schema order, normalised as
// the register writes it; fields without a column are "". dst is reused
// when it has the capacity. Safe for concurrent use.
func (m *Mapping) Record(row []string, dst register.Record) register.Record {
	return m.record(row, dst, nil)
}

// RecordRaw is Record, except that a text value of a field f with raw[f]
// written from one column is left as read instead of normalised: for a
// caller that only compares values in a form that normalises them anyway
// (a leak's comparison hashes), the check and the rewriting are wasted.
func (m *Mapping) RecordRaw(row []string, dst register.Record, raw []bool) register.Record {
	return m.record(row, dst, raw)
}

func (m *Mapping) record(row []string, dst register.Record, raw []bool) register.Record {
	n := len(m.schema.Fields)
	if cap(dst) >= n {
		dst = dst[:n]
		clear(dst)
	} else {
		dst = make(register.Record, n)
	}
	for i := range m.plan {
		s := &m.plan[i]
		if s.col >= len(row) {
			continue
		}
		v := row[s.col]
		switch s.kind {
		case convText, convFull, convSurnames:
			if m.shared { // written in column order
				s.putText(dst, ident.Normalize(v))
				continue
			}
			if s.kind == convText && raw != nil && raw[s.field] {
				dst[s.field] = v
				continue
			}
			if !ident.IsNormal(v) {
				m.recordRewritten(row, dst, i)
				return dst
			}
			if s.kind == convText {
				dst[s.field] = v
			} else {
				s.putText(dst, v)
			}
		default:
			dst[s.field] = s.convert(v)
		}
	}
	return dst
}

// recordRewritten finishes Record from step from, the first text value
// that needs rewriting. The rewritten text is gathered in one buffer and
// becomes one string at the end, each value a substring of it: one
// allocation per row instead of one per value. (A function of its own so
// that rows with nothing to rewrite do not pay for clearing the buffer.)
func (m *Mapping) recordRewritten(row []string, dst register.Record, from int) {
	var arena [256]byte
	var later [24]deferred
	buf, todo := arena[:0], later[:0]
	for i := from; i < len(m.plan); i++ {
		s := &m.plan[i]
		if s.col >= len(row) {
			continue
		}
		v := row[s.col]
		switch s.kind {
		case convText, convFull, convSurnames:
			if ident.IsNormal(v) {
				s.putText(dst, v)
				continue
			}
			start := len(buf)
			buf = ident.AppendNormal(buf, v)
			todo = append(todo, deferred{s, start, len(buf)})
		default:
			dst[s.field] = s.convert(v)
		}
	}
	text := string(buf)
	for _, d := range todo {
		d.step.putText(dst, text[d.start:d.end])
	}
}

// sharesField reports whether two steps write the same field. A
// whole-name column takes nombre and paterno but may meet a materno
// column; then the later column's value stands, and Record may not defer
// one write past the other.
func sharesField(plan []step) bool {
	seen := map[int]bool{}
	for _, s := range plan {
		fields := []int{s.field}
		if s.full != nil {
			fields = s.full
		}
		for _, f := range fields {
			if f < 0 {
				continue
			}
			if seen[f] {
				return true
			}
			seen[f] = true
		}
	}
	return false
}

// deferred is a normalised text value waiting in Record's buffer.
type deferred struct {
	step       *step
	start, end int
}

// putText stores a normalised text value: whole, or split into name parts.
func (s *step) putText(dst register.Record, v string) {
	switch s.kind {
	case convFull:
		nom, pat, mat := splitFullName(v, s.pmn)
		dst[s.full[0]] = nom
		dst[s.full[1]] = pat
		if s.full[2] >= 0 {
			dst[s.full[2]] = mat
		}
	case convSurnames:
		pat, mat := splitSurnames(v)
		dst[s.full[1]] = pat
		if s.full[2] >= 0 {
			dst[s.full[2]] = mat
		}
	default:
		dst[s.field] = v
	}
}

// convert normalises one value of the step's column.
func (s *step) convert(v string) string {
	switch s.kind {
	case convDate:
		if s.date.ord == orderYMD && isISOShape(v) {
			// Already YYYY-MM-DD: the value itself when it is a real day.
			y, m, d := atoi(v[:4]), atoi(v[5:7]), atoi(v[8:])
			if y < firstYear || y > lastYear || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
				return ""
			}
			return v
		}
		d, _ := s.date.parse(ident.Normalize(v), s.pivot)
		return d
	case convSexo:
		switch {
		case v == "H":
			return "H"
		case v == "M" && !s.mf, v == "F":
			return "M"
		}
		switch sexOf(ident.Normalize(v), s.mf) {
		case 'H':
			return "H"
		case 'M':
			return "M"
		}
		return ""
	case convEntidad:
		if ident.IsNormal(v) {
			return entidadCode(trimFloatZero(v))
		}
		// A state's name as people write it ("Ciudad de México"):
		// normalised on the stack, only to be looked up.
		var tmp [64]byte
		return entidadCodeBytes(ident.AppendNormal(tmp[:0], v))
	case convCIC:
		if isDigits(v) {
			return v
		}
		return trimFloatZero(ident.Normalize(v))
	case convPad:
		if isDigits(v) { // the common case: no normalising to do
			return pad(v, s.width)
		}
		return pad(trimFloatZero(ident.Normalize(v)), s.width)
	case convEmision:
		if !isDigits(v) {
			v = trimFloatZero(ident.Normalize(v))
		}
		if _, ok := intIn(v, 1900, 2100); ok {
			return v
		}
		if len(v) >= 4 {
			if _, ok := intIn(v[:4], 1900, 2100); ok {
				return v[:4]
			}
		}
		return v
	case convKey:
		if isUpperAlnum(v) { // the usual key: its own normal form, no spaces
			return v
		}
		v = ident.Normalize(v)
		if strings.IndexByte(v, ' ') >= 0 {
			v = strings.ReplaceAll(v, " ", "")
		}
		return v
	}
	return ident.Normalize(v)
}

// isISOShape: DDDD-DD-DD. With the dashes replaced by '0', one word
// tests the first eight bytes.
func isISOShape(v string) bool {
	const dashes = 0xFF<<32 | 0xFF<<56
	return len(v) == 10 && v[4] == '-' && v[7] == '-' &&
		isDigitWord(load64(v[:8])&^dashes|('0'<<32|'0'<<56)) && v[8]-'0' <= 9 && v[9]-'0' <= 9
}

// isDigits: one or more ASCII digits and nothing else. Codes of four
// digits or more (CIC, OCR, sección, CP) are read a word at a time: a
// byte b < 0x80 plus 0x80−k has its high bit set exactly when b ≥ k.
func isDigits(s string) bool {
	digits := isDigitWord
	n := len(s)
	switch {
	case n >= 8:
		return everyWord(s, digits)
	case n >= 4:
		return digits(load32(s[:4]) | load32(s[n-4:])<<32)
	}
	for i := 0; i < n; i++ {
		if s[i]-'0' > 9 {
			return false
		}
	}
	return n > 0
}

// isUpperAlnum: one or more of A–Z and 0–9 and nothing else (a CURP or a
// clave as the register writes it), a word at a time as isDigits.
func isUpperAlnum(s string) bool {
	n := len(s)
	if n >= 8 {
		return everyWord(s, isUpperAlnumWord)
	}
	for i := 0; i < n; i++ {
		if c := s[i]; c-'0' > 9 && c-'A' > 'Z'-'A' {
			return false
		}
	}
	return n > 0
}

// everyWord says whether ok holds for every eight bytes of s (at least
// eight long), the last word overlapping the one before it.
func everyWord(s string, ok func(uint64) bool) bool {
	n := len(s)
	for i := 0; i+8 < n; i += 8 {
		if !ok(load64(s[i : i+8])) {
			return false
		}
	}
	return ok(load64(s[n-8:]))
}

// Byte lanes of a word: a byte b < 0x80 plus 0x80−k has its high bit set
// exactly when b ≥ k, and no carry leaves its lane.
const (
	lanes = 0x0101010101010101
	highs = 0x80 * lanes
	ge0   = (0x80 - '0') * lanes
	gt9   = (0x80 - '9' - 1) * lanes
	geA   = (0x80 - 'A') * lanes
	gtZ   = (0x80 - 'Z' - 1) * lanes
)

// isUpperAlnumWord: eight bytes of A–Z and 0–9.
func isUpperAlnumWord(w uint64) bool {
	digit := (w + ge0) &^ (w + gt9)
	letter := (w + geA) &^ (w + gtZ)
	return w&highs == 0 && (digit|letter)&highs == highs
}

// isDigitWord: eight ASCII digits.
func isDigitWord(w uint64) bool {
	return w&highs == 0 && (w+ge0)&highs == highs && (w+gt9)&highs == 0
}

func load64(b string) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func load32(b string) uint64 {
	_ = b[3]
	return uint64(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
}

// trimFloatZero undoes a spreadsheet's or a data frame's "1929.0".
func trimFloatZero(s string) string {
	n := len(s)
	if n < 3 || s[n-2] != '.' || s[n-1] != '0' {
		return s
	}
	if !isDigits(s[:n-2]) {
		return s
	}
	return s[:n-2]
}

// pad zero-pads a number to n digits; anything else is left as it is.
// Up to five digits the result is a substring of a table: no allocation.
func pad(s string, n int) string {
	if len(s) >= n || len(s) == 0 {
		return s
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return s
		}
		v = v*10 + int(c)
	}
	if n < len(padTables) {
		t := padTables[n]()
		return t[v*n : (v+1)*n]
	}
	const zeros = "0000000000000000"
	if n-len(s) <= len(zeros) {
		return zeros[:n-len(s)] + s
	}
	return strings.Repeat("0", n-len(s)) + s
}

// padTables[n] holds 0 … 10ⁿ−1 written with n digits, back to back.
var padTables = [6]func() string{
	func() string { return "" },
	sync.OnceValue(func() string { return zeroPadded(1) }),
	sync.OnceValue(func() string { return zeroPadded(2) }),
	sync.OnceValue(func() string { return zeroPadded(3) }),
	sync.OnceValue(func() string { return zeroPadded(4) }),
	sync.OnceValue(func() string { return zeroPadded(5) }),
}

func zeroPadded(n int) string {
	count := 1
	for range n {
		count *= 10
	}
	b := make([]byte, count*n)
	for v := range count {
		for k, x := n-1, v; k >= 0; k, x = k-1, x/10 {
			b[v*n+k] = byte('0' + x%10)
		}
	}
	return string(b)
}

// sexWord maps a written sex to H or M ("M" is resolved per column by
// sexOf), or 0.
func sexWord(s string) byte {
	switch s {
	case "H", "V", "HOMBRE", "MASCULINO", "MALE", "MASC", "VARON":
		return 'H'
	case "M", "F", "MUJER", "FEMENINO", "FEMALE", "FEM":
		return 'M'
	}
	return 0
}

// sexOf reads a written sex; with mf, "M" is male.
func sexOf(s string, mf bool) byte {
	if s == "M" && mf {
		return 'H'
	}
	return sexWord(s)
}

// entidadCode is the INE code "01".."32" of a written state, or "".
func entidadCode(s string) string {
	if n, ok := intIn(s, 1, 32); ok {
		return pad2(n)
	}
	return entidadNames[s]
}

// entidadCodeBytes is entidadCode(trimFloatZero(string(b))) without
// allocating.
func entidadCodeBytes(b []byte) string {
	digits := func(b []byte) bool {
		for _, c := range b {
			if c-'0' > 9 {
				return false
			}
		}
		return len(b) > 0
	}
	if n := len(b); n >= 3 && b[n-2] == '.' && b[n-1] == '0' && digits(b[:n-2]) {
		b = b[:n-2]
	}
	if len(b) <= 9 && digits(b) {
		if v := atoi(string(b)); v >= 1 && v <= 32 {
			return pad2(v)
		}
	}
	return entidadNames[string(b)]
}

func pad2(n int) string {
	return padTables[2]()[n*2 : n*2+2]
}

// span is where a name part lies in its string.
type span struct{ i, j int }

// nameSpans appends the parts of a normalised name (single spaces): its
// words, each particle joined to the word after it ("DE LA CRUZ GARCIA" →
// "DE LA CRUZ", "GARCIA"). A run of parts is a substring of the name.
func nameSpans(dst []span, s string) []span {
	for i := 0; i < len(s); {
		start := i
		j := wordEnd(s, i)
		for j < len(s) && isParticle(s[i:j]) {
			i = j + 1
			j = wordEnd(s, i)
		}
		dst = append(dst, span{start, j})
		i = j + 1
	}
	return dst
}

func wordEnd(s string, i int) int {
	if k := strings.IndexByte(s[i:], ' '); k >= 0 {
		return i + k
	}
	return len(s)
}

// nameParts is nameSpans as strings.
func nameParts(s string) []string {
	var buf [8]span
	sp := nameSpans(buf[:0], s)
	parts := make([]string, len(sp))
	for k, p := range sp {
		parts[k] = s[p.i:p.j]
	}
	return parts
}

// splitSurnames cuts a normalised pair of surnames: the first part, and
// the rest.
func splitSurnames(s string) (paterno, materno string) {
	var buf [8]span
	p := nameSpans(buf[:0], s)
	if len(p) == 0 {
		return "", ""
	}
	if len(p) > 1 {
		materno = s[p[1].i:p[len(p)-1].j]
	}
	return s[p[0].i:p[0].j], materno
}

// splitFullName cuts a normalised whole name into given names, first and
// second surname. Surnames are one word each, with their particles ("DE LA
// CRUZ"). The results are substrings of s.
func splitFullName(s string, pmn bool) (nombre, paterno, materno string) {
	var buf [8]span
	p := nameSpans(buf[:0], s)
	n := len(p)
	if n == 0 {
		return "", "", ""
	}
	part := func(k int) string { return s[p[k].i:p[k].j] }
	if pmn {
		switch n {
		case 1:
			return "", part(0), ""
		case 2:
			return part(1), part(0), ""
		}
		if isGiven(part(1)) && !surnames[part(1)] { // one surname
			return s[p[1].i:p[n-1].j], part(0), ""
		}
		return s[p[2].i:p[n-1].j], part(0), part(1)
	}
	switch n {
	case 1:
		return part(0), "", ""
	case 2:
		return part(0), part(1), ""
	}
	// Given names then two surnames; a lone trailing surname when the
	// second-to-last word is itself a given name.
	if isGiven(firstWord(part(n-2))) && !surnames[part(n-2)] {
		return s[p[0].i:p[n-2].j], part(n - 1), ""
	}
	return s[p[0].i:p[n-3].j], part(n - 2), part(n - 1)
}
