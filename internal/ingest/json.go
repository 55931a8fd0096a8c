package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// jsonRows turns JSON objects and arrays into rows; it owns the header of
// object rows (keys in first-seen order, frozen after the sample).
type jsonRows struct {
	keys    map[string]int
	names   []string
	frozen  bool
	ignored map[string]bool
	skips   *skipper
	row     []string
	objects bool // rows are objects (the header is the keys)
}

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

// object reads the members of an object whose '{' was consumed.
func (j *jsonRows) object(dec *json.Decoder, line func() int64) ([]string, error) {
	j.objects = true
	if j.keys == nil {
		j.keys = map[string]int{}
	}
	row := j.row[:0]
	for i := range j.names {
		_ = i
		row = append(row, "")
	}
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
		row = j.member(row, key, jsonText(raw), line)
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, err
	}
	j.row = row
	return row, nil
}

// member sets the value of key in row, adding the key to the header while
// the sample is read.
func (j *jsonRows) member(row []string, key, val string, line func() int64) []string {
	idx, ok := j.keys[key]
	if !ok {
		if j.frozen {
			if !j.ignored[key] {
				if j.ignored == nil {
					j.ignored = map[string]bool{}
				}
				if len(j.ignored) < 1000 {
					j.ignored[key] = true
				}
				j.skips.add(line(), "key %q is not in the sample's keys: its values are ignored", key)
			}
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

// flatObject reads a one-line object whose values are strings, numbers,
// booleans or null, the common shape of JSON Lines, without encoding/json;
// ok is false for anything else (nested values, bad syntax), which the
// decoder then reads or reports.
func (j *jsonRows) flatObject(b []byte, line func() int64) (row []string, ok bool) {
	i := 0
	ls := string(b) // one string per row: values without escapes are slices of it
	ws := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
			i++
		}
	}
	str := func() (string, bool) {
		if i >= len(b) || b[i] != '"' {
			return "", false
		}
		start := i
		i++
		esc := false
		for i < len(b) && b[i] != '"' {
			if b[i] == '\\' {
				esc = true
				i++
			} else if b[i] < 0x20 {
				return "", false
			}
			i++
		}
		if i >= len(b) {
			return "", false
		}
		i++
		if !esc {
			return ls[start+1 : i-1], true
		}
		var s string
		if json.Unmarshal(b[start:i], &s) != nil {
			return "", false
		}
		return s, true
	}
	ws()
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	i++
	if j.keys == nil {
		j.keys = map[string]int{}
	}
	j.objects = true
	row = j.row[:0]
	for range j.names {
		row = append(row, "")
	}
	for first := true; ; first = false {
		ws()
		if i < len(b) && b[i] == '}' && first {
			i++
			break
		}
		key, ok := str()
		if !ok {
			return nil, false
		}
		ws()
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i++
		ws()
		if i >= len(b) {
			return nil, false
		}
		var val string
		switch c := b[i]; {
		case c == '"':
			if val, ok = str(); !ok {
				return nil, false
			}
		case c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
			start := i
			for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ' ' && b[i] != '\t' {
				i++
			}
			val = ls[start:i]
			switch {
			case val == "null":
				val = ""
			case val == "true" || val == "false":
			case !json.Valid(b[start:i]):
				return nil, false
			}
		default:
			return nil, false
		}
		row = j.member(row, key, val, line)
		ws()
		if i < len(b) && b[i] == ',' {
			i++
			continue
		}
		if i < len(b) && b[i] == '}' {
			i++
			break
		}
		return nil, false
	}
	ws()
	if i != len(b) {
		return nil, false
	}
	j.row = row
	return row, true
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
type jsonSource struct {
	jsonRows
	dec   *json.Decoder
	track *trackReader
	file  string
	start int64 // offset where the last row started
	state int   // 0 before the first token, 1 inside the rows array, 2 a stream of objects, 3 done
	trunc *bool
}

func newJSONSource(text io.Reader, r *Reader) *jsonSource {
	t := &trackReader{r: text, max: int64(r.opt.MaxLineBytes) + bufSize}
	s := &jsonSource{track: t, file: r.info.Path, trunc: &r.info.Truncated}
	s.skips = &r.skips
	s.dec = json.NewDecoder(t)
	t.offset = s.dec.InputOffset
	return s
}

func (s *jsonSource) line() int64 { return s.track.lineAt(s.start) }

func (s *jsonSource) next() ([]string, error) {
	row, err := s.next1()
	if err != nil && err != io.EOF {
		var tl *tooLongError
		switch {
		case errors.As(err, &tl):
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
			return nil, &ParseError{File: s.file, Line: s.track.lineAt(se.Offset), Column: s.track.columnAt(se.Offset), Err: fmt.Errorf("invalid JSON: %v", se)}
		}
		return nil, &ParseError{File: s.file, Line: s.track.lineAt(s.dec.InputOffset()), Err: fmt.Errorf("read JSON: %w", err)}
	}
	return row, err
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
				var keys, vals []string
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
					if len(keys) < 10000 {
						keys = append(keys, key)
						vals = append(vals, jsonText(raw))
					}
				}
				if wrapper {
					s.state = 1
					continue
				}
				if _, err := s.dec.Token(); err != nil { // '}'
					return nil, err
				}
				s.objects = true
				s.keys = map[string]int{}
				row := s.row[:0]
				for i, k := range keys {
					if j, ok := s.keys[k]; ok {
						row[j] = vals[i]
						continue
					}
					s.keys[k] = len(s.names)
					s.names = append(s.names, k)
					row = append(row, vals[i])
				}
				s.row = row
				s.state = 2
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

func (t *trackReader) columnAt(off int64) int {
	i := sort.Search(len(t.nl), func(i int) bool { return t.nl[i] >= off })
	if i == 0 {
		if t.nlBase == 0 {
			return int(off)
		}
		return 0
	}
	return int(off - t.nl[i-1])
}

// jsonlSource reads one JSON object or array per line.
type jsonlSource struct {
	jsonRows
	lr *lineReader
}

func newJSONLSource(lr *lineReader) *jsonlSource {
	s := &jsonlSource{lr: lr}
	s.skips = lr.skips
	return s
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
