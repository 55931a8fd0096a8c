package ledger

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/huella/huella/internal/atomicfile"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Entry is one record of the ledger: a release of a copy to a recipient, or
// an analysis of a leaked file. Its canonical JSON line is the record hashed
// into the tree (see the package doc).
type Entry struct {
	ID          string          `json:"id"`
	Kind        string          `json:"kind"` // KindRelease or KindAnalysis
	Time        string          `json:"time"` // RFC 3339 UTC, set by Append if empty
	Recipient   string          `json:"recipient,omitempty"`
	AsOf        string          `json:"as_of,omitempty"`
	Fields      []string        `json:"fields,omitempty"`
	Format      string          `json:"format,omitempty"`
	Rows        int64           `json:"rows"`
	SHA256      string          `json:"sha256,omitempty"`      // of the released file, or of the analysed input
	Fingerprint json.RawMessage `json:"fingerprint,omitempty"` // parameters of the marks, never the key
	Details     json.RawMessage `json:"details,omitempty"`     // kind-specific
}

// ErrNotFound is returned by Find and Prove for an unknown id.
var ErrNotFound = errors.New("no such entry")

// ErrNoLedger is returned by Open when dir holds no ledger.
var ErrNoLedger = errors.New("no ledger there")

// ErrReadOnly is returned by Append on a ledger opened without its key.
var ErrReadOnly = errors.New("ledger opened read-only (no signer key)")

// ErrCommittedNotSynced is returned (wrapped, with the sync error) by an
// Append that committed its entry but could not fsync the folder afterwards:
// the entry is in the ledger (Append also returns its index) but its commit
// may not survive a power loss. A caller that acts on a recorded entry (a
// release renames its file into place) must act on this one too.
var ErrCommittedNotSynced = errors.New("entry committed, but the ledger folder could not be synced")

// syncDir makes a folder's changes durable; tests replace it to fail.
var syncDir = atomicfile.SyncDir

// Ledger is an open ledger folder. Its methods are safe for concurrent use.
type Ledger struct {
	dir    string
	mu     sync.Mutex
	lockf  *os.File    // the folder, flocked during each operation
	signer note.Signer // nil when read-only
	st     *state
}

// state is what the files of a ledger hold.
type state struct {
	vkey     string
	verifier note.Verifier
	entries  []Entry
	records  [][]byte // canonical bytes of each entry
	ids      map[string]int64
	hashes   []tlog.Hash
	cps      []checkpoint
	size     [3]int64 // bytes of entries, hashes, checkpoints
}

// Create makes a new ledger in dir: a fresh Ed25519 key pair named name, the
// signer key written to keyPath (mode 0600) and the verifier key to
// dir/key.pub, no entries, and a signed checkpoint of the empty tree. It
// refuses to overwrite an existing ledger or key.
func Create(dir, keyPath, name string) error {
	for _, f := range []string{keyFile, entriesFile, hashesFile, checkpointsFile} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			return fmt.Errorf("create ledger %s: a ledger is already there", dir)
		}
	}
	if _, err := os.Lstat(keyPath); err == nil {
		return fmt.Errorf("create ledger: key %s already exists", keyPath)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return fmt.Errorf("create ledger: key %q: %w", name, err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return fmt.Errorf("create ledger: %w", err)
	}
	cp0, err := signTree(signer, tlog.Tree{N: 0, Hash: mustTreeHash(0, nil)})
	if err != nil {
		return fmt.Errorf("create ledger: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(keyPath), 0o700); err != nil {
		return fmt.Errorf("create ledger: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create ledger: %w", err)
	}
	files := []struct {
		path string
		data []byte
		perm fs.FileMode
	}{
		{keyPath, []byte(skey + "\n"), 0o600},
		{filepath.Join(dir, entriesFile), []byte(entriesFormat + "\n"), 0o644},
		{filepath.Join(dir, hashesFile), []byte(hashesFormat + "\n"), 0o644},
		{filepath.Join(dir, checkpointsFile), append([]byte(checkpointsFormat+"\n"), cp0...), 0o644},
		{filepath.Join(dir, keyFile), encodeKeyFile(vkey), 0o644},
	}
	for _, f := range files {
		if err := atomicfile.Write(f.path, f.data, f.perm); err != nil {
			return fmt.Errorf("create ledger: %w", err)
		}
	}
	return nil
}

// Open opens the ledger in dir. With keyPath empty it is read-only (Entries,
// Find, Verify, Prove); with the signer key it can Append, and an append that
// a crash interrupted is rolled back first. Open checks the files' formats
// and the latest checkpoint (its signature and that it signs the stored
// hashes); Verify checks everything.
func Open(dir, keyPath string) (*Ledger, error) {
	l := &Ledger{dir: dir}
	if keyPath != "" {
		b, err := os.ReadFile(keyPath)
		if err != nil {
			return nil, fmt.Errorf("open ledger: signer key: %w", err)
		}
		s, err := note.NewSigner(strings.TrimSuffix(string(b), "\n"))
		if err != nil {
			return nil, fmt.Errorf("open ledger: signer key %s: %w", keyPath, err)
		}
		l.signer = s
	}
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open ledger: %s: %w", dir, ErrNoLedger)
	}
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	l.lockf = f
	if err := l.withLock(l.signer != nil, func() error {
		st, err := loadState(dir, l.signer != nil)
		if err != nil {
			return err
		}
		if l.signer != nil {
			if err := checkSigner(dir, st, l.signer); err != nil {
				return err
			}
		}
		if err := checkHead(dir, st); err != nil {
			return err
		}
		l.st = st
		return nil
	}); err != nil {
		f.Close()
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	return l, nil
}

// Close releases the ledger. Appends after Close fail.
func (l *Ledger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lockf == nil {
		return nil
	}
	err := l.lockf.Close()
	l.lockf = nil
	return err
}

// withLock runs fn holding the folder's flock, exclusive or shared.
func (l *Ledger) withLock(exclusive bool, fn func() error) error {
	if l.lockf == nil {
		return errors.New("ledger is closed")
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(l.lockf.Fd()), how); err != nil {
		return fmt.Errorf("lock ledger %s: %w", l.dir, err)
	}
	defer syscall.Flock(int(l.lockf.Fd()), syscall.LOCK_UN)
	return fn()
}

// Size is the number of entries.
func (l *Ledger) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.st.entries))
}

// Entries returns all entries in ledger order.
func (l *Ledger) Entries() ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Entry(nil), l.st.entries...), nil
}

// Find returns the entry with the given id and its index.
func (l *Ledger) Find(id string) (Entry, int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i, ok := l.st.ids[id]
	if !ok {
		return Entry{}, -1, fmt.Errorf("find %q: %w", id, ErrNotFound)
	}
	return l.st.entries[i], i, nil
}

// Checkpoint returns the latest signed checkpoint, a note as text.
func (l *Ledger) Checkpoint() (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.st.cps[len(l.st.cps)-1].note), nil
}

// VerifierKey is the ledger's note verifier key (the line of key.pub).
func (l *Ledger) VerifierKey() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.vkey
}

// testHook, set by tests, is called at each step of an append; an error
// abandons the append on the spot, as a crash would.
var testHook func(step string) error

func hook(step string) error {
	if testHook != nil {
		if err := testHook(step); err != nil {
			return hookError{err}
		}
	}
	return nil
}

// hookError is a crash simulated by a test: nothing is cleaned up.
type hookError struct{ error }

func (e hookError) Unwrap() error { return e.error }

// Append adds e to the ledger and returns its index. When it returns, the
// entry, its hashes and a new checkpoint signing the grown tree are on disk
// (fsync'd). It sets e.Time to now if empty and refuses an id already used.
// An error wrapping ErrCommittedNotSynced comes with the entry's index: the
// entry is recorded, only the last fsync of the folder failed.
func (l *Ledger) Append(e Entry) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.signer == nil {
		return -1, fmt.Errorf("append %q: %w", e.ID, ErrReadOnly)
	}
	var index int64
	err := l.withLock(true, func() error {
		// The time is taken under the lock, so that times of entries
		// appended without one never go backwards.
		if e.Time == "" {
			e.Time = time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
		}
		if err := checkEntry(&e); err != nil {
			return err
		}
		rec, err := encodeEntry(&e)
		if err != nil {
			return err
		}
		if _, err := decodeEntry(rec); err != nil {
			// e.g. a RawMessage that does not survive a round trip.
			return err
		}
		if err := l.refresh(); err != nil {
			return err
		}
		if j, dup := l.st.ids[e.ID]; dup {
			return fmt.Errorf("id %q is already entry %d", e.ID, j)
		}
		index = int64(len(l.st.entries))
		return l.appendLocked(index, e, rec)
	})
	if errors.Is(err, ErrCommittedNotSynced) {
		return index, fmt.Errorf("append %q: %w", e.ID, err)
	}
	if err != nil {
		return -1, fmt.Errorf("append %q: %w", e.ID, err)
	}
	return index, nil
}

// refresh reloads the files if another process changed them (or left an
// interrupted append) since this process last read them.
func (l *Ledger) refresh() error {
	changed := false
	if _, err := os.Lstat(filepath.Join(l.dir, pendingFile)); err == nil {
		changed = true
	}
	for i, f := range dataFiles {
		fi, err := os.Stat(filepath.Join(l.dir, f))
		if err != nil {
			return err
		}
		if fi.Size() != l.st.size[i] {
			changed = true
		}
	}
	if !changed {
		return nil
	}
	st, err := loadState(l.dir, true)
	if err != nil {
		return err
	}
	if err := checkSigner(l.dir, st, l.signer); err != nil {
		return err
	}
	if err := checkHead(l.dir, st); err != nil {
		return err
	}
	l.st = st
	return nil
}

func (l *Ledger) appendLocked(n int64, e Entry, rec []byte) error {
	st := l.st
	newHashes, err := tlog.StoredHashes(n, rec, hashReader(st.hashes))
	if err != nil {
		return err
	}
	all := append(st.hashes[:len(st.hashes):len(st.hashes)], newHashes...)
	th, err := tlog.TreeHash(n+1, hashReader(all))
	if err != nil {
		return err
	}
	cp, err := signTree(l.signer, tlog.Tree{N: n + 1, Hash: th})
	if err != nil {
		return err
	}
	j := &pendingJournal{size: st.size, add: [3][]byte{append(rec, '\n'), encodeHashes(newHashes), cp}}

	// 1. the journal, durable before any data file changes.
	if err := atomicfile.Write(filepath.Join(l.dir, pendingFile), j.encode(), 0o644); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	if err := hook("pending"); err != nil {
		return err
	}
	// 2. the data, each file fsync'd.
	for i, f := range dataFiles {
		if err := appendAt(filepath.Join(l.dir, f), st.size[i], j.add[i], f); err != nil {
			if _, crash := err.(hookError); crash {
				return err
			}
			if rerr := rollback(l.dir, j); rerr != nil {
				// The journal stays; the next open or append repairs.
				return fmt.Errorf("%w (and rolling back: %v)", err, rerr)
			}
			return err
		}
	}
	// 3. commit: once the journal is gone the entry is in the ledger, so
	// a failed sync of the folder still updates the state below.
	if err := os.Remove(filepath.Join(l.dir, pendingFile)); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	syncErr := syncDir(l.dir)
	if syncErr == nil {
		if err := hook("committed"); err != nil {
			return err
		}
	}
	ids := st.ids
	ids[e.ID] = n
	l.st = &state{
		vkey: st.vkey, verifier: st.verifier,
		entries: append(st.entries, e),
		records: append(st.records, rec),
		ids:     ids,
		hashes:  all,
		cps:     append(st.cps, checkpoint{note: cp, tree: tlog.Tree{N: n + 1, Hash: th}}),
	}
	for i := range dataFiles {
		l.st.size[i] = st.size[i] + int64(len(j.add[i]))
	}
	if syncErr != nil {
		return fmt.Errorf("%w: sync %s: %w", ErrCommittedNotSynced, l.dir, syncErr)
	}
	return nil
}

// appendAt writes data at offset off of path (the file's old end) and syncs.
// Tests may tear the write in the middle.
func appendAt(path string, off int64, data []byte, step string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	half := len(data) / 2
	if _, err := f.WriteAt(data[:half], off); err != nil {
		f.Close()
		return err
	}
	if err := hook(step + "-torn"); err != nil {
		f.Sync()
		f.Close()
		return err
	}
	if _, err := f.WriteAt(data[half:], off+int64(half)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return hook(step)
}

// rollback cuts the data files back to the sizes of the journal and removes
// the journal.
func rollback(dir string, j *pendingJournal) error {
	for i, f := range dataFiles {
		path := filepath.Join(dir, f)
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		if fi.Size() < j.size[i] || fi.Size() > j.size[i]+int64(len(j.add[i])) {
			return corrupt(dir, pendingFile, 0, "%s is %d bytes, but the interrupted append it records went from %d to %d bytes; not repairing", f, fi.Size(), j.size[i], j.size[i]+int64(len(j.add[i])))
		}
		if fi.Size() == j.size[i] {
			continue
		}
		if err := truncateSync(path, j.size[i]); err != nil {
			return err
		}
	}
	if err := os.Remove(filepath.Join(dir, pendingFile)); err != nil {
		return err
	}
	return syncDir(dir)
}

// loadState reads a ledger folder. With repair, an interrupted append is
// rolled back on disk; without, it is ignored by reading each file only up to
// the size the journal names.
func loadState(dir string, repair bool) (*state, error) {
	kb, err := os.ReadFile(filepath.Join(dir, keyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w (%s missing)", dir, ErrNoLedger, keyFile)
	}
	if err != nil {
		return nil, err
	}
	if _, _, err := parseKeyFile(dir, kb); err != nil {
		return nil, err
	}
	var limit *[3]int64
	pb, err := os.ReadFile(filepath.Join(dir, pendingFile))
	switch {
	case err == nil:
		j, err := parsePending(dir, pb)
		if err != nil {
			return nil, err
		}
		if repair {
			if err := rollback(dir, j); err != nil {
				return nil, fmt.Errorf("roll back an interrupted append: %w", err)
			}
		} else {
			limit = &j.size
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	if repair {
		removeTemps(dir)
	}
	var data [3][]byte
	for i, f := range dataFiles {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		if limit != nil {
			if int64(len(b)) < limit[i] {
				return nil, corrupt(dir, f, 0, "%d bytes, shorter than the %d the pending journal records", len(b), limit[i])
			}
			b = b[:limit[i]]
		}
		data[i] = b
	}
	return parseState(dir, kb, data)
}

// parseState parses the contents of key.pub, entries, hashes and checkpoints
// and checks that their sizes agree.
func parseState(dir string, key []byte, data [3][]byte) (*state, error) {
	st := &state{}
	var err error
	if st.vkey, st.verifier, err = parseKeyFile(dir, key); err != nil {
		return nil, err
	}
	for i := range data {
		st.size[i] = int64(len(data[i]))
	}
	if st.entries, st.records, err = parseEntries(dir, data[0]); err != nil {
		return nil, err
	}
	if st.hashes, err = parseHashes(dir, data[1]); err != nil {
		return nil, err
	}
	if st.cps, err = parseCheckpoints(dir, data[2]); err != nil {
		return nil, err
	}
	n := int64(len(st.entries))
	st.ids = make(map[string]int64, n)
	for i, e := range st.entries {
		st.ids[e.ID] = int64(i)
	}
	if want := tlog.StoredHashCount(n); int64(len(st.hashes)) != want {
		return nil, corrupt(dir, hashesFile, 0, "%d hashes for %d entries, expected %d", len(st.hashes), n, want)
	}
	if int64(len(st.cps)) != n+1 {
		return nil, corrupt(dir, checkpointsFile, 0, "%d checkpoints for %d entries, expected %d (one per tree size from 0)", len(st.cps), n, n+1)
	}
	for k, cp := range st.cps {
		if cp.tree.N != int64(k) {
			return nil, corrupt(dir, checkpointsFile, linesPerCheckpoint*k+3, "checkpoint %d is for tree size %d, expected %d", k, cp.tree.N, k)
		}
	}
	return st, nil
}

// checkSigner checks that the signer key belongs to key.pub.
func checkSigner(dir string, st *state, s note.Signer) error {
	msg, err := note.Sign(&note.Note{Text: "huella ledger key check\n"}, s)
	if err != nil {
		return err
	}
	if _, err := note.Open(msg, note.VerifierList(st.verifier)); err != nil || s.Name() != st.verifier.Name() {
		return corrupt(dir, keyFile, 2, "the signer key (%s+%08x) does not match the verifier key %s", s.Name(), s.KeyHash(), st.vkey)
	}
	return nil
}

// checkHead checks the latest checkpoint's signature and that it signs the
// tree the stored hashes give, so an append only ever extends a signed tree.
func checkHead(dir string, st *state) error {
	k := len(st.cps) - 1
	tree, err := openCheckpoint(st.cps[k].note, st.verifier)
	if err != nil {
		return corrupt(dir, checkpointsFile, linesPerCheckpoint*k+2, "checkpoint %d: %v", k, err)
	}
	th, err := tlog.TreeHash(tree.N, hashReader(st.hashes))
	if err != nil {
		return err
	}
	if th != tree.Hash {
		return corrupt(dir, hashesFile, 0, "the stored hashes give tree hash %s for size %d, but the latest checkpoint signs %s", th, tree.N, tree.Hash)
	}
	return nil
}

// signTree signs a tree head as a checkpoint note.
func signTree(s note.Signer, tree tlog.Tree) ([]byte, error) {
	cp, err := note.Sign(&note.Note{Text: string(tlog.FormatTree(tree))}, s)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	if bytes.Count(cp, []byte("\n")) != linesPerCheckpoint {
		return nil, fmt.Errorf("sign checkpoint: unexpected note layout")
	}
	return cp, nil
}

// hashReader serves stored hashes from memory.
func hashReader(hs []tlog.Hash) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(hs)) {
				return nil, fmt.Errorf("stored hash %d not available (have %d)", x, len(hs))
			}
			out[i] = hs[x]
		}
		return out, nil
	})
}

func mustTreeHash(n int64, hs []tlog.Hash) tlog.Hash {
	h, err := tlog.TreeHash(n, hashReader(hs))
	if err != nil {
		panic(err)
	}
	return h
}

// removeTemps removes temporary files a crash left behind.
func removeTemps(dir string) {
	ms, _ := filepath.Glob(filepath.Join(dir, ".*.tmp*"))
	for _, m := range ms {
		os.Remove(m)
	}
}

func truncateSync(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
