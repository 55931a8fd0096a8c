package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// newLedger creates a ledger in a temporary folder and opens it for writing.
func newLedger(t testing.TB) (dir, keyPath string, l *Ledger) {
	t.Helper()
	root := t.TempDir()
	dir = filepath.Join(root, "ledger")
	keyPath = filepath.Join(root, "keys", "ledger.key")
	if err := Create(dir, keyPath, "huella-ledger"); err != nil {
		t.Fatal(err)
	}
	l, err := Open(dir, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return dir, keyPath, l
}

// release is a synthetic release entry.
func release(i int) Entry {
	return Entry{
		ID:          fmt.Sprintf("r-%04d", i),
		Kind:        KindRelease,
		Time:        fmt.Sprintf("2026-11-27T01:%02d:00Z", i%60),
		Recipient:   fmt.Sprintf("PARTIDO-%d", i%7),
		AsOf:        "2018-03-31",
		Fields:      []string{"nombre", "apellido_paterno", "apellido_materno", "seccion"},
		Format:      "csv",
		Rows:        int64(1000 + i),
		SHA256:      fmt.Sprintf("%064x", i),
		Fingerprint: json.RawMessage(`{"carriers":["abbrev","order"],"tardos":{"n":10,"c":3}}`),
		Details:     json.RawMessage(`{"note":"<synthetic> & test"}`),
	}
}

// writeLedger writes the files of a ledger holding es, signed with the key
// at keyPath, in one go: what an insider holding the key could forge.
func writeLedger(t testing.TB, dir, keyPath string, es []Entry) {
	t.Helper()
	skey, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		t.Fatal(err)
	}
	entries := []byte(entriesFormat + "\n")
	cp0, _ := signTree(signer, tlog.Tree{N: 0, Hash: mustTreeHash(0, nil)})
	cps := append([]byte(checkpointsFormat+"\n"), cp0...)
	var hashes []tlog.Hash
	for i := range es {
		rec, err := encodeEntry(&es[i])
		if err != nil {
			t.Fatal(err)
		}
		hs, err := tlog.StoredHashes(int64(i), rec, hashReader(hashes))
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
		cp, err := signTree(signer, tlog.Tree{N: int64(i + 1), Hash: mustTreeHash(int64(i+1), hashes)})
		if err != nil {
			t.Fatal(err)
		}
		entries = append(append(entries, rec...), '\n')
		cps = append(cps, cp...)
	}
	for name, data := range map[string][]byte{
		entriesFile:     entries,
		hashesFile:      append([]byte(hashesFormat+"\n"), encodeHashes(hashes)...),
		checkpointsFile: cps,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mustAppend(t testing.TB, l *Ledger, e Entry) int64 {
	t.Helper()
	i, err := l.Append(e)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestCreate(t *testing.T) {
	dir, keyPath, l := newLedger(t)
	if l.Size() != 0 {
		t.Fatalf("size %d, want 0", l.Size())
	}
	if err := l.Verify(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v, want 0600", fi.Mode().Perm())
	}
	skey, _ := os.ReadFile(keyPath)
	if !strings.HasPrefix(string(skey), "PRIVATE+KEY+huella-ledger+") {
		t.Errorf("key file %q does not hold a note signer key", skey)
	}
	// The private key is nowhere in the ledger folder.
	// PRIVATE+KEY+name+hash+key: the key is base64, which may hold a "+"
	// itself (cut at the last "+", it was once empty, and found everywhere)
	parts := strings.SplitN(strings.TrimSpace(string(skey)), "+", 5)
	if len(parts) != 5 || len(parts[4]) < 40 {
		t.Fatalf("key file %q: not PRIVATE+KEY+name+hash+key", skey)
	}
	secret := parts[4]
	files, _ := os.ReadDir(dir)
	if len(files) != 4 {
		t.Errorf("ledger folder holds %d files, want 4", len(files))
	}
	for _, f := range files {
		b, _ := os.ReadFile(filepath.Join(dir, f.Name()))
		if strings.Contains(string(b), secret) || strings.Contains(string(b), "PRIVATE") {
			t.Errorf("%s holds the private key", f.Name())
		}
	}
	cp, _ := l.Checkpoint()
	tree, err := tlog.ParseTree([]byte(cp))
	if err != nil || tree.N != 0 {
		t.Errorf("checkpoint %q: tree %v, %v", cp, tree, err)
	}
	if !strings.HasPrefix(l.VerifierKey(), "huella-ledger+") {
		t.Errorf("verifier key %q", l.VerifierKey())
	}

	if err := Create(dir, keyPath+"2", "x"); err == nil {
		t.Error("Create over an existing ledger succeeded")
	}
	if err := Create(filepath.Join(t.TempDir(), "l"), keyPath, "x"); err == nil {
		t.Error("Create over an existing key succeeded")
	}
}

func TestAppend(t *testing.T) {
	dir, _, l := newLedger(t)
	for i := 0; i < 5; i++ {
		if got := mustAppend(t, l, release(i)); got != int64(i) {
			t.Fatalf("append %d: index %d", i, got)
		}
	}
	// An empty time is set to now, in UTC.
	a := Entry{ID: "a-1", Kind: KindAnalysis, SHA256: strings.Repeat("ab", 32)}
	mustAppend(t, l, a)
	got, n, err := l.Find("a-1")
	if err != nil || n != 5 || !strings.HasSuffix(got.Time, "Z") {
		t.Fatalf("find a-1: %+v %d %v", got, n, err)
	}
	if err := l.Verify(); err != nil {
		t.Fatal(err)
	}

	bad := []struct {
		name string
		e    Entry
	}{
		{"duplicate id", release(3)},
		{"no id", Entry{Kind: KindRelease}},
		{"bad kind", Entry{ID: "x", Kind: "leak"}},
		{"local time", Entry{ID: "x", Kind: KindRelease, Time: "2026-11-27T01:00:00-06:00"}},
		{"not a time", Entry{ID: "x", Kind: KindRelease, Time: "yesterday"}},
		{"negative rows", Entry{ID: "x", Kind: KindRelease, Rows: -1}},
		{"bad raw JSON", Entry{ID: "x", Kind: KindRelease, Details: json.RawMessage(`{`)}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := l.Append(tc.e); err == nil {
				t.Fatal("accepted")
			}
			if l.Size() != 6 {
				t.Fatalf("size %d after a refused append", l.Size())
			}
		})
	}

	// Reopened read-only: the same entries, in order, and no appends.
	r, err := Open(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	es, _ := r.Entries()
	if len(es) != 6 {
		t.Fatalf("%d entries after reopen", len(es))
	}
	for i := 0; i < 5; i++ {
		want := release(i)
		wb, _ := json.Marshal(want)
		gb, _ := json.Marshal(es[i])
		if string(wb) != string(gb) {
			t.Errorf("entry %d:\n got %s\nwant %s", i, gb, wb)
		}
	}
	if _, err := r.Append(release(99)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only append: %v", err)
	}
	if _, _, err := r.Find("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("find unknown: %v", err)
	}
	c1, _ := l.Checkpoint()
	c2, _ := r.Checkpoint()
	if c1 != c2 {
		t.Errorf("checkpoints differ after reopen")
	}
	if err := r.Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenWithWrongKey(t *testing.T) {
	dir, _, _ := newLedger(t)
	_, otherKey, _ := newLedger(t)
	_, err := Open(dir, otherKey)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("open with another ledger's key: %v", err)
	}
}

// TestTwoHandles: two Ledgers open on one folder (as two processes would be)
// see each other's appends.
func TestTwoHandles(t *testing.T) {
	dir, keyPath, a := newLedger(t)
	b, err := Open(dir, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := 0; i < 6; i++ {
		h := a
		if i%2 == 1 {
			h = b
		}
		if got := mustAppend(t, h, release(i)); got != int64(i) {
			t.Fatalf("append %d through handle %d: index %d", i, i%2, got)
		}
	}
	if _, err := a.Append(release(1)); err == nil {
		t.Fatal("duplicate id appended through a stale handle")
	}
	if err := a.Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestProve(t *testing.T) {
	_, _, l := newLedger(t)
	for i := 0; i < 7; i++ {
		mustAppend(t, l, release(i))
	}
	key := l.VerifierKey()
	var old *Proof
	for i := 0; i < 7; i++ {
		p, err := l.Prove(release(i).ID)
		if err != nil {
			t.Fatal(err)
		}
		// Through JSON, as a proof file travels.
		b, _ := json.MarshalIndent(p, "", "  ")
		if !strings.HasPrefix(string(b), "{\n  \"format\": \""+ProofFormat+"\"") {
			t.Fatalf("proof JSON does not start with its format:\n%s", b)
		}
		var q Proof
		if err := json.Unmarshal(b, &q); err != nil {
			t.Fatal(err)
		}
		if err := VerifyProof(&q, key); err != nil {
			t.Fatalf("proof of %d: %v", i, err)
		}
		if err := VerifyProof(&q, ""); err != nil {
			t.Fatalf("proof of %d with its own key: %v", i, err)
		}
		e, err := q.DecodeEntry()
		if err != nil || e.ID != release(i).ID || q.Index != int64(i) || q.TreeSize != 7 {
			t.Fatalf("proof of %d: entry %+v index %d size %d %v", i, e, q.Index, q.TreeSize, err)
		}
		if i == 2 {
			old = &q
		}
	}
	if _, err := l.Prove("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("prove unknown: %v", err)
	}
	// A proof stays valid after the ledger grows.
	mustAppend(t, l, release(7))
	if err := VerifyProof(old, key); err != nil {
		t.Fatalf("old proof after growth: %v", err)
	}

	_, _, other := newLedger(t)
	mustAppend(t, other, release(2))
	op, _ := other.Prove(release(2).ID)
	otherKey := other.VerifierKey()

	tampers := []struct {
		name string
		key  string
		edit func(p *Proof)
	}{
		{"entry rows", key, func(p *Proof) { p.Entry = strings.Replace(p.Entry, `"rows":1002`, `"rows":1003`, 1) }},
		{"entry recipient", key, func(p *Proof) { p.Entry = strings.Replace(p.Entry, "PARTIDO-2", "PARTIDO-3", 1) }},
		{"entry spacing", key, func(p *Proof) { p.Entry = strings.Replace(p.Entry, `,"kind"`, `, "kind"`, 1) }},
		{"index", key, func(p *Proof) { p.Index = 3 }},
		{"index out of range", key, func(p *Proof) { p.Index = 7 }},
		{"tree size", key, func(p *Proof) { p.TreeSize = 6 }},
		{"inclusion hash", key, func(p *Proof) { p.Inclusion[0] = tlog.Hash{1}.String() }},
		{"inclusion dropped", key, func(p *Proof) { p.Inclusion = p.Inclusion[1:] }},
		{"checkpoint size", key, func(p *Proof) { p.Checkpoint = strings.Replace(p.Checkpoint, "\n7\n", "\n8\n", 1) }},
		{"checkpoint unsigned", key, func(p *Proof) { p.Checkpoint = p.Checkpoint[:strings.Index(p.Checkpoint, "\n\n")+2] }},
		{"format", key, func(p *Proof) { p.Format = "huella ledger proof v2" }},
		{"other trusted key", otherKey, func(p *Proof) {}},
		{"other ledger's checkpoint", key, func(p *Proof) { p.Checkpoint = op.Checkpoint }},
		{"other key embedded", "", func(p *Proof) { p.VerifierKey = otherKey }},
		{"malformed trusted key", "huella-ledger+zz+AA", func(p *Proof) { p.VerifierKey = "huella-ledger+zz+AA" }},
	}
	for _, tc := range tampers {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := json.Marshal(old)
			var p Proof
			json.Unmarshal(b, &p)
			tc.edit(&p)
			err := VerifyProof(&p, tc.key)
			if err == nil {
				t.Fatal("tampered proof verified")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("error %v is not ErrCorrupt", err)
			}
		})
	}
}

func TestDecodeEntry(t *testing.T) {
	e := release(1)
	canon, err := encodeEntry(&e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeEntry(canon); err != nil {
		t.Fatalf("canonical line refused: %v", err)
	}
	if !strings.Contains(string(canon), `\u003csynthetic\u003e \u0026 test`) {
		t.Errorf("HTML characters not escaped: %s", canon)
	}
	s := string(canon)
	cases := []struct{ name, line string }{
		{"reordered", strings.Replace(s, `{"id":"r-0001","kind":"release",`, `{"kind":"release","id":"r-0001",`, 1)},
		{"space", strings.Replace(s, `,"rows"`, `, "rows"`, 1)},
		{"upper-case key", strings.Replace(s, `"rows"`, `"Rows"`, 1)},
		{"unknown field", strings.Replace(s, `{"id"`, `{"x":1,"id"`, 1)},
		{"unescaped", strings.Replace(s, `\u0026`, `&`, 1)},
		{"escaped letter", strings.Replace(s, `"r-0001"`, `"r-000\u0031"`, 1)},
		{"raw spacing", strings.Replace(s, `{"note"`, `{ "note"`, 1)},
		{"not json", "r-0001,release"},
		{"empty", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.line == s {
				t.Fatal("test edit did not apply")
			}
			if _, err := decodeEntry([]byte(tc.line)); err == nil {
				t.Fatalf("accepted %s", tc.line)
			}
		})
	}
}

// TestCheckCheckpoint: a checkpoint kept elsewhere reveals entries cut off
// the end, which Verify alone cannot see.
func TestCheckCheckpoint(t *testing.T) {
	dir, keyPath, l := newLedger(t)
	var kept []string
	for i := 0; i < 4; i++ {
		mustAppend(t, l, release(i))
		cp, _ := l.Checkpoint()
		kept = append(kept, cp)
	}
	for i, cp := range kept {
		if err := l.CheckCheckpoint(cp); err != nil {
			t.Fatalf("checkpoint %d: %v", i+1, err)
		}
	}
	_, _, other := newLedger(t)
	ocp, _ := other.Checkpoint()
	if err := l.CheckCheckpoint(ocp); !errors.Is(err, ErrCorrupt) {
		t.Errorf("another ledger's checkpoint: %v", err)
	}
	l.Close()

	// Cut the last entry, its hashes and its checkpoint: a consistent,
	// smaller ledger that verifies.
	cut := func(file string, keep int64) {
		path := filepath.Join(dir, file)
		b, _ := os.ReadFile(path)
		lines := strings.SplitAfter(string(b), "\n")
		os.WriteFile(path, []byte(strings.Join(lines[:keep], "")), 0o644)
	}
	cut(entriesFile, 1+3)
	cut(hashesFile, 1+tlog.StoredHashCount(3))
	cut(checkpointsFile, 1+4*linesPerCheckpoint)
	l, err := Open(dir, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Verify(); err != nil {
		t.Fatalf("the cut ledger should verify on its own: %v", err)
	}
	if err := l.CheckCheckpoint(kept[2]); err != nil {
		t.Fatalf("checkpoint of size 3: %v", err)
	}
	err = l.CheckCheckpoint(kept[3])
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "entries were removed") {
		t.Fatalf("checkpoint of size 4 against a 3-entry ledger: %v", err)
	}
	l.Close()

	// An insider with the key rewrites the ledger with entry 1 altered: it
	// verifies, but a checkpoint kept from before says it was rewritten.
	es := []Entry{release(0), release(1), release(2), release(3)}
	es[1].Recipient = "PARTIDO-X"
	writeLedger(t, dir, keyPath, es)
	l, err = Open(dir, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Verify(); err != nil {
		t.Fatalf("the forged ledger should verify on its own: %v", err)
	}
	if err := l.CheckCheckpoint(kept[0]); err != nil {
		t.Fatalf("checkpoint of size 1, before the altered entry: %v", err)
	}
	err = l.CheckCheckpoint(kept[1])
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "rewritten") {
		t.Fatalf("checkpoint of size 2 against the forged ledger: %v", err)
	}
}
