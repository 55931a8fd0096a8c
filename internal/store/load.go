package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/sstable"

	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// ErrRefused marks a load the store refuses as a whole: a snapshot older
// than what the store holds, a history into a non-empty store, a file
// loaded twice, an unknown as-of day.
var ErrRefused = errors.New("load refused")

// LoadInput is one file to load. AsOf 0 means: for a snapshot, the day in a
// "snapshot-YYYY-MM-DD" file name; for a history, its latest date.
type LoadInput struct {
	Path string
	AsOf register.Date
}

// LoadResult counts what one file did. For a snapshot Rows = New +
// Returned + Changed + Unchanged; Removed people were valid before and are
// absent. For a history New is the number of people, Rows of versions, and
// Removed the people whose last version is closed.
type LoadResult struct {
	File, Kind string
	AsOf       register.Date
	SHA256     string
	Rows       int64
	New        int64 // people never seen before
	Returned   int64 // people removed earlier and present again
	Changed    int64 // people whose record changed: old version closed, new one opened
	Removed    int64
	Unchanged  int64
	// Invalid identifiers are counted (empty ones too), never dropped or fixed.
	InvalidCURP, InvalidClave int64
	PeopleValid               int64 // people valid at AsOf after the load
}

// indexBudget is how many index entries a load sorts in memory (40 bytes
// each) before writing them as a run table.
var indexBudget = 8 << 20

// testHookBeforeIngest runs between writing a load's tables and ingesting
// them (the fault test kills the process there).
var testHookBeforeIngest func()

var snapshotName = regexp.MustCompile(`snapshot-(\d{4}-\d{2}-\d{2})`)

var hashSeed0, hashSeed1 = maphash.MakeSeed(), maphash.MakeSeed()

// recordHash is a 128-bit hash of an encoded record, to tell a changed
// record from an unchanged one without keeping records in memory.
func recordHash(b []byte) [2]uint64 {
	return [2]uint64{maphash.Bytes(hashSeed0, b), maphash.Bytes(hashSeed1, b)}
}

// Load reads the files and adds them to the store, all of them or nothing.
// Histories load first, then snapshots by day. progress, if not nil, is
// called now and then with the number of rows read so far.
func (s *Store) Load(ctx context.Context, in []LoadInput, progress func(rows int64)) ([]LoadResult, error) {
	out, err := s.LoadWith(ctx, in, LoadOptions{Progress: progress})
	return out.Results, err
}

// LoadOptions tune LoadWith.
type LoadOptions struct {
	Progress func(rows int64) // rows read so far, now and then
	// Fresh, when set, is given every version the load streams into fresh
	// tables (the new people of its last file, or a history whose rows come
	// in person order), in key order, on the loading goroutine.
	Fresh FreshSink
}

// FreshSink receives the versions a load streams.
type FreshSink interface {
	// Version is one version; rec is its encoded record (DecodeRecordView),
	// valid only during the call.
	Version(pid uint64, from, to register.Date, rec []byte) error
	// Reset forgets every version given so far: the load streams again
	// from the start (a history found out of order is sorted instead).
	Reset() error
}

// LoadOutcome is what LoadWith did.
type LoadOutcome struct {
	Results []LoadResult // per input, in the order given
	// AllFresh: the store was empty and every version it now holds went
	// through LoadOptions.Fresh (nothing was sorted in memory or closed).
	AllFresh bool
}

// LoadWith is Load with options.
func (s *Store) LoadWith(ctx context.Context, in []LoadInput, opt LoadOptions) (LoadOutcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(in) == 0 {
		return LoadOutcome{}, nil
	}
	if s.readOnly {
		return LoadOutcome{}, errors.New("load: the store is open read-only")
	}
	results, l, err := s.load(ctx, in, opt)
	if err != nil {
		return LoadOutcome{}, err
	}
	return LoadOutcome{Results: results, AllFresh: l.wasEmpty && l.versions.len() == 0}, nil
}

func (s *Store) load(ctx context.Context, in []LoadInput, opt LoadOptions) ([]LoadResult, *loader, error) {
	progress := opt.Progress
	st, err := s.readState()
	if err != nil {
		return nil, nil, fmt.Errorf("load: %w", err)
	}
	prev, err := s.Stats()
	if err != nil {
		return nil, nil, fmt.Errorf("load: %w", err)
	}
	loaded := map[string]string{}
	for _, l := range prev.Loads {
		loaded[l.SHA256] = l.File
	}

	// Read headers to know kinds and days, then order the inputs.
	type job struct {
		in   LoadInput
		kind string
		pos  int
	}
	jobs := make([]job, len(in))
	var size int64
	for i, x := range in {
		if fi, err := os.Stat(x.Path); err == nil {
			size += fi.Size()
		}
		kind, err := s.peekKind(x.Path)
		if err != nil {
			return nil, nil, err
		}
		if kind == KindSnapshot && x.AsOf == 0 {
			m := snapshotName.FindStringSubmatch(filepath.Base(x.Path))
			if m == nil {
				return nil, nil, fmt.Errorf("%w: %s: as-of day unknown: name the file snapshot-YYYY-MM-DD.csv or give --as-of", ErrRefused, x.Path)
			}
			d, err := register.ParseDate(m[1])
			if err != nil {
				return nil, nil, fmt.Errorf("%w: %s: as-of day in the file name: %v", ErrRefused, x.Path, err)
			}
			x.AsOf = d
		}
		jobs[i] = job{x, kind, i}
	}
	sort.SliceStable(jobs, func(a, b int) bool {
		ka, kb := jobs[a].kind == KindSnapshot, jobs[b].kind == KindSnapshot
		if ka != kb {
			return !ka
		}
		return ka && jobs[a].in.AsOf < jobs[b].in.AsOf
	})

	dir, err := os.MkdirTemp(filepath.Join(s.path, "tmp"), "load-")
	if err != nil {
		return nil, nil, fmt.Errorf("load: %w", err)
	}
	defer os.RemoveAll(dir)
	l := &loader{s: s, st: st, ctx: ctx, progress: progress, dir: dir, sink: opt.Fresh, wasEmpty: st.Versions == 0,
		versions: newSorter(), index: newKeySorter(),
		tableOpts: sstable.WriterOptions{TableFormat: s.db.FormatMajorVersion().MaxTableFormat(), Parallelism: true, BlockSize: tableBlockSize}}
	defer func() { l.fresh.close() }()
	// Room for the index entries of every row (rows are rarely under 100
	// bytes), so the largest slice of a load is not copied as it grows;
	// pages not used are never touched.
	l.index.spill = &spillTo{dir: dir, opts: l.tableOpts, budget: indexBudget}
	l.index.ents = make([]inlineKey, 0, min(size/100*int64(len(s.keyFields)), int64(indexBudget)))
	if st.Versions > 0 && jobs[len(jobs)-1].kind == KindSnapshot {
		if err := l.readPeople(ctx); err != nil {
			return nil, nil, fmt.Errorf("load: read the store: %w", err)
		}
	}
	results := make([]LoadResult, len(in))
	stats := make([]LoadStat, 0, len(in))
	for i, j := range jobs {
		l.last = i == len(jobs)-1
		l.input = uint32(i + 1)
		var res LoadResult
		var err error
		switch j.kind {
		case KindHistory:
			if l.st.Versions > 0 {
				return nil, nil, fmt.Errorf("%w: %s: a history file loads only into an empty store (this one holds %d versions up to %s)", ErrRefused, j.in.Path, l.st.Versions, l.st.Last)
			}
			res, err = l.loadHistory(j.in)
		default:
			if l.st.Last != register.NoDate && j.in.AsOf <= l.st.Last {
				return nil, nil, fmt.Errorf("%w: %s: snapshot as of %s is not after the store's last known day %s: load snapshots in date order, older first", ErrRefused, j.in.Path, j.in.AsOf, l.st.Last)
			}
			res, err = l.loadSnapshot(j.in)
		}
		if err != nil {
			return nil, nil, err
		}
		if other, dup := loaded[res.SHA256]; dup {
			return nil, nil, fmt.Errorf("%w: %s: the same bytes were already loaded as %s", ErrRefused, j.in.Path, other)
		}
		loaded[res.SHA256] = res.File
		results[j.pos] = res
		stats = append(stats, LoadStat{
			File: res.File, SHA256: res.SHA256, Kind: res.Kind, AsOf: res.AsOf, Rows: res.Rows,
			PeopleValid: res.PeopleValid, New: res.New, Returned: res.Returned, Changed: res.Changed,
			Removed: res.Removed, Unchanged: res.Unchanged, InvalidCURP: res.InvalidCURP,
			InvalidClave: res.InvalidClave, Loaded: time.Now().UTC().Format(time.RFC3339),
		})
	}
	if err := l.commit(stats); err != nil {
		return nil, nil, fmt.Errorf("load: %w", err)
	}
	return results, l, nil
}

// peekKind reads a file's header.
func (s *Store) peekKind(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("load: %w", err)
	}
	defer f.Close()
	rd, err := newReader(bufio.NewReaderSize(f, 64<<10), filepath.Base(path), s.schema)
	if err != nil {
		return "", err
	}
	return rd.kind, nil
}

// person is what a load keeps in memory of one person: the latest version.
type person struct {
	pid      uint64
	from, to register.Date // latest version; to is NoDate while present
	hash     [2]uint64
	seen     uint32 // the input (1-based) that matched this person
}

// keyTable maps the values of one person_key field to people (indexes into
// loader.people), as an open-addressing multimap over a byte arena. A slot
// holds the upper 32 bits of the value's hash and its entry, so most
// non-matching slots are skipped without reading the arena.
type keyTable struct {
	seed  maphash.Seed
	data  []byte
	ref   []keyRef // one per entry
	slots []uint64 // hash>>32 << 32 | entry index + 1; 0 is empty
	n     int
}

type keyRef struct {
	off, len uint32
	person   uint32
}

func newKeyTable() *keyTable {
	return &keyTable{seed: maphash.MakeSeed(), slots: make([]uint64, 1024)}
}

// each calls fn for the people holding value, until fn returns false.
func (t *keyTable) each(value string, fn func(person uint32) bool) {
	h := maphash.String(t.seed, value)
	tag := h >> 32
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return
		}
		if s>>32 != tag {
			continue
		}
		r := t.ref[uint32(s)-1]
		if int(r.len) == len(value) && string(t.data[r.off:r.off+r.len]) == value {
			if !fn(r.person) {
				return
			}
		}
	}
}

// add records that person holds value (once).
func (t *keyTable) add(value string, person uint32) {
	if value == "" {
		return
	}
	dup := false
	t.each(value, func(p uint32) bool { dup = p == person; return !dup })
	if dup {
		return
	}
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	t.ref = append(t.ref, keyRef{uint32(len(t.data)), uint32(len(value)), person})
	t.data = append(t.data, value...)
	t.n++
	t.place(uint32(len(t.ref)))
}

func (t *keyTable) place(e uint32) {
	mask := uint64(len(t.slots) - 1)
	r := t.ref[e-1]
	h := maphash.String(t.seed, string(t.data[r.off:r.off+r.len]))
	i := h & mask
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = h>>32<<32 | uint64(e)
}

func (t *keyTable) grow() {
	t.slots = make([]uint64, 2*len(t.slots))
	for e := range t.ref {
		t.place(uint32(e + 1))
	}
}

// loader is one Load call in progress.
type loader struct {
	s        *Store
	st       state
	ctx      context.Context
	progress func(int64)
	rows     int64 // read so far, all inputs

	people []person
	keys   []*keyTable // parallel to s.keyFields
	input  uint32      // current input, 1-based
	last   bool        // current input is the last one: no need to keep its people

	versions *kvSorter
	index    *keySorter
	// fresh streams the records of new people of the last input straight
	// into tables: their person ids are above every other version key of
	// the load, so the tables do not overlap the sorted ones.
	fresh      *sstWriter
	sink       FreshSink // told of every fresh version, when set
	wasEmpty   bool      // the store held no version before this load
	dir        string    // temporary tables of this load
	tableOpts  sstable.WriterOptions
	kbuf, vbuf []byte
}

func (l *loader) ensureKeys() {
	if l.keys == nil {
		l.keys = make([]*keyTable, len(l.s.keyFields))
		for i := range l.keys {
			l.keys[i] = newKeyTable()
		}
	}
}

// readPeople loads every person's latest version from the store.
func (l *loader) readPeople(ctx context.Context) error {
	l.ensureKeys()
	var (
		cur  person
		raw  []byte
		have bool
	)
	finish := func() error {
		cur.hash = recordHash(raw)
		idx := uint32(len(l.people))
		for i, f := range l.s.keyFields {
			v, err := decodeField(raw, f)
			if err != nil {
				return err
			}
			l.keys[i].add(string(v), idx)
		}
		l.people = append(l.people, cur)
		return nil
	}
	it, err := l.s.db.NewIter(nil)
	if err != nil {
		return err
	}
	defer it.Close()
	n := 0
	for it.SeekGE(versionsLower); it.Valid(); it.Next() {
		if n++; n&4095 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		pid, from, tag, ok := parseVersionKey(it.Key())
		if !ok {
			break
		}
		val := it.Value()
		if len(val) < 4 {
			return fmt.Errorf("%w: key %x", errCorrupt, it.Key())
		}
		switch tag {
		case tagRecord:
			if have && pid != cur.pid {
				if err := finish(); err != nil {
					return err
				}
			}
			cur = person{pid: pid, from: from, to: getDate(val)}
			raw = append(raw[:0], val[4:]...)
			have = true
		case tagClosure:
			if have && pid == cur.pid && from == cur.from {
				cur.to = getDate(val)
			}
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	if have {
		return finish()
	}
	return nil
}

// batch is a run of parsed rows handed from the reading goroutine to the
// matching one.
type batch struct {
	enc   []byte
	ends  []int
	hash  [][2]uint64
	keys  []string // len(keyFields) per row
	lines []int
	pid   []uint64
	from  []register.Date
	to    []register.Date
	n     int
}

func (b *batch) reset() {
	b.enc, b.ends, b.hash, b.keys, b.lines = b.enc[:0], b.ends[:0], b.hash[:0], b.keys[:0], b.lines[:0]
	b.pid, b.from, b.to, b.n = b.pid[:0], b.from[:0], b.to[:0], 0
}

func (b *batch) record(i int) []byte {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.enc[start:b.ends[i]]
}

const batchRows = 2048

// readFile reads, validates and encodes path in a goroutine, sending
// batches on the returned channel; the final error (nil at EOF) and the
// file's digest and counts come from wait.
type fileReader struct {
	batches chan *batch
	free    chan *batch
	done    chan struct{}
	err     error
	kind    string
	sha     string
	invCURP int64
	invClav int64
	cancel  chan struct{}
}

func (l *loader) readFile(path string) *fileReader {
	fr := &fileReader{batches: make(chan *batch, 4), free: make(chan *batch, 8), done: make(chan struct{}), cancel: make(chan struct{})}
	for i := 0; i < 6; i++ {
		fr.free <- &batch{}
	}
	go func() {
		defer close(fr.done)
		defer close(fr.batches)
		fr.err = l.readInto(path, fr)
	}()
	return fr
}

func (fr *fileReader) stop() {
	close(fr.cancel)
	for range fr.batches {
	}
	<-fr.done
}

func (l *loader) readInto(path string, fr *fileReader) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	rd, err := newReader(bufio.NewReaderSize(io.TeeReader(f, h), 256<<10), filepath.Base(path), l.s.schema)
	if err != nil {
		return err
	}
	fr.kind = rd.kind
	sch := l.s.schema
	var curpF, clavF []int
	for i, fl := range sch.Fields {
		switch fl.Kind {
		case register.KindCURP:
			curpF = append(curpF, i)
		case register.KindClave:
			clavF = append(clavF, i)
		}
	}
	var b *batch
	send := func() bool {
		select {
		case fr.batches <- b:
			b = nil
			return true
		case <-fr.cancel:
			return false
		}
	}
	for {
		r, err := rd.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if b == nil {
			select {
			case b = <-fr.free:
				b.reset()
			case <-fr.cancel:
				return nil
			}
		}
		for _, i := range curpF {
			if ident.ValidateCURP(r.Rec[i]) != nil {
				fr.invCURP++
			}
		}
		for _, i := range clavF {
			if ident.ValidateClave(r.Rec[i]) != nil {
				fr.invClav++
			}
		}
		start := len(b.enc)
		b.enc = encodeRecord(b.enc, r.Rec)
		b.ends = append(b.ends, len(b.enc))
		b.hash = append(b.hash, recordHash(b.enc[start:]))
		for _, f := range l.s.keyFields {
			b.keys = append(b.keys, r.Rec[f])
		}
		b.lines = append(b.lines, r.Line)
		b.pid = append(b.pid, r.PersonID)
		b.from = append(b.from, r.From)
		b.to = append(b.to, r.To)
		b.n++
		if b.n == batchRows && !send() {
			return nil
		}
	}
	if b != nil && b.n > 0 && !send() {
		return nil
	}
	fr.sha = hex.EncodeToString(h.Sum(nil))
	return nil
}

// each runs fn on every batch of the file; it returns the reader's error
// first, then fn's.
func (l *loader) each(path string, fn func(b *batch) error) (*fileReader, error) {
	fr := l.readFile(path)
	var ferr error
	for b := range fr.batches {
		if ferr == nil {
			if err := l.ctx.Err(); err != nil {
				ferr = err
			} else {
				ferr = fn(b)
			}
			l.rows += int64(b.n)
			if l.progress != nil {
				l.progress(l.rows)
			}
			if ferr != nil {
				fr.stop()
				break
			}
		}
		fr.free <- b
	}
	<-fr.done
	if fr.err != nil {
		return fr, fr.err
	}
	return fr, ferr
}

func (l *loader) putVersion(pid uint64, from, to register.Date, rec []byte) {
	l.kbuf = versionKey(l.kbuf[:0], pid, from, tagRecord)
	l.vbuf = putDate(l.vbuf[:0], to)
	l.vbuf = append(l.vbuf, rec...)
	l.versions.add(l.kbuf, l.vbuf)
}

// putFresh streams a version into the fresh tables; keys must ascend.
func (l *loader) putFresh(pid uint64, from, to register.Date, rec []byte) error {
	if l.fresh == nil {
		l.fresh = &sstWriter{dir: l.dir, name: "fresh", opts: l.tableOpts, maxSize: 128 << 20}
	}
	if l.sink != nil {
		if err := l.sink.Version(pid, from, to, rec); err != nil {
			return err
		}
	}
	l.kbuf = versionKey(l.kbuf[:0], pid, from, tagRecord)
	l.vbuf = putDate(l.vbuf[:0], to)
	l.vbuf = append(l.vbuf, rec...)
	return l.fresh.set(l.kbuf, l.vbuf)
}

func (l *loader) putClosure(pid uint64, from, to register.Date) {
	l.kbuf = versionKey(l.kbuf[:0], pid, from, tagClosure)
	l.vbuf = putDate(l.vbuf[:0], to)
	l.versions.add(l.kbuf, l.vbuf)
}

func (l *loader) putIndex(keys []string, pid uint64) error {
	for i, f := range l.s.keyFields {
		if keys[i] != "" {
			l.kbuf = indexKey(l.kbuf[:0], f, keys[i], pid)
			if err := l.index.add(l.kbuf); err != nil {
				return fmt.Errorf("write index run: %w", err)
			}
		}
	}
	return nil
}

func (l *loader) addPerson(p person, keys []string) {
	l.ensureKeys()
	idx := uint32(len(l.people))
	l.people = append(l.people, p)
	for i := range l.keys {
		l.keys[i].add(keys[i], idx)
	}
}

// match finds the person a snapshot row is: by each key in order, first
// among people present, then among people removed; -1 if none.
func (l *loader) match(keys []string) int {
	if len(l.people) == 0 {
		return -1
	}
	for _, present := range []bool{true, false} {
		for i, v := range keys {
			if v == "" {
				continue
			}
			found := -1
			l.keys[i].each(v, func(pi uint32) bool {
				p := &l.people[pi]
				if p.seen != l.input && (p.to == register.NoDate) == present {
					found = int(pi)
					return false
				}
				return true
			})
			if found >= 0 {
				return found
			}
		}
	}
	return -1
}

func (l *loader) loadSnapshot(in LoadInput) (LoadResult, error) {
	t := in.AsOf
	res := LoadResult{File: filepath.Base(in.Path), Kind: KindSnapshot, AsOf: t}
	nk := len(l.s.keyFields)
	fr, err := l.each(in.Path, func(b *batch) error {
		for i := 0; i < b.n; i++ {
			rec, h, keys := b.record(i), b.hash[i], b.keys[i*nk:(i+1)*nk]
			pi := l.match(keys)
			if pi < 0 {
				pid := l.st.NextID
				l.st.NextID++
				res.New++
				if l.last {
					if err := l.putFresh(pid, t, register.NoDate, rec); err != nil {
						return err
					}
				} else {
					l.putVersion(pid, t, register.NoDate, rec)
				}
				if err := l.putIndex(keys, pid); err != nil {
					return err
				}
				if !l.last {
					l.addPerson(person{pid: pid, from: t, to: register.NoDate, hash: h, seen: l.input}, keys)
				}
				continue
			}
			p := &l.people[pi]
			p.seen = l.input
			switch {
			case p.to != register.NoDate:
				res.Returned++
			case p.hash == h:
				res.Unchanged++
				continue
			default:
				res.Changed++
				l.putClosure(p.pid, p.from, t)
			}
			p.from, p.to, p.hash = t, register.NoDate, h
			l.putVersion(p.pid, t, register.NoDate, rec)
			if err := l.putIndex(keys, p.pid); err != nil {
				return err
			}
			for k := range l.keys {
				l.keys[k].add(keys[k], uint32(pi))
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	for i := range l.people {
		p := &l.people[i]
		if p.to == register.NoDate && p.seen != l.input {
			l.putClosure(p.pid, p.from, t)
			p.to = t
			res.Removed++
		}
	}
	res.SHA256, res.InvalidCURP, res.InvalidClave = fr.sha, fr.invCURP, fr.invClav
	res.Rows = res.New + res.Returned + res.Changed + res.Unchanged
	res.PeopleValid = res.Rows
	l.st.People += res.New
	l.st.Versions += res.New + res.Returned + res.Changed
	if l.st.First == register.NoDate {
		l.st.First = t
	}
	l.st.Last = t
	return res, nil
}

// span is one history version, for the overlap check.
type span struct {
	pid      uint64 // store id
	ext      uint64
	from, to register.Date
	line     int
}

// errUnsorted stops a streamed history load whose rows are not in person,
// valid_from order; it is then loaded again through the in-memory sort.
var errUnsorted = errors.New("history rows not in order")

// loadHistory loads a history file. When it is the load's last file its
// versions stream straight into tables while rows come in person order (as
// synth writes them: grouped by person, ascending valid_from); rows out of
// that order make it start again with every version sorted in memory.
func (l *loader) loadHistory(in LoadInput) (LoadResult, error) {
	if !l.last {
		return l.loadHistoryOnce(in, false)
	}
	base, mark, longMark, rows := l.st.NextID, len(l.index.ents), len(l.index.long.ents), l.rows
	res, err := l.loadHistoryOnce(in, true)
	if !errors.Is(err, errUnsorted) {
		return res, err
	}
	// A history is the first file of a load (histories sort first and only
	// go into an empty store), so the index holds only its entries.
	if mark != 0 || longMark != 0 {
		return res, fmt.Errorf("load: internal error: history after other files")
	}
	l.st.NextID, l.rows = base, rows
	l.index.reset()
	if err := l.fresh.close(); err != nil {
		return res, err
	}
	removeAll(l.fresh.paths)
	l.fresh = nil
	if l.sink != nil {
		if err := l.sink.Reset(); err != nil {
			return res, err
		}
	}
	return l.loadHistoryOnce(in, false)
}

func (l *loader) loadHistoryOnce(in LoadInput, stream bool) (LoadResult, error) {
	res := LoadResult{File: filepath.Base(in.Path), Kind: KindHistory}
	var lastKey []byte
	nk := len(l.s.keyFields)
	ids := map[uint64]uint64{}
	base := l.st.NextID
	var spans []span
	maxDay, minDay := register.Date(-1<<31), register.NoDate
	if !l.last {
		l.ensureKeys()
	}
	fr, err := l.each(in.Path, func(b *batch) error {
		for i := 0; i < b.n; i++ {
			rec, keys := b.record(i), b.keys[i*nk:(i+1)*nk]
			pid, ok := ids[b.pid[i]]
			if !ok {
				pid = l.st.NextID
				l.st.NextID++
				ids[b.pid[i]] = pid
			}
			from, to := b.from[i], b.to[i]
			spans = append(spans, span{pid, b.pid[i], from, to, b.lines[i]})
			maxDay, minDay = max(maxDay, from), min(minDay, from)
			if to != register.NoDate {
				maxDay = max(maxDay, to)
			}
			if stream {
				k := versionKey(l.kbuf[:0], pid, from, tagRecord)
				if lastKey != nil && bytes.Compare(k, lastKey) <= 0 {
					return errUnsorted
				}
				lastKey = append(lastKey[:0], k...)
				if err := l.putFresh(pid, from, to, rec); err != nil {
					return err
				}
			} else {
				l.putVersion(pid, from, to, rec)
			}
			if err := l.putIndex(keys, pid); err != nil {
				return err
			}
			if !l.last {
				pi := int(pid - base)
				for len(l.people) <= pi {
					l.people = append(l.people, person{from: register.Date(-1 << 31)})
				}
				if p := &l.people[pi]; from > p.from {
					*p = person{pid: pid, from: from, to: to, hash: b.hash[i]}
				}
				for k := range l.keys {
					l.keys[k].add(keys[k], uint32(pi))
				}
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.pid != b.pid {
			if a.pid < b.pid {
				return -1
			}
			return 1
		}
		return int(a.from) - int(b.from)
	})
	asOf := in.AsOf
	if asOf == 0 {
		asOf = maxDay
	}
	for i, sp := range spans {
		if i > 0 && spans[i-1].pid == sp.pid && spans[i-1].to > sp.from {
			return res, &ParseError{File: res.File, Line: sp.line, Column: 1,
				Err: fmt.Errorf("person_id %d: version from %s overlaps the one from %s on line %d", sp.ext, sp.from, spans[i-1].from, spans[i-1].line)}
		}
		if sp.from > asOf || (sp.to != register.NoDate && sp.to > asOf) {
			return res, fmt.Errorf("%w: %s:%d: a date after the history's as-of day %s", ErrRefused, res.File, sp.line, asOf)
		}
		if sp.from <= asOf && asOf < sp.to {
			res.PeopleValid++
		}
		if (i+1 == len(spans) || spans[i+1].pid != sp.pid) && sp.to != register.NoDate {
			res.Removed++
		}
	}
	res.AsOf = asOf
	res.SHA256, res.InvalidCURP, res.InvalidClave = fr.sha, fr.invCURP, fr.invClav
	res.Rows = int64(len(spans))
	res.New = int64(len(ids))
	l.st.People += res.New
	l.st.Versions += res.Rows
	if len(spans) > 0 {
		l.st.First = min(l.st.First, minDay)
	}
	if l.st.Last == register.NoDate || asOf > l.st.Last {
		l.st.Last = asOf
	}
	return res, nil
}

// commit writes the sorted tables and ingests them in one step.
func (l *loader) commit(stats []LoadStat) error {
	meta := newSorter()
	for _, ls := range stats {
		l.st.Loads++
		b, err := json.Marshal(ls)
		if err != nil {
			return err
		}
		key := binary.BigEndian.AppendUint64(slices.Clone(metaLoad), l.st.Loads)
		meta.add(key, b)
	}
	sb, err := json.Marshal(l.st)
	if err != nil {
		return err
	}
	meta.add(metaState, sb)

	dir, opts := l.dir, l.tableOpts
	var freshPaths []string
	if l.fresh != nil {
		if err := l.fresh.close(); err != nil {
			return fmt.Errorf("write tables: %w", err)
		}
		freshPaths = l.fresh.paths
	}
	type table struct {
		name string
		s    sortedKVs
	}
	tables := []table{{"meta", meta}, {"versions", l.versions}}
	if a, b, ok := l.index.halves(); ok {
		// a fresh load's index is written alone: two writers side by side
		tables = append(tables, table{"index-a", a}, table{"index-b", b})
	} else {
		tables = append(tables, table{"index", l.index})
	}
	var wg sync.WaitGroup
	paths := make([][]string, len(tables))
	errs := make([]error, len(tables))
	for i, x := range tables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			paths[i], errs[i] = writeSorted(dir, x.name, x.s, opts)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("write tables: %w", err)
	}
	all := append(slices.Concat(paths...), freshPaths...)
	if testHookBeforeIngest != nil {
		testHookBeforeIngest()
	}
	if err := l.s.db.Ingest(all); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	return nil
}
