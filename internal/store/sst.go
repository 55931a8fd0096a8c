package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"bufio"

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
type keySorter struct {
	ents []inlineKey
	long *kvSorter
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

func (s *keySorter) add(key []byte) {
	if len(key) > 32 {
		s.long.add(key, nil)
		return
	}
	var b [32]byte
	copy(b[:], key)
	e := inlineKey{n: uint8(len(key))}
	for i := range e.w {
		e.w[i] = binary.BigEndian.Uint64(b[8*i:])
	}
	s.ents = append(s.ents, e)
}

func (s *keySorter) sort() {
	slices.SortFunc(s.ents, compareInline)
	s.long.sort()
}

// each calls fn for each distinct key in order.
func (s *keySorter) each(fn func(k, v []byte) error) error {
	var longKeys [][]byte
	s.long.each(func(k, _ []byte) error { longKeys = append(longKeys, k); return nil })
	var last []byte
	i, j := 0, 0
	for i < len(s.ents) || j < len(longKeys) {
		var k []byte
		if i < len(s.ents) {
			k = s.ents[i].key()
		}
		if j == len(longKeys) || i < len(s.ents) && bytes.Compare(k, longKeys[j]) <= 0 {
			i++
		} else {
			k = longKeys[j]
			j++
		}
		if last != nil && bytes.Equal(k, last) {
			continue
		}
		if err := fn(k, nil); err != nil {
			return err
		}
		last = k
	}
	return nil
}
