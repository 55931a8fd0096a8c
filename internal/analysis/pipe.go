package analysis

import (
	"runtime"
	"strings"

	"github.com/huella/huella/internal/register"
)

// pipeBatch is the number of records handed to the workers at once.
const pipeBatch = 1024

// stagePipe runs a two-stage pipeline over records put by one producer
// (reading a file): prep runs on batches concurrently
// on up to GOMAXPROCS workers (hashing, key lookups: pure work), finish runs
// on one goroutine on the batches in the order they were put (the matcher's
// state), so that every core is used and the outcome does not depend on
// scheduling. Either records are put (put: copied into a few recycled
// batches, the producer may reuse its record; their strings are kept as
// they are, so the producer must not mutate a string's bytes), or batches
// of rows as read (putBatch: prep maps them into records, and each is
// released once finished: what finish keeps of it must be copied).
type stagePipe struct {
	width             int
	work, order, free chan *recBatch
	done              chan struct{}
	cur               *recBatch
	rows              int // rows put so far
}

// recBatch is a batch of records and what prep made of them.
type recBatch struct {
	vals  []string // n records of width values
	in    RowBatch // rows as read (Leak.Batches), released once finished
	row   []string // a row of in, for prep
	n     int
	first int // the index of its first row among all the rows put
	// kept[i], when i < len(kept) and not nil: row i as prep kept it
	// whole (a copy, valid after in is released)
	kept  []register.Record
	ready chan struct{}
	// prep's output
	hashes []uint32
	kc, kk []key18
	// the address hashes of the worker running prep (set by the worker)
	memo *addrMemo
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
			memo := new(addrMemo)
			for b := range p.work {
				b.memo = memo
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
			if b.in != nil {
				b.in.Release()
				b.in = nil
			}
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

// putBatch hands a batch of rows as read to prep, which fills its
// records; it is released once finished.
func (p *stagePipe) putBatch(in RowBatch) {
	b := <-p.free
	if n := in.Len() * p.width; len(b.vals) < n {
		b.vals = make([]string, n)
	}
	b.in, b.n, b.first = in, in.Len(), p.rows
	p.rows += b.n
	p.cur = b
	p.send()
}

// put copies one record into the current batch.
func (p *stagePipe) put(rec register.Record) {
	if p.cur == nil {
		p.cur = <-p.free
		p.cur.first = p.rows
	}
	p.rows++
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

// cloneRecord copies rec and its strings (one allocation for the bytes):
// a record made from a batch as read points into the batch's memory.
func cloneRecord(rec register.Record) register.Record {
	n := 0
	for _, v := range rec {
		n += len(v)
	}
	var all strings.Builder
	all.Grow(n)
	for _, v := range rec {
		all.WriteString(v)
	}
	s := all.String()
	out := make(register.Record, len(rec))
	at := 0
	for i, v := range rec {
		out[i] = s[at : at+len(v)]
		at += len(v)
	}
	return out
}
