package ingest

import (
	"io"
	"slices"
	"strings"
)

// Rows that are mostly not kept (a second pass over a file, looking for a
// few rows) are read with NextView or Skip: past the sample they cost no
// allocation. For delimited text the views point into the parse-ahead
// batch (or the Reader's buffer): valid until the next call, overwritten
// after it.

// NextView returns the next data row like Next, as byte slices valid only
// until the next call of a Reader method: the bytes are overwritten after
// it. Do not modify them; convert what you keep (Strings does it with one
// allocation). The row counts in Info.Rows like a row from Next, and
// Options.MaxRows bounds both.
func (r *Reader) NextView() ([][]byte, error) {
	if err := r.ended(); err != nil {
		return nil, err
	}
	if row, ok := r.held(); ok {
		r.info.Rows++
		return r.viewOf(row), nil
	}
	buf, base, ends, err := r.nextRaw()
	if err != nil {
		return nil, err
	}
	if ends == nil { // another format: a row of strings in r.row
		return r.viewOf(r.row), nil
	}
	v := slices.Grow(r.view[:0], len(ends))[:len(ends)]
	start := base
	for k, e := range ends {
		v[k] = buf[start:e:e]
		start = e + 1
	}
	r.view = v
	return v, nil
}

// Skip passes over the next n data rows without making them, as if Next
// had been called n times (they count in Info.Rows; rows of another width
// are skipped and recorded as Next does). It returns how many rows it
// passed: fewer than n only with io.EOF or the error that ended the read.
func (r *Reader) Skip(n int64) (int64, error) {
	var k int64
	for ; k < n; k++ {
		if err := r.ended(); err != nil {
			return k, err
		}
		if _, ok := r.held(); ok {
			r.info.Rows++
			continue
		}
		if _, _, _, err := r.nextRaw(); err != nil {
			return k, err
		}
	}
	return k, nil
}

// nextRaw reads the next row past the rows held at Open and counts it.
// Delimited text comes in flat form (see delimSource), valid until the
// next call; other formats come as strings in r.row with ends nil.
func (r *Reader) nextRaw() (buf []byte, base int, ends []int, err error) {
	if r.err != nil {
		return nil, 0, nil, r.err
	}
	if r.eof {
		return nil, 0, nil, io.EOF
	}
	if r.pipe != nil {
		buf, base, ends, err = r.nextFlat()
	} else if d, ok := r.src.(*delimSource); ok {
		r.vbuf, r.vends, err = r.appendFitRow(d, r.vbuf[:0], r.vends[:0])
		buf, ends = r.vbuf, r.vends
	} else {
		for {
			var row []string
			if row, err = r.src.next(); err != nil {
				break
			}
			if len(row) != r.width && r.width > 0 {
				var ok bool
				if row, ok = r.fit(row, r.src.line()); !ok {
					continue
				}
			}
			r.row = append(r.row[:0], row...)
			break
		}
	}
	if err != nil {
		return nil, 0, nil, r.end(err)
	}
	r.info.Rows++
	return buf, base, ends, nil
}

// viewOf copies a row of strings into the Reader's view buffer.
func (r *Reader) viewOf(row []string) [][]byte {
	b := r.vbuf[:0]
	for _, f := range row {
		b = append(b, f...)
	}
	v := r.view[:0]
	start := 0
	for _, f := range row {
		v = append(v, b[start:start+len(f):start+len(f)])
		start += len(f)
	}
	r.vbuf, r.view = b, v
	return v
}

// Strings converts a row from NextView to strings that may be kept, with
// one allocation for the row; the fields are appended to dst.
func Strings(view [][]byte, dst []string) []string {
	n := 0
	for _, f := range view {
		n += len(f)
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, f := range view {
		sb.Write(f)
	}
	s := sb.String()
	start := 0
	for _, f := range view {
		dst = append(dst, s[start:start+len(f)])
		start += len(f)
	}
	return dst
}
