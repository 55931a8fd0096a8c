package store

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/huella/huella/internal/register"
)

// ParseError is a malformed input file, positioned at a 1-based line and a
// 1-based byte column, like encoding/csv's. It prints "file:line:column: what".
type ParseError struct {
	File   string
	Line   int
	Column int
	Err    error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// The kinds of input file.
const (
	KindSnapshot = "snapshot" // the register as of one day; header = the schema's columns
	KindHistory  = "history"  // every version: person_id, valid_from, valid_to + the schema's columns
)

// History columns, besides the schema's.
const (
	colPersonID  = "person_id"
	colValidFrom = "valid_from"
	colValidTo   = "valid_to"
)

// Special targets of a CSV column (schema fields are >= 0).
const (
	toPersonID    = -1
	toValidFrom   = -2
	toValidTo     = -3
	unknownColumn = -100
)

// row is one validated line of an input file. Rec is reused between rows.
type row struct {
	Line     int
	Rec      register.Record
	PersonID uint64        // history only
	From, To register.Date // history only; To is NoDate when open
}

// reader reads and validates a snapshot or history CSV file: header of
// column names (any order, every schema column present, no unknown column),
// then rows with exactly as many fields, valid UTF-8 without NUL, ISO dates
// in date fields (empty allowed), and for history files a person_id
// (decimal), a valid_from date and an empty or later valid_to.
type reader struct {
	cr     *csvReader
	file   string
	schema *register.Schema
	kind   string
	target []int // CSV column → schema field or toXxx
	isDate []bool
	row    row
}

func newReader(r io.Reader, file string, schema *register.Schema) (*reader, error) {
	cr := newCSVReader(r)
	rd := &reader{cr: cr, file: file, schema: schema}
	rd.isDate = make([]bool, len(schema.Fields))
	for i, f := range schema.Fields {
		rd.isDate[i] = f.Kind == register.KindDate
	}
	rd.row.Rec = make(register.Record, len(schema.Fields))
	header, err := cr.read()
	if err == io.EOF {
		return nil, &ParseError{File: file, Line: 1, Column: 1, Err: errors.New("empty file: expected a header line of column names")}
	}
	if err != nil {
		return nil, rd.csvError(err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	for i := range header {
		if header[i] == colValidFrom {
			rd.kind = KindHistory
		}
	}
	if rd.kind == "" {
		rd.kind = KindSnapshot
	}
	seen := make([]bool, len(schema.Fields))
	var seenHist [3]bool
	rd.target = make([]int, len(header))
	for i, name := range header {
		col := cr.pos[i].col
		if !utf8.ValidString(name) {
			return nil, &ParseError{File: file, Line: 1, Column: col, Err: errors.New("header: invalid UTF-8")}
		}
		t := schema.Index(name)
		if t < 0 {
			t = unknownColumn
			if rd.kind == KindHistory {
				switch name {
				case colPersonID:
					t = toPersonID
				case colValidFrom:
					t = toValidFrom
				case colValidTo:
					t = toValidTo
				}
			}
		}
		switch {
		case t == unknownColumn:
			return nil, &ParseError{File: file, Line: 1, Column: col, Err: fmt.Errorf("header: unknown column %q (schema %s)", name, schema.Name)}
		case t >= 0:
			if seen[t] {
				return nil, &ParseError{File: file, Line: 1, Column: col, Err: fmt.Errorf("header: column %q twice", name)}
			}
			seen[t] = true
		default:
			if seenHist[-t-1] {
				return nil, &ParseError{File: file, Line: 1, Column: col, Err: fmt.Errorf("header: column %q twice", name)}
			}
			seenHist[-t-1] = true
		}
		rd.target[i] = t
	}
	var missing []string
	for i, ok := range seen {
		if !ok {
			missing = append(missing, schema.Fields[i].Name)
		}
	}
	if rd.kind == KindHistory {
		for i, name := range []string{colPersonID, colValidFrom, colValidTo} {
			if !seenHist[i] {
				missing = append(missing, name)
			}
		}
	}
	if len(missing) > 0 {
		return nil, &ParseError{File: file, Line: 1, Column: 1, Err: fmt.Errorf("header: missing column(s) %s", strings.Join(missing, ", "))}
	}
	return rd, nil
}

// csvError converts a CSV syntax error into a ParseError.
func (rd *reader) csvError(err error) error {
	var se *csvSyntaxError
	if errors.As(err, &se) {
		return &ParseError{File: rd.file, Line: se.line, Column: se.col, Err: se.err}
	}
	return fmt.Errorf("read %s: %w", rd.file, err)
}

// next returns the next valid row, or io.EOF.
func (rd *reader) next() (*row, error) {
	fields, err := rd.cr.read()
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, rd.csvError(err)
	}
	r := &rd.row
	r.Line = rd.cr.pos[0].line
	if len(fields) != len(rd.target) {
		return nil, &ParseError{File: rd.file, Line: r.Line, Column: 1,
			Err: fmt.Errorf("%d fields, expected %d (one per header column)", len(fields), len(rd.target))}
	}
	r.To = register.NoDate
	for i, v := range fields {
		if bad := invalidText(v); bad >= 0 {
			line, col := rd.cr.pos[i].line, rd.cr.pos[i].col
			what := "invalid UTF-8"
			if v[bad] == 0 {
				what = "NUL byte"
			}
			return nil, &ParseError{File: rd.file, Line: line, Column: col + bad, Err: fmt.Errorf("%s: %s", rd.columnName(i), what)}
		}
		t := rd.target[i]
		if t >= 0 {
			r.Rec[t] = v
			if rd.isDate[t] && v != "" {
				if _, err := register.ParseDate(v); err != nil {
					return nil, rd.fieldError(i, err)
				}
			}
			continue
		}
		switch t {
		case toPersonID:
			id, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, rd.fieldError(i, fmt.Errorf("%q is not a person id (a decimal number)", v))
			}
			r.PersonID = id
		case toValidFrom:
			d, err := register.ParseDate(v)
			if err != nil {
				return nil, rd.fieldError(i, err)
			}
			r.From = d
		case toValidTo:
			if v == "" {
				continue
			}
			d, err := register.ParseDate(v)
			if err != nil {
				return nil, rd.fieldError(i, err)
			}
			r.To = d
		}
	}
	if rd.kind == KindHistory && r.To != register.NoDate && r.To <= r.From {
		for i, t := range rd.target {
			if t == toValidTo {
				return nil, rd.fieldError(i, fmt.Errorf("valid_to %s is not after valid_from %s", r.To, r.From))
			}
		}
	}
	return r, nil
}

func (rd *reader) columnName(i int) string {
	switch t := rd.target[i]; {
	case t >= 0:
		return rd.schema.Fields[t].Name
	case t == toPersonID:
		return colPersonID
	case t == toValidFrom:
		return colValidFrom
	default:
		return colValidTo
	}
}

func (rd *reader) fieldError(i int, err error) error {
	line, col := rd.cr.pos[i].line, rd.cr.pos[i].col
	return &ParseError{File: rd.file, Line: line, Column: col, Err: fmt.Errorf("%s: %w", rd.columnName(i), err)}
}

// invalidText is the byte offset of the first invalid UTF-8 sequence or NUL
// in s, or -1. ASCII is checked fast.
func invalidText(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			return i
		}
		if c >= utf8.RuneSelf {
			for j := i; j < len(s); {
				r, n := utf8.DecodeRuneInString(s[j:])
				if r == utf8.RuneError && n == 1 || r == 0 {
					return j
				}
				j += n
			}
			return -1
		}
	}
	return -1
}
