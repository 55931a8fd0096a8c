package analysis

import (
	"context"
	"sync"
	"sync/atomic"
)

// digestJoin says which leaked rows hold the CURP of each record of a
// comparison digest. It is found before the scan by a partitioned hash
// join: the rows' CURPs and then the digest's are split into partitions
// by the top bits of their hash, and each partition's rows are put in a
// table small enough for the cache and probed with the partition's
// records. A table of every row, probed in the digest's (PersonID) order,
// misses the cache and the TLB at every record (for a national dump the
// table is hundreds of megabytes); here every pass reads and writes its
// memory in order, and the scan then reads what the join found in record
// order.
type digestJoin struct {
	match []int32           // per record: row+1; 0: no row; -1: several rows, in extra
	extra map[int64][]int32 // rows of the records holding several
}

// rows appends to dst the rows holding record idx's CURP.
func (j *digestJoin) rows(idx int64, dst []int32) []int32 {
	switch r := j.match[idx]; {
	case r > 0:
		return append(dst, r-1)
	case r < 0:
		return append(dst, j.extra[idx]...)
	}
	return dst
}

// firstRow is one row holding record idx's CURP, or -1.
func (j *digestJoin) firstRow(idx int64) int {
	switch r := j.match[idx]; {
	case r > 0:
		return int(r - 1)
	case r < 0:
		return int(j.extra[idx][0])
	}
	return -1
}

// joinEnt is a key and where it is: a row of the leak or a record of the
// digest.
type joinEnt struct {
	key key18
	at  uint32
}

// joinPartRows is about how many rows a partition of the join holds: its
// entries and table (≈40 bytes a row) stay in a core's cache while the
// partition's records probe them. (A variable for the tests, which make
// partitions and buckets small to have many.)
var joinPartRows = 8192

// joinable says whether joinDigest can join d with rows leaked rows (its
// indexes are 32 bits).
func joinable(d *Digest, rows int) bool { return d.h.Records < 1<<32 && rows < 1<<31-1 }

// joinDigest joins the leaked rows' CURPs (keys, by row; zero: none) with
// d's records on every core.
func joinDigest(ctx context.Context, d *Digest, keys *keyCol, workers int) (*digestJoin, error) {
	n := 0
	for _, ch := range keys.chunks {
		for i := range ch {
			if !ch[i].none() {
				n++
			}
		}
	}
	pbits := 0
	for n>>pbits > joinPartRows && pbits < 16 {
		pbits++
	}
	parts := 1 << pbits
	part := func(h uint64) int { return int(h >> (64 - pbits) & uint64(parts-1)) } // 0 when pbits is 0
	rows, rowOff := partitionRows(keys, n, parts, part, workers)
	recs, err := partitionRecords(ctx, d, parts, part, workers)
	if err != nil {
		return nil, err
	}

	// Each partition's pairs (record, row) go to buckets of records, and
	// the buckets are then written into match one after the other: a
	// partition's records lie all over the digest, and writing their rows
	// into match at once would miss the cache and the TLB at nearly every
	// pair.
	buckets := int(d.h.Records>>joinBucketBits) + 1
	// a goroutine's pairs of a bucket, as the rows spread over the
	// buckets, with room to spare: grown by doubling from nothing they
	// were copied over and over (4.4 times their size allocated at 10M)
	perBucket := n/buckets/workers + n/buckets/workers/4 + 16
	pairs := make([][][]uint64, workers) // per goroutine, per bucket: record<<32 | row
	extras := make([]map[int64][]int32, workers)
	for w := range workers {
		pairs[w], extras[w] = make([][]uint64, buckets), map[int64][]int32{}
	}
	eachPart(ctx, workers, parts, func(w, p int, slots *[]uint32) {
		ents := rows[rowOff[p]:rowOff[p+1]]
		if len(ents) == 0 {
			return
		}
		size := 16
		for size < 2*len(ents) {
			size *= 2
		}
		if cap(*slots) < size {
			*slots = make([]uint32, size)
		}
		sl := (*slots)[:size]
		clear(sl)
		mask := uint64(size - 1)
		// a key takes one slot however many rows hold it; the others are
		// in more, by the first's entry (rows sharing a key in the slots of
		// one probe sequence made the join quadratic in them: 200,000 rows
		// of one person took 16 s)
		var more map[uint32][]uint32
		for i := range ents {
			k := hash64(&ents[i].key) & mask
			for sl[k] != 0 && !ents[sl[k]-1].key.eq(&ents[i].key) {
				k = (k + 1) & mask
			}
			if sl[k] == 0 {
				sl[k] = uint32(i + 1)
				continue
			}
			if more == nil {
				more = map[uint32][]uint32{}
			}
			more[sl[k]-1] = append(more[sl[k]-1], uint32(i))
		}
		out := pairs[w]
		emit := func(r *joinEnt, e *joinEnt) {
			b := r.at >> joinBucketBits
			if out[b] == nil {
				out[b] = make([]uint64, 0, perBucket)
			}
			out[b] = append(out[b], uint64(r.at)<<32|uint64(e.at))
		}
		for v := range recs {
			for i := range recs[v][p] {
				r := &recs[v][p][i]
				for k := hash64(&r.key) & mask; sl[k] != 0; k = (k + 1) & mask {
					if e := &ents[sl[k]-1]; e.key.eq(&r.key) {
						emit(r, e)
						for _, x := range more[sl[k]-1] {
							emit(r, &ents[x])
						}
						break
					}
				}
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, recs = nil, nil
	j := &digestJoin{match: make([]int32, d.h.Records), extra: map[int64][]int32{}}
	eachPart(ctx, workers, buckets, func(w, b int, _ *[]uint32) {
		for _, ps := range pairs {
			for _, x := range ps[b] {
				j.add(int64(x>>32), int32(uint32(x)), extras[w])
			}
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, e := range extras {
		for idx, rs := range e {
			j.extra[idx] = rs
		}
	}
	return j, nil
}

// joinBucketBits: a bucket of the join's pairs holds 1<<joinBucketBits
// records, whose entries of match (256 KiB) stay in the cache while the
// bucket is written.
var joinBucketBits = 16

// eachPart calls fn(w, i, scratch) for i from 0 to n-1 on workers
// goroutines, w the goroutine's number (0 ≤ w < workers), scratch its own.
func eachPart(ctx context.Context, workers, n int, fn func(w, i int, scratch *[]uint32)) {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []uint32
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				fn(w, i, &scratch)
			}
		}()
	}
	wg.Wait()
}

// add records that row holds record idx's CURP (extra: the calling
// goroutine's records with several rows; each record is in one bucket,
// written by one goroutine).
func (j *digestJoin) add(idx int64, row int32, extra map[int64][]int32) {
	switch r := j.match[idx]; {
	case r == 0:
		j.match[idx] = row + 1
	case r > 0:
		extra[idx] = []int32{r - 1, row}
		j.match[idx] = -1
	default:
		extra[idx] = append(extra[idx], row)
	}
}

// partitionRows splits the n rows holding a key into parts partitions,
// each in row order: the entries of partition p are
// ents[off[p]:off[p+1]].
func partitionRows(keys *keyCol, n, parts int, part func(uint64) int, workers int) (ents []joinEnt, off []int) {
	ents = make([]joinEnt, n)
	counts := make([][]int, workers) // per worker (a run of the chunks of rows), per partition
	per := (len(keys.chunks) + workers - 1) / workers
	each := func(f func(w, row int, ch []key18)) { // worker w's chunks, from row
		eachPart(context.Background(), workers, workers, func(_, w int, _ *[]uint32) {
			for c := min(len(keys.chunks), w*per); c < min(len(keys.chunks), (w+1)*per); c++ {
				f(w, c*chunkRows, keys.chunks[c])
			}
		})
	}
	for w := range counts {
		counts[w] = make([]int, parts)
	}
	each(func(w, _ int, ch []key18) {
		c := counts[w]
		for i := range ch {
			if !ch[i].none() {
				c[part(hash64(&ch[i]))]++
			}
		}
	})
	// where each worker's entries of each partition start
	off = make([]int, parts+1)
	at := 0
	for p := range parts {
		off[p] = at
		for w := range workers {
			c := counts[w][p]
			counts[w][p] = at
			at += c
		}
	}
	off[parts] = at
	each(func(w, row int, ch []key18) {
		next := counts[w]
		for i := range ch {
			if !ch[i].none() {
				p := part(hash64(&ch[i]))
				ents[next[p]] = joinEnt{key: ch[i], at: uint32(row + i)}
				next[p]++
			}
		}
	})
	return ents, off
}

// partitionRecords splits the records of d holding a CURP into parts
// partitions: recs[w][p] are the records of partition p that worker w
// read (each worker reads a slice of the digest).
func partitionRecords(ctx context.Context, d *Digest, parts int, part func(uint64) int, workers int) ([][][]joinEnt, error) {
	total := d.h.Records
	// slices of whole blocks, a few per worker so that they end together
	pieces := int64(4 * workers)
	step := (total/pieces/digestBlock + 1) * digestBlock
	guess := int(total/int64(parts*workers))*5/4 + 16
	recs := make([][][]joinEnt, workers)
	for w := range recs {
		recs[w] = make([][]joinEnt, parts)
		for p := range recs[w] {
			recs[w][p] = make([]joinEnt, 0, guess)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		errOnce sync.Once
		scanErr error
	)
	size := d.h.RecordSize
	eachPart(ctx, workers, int((total+step-1)/step), func(w, piece int, _ *[]uint32) {
		mine := recs[w]
		lo := int64(piece) * step
		err := d.scanRecords(ctx, lo, min(total, lo+step), func(first int64, b []byte) error {
			for i := 0; i < len(b)/size; i++ {
				r := digestRec(b[i*size : (i+1)*size])
				k := r.curp()
				if k.none() {
					continue
				}
				p := part(hash64(k))
				mine[p] = append(mine[p], joinEnt{key: *k, at: uint32(first + int64(i))})
			}
			return nil
		})
		if err != nil {
			errOnce.Do(func() { scanErr = err })
			cancel()
		}
	})
	if scanErr != nil {
		return nil, scanErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return recs, nil
}
