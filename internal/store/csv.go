package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// csvReader splits RFC 4180 CSV (comma, optional quotes, "" for a quote
// inside quotes, LF or CRLF line ends, empty lines skipped) with a fast path
// for lines without quotes, which is every line huella synth writes. It
// keeps each field's line and byte column for positioned errors.
type csvReader struct {
	br     *bufio.Reader
	line   int // lines read so far
	long   []byte
	fields []string
	pos    []fieldPos
	scr    []byte
	ends   []int
}

type fieldPos struct{ line, col int }

var (
	errBareQuote = errors.New(`bare " in a field without quotes`)
	errQuote     = errors.New(`extraneous or missing " in a quoted field`)
	errUnclosed  = errors.New(`the quoted field opened here is never closed (a missing ")`)
	errLongQuote = fmt.Errorf(`the quoted field opened here runs on for more than %d KiB (a missing "?)`, maxQuoted>>10)
)

// maxQuoted bounds a quoted field's length: no field of a register comes
// near it, and an unclosed quote would otherwise take in the rest of the
// file.
const maxQuoted = 64 << 10

// csvSyntaxError is a CSV syntax error at a position.
type csvSyntaxError struct {
	line, col int
	err       error
}

func (e *csvSyntaxError) Error() string { return e.err.Error() }

func newCSVReader(r io.Reader) *csvReader {
	return &csvReader{br: bufio.NewReaderSize(r, 256<<10)}
}

// readLine returns the next line without its LF or CRLF; io.EOF when none.
func (r *csvReader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if len(line) == 0 && err != nil {
		return nil, err
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	r.line++
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	return line, nil
}

// read returns the next record; the slice is reused, the strings are not.
func (r *csvReader) read() ([]string, error) {
	var line []byte
	for {
		l, err := r.readLine()
		if err != nil {
			return nil, err
		}
		if len(l) > 0 {
			line = l
			break
		}
	}
	r.fields, r.pos = r.fields[:0], r.pos[:0]
	if bytes.IndexByte(line, '"') < 0 {
		s := string(line)
		start := 0
		for {
			i := indexComma(s[start:])
			r.pos = append(r.pos, fieldPos{r.line, start + 1})
			if i < 0 {
				r.fields = append(r.fields, s[start:])
				return r.fields, nil
			}
			r.fields = append(r.fields, s[start:start+i])
			start += i + 1
		}
	}
	return r.readQuoted(line)
}

func indexComma(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			return i
		}
	}
	return -1
}

// readQuoted parses a record with quotes, which may span lines.
func (r *csvReader) readQuoted(line []byte) ([]string, error) {
	r.scr, r.ends = r.scr[:0], r.ends[:0]
	i := 0
	for {
		r.pos = append(r.pos, fieldPos{r.line, i + 1})
		if i < len(line) && line[i] == '"' {
			opened := r.pos[len(r.pos)-1]
			start := len(r.scr)
			i++
			for {
				j := bytes.IndexByte(line[i:], '"')
				if j < 0 {
					// The field goes on past the end of the line.
					r.scr = append(r.scr, line[i:]...)
					r.scr = append(r.scr, '\n')
					if len(r.scr)-start > maxQuoted {
						return nil, &csvSyntaxError{opened.line, opened.col, errLongQuote}
					}
					l, err := r.readLine()
					if err == io.EOF {
						return nil, &csvSyntaxError{opened.line, opened.col, errUnclosed}
					}
					if err != nil {
						return nil, err
					}
					line, i = l, 0
					continue
				}
				r.scr = append(r.scr, line[i:i+j]...)
				i += j + 1
				if i < len(line) && line[i] == '"' {
					r.scr = append(r.scr, '"')
					i++
					continue
				}
				break
			}
			r.ends = append(r.ends, len(r.scr))
			if i == len(line) {
				break
			}
			if line[i] != ',' {
				return nil, &csvSyntaxError{r.line, i + 1, errQuote}
			}
			i++
			continue
		}
		j := bytes.IndexByte(line[i:], ',')
		end := len(line)
		if j >= 0 {
			end = i + j
		}
		if q := bytes.IndexByte(line[i:end], '"'); q >= 0 {
			return nil, &csvSyntaxError{r.line, i + q + 1, errBareQuote}
		}
		r.scr = append(r.scr, line[i:end]...)
		r.ends = append(r.ends, len(r.scr))
		if j < 0 {
			break
		}
		i = end + 1
	}
	s := string(r.scr)
	start := 0
	for _, e := range r.ends {
		r.fields = append(r.fields, s[start:e])
		start = e
	}
	return r.fields, nil
}
