package analysis

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/huella/huella/internal/atomicfile"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/store"
)

// The comparison digest of a store is what a full-dump analysis would
// otherwise recompute from the store at every run: for every version, in
// (PersonID, ValidFrom) order, a fixed-size record of what the scan compares
// a leaked row with.
//
//	offset  size  field
//	0       8     PersonID
//	8       4     ValidFrom (register.Date)
//	12      4     ValidTo
//	16      18    CURP as a lookup key (keyOf: upper case, 18 characters; zero: none)
//	34      18    clave de elector, the same
//	52      4     entidad as a code id (matcher.code's numeric ids; 0: empty; oddCode: in the side table)
//	56      4     sección, the same
//	60      1     flags: 1 = the CURP as stored is not its lookup key (in the side table)
//	61      3     zero
//	64      4·F   the comparison hash of each of the schema's F fields (comparer.hash; 0: empty)
//
// All integers are little-endian. The file is
//
//	"huella digest 1\n"   16 bytes
//	records               count × record size, from offset 16
//	CRC-32C of each block of digestBlock records (the last one short), 4 bytes each
//	side table            JSON: {"record index": {"curp", "entidad", "seccion"}} for the odd ones
//	header                JSON (digestHeader)
//	footer                header offset (8 bytes) and "hdigest1" (8 bytes)
//
// The header names the store state the digest was made from (Known.State),
// the schema's fields and how each is compared, so a digest of another
// state, schema or comparison form is never used: Open says it is stale and
// the analysis scans the store instead. It is written to a temporary file and
// renamed into place, so a crash leaves the old digest or the new one; a
// block whose CRC does not match stops the digest's scan with
// ErrDigestDamaged, and the analysis scans the store instead.
const (
	digestMagic   = "huella digest 1\n"
	digestTrailer = "hdigest1"
	digestFixed   = 64
	digestBlock   = 8192
	// digestForm names the comparison form the hashes are of: change it
	// whenever comparer.hash changes (TestHashGolden).
	digestForm  = "fnv1a32/compare-v1"
	oddCode     = ^uint32(0)
	flagOddCURP = 1
)

// castagnoli is the CRC-32C table of the blocks' checksums.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// digestHeader is the digest's header.
type digestHeader struct {
	Format     string   `json:"format"`
	Form       string   `json:"form"`
	Store      string   `json:"store"`   // Known.State() of the store it was made from
	Fields     []string `json:"fields"`  // the schema's fields
	Compare    []int    `json:"compare"` // comparer.kind of each
	Records    int64    `json:"records"`
	RecordSize int      `json:"record_size"`
	CRCOffset  int64    `json:"crc_offset"`
	OddOffset  int64    `json:"odd_offset"`
	OddSize    int64    `json:"odd_size"`
}

// oddValues are a record's values the fixed layout cannot hold.
type oddValues struct {
	CURP    string `json:"curp,omitempty"`
	Entidad string `json:"entidad,omitempty"`
	Seccion string `json:"seccion,omitempty"`
}

// DigestPath is where a workspace keeps its store's digest.
func DigestPath(storePath string) string { return filepath.Join(storePath, "digest") }

func digestRecordSize(s *register.Schema) int { return digestFixed + 4*len(s.Fields) }

func wantHeader(s *register.Schema, k Known) digestHeader {
	cmp := newComparer(s)
	h := digestHeader{Format: digestMagic[:len(digestMagic)-1], Form: digestForm, Store: k.State(),
		Compare: slices.Clone(cmp.kind), RecordSize: digestRecordSize(s)}
	for _, f := range s.Fields {
		h.Fields = append(h.Fields, f.Name)
	}
	return h
}

// numericCodeID is matcher.code's id of a code of one to six digits.
func numericCodeID(s string) (uint32, bool) {
	if s == "" || len(s) > 6 {
		return 0, s == ""
	}
	v := uint32(0)
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + uint32(d)
	}
	return numericCode | uint32(len(s))<<24 | v, true
}

// digestWriter turns versions into records.
type digestWriter struct {
	cmp                       *comparer
	size                      int
	iCURP, iClave, iEnt, iSec int
}

func newDigestWriter(s *register.Schema) *digestWriter {
	return &digestWriter{cmp: newComparer(s), size: digestRecordSize(s),
		iCURP: s.Index(register.FCURP), iClave: s.Index(register.FClave),
		iEnt: s.Index(register.FEntidad), iSec: s.Index(register.FSeccion)}
}

// put appends v's record to dst, and its odd values (ok false: none).
func (w *digestWriter) put(dst []byte, v *register.Version) ([]byte, oddValues, bool) {
	n := len(dst)
	dst = append(dst, make([]byte, w.size)...)
	r := dst[n:]
	binary.LittleEndian.PutUint64(r[0:], v.PersonID)
	binary.LittleEndian.PutUint32(r[8:], uint32(v.ValidFrom))
	binary.LittleEndian.PutUint32(r[12:], uint32(v.ValidTo))
	curp := keyOf(v.Record, w.iCURP)
	clave := keyOf(v.Record, w.iClave)
	copy(r[16:34], curp[:])
	copy(r[34:52], clave[:])
	var odd oddValues
	isOdd := false
	get := func(i int) string {
		if i < 0 || i >= len(v.Record) {
			return ""
		}
		return v.Record[i]
	}
	if raw := get(w.iCURP); raw != curp.String() {
		r[60] |= flagOddCURP
		odd.CURP, isOdd = strings.Clone(raw), true
	}
	for _, c := range [2]struct {
		s   string
		off int
		dst *string
	}{{get(w.iEnt), 52, &odd.Entidad}, {get(w.iSec), 56, &odd.Seccion}} {
		id, ok := numericCodeID(c.s)
		if !ok {
			id, *c.dst, isOdd = oddCode, strings.Clone(c.s), true
		}
		binary.LittleEndian.PutUint32(r[c.off:], id)
	}
	for f := range w.cmp.kind {
		var x uint32
		if f < len(v.Record) && v.Record[f] != "" {
			x = w.cmp.hash(f, v.Record[f])
		}
		binary.LittleEndian.PutUint32(r[digestFixed+4*f:], x)
	}
	return dst, odd, isOdd
}

// BuildDigest writes the comparison digest of the store that scan reads,
// whose state is k, to path (replacing it atomically). The store is read
// in ranges of PersonID on every core.
func BuildDigest(ctx context.Context, s *register.Schema, k Known, scan ScanFunc, path string) error {
	h := wantHeader(s, k)
	w := newDigestWriter(s)
	// Ranges of about 16 MiB of records each, written in order.
	ranges := int(max(16, min(1<<16, k.Versions*int64(h.RecordSize)>>24)))
	step := k.MaxPerson/uint64(ranges) + 1
	type part struct {
		recs []byte
		odd  map[int]oddValues // by record index within the part
		err  error
	}
	parts := make([]chan part, ranges)
	for i := range parts {
		parts[i] = make(chan part, 1)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := max(1, runtime.GOMAXPROCS(0))
	// A worker may run at most 2·workers ranges ahead of the writer.
	ahead := make(chan struct{}, 2*workers)
	var next atomic.Int32
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case ahead <- struct{}{}:
				case <-ctx.Done():
					return
				}
				r := int(next.Add(1)) - 1
				if r >= ranges {
					<-ahead
					return
				}
				lo, hi := uint64(r)*step, uint64(r+1)*step
				if r == ranges-1 {
					hi = 0
				}
				var p part
				p.err = scan(ctx, lo, hi, func(v *register.Version) error {
					var odd oddValues
					var isOdd bool
					if p.recs, odd, isOdd = w.put(p.recs, v); isOdd {
						if p.odd == nil {
							p.odd = map[int]oddValues{}
						}
						p.odd[len(p.recs)/w.size-1] = odd
					}
					return nil
				})
				parts[r] <- p
			}
		}()
	}
	err := func() error {
		f, err := createDigest(path, h.RecordSize)
		if err != nil {
			return err
		}
		for r := range parts {
			var p part
			select {
			case p = <-parts[r]:
			case <-ctx.Done():
				err = ctx.Err()
			}
			if err == nil {
				<-ahead
				err = p.err
			}
			if err == nil {
				err = f.emit(p.recs, p.odd)
			}
			if err != nil {
				f.abort()
				return err
			}
		}
		if err := f.commit(h); err != nil {
			f.abort()
			return err
		}
		return nil
	}()
	cancel()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("comparison digest: %w", err)
	}
	return nil
}

// digestFile is a digest being written: records go to a temporary file
// next to path, renamed to path by commit.
type digestFile struct {
	path       string
	tmp        *os.File
	size       int
	off, count int64
	crc        uint32
	crcs       []byte
	odd        map[int64]oddValues
}

func createDigest(path string, size int) (*digestFile, error) {
	// what a build killed midway left (the caller holds the workspace)
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp*"))
	for _, f := range left {
		os.Remove(f)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	f := &digestFile{path: path, tmp: tmp, size: size, odd: map[int64]oddValues{}}
	if err := f.reset(); err != nil {
		f.abort()
		return nil, err
	}
	return f, nil
}

// reset forgets every record written.
func (f *digestFile) reset() error {
	f.off, f.count, f.crc, f.crcs = int64(len(digestMagic)), 0, 0, f.crcs[:0]
	clear(f.odd)
	if err := f.tmp.Truncate(0); err != nil {
		return err
	}
	_, err := f.tmp.WriteAt([]byte(digestMagic), 0)
	return err
}

// emit appends records (and their odd values, by index among recs).
func (f *digestFile) emit(recs []byte, odd map[int]oddValues) error {
	for i, v := range odd {
		f.odd[f.count+int64(i)] = v
	}
	if _, err := f.tmp.WriteAt(recs, f.off); err != nil {
		return err
	}
	f.off += int64(len(recs))
	for len(recs) > 0 {
		inBlock := int(f.count % digestBlock)
		n := min(len(recs)/f.size, digestBlock-inBlock)
		f.crc = crc32.Update(f.crc, castagnoli, recs[:n*f.size])
		recs = recs[n*f.size:]
		f.count += int64(n)
		if f.count%digestBlock == 0 {
			f.crcs = binary.LittleEndian.AppendUint32(f.crcs, f.crc)
			f.crc = 0
		}
	}
	return nil
}

// commit writes the tables and header h after the records and renames the
// file to path.
func (f *digestFile) commit(h digestHeader) error {
	if f.count%digestBlock != 0 {
		f.crcs = binary.LittleEndian.AppendUint32(f.crcs, f.crc)
	}
	h.Records = f.count
	h.CRCOffset = f.off
	oddJSON, err := json.Marshal(f.odd)
	if err != nil {
		return err
	}
	h.OddOffset = f.off + int64(len(f.crcs))
	h.OddSize = int64(len(oddJSON))
	hdr, err := json.Marshal(h)
	if err != nil {
		return err
	}
	hdrOff := h.OddOffset + h.OddSize
	tail := slices.Concat(f.crcs, oddJSON, hdr, binary.LittleEndian.AppendUint64(nil, uint64(hdrOff)), []byte(digestTrailer))
	if _, err := f.tmp.WriteAt(tail, f.off); err != nil {
		return err
	}
	if err := f.tmp.Sync(); err != nil {
		return err
	}
	if err := f.tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.tmp.Name(), f.path); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(f.path))
}

// abort removes the temporary file.
func (f *digestFile) abort() {
	f.tmp.Close()
	os.Remove(f.tmp.Name())
}

// DigestStream builds a store's digest from the versions a load into an
// empty store streams (a store.FreshSink): the hashing runs on its own
// goroutine, beside the load. Finish writes it once the load has
// committed, Abort drops it.
type DigestStream struct {
	s      *register.Schema
	f      *digestFile
	w      *digestWriter
	cur    *streamBatch
	work   chan *streamBatch
	free   chan *streamBatch
	done   chan struct{}
	err    error // the hashing goroutine's, read after done
	closed bool
}

type streamBatch struct {
	meta  []streamVersion
	data  []byte
	reset bool
}

type streamVersion struct {
	pid      uint64
	from, to register.Date
	end      int // of its record in data
}

// streamBatchVersions is the versions per batch handed to the hashing goroutine.
const streamBatchVersions = 4096

// NewDigestStream starts a digest for schema s, to be written at path.
func NewDigestStream(s *register.Schema, path string) (*DigestStream, error) {
	size := digestRecordSize(s)
	f, err := createDigest(path, size)
	if err != nil {
		return nil, fmt.Errorf("comparison digest: %w", err)
	}
	d := &DigestStream{s: s, f: f, w: newDigestWriter(s), work: make(chan *streamBatch, 4), free: make(chan *streamBatch, 6), done: make(chan struct{})}
	go d.hash()
	return d, nil
}

func (d *DigestStream) hash() {
	defer close(d.done)
	rec := make(register.Record, len(d.s.Fields))
	var recs []byte
	var odd map[int]oddValues
	for b := range d.work {
		if d.err != nil {
			continue // drain
		}
		if b.reset {
			d.err = d.f.reset()
			continue
		}
		recs = recs[:0]
		start := 0
		clear(odd)
		for _, m := range b.meta {
			// the record's strings point into b.data, kept until put is done
			if d.err = store.DecodeRecordView(b.data[start:m.end], rec); d.err != nil {
				break
			}
			start = m.end
			v := register.Version{PersonID: m.pid, ValidFrom: m.from, ValidTo: m.to, Record: rec}
			var o oddValues
			var isOdd bool
			if recs, o, isOdd = d.w.put(recs, &v); isOdd {
				if odd == nil {
					odd = map[int]oddValues{}
				}
				odd[len(recs)/d.w.size-1] = o
			}
		}
		if d.err == nil {
			d.err = d.f.emit(recs, odd)
		}
		b.meta, b.data = b.meta[:0], b.data[:0]
		select {
		case d.free <- b:
		default:
		}
	}
}

func (d *DigestStream) send(b *streamBatch) {
	d.work <- b
	d.cur = nil
}

// Version takes one version (store.FreshSink).
func (d *DigestStream) Version(pid uint64, from, to register.Date, rec []byte) error {
	if d.cur == nil {
		d.cur = recycled(d.free)
	}
	b := d.cur
	b.data = append(b.data, rec...)
	b.meta = append(b.meta, streamVersion{pid: pid, from: from, to: to, end: len(b.data)})
	if len(b.meta) == streamBatchVersions {
		d.send(b)
	}
	return nil
}

// Reset forgets the versions given so far (store.FreshSink).
func (d *DigestStream) Reset() error {
	if d.cur != nil {
		d.cur.meta, d.cur.data = d.cur.meta[:0], d.cur.data[:0]
	}
	d.work <- &streamBatch{reset: true}
	return nil
}

func (d *DigestStream) close() error {
	if !d.closed {
		d.closed = true
		if d.cur != nil && len(d.cur.meta) > 0 {
			d.send(d.cur)
		}
		close(d.work)
	}
	<-d.done
	return d.err
}

// Finish writes the digest of the versions given, for the store whose
// state (after the load) is k.
func (d *DigestStream) Finish(k Known) error {
	if err := d.close(); err != nil {
		d.f.abort()
		return fmt.Errorf("comparison digest: %w", err)
	}
	if err := d.f.commit(wantHeader(d.s, k)); err != nil {
		d.f.abort()
		return fmt.Errorf("comparison digest: %w", err)
	}
	return nil
}

// Abort drops the digest: the one at path, if any, is left as it was.
func (d *DigestStream) Abort() {
	d.close()
	d.f.abort()
}

// Digest is an open comparison digest.
type Digest struct {
	f    *os.File
	h    digestHeader
	crcs []uint32
	odd  map[int64]oddValues
}

// ErrDigestDamaged says a block of a digest does not match its CRC (the
// analysis then scans the store instead).
var ErrDigestDamaged = errors.New("the comparison digest is damaged")

// ErrStaleDigest says a digest was made from another store state, schema or
// comparison form (or is not a digest): it is not used.
var ErrStaleDigest = errors.New("the comparison digest does not match the store")

// OpenDigest opens the digest at path for the store whose state is k. It
// returns an error wrapping os.ErrNotExist when there is none and
// ErrStaleDigest when it is not this store's.
func OpenDigest(path string, s *register.Schema, k Known) (*Digest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	d, err := readDigest(f, wantHeader(s, k))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

func readDigest(f *os.File, want digestHeader) (*Digest, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	var foot [16]byte
	if size < int64(len(digestMagic)+len(foot)) {
		return nil, ErrStaleDigest
	}
	if _, err := f.ReadAt(foot[:], size-16); err != nil {
		return nil, err
	}
	hdrOff := int64(binary.LittleEndian.Uint64(foot[:8]))
	if string(foot[8:]) != digestTrailer || hdrOff < int64(len(digestMagic)) || hdrOff > size-16 {
		return nil, ErrStaleDigest
	}
	hb := make([]byte, size-16-hdrOff)
	if _, err := f.ReadAt(hb, hdrOff); err != nil {
		return nil, err
	}
	var h digestHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, ErrStaleDigest
	}
	if h.Format != want.Format || h.Form != want.Form || h.Store != want.Store ||
		!slices.Equal(h.Fields, want.Fields) || !slices.Equal(h.Compare, want.Compare) || h.RecordSize != want.RecordSize {
		return nil, ErrStaleDigest
	}
	blocks := (h.Records + digestBlock - 1) / digestBlock
	if h.CRCOffset != int64(len(digestMagic))+h.Records*int64(h.RecordSize) ||
		h.OddOffset != h.CRCOffset+4*blocks || h.OddOffset+h.OddSize != hdrOff {
		return nil, fmt.Errorf("%w: its sizes do not add up", ErrStaleDigest)
	}
	tail := make([]byte, hdrOff-h.CRCOffset)
	if _, err := f.ReadAt(tail, h.CRCOffset); err != nil {
		return nil, err
	}
	d := &Digest{f: f, h: h}
	for i := int64(0); i < blocks; i++ {
		d.crcs = append(d.crcs, binary.LittleEndian.Uint32(tail[4*i:]))
	}
	if err := json.Unmarshal(tail[4*blocks:], &d.odd); err != nil {
		return nil, fmt.Errorf("%w: side table: %v", ErrStaleDigest, err)
	}
	return d, nil
}

// Close closes the digest's file.
func (d *Digest) Close() error { return d.f.Close() }

// Records is the number of versions the digest holds.
func (d *Digest) Records() int64 { return d.h.Records }

// pidAt reads the PersonID of record i.
func (d *Digest) pidAt(i int64) (uint64, error) {
	var b [8]byte
	if _, err := d.f.ReadAt(b[:], int64(len(digestMagic))+i*int64(d.h.RecordSize)); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// search is the first record whose PersonID is ≥ pid.
func (d *Digest) search(pid uint64) (int64, error) {
	lo, hi := int64(0), d.h.Records
	for lo < hi {
		mid := int64(uint64(lo+hi) >> 1)
		p, err := d.pidAt(mid)
		if err != nil {
			return 0, err
		}
		if p < pid {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// scan calls fn with the records of the people with lo ≤ PersonID < hi (hi
// 0: no upper bound), several at a time, in order; first is the index of
// the first. recs is reused after fn returns. Every block read is checked
// against its CRC first.
func (d *Digest) scan(ctx context.Context, lo, hi uint64, fn func(first int64, recs []byte) error) error {
	start, err := d.search(lo)
	if err != nil {
		return err
	}
	end := d.h.Records
	if hi != 0 {
		if end, err = d.search(hi); err != nil {
			return err
		}
	}
	return d.scanRecords(ctx, start, end, fn)
}

// scanRecords calls fn with records start to end (indexes), several at a
// time, in order, as scan does.
func (d *Digest) scanRecords(ctx context.Context, start, end int64, fn func(first int64, recs []byte) error) error {
	size := int64(d.h.RecordSize)
	var buf []byte
	for b := start / digestBlock; b*digestBlock < end; b++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		bFirst := b * digestBlock
		bEnd := min(bFirst+digestBlock, d.h.Records)
		n := int((bEnd - bFirst) * size)
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := d.f.ReadAt(buf, int64(len(digestMagic))+bFirst*size); err != nil {
			return fmt.Errorf("comparison digest: %w", err)
		}
		if crc32.Checksum(buf, castagnoli) != d.crcs[b] {
			return fmt.Errorf("%w: block %d of %s does not match its CRC: rebuild it with huella digest", ErrDigestDamaged, b, d.f.Name())
		}
		from, to := max(start, bFirst), min(end, bEnd)
		if from >= to {
			continue
		}
		if err := fn(from, buf[(from-bFirst)*size:(to-bFirst)*size]); err != nil {
			return err
		}
	}
	return nil
}

// digestRec reads one record.
type digestRec []byte

func (r digestRec) pid() uint64 { return binary.LittleEndian.Uint64(r) }
func (r digestRec) from() register.Date {
	return register.Date(int32(binary.LittleEndian.Uint32(r[8:])))
}
func (r digestRec) to() register.Date {
	return register.Date(int32(binary.LittleEndian.Uint32(r[12:])))
}
func (r digestRec) curp() *key18      { return (*key18)(r[16:34]) }
func (r digestRec) clave() *key18     { return (*key18)(r[34:52]) }
func (r digestRec) ent() uint32       { return binary.LittleEndian.Uint32(r[52:]) }
func (r digestRec) sec() uint32       { return binary.LittleEndian.Uint32(r[56:]) }
func (r digestRec) oddCURP() bool     { return r[60]&flagOddCURP != 0 }
func (r digestRec) hash(f int) uint32 { return binary.LittleEndian.Uint32(r[digestFixed+4*f:]) }
