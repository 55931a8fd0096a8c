package analysis

import (
	"runtime"

	"github.com/huella/huella/internal/register"
)

// pipeBatch is the number of records handed to the workers at once.
const pipeBatch = 1024

// stagePipe runs a two-stage pipeline over records put by one producer
// (reading a file): prep runs on batches concurrently
// on up to GOMAXPROCS workers (hashing, key lookups: pure work), finish runs
// on one goroutine on the batches in the order they were put (the matcher's
// state), so that every core is used and the outcome does not depend on
// scheduling. Records are copied into a few recycled batches (the producer
// may reuse its record); their strings are kept as they are, so the
// producer must not mutate a string's bytes.
type stagePipe struct {
	width             int
	work, order, free chan *recBatch
	done              chan struct{}
	cur               *recBatch
}

// recBatch is a batch of records and what prep made of them.
type recBatch struct {
	vals  []string // n records of width values
	raw   []string // rows as read, one after the other (Leak.Rows)
	ends  []int    // end of each row in raw
	n     int
	ready chan struct{}
	// prep's output
	hashes []uint32
	kc, kk []key18
}

// newStagePipe starts the workers and the finishing goroutine.
func newStagePipe(width int, prep, finish func(b *recBatch)) *stagePipe {
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	batches := 2*workers + 2
	p := &stagePipe{width: width, work: make(chan *recBatch, batches), order: make(chan *recBatch, batches),
		free: make(chan *recBatch, batches), done: make(chan struct{})}
	for range batches {
		p.free <- &recBatch{vals: make([]string, pipeBatch*width), ready: make(chan struct{}, 1)}
	}
	for range workers {
		go func() {
			for b := range p.work {
				prep(b)
				b.ready <- struct{}{}
			}
		}()
	}
	go func() {
		defer close(p.done)
		for b := range p.order {
			<-b.ready
			finish(b)
			// Not cleared: the next use overwrites every value, and a few
			// batches' strings kept alive a little longer cost less than
			// clearing millions of string headers.
			b.n = 0
			p.free <- b
		}
	}()
	return p
}

// record returns record i of a batch.
func (b *recBatch) record(i, width int) register.Record {
	return b.vals[i*width : (i+1)*width]
}

// rawRow returns row i of a batch of rows as read.
func (b *recBatch) rawRow(i int) []string {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.raw[start:b.ends[i]]
}

// putRaw copies one row as read into the current batch; its record is
// left empty for prep to fill.
func (p *stagePipe) putRaw(row []string) {
	if p.cur == nil {
		p.cur = <-p.free
	}
	b := p.cur
	if b.n == 0 {
		b.raw, b.ends = b.raw[:0], b.ends[:0]
	}
	b.raw = append(b.raw, row...)
	b.ends = append(b.ends, len(b.raw))
	b.n++
	if b.n == pipeBatch {
		p.send()
	}
}

// put copies one record into the current batch.
func (p *stagePipe) put(rec register.Record) {
	if p.cur == nil {
		p.cur = <-p.free
	}
	b := p.cur
	dst := b.vals[b.n*p.width : (b.n+1)*p.width]
	copy(dst, rec)
	b.n++
	if b.n == pipeBatch {
		p.send()
	}
}

func (p *stagePipe) send() {
	p.order <- p.cur
	p.work <- p.cur
	p.cur = nil
}

// close hands over the last batch and waits until every batch is finished.
func (p *stagePipe) close() {
	if p.cur != nil && p.cur.n > 0 {
		p.send()
	}
	close(p.work)
	close(p.order)
	<-p.done
}

// recycled takes a batch from free, or a new one when none is there.
func recycled[T any](free chan *T) *T {
	select {
	case b := <-free:
		return b
	default:
		return new(T)
	}
}
