package attack

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// Format is a file format a leak is written in.
type Format string

// The formats.
const (
	CSV       Format = "csv"        // RFC 4180, UTF-8
	CSVLatin1 Format = "csv-latin1" // the same, in ISO-8859-1 (values with other characters get '?')
	JSON      Format = "json"       // one array of objects, keys = headers
	JSONL     Format = "jsonl"      // one object per line
	SQL       Format = "sql"        // CREATE TABLE and one INSERT per row
	XLSX      Format = "xlsx"       // one sheet
)

// Ext is the file name extension of f.
func (f Format) Ext() string {
	if f == CSVLatin1 {
		return "csv"
	}
	return string(f)
}

// WriteFile writes t to path in format f.
func WriteFile(path string, t *Table, f Format) error {
	if f == XLSX {
		return writeXLSX(path, t)
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(fh, 1<<16)
	if err := Write(bw, t, f); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return fh.Close()
}

// Write writes t to w in format f (every format but xlsx).
func Write(w io.Writer, t *Table, f Format) error {
	switch f {
	case CSV:
		return writeCSV(w, t)
	case CSVLatin1:
		var b bytes.Buffer
		if err := writeCSV(&b, t); err != nil {
			return err
		}
		enc, err := charmap.ISO8859_1.NewEncoder().String(latin1Safe(b.String()))
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, enc)
		return err
	case JSON, JSONL:
		return writeJSON(w, t, f == JSONL)
	case SQL:
		return writeSQL(w, t)
	}
	return fmt.Errorf("attack: format %q cannot be streamed", f)
}

// latin1Safe replaces what Latin-1 cannot hold with '?'.
func latin1Safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r > 0xff {
			return '?'
		}
		return r
	}, s)
}

func writeCSV(w io.Writer, t *Table) error {
	cw := csv.NewWriter(w)
	if !t.NoHeader {
		cw.Write(t.Header)
	}
	for _, row := range t.Rows {
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

func writeJSON(w io.Writer, t *Table, lines bool) error {
	keys := make([][]byte, len(t.Header))
	for i, h := range t.Header {
		keys[i], _ = json.Marshal(h)
	}
	var b []byte
	if !lines {
		b = append(b, '[', '\n')
	}
	for r, row := range t.Rows {
		b = append(b, '{')
		for i, v := range row {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, keys[i]...)
			b = append(b, ':')
			vb, _ := json.Marshal(v)
			b = append(b, vb...)
		}
		b = append(b, '}')
		if !lines && r < len(t.Rows)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
		if len(b) > 1<<16 {
			if _, err := w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	if !lines {
		b = append(b, ']', '\n')
	}
	_, err := w.Write(b)
	return err
}

func sqlIdent(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func writeSQL(w io.Writer, t *Table) error {
	cols := make([]string, len(t.Header))
	for i, h := range t.Header {
		cols[i] = sqlIdent(h)
	}
	var b strings.Builder
	b.WriteString("CREATE TABLE padron (")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c + " VARCHAR(255)")
	}
	b.WriteString(");\n")
	list := strings.Join(cols, ", ")
	for _, row := range t.Rows {
		b.WriteString("INSERT INTO padron (" + list + ") VALUES (")
		for i, v := range row {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("'" + strings.ReplaceAll(v, "'", "''") + "'")
		}
		b.WriteString(");\n")
		if b.Len() > 1<<16 {
			if _, err := io.WriteString(w, b.String()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeXLSX(path string, t *Table) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	row := 1
	put := func(vals []string) error {
		cells := make([]any, len(vals))
		for i, v := range vals {
			cells[i] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return sw.SetRow(cell, cells)
	}
	if !t.NoHeader {
		if err := put(t.Header); err != nil {
			return err
		}
	}
	for _, r := range t.Rows {
		if err := put(r); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(path)
}
