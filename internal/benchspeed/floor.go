package benchspeed

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
)

// FloorStats is what the floor parse counted.
type FloorStats struct {
	Rows   int64 // data rows (after the header line)
	Fields int64 // fields in those rows
	Bytes  int64
}

// floorBlock is the read size of the floor parse: big enough that the
// per-block hand-off costs nothing, small enough to stay in cache.
const floorBlock = 4 << 20

// ParseFloor splits the CSV file at path into rows and fields as fast as a
// hand-rolled parser can: blocks of 4 MiB cut at the last line end, split on
// workers goroutines (0: GOMAXPROCS), each field located (start and end
// offsets, quotes honoured within a line: "a,b" is one field, "" an escaped
// quote) and counted, no string made. It is the floor a leak analysis is
// compared with: reading the file and finding its fields, nothing else.
// Quoted fields holding a line end are not supported (the copies huella
// writes and the leaks it is benchmarked on have none); such a row counts as
// two.
func ParseFloor(ctx context.Context, path string, workers int) (FloorStats, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	f, err := os.Open(path)
	if err != nil {
		return FloorStats{}, fmt.Errorf("floor parse: %w", err)
	}
	defer f.Close()

	type result struct{ rows, fields int64 }
	type block struct {
		buf []byte // the whole buffer, returned to free when parsed
		lo  int    // where this block's rows start in buf
	}
	blocks := make(chan block, workers)
	free := make(chan []byte, workers+1)
	results := make(chan result, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r result
			var ends []int
			for blk := range blocks {
				b := blk.buf[blk.lo:]
				for len(b) > 0 {
					i := bytes.IndexByte(b, '\n')
					line := b
					if i >= 0 {
						line, b = b[:i], b[i+1:]
					} else {
						b = nil
					}
					ends = SplitFields(line, ends[:0])
					r.rows++
					r.fields += int64(len(ends))
				}
				free <- blk.buf[:0]
			}
			results <- r
		}()
	}
	for range workers + 1 {
		free <- make([]byte, 0, floorBlock)
	}

	var st FloorStats
	var rest []byte
	header := true
	readErr := func() error {
		defer close(blocks)
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			buf := <-free
			buf = append(buf[:0], rest...)
			n, err := io.ReadFull(f, buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			st.Bytes += int64(n)
			eof := err == io.EOF || err == io.ErrUnexpectedEOF
			if err != nil && !eof {
				return fmt.Errorf("floor parse %s: %w", path, err)
			}
			cut := len(buf)
			if !eof {
				cut = bytes.LastIndexByte(buf, '\n') + 1
				if cut == 0 {
					return fmt.Errorf("floor parse %s: a line longer than %d bytes", path, floorBlock)
				}
			}
			rest = append(rest[:0], buf[cut:]...)
			lo := 0
			if header {
				lo = bytes.IndexByte(buf[:cut], '\n') + 1
				if lo == 0 {
					lo = cut
				}
				header = false
			}
			blocks <- block{buf: buf[:cut], lo: lo}
			if eof {
				return nil
			}
		}
	}()
	wg.Wait()
	close(results)
	for r := range results {
		st.Rows += r.rows
		st.Fields += r.fields
	}
	return st, readErr
}

// SplitFields appends to ends the end offset of each CSV field of line (a
// line without its "\n"; a trailing "\r" belongs to the last field) and
// returns it. A field that starts with a quote runs to the matching closing
// quote ("" inside is an escaped quote); its end is the offset of the comma
// or line end that follows.
func SplitFields(line []byte, ends []int) []int {
	i := 0
	for {
		if i < len(line) && line[i] == '"' {
			i++
			for i < len(line) {
				if line[i] == '"' {
					if i+1 < len(line) && line[i+1] == '"' {
						i += 2
						continue
					}
					i++
					break
				}
				i++
			}
		}
		j := bytes.IndexByte(line[i:], ',')
		if j < 0 {
			return append(ends, len(line))
		}
		i += j
		ends = append(ends, i)
		i++
	}
}
