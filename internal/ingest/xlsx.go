package ingest

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxSource reads the first sheet with rows of a workbook with excelize's
// streaming row iterator. Dates formatted with Excel's short-date style
// read as YYYY-MM-DD.
type xlsxSource struct {
	f     *excelize.File
	rows  *excelize.Rows
	n     int64 // row number of the last row
	skips *skipper
	file  string
}

// maxInMemoryXLSX bounds a workbook read from a compressed stream (excelize
// needs random access to it, so it is held in memory).
const maxInMemoryXLSX = 1 << 30

// openXLSX opens the workbook in the file, or in inner when it came out of
// a compressed stream.
func (r *Reader) openXLSX(inner io.Reader) error {
	opts := excelize.Options{
		UnzipSizeLimit:    r.opt.MaxDecompressed,
		UnzipXMLSizeLimit: min(16<<20, r.opt.MaxDecompressed),
		ShortDatePattern:  "yyyy-mm-dd",
	}
	var f *excelize.File
	var err error
	if inner == nil {
		r.raw = nil
		f, err = excelize.OpenFile(r.info.Path, opts)
	} else {
		var b []byte
		b, err = io.ReadAll(io.LimitReader(inner, maxInMemoryXLSX+1))
		if err == nil && len(b) > maxInMemoryXLSX {
			return fmt.Errorf("%s: compressed spreadsheet larger than %d bytes: decompress it first", r.info.Path, maxInMemoryXLSX)
		}
		if err == nil {
			f, err = excelize.OpenReader(bytes.NewReader(b), opts)
		}
	}
	if err != nil {
		return r.perr(0, fmt.Errorf("read XLSX workbook: %w", err))
	}
	r.closers = append(r.closers, f)
	r.info.Format = "xlsx"
	r.info.Encoding = "utf-8"
	s := &xlsxSource{f: f, skips: &r.skips, file: r.info.Path}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.Rows(sheet)
		if err != nil {
			continue
		}
		if rows.Next() {
			// Re-open so that the first row is read by next.
			rows.Close()
			rows, err = f.Rows(sheet)
			if err != nil {
				continue
			}
			s.rows = rows
			break
		}
		rows.Close()
	}
	if s.rows == nil {
		return r.perr(0, fmt.Errorf("XLSX workbook has no rows in any of its %d sheets", len(f.GetSheetList())))
	}
	r.closers = append(r.closers, s.rows)
	r.src = s
	return r.readSample()
}

func (s *xlsxSource) header() []string { return nil }
func (s *xlsxSource) line() int64      { return s.n }

func (s *xlsxSource) next() ([]string, error) {
	for s.rows.Next() {
		s.n++
		cols, err := s.rows.Columns()
		if err != nil {
			return nil, &ParseError{File: s.file, Line: s.n, Err: fmt.Errorf("read XLSX row: %w", err)}
		}
		empty := true
		for i, c := range cols {
			if c != "" {
				empty = false
			}
			cols[i] = strings.TrimRight(c, "\r")
		}
		if empty {
			continue
		}
		return cols, nil
	}
	if err := s.rows.Error(); err != nil {
		return nil, &ParseError{File: s.file, Line: s.n, Err: fmt.Errorf("read XLSX rows: %w", err)}
	}
	return nil, io.EOF
}
