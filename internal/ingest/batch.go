package ingest

import "unsafe"

// Batch is a run of data rows handed over whole by NextBatch. Rows of
// delimited text past the sample stay in the parse-ahead goroutine's flat
// form: Row makes no copy and allocates nothing, and its strings point
// into the batch's memory, which is reused once the batch is released.
type Batch struct {
	pipe  *pipeline
	flat  *batch     // rows from the parse-ahead goroutine, or nil
	from  int        // first row of flat in this batch
	n     int        // rows in this batch
	owned [][]string // otherwise the rows themselves (may be kept)
}

// NextBatch returns the next data rows (at least one), or io.EOF after the
// last, like as many calls of Next. The strings Row returns are valid only
// until the batch's Release, which hands its memory back to the Reader:
// copy what you keep. Several batches may be held at once, on any
// goroutines; the Reader itself is still for one goroutine at a time.
// NextBatch, Next, NextView and Skip may be mixed; each row is handed out
// once.
func (r *Reader) NextBatch() (*Batch, error) {
	if err := r.ended(); err != nil {
		return nil, err
	}
	limit := batchRows
	if r.opt.MaxRows > 0 {
		limit = int(min(int64(limit), r.opt.MaxRows-r.info.Rows))
	}
	b := &Batch{pipe: r.pipe}
	if p := r.pipe; p != nil && r.sampleAt == len(r.sample) && len(r.pending) == 0 && r.err == nil && !r.eof {
		for p.cur == nil || p.at >= len(p.cur.rows) {
			if p.cur != nil {
				if p.cur.err != nil {
					return nil, r.end(p.cur.err)
				}
				p.free <- p.cur
			}
			p.cur = <-p.full
			p.at = 0
		}
		b.flat, b.from = p.cur, p.at
		b.n = min(limit, len(p.cur.rows)-p.at)
		p.at += b.n
		if p.at == len(p.cur.rows) && p.cur.err == nil {
			p.cur = nil // the batch's now: Release frees it
		} else {
			// rows or the error that ended the read stay for the next
			// call: the batch goes back with them, the rows are copied
			b.owned = make([][]string, b.n)
			for i := range b.owned {
				buf, base, ends := b.flatRow(i)
				b.owned[i] = rowStrings(buf, base, ends, nil)
			}
			b.flat = nil
		}
		r.info.Rows += int64(b.n)
		return b, nil
	}
	for len(b.owned) < limit {
		row, err := r.Next()
		if err != nil {
			if len(b.owned) > 0 {
				break // the error comes again with the next call
			}
			return nil, err
		}
		b.owned = append(b.owned, append([]string(nil), row...))
		if r.pipe != nil && r.sampleAt == len(r.sample) && len(r.pending) == 0 {
			break // the rest in flat batches
		}
	}
	b.n = len(b.owned)
	return b, nil
}

// Len is the number of rows in the batch.
func (b *Batch) Len() int { return b.n }

// Row appends the fields of row i of the batch to dst[:0] and returns it;
// the strings are valid until Release.
func (b *Batch) Row(i int, dst []string) []string {
	if b.flat == nil {
		return append(dst[:0], b.owned[i]...)
	}
	buf, base, ends := b.flatRow(i)
	dst = dst[:0]
	if len(ends) == 0 {
		return dst
	}
	var s string
	if n := ends[len(ends)-1] - base; n > 0 {
		s = unsafe.String(&buf[base], n)
	}
	prev := 0
	for _, e := range ends {
		e -= base
		dst = append(dst, s[prev:e])
		prev = e + 1
	}
	return dst
}

// flatRow is row i of a flat batch: its fields' ends in buf, the first
// field starting at base.
func (b *Batch) flatRow(i int) (buf []byte, base int, ends []int) {
	f := b.flat
	k := b.from + i
	first := 0
	if k > 0 {
		first = f.rows[k-1]
		base = f.ends[first-1]
	}
	return f.buf, base, f.ends[first:f.rows[k]]
}

// Release hands the batch's memory back to the Reader; its rows' strings
// must not be used after it.
func (b *Batch) Release() {
	if b.flat != nil {
		select {
		case b.pipe.free <- b.flat:
		default:
		}
	}
	b.flat, b.owned = nil, nil
}
