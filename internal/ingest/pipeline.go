package ingest

import (
	"runtime"
	"sync"
)

// Delimited text past the sample is parsed on a goroutine of its own, in
// batches of rows handed to Next over a channel, so that parsing and the
// caller's work on rows run on two cores. Row order is kept. A batch holds
// its rows in the flat form of delimSource (bytes and field ends, no
// pointers: no write barriers, nothing for the GC to scan); Next makes the
// row's one string on the caller's side, NextView and Skip make none. The
// producer holds Reader.mu while it parses a batch (it touches the skips
// and the Info counters); Info takes it too.

const (
	batchRows  = 512
	batchBytes = 256 << 10 // a batch ends past this many bytes (plus one record)
	batchCount = 10        // batches made at the start (4 of them the queue's depth)
	// batchMax bounds the batches made when none is free (the caller
	// holds some, NextBatch): the queue's memory bound.
	batchMax = 32
)

type batch struct {
	buf  []byte // the rows' flat forms, back to back
	ends []int  // field ends in buf
	rows []int  // each row's end in ends
	err  error  // after the rows: io.EOF or the error that ended the read
}

type pipeline struct {
	full chan *batch
	free chan *batch
	stop chan struct{}
	done sync.WaitGroup
	made int // batches made (by the producer)

	cur *batch
	at  int // next row in cur
}

// startPipeline starts the producer when it pays: delimited text and more
// than one CPU.
func (r *Reader) startPipeline() {
	d, ok := r.src.(*delimSource)
	if !ok || runtime.GOMAXPROCS(0) < 2 || r.eof || r.err != nil || noPipeline {
		return
	}
	p := &pipeline{full: make(chan *batch, 4), free: make(chan *batch, batchMax), stop: make(chan struct{}), made: batchCount - 4}
	for i := 0; i < p.made; i++ {
		p.free <- &batch{}
	}
	r.pipe = p
	p.done.Add(1)
	go r.produce(p, d)
}

// noPipeline turns the parse-ahead goroutine off (tests of both paths).
var noPipeline bool

func (r *Reader) produce(p *pipeline, d *delimSource) {
	defer p.done.Done()
	for {
		var b *batch
		select {
		case b = <-p.free:
		case <-p.stop:
			return
		default:
			if p.made < batchMax { // the caller holds batches (NextBatch)
				p.made++
				b = &batch{}
				break
			}
			select {
			case b = <-p.free:
			case <-p.stop:
				return
			}
		}
		b.buf, b.ends, b.rows, b.err = b.buf[:0], b.ends[:0], b.rows[:0], nil
		r.mu.Lock()
		for len(b.rows) < batchRows && len(b.buf) < batchBytes {
			var err error
			b.buf, b.ends, err = r.appendFitRow(d, b.buf, b.ends)
			if err != nil {
				b.err = err
				break
			}
			b.rows = append(b.rows, len(b.ends))
		}
		r.mu.Unlock()
		select {
		case p.full <- b:
		case <-p.stop:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// appendFitRow appends the next row of the table's width (see fit) to buf
// and ends, skipping rows of another width.
func (r *Reader) appendFitRow(d *delimSource, buf []byte, ends []int) ([]byte, []int, error) {
	base, mark := len(buf), len(ends)
	for {
		var err error
		buf, ends, err = d.appendRow(buf, ends)
		if err != nil {
			return buf, ends, err
		}
		n, w := len(ends)-mark, r.width
		switch {
		case w == 0 || n == w:
			return buf, ends, nil
		case n == w+1 && ends[len(ends)-1] == ends[len(ends)-2]+1:
			// A trailing empty field: drop it and its separator.
			ends = ends[:len(ends)-1]
			return buf[:len(buf)-1], ends, nil
		case n == 1 && ends[mark] == base:
			// blank line
		default:
			r.skips.add(d.line(), "expected %d fields, found %d", w, n)
		}
		buf, ends = buf[:base], ends[:mark]
	}
}

// nextFlat is the next row through the pipeline, in flat form: fields
// ends, the first starting at base. Valid until the call after next.
func (r *Reader) nextFlat() (buf []byte, base int, ends []int, err error) {
	p := r.pipe
	for p.cur == nil || p.at >= len(p.cur.rows) {
		if p.cur != nil {
			if p.cur.err != nil {
				return nil, 0, nil, p.cur.err
			}
			p.free <- p.cur
		}
		p.cur = <-p.full
		p.at = 0
	}
	b := p.cur
	first := 0
	if p.at > 0 {
		first = b.rows[p.at-1]
		base = b.ends[first-1]
	}
	p.at++
	return b.buf, base, b.ends[first:b.rows[p.at-1]], nil
}

// stopPipeline ends the producer and waits for it.
func (r *Reader) stopPipeline() {
	if r.pipe == nil {
		return
	}
	close(r.pipe.stop)
	r.pipe.done.Wait()
	r.pipe = nil
}
