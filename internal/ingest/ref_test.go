package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// refDelim is the delimited reader as it was before the flat form (one
// string per row split with strings.IndexByte), kept to check the fast
// path against. One change: a quoted record is redecoded as Windows-1252
// when the record is not UTF-8; the old code looked at the unquoted bytes,
// in which two bytes of a rune split by a delimiter could look whole.
type refDelim struct {
	lr    *lineReader
	delim byte
	start int64

	fields []string
	rec    []byte
	buf    []byte
	ends   []int
	held   []backLine
}

func (d *refDelim) next() ([]string, error) {
	for {
		b, err := d.lr.readLine()
		if err != nil {
			return nil, err
		}
		d.start = d.lr.line
		if bytes.IndexByte(b, 0) >= 0 {
			d.lr.skips.add(d.start, "binary data (NUL byte)")
			continue
		}
		if bytes.IndexByte(b, '"') < 0 {
			return d.split(d.lr.text(b)), nil
		}
		row, ok, err := d.quoted(b)
		if err != nil {
			return nil, err
		}
		if ok {
			return row, nil
		}
	}
}

func (d *refDelim) split(s string) []string {
	f := d.fields[:0]
	for {
		i := strings.IndexByte(s, d.delim)
		if i < 0 {
			break
		}
		f = append(f, s[:i])
		s = s[i+1:]
	}
	f = append(f, s)
	d.fields = f
	return f
}

func (d *refDelim) quoted(first []byte) (row []string, ok bool, err error) {
	d.rec = append(d.rec[:0], first...)
	d.held = d.held[:0]
	for {
		var complete bool
		d.buf, d.ends, complete = refParseQuoted(d.rec, d.delim, d.buf[:0], d.ends[:0])
		if complete {
			f := d.fields[:0]
			if d.lr.utf8 && !utf8.Valid(d.rec) {
				*d.lr.redecoded++
				prev := 0
				for _, e := range d.ends {
					f = append(f, decode1252(d.buf[prev:e]))
					prev = e
				}
			} else {
				str := string(d.buf)
				prev := 0
				for _, e := range d.ends {
					f = append(f, str[prev:e])
					prev = e
				}
			}
			d.fields = f
			return f, true, nil
		}
		if len(d.held) >= maxRecordLines || len(d.rec) > d.lr.max {
			break
		}
		b, err := d.lr.readLine()
		if err == io.EOF {
			*d.lr.truncated = true
			d.lr.skips.add(d.start, "quoted field opened here is not closed at the end of the input")
			if len(d.held) == 0 {
				return nil, false, io.EOF
			}
			break
		}
		if err != nil {
			return nil, false, err
		}
		d.held = append(d.held, backLine{d.lr.line, append([]byte(nil), b...)})
		d.rec = append(d.rec, '\n')
		d.rec = append(d.rec, b...)
	}
	d.lr.skips.add(d.start, "quoted field not closed within %d lines", len(d.held))
	d.lr.pushBack(append([]backLine(nil), d.held...))
	d.held = d.held[:0]
	return nil, false, nil
}

func refParseQuoted(rec []byte, delim byte, buf []byte, ends []int) (_ []byte, _ []int, complete bool) {
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
		i++
		if i == len(rec) {
			ends = append(ends, len(buf))
			return buf, ends, true
		}
	}
}

// readAllDelim reads data through a line reader with a small buffer (so
// that lines span buffer refills) and returns what next gives and what
// the line reader recorded.
func readAllDelim(data []byte, delim byte, utf8Stream bool, newSrc func(*lineReader) source) (rows [][]string, lines []int64, skips skipper, redecoded int64, truncated bool, err error) {
	lr := &lineReader{br: bufio.NewReaderSize(bytes.NewReader(data), 16), max: 256, skips: &skips, utf8: utf8Stream, redecoded: &redecoded, truncated: &truncated, file: "in"}
	src := newSrc(lr)
	for len(rows) < 10000 {
		var row []string
		row, err = src.next()
		if err != nil {
			break
		}
		rows = append(rows, append([]string(nil), row...))
		lines = append(lines, src.line())
	}
	return
}

func newRefDelim(delim byte) func(*lineReader) source {
	return func(lr *lineReader) source { return &refDelim{lr: lr, delim: delim} }
}

func newFastDelim(delim byte) func(*lineReader) source {
	return func(lr *lineReader) source { return &delimSource{lr: lr, delim: delim} }
}

func (d *refDelim) header() []string { return nil }
func (d *refDelim) line() int64      { return d.start }

// checkSameAsRef compares the flat-form reader with the old one on data.
func checkSameAsRef(t *testing.T, data []byte, delim byte) {
	t.Helper()
	for _, u := range []bool{true, false} {
		r1, l1, s1, d1, t1, e1 := readAllDelim(data, delim, u, newRefDelim(delim))
		r2, l2, s2, d2, t2, e2 := readAllDelim(data, delim, u, newFastDelim(delim))
		if !reflect.DeepEqual(r1, r2) || !reflect.DeepEqual(l1, l2) {
			t.Fatalf("%q (utf8 %v): rows %q at %v, old reader %q at %v", data, u, r2, l2, r1, l1)
		}
		if !reflect.DeepEqual(s1, s2) || d1 != d2 || t1 != t2 || fmt.Sprint(e1) != fmt.Sprint(e2) {
			t.Fatalf("%q (utf8 %v): skips %v redecoded %d truncated %v err %v, old reader %v %d %v %v", data, u, s2, d2, t2, e2, s1, d1, t1, e1)
		}
	}
}

var delimSeeds = []string{
	"a,b,c\n1,2,3\r\n4,5,6",
	"\"x\"\"y\",z\n\"multi\nline\",2\n",
	"\"open,1\n2,3\n",
	"a,\"b\"c,d\n,,\n,\n\n",
	"\xd1o\xf1o,\xe9\n\"\xc3\",\"\xb1\"\n",
	"a,b\x00c\n1,2\n",
	"0123456789abcdef,0123456789abcdef,0123456789abcdef,0123456789abcdef,\"q\"\n",
	strings.Repeat("x,", 200) + "\n" + strings.Repeat("y", 300) + "\nz\n",
	"\"" + strings.Repeat("long\n", 250) + "\"\nend,1\n",
}

func FuzzDelimSameAsOld(f *testing.F) {
	for _, s := range delimSeeds {
		f.Add([]byte(s), byte(','))
	}
	f.Add([]byte("a\tb\n\"1\t2\"\t3\n"), byte('\t'))
	f.Fuzz(func(t *testing.T, data []byte, delim byte) {
		if _, ok := formatOf[delim]; !ok {
			delim = ','
		}
		checkSameAsRef(t, data, delim)
	})
}

// TestDelimSameAsOldRandom compares the two readers on random tables made
// of the characters that matter (delimiters, quotes, line ends, high and
// NUL bytes) with lines of every length around the SIMD chunk sizes.
func TestDelimSameAsOldRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("aaaaaaaaaabbbbcc0123,,,,;|\t\"\r\n\n\xc3\xb1\xe9\x00 ")
	for i := 0; i < 3000; i++ {
		n := rng.IntN(300)
		data := make([]byte, n)
		for j := range data {
			data[j] = alphabet[rng.IntN(len(alphabet))]
			if i%3 == 0 && data[j] == 0 {
				data[j] = 'x' // fewer NUL lines, more rows
			}
		}
		checkSameAsRef(t, data, ",;|\t"[i%4])
	}
}
