package ingest

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/bzip2"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	gzip "github.com/klauspost/compress/gzip"
	"hash"
	"io"
	"os"
	"path"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Options bound what a Reader reads and holds. Zero values take defaults.
type Options struct {
	MaxLineBytes    int        // longest line, record, JSON value or SQL tuple kept (default 1 MiB)
	MaxRows         int64      // stop after this many data rows (0 = all)
	MaxDecompressed int64      // cap on decompressed bytes (default 100× compressed, ≥1 GiB, ≤64 GiB)
	SampleRows      int        // rows read ahead at Open for Sample (default 1000)
	Header          HeaderMode // whether the first row of delimited text or XLSX is a header
	Format          string     // force a format (csv, tsv, pipe, semicolon, json, jsonl, sql, xlsx); "" sniffs
	NoHash          bool       // leave Info.SHA256 empty (a second pass over a file hashed already)

	sqlTable string          // SQL: the table to read (chosen by a survey of the dump)
	sqlJoin  map[string]bool // SQL: the tables, lower-cased, read with it as one (the same columns)
	survey   bool            // SQL: only survey the dump's tables (Reader.tables)
}

// HeaderMode says how the first row of a table without named columns is taken.
type HeaderMode int

// Header modes.
const (
	HeaderAuto    HeaderMode = iota // decided from content
	HeaderPresent                   // the first row is a header
	HeaderAbsent                    // the first row is data
)

// Info describes what was read. Rows, SkippedCount and Truncated grow as
// rows are read and are final once Next has returned io.EOF.
type Info struct {
	Path         string
	SHA256       string // of the raw input file, hex
	Bytes        int64  // size of the raw input file
	Format       string // csv|tsv|pipe|semicolon|json|jsonl|sql|xlsx
	Encoding     string // utf-8|windows-1252|utf-16le|utf-16be
	Compression  string // none|gzip|bzip2|zip|tar+gzip|tar+bzip2
	Header       []string
	Rows         int64  // data rows handed out by Next
	Skipped      []Skip // the first 100 skips
	SkippedCount int64  // all skips
	Redecoded    int64  // lines of a UTF-8 file decoded as Windows-1252
	Repaired     int64  // lines of delimited UTF-8 encoded twice, repaired (see doubleEncoded)
	Truncated    bool   // the input ended in the middle of a record or stream
	Table        string // SQL: the table whose rows were read; XLSX: the sheets, when several
}

// Skip is a part of the input that was not turned into a row.
type Skip struct {
	Line   int64 // 1-based line of the decoded text (row number for XLSX)
	Reason string
}

// ParseError is an error about the content of the input, positioned in the
// decoded text: lines and byte columns count from 1; Column 0 means the
// whole line, Line 0 the whole file (a damaged archive, no table in it).
type ParseError struct {
	File   string
	Line   int64
	Column int
	Err    error
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	if e.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// ErrTooLarge is returned when decompressed data exceed Options.MaxDecompressed.
var ErrTooLarge = errors.New("decompressed data exceed the cap (a zip-bomb guard): if the file is genuine, decompress it yourself and analyse the decompressed file")

const (
	maxSkipsListed = 100
	peekSize       = 64 << 10
	bufSize        = 256 << 10
)

// source yields rows of one format. A row is valid until the next call.
type source interface {
	next() ([]string, error)
	header() []string // nil when the format names no columns
	line() int64      // where the last row started
}

// Reader reads the rows of one leaked file.
type Reader struct {
	opt  Options
	info Info

	f       *os.File
	raw     *hashingReader // nil when the raw file is not read sequentially
	closers []io.Closer
	src     source

	sample   [][]string
	sampleAt int
	pending  [][]string // rows read past the sample (for the header decision), handed out after it
	eof      bool
	err      error
	skips    skipper
	width    int // expected fields per row; 0 when unknown

	mu   sync.Mutex // held by the pipeline's producer while it parses
	pipe *pipeline

	row   []string // returned by Next past the sample
	view  [][]byte // returned by NextView
	vbuf  []byte   // NextView's and Skip's flat row
	vends []int

	tables sqlSurvey // Options.survey: the dump's tables
}

// skipper collects skips; sources share it with the Reader.
type skipper struct {
	list  []Skip
	count int64
}

func (s *skipper) add(line int64, format string, a ...any) {
	s.count++
	if len(s.list) < maxSkipsListed {
		s.list = append(s.list, Skip{Line: line, Reason: fmt.Sprintf(format, a...)})
	}
}

// Open sniffs the file's container, encoding and format, reads the header
// and the sample, and returns a Reader positioned at the first data row.
func Open(name string, opt Options) (*Reader, error) {
	if opt.MaxLineBytes <= 0 {
		opt.MaxLineBytes = 1 << 20
	}
	if opt.SampleRows <= 0 {
		opt.SampleRows = 1000
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open leak: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open leak: %w", err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("open leak %s: is a directory", name)
	}
	r := &Reader{opt: opt, f: f}
	r.info.Path = name
	r.info.Bytes = st.Size()
	if opt.MaxDecompressed <= 0 {
		opt.MaxDecompressed = min(max(100*st.Size(), 1<<30), 64<<30)
		r.opt.MaxDecompressed = opt.MaxDecompressed
	}
	if err := r.open(); err != nil {
		r.Close()
		return nil, err
	}
	if opt.survey {
		return r, nil
	}
	if r.info.Format == "sql" && opt.sqlTable == "" {
		// The first table with rows is read unless another holds more:
		// a dump's tables come in name order, and a small catalogue may
		// come before the register.
		// Tables with the largest's columns are read with it, in the
		// dump's order: a register split a state a table.
		if best, join := largestTable(name, opt); best != "" && (!strings.EqualFold(best, r.info.Table) || join != nil) {
			opt.sqlTable, opt.sqlJoin = best, join
			if other, err := Open(name, opt); err == nil && len(other.sample) > 0 {
				r.Close()
				return other, nil
			} else if err == nil {
				other.Close() // the survey's name matched no rows: keep the first table
			}
		}
	}
	r.startPipeline()
	return r, nil
}

// largestTable is the table of an SQL dump whose rows take the most bytes,
// "" when the survey finds no rows. Tables with the same columns count as
// one, their bytes summed (a register split a state a table): best is then
// the largest of the group with the most bytes, and join holds the group's
// names, lower-cased.
func largestTable(name string, opt Options) (best string, join map[string]bool) {
	opt.survey, opt.NoHash = true, true
	r, err := Open(name, opt)
	if err != nil {
		return "", nil
	}
	defer r.Close()
	group := func(t string) string { // tables of unknown columns stand alone
		if c := r.tables.cols[strings.ToLower(t)]; c != "" {
			return c
		}
		return "\x00" + t
	}
	sums := map[string]int64{}
	for t, n := range r.tables.bytes {
		sums[group(t)] += n
	}
	top, most := "", int64(0)
	for g, n := range sums {
		if n > most || n == most && g < top {
			top, most = g, n
		}
	}
	most = 0
	var members []string
	for t, n := range r.tables.bytes {
		if group(t) != top {
			continue
		}
		members = append(members, strings.ToLower(t))
		if n > most || n == most && t < best {
			best, most = t, n
		}
	}
	if len(members) > 1 {
		join = map[string]bool{}
		for _, t := range members {
			join[t] = true
		}
	}
	return best, join
}

func (r *Reader) open() error {
	var rawbuf *bufio.Reader
	if r.opt.NoHash {
		rawbuf = bufio.NewReaderSize(r.f, bufSize)
	} else {
		r.raw = &hashingReader{r: r.f, h: sha256.New()}
		rawbuf = bufio.NewReaderSize(r.raw, bufSize)
	}
	magic, _ := rawbuf.Peek(512)
	r.info.Compression = "none"
	var stream io.Reader = rawbuf
	switch {
	case bytes.HasPrefix(magic, []byte("PK\x03\x04")) || bytes.HasPrefix(magic, []byte("PK\x05\x06")):
		r.raw = nil // zip reads at random offsets; Info hashes the file separately
		zr, err := zip.NewReader(r.f, r.info.Bytes)
		if errors.Is(err, zip.ErrFormat) {
			// The central directory, at the end, is what zip.NewReader
			// looks for first: a copy cut short has none.
			return r.perr(0, fmt.Errorf("zip archive damaged or truncated (no readable central directory): %w", err))
		}
		if err != nil {
			return r.perr(0, fmt.Errorf("read zip archive: %w", err))
		}
		if isXLSX(zr) {
			return r.openXLSX(nil)
		}
		zf, rest := dataFile(zr, r.opt.MaxDecompressed)
		if zf == nil {
			return r.perr(0, errors.New("zip archive holds no data file"))
		}
		if int64(zf.UncompressedSize64) > r.opt.MaxDecompressed {
			return fmt.Errorf("%s: zip entry %s declares %d bytes: %w", r.info.Path, zf.Name, zf.UncompressedSize64, ErrTooLarge)
		}
		parts, rest, drop := zipParts(zr, zf, rest, r.opt.MaxDecompressed)
		for _, f := range rest {
			if len(parts) > 1 {
				r.skips.add(0, "zip entry %q is not read (reading %d entries like %q, the largest)", f.Name, len(parts), zf.Name)
			} else {
				r.skips.add(0, "zip entry %q is not read (reading %q, the largest)", f.Name, zf.Name)
			}
		}
		pr := &partsReader{parts: parts, drop: drop}
		r.closers = append(r.closers, pr)
		r.info.Compression = "zip"
		stream = &limitReader{r: pr, left: r.opt.MaxDecompressed}
		if len(parts) > 1 {
			r.info.Compression = fmt.Sprintf("zip (%d parts)", len(parts))
		}
		if _, err := pr.Read(nil); err != nil && err != io.EOF { // opens the first part
			return r.perr(0, err)
		}
		if pr.gzipped {
			r.info.Compression = strings.Replace(r.info.Compression, "zip", "zip+gzip", 1)
		}
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(rawbuf)
		if err != nil {
			return r.perr(0, fmt.Errorf("read gzip stream: %w", err))
		}
		r.closers = append(r.closers, zr)
		r.info.Compression = "gzip"
		stream = &limitReader{r: zr, left: r.opt.MaxDecompressed}
	case bytes.HasPrefix(magic, []byte("BZh")) && len(magic) > 10 && bytes.HasPrefix(magic[4:], []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}):
		r.info.Compression = "bzip2"
		stream = &limitReader{r: bzip2.NewReader(rawbuf), left: r.opt.MaxDecompressed}
	}
	if r.info.Compression != "none" {
		// A tar archive or a spreadsheet inside the compressed stream.
		inner := bufio.NewReaderSize(stream, bufSize)
		m, _ := inner.Peek(512)
		stream = inner
		if len(m) >= 262 && string(m[257:262]) == "ustar" {
			tr := tar.NewReader(inner)
			for {
				h, err := tr.Next()
				if err != nil {
					return r.perr(0, fmt.Errorf("tar archive holds no data file: %v", err))
				}
				if h.Typeflag == tar.TypeReg && isDataName(h.Name) {
					break
				}
			}
			r.info.Compression = "tar+" + r.info.Compression
			stream = tr
		} else if bytes.HasPrefix(m, []byte("PK\x03\x04")) {
			return r.openXLSX(inner)
		}
	}
	return r.openText(stream)
}

// openText detects the encoding and format of a text stream.
func (r *Reader) openText(stream io.Reader) error {
	br, ok := stream.(*bufio.Reader)
	if !ok || br.Size() < bufSize {
		br = bufio.NewReaderSize(stream, bufSize)
	}
	peek, err := br.Peek(peekSize)
	if len(peek) == 0 && err != nil && err != io.EOF {
		// A stream error after some bytes surfaces when the rows get there.
		if errors.Is(err, ErrTooLarge) {
			return fmt.Errorf("%s: %w", r.info.Path, err)
		}
		return r.perr(1, fmt.Errorf("read: %w", err))
	}
	if len(peek) == 0 {
		return r.perr(1, errors.New("empty input: expected rows of data"))
	}
	enc, bom, err := sniffEncoding(peek)
	if err != nil {
		return r.perr(1, err)
	}
	r.info.Encoding = enc
	br.Discard(bom)
	var text *bufio.Reader
	switch enc {
	case "utf-8":
		text = br
	case "windows-1252":
		text = bufio.NewReaderSize(transform.NewReader(br, charmap.Windows1252.NewDecoder()), bufSize)
	case "utf-16le":
		text = bufio.NewReaderSize(transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()), bufSize)
	case "utf-16be":
		text = bufio.NewReaderSize(transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()), bufSize)
	}
	peek, _ = text.Peek(peekSize)
	if bad := binaryShare(peek); bad > 0.02 {
		return r.perr(1, fmt.Errorf("binary data (%.0f%% control bytes): expected text, JSON, SQL, XLSX or a gzip/zip/bzip2 archive", 100*bad))
	}
	format := r.opt.Format
	if format == "" {
		format = sniffFormat(peek)
	}
	r.info.Format = format
	lr := &lineReader{br: text, max: r.opt.MaxLineBytes, skips: &r.skips, utf8: enc == "utf-8", redecoded: &r.info.Redecoded, truncated: &r.info.Truncated, file: r.info.Path}
	switch format {
	case "json", "jsonl":
		if format == "jsonl" {
			r.src = newJSONLSource(lr)
		} else {
			r.src = newJSONSource(text, r)
		}
	case "sql":
		if r.opt.survey {
			r.tables = surveySQL(text)
			return nil
		}
		r.info.Table = r.opt.sqlTable
		r.src = newSQLSource(lr, r)
	case "csv", "tsv", "pipe", "semicolon":
		d := sniffDelimiter(peek)
		if r.opt.Format != "" {
			d = delimiterOf[format]
		} else if !holdsTable(peek, d) {
			return r.perr(0, errors.New("no table found: expected delimited rows, JSON, SQL or a spreadsheet"))
		}
		r.info.Format = formatOf[d]
		lr.twice, lr.repaired = enc == "utf-8" && doubleEncoded(peek), &r.info.Repaired
		r.src = &delimSource{lr: lr, delim: d}
	default:
		return fmt.Errorf("open leak %s: unknown format %q", r.info.Path, format)
	}
	return r.readSample()
}

// readSample reads the header and the first SampleRows rows.
func (r *Reader) readSample() error {
	limit := r.opt.SampleRows
	if r.opt.MaxRows > 0 && int64(limit) > r.opt.MaxRows {
		limit = int(r.opt.MaxRows)
	}
	// Read at least 100 rows to decide on preamble and header; those past
	// the sample are handed out after it.
	want := max(limit, 100) + 1
	if r.opt.MaxRows > 0 {
		want = min(want, int(r.opt.MaxRows)+1)
	}
	var rows [][]string
	var lines []int64
	for len(rows) < want {
		row, err := r.src.next()
		if err == io.EOF {
			r.eof = true
			break
		}
		if err != nil {
			if len(rows) == 0 {
				return err
			}
			r.err = err
			break
		}
		rows = append(rows, append([]string(nil), row...))
		lines = append(lines, r.src.line())
	}
	if fz, ok := r.src.(interface{ freeze() }); ok {
		fz.freeze()
	}
	h := r.src.header()
	if h == nil && len(rows) > 1 {
		// A preamble ("Padrón electoral, corte 2018") before the table:
		// leading rows of another width than most are skipped.
		// Spreadsheet rows lose trailing empty cells, so only a row of
		// half the width or less counts there.
		w := modeWidth(rows)
		_, delimited := delimiterOf[r.info.Format]
		for len(rows) > 1 && w > 1 && len(rows[0]) < w && (delimited || len(rows[0]) <= w/2) {
			r.skips.add(lines[0], "expected %d fields, found %d (preamble)", w, len(rows[0]))
			rows, lines = rows[1:], lines[1:]
		}
	}
	if h == nil && len(rows) > 0 && r.opt.Header != HeaderAbsent {
		if r.opt.Header == HeaderPresent || LooksLikeHeader(rows[0], rows[1:]) {
			h = rows[0]
			rows, lines = rows[1:], lines[1:]
		}
	}
	r.info.Header = h
	r.width = len(h)
	if r.width == 0 {
		r.width = modeWidth(rows)
		if r.info.Format == "xlsx" {
			for _, row := range rows {
				r.width = max(r.width, len(row)) // trailing empty cells are dropped
			}
		}
	}
	// The sample was read before the width was known: fit its rows now,
	// as Next does for the others.
	kept := rows[:0]
	keptLines := lines[:0]
	for i, row := range rows {
		if fit, ok := r.fit(row, lines[i]); ok {
			kept = append(kept, fit)
			keptLines = append(keptLines, lines[i])
		}
	}
	rows = kept
	if len(rows) > limit {
		r.pending = rows[limit:]
		rows = rows[:limit:limit]
	}
	r.sample = rows
	if len(r.sample) == 0 && r.err == nil && r.eof && r.skips.count > 0 {
		return r.perr(1, fmt.Errorf("no row could be read (%d skipped, first: line %d: %s)", r.skips.count, r.skips.list[0].Line, r.skips.list[0].Reason))
	}
	return nil
}

// fit checks a row against the expected width. Spreadsheets drop trailing
// empty cells, so short XLSX rows are padded; a trailing empty field (a
// line ending with the delimiter) is dropped; other rows of another width
// are skipped.
func (r *Reader) fit(row []string, line int64) ([]string, bool) {
	w := r.width
	switch {
	case w == 0 || len(row) == w:
		return row, true
	case len(row) == w+1 && row[w] == "":
		return row[:w], true
	case len(row) < w && (r.info.Format == "xlsx" || r.info.Format == "json" || r.info.Format == "jsonl"):
		for len(row) < w {
			row = append(row, "")
		}
		return row, true
	case len(row) > w && r.info.Format == "xlsx":
		for _, v := range row[w:] {
			if v != "" {
				r.skips.add(line, "expected %d cells, found %d", w, len(row))
				return nil, false
			}
		}
		return row[:w], true
	}
	if len(row) == 1 && row[0] == "" {
		return nil, false // blank line
	}
	r.skips.add(line, "expected %d fields, found %d", w, len(row))
	return nil, false
}

func modeWidth(rows [][]string) int {
	count := map[int]int{}
	best, bestN := 0, 0
	for _, row := range rows {
		n := len(row)
		if n == 1 && row[0] == "" {
			continue
		}
		count[n]++
		if count[n] > bestN || count[n] == bestN && n > best {
			best, bestN = n, count[n]
		}
	}
	return best
}

// Header is the column names, or nil when the input has none.
func (r *Reader) Header() []string { return r.info.Header }

// Sample is the first SampleRows data rows, read at Open; Next hands them
// out again. The rows belong to the Reader: do not modify them.
func (r *Reader) Sample() [][]string { return r.sample }

// Next returns the next data row, or io.EOF after the last one. The returned
// slice is reused by the following call (copy it to keep it); the strings
// in it are not: they may be kept (a row's fields share one allocation, so
// keeping one field keeps its row's bytes). Any other error ends the read:
// rows returned before it are good, Info tells how many. Delimited text is
// parsed ahead on another goroutine; a Reader is still for one goroutine at
// a time. Next, NextView and Skip may be mixed; each row is handed out once.
func (r *Reader) Next() ([]string, error) {
	if err := r.ended(); err != nil {
		return nil, err
	}
	if row, ok := r.held(); ok {
		r.info.Rows++
		return row, nil
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.eof {
		return nil, io.EOF
	}
	if r.pipe != nil {
		buf, base, ends, err := r.nextFlat()
		if err != nil {
			return nil, r.end(err)
		}
		r.row = rowStrings(buf, base, ends, r.row[:0])
		r.info.Rows++
		return r.row, nil
	}
	for {
		row, err := r.src.next()
		if err != nil {
			return nil, r.end(err)
		}
		if len(row) != r.width && r.width > 0 {
			var ok bool
			if row, ok = r.fit(row, r.src.line()); !ok {
				continue
			}
		}
		r.info.Rows++
		return row, nil
	}
}

// ended is io.EOF once Options.MaxRows rows were handed out.
func (r *Reader) ended() error {
	if r.opt.MaxRows > 0 && r.info.Rows >= r.opt.MaxRows {
		return io.EOF
	}
	return nil
}

// held hands out the rows read at Open: the sample, then those read past it.
func (r *Reader) held() ([]string, bool) {
	if r.sampleAt < len(r.sample) {
		r.sampleAt++
		return r.sample[r.sampleAt-1], true
	}
	if len(r.pending) > 0 {
		row := r.pending[0]
		r.pending = r.pending[1:]
		return row, true
	}
	return nil, false
}

// end records the error that ended the read and returns it.
func (r *Reader) end(err error) error {
	if err == io.EOF {
		r.eof = true
	} else {
		r.err = err
	}
	return err
}

// Info describes the input and what was read so far. The SHA-256 of the
// raw file is computed on the way when the file is read sequentially;
// called before the end, or for zip and XLSX, Info hashes the file in a
// separate pass.
func (r *Reader) Info() Info {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.info.SHA256 == "" && !r.opt.NoHash {
		if r.raw != nil && r.eof && r.f != nil {
			// Hash what the decoder did not need (e.g. gzip padding).
			if _, err := io.Copy(r.raw.h, r.f); err == nil {
				r.info.SHA256 = hex.EncodeToString(r.raw.h.Sum(nil))
			}
			r.raw = nil
		}
		if r.info.SHA256 == "" {
			if sum, err := hashFile(r.info.Path); err == nil {
				r.info.SHA256 = sum
			}
		}
	}
	info := r.info
	info.Skipped = append([]Skip(nil), r.skips.list...)
	info.SkippedCount = r.skips.count
	info.Header = append([]string(nil), r.info.Header...)
	if r.info.Header == nil {
		info.Header = nil
	}
	return info
}

// Close stops the parse-ahead goroutine and releases the file; call it
// even after io.EOF.
func (r *Reader) Close() error {
	r.stopPipeline()
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i].Close()
	}
	r.closers = nil
	if r.f != nil {
		err := r.f.Close()
		r.f = nil
		return err
	}
	return nil
}

func (r *Reader) perr(line int64, err error) error {
	return &ParseError{File: r.info.Path, Line: line, Err: err}
}

func hashFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashingReader hashes the raw bytes as they are read.
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

// limitReader fails with ErrTooLarge past its budget of bytes.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// Allow a clean EOF exactly at the cap.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n == 0 {
			return 0, io.EOF
		}
		return 0, ErrTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

func isXLSX(zr *zip.Reader) bool {
	for _, f := range zr.File {
		if f.Name == "xl/workbook.xml" {
			return true
		}
	}
	return false
}

// dataFile is the zip entry to read: the largest regular file that is not
// metadata, among those with a data extension when there are any (a zip
// of a register and its read-me, or of a dump and a small catalogue), and
// among those declaring at most max bytes when there are any (a bomb
// beside the data does not take its place); the others are listed in rest.
func dataFile(zr *zip.Reader, max int64) (pick *zip.File, rest []*zip.File) {
	var all []*zip.File
	data := false
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || strings.HasPrefix(f.Name, "__MACOSX/") || strings.HasPrefix(path.Base(f.Name), ".") {
			continue
		}
		all = append(all, f)
		data = data || isDataName(f.Name)
	}
	fits := func(f *zip.File) bool { return f.UncompressedSize64 <= uint64(max) }
	for _, f := range all {
		if data && !isDataName(f.Name) {
			continue
		}
		if pick == nil || fits(f) && !fits(pick) || fits(f) == fits(pick) && f.UncompressedSize64 > pick.UncompressedSize64 {
			pick = f
		}
	}
	for _, f := range all {
		if f != pick && (!data || isDataName(f.Name)) {
			rest = append(rest, f)
		}
	}
	return pick, rest
}

// zipParts is the entries read one after the other: pick alone, or, when
// its kind of text joins end to end, every data entry of that kind in
// archive order (an archive of a state a file, or of the pieces split(1)
// cut a file into): JSON Lines and SQL, and delimited text that is the
// same table as pick; rest is what is left out. Two entries of delimited
// text are the same table when their first lines are the same, or when
// they have the same delimiter and as many fields on their first line:
// the pieces of a file cut by lines have the header in the first piece
// only, or nowhere. drop[i] tells that part i's first line is the first
// part's, a repeated header to be dropped; every other line of a later
// part is data.
func zipParts(zr *zip.Reader, pick *zip.File, others []*zip.File, max int64) (parts, rest []*zip.File, drop []bool) {
	kind := dataExt(pick.Name)
	delimited := isDelimitedName(pick.Name)
	var head tableHead
	if delimited || kind == "" {
		var ok bool
		if head, ok = readTableHead(pick); !ok || !head.delimited {
			return []*zip.File{pick}, others, nil
		}
		delimited = true // split(1) names its pieces xaa, xab, ...: no extension
	}
	if !delimited && kind != ".jsonl" && kind != ".ndjson" && kind != ".sql" {
		return []*zip.File{pick}, others, nil
	}
	in := map[*zip.File]bool{pick: true}
	heads := map[*zip.File]tableHead{pick: head}
	for _, f := range others {
		same := dataExt(f.Name) == kind && f.UncompressedSize64 <= uint64(max)
		if same && delimited {
			h, ok := readTableHead(f)
			same = ok && h.sameTable(head)
			heads[f] = h
		}
		if same {
			in[f] = true
		} else {
			rest = append(rest, f)
		}
	}
	for _, f := range zr.File {
		if in[f] {
			parts = append(parts, f)
		}
	}
	if delimited {
		drop = make([]bool, len(parts))
		for i := 1; i < len(parts); i++ {
			drop[i] = bytes.Equal(heads[parts[i]].line, heads[parts[0]].line)
		}
	}
	return parts, rest, drop
}

// tableHead is what tells that zip entries of delimited text are parts of
// one table: the first line (without a UTF-8 BOM and the line end), the
// delimiter sniffed from the first lines and the fields of the first line.
type tableHead struct {
	line      []byte
	delim     byte
	fields    int
	delimited bool // the text sniffs as delimited (not JSON or SQL)
}

func (h tableHead) sameTable(o tableHead) bool {
	if bytes.Equal(h.line, o.line) {
		return true
	}
	// as wide, with a row of data (a date, a key, a sección: digits) first
	// in one of the two: a piece without a header beside one with it, or
	// two without; two headers of their own (words) are two tables
	data := func(line []byte) bool { return bytes.ContainsAny(line, "0123456789") }
	return h.delimited && h.delim == o.delim && h.fields == o.fields && (data(h.line) || data(o.line))
}

// readTableHead reads the tableHead of a zip entry (gunzipped) from its
// first 64 KiB; ok is false when the entry cannot be read.
func readTableHead(f *zip.File) (h tableHead, ok bool) {
	br, closers, _, err := openEntry(f)
	for _, c := range closers {
		defer c.Close()
	}
	if err != nil {
		return h, false
	}
	p, err := br.Peek(peekSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return h, false
	}
	p = bytes.TrimPrefix(p, utf8BOM)
	line := p
	if i := bytes.IndexByte(p, '\n'); i >= 0 {
		line = p[:i]
	}
	h.line = bytes.Clone(bytes.TrimRight(line, "\r\n"))
	h.delimited = sniffFormat(p) == "csv"
	h.delim = sniffDelimiter(p)
	h.fields = countOutsideQuotes(h.line, h.delim) + 1
	return h, true
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// dataExt is a name's extension, lower case, under a ".gz".
func dataExt(name string) string {
	return strings.ToLower(path.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz")))
}

func isDelimitedName(name string) bool {
	switch dataExt(name) {
	case ".csv", ".tsv", ".txt", ".psv", ".dat", ".tab":
		return true
	}
	return false
}

// partsReader reads zip entries end to end, each decompressed when it is
// gzipped, with a newline between two when the first does not end with
// one. A later part loses its UTF-8 BOM, and its first line when drop
// says so (zipParts: the first part's header, repeated).
type partsReader struct {
	parts   []*zip.File
	drop    []bool // by part; nil drops nothing
	gzipped bool   // some part was gzipped

	i      int
	cur    io.Reader
	closer []io.Closer
	lastNL bool // the last byte given was a newline
	gave   bool // some byte was given
}

func (p *partsReader) Read(b []byte) (int, error) {
	for {
		if p.cur == nil {
			if p.i == len(p.parts) {
				return 0, io.EOF
			}
			if p.gave && !p.lastNL && len(b) > 0 {
				b[0], p.lastNL = '\n', true
				return 1, nil
			}
			if err := p.open(p.parts[p.i]); err != nil {
				return 0, err
			}
			p.i++
		}
		if len(b) == 0 {
			return 0, nil
		}
		n, err := p.cur.Read(b)
		if n > 0 {
			p.gave, p.lastNL = true, b[n-1] == '\n'
			return n, nil
		}
		if err == io.EOF {
			p.closeCur()
			continue
		}
		return 0, err
	}
}

// openEntry opens a zip entry, gunzipped when it is gzipped; closers are
// to be closed whatever the error.
func openEntry(f *zip.File) (br *bufio.Reader, closers []io.Closer, gzipped bool, err error) {
	rc, err := f.Open()
	if err != nil {
		return nil, nil, false, fmt.Errorf("open zip entry %s: %w", f.Name, err)
	}
	closers = append(closers, rc)
	br = bufio.NewReaderSize(rc, bufSize)
	if m, _ := br.Peek(2); bytes.Equal(m, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, closers, false, fmt.Errorf("read gzip stream in zip entry %s: %w", f.Name, err)
		}
		closers = append(closers, zr)
		br, gzipped = bufio.NewReaderSize(zr, bufSize), true
	}
	return br, closers, gzipped, nil
}

// open starts part f.
func (p *partsReader) open(f *zip.File) error {
	br, closers, gzipped, err := openEntry(f)
	p.closer = append(p.closer, closers...)
	if err != nil {
		return err
	}
	p.gzipped = p.gzipped || gzipped
	p.cur = br
	if p.i == 0 {
		return nil
	}
	if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	if p.drop != nil && p.drop[p.i] {
		if _, err := br.ReadSlice('\n'); err != nil && err != io.EOF {
			return fmt.Errorf("read zip entry %s: %w", f.Name, err)
		}
	}
	return nil
}

func (p *partsReader) closeCur() {
	for _, c := range p.closer {
		c.Close()
	}
	p.closer, p.cur = p.closer[:0], nil
}

// Close closes the part being read.
func (p *partsReader) Close() error {
	p.closeCur()
	return nil
}

func isDataName(name string) bool {
	switch strings.ToLower(path.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz"))) {
	case ".csv", ".tsv", ".txt", ".psv", ".dat", ".json", ".jsonl", ".ndjson", ".sql", ".xlsx", ".tab", "":
		return true
	}
	return false
}

// sniffEncoding names the encoding of the first bytes of a text and the
// length of its byte-order mark.
func sniffEncoding(p []byte) (enc string, bom int, err error) {
	switch {
	case bytes.HasPrefix(p, []byte{0xEF, 0xBB, 0xBF}):
		return "utf-8", 3, nil
	case bytes.HasPrefix(p, []byte{0xFF, 0xFE}):
		return "utf-16le", 2, nil
	case bytes.HasPrefix(p, []byte{0xFE, 0xFF}):
		return "utf-16be", 2, nil
	}
	// UTF-16 without a mark: ASCII text has every other byte NUL.
	if len(p) >= 16 {
		even, odd := 0, 0
		for i := 0; i+1 < len(p); i += 2 {
			if p[i] == 0 {
				even++
			}
			if p[i+1] == 0 {
				odd++
			}
		}
		half := len(p) / 2
		if odd > half*9/10 && even < half/10 {
			return "utf-16le", 0, nil
		}
		if even > half*9/10 && odd < half/10 {
			return "utf-16be", 0, nil
		}
	}
	// Count valid multi-byte runes and invalid bytes; a rune cut by the end
	// of the window is not judged. A mostly UTF-8 text with a few bad lines
	// stays UTF-8 (the bad lines are redecoded one by one).
	multi, invalid := 0, 0
	for i := 0; i < len(p); {
		if p[i] < 0x80 {
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && size == 1 {
			if len(p)-i < utf8.UTFMax && !utf8.FullRune(p[i:]) {
				break
			}
			invalid++
		} else {
			multi++
		}
		i += size
	}
	if invalid == 0 || multi >= invalid {
		return "utf-8", 0, nil
	}
	high, letters := 0, 0
	for _, c := range p {
		if c >= 0x80 {
			high++
			if c >= 0xC0 || (c >= 0xA0 && c <= 0xBF) || (c >= 0x91 && c <= 0x97) {
				letters++
			}
		}
	}
	if high*10 > len(p)*3 || letters*10 < high*8 {
		return "", 0, fmt.Errorf("not text in a supported encoding (%d of %d bytes are neither ASCII nor Latin-1 letters): expected UTF-8, UTF-16 or Windows-1252", high-letters, len(p))
	}
	return "windows-1252", 0, nil
}

// binaryShare is the share of control bytes other than tab, CR, LF and FF.
func binaryShare(p []byte) float64 {
	if len(p) == 0 {
		return 0
	}
	bad := 0
	for _, c := range p {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f {
			bad++
		}
	}
	return float64(bad) / float64(len(p))
}

// sniffFormat guesses the format of decoded text from its first bytes.
func sniffFormat(p []byte) string {
	t := bytes.TrimLeft(p, " \t\r\n\f")
	if len(t) == 0 {
		return "csv"
	}
	switch t[0] {
	case '[':
		u := bytes.TrimLeft(t[1:], " \t\r\n")
		if len(u) == 0 || strings.ContainsRune("{[]\"-0123456789tfn", rune(u[0])) {
			return "json"
		}
	case '{':
		line := t
		if i := bytes.IndexByte(t, '\n'); i >= 0 {
			line = t[:i]
		}
		line = bytes.TrimRight(line, " \r\t")
		// JSON Lines: at least two lines that are whole objects.
		if len(line) > 1 && line[len(line)-1] == '}' {
			rest := bytes.TrimLeft(t[len(line):], " \t\r\n")
			if len(rest) > 0 && rest[0] == '{' {
				return "jsonl"
			}
		}
		return "json"
	}
	if looksLikeSQL(t) {
		return "sql"
	}
	return "csv"
}

var sqlStarts = []string{"--", "/*", "#", "INSERT ", "INSERT\t", "REPLACE ", "CREATE ", "SET ", "DROP ", "LOCK ", "USE ", "BEGIN", "COPY ", "\\CONNECT", "\\RESTRICT", "SELECT ", "START TRANSACTION", "ALTER ", "COMMIT"}

func looksLikeSQL(t []byte) bool {
	n := min(len(t), 20)
	head := strings.ToUpper(string(t[:n]))
	for _, s := range sqlStarts {
		if strings.HasPrefix(head, s) {
			return true
		}
	}
	return false
}
