package release

import (
	"bufio"
	"context"
	"runtime"
	"sync"

	"github.com/huella/huella/internal/fingerprint"
	"github.com/huella/huella/internal/register"
)

// batchRows is the rows handed between the goroutines of a release at once:
// large, because on a busy machine every hand-over between goroutines can
// wait for a time slice.
const batchRows = 4096

// batch is batchRows rows of the register on their way through a release:
// read by the producer, marked and encoded by a worker, appended to the copy
// by the assembler, in register order.
type batch struct {
	n    int
	pids []uint64
	vals []string // row i is vals[i*nf : (i+1)*nf]
	keys []uint64
	can  []bool
	out  []byte   // the encoded rows, one after the other
	ends []uint32 // row i is out[ends[i-1]:ends[i]]
	done chan struct{}
}

func newBatch(nf int) *batch {
	return &batch{
		pids: make([]uint64, batchRows), vals: make([]string, batchRows*nf),
		keys: make([]uint64, batchRows), can: make([]bool, batchRows),
		ends: make([]uint32, batchRows), done: make(chan struct{}, 1),
		out: make([]byte, 0, batchRows*256),
	}
}

// streamParallel is stream for an encoder, spread over goroutines: one
// reads the register (and counts the first block's address forms), workers
// (one per CPU, at most 4) mark and encode batches with their own clone of
// the marker, and the calling goroutine appends them, in register order, to
// the copy, which orders its blocks and writes them. The copy is byte for
// byte the one stream would write.
func streamParallel(ctx context.Context, key []byte, id string, schema *register.Schema, src Source, asOf register.Date, fields []string, o Options, p fingerprint.Params, statsRows int, enc encoder, bw *bufio.Writer, cols []int, taken func(curp, clave string) bool) (int64, fingerprint.Params, error) {
	nf := len(schema.Fields)
	workers := min(max(runtime.GOMAXPROCS(0), 1), 4)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// few batches in flight: a batch is ≈2 MB
	free := make(chan *batch, 2*workers+4)
	work := make(chan *batch, workers)
	ordered := make(chan *batch, 2*workers+2)
	get := func() *batch {
		select {
		case b := <-free:
			b.n = 0
			return b
		default:
			return newBatch(nf)
		}
	}

	var (
		marker  *fingerprint.Marker // written by the producer before its first send
		prodErr error
	)
	go func() {
		defer close(ordered)
		defer close(work)
		stats := fingerprint.NewFormStats()
		var head []*batch
		started, rows := false, 0
		send := func(b *batch) error {
			select {
			case ordered <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case work <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		}
		cur := get()
		flush := func() error {
			if cur.n == 0 {
				return nil
			}
			b := cur
			cur = get()
			if !started {
				head = append(head, b)
				return nil
			}
			return send(b)
		}
		start := func() error {
			marker = fingerprint.NewMarker(key, id, schema, fields, p, stats)
			started = true
			for _, b := range head {
				if err := send(b); err != nil {
					return err
				}
			}
			head = nil
			return nil
		}
		err := src.AsOf(ctx, asOf, func(v *register.Version) error {
			i := cur.n
			cur.pids[i] = v.PersonID
			copy(cur.vals[i*nf:(i+1)*nf], v.Record)
			cur.n++
			if !started {
				stats.Add(schema, v.Record)
				rows++
			}
			if cur.n == batchRows {
				if err := flush(); err != nil {
					return err
				}
			}
			if !started && rows >= statsRows {
				if err := flush(); err != nil {
					return err
				}
				return start()
			}
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err == nil && !started {
			err = start()
		}
		prodErr = err
	}()

	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mk *fingerprint.Marker
			for b := range work {
				if mk == nil {
					mk = marker.Clone()
				}
				b.out = b.out[:0]
				for i := 0; i < b.n; i++ {
					rec := register.Record(b.vals[i*nf : (i+1)*nf])
					b.keys[i], b.can[i] = mk.MarkRow(b.pids[i], rec)
					b.out = enc.Encode(b.out, rec, cols)
					b.ends[i] = uint32(len(b.out))
				}
				b.done <- struct{}{}
			}
		}()
	}

	var (
		cp    *fingerprint.Copy
		count int64
		err   error
	)
	newCopy := func() {
		// on a clone of its own: the workers clone marker on their first
		// batch, and the copy's canaries are marked with its scratch space
		// (a clone read while the copy wrote it: a data race)
		cp = marker.Clone().NewEncodedCopy(schema, asOf, taken, func(dst []byte, rec register.Record) []byte {
			return enc.Encode(dst, rec, cols)
		}, func(b []byte) error {
			count++
			if o.Progress != nil && count&0xFFFF == 0 {
				o.Progress(count)
			}
			_, err := bw.Write(b)
			return err
		})
	}
	for b := range ordered {
		if err != nil {
			continue // draining after an error
		}
		select {
		case <-b.done:
		case <-ctx.Done():
			err = ctx.Err() // the batch may never reach a worker
			continue
		}
		if cp == nil {
			newCopy()
		}
		start := 0
		for i := 0; i < b.n && err == nil; i++ {
			err = cp.AddEncoded(b.keys[i], b.out[start:b.ends[i]], b.can[i], b.vals[i*nf:(i+1)*nf])
			start = int(b.ends[i])
		}
		if err != nil {
			cancel()
			continue
		}
		select {
		case free <- b:
		default:
		}
	}
	wg.Wait()
	if err != nil {
		return 0, p, err
	}
	if prodErr != nil {
		return 0, p, prodErr
	}
	if cp == nil {
		newCopy()
	}
	if err := cp.Close(); err != nil {
		return 0, p, err
	}
	return count, cp.Params(), nil
}
