package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"unicode/utf8"
)

// jsonRows turns JSON objects and arrays into rows; it owns the header of
// object rows (keys in first-seen order, frozen after the sample).
//
// The members of a nested object are columns of their own, named by the
// path of keys joined with dots, at any depth: {"nombre":{"paterno":"X"}}
// has the column "nombre.paterno" and no column "nombre" (a register's
// fields are the leaves: a column holding a whole object would be
// compared as one text). Arrays, and objects nested deeper than
// maxJSONDepth, are one column holding compact JSON text; null is "".
type jsonRows struct {
	keys    map[string]int
	names   []string
	frozen  bool
	ignored map[string]bool
	skips   *skipper
	row     []string
	name    []byte // flatObject: the dotted name being built
	objects bool   // rows are objects (the header is the keys)
}

const (
	// maxJSONColumns bounds the header of object rows: keys past it are
	// ignored as keys unseen in the sample are (a file whose rows bring
	// ever new keys, or an object of a million members, holds this many
	// names at most).
	maxJSONColumns = 10000
	// maxJSONDepth bounds the flattening of nested objects.
	maxJSONDepth = 16
)

func (j *jsonRows) freeze() { j.frozen = true }

func (j *jsonRows) header() []string {
	if !j.objects {
		return nil
	}
	if j.names == nil {
		return []string{}
	}
	return j.names
}

// begin starts an object row: every column known so far, empty.
func (j *jsonRows) begin() []string {
	j.objects = true
	if j.keys == nil {
		j.keys = map[string]int{}
	}
	row := j.row[:0]
	for range j.names {
		row = append(row, "")
	}
	return row
}

// object reads the members of an object whose '{' was consumed.
func (j *jsonRows) object(dec *json.Decoder, line func() int64) ([]string, error) {
	row, err := j.members(dec, "", 0, j.begin(), line)
	if err != nil {
		return nil, err
	}
	j.row = row
	return row, nil
}

// members sets the columns of the members of an object whose '{' was
// consumed, through its '}', their names under prefix.
func (j *jsonRows) members(dec *json.Decoder, prefix string, depth int, row []string, line func() int64) ([]string, error) {
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if row, err = j.value(row, prefix+key, raw, depth, line); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, err
	}
	return row, nil
}

// value sets the column of name, a member at depth, to raw: an object's
// members are columns named name.key.
func (j *jsonRows) value(row []string, name string, raw json.RawMessage, depth int, line func() int64) ([]string, error) {
	if raw[0] == '{' && depth < maxJSONDepth {
		sub := json.NewDecoder(bytes.NewReader(raw))
		sub.Token()
		return j.members(sub, name+".", depth+1, row, line)
	}
	return j.member(row, name, jsonText(raw), line), nil
}

// member sets the value of key in row, adding the key to the header while
// the sample is read and the header has room.
func (j *jsonRows) member(row []string, key, val string, line func() int64) []string {
	idx, ok := j.keys[key]
	if !ok {
		if j.frozen || len(j.names) >= maxJSONColumns {
			j.ignore(key, line)
			return row
		}
		idx = len(j.names)
		j.keys[key] = idx
		j.names = append(j.names, key)
		row = append(row, "")
	}
	row[idx] = val
	return row
}

// ignore records that the values of a key that has no column are ignored:
// once per key for the first 1000 keys, then every time.
func (j *jsonRows) ignore(key string, line func() int64) {
	if j.ignored[key] {
		return
	}
	if j.ignored == nil {
		j.ignored = map[string]bool{}
	}
	if len(j.ignored) < 1000 {
		j.ignored[key] = true
	}
	if j.frozen {
		j.skips.add(line(), "key %q is not in the sample's keys: its values are ignored", key)
	} else {
		j.skips.add(line(), "key %q is past the first %d keys: its values are ignored", key, maxJSONColumns)
	}
}

// flatObject reads a one-line object whose values are strings, numbers,
// booleans, null or such objects, the common shape of JSON Lines, without
// encoding/json; ok is false for anything else (arrays, bad syntax), which
// the decoder then reads or reports.
func (j *jsonRows) flatObject(b []byte, line func() int64) (row []string, ok bool) {
	p := flatParser{b: b, ls: string(b)} // one string per row: values without escapes are slices of it
	p.ws()
	if p.i >= len(b) || b[p.i] != '{' {
		return nil, false
	}
	p.i++
	j.name = j.name[:0]
	if row, ok = j.flatMembers(&p, 0, j.begin(), line); !ok {
		return nil, false
	}
	p.ws()
	if p.i != len(b) {
		return nil, false
	}
	j.row = row
	return row, true
}

// flatMembers reads the members of an object whose '{' was read, through
// its '}'; below the top (depth > 0) their names are under j.name.
func (j *jsonRows) flatMembers(p *flatParser, depth int, row []string, line func() int64) ([]string, bool) {
	b := p.b
	prefix := len(j.name)
	for first := true; ; first = false {
		p.ws()
		if first && p.i < len(b) && b[p.i] == '}' {
			p.i++
			return row, true
		}
		key, ok := p.key()
		if !ok {
			return nil, false
		}
		p.ws()
		if p.i >= len(b) || b[p.i] != ':' {
			return nil, false
		}
		p.i++
		p.ws()
		if p.i < len(b) && b[p.i] == '{' && depth < maxJSONDepth {
			p.i++
			j.name = append(append(j.name[:prefix], key...), '.')
			if row, ok = j.flatMembers(p, depth+1, row, line); !ok {
				return nil, false
			}
			j.name = j.name[:prefix]
		} else {
			val, ok := p.scalar()
			if !ok {
				return nil, false
			}
			if depth == 0 {
				row = j.member(row, key, val, line)
			} else {
				// A known name costs no string.
				j.name = append(j.name[:prefix], key...)
				if idx, ok := j.keys[string(j.name)]; ok {
					row[idx] = val
				} else {
					row = j.member(row, string(j.name), val, line)
				}
			}
		}
		p.ws()
		if p.i < len(b) && b[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(b) && b[p.i] == '}' {
			p.i++
			return row, true
		}
		return nil, false
	}
}

// flatParser is flatObject's position in a line.
type flatParser struct {
	b    []byte
	ls   string // b as a string
	i    int
	high bool // the last string read has bytes ≥ 0x80
}

func (p *flatParser) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\r' || p.b[p.i] == '\n') {
		p.i++
	}
}

// str reads a string: a slice of the line when it holds no escape.
func (p *flatParser) str() (string, bool) {
	b := p.b
	if p.i >= len(b) || b[p.i] != '"' {
		return "", false
	}
	start := p.i
	p.i++
	esc := false
	p.high = false
	for p.i < len(b) && b[p.i] != '"' {
		switch c := b[p.i]; {
		case c == '\\':
			esc = true
			p.i++
		case c < 0x20:
			return "", false
		case c >= 0x80:
			p.high = true
		}
		p.i++
	}
	if p.i >= len(b) {
		return "", false
	}
	p.i++
	if !esc {
		return p.ls[start+1 : p.i-1], true
	}
	return p.unquote(start)
}

// key reads a member's name. Bytes that are not UTF-8 read as U+FFFD in
// a name, as encoding/json's Token reads them (a value keeps them, as
// jsonText does).
func (p *flatParser) key() (string, bool) {
	start := p.i
	s, ok := p.str()
	if ok && p.high && !utf8.ValidString(s) {
		return p.unquote(start)
	}
	return s, ok
}

// unquote reads the string from start to p.i with encoding/json.
func (p *flatParser) unquote(start int) (string, bool) {
	var s string
	if json.Unmarshal(p.b[start:p.i], &s) != nil {
		return "", false
	}
	return s, true
}

// scalar reads a string, number, boolean or null as text.
func (p *flatParser) scalar() (string, bool) {
	b := p.b
	if p.i >= len(b) {
		return "", false
	}
	switch c := b[p.i]; {
	case c == '"':
		return p.str()
	case c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
		start := p.i
		for p.i < len(b) && b[p.i] != ',' && b[p.i] != '}' && b[p.i] != ' ' && b[p.i] != '\t' && b[p.i] != '\r' && b[p.i] != '\n' {
			p.i++
		}
		switch val := p.ls[start:p.i]; {
		case val == "null":
			return "", true
		case val == "true" || val == "false" || json.Valid(b[start:p.i]):
			return val, true
		}
	}
	return "", false
}

// array reads the elements of an array whose '[' was consumed.
func (j *jsonRows) array(dec *json.Decoder) ([]string, error) {
	row := j.row[:0]
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		row = append(row, jsonText(raw))
	}
	if _, err := dec.Token(); err != nil { // ']'
		return nil, err
	}
	j.row = row
	return row, nil
}

// jsonText is the text of a JSON value: a string unquoted, null empty,
// anything else as written (objects and arrays compacted).
func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		if bytes.IndexByte(raw, '\\') < 0 {
			return string(raw[1 : len(raw)-1])
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return string(raw)
	case 'n':
		return ""
	case '{', '[':
		var b bytes.Buffer
		if json.Compact(&b, raw) == nil {
			return b.String()
		}
	}
	return string(raw)
}

// jsonSource reads a JSON array of rows (objects, arrays or scalars), an
// object holding such an array, or a sequence of top-level objects.
//
// A sniffed file whose first line is one object, followed by a line
// opening another, is JSON Lines whose first line outgrew the sniffer's
// window: the rest is read a line at a time (Info.Format becomes jsonl),
// so that a bad or long line is skipped, not the end of the read. When
// the first line is too long to keep, it is skipped as it would be there.
type jsonSource struct {
	jsonRows
	dec   *json.Decoder
	track *trackReader
	text  *bufio.Reader // what track reads
	file  string
	start int64 // offset where the last row started
	state int   // 0 before the first token, 1 inside the rows array, 2 a stream of objects, 3 done
	trunc *bool

	maxLine int
	lines   *jsonlSource                                   // set when the rest is read as JSON Lines
	asLines func(br *bufio.Reader, line int64) *lineReader // nil when the format was not sniffed
}

func newJSONSource(text *bufio.Reader, r *Reader) *jsonSource {
	t := &trackReader{r: text, max: int64(r.opt.MaxLineBytes) + bufSize}
	s := &jsonSource{track: t, text: text, file: r.info.Path, trunc: &r.info.Truncated, maxLine: r.opt.MaxLineBytes}
	s.skips = &r.skips
	s.dec = json.NewDecoder(t)
	t.offset = s.dec.InputOffset
	if r.opt.Format == "" {
		s.asLines = func(br *bufio.Reader, line int64) *lineReader {
			r.info.Format = "jsonl"
			return &lineReader{br: br, line: line, max: r.opt.MaxLineBytes, skips: &r.skips, utf8: r.info.Encoding == "utf-8",
				redecoded: &r.info.Redecoded, truncated: &r.info.Truncated, file: r.info.Path}
		}
	}
	return s
}

func (s *jsonSource) line() int64 {
	if s.lines != nil {
		return s.lines.line()
	}
	return s.track.lineAt(s.start)
}

func (s *jsonSource) next() ([]string, error) {
	if s.lines != nil {
		return s.lines.next()
	}
	row, err := s.next1()
	if err != nil && err != io.EOF {
		var tl *tooLongError
		switch {
		case errors.As(err, &tl):
			if s.state == 0 && s.skipFirstLine() {
				return s.lines.next()
			}
			return nil, &ParseError{File: s.file, Line: s.track.lineAt(s.start), Err: fmt.Errorf("a JSON value longer than %d bytes", tl.max)}
		case errors.Is(err, io.ErrUnexpectedEOF):
			*s.trunc = true
			s.skips.add(s.track.lineAt(s.start), "input ends inside a JSON value (truncated)")
			s.state = 3
			return nil, io.EOF
		case errors.Is(err, ErrTooLarge):
			return nil, &ParseError{File: s.file, Line: s.track.lineAt(s.dec.InputOffset()), Err: err}
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off := s.syntaxOffset(se)
			return nil, &ParseError{File: s.file, Line: s.track.lineAt(off), Column: s.track.columnAt(off), Err: fmt.Errorf("invalid JSON: %v", se)}
		}
		return nil, &ParseError{File: s.file, Line: s.track.lineAt(s.dec.InputOffset()), Err: fmt.Errorf("read JSON: %w", err)}
	}
	return row, err
}

// syntaxOffset is the offset of the byte a syntax error of the decoder
// is about. An error found between values (a missing comma) gives it; one
// found inside a value does not: encoding/json counts the bytes its
// scanner saw since the decoder began, which leaves out the commas and
// spaces (newlines too) passed over between values, and so falls behind
// row after row. The value, still in the decoder's buffer from its first
// byte, is scanned again on its own to find the byte.
func (s *jsonSource) syntaxOffset(se *json.SyntaxError) int64 {
	base := s.dec.InputOffset()
	b, _ := io.ReadAll(s.dec.Buffered())
	var raw json.RawMessage
	var again *json.SyntaxError
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&raw); errors.As(err, &again) && again.Error() == se.Error() {
		return base + again.Offset - 1 // the scanner counts the offending byte
	}
	return se.Offset
}

func (s *jsonSource) next1() ([]string, error) {
	for {
		switch s.state {
		case 3:
			return nil, io.EOF
		case 0:
			t, err := s.dec.Token()
			if err != nil {
				return nil, err
			}
			switch t {
			case json.Delim('['):
				s.state = 1
			case json.Delim('{'):
				// An object: either a wrapper holding the rows array
				// ({"meta": ..., "data": [{...}, ...]}) or the first of a
				// stream of objects.
				s.start = s.dec.InputOffset() - 1
				type member struct {
					key string
					raw json.RawMessage
				}
				var members []member
				wrapper := false
				for s.dec.More() {
					t, err := s.dec.Token()
					if err != nil {
						return nil, err
					}
					key, _ := t.(string)
					if c := peekValue(s.dec, 2); c == "[{" || c == "[[" {
						if _, err := s.dec.Token(); err != nil {
							return nil, err
						}
						wrapper = true
						break
					}
					var raw json.RawMessage
					if err := s.dec.Decode(&raw); err != nil {
						return nil, err
					}
					if len(members) < maxJSONColumns {
						members = append(members, member{key, raw})
					}
				}
				if wrapper {
					s.state = 1
					continue
				}
				if _, err := s.dec.Token(); err != nil { // '}'
					return nil, err
				}
				s.state = 2
				if s.firstLineAlone() && s.dec.InputOffset()-s.start > int64(s.maxLine) {
					s.skips.add(s.track.lineAt(s.start), "line longer than %d bytes", s.maxLine)
					return s.lines.next()
				}
				row := s.begin()
				for _, m := range members {
					if row, err = s.value(row, m.key, m.raw, 0, s.line); err != nil {
						return nil, err
					}
				}
				s.row = row
				return row, nil
			default:
				return nil, fmt.Errorf("expected a JSON array or object, found %v", t)
			}
		case 1:
			if !s.dec.More() {
				s.state = 3
				return nil, io.EOF
			}
			s.start = s.dec.InputOffset()
			return s.element()
		case 2:
			s.start = s.dec.InputOffset()
			if !s.dec.More() {
				if _, err := s.dec.Token(); err != io.EOF {
					return nil, fmt.Errorf("expected a JSON object")
				}
				s.state = 3
				return nil, io.EOF
			}
			if c := peekValue(s.dec, 1); c != "{" && c != "" {
				return nil, fmt.Errorf("expected a JSON object, found %q", c)
			}
			return s.element()
		}
	}
}

// firstLineAlone turns to reading lines when the first object, just read,
// is alone on its line and the next line opens an object. The line reader
// starts on the object's line, with what follows the object: the rest of
// the decoder's buffer, then the text.
func (s *jsonSource) firstLineAlone() bool {
	first := s.track.lineAt(s.start)
	if s.asLines == nil || s.track.lineAt(s.dec.InputOffset()) != first {
		return false
	}
	rest, _ := io.ReadAll(s.dec.Buffered())
	if !opensLine(rest, s.text, false) {
		return false
	}
	br := s.text
	if len(rest) > 0 {
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(rest), s.text), bufSize)
	}
	s.lines = &jsonlSource{jsonRows: &s.jsonRows, lr: s.asLines(br, first-1)}
	return true
}

// skipFirstLine turns to reading lines when the first object, too long to
// keep, has no newline in what was read of it (the decoder scans all it
// has read before reading more) and the line after it opens an object;
// the object's line is skipped.
func (s *jsonSource) skipFirstLine() bool {
	first := s.track.lineAt(s.start)
	if s.asLines == nil || s.track.lineAt(s.track.read) != first {
		return false
	}
	for {
		_, err := s.text.ReadSlice('\n')
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			return false
		}
	}
	if !opensLine(nil, s.text, true) {
		return false
	}
	s.lines = &jsonlSource{jsonRows: &s.jsonRows, lr: s.asLines(s.text, first)}
	s.skips.add(first, "line longer than %d bytes", s.maxLine)
	return true
}

// opensLine reports whether rest, then what text holds next, are spaces to
// the end of the line (unless eol: the line has ended), blank lines, and
// a line opening an object.
func opensLine(rest []byte, text *bufio.Reader, eol bool) bool {
	ahead, _ := text.Peek(min(peekSize, text.Size()))
	for _, part := range [2][]byte{rest, ahead} {
		for _, c := range part {
			switch c {
			case '\n':
				eol = true
			case ' ', '\t', '\r':
			default:
				return eol && c == '{'
			}
		}
	}
	return false
}

// element reads one row: the value is taken whole (bounded by the
// trackReader), flat objects take the fast path, others a decoder of their
// own.
func (s *jsonSource) element() ([]string, error) {
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		return nil, err
	}
	switch raw[0] {
	case '{':
		if row, ok := s.flatObject(raw, s.line); ok {
			return row, nil
		}
		sub := json.NewDecoder(bytes.NewReader(raw))
		sub.Token()
		return s.object(sub, s.line)
	case '[':
		sub := json.NewDecoder(bytes.NewReader(raw))
		sub.Token()
		return s.array(sub)
	}
	s.row = append(s.row[:0], jsonText(raw))
	return s.row, nil
}

// peekValue is the first n significant bytes of the next value in the
// decoder's buffer (skipping spaces, and ':' and ',' before the value);
// shorter when the buffer ends first.
func peekValue(dec *json.Decoder, n int) string {
	b, _ := dec.Buffered().(*bytes.Reader)
	if b == nil {
		return ""
	}
	var out []byte
	for len(out) < n {
		c, err := b.ReadByte()
		if err != nil {
			break
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case ':', ',':
			if len(out) == 0 {
				continue
			}
		}
		out = append(out, c)
	}
	return string(out)
}

// trackReader counts lines and stops a value that would grow the
// decoder's buffer past max bytes beyond what it has consumed.
type trackReader struct {
	r      io.Reader
	max    int64
	offset func() int64 // the decoder's consumed offset
	read   int64
	nl     []int64 // offsets of recent newlines
	nlBase int64   // newlines before nl[0]
}

type tooLongError struct{ max int64 }

func (e *tooLongError) Error() string { return fmt.Sprintf("value longer than %d bytes", e.max) }

func (t *trackReader) Read(p []byte) (int, error) {
	if t.offset != nil && t.read-t.offset() > t.max {
		return 0, &tooLongError{t.max - bufSize}
	}
	n, err := t.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			t.nl = append(t.nl, t.read+int64(i))
		}
	}
	t.read += int64(n)
	// Keep the newlines of the last few MiB only.
	if len(t.nl) > 1<<16 {
		drop := len(t.nl) / 2
		t.nlBase += int64(drop)
		t.nl = append(t.nl[:0], t.nl[drop:]...)
	}
	return n, err
}

// lineAt is the 1-based line of an offset (approximate when the offset is
// older than the kept newlines).
func (t *trackReader) lineAt(off int64) int64 {
	i := sort.Search(len(t.nl), func(i int) bool { return t.nl[i] >= off })
	return t.nlBase + int64(i) + 1
}

// columnAt is the 1-based byte column of an offset, 0 when unknown.
func (t *trackReader) columnAt(off int64) int {
	i := sort.Search(len(t.nl), func(i int) bool { return t.nl[i] >= off })
	if i == 0 {
		if t.nlBase == 0 {
			return int(off) + 1
		}
		return 0
	}
	return int(off - t.nl[i-1])
}

// jsonlSource reads one JSON object or array per line.
type jsonlSource struct {
	*jsonRows // a jsonSource's, when it turned to reading lines
	lr        *lineReader
}

func newJSONLSource(lr *lineReader) *jsonlSource {
	return &jsonlSource{jsonRows: &jsonRows{skips: lr.skips}, lr: lr}
}

func (s *jsonlSource) line() int64 { return s.lr.line }

func (s *jsonlSource) next() ([]string, error) {
	for {
		b, err := s.lr.readLine()
		if err != nil {
			return nil, err
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		if row, ok := s.flatObject(b, s.line); ok {
			return row, nil
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		row, err := s.one(dec)
		if err == nil && dec.More() {
			err = errors.New("more than one value on the line")
		}
		if err != nil {
			s.lr.skips.add(s.lr.line, "invalid JSON line: %v", err)
			continue
		}
		return row, nil
	}
}

func (s *jsonlSource) one(dec *json.Decoder) ([]string, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		return s.object(dec, s.line)
	case json.Delim('['):
		return s.array(dec)
	}
	return nil, fmt.Errorf("expected an object or array, found %v", t)
}
