package ingest

import (
	"runtime"
	"sync"
)

// Delimited text past the sample is parsed on a goroutine of its own, in
// batches of rows handed to Next over a channel, so that parsing and the
// caller's work on rows run on two cores. Row order is kept. The producer
// holds Reader.mu while it parses a batch (it touches the skips and the
// Info counters); Info takes it too.

const batchRows = 512

type batch struct {
	fields []string // the fields of all rows, back to back
	ends   []int    // end of each row in fields
	err    error    // after the rows: io.EOF or the error that ended the read
}

type pipeline struct {
	full chan *batch
	free chan *batch
	stop chan struct{}
	done sync.WaitGroup

	cur *batch
	at  int // next row in cur
}

// startPipeline starts the producer when it pays: delimited text and more
// than one CPU.
func (r *Reader) startPipeline() {
	if _, ok := r.src.(*delimSource); !ok || runtime.GOMAXPROCS(0) < 2 || r.eof || r.err != nil {
		return
	}
	p := &pipeline{full: make(chan *batch, 4), free: make(chan *batch, 6), stop: make(chan struct{})}
	for i := 0; i < 6; i++ {
		p.free <- &batch{}
	}
	r.pipe = p
	p.done.Add(1)
	go r.produce(p)
}

func (r *Reader) produce(p *pipeline) {
	defer p.done.Done()
	for {
		var b *batch
		select {
		case b = <-p.free:
		case <-p.stop:
			return
		}
		b.fields, b.ends, b.err = b.fields[:0], b.ends[:0], nil
		r.mu.Lock()
		for len(b.ends) < batchRows {
			row, err := r.src.next()
			if err != nil {
				b.err = err
				break
			}
			if len(row) != r.width && r.width > 0 {
				var ok bool
				if row, ok = r.fit(row, r.src.line()); !ok {
					continue
				}
			}
			b.fields = append(b.fields, row...)
			b.ends = append(b.ends, len(b.fields))
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

// nextPiped is Next's path through the pipeline.
func (r *Reader) nextPiped() ([]string, error) {
	p := r.pipe
	for p.cur == nil || p.at >= len(p.cur.ends) {
		if p.cur != nil {
			if p.cur.err != nil {
				return nil, p.cur.err
			}
			p.free <- p.cur
		}
		p.cur = <-p.full
		p.at = 0
	}
	start := 0
	if p.at > 0 {
		start = p.cur.ends[p.at-1]
	}
	end := p.cur.ends[p.at]
	p.at++
	return p.cur.fields[start:end:end], nil
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
