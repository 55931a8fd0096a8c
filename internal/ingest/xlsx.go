package ingest

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

// sheetOrder is the workbook's sheets, the one with the most rows first:
// a workbook's register, not the cover or notes sheet before it. The rows
// are the used range each sheet declares, which Excel and LibreOffice
// write; when no sheet declares more than one row (excelize writes "A1"),
// each sheet's rows are counted by reading it.
func sheetOrder(f *excelize.File) (sheets []string, rowsOf map[string]int) {
	sheets = f.GetSheetList()
	rowsOf = map[string]int{}
	if len(sheets) < 2 {
		return sheets, rowsOf
	}
	rows := make([]int, len(sheets))
	declared := false
	for i, sheet := range sheets {
		rows[i] = sheetRows(f, sheet)
		declared = declared || rows[i] > 1
	}
	if !declared {
		for i, sheet := range sheets {
			rows[i] = countRows(f, sheet)
		}
	}
	best := 0
	for i := range sheets {
		rowsOf[sheets[i]] = rows[i]
		if rows[i] > rows[best] {
			best = i
		}
	}
	if best > 0 {
		sheets = append([]string{sheets[best]}, append(sheets[:best:best], sheets[best+1:]...)...)
	}
	return sheets, rowsOf
}

// sheetRows is the last row of the range a sheet declares, 0 when it
// declares none.
func sheetRows(f *excelize.File, sheet string) int {
	ref, err := f.GetSheetDimension(sheet)
	if err != nil || ref == "" {
		return 0
	}
	if i := strings.LastIndexByte(ref, ':'); i >= 0 {
		ref = ref[i+1:]
	}
	_, row, err := excelize.CellNameToCoordinates(ref)
	if err != nil {
		return 0
	}
	return row
}

// countRows counts a sheet's rows by reading them.
func countRows(f *excelize.File, sheet string) int {
	rows, err := f.Rows(sheet)
	if err != nil {
		return 0
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n
}

// xlsxSource reads a workbook's sheet (sheetOrder's first with rows, then
// the sheets that share its first row) with excelize's streaming row
// iterator. Dates formatted with Excel's short-date style read as
// YYYY-MM-DD.
type xlsxSource struct {
	f     *excelize.File
	rows  *excelize.Rows
	n     int64 // row number of the last row
	max   int   // longest row kept, in bytes (Options.MaxLineBytes)
	skips *skipper
	file  string
	// more: the sheets read after this one (the same first row: a
	// register split a state a sheet); head: that first row, dropped
	// from each of them when it holds no digit (their shared header)
	more []string
	head []string
}

// Close closes the sheet being read.
func (s *xlsxSource) Close() error {
	if s.rows != nil {
		return s.rows.Close()
	}
	return nil
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
	s := &xlsxSource{f: f, max: r.opt.MaxLineBytes, skips: &r.skips, file: r.info.Path}
	sheets, rowsOf := sheetOrder(f)
	chosen := ""
	for _, sheet := range sheets {
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
			s.rows, chosen = rows, sheet
			break
		}
		rows.Close()
	}
	if s.rows == nil {
		return r.perr(0, fmt.Errorf("XLSX workbook has no rows in any of its %d sheets", len(f.GetSheetList())))
	}
	// The sheets that continue the chosen one's table are read with it, in
	// the workbook's order; the others with data are recorded.
	s.head = firstRow(f, chosen)
	joined := map[string]bool{chosen: true}
	var order []string
	for _, sheet := range f.GetSheetList() {
		if sheet == chosen || s.head != nil && continues(s.head, firstRow(f, sheet)) {
			order, joined[sheet] = append(order, sheet), true
		}
	}
	if order[0] != chosen {
		rows, err := f.Rows(order[0])
		if err != nil {
			return r.perr(0, fmt.Errorf("read XLSX sheet %s: %w", order[0], err))
		}
		s.rows.Close()
		s.rows = rows
	}
	s.more = order[1:]
	for _, sheet := range sheets {
		if !joined[sheet] && (rowsOf[sheet] > 1 || countRows(f, sheet) > 1) { // more than a header (a sheet may declare "A1" and hold more)
			r.skips.add(0, "sheet %q is not read (reading %q)", sheet, chosen)
		}
	}
	if len(s.more) > 0 {
		r.info.Table = fmt.Sprintf("%d sheets like %q", 1+len(s.more), chosen)
	}
	r.closers = append(r.closers, s)
	r.src = s
	return r.readSample()
}

// continues tells whether a sheet whose first row is first continues the
// table whose first row is head: it repeats head (a header), or it is a
// row of data as wide (a register split over sheets, past a sheet's
// 1,048,576 rows, its header on the first only; a row's empty last cells
// are not written, so it may be up to a quarter narrower). A cover or a
// catalogue (its own header, other columns) does not.
func continues(head, first []string) bool {
	if slices.Equal(first, head) {
		return true
	}
	data := slices.ContainsFunc(first, func(c string) bool { return strings.ContainsAny(c, "0123456789") })
	return data && len(first) <= len(head) && 4*len(first) >= 3*len(head)
}

// firstRow is a sheet's first row with a value, nil when none.
func firstRow(f *excelize.File, sheet string) []string {
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil
	}
	defer rows.Close()
	for rows.Next() {
		cols, err := rows.Columns()
		if err != nil {
			return nil
		}
		for _, c := range cols {
			if c != "" {
				return cols
			}
		}
	}
	return nil
}

func (s *xlsxSource) header() []string { return nil }
func (s *xlsxSource) line() int64      { return s.n }

func (s *xlsxSource) next() ([]string, error) {
	for {
		cols, err := s.nextOfSheet()
		if err != io.EOF || len(s.more) == 0 {
			return cols, err
		}
		// the next sheet of the register, its header dropped
		s.rows.Close()
		if s.rows, err = s.f.Rows(s.more[0]); err != nil {
			return nil, &ParseError{File: s.file, Line: s.n, Err: fmt.Errorf("read XLSX sheet %s: %w", s.more[0], err)}
		}
		s.more = s.more[1:]
		if !strings.ContainsAny(strings.Join(s.head, ""), "0123456789") {
			first, err := s.nextOfSheet()
			if err != nil && err != io.EOF {
				return nil, err
			}
			if err == nil && !slices.Equal(first, s.head) {
				return first, nil
			}
		}
	}
}

func (s *xlsxSource) nextOfSheet() ([]string, error) {
	for s.rows.Next() {
		s.n++
		cols, err := s.rows.Columns()
		if err != nil {
			return nil, &ParseError{File: s.file, Line: s.n, Err: fmt.Errorf("read XLSX row: %w", err)}
		}
		empty, size := true, 0
		for i, c := range cols {
			if c != "" {
				empty = false
			}
			cols[i] = strings.TrimRight(c, "\r")
			size += len(cols[i])
		}
		if empty {
			continue
		}
		if s.max > 0 && size > s.max {
			s.skips.add(s.n, "row longer than %d bytes", s.max)
			continue
		}
		return cols, nil
	}
	if err := s.rows.Error(); err != nil {
		return nil, &ParseError{File: s.file, Line: s.n, Err: fmt.Errorf("read XLSX rows: %w", err)}
	}
	return nil, io.EOF
}
