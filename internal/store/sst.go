package store

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/sstable"
)

// kvSorter collects key/value pairs in any order in chunked memory and hands
// them back sorted by key, the last one added winning among equal keys. It
// is the in-memory sort in front of the sorted tables a load ingests.
type kvSorter struct {
	chunks [][]byte
	ents   []sortEnt
	// inOrder stays true while keys arrive strictly increasing (new people
	// in person-id order), which makes the sort a no-op check.
	inOrder bool
	lastKey []byte
}

// sortEnt holds the first 16 key bytes inline so most comparisons never
// touch the arena.
type sortEnt struct {
	p0, p1 uint64
	off    uint64 // chunk<<32 | position; increases with insertion order
}

const chunkSize = 32 << 20

func newSorter() *kvSorter { return &kvSorter{inOrder: true} }

func (s *kvSorter) len() int { return len(s.ents) }

func (s *kvSorter) add(key, value []byte) {
	need := 2*binary.MaxVarintLen32 + len(key) + len(value)
	n := len(s.chunks)
	if n == 0 || cap(s.chunks[n-1])-len(s.chunks[n-1]) < need {
		s.chunks = append(s.chunks, make([]byte, 0, max(chunkSize, need)))
		n++
	}
	c := s.chunks[n-1]
	off := uint64(n-1)<<32 | uint64(len(c))
	c = binary.AppendUvarint(c, uint64(len(key)))
	c = binary.AppendUvarint(c, uint64(len(value)))
	c = append(c, key...)
	c = append(c, value...)
	s.chunks[n-1] = c
	var pre [16]byte
	copy(pre[:], key)
	s.ents = append(s.ents, sortEnt{binary.BigEndian.Uint64(pre[:8]), binary.BigEndian.Uint64(pre[8:]), off})
	if s.inOrder {
		if s.lastKey != nil && bytes.Compare(key, s.lastKey) <= 0 {
			s.inOrder = false
		}
		s.lastKey = append(s.lastKey[:0], key...)
	}
}

func (s *kvSorter) at(off uint64) (key, value []byte) {
	c := s.chunks[off>>32][uint32(off):]
	kl, n1 := binary.Uvarint(c)
	vl, n2 := binary.Uvarint(c[n1:])
	p := n1 + n2
	return c[p : p+int(kl)], c[p+int(kl) : p+int(kl)+int(vl)]
}

func (s *kvSorter) sort() {
	if s.inOrder {
		return
	}
	slices.SortFunc(s.ents, func(a, b sortEnt) int {
		if a.p0 != b.p0 {
			return cmp.Compare(a.p0, b.p0)
		}
		if a.p1 != b.p1 {
			return cmp.Compare(a.p1, b.p1)
		}
		ka, _ := s.at(a.off)
		kb, _ := s.at(b.off)
		if c := bytes.Compare(ka, kb); c != 0 {
			return c
		}
		return cmp.Compare(a.off, b.off)
	})
	s.inOrder = true
}

// each calls fn for each distinct key in order with the value added last.
func (s *kvSorter) each(fn func(k, v []byte) error) error {
	for i := 0; i < len(s.ents); i++ {
		k, v := s.at(s.ents[i].off)
		for i+1 < len(s.ents) {
			k2, v2 := s.at(s.ents[i+1].off)
			if !bytes.Equal(k, k2) {
				break
			}
			k, v = k2, v2
			i++
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// sstWriter writes a sorted stream of keys into tables of about maxSize
// bytes each, in dir, for ingestion.
type sstWriter struct {
	dir     string
	name    string
	opts    sstable.WriterOptions
	maxSize uint64
	w       *sstable.Writer
	paths   []string
	n       int
}

// fileWritable is a table file written through a 1 MiB buffer and synced
// when finished (Pebble's own uses 4 KiB writes).
type fileWritable struct {
	f  *os.File
	bw *bufio.Writer
}

func (w *fileWritable) Write(p []byte) error {
	_, err := w.bw.Write(p)
	return err
}

func (w *fileWritable) Finish() error {
	err := w.bw.Flush()
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (w *fileWritable) Abort() { w.f.Close() }

func (sw *sstWriter) set(k, v []byte) error {
	if sw.w == nil {
		p := filepath.Join(sw.dir, fmt.Sprintf("%s-%03d.sst", sw.name, len(sw.paths)))
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		sw.paths = append(sw.paths, p)
		sw.w = sstable.NewWriter(&fileWritable{f, bufio.NewWriterSize(f, 1<<20)}, sw.opts)
	}
	if err := sw.w.Set(k, v); err != nil {
		return err
	}
	if sw.n++; sw.n&1023 == 0 && sw.w.EstimatedSize() >= sw.maxSize {
		err := sw.w.Close()
		sw.w = nil
		return err
	}
	return nil
}

func (sw *sstWriter) close() error {
	if sw == nil || sw.w == nil {
		return nil
	}
	err := sw.w.Close()
	sw.w = nil
	return err
}

// sortedKVs is what writeSorted writes.
type sortedKVs interface {
	sort()
	each(fn func(k, v []byte) error) error
}

// writeSorted sorts s and writes it as tables; it returns their paths.
func writeSorted(dir, name string, s sortedKVs, opts sstable.WriterOptions) ([]string, error) {
	s.sort()
	sw := &sstWriter{dir: dir, name: name, opts: opts, maxSize: 128 << 20}
	if err := s.each(sw.set); err != nil {
		sw.close()
		return sw.paths, err
	}
	return sw.paths, sw.close()
}

// removeAll deletes temporary tables, ignoring errors: leftovers are
// cleaned at the next Open.
func removeAll(paths []string) {
	for _, p := range paths {
		os.Remove(p)
	}
}

// keySorter sorts keys without values (the index entries), holding keys of
// up to 32 bytes inline so that sorting and writing them reads memory in
// order; longer keys go to a kvSorter and the two are merged when written.
// With spill set, every budget entries are sorted and written as a run table,
// and each merges the runs: memory stays bounded whatever the load's size.
type keySorter struct {
	ents   []inlineKey
	long   *kvSorter
	spill  *spillTo
	runs   []string
	sorted bool // ents are sorted already (a half, see halves)
}

// spillTo says where and when a keySorter writes runs.
type spillTo struct {
	dir    string
	opts   sstable.WriterOptions
	budget int // entries held in memory before a run is written
}

type inlineKey struct {
	w [4]uint64 // the key, zero-padded, as big-endian words
	n uint8
}

func (e *inlineKey) key() []byte {
	var b [32]byte
	for i, w := range e.w {
		binary.BigEndian.PutUint64(b[8*i:], w)
	}
	return b[:e.n]
}

// compareInline orders like bytes.Compare: zero padding ties are broken by
// length, shorter first.
func compareInline(a, b inlineKey) int {
	for i := range a.w {
		if a.w[i] != b.w[i] {
			return cmp.Compare(a.w[i], b.w[i])
		}
	}
	return cmp.Compare(a.n, b.n)
}

func newKeySorter() *keySorter { return &keySorter{long: newSorter()} }

func (s *keySorter) len() int { return len(s.ents) + s.long.len() }

func (s *keySorter) add(key []byte) error {
	if len(key) > 32 {
		s.long.add(key, nil)
		return nil
	}
	var b [32]byte
	copy(b[:], key)
	e := inlineKey{n: uint8(len(key))}
	for i := range e.w {
		e.w[i] = binary.BigEndian.Uint64(b[8*i:])
	}
	s.ents = append(s.ents, e)
	if s.spill != nil && len(s.ents) >= s.spill.budget {
		return s.writeRun()
	}
	return nil
}

// writeRun sorts the inline entries and writes them as one run table.
func (s *keySorter) writeRun() error {
	sortInline(s.ents)
	sw := &sstWriter{dir: s.spill.dir, name: fmt.Sprintf("run-%03d", len(s.runs)), opts: s.spill.opts, maxSize: 1 << 62}
	var last inlineKey
	for i, e := range s.ents {
		if i > 0 && e == last {
			continue
		}
		last = e
		if err := sw.set(e.key(), nil); err != nil {
			sw.close()
			return err
		}
	}
	if err := sw.close(); err != nil {
		return err
	}
	s.runs = append(s.runs, sw.paths...)
	s.ents = s.ents[:0]
	return nil
}

// reset drops everything added, runs included.
func (s *keySorter) reset() {
	removeAll(s.runs)
	s.runs, s.ents, s.long = nil, s.ents[:0], newSorter()
}

func (s *keySorter) sort() {
	if !s.sorted {
		sortInline(s.ents)
	}
	s.long.sort()
}

// halves sorts the keys and splits them in two sorters of key ranges that
// do not overlap, for two table writers side by side; ok is false when
// the keys are few, or not all held inline in memory (runs, long keys).
func (s *keySorter) halves() (a, b *keySorter, ok bool) {
	if len(s.runs) > 0 || s.long.len() > 0 || len(s.ents) < 1<<16 {
		return nil, nil, false
	}
	s.sort()
	h := len(s.ents) / 2
	for h < len(s.ents) && s.ents[h] == s.ents[h-1] { // a key in one half only
		h++
	}
	if h == len(s.ents) {
		return nil, nil, false
	}
	return &keySorter{ents: s.ents[:h], long: newSorter(), sorted: true},
		&keySorter{ents: s.ents[h:], long: newSorter(), sorted: true}, true
}

// sortInline sorts keys on every core: split in place around sampled
// pivots into ranges of keys (each key below the next range's), then the
// ranges sorted side by side. The index of a national snapshot is ≈190M
// keys, sorted when a load commits while nothing else runs.
func sortInline(ents []inlineKey) { sortInlineIn(ents, runtime.GOMAXPROCS(0)) }

// sortInlineIn is sortInline in at most parts ranges.
func sortInlineIn(ents []inlineKey, parts int) {
	if parts < 2 || len(ents) < 1<<16 {
		slices.SortFunc(ents, compareInline)
		return
	}
	var wg sync.WaitGroup
	var split func(ents []inlineKey, parts int)
	split = func(ents []inlineKey, parts int) {
		if parts < 2 || len(ents) < 1<<16 {
			wg.Go(func() { slices.SortFunc(ents, compareInline) })
			return
		}
		// the median of 63 keys spread over the range
		var sample [63]inlineKey
		for i := range sample {
			sample[i] = ents[(2*i+1)*len(ents)/(2*len(sample))]
		}
		slices.SortFunc(sample[:], compareInline)
		pivot := sample[len(sample)/2]
		// keys below the pivot first (Lomuto's partition)
		lo := 0
		for i := range ents {
			if compareInline(ents[i], pivot) < 0 {
				ents[lo], ents[i] = ents[i], ents[lo]
				lo++
			}
		}
		if lo == 0 { // the pivot is the least key: nothing to split
			wg.Go(func() { slices.SortFunc(ents, compareInline) })
			return
		}
		split(ents[:lo], parts/2)
		split(ents[lo:], parts-parts/2)
	}
	split(ents, parts)
	wg.Wait()
}

// keySource is one sorted stream of keys for the merge in each.
type keySource struct {
	next func() ([]byte, bool)
	key  []byte
}

// each calls fn for each distinct key in order: a merge of the run tables,
// the inline entries and the long keys.
func (s *keySorter) each(fn func(k, v []byte) error) error {
	var srcs []*keySource
	var closers []func()
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for _, p := range s.runs {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		rd, err := sstable.NewSimpleReadable(f)
		if err != nil {
			f.Close()
			return err
		}
		r, err := sstable.NewReader(rd, sstable.ReaderOptions{})
		if err != nil {
			rd.Close()
			return err
		}
		it, err := r.NewIter(nil, nil)
		if err != nil {
			r.Close()
			return err
		}
		closers = append(closers, func() { it.Close(); r.Close() })
		first := true
		srcs = append(srcs, &keySource{next: func() ([]byte, bool) {
			var k *sstable.InternalKey
			if first {
				k, _ = it.First()
				first = false
			} else {
				k, _ = it.Next()
			}
			if k == nil {
				return nil, false
			}
			return k.UserKey, true
		}})
	}
	i := 0
	srcs = append(srcs, &keySource{next: func() ([]byte, bool) {
		if i == len(s.ents) {
			return nil, false
		}
		i++
		return s.ents[i-1].key(), true
	}})
	var longKeys [][]byte
	s.long.each(func(k, _ []byte) error { longKeys = append(longKeys, k); return nil })
	j := 0
	srcs = append(srcs, &keySource{next: func() ([]byte, bool) {
		if j == len(longKeys) {
			return nil, false
		}
		j++
		return longKeys[j-1], true
	}})
	live := srcs[:0]
	for _, src := range srcs {
		if k, ok := src.next(); ok {
			src.key = k
			live = append(live, src)
		}
	}
	var last []byte
	for len(live) > 0 {
		m := 0
		for x := 1; x < len(live); x++ {
			if bytes.Compare(live[x].key, live[m].key) < 0 {
				m = x
			}
		}
		if last == nil || !bytes.Equal(live[m].key, last) {
			if err := fn(live[m].key, nil); err != nil {
				return err
			}
			last = append(last[:0], live[m].key...)
		}
		if k, ok := live[m].next(); ok {
			live[m].key = k
		} else {
			live = slices.Delete(live, m, m+1)
		}
	}
	return nil
}
