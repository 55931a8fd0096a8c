package ingest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

var formatOf = map[byte]string{',': "csv", '\t': "tsv", '|': "pipe", ';': "semicolon"}
var delimiterOf = map[string]byte{"csv": ',', "tsv": '\t', "pipe": '|', "semicolon": ';'}

// lineReader hands out physical lines of decoded text, bounded in length.
type lineReader struct {
	br        *bufio.Reader
	max       int
	skips     *skipper
	utf8      bool   // the stream is undecoded UTF-8: check lines, redecode bad ones
	redecoded *int64 // lines redecoded as Windows-1252
	twice     bool   // delimited UTF-8 encoded twice (doubleEncoded): repair lines
	repaired  *int64 // lines repaired
	truncated *bool
	file      string

	line int64 // number of the line last returned
	acc  []byte
	back []backLine // lines pushed back, read again first (in order)
}

type backLine struct {
	n int64
	b []byte
}

// readLine returns the next line without its line ending. The slice is
// valid until the next call. A line longer than max is skipped and recorded.
func (l *lineReader) readLine() ([]byte, error) {
	if len(l.back) > 0 {
		b := l.back[0]
		l.back = l.back[1:]
		l.line = b.n
		return b.b, nil
	}
	l.acc = l.acc[:0]
	long := false
	for {
		s, err := l.br.ReadSlice('\n')
		switch err {
		case nil:
			l.line++
			if long {
				l.skips.add(l.line, "line longer than %d bytes", l.max)
				long = false
				l.acc = l.acc[:0]
				continue
			}
			if len(l.acc) > 0 {
				l.acc = append(l.acc, s...)
				s = l.acc
			}
			return trimEOL(s), nil
		case bufio.ErrBufferFull:
			if !long {
				if len(l.acc)+len(s) > l.max {
					long = true
					l.acc = l.acc[:0]
				} else {
					l.acc = append(l.acc, s...)
				}
			}
			continue
		case io.EOF:
			if len(s) == 0 && len(l.acc) == 0 && !long {
				return nil, io.EOF
			}
			l.line++
			if long {
				l.skips.add(l.line, "line longer than %d bytes", l.max)
				return nil, io.EOF
			}
			if len(l.acc) > 0 {
				l.acc = append(l.acc, s...)
				s = l.acc
			}
			return trimEOL(s), nil
		default:
			return nil, l.streamError(err)
		}
	}
}

// streamError turns a failure of the underlying stream into a truncation
// (recorded, reading ends normally) or a positioned error.
func (l *lineReader) streamError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errCorrupt) || isCorrupt(err) {
		*l.truncated = true
		l.skips.add(l.line+1, "input truncated or corrupt after this point: %v", err)
		return io.EOF
	}
	return &ParseError{File: l.file, Line: l.line + 1, Err: fmt.Errorf("read: %w", err)}
}

var errCorrupt = errors.New("corrupt")

func isCorrupt(err error) bool {
	s := err.Error()
	return strings.Contains(s, "checksum") || strings.Contains(s, "invalid header") || strings.Contains(s, "corrupt")
}

// pushBack makes lines be read again, first to last.
func (l *lineReader) pushBack(lines []backLine) {
	l.back = append(lines, l.back...)
}

func trimEOL(s []byte) []byte {
	if n := len(s); n > 0 && s[n-1] == '\n' {
		s = s[:n-1]
		if n := len(s); n > 0 && s[n-1] == '\r' {
			s = s[:n-1]
		}
	}
	return s
}

// text converts bytes of the stream to a string, decoding a line of a UTF-8
// file that is not valid UTF-8 as Windows-1252.
func (l *lineReader) text(b []byte) string {
	if l.utf8 && !utf8.Valid(b) {
		*l.redecoded++
		return decode1252(b)
	}
	return string(b)
}

// decodeTwice undoes one decoding too many: UTF-8 text read as
// Windows-1252 (or Latin-1) and written again as UTF-8, as a spreadsheet
// does ("PEÃ‘A" for "PEÑA"). Each character of b goes back to the byte it
// was decoded from, and the result must be UTF-8 other than b; ok is false
// otherwise (a character no single byte decodes to, or bytes that are not
// UTF-8, as "PEÑA" itself gives).
func decodeTwice(b []byte) (once []byte, ok bool) {
	once = make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		i += size
		switch c, known := byteOf1252[r]; {
		case r < 0x80:
			once = append(once, byte(r))
		case r == utf8.RuneError && size == 1:
			return b, false
		case r <= 0xFF: // Latin-1, and the C1 controls a Latin-1 decoding gives
			once = append(once, byte(r))
		case known:
			once = append(once, c)
		default:
			return b, false
		}
	}
	if !utf8.Valid(once) || bytes.Equal(once, b) {
		return b, false
	}
	return once, true
}

// byteOf1252 maps the characters Windows-1252 gives bytes 0x80–0x9F
// (€, ‚, ƒ, „, …, Š, Œ, Ž, ‘, ’, “, ”, •, –, —, ˜, ™, š, œ, ž, Ÿ) back to them.
// The five bytes it leaves undefined come back as themselves (U+0081 ...,
// as Windows and Latin-1 decode them); a decoder that wrote U+FFFD for them
// lost them, and such a line is not repaired.
var byteOf1252 = func() map[rune]byte {
	m := map[rune]byte{}
	for c := 0x80; c <= 0x9F; c++ {
		if r, _ := utf8.DecodeRuneInString(decode1252([]byte{byte(c)})); r > 0xFF && r != utf8.RuneError { // 81, 8D, 8F, 90, 9D: undefined
			m[r] = byte(c)
		}
	}
	return m
}()

// doubleEncoded tells whether the lines of p (the first bytes of UTF-8
// delimited text) are UTF-8 encoded twice: of its lines with characters
// beyond ASCII, three or more, and half or more, are repaired by
// decodeTwice or show a character lost to it (lostTwice). UTF-8 written once ("PEÑA", "SÃO") is never: going back a
// byte a character does not give UTF-8.
func doubleEncoded(p []byte) bool {
	lines := bytes.Split(p, []byte{'\n'})
	if len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last one may be cut
	}
	wide, twice := 0, 0
	for _, ln := range lines {
		if !hasHigh(ln) {
			continue
		}
		wide++
		if _, ok := decodeTwice(ln); ok || lostTwice(ln) {
			twice++
		}
	}
	return twice >= 3 && 2*twice >= wide
}

// lostTwice tells whether a line holds a character encoded twice whose
// second byte a decoder replaced with U+FFFD ("Ã\uFFFD" was Á or Í:
// Windows-1252 leaves 0x81 and 0x8D undefined). Such a line cannot be
// repaired, but it is a sign its file was encoded twice.
func lostTwice(ln []byte) bool {
	return bytes.Contains(ln, []byte("Ã\uFFFD")) || bytes.Contains(ln, []byte("Â\uFFFD"))
}

func hasHigh(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// decode1252 decodes Windows-1252 bytes; the decoder maps every byte.
func decode1252(b []byte) string {
	s, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(s)
}

// delimSource reads delimited text.
//
// Records are parsed into a flat form that costs no allocation: the bytes
// of the fields are appended to a buffer, each field followed by one
// separator byte except the last, and the end of each field (an offset in
// the buffer) to a list of ends. Field k of a row starting at base is
// buf[start_k:ends[k]], start_0 = base, start_k = ends[k-1]+1; the next
// row starts at the end of the last field. An unquoted line is its own
// flat form (the delimiters are the separators), so taking it is one copy.
// Next turns a flat row into one string sliced into fields; NextView and
// Skip use it as it is.
type delimSource struct {
	lr    *lineReader
	delim byte
	start int64 // line where the last record started

	fields []string
	buf    []byte // flat form of the last row, for next
	ends   []int
	rec    []byte     // a quoted record, its lines joined
	held   []backLine // lines of a multi-line record, in case it must be undone
}

func (d *delimSource) header() []string { return nil }
func (d *delimSource) line() int64      { return d.start }

// maxRecordLines bounds a quoted field spanning lines: past it the opening
// quote is taken as a stray character.
const maxRecordLines = 200

// next returns the next record as strings: one string per row, the fields
// slices of it.
func (d *delimSource) next() ([]string, error) {
	var err error
	d.buf, d.ends, err = d.appendRow(d.buf[:0], d.ends[:0])
	if err != nil {
		return nil, err
	}
	d.fields = rowStrings(d.buf, 0, d.ends, d.fields[:0])
	return d.fields, nil
}

// rowStrings makes one string of the flat row buf[base:ends[len(ends)-1]]
// and appends its fields, slices of that string, to dst.
func rowStrings(buf []byte, base int, ends []int, dst []string) []string {
	s := string(buf[base:ends[len(ends)-1]])
	n := len(dst)
	dst = slices.Grow(dst, len(ends))[:n+len(ends)]
	out := dst[n:]
	prev := 0
	for k, e := range ends {
		e -= base
		out[k] = s[prev:e]
		prev = e + 1
	}
	return dst
}

// appendRow reads the next record and appends its flat form to buf and
// ends. On an error buf and ends come back as they were.
func (d *delimSource) appendRow(buf []byte, ends []int) ([]byte, []int, error) {
	base, mark := len(buf), len(ends)
	for {
		b, err := d.lr.readLine()
		if err != nil {
			return buf[:base], ends[:mark], err
		}
		d.start = d.lr.line
		var special, high bool
		if len(b) > 0 && b[0] == '"' {
			special = true // a quoted first field: no use scanning for delimiters
		} else {
			ends, special, high = scanLine(b, d.delim, base, ends)
		}
		if special {
			ends = ends[:mark]
			if bytes.IndexByte(b, 0) >= 0 {
				d.lr.skips.add(d.start, "binary data (NUL byte)")
				continue
			}
			var ok bool
			buf, ends, ok, err = d.quoted(b, buf, ends)
			if err != nil {
				return buf[:base], ends[:mark], err
			}
			if ok {
				return buf, ends, nil
			}
			continue
		}
		if high && d.lr.utf8 && !utf8.Valid(b) {
			// A line of a UTF-8 file that is not UTF-8: Windows-1252. Its
			// delimiters are where they were, only shifted.
			*d.lr.redecoded++
			b = []byte(decode1252(b))
			ends, _, _ = scanLine(b, d.delim, base, ends[:mark])
		} else if high && d.lr.twice {
			if once, ok := decodeTwice(b); ok {
				*d.lr.repaired++
				b = once
				ends, _, _ = scanLine(b, d.delim, base, ends[:mark])
			}
		}
		return append(buf, b...), ends, nil
	}
}

// SWAR constants: a byte repeated in each byte of a word.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
	lows  = 0x7f7f7f7f7f7f7f7f
)

// bytesEqual sets the high bit of each byte of x equal to the byte
// repeated in p, and clears every other bit (exact: no carries).
func bytesEqual(x, p uint64) uint64 {
	y := x ^ p
	return ^((y&lows + lows) | y | lows)
}

// scanLine appends to ends the end of each field of an unquoted line that
// would start at base. special tells that the line holds a quote or a NUL
// byte (ends are then to be dropped); high that it holds a byte ≥ 0x80.
// On amd64 it is scanLineSIMD (scan_amd64.s), elsewhere scanLineSWAR.

// scanLineSWAR is scanLine eight bytes at a time in plain Go. The
// positions of a word's delimiters are written without a branch per
// delimiter (two slots always, more when a word has more): a mispredicted
// branch per field cost more than the rest.
func scanLineSWAR(b []byte, delim byte, base int, ends []int) (_ []int, special, high bool) {
	ends = slices.Grow(ends, len(b)+2)
	e := ends[len(ends):cap(ends)]
	n := 0
	pd, pq := uint64(delim)*ones, uint64('"')*ones
	var spec, acc uint64
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		acc |= x
		spec |= bytesEqual(x, pq) | bytesEqual(x, 0)
		m := bytesEqual(x, pd)
		c := bits.OnesCount64(m)
		p := base + i
		// n ≤ i (one delimiter a byte at most), so n+1 < len(e).
		e[n] = p + bits.TrailingZeros64(m)>>3
		m &= m - 1
		e[n+1] = p + bits.TrailingZeros64(m)>>3
		if c > 2 {
			for k := n + 2; k < n+c; k++ {
				m &= m - 1
				e[k] = p + bits.TrailingZeros64(m)>>3
			}
		}
		n += c
	}
	for ; i < len(b); i++ {
		c := b[i]
		acc |= uint64(c)
		switch c {
		case delim:
			e[n] = base + i
			n++
		case '"', 0:
			spec = 1
		}
	}
	e[n] = base + len(b)
	return ends[:len(ends)+n+1], spec != 0, acc&highs != 0
}

// quoted parses a record with quotes into buf and ends, reading more lines
// while a quoted field is open. ok is false when the record was given up
// (and skipped); buf and ends then come back as they were.
func (d *delimSource) quoted(first []byte, buf []byte, ends []int) (_ []byte, _ []int, ok bool, err error) {
	base, mark := len(buf), len(ends)
	d.rec = append(d.rec[:0], first...)
	d.held = d.held[:0]
	for {
		var complete bool
		buf, ends, complete = parseQuoted(d.rec, d.delim, buf[:base], ends[:mark])
		if complete {
			if d.lr.utf8 && !utf8.Valid(d.rec) {
				*d.lr.redecoded++
				buf, ends = recodeFields(buf, ends, base, mark, d.delim, func(f []byte) []byte { return []byte(decode1252(f)) })
			} else if d.lr.twice {
				if _, ok := decodeTwice(d.rec); ok {
					*d.lr.repaired++
					buf, ends = recodeFields(buf, ends, base, mark, d.delim, func(f []byte) []byte {
						once, _ := decodeTwice(f)
						return once
					})
				}
			}
			return buf, ends, true, nil
		}
		buf, ends = buf[:base], ends[:mark]
		if len(d.held) >= maxRecordLines || len(d.rec) > d.lr.max {
			break
		}
		b, err := d.lr.readLine()
		if err == io.EOF {
			*d.lr.truncated = true
			d.lr.skips.add(d.start, "quoted field opened here is not closed at the end of the input")
			if len(d.held) == 0 {
				return buf, ends, false, io.EOF
			}
			break
		}
		if err != nil {
			return buf, ends, false, err
		}
		d.held = append(d.held, backLine{d.lr.line, append([]byte(nil), b...)})
		d.rec = append(d.rec, '\n')
		d.rec = append(d.rec, b...)
	}
	// Give up the multi-line record: the first line alone, with the
	// opening quote taken literally, and the other lines read again.
	d.lr.skips.add(d.start, "quoted field not closed within %d lines", len(d.held))
	d.lr.pushBack(append([]backLine(nil), d.held...))
	d.held = d.held[:0]
	return buf, ends, false, nil
}

// recodeFields replaces each field of the flat row at base by dec of it:
// decoded as Windows-1252 (the record was not UTF-8), or repaired
// (decodeTwice).
func recodeFields(buf []byte, ends []int, base, mark int, delim byte, dec func([]byte) []byte) ([]byte, []int) {
	raw := append([]byte(nil), buf[base:]...)
	old := append([]int(nil), ends[mark:]...)
	buf, ends = buf[:base], ends[:mark]
	prev := 0
	for k, e := range old {
		if k > 0 {
			buf = append(buf, delim)
		}
		buf = append(buf, dec(raw[prev:e-base])...)
		ends = append(ends, len(buf))
		prev = e - base + 1
	}
	return buf, ends
}

// parseQuoted splits rec into fields, appending their flat form (unquoted,
// each but the last followed by delim) to buf and their ends to ends;
// complete is false when rec ends inside a quoted field.
func parseQuoted(rec []byte, delim byte, buf []byte, ends []int) (_ []byte, _ []int, complete bool) {
	i := 0
	for {
		if i < len(rec) && rec[i] == '"' {
			i++
			closed := false
			for i < len(rec) {
				j := bytes.IndexByte(rec[i:], '"')
				if j < 0 {
					buf = append(buf, rec[i:]...)
					i = len(rec)
					break
				}
				buf = append(buf, rec[i:i+j]...)
				i += j
				if i+1 < len(rec) && rec[i+1] == '"' {
					buf = append(buf, '"')
					i += 2
					continue
				}
				i++
				closed = true
				break
			}
			if !closed {
				return buf, ends, false
			}
			// Lenient: text after the closing quote belongs to the field.
			for i < len(rec) && rec[i] != delim {
				buf = append(buf, rec[i])
				i++
			}
		} else {
			j := bytes.IndexByte(rec[i:], delim)
			if j < 0 {
				j = len(rec) - i
			}
			buf = append(buf, rec[i:i+j]...)
			i += j
		}
		ends = append(ends, len(buf))
		if i >= len(rec) {
			return buf, ends, true
		}
		i++ // the delimiter
		buf = append(buf, delim)
		if i == len(rec) {
			ends = append(ends, len(buf))
			return buf, ends, true
		}
	}
}

// sniffDelimiter picks the delimiter whose count per line, outside quotes,
// is the most consistent over the first lines of text.
func sniffDelimiter(p []byte) byte {
	lines := bytes.Split(p, []byte{'\n'})
	if len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last one may be cut
	}
	if len(lines) > 200 {
		lines = lines[:200]
	}
	best, bestScore := byte(','), -1.0
	for _, d := range []byte{',', '\t', '|', ';'} {
		counts := map[int]int{}
		n := 0
		for _, ln := range lines {
			if len(bytes.TrimSpace(ln)) == 0 {
				continue
			}
			counts[countOutsideQuotes(ln, d)]++
			n++
		}
		if n == 0 {
			continue
		}
		mode, modeN := 0, 0
		for c, k := range counts {
			if k > modeN || k == modeN && c > mode {
				mode, modeN = c, k
			}
		}
		if mode == 0 {
			continue
		}
		// Consistency first; more columns breaks near-ties.
		score := float64(modeN)/float64(n) + 0.001*float64(min(mode, 100))
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// holdsTable tells whether text sniffed as delimited (its first bytes p,
// its delimiter d) holds a table, not prose (a read-me, a sales pitch:
// "Este archivo contiene el padrón.\nPrecio: 500 USD, pago en BTC.\n").
// Of its first 200 lines that are not blank, a table has either at least
// two of two fields or more, as many in each, and they are half of the
// lines or more (a title before a table is common); or, failing that
// (one column: a list of CURPs, say), lines that read as values, not
// sentences: under half of them are sentences.
func holdsTable(p []byte, d byte) bool {
	lines := bytes.Split(p, []byte{'\n'})
	if len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last one may be cut
	}
	counts := map[int]int{}
	n, sentences := 0, 0
	for _, ln := range lines[:min(len(lines), 200)] {
		if len(bytes.TrimSpace(ln)) == 0 {
			continue
		}
		n++
		counts[countOutsideQuotes(ln, d)+1]++
	}
	w, wn := 0, 0
	for c, k := range counts {
		if k > wn || k == wn && c > w {
			w, wn = c, k
		}
	}
	if n == 0 || w >= 2 && wn >= 2 && 2*wn >= n {
		return true
	}
	for _, ln := range lines[:min(len(lines), 200)] {
		if isSentence(ln, w == 1) {
			sentences++
		}
	}
	return 2*sentences < n
}

// isSentence tells whether a line reads as a sentence: three words or more
// ending with '.', '!', '?' or ':' (a closing quote or bracket after it
// aside). In one column, a line of ten words or more is prose too (a
// paragraph's line breaks fall anywhere; the longest names have nine).
func isSentence(ln []byte, oneColumn bool) bool {
	words := len(bytes.Fields(ln))
	t := bytes.TrimRight(ln, " \t\r\f\"')»”)]")
	if words >= 3 && len(t) > 0 && bytes.IndexByte([]byte(".!?:"), t[len(t)-1]) >= 0 {
		return true
	}
	return oneColumn && words >= 10
}

func countOutsideQuotes(ln []byte, d byte) int {
	n := 0
	inq := false
	for i, c := range ln {
		switch {
		case c == '"' && (inq || i == 0 || ln[i-1] == d):
			inq = !inq
		case c == d && !inq:
			n++
		}
	}
	return n
}

// headerWords are column names seen in leaks, normalised (lower case, no
// accents, letters only). A first row made of them is a header.
var headerWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`id no num numero number folio consecutivo registro record
		curp clave claveelector claveine cve elector ine ife credencial nombre nombres name names
		firstname givenname lastname surname apellido apellidos paterno materno apellidopaterno
		apellidomaterno primerapellido segundoapellido ap am appaterno apmaterno nombrecompleto
		fullname fecha date fechanacimiento fechadenacimiento nacimiento fnac fechanac dob birth
		birthdate birthday edad age sexo sex genero gender entidad estado state edo ent
		entidadfederativa municipio mun mpio municipality ciudad city seccion secc sec section
		distrito district localidad loc locality calle street domicilio direccion address
		numero numext numexterior exterior noext numint numinterior interior noint colonia col
		neighborhood barrio codigopostal cp zip zipcode postal postalcode cpostal fecharegistro
		fechaalta alta emision anoemision vigencia cic ocr telefono tel phone celular cel movil
		mobile email correo mail correoelectronico ocupacion occupation`) {
		headerWords[w] = true
	}
}

// headerKey normalises a header cell for lookups: lower case letters and
// digits only, accents dropped.
func headerKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case r > 127:
			if a, ok := unaccent[r]; ok {
				b.WriteByte(a)
			}
		}
	}
	return b.String()
}

var unaccent = map[rune]byte{'á': 'a', 'à': 'a', 'â': 'a', 'ä': 'a', 'ã': 'a', 'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e',
	'í': 'i', 'ì': 'i', 'î': 'i', 'ï': 'i', 'ó': 'o', 'ò': 'o', 'ô': 'o', 'ö': 'o', 'õ': 'o', 'ú': 'u', 'ù': 'u',
	'û': 'u', 'ü': 'u', 'ñ': 'n', 'ç': 'c'}

// shape classes of a cell.
const (
	shEmpty = iota
	shDigits
	shDate  // digits with / - . separators
	shAlpha // letters and spaces
	shMixed // letters and digits
	shOther
)

func shape(s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return shEmpty
	}
	var digits, letters, seps, other int
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case unicode.IsLetter(r):
			letters++
		case r == '/' || r == '-' || r == '.' || r == ':':
			seps++
		case r == ' ' || r == '_' || r == '(' || r == ')' || r == '#' || r == '\'':
		default:
			other++
		}
	}
	switch {
	case letters == 0 && digits > 0 && seps == 0 && other == 0:
		return shDigits
	case letters == 0 && digits > 0 && seps > 0 && other == 0:
		return shDate
	case letters > 0 && digits == 0 && other == 0:
		return shAlpha
	case letters > 0 && digits > 0:
		return shMixed
	}
	return shOther
}

// LooksLikeHeader tells whether first is a header over rows. Each column
// votes: a text cell over a column whose values mostly have another shape
// (numbers, dates, codes) is a header; a known column word is; a
// lower-case or mixed-case cell over upper-case values is; a cell with the
// shape of its column's values, or equal to one of them, is not.
func LooksLikeHeader(first []string, rows [][]string) bool {
	score := 0
	seen := map[string]bool{}
	for j, c := range first {
		c = strings.TrimSpace(c)
		if seen[c] && c != "" {
			score -= 2 // header cells are distinct
		}
		seen[c] = true
		k := headerKey(c)
		known := headerWords[k] || numberedName(k) || strings.Contains(k, "nombre") || strings.Contains(k, "apellido") || strings.Contains(k, "fecha")
		sc := shape(c)
		counts := [6]int{}
		n, equal, upper := 0, 0, 0
		for _, row := range rows {
			if j >= len(row) {
				continue
			}
			v := strings.TrimSpace(row[j])
			counts[shape(v)]++
			if v == "" {
				continue
			}
			n++
			if v == c {
				equal++
			}
			if v == strings.ToUpper(v) {
				upper++
			}
		}
		dom := shEmpty
		for s := shDigits; s <= shOther; s++ {
			if counts[s] > counts[dom] || dom == shEmpty && counts[s] > 0 {
				dom = s
			}
		}
		switch {
		case equal > 0:
			score -= 2
		case sc == shEmpty:
		case known:
			score += 2
		case (sc == shAlpha || sc == shOther) && n > 0 && dom != shAlpha && dom != shOther && dom != shEmpty,
			sc == shMixed && n > 0 && dom != shMixed && dom != shEmpty:
			score += 2
		case sc == shDigits || sc == shDate:
			score -= 2
		case sc == shMixed && dom == shMixed && len(c) == typicalLen(rows, j):
			score -= 2
		case sc == shAlpha && n > 0 && upper == n && c != strings.ToUpper(c):
			score++
		case strings.ContainsAny(c, "_") && n > 0:
			score++
		}
	}
	return score > 0
}

func typicalLen(rows [][]string, j int) int {
	count := map[int]int{}
	best, bestN := -1, 0
	for _, row := range rows {
		if j < len(row) {
			n := len(strings.TrimSpace(row[j]))
			count[n]++
			if count[n] > bestN {
				best, bestN = n, count[n]
			}
		}
	}
	return best
}

// numberedName matches generated column names: col1, column_2, field3, c4, v5.
func numberedName(k string) bool {
	i := len(k)
	for i > 0 && k[i-1] >= '0' && k[i-1] <= '9' {
		i--
	}
	if i == len(k) {
		return false
	}
	switch k[:i] {
	case "col", "column", "field", "campo", "columna", "c", "v", "var", "x":
		return true
	}
	return false
}
