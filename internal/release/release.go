// Package release writes one recipient's fingerprinted copy of the register
// and records it in the ledger, so that every copy that leaves the custodian
// is traceable and accounted for.
//
// # What a release does
//
//  1. It draws a release id, "rel-" followed by 16 random hex digits.
//  2. It fixes the cut instant: the requested as-of, or, with a cut window
//     of W days, as-of − d where d = fingerprint.CutOffset(key, id, W) in
//     [0, W]; the actual instant is what the ledger records.
//  3. It streams the register as of that instant (ascending person id) into
//     fingerprint.Copy: the first OrderBlock rows give the register's habit
//     of address forms (fingerprint.FormStats), then every row is marked,
//     canaries are inserted and each block is put in the copy's keyed order.
//     Memory holds one block, whatever the register's size. For csv, jsonl
//     and sql one goroutine reads, one per CPU marks and encodes batches of
//     4,096 rows, and the caller appends them in register order (the bytes
//     are those of the one-goroutine path, tested).
//  4. It writes the requested fields, in the requested order, in one of the
//     formats below, to a temporary file next to the output
//     ("." + base + ".huella-" + id + "." + tag + ".tmp", tag = TempTag),
//     holding an flock on it until step 6 is done, hashing it (SHA-256) as
//     it goes and starting the kernel's write-back every 8 MiB, and fsyncs
//     it. A register with no one valid at the cut is refused here: no entry,
//     no file.
//  5. It appends the ledger entry (id, kind "release", recipient, as-of,
//     fields, format, rows, sha256, fingerprint parameters — never the key),
//     which is durable when Append returns.
//  6. It renames the temporary file to the output and fsyncs the folder.
//
// A crash before 5 leaves no entry and no output (only a temporary file,
// which Recover removes); a crash between 5 and 6 leaves an entry whose file
// is complete under its temporary name, which Recover renames into place.
// So there is never an entry without its file nor a file without its entry.
// An append that committed the entry but could not sync the ledger's folder
// (ledger.ErrCommittedNotSynced) counts as recorded: the file is renamed
// into place and the error reported.
//
// Several workspaces may release into one folder, and several releases of
// one workspace may run at once. Recover therefore leaves alone a temporary
// file a live release still holds (its flock), and removes an unrecorded one
// only when its tag says it is this workspace's: another workspace's file
// may be recorded in that workspace's ledger, and only it can finish it.
//
// # Formats
//
//	csv    RFC 4180, UTF-8, header = field names, "\n" line ends; a value is
//	       quoted when it holds a comma, a quote, CR or LF
//	jsonl  one JSON object per line, keys = field names in order
//	sql    "CREATE TABLE" then one "INSERT INTO t (cols) VALUES (...);" per
//	       row, strings in single quotes ('' escapes ')
//	xlsx   one sheet per 1,048,575 rows (header row on each), written with
//	       excelize's stream writer
package release

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/huella/huella/internal/atomicfile"

	"github.com/huella/huella/internal/fingerprint"
	"github.com/huella/huella/internal/ledger"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/store"
)

// Source is the register a release reads: the temporal store.
type Source interface {
	AsOf(ctx context.Context, t register.Date, fn func(v *register.Version) error) error
	ByCURP(curp string) ([]register.Version, error)
	ByClave(clave string) ([]register.Version, error)
}

// Log is where releases are recorded: the ledger.
type Log interface {
	Append(e ledger.Entry) (int64, error)
}

// Options describe one release.
type Options struct {
	Recipient string
	AsOf      register.Date
	Out       string   // output file; must not exist
	Format    string   // csv (default), jsonl, sql, xlsx
	Fields    []string // in output order; empty: every field of the schema
	Params    fingerprint.Params
	CutWindow int // days; 0: cut exactly at AsOf
	// Progress, if not nil, is called every 65,536 rows with the rows written.
	Progress func(rows int64)
	// ID, if set, is the release id (tests); otherwise a random one.
	ID string
}

// Result is what a release did.
type Result struct {
	ID     string
	AsOf   register.Date // the actual cut instant
	Rows   int64         // rows written, canaries included
	SHA256 string        // of the output file
	Params fingerprint.Params
	Entry  ledger.Entry
}

// Formats lists the output formats.
var Formats = []string{"csv", "jsonl", "sql", "xlsx"}

// ErrExists is returned when the output file already exists.
var ErrExists = errors.New("output file exists")

// NewID draws a release id.
func NewID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("release id: %w", err)
	}
	return "rel-" + hex.EncodeToString(b[:]), nil
}

// ErrNoOne is returned (wrapped, with the date) for a cut at which no one
// in the register is valid: such a copy would hold nothing to trace.
var ErrNoOne = errors.New("no one in the register is valid")

// TempTag marks release id's temporary file as the workspace's whose
// fingerprint key is key: the first 4 bytes, in hex, of
// HMAC-SHA256(key, "release temporary file " + id).
func TempTag(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("release temporary file " + id))
	return hex.EncodeToString(m.Sum(nil)[:4])
}

// tempName is the temporary file of release id writing out, tag its TempTag.
func tempName(out, id, tag string) string {
	return filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".huella-"+id+"."+tag+".tmp")
}

// parseTempName splits a temporary file's name into the output's base, the
// release id and the tag ("" in the names of versions before the tag); ok
// is false for other names.
func parseTempName(name string) (base, id, tag string, ok bool) {
	if !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".tmp") {
		return "", "", "", false
	}
	k := strings.LastIndex(name, ".huella-rel-")
	if k < 2 {
		return "", "", "", false
	}
	id, tag, _ = strings.Cut(strings.TrimSuffix(name[k+len(".huella-"):], ".tmp"), ".")
	return name[1:k], id, tag, true
}

// lockTemp takes the flock that tells Recover a release is working on path;
// it fails with syscall.EWOULDBLOCK when another holds it. Closing the
// returned file releases it.
func lockTemp(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	// The name may have been removed (by a Recover that held the lock a
	// moment before) between opening and locking.
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if pi, err := os.Lstat(path); err != nil || !os.SameFile(fi, pi) {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, os.ErrNotExist)
	}
	return f, nil
}

// Resolve checks a field list against the schema (empty: all fields).
func Resolve(schema *register.Schema, fields []string) ([]string, error) {
	if len(fields) == 0 {
		return schema.Names(), nil
	}
	seen := map[string]bool{}
	for _, f := range fields {
		if schema.Index(f) < 0 {
			return nil, fmt.Errorf("field %q is not in schema %q (fields: %s)", f, schema.Name, strings.Join(schema.Names(), ","))
		}
		if seen[f] {
			return nil, fmt.Errorf("field %q listed twice", f)
		}
		seen[f] = true
	}
	return fields, nil
}

// Write makes one release: the copy at o.Out and its ledger entry.
func Write(ctx context.Context, key []byte, schema *register.Schema, src Source, log Log, o Options) (*Result, error) {
	if o.Recipient == "" {
		return nil, errors.New("release: no recipient")
	}
	if o.Format == "" {
		o.Format = "csv"
	}
	newWriter, ok := writers[o.Format]
	if !ok {
		return nil, fmt.Errorf("release: format %q, expected one of %s", o.Format, strings.Join(Formats, ", "))
	}
	fields, err := Resolve(schema, o.Fields)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	if _, err := os.Lstat(o.Out); err == nil {
		return nil, fmt.Errorf("release: %s: %w", o.Out, ErrExists)
	}
	id := o.ID
	if id == "" {
		if id, err = NewID(); err != nil {
			return nil, err
		}
	}
	asOf := o.AsOf - register.Date(fingerprint.CutOffset(key, id, o.CutWindow))

	tmp := tempName(o.Out, id, TempTag(key, id))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	lock, err := lockTemp(tmp)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("release: lock %s: %w", tmp, err)
	}
	// The lock is released last, once the file is in place (or removed).
	defer lock.Close()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(&writeback{f: f}, h), 1<<20)
	cols := make([]int, len(fields))
	for i, name := range fields {
		cols[i] = schema.Index(name)
	}
	w, err := newWriter(bw, schema, fields)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}

	counted := &countingSource{Source: src}
	rows, params, err := stream(ctx, key, id, schema, counted, asOf, fields, o, w, bw, cols)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	if counted.n == 0 {
		return nil, fmt.Errorf("release: %w on %s%s", ErrNoOne, asOf, span(src))
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("release: write %s: %w", tmp, err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("release: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("release: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("release: close %s: %w", tmp, err)
	}
	pj, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	e := ledger.Entry{
		ID: id, Kind: "release", Recipient: o.Recipient, AsOf: asOf.String(),
		Fields: fields, Format: o.Format, Rows: rows, SHA256: sum, Fingerprint: pj,
	}
	_, appendErr := log.Append(e)
	if appendErr != nil && !errors.Is(appendErr, ledger.ErrCommittedNotSynced) {
		return nil, fmt.Errorf("release: record in ledger: %w", appendErr)
	}
	// From here the entry exists: the file must land (Recover finishes the
	// rename after a crash), so the temporary file is kept on error.
	done = true
	if err := os.Rename(tmp, o.Out); err != nil {
		return nil, fmt.Errorf("release: %s is recorded in the ledger, its file is %s: rename: %w", id, tmp, err)
	}
	res := &Result{ID: id, AsOf: asOf, Rows: rows, SHA256: sum, Params: params, Entry: e}
	if appendErr != nil {
		return res, fmt.Errorf("release: %s is recorded in the ledger and its file is %s, but: %w", id, o.Out, appendErr)
	}
	if err := atomicfile.SyncDir(filepath.Dir(o.Out)); err != nil {
		return res, fmt.Errorf("release: %s is recorded in the ledger and its file is %s, but: sync %s: %w", id, o.Out, filepath.Dir(o.Out), err)
	}
	return res, nil
}

// countingSource counts the versions a Source's AsOf hands out.
type countingSource struct {
	Source
	n int64
}

func (c *countingSource) AsOf(ctx context.Context, t register.Date, fn func(v *register.Version) error) error {
	return c.Source.AsOf(ctx, t, func(v *register.Version) error {
		c.n++
		return fn(v)
	})
}

// span says which days src holds, when it can tell (the store can).
func span(src Source) string {
	s, ok := src.(interface{ Stats() (store.Stats, error) })
	if !ok {
		return ""
	}
	st, err := s.Stats()
	if err != nil || st.People == 0 {
		return ""
	}
	return fmt.Sprintf(" (the register holds %s to %s)", st.First, st.Last)
}

// stream feeds the register as of asOf through a fingerprinted copy to w
// (which writes to bw), columns cols. A writer that encodes rows as bytes
// goes through streamParallel; others (xlsx) get records, one goroutine.
func stream(ctx context.Context, key []byte, id string, schema *register.Schema, src Source, asOf register.Date, fields []string, o Options, w rowWriter, bw *bufio.Writer, cols []int) (int64, fingerprint.Params, error) {
	p := o.Params
	if p.Format == "" {
		p = fingerprint.DefaultParams()
	}
	statsRows := p.OrderBlock
	if statsRows <= 0 {
		statsRows = 1 << 16
	}
	taken := func(curp, clave string) bool {
		if v, err := src.ByCURP(curp); err != nil || len(v) > 0 {
			return true // on error, assume taken: never risk a real person's key
		}
		if v, err := src.ByClave(clave); err != nil || len(v) > 0 {
			return true
		}
		return false
	}
	if enc, ok := w.(encoder); ok {
		return streamParallel(ctx, key, id, schema, src, asOf, fields, o, p, statsRows, enc, bw, cols, taken)
	}
	type held struct {
		pid uint64
		rec register.Record
	}
	var (
		head  []held
		cp    *fingerprint.Copy
		count int64
	)
	start := func() error {
		stats := fingerprint.NewFormStats()
		for _, h := range head {
			stats.Add(schema, h.rec)
		}
		m := fingerprint.NewMarker(key, id, schema, fields, p, stats)
		cp = m.NewCopy(schema, asOf, taken, func(rec register.Record) error {
			count++
			if o.Progress != nil && count&0xFFFF == 0 {
				o.Progress(count)
			}
			return w.Row(rec, cols)
		})
		for _, h := range head {
			if err := cp.Add(h.pid, h.rec); err != nil {
				return err
			}
		}
		head = nil
		return nil
	}
	err := src.AsOf(ctx, asOf, func(v *register.Version) error {
		if cp != nil {
			return cp.Add(v.PersonID, v.Record)
		}
		head = append(head, held{v.PersonID, append(register.Record(nil), v.Record...)})
		if len(head) >= statsRows {
			return start()
		}
		return nil
	})
	if err != nil {
		return 0, p, err
	}
	if cp == nil {
		if err := start(); err != nil {
			return 0, p, err
		}
	}
	if err := cp.Close(); err != nil {
		return 0, p, err
	}
	return count, cp.Params(), nil
}

// Finished is a release Recover finished: its id and the path of its file.
type Finished struct {
	ID, Path string
}

// Recover finishes or removes the temporary files releases left in dir
// after a crash; key is this workspace's fingerprint key and recorded(id)
// says whether this workspace's ledger holds release id. A file whose id
// is recorded is renamed into place when the output does not exist; an
// unrecorded one is removed when its tag (TempTag) is this workspace's. A
// file a live release holds, another workspace's unrecorded file, and an
// unrecorded one named without a tag (older versions) are left alone. It
// returns the releases it finished.
func Recover(dir string, key []byte, recorded func(id string) bool) ([]Finished, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("recover releases in %s: %w", dir, err)
	}
	var finished []Finished
	for _, e := range ents {
		base, id, tag, ok := parseTempName(e.Name())
		if !ok {
			continue
		}
		ours := tag != "" && tag == TempTag(key, id)
		if !ours && !recorded(id) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		f, err := recoverOne(path, filepath.Join(dir, base), id, ours, recorded)
		if err != nil {
			return finished, err
		}
		if f != nil {
			finished = append(finished, *f)
		}
	}
	if len(finished) > 0 {
		if err := atomicfile.SyncDir(dir); err != nil {
			return finished, err
		}
	}
	return finished, nil
}

// recoverOne finishes (recorded) or removes (ours, unrecorded) the temporary
// file path of release id, output out, unless a live release holds it.
func recoverOne(path, out, id string, ours bool, recorded func(id string) bool) (*Finished, error) {
	lock, err := lockTemp(path)
	if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, os.ErrNotExist) {
		return nil, nil // a release is writing it, or has just finished
	}
	if err != nil {
		return nil, fmt.Errorf("recover release %s: %w", id, err)
	}
	defer lock.Close()
	// Asked again under the lock: the release may have recorded it since.
	if recorded(id) {
		if _, err := os.Lstat(out); !errors.Is(err, os.ErrNotExist) {
			return nil, nil // something else took the name: keep the recorded file
		}
		if err := os.Rename(path, out); err != nil {
			return nil, fmt.Errorf("recover release %s: %w", id, err)
		}
		return &Finished{ID: id, Path: out}, nil
	}
	if !ours {
		return nil, nil
	}
	if err := os.Remove(path); err != nil {
		return nil, fmt.Errorf("recover releases: %w", err)
	}
	return nil, nil
}
