package release

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/huella/huella/internal/register"
	"github.com/xuri/excelize/v2"
)

// rowWriter writes the rows of one copy in one format.
type rowWriter interface {
	// Row writes the values rec[cols[0]], rec[cols[1]], ...
	Row(rec register.Record, cols []int) error
	Close() error
}

// encoder is a rowWriter whose rows are bytes written in sequence: the copy
// keeps a block of encoded rows instead of records.
type encoder interface {
	Encode(dst []byte, rec register.Record, cols []int) []byte
}

var writers = map[string]func(w *bufio.Writer, schema *register.Schema, fields []string) (rowWriter, error){
	"csv":   newCSV,
	"jsonl": newJSONL,
	"sql":   newSQL,
	"xlsx":  newXLSX,
}

// csv

type csvWriter struct {
	w   *bufio.Writer
	buf []byte
}

func newCSV(w *bufio.Writer, _ *register.Schema, fields []string) (rowWriter, error) {
	c := &csvWriter{w: w}
	for i, f := range fields {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = AppendCSV(c.buf, f)
	}
	c.buf = append(c.buf, '\n')
	_, err := w.Write(c.buf)
	return c, err
}

func (c *csvWriter) Row(rec register.Record, cols []int) error {
	c.buf = c.Encode(c.buf[:0], rec, cols)
	_, err := c.w.Write(c.buf)
	return err
}

func (c *csvWriter) Encode(b []byte, rec register.Record, cols []int) []byte {
	for i, k := range cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendCSV(b, rec[k])
	}
	return append(b, '\n')
}

func (c *csvWriter) Close() error { return nil }

// AppendCSV appends one CSV field as releases write it, quoted when it holds , " CR or LF or
// starts with a space.
func AppendCSV(b []byte, s string) []byte {
	need := len(s) > 0 && s[0] == ' '
	for i := 0; i < len(s) && !need; i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			need = true
		}
	}
	if !need {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// jsonl

type jsonlWriter struct {
	w    *bufio.Writer
	keys [][]byte // `"name":` per field, with the leading { or ,
	buf  []byte
}

func newJSONL(w *bufio.Writer, _ *register.Schema, fields []string) (rowWriter, error) {
	j := &jsonlWriter{w: w}
	for i, f := range fields {
		var k []byte
		if i == 0 {
			k = append(k, '{')
		} else {
			k = append(k, ',')
		}
		k = appendJSONString(k, f)
		k = append(k, ':')
		j.keys = append(j.keys, k)
	}
	return j, nil
}

func (j *jsonlWriter) Row(rec register.Record, cols []int) error {
	j.buf = j.Encode(j.buf[:0], rec, cols)
	_, err := j.w.Write(j.buf)
	return err
}

func (j *jsonlWriter) Encode(b []byte, rec register.Record, cols []int) []byte {
	for i, k := range cols {
		b = append(b, j.keys[i]...)
		b = appendJSONString(b, rec[k])
	}
	if len(cols) == 0 {
		b = append(b, '{')
	}
	return append(b, '}', '\n')
}

func (j *jsonlWriter) Close() error { return nil }

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string (invalid UTF-8 becomes U+FFFD).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				switch c {
				case '\n':
					b = append(b, '\\', 'n')
				case '\r':
					b = append(b, '\\', 'r')
				case '\t':
					b = append(b, '\\', 't')
				default:
					b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
				}
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// sql

type sqlWriter struct {
	w      *bufio.Writer
	prefix []byte
	buf    []byte
}

func newSQL(w *bufio.Writer, schema *register.Schema, fields []string) (rowWriter, error) {
	table := sqlIdent(schema.Name)
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (", table)
	cols := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = sqlIdent(f)
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s TEXT", cols[i])
	}
	b.WriteString(");\n")
	if _, err := w.WriteString(b.String()); err != nil {
		return nil, err
	}
	prefix := fmt.Sprintf("INSERT INTO %s (%s) VALUES (", table, strings.Join(cols, ", "))
	return &sqlWriter{w: w, prefix: []byte(prefix)}, nil
}

// sqlIdent makes a name a plain SQL identifier: letters, digits, _.
func sqlIdent(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 || b.String()[0] >= '0' && b.String()[0] <= '9' {
		return "t_" + b.String()
	}
	return b.String()
}

func (s *sqlWriter) Row(rec register.Record, cols []int) error {
	s.buf = s.Encode(s.buf[:0], rec, cols)
	_, err := s.w.Write(s.buf)
	return err
}

func (s *sqlWriter) Encode(b []byte, rec register.Record, cols []int) []byte {
	b = append(b, s.prefix...)
	for i, k := range cols {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '\'')
		v := rec[k]
		for j := 0; j < len(v); j++ {
			if v[j] == '\'' {
				b = append(b, '\'')
			}
			b = append(b, v[j])
		}
		b = append(b, '\'')
	}
	return append(b, ");\n"...)
}

func (s *sqlWriter) Close() error { return nil }

// xlsx

// xlsxMaxRows is the data rows per sheet: the format's 1,048,576 rows less
// the header.
const xlsxMaxRows = 1<<20 - 1

type xlsxWriter struct {
	out    *bufio.Writer
	f      *excelize.File
	sw     *excelize.StreamWriter
	header []any
	sheet  int
	row    int
	vals   []any
}

func newXLSX(w *bufio.Writer, _ *register.Schema, fields []string) (rowWriter, error) {
	x := &xlsxWriter{out: w, f: excelize.NewFile()}
	for _, f := range fields {
		x.header = append(x.header, f)
	}
	if err := x.nextSheet(); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *xlsxWriter) nextSheet() error {
	if x.sw != nil {
		if err := x.sw.Flush(); err != nil {
			return err
		}
	}
	x.sheet++
	name := "Sheet" + strconv.Itoa(x.sheet)
	if x.sheet > 1 {
		if _, err := x.f.NewSheet(name); err != nil {
			return err
		}
	}
	sw, err := x.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	x.sw = sw
	x.row = 1
	return x.sw.SetRow("A1", x.header)
}

func (x *xlsxWriter) Row(rec register.Record, cols []int) error {
	if x.row > xlsxMaxRows {
		if err := x.nextSheet(); err != nil {
			return err
		}
	}
	x.row++
	x.vals = x.vals[:0]
	for _, k := range cols {
		x.vals = append(x.vals, rec[k])
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, x.vals)
}

func (x *xlsxWriter) Close() error {
	if err := x.sw.Flush(); err != nil {
		return err
	}
	if _, err := x.f.WriteTo(x.out); err != nil {
		return err
	}
	return x.f.Close()
}
