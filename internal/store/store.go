// Package store is huella's temporal store: every version of every person
// of a register with the days it was valid, so that "the register as of day
// T" is a query. It is embedded, pure Go and crash-safe, on Pebble (an LSM
// key-value store).
//
// # What a load does
//
// A snapshot file is the register as of one day T (header = the schema's
// column names). It has no person ids, so it is diffed against what the
// store holds as of its last known day: each row is matched to a person by
// CURP, then by clave de elector (then by any other person_key field), first
// among people present at that day, then among people removed earlier (who
// come back, e.g. a re-incorporation). A matched row whose values differ
// closes the person's version at T and opens a new one from T; a row that
// matches no one is a new person with a new person id; people present
// before and absent from the snapshot have their version closed at T.
// Snapshots must be loaded in date order: one whose day is not after the
// store's last known day is refused (within one Load call the files are
// sorted by day first).
//
// A history file (recognised by its valid_from column) has the columns
// person_id, valid_from, valid_to (empty: still valid) and the schema's, as
// written by "huella synth"; its versions are stored as they are, with its
// person ids mapped to new store ids in order of first appearance. A history
// loads only into an empty store; its as-of day is the latest date in it
// (or LoadInput.AsOf).
//
// Every row is validated first (see ParseError); invalid CURPs and claves de
// elector are counted, never dropped or fixed. One Load call commits all its
// files at once or nothing: the new keys are sorted in memory (the records
// of the last file's new people, whose ids are above every other key of the
// load, and a history's versions when its rows come in person order, stream
// straight into tables as they are read), written as sorted
// tables (SSTs) in DIR/tmp and handed to Pebble's Ingest, which adds them in
// one atomic manifest edit. A crash before that edit leaves the store as it
// was (leftover tables in DIR/tmp are removed at the next Open). Nothing is
// written through Pebble's WAL or memtables, so a load costs one write of
// its tables.
//
// # Layout
//
//	DIR/db/    the Pebble database
//	DIR/tmp/   tables being written by a load in progress
//	DIR/digest the comparison digest (package analysis, fed by LoadWith's FreshSink); not the store's to read
//
// Keys (big-endian integers; dates as int32 with the sign bit flipped, so
// byte order is date order):
//
//	'v' pid:8 valid_from:4 0x00  → valid_to:4 record       a version
//	'v' pid:8 valid_from:4 0x01  → valid_to:4              its closure, when closed later
//	'i' field:1 value 0x00 pid:8 → (empty)                 index of person_key fields
//	"mformat"                    → "huella store v1"
//	"mschema"                    → the schema, JSON
//	"mstate"                     → counts, next person id, first and last day, JSON
//	"mload/" seq:8               → one LoadStat per loaded file, JSON
//
// A record is, for each field in schema order, its byte length as a uvarint
// and its bytes: the version of "HEGG560427MVZRRL04" with twenty fields
// takes about 200 bytes before Pebble's block compression. A version's
// valid_to is the closure's if there is one, else the record's (NoDate for
// a version still valid). The index keeps every value a person ever had, so
// ByCURP finds everyone who ever held a CURP.
//
// Example:
//
//	st, err := store.Open(ws.StorePath(), ws.Schema())
//	res, err := st.Load(ctx, []store.LoadInput{{Path: "snapshot-2024-01-31.csv"}}, nil)
//	err = st.AsOf(ctx, register.MustDate("2024-01-31"), func(v *register.Version) error {
//		... // v is reused by the next call: copy what you keep
//	})
package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble"

	"github.com/huella/huella/internal/register"
)

// Format is the value of the "mformat" key.
const Format = "huella store v1"

// Store is an open temporal store. Its methods are safe for concurrent use;
// loads are serialised.
type Store struct {
	path   string
	db     *pebble.DB
	schema *register.Schema
	// keyFields are the person_key fields in matching order: CURP fields,
	// then claves de elector, then the others.
	keyFields  []int
	curpField  int // -1 if the schema has none
	claveField int
	mu         sync.Mutex // held by Load
	readOnly   bool
}

// state is the "mstate" value.
type state struct {
	People   int64         `json:"people"`
	Versions int64         `json:"versions"`
	NextID   uint64        `json:"next_id"`
	First    register.Date `json:"first"`
	Last     register.Date `json:"last"`
	Loads    uint64        `json:"loads"`
}

func emptyState() state { return state{NextID: 1, First: register.NoDate, Last: register.NoDate} }

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)         {}
func (quietLogger) Fatalf(f string, args ...any) { panic(fmt.Sprintf("pebble: "+f, args...)) }

// tableBlockSize is the data block size of the store's tables, those a
// load writes and those compactions write: a scan of the whole store pays
// per block (read, decompress, cache), a point lookup reads one block.
// 32 KiB scans ≈15% cheaper in CPU than Pebble's default 4 KiB
// (BenchmarkVersions, HUELLA_BENCH_BLOCK=4096 against 32768).
var tableBlockSize = 32 << 10

// DefaultCacheBytes is the size of Pebble's block cache unless
// Options.CacheBytes says otherwise.
const DefaultCacheBytes = 128 << 20

// StreamCacheBytes is a block cache for a process that reads each block of
// the store about once — a release streams it, an analysis scans it or
// looks up people spread over it — so that a larger cache only holds
// memory: the 128 MiB cache made a release's peak RSS grow from 290 MiB
// at 1M people to 471 MiB at 10M, against 185 and 195 MiB with this one,
// at the same speed (docs/perf-release.md), and cost a 10M-row analysis
// ≈290 MiB of RSS (docs/perf-analysis.md).
const StreamCacheBytes = 16 << 20

// Options tune an open store.
type Options struct {
	CacheBytes int64 // Pebble's block cache; 0: DefaultCacheBytes
	// ReadOnly opens the store for reading only (an analysis, a release):
	// no write-ahead log is made at open and synced at close, no
	// compaction runs, DIR/tmp is left as it is; a write fails.
	ReadOnly bool
}

// pebbleOptions are the store's Pebble options; the caller unrefs the
// cache after Open (the DB holds its own reference).
func pebbleOptions(cacheBytes int64) *pebble.Options {
	if cacheBytes <= 0 {
		cacheBytes = DefaultCacheBytes
	}
	return &pebble.Options{
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             quietLogger{},
		Cache:              pebble.NewCache(cacheBytes),
		Levels:             []pebble.LevelOptions{{BlockSize: tableBlockSize}},
	}
}

// Create makes an empty store at path (a directory that must not hold one).
func Create(path string, schema *register.Schema) error {
	if schema == nil {
		return errors.New("create store: no schema")
	}
	if err := os.MkdirAll(filepath.Join(path, "tmp"), 0o700); err != nil {
		return fmt.Errorf("create store: %w", err)
	}
	opts := pebbleOptions(0)
	opts.ErrorIfExists = true
	db, err := pebble.Open(filepath.Join(path, "db"), opts)
	opts.Cache.Unref()
	if err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	sb, err := json.Marshal(schema)
	if err != nil {
		db.Close()
		return fmt.Errorf("create store: %w", err)
	}
	stb, _ := json.Marshal(emptyState())
	b := db.NewBatch()
	b.Set(metaFormat, []byte(Format), nil)
	b.Set(metaSchema, sb, nil)
	b.Set(metaState, stb, nil)
	if err := b.Commit(pebble.Sync); err != nil {
		db.Close()
		return fmt.Errorf("create store %s: %w", path, err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	return nil
}

// Open opens the store at path. The schema must be the one the store was
// created with (same field names and kinds, in order); nil means "the
// stored one". Tables left in DIR/tmp by an interrupted load are removed.
func Open(path string, schema *register.Schema) (*Store, error) {
	return OpenWith(path, schema, Options{})
}

// OpenWith is Open with options.
func OpenWith(path string, schema *register.Schema, o Options) (*Store, error) {
	if _, err := os.Stat(filepath.Join(path, "db")); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if !o.ReadOnly {
		tmp := filepath.Join(path, "tmp")
		if err := os.RemoveAll(tmp); err != nil {
			return nil, fmt.Errorf("open store: clean %s: %w", tmp, err)
		}
		if err := os.MkdirAll(tmp, 0o700); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	opts := pebbleOptions(o.CacheBytes)
	opts.ErrorIfNotExists = true
	opts.ReadOnly = o.ReadOnly
	db, err := pebble.Open(filepath.Join(path, "db"), opts)
	opts.Cache.Unref()
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{path: path, db: db, readOnly: o.ReadOnly}
	if err := s.checkMeta(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) checkMeta(schema *register.Schema) error {
	f, err := s.get(metaFormat)
	if err != nil {
		return err
	}
	if string(f) != Format {
		return fmt.Errorf("format %q, expected %q", f, Format)
	}
	sb, err := s.get(metaSchema)
	if err != nil {
		return err
	}
	stored, err := register.ParseSchema(sb)
	if err != nil {
		return fmt.Errorf("stored schema: %w", err)
	}
	if schema == nil {
		schema = stored
	} else {
		same := len(schema.Fields) == len(stored.Fields)
		for i := 0; same && i < len(schema.Fields); i++ {
			same = schema.Fields[i].Name == stored.Fields[i].Name && schema.Fields[i].Kind == stored.Fields[i].Kind
		}
		if !same {
			return fmt.Errorf("schema %q does not match the store's schema %q (fields %v)", schema.Name, stored.Name, stored.Names())
		}
	}
	if len(schema.Fields) > 255 {
		return fmt.Errorf("schema %q: %d fields, at most 255", schema.Name, len(schema.Fields))
	}
	s.schema = schema
	s.curpField, s.claveField = -1, -1
	var other []int
	for i, fl := range schema.Fields {
		switch {
		case fl.Kind == register.KindCURP:
			if s.curpField < 0 {
				s.curpField = i
			}
			s.keyFields = append(s.keyFields, i)
		case fl.Kind == register.KindClave:
			if s.claveField < 0 {
				s.claveField = i
			}
		case fl.Role == register.RolePersonKey:
			other = append(other, i)
		}
	}
	for i, fl := range schema.Fields {
		if fl.Kind == register.KindClave {
			s.keyFields = append(s.keyFields, i)
		}
	}
	s.keyFields = append(s.keyFields, other...)
	return nil
}

// Close closes the store.
func (s *Store) Close() error {
	if s.db == nil {
		return nil
	}
	db := s.db
	s.db = nil
	if err := db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Schema is the store's schema.
func (s *Store) Schema() *register.Schema { return s.schema }

func (s *Store) get(key []byte) ([]byte, error) {
	v, closer, err := s.db.Get(key)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", key, err)
	}
	out := slices.Clone(v)
	closer.Close()
	return out, nil
}

func (s *Store) readState() (state, error) {
	b, err := s.get(metaState)
	if err != nil {
		return state{}, err
	}
	st := emptyState()
	if err := json.Unmarshal(b, &st); err != nil {
		return state{}, fmt.Errorf("read state: %w", err)
	}
	return st, nil
}

// LoadStat records one loaded file.
type LoadStat struct {
	File         string        `json:"file"`   // base name
	SHA256       string        `json:"sha256"` // of the file's bytes
	Kind         string        `json:"kind"`   // KindSnapshot or KindHistory
	AsOf         register.Date `json:"as_of"`
	Rows         int64         `json:"rows"`
	PeopleValid  int64         `json:"people_valid"` // people valid at AsOf after the load
	New          int64         `json:"new"`
	Returned     int64         `json:"returned"`
	Changed      int64         `json:"changed"`
	Removed      int64         `json:"removed"`
	Unchanged    int64         `json:"unchanged"`
	InvalidCURP  int64         `json:"invalid_curp"`
	InvalidClave int64         `json:"invalid_clave"`
	Loaded       string        `json:"loaded"` // RFC 3339, UTC
}

// Stats counts what the store holds.
type Stats struct {
	People, Versions int64
	Loads            []LoadStat    // in load order
	First, Last      register.Date // span the store knows; NoDate when empty
}

// Stats reads the counts kept with every load (no scan).
func (s *Store) Stats() (Stats, error) {
	st, err := s.readState()
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	out := Stats{People: st.People, Versions: st.Versions, First: st.First, Last: st.Last}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: metaLoad, UpperBound: prefixEnd(metaLoad)})
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		var ls LoadStat
		if err := json.Unmarshal(it.Value(), &ls); err != nil {
			return Stats{}, fmt.Errorf("stats: load record: %w", err)
		}
		out.Loads = append(out.Loads, ls)
	}
	if err := it.Error(); err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	return out, nil
}

// prefixEnd is the first key after every key starting with p.
func prefixEnd(p []byte) []byte {
	e := slices.Clone(p)
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] < 0xff {
			e[i]++
			return e[:i+1]
		}
	}
	return nil
}

// scanVersions calls fn for the versions with keys in [lower, upper), in
// key order, with valid_to resolved; keep (if not nil) filters on the
// interval before the record is decoded. v is reused between calls.
func (s *Store) scanVersions(ctx context.Context, lower, upper []byte, keep func(from, to register.Date) bool, fn func(v *register.Version) error) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	defer it.Close()
	return s.scanIter(ctx, it, lower, upper, keep, fn)
}

// scanIter is scanVersions on an open iterator, from SeekGE(lower) while
// keys are below upper.
func (s *Store) scanIter(ctx context.Context, it *pebble.Iterator, lower, upper []byte, keep func(from, to register.Date) bool, fn func(v *register.Version) error) error {
	var (
		v    = register.Version{Record: make(register.Record, len(s.schema.Fields))}
		raw  []byte
		have bool
		n    int
	)
	emit := func() error {
		have = false
		if keep != nil && !keep(v.ValidFrom, v.ValidTo) {
			return nil
		}
		if err := decodeRecord(raw, v.Record); err != nil {
			return fmt.Errorf("person %d from %s: %w", v.PersonID, v.ValidFrom, err)
		}
		return fn(&v)
	}
	for it.SeekGE(lower); it.Valid() && bytes.Compare(it.Key(), upper) < 0; it.Next() {
		if n++; n&4095 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		pid, from, tag, ok := parseVersionKey(it.Key())
		val := it.Value()
		if !ok || len(val) < 4 {
			return fmt.Errorf("%w: key %x", errCorrupt, it.Key())
		}
		switch tag {
		case tagRecord:
			if have {
				if err := emit(); err != nil {
					return err
				}
			}
			v.PersonID, v.ValidFrom, v.ValidTo = pid, from, getDate(val)
			raw = append(raw[:0], val[4:]...)
			have = true
		case tagClosure:
			if !have || v.PersonID != pid || v.ValidFrom != from {
				return fmt.Errorf("%w: closure without version: person %d from %s", errCorrupt, pid, from)
			}
			v.ValidTo = getDate(val)
		default:
			return fmt.Errorf("%w: key %x", errCorrupt, it.Key())
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	if have {
		return emit()
	}
	return nil
}

var (
	versionsLower = []byte{famVersion}
	versionsUpper = []byte{famVersion + 1}
)

// AsOf streams the register as of day t: each person's version valid at t,
// in ascending PersonID. The *Version passed to fn (and its Record) is
// reused by the next call: copy what you keep. An error from fn stops the
// scan and is returned.
func (s *Store) AsOf(ctx context.Context, t register.Date, fn func(v *register.Version) error) error {
	err := s.scanVersions(ctx, versionsLower, versionsUpper, func(from, to register.Date) bool {
		return from <= t && t < to
	}, fn)
	if err != nil {
		return fmt.Errorf("register as of %s: %w", t, err)
	}
	return nil
}

// Versions streams every version, by PersonID then ValidFrom. The *Version
// is reused between calls, as in AsOf.
func (s *Store) Versions(ctx context.Context, fn func(v *register.Version) error) error {
	if err := s.scanVersions(ctx, versionsLower, versionsUpper, nil, fn); err != nil {
		return fmt.Errorf("versions: %w", err)
	}
	return nil
}

// VersionsOf streams the versions of the people with lo ≤ PersonID < hi
// (hi 0: no upper bound), as Versions does. Disjoint ranges can be scanned
// at once, on several goroutines, each with its own iterator.
func (s *Store) VersionsOf(ctx context.Context, lo, hi uint64, fn func(v *register.Version) error) error {
	lower := versionKey(nil, lo, 0, 0)[:9]
	upper := versionsUpper
	if hi != 0 {
		upper = versionKey(nil, hi, 0, 0)[:9]
	}
	if err := s.scanVersions(ctx, lower, upper, nil, fn); err != nil {
		return fmt.Errorf("versions of people %d…%d: %w", lo, hi, err)
	}
	return nil
}

// MaxPersonID is the highest PersonID the store holds (0 when empty): with
// VersionsOf it splits a scan into ranges of about equal size, person ids
// being given in sequence.
func (s *Store) MaxPersonID() (uint64, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: versionsLower, UpperBound: versionsUpper})
	if err != nil {
		return 0, err
	}
	defer it.Close()
	if !it.Last() {
		return 0, it.Error()
	}
	pid, _, _, ok := parseVersionKey(it.Key())
	if !ok {
		return 0, fmt.Errorf("%w: key %x", errCorrupt, it.Key())
	}
	return pid, nil
}

// Person is every version of one person, by ValidFrom; none if unknown.
func (s *Store) Person(id uint64) ([]register.Version, error) {
	lo := versionKey(nil, id, 0, 0)[:9]
	hi := prefixEnd(lo)
	var out []register.Version
	err := s.scanVersions(context.Background(), lo, hi, nil, func(v *register.Version) error {
		c := *v
		c.Record = slices.Clone(v.Record)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("person %d: %w", id, err)
	}
	return out, nil
}

// ByCURP is every version of every person who ever had this CURP, by
// PersonID then ValidFrom.
func (s *Store) ByCURP(curp string) ([]register.Version, error) {
	if s.curpField < 0 {
		return nil, fmt.Errorf("by curp: schema %q has no CURP field", s.schema.Name)
	}
	return s.byKey(s.curpField, curp)
}

// ByClave is every version of every person who ever had this clave de
// elector, by PersonID then ValidFrom.
func (s *Store) ByClave(clave string) ([]register.Version, error) {
	if s.claveField < 0 {
		return nil, fmt.Errorf("by clave: schema %q has no clave de elector field", s.schema.Name)
	}
	return s.byKey(s.claveField, clave)
}

func (s *Store) byKey(field int, value string) ([]register.Version, error) {
	lo := indexPrefix(nil, field, value)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var pids []uint64
	for it.SeekGE(lo); it.Valid() && bytes.HasPrefix(it.Key(), lo); it.Next() {
		if k := it.Key(); len(k) == len(lo)+8 {
			pids = append(pids, binary.BigEndian.Uint64(k[len(lo):]))
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("%s %q: %w", s.schema.Fields[field].Name, value, err)
	}
	var out []register.Version
	for _, pid := range pids {
		plo := versionKey(nil, pid, 0, 0)[:9]
		it.SetBounds(plo, prefixEnd(plo))
		err := s.scanIter(context.Background(), it, plo, prefixEnd(plo), nil, func(v *register.Version) error {
			c := *v
			c.Record = slices.Clone(v.Record)
			out = append(out, c)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s %q: person %d: %w", s.schema.Fields[field].Name, value, pid, err)
		}
	}
	return out, nil
}

// KeyProbe answers whether anyone ever held a CURP or a clave de elector,
// with one iterator over the index for every question (a look-up by
// ByCURP opens its own and reads the versions found). Not safe for
// concurrent use.
type KeyProbe struct {
	s   *Store
	it  *pebble.Iterator
	buf []byte
}

// NewKeyProbe opens a probe; Close it when done.
func (s *Store) NewKeyProbe() (*KeyProbe, error) {
	lo := []byte{famIndex}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return nil, err
	}
	return &KeyProbe{s: s, it: it}, nil
}

// Held reports whether some person ever held this CURP or this clave ("":
// not asked).
func (p *KeyProbe) Held(curp, clave string) (bool, error) {
	for _, q := range [2]struct {
		field int
		value string
	}{{p.s.curpField, curp}, {p.s.claveField, clave}} {
		if q.field < 0 || q.value == "" {
			continue
		}
		p.buf = indexPrefix(p.buf[:0], q.field, q.value)
		if p.it.SeekGE(p.buf) && bytes.HasPrefix(p.it.Key(), p.buf) && len(p.it.Key()) == len(p.buf)+8 {
			return true, nil
		}
		if err := p.it.Error(); err != nil {
			return false, fmt.Errorf("%s %q: %w", p.s.schema.Fields[q.field].Name, q.value, err)
		}
	}
	return false, nil
}

// Close closes the probe's iterator.
func (p *KeyProbe) Close() error { return p.it.Close() }
