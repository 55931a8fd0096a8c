package ledger

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeEntry: any line either fails or is its own canonical encoding.
func FuzzDecodeEntry(f *testing.F) {
	for i := 0; i < 3; i++ {
		e := release(i)
		b, _ := encodeEntry(&e)
		f.Add(b)
	}
	f.Add([]byte(`{"id":"a","kind":"analysis","time":"2026-01-01T00:00:00Z","rows":0}`))
	f.Add([]byte(`{"id":"a","kind":"analysis","time":"2026-01-01T00:00:00Z","rows":0,"details":null}`))
	f.Add([]byte(`{"id":"\u00e9","kind":"release","time":"2026-01-01T00:00:00Z","rows":1e3}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := decodeEntry(line)
		if err != nil {
			return
		}
		again, err := encodeEntry(&e)
		if err != nil {
			t.Fatalf("accepted %q but cannot re-encode it: %v", line, err)
		}
		if !bytes.Equal(again, line) {
			t.Fatalf("accepted %q, which re-encodes as %q", line, again)
		}
	})
}

// FuzzParseFiles feeds arbitrary bytes as each file of a ledger: no panic,
// and whatever parses and verifies is what the real ledger holds or a prefix
// of the files that is itself a whole ledger.
func FuzzParseFiles(f *testing.F) {
	dir, _, l := newLedger(f)
	for i := 0; i < 3; i++ {
		mustAppend(f, l, release(i))
	}
	l.Close()
	names := []string{keyFile, entriesFile, hashesFile, checkpointsFile, pendingFile}
	orig := map[string][]byte{}
	for _, n := range names[:4] {
		orig[n], _ = os.ReadFile(filepath.Join(dir, n))
	}
	j := &pendingJournal{size: [3]int64{10, 20, 30}, add: [3][]byte{[]byte("a\n"), nil, []byte("c")}}
	orig[pendingFile] = j.encode()
	for i, n := range names {
		f.Add(uint8(i), orig[n])
	}
	f.Add(uint8(3), []byte(checkpointsFormat+"\n"))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		name := names[int(which)%len(names)]
		if name == pendingFile {
			p, err := parsePending("", data)
			if err == nil && !bytes.Equal(p.encode(), data) {
				t.Fatalf("journal %q parses but re-encodes as %q", data, p.encode())
			}
			return
		}
		files := map[string][]byte{}
		for k, v := range orig {
			files[k] = v
		}
		files[name] = data
		st, err := parseState("", files[keyFile], [3][]byte{files[entriesFile], files[hashesFile], files[checkpointsFile]})
		if err != nil {
			return
		}
		if err := verifyState("", st); err != nil {
			return
		}
		if !bytes.Equal(data, orig[name]) {
			t.Fatalf("%s altered to %q still verifies", name, data)
		}
	})
}

// FuzzVerifyProof: arbitrary proof files never panic, and one that verifies
// against the ledger's key is for an entry of that ledger.
func FuzzVerifyProof(f *testing.F) {
	_, _, l := newLedger(f)
	for i := 0; i < 4; i++ {
		mustAppend(f, l, release(i))
	}
	key := l.VerifierKey()
	good := map[string]bool{}
	for i := 0; i < 4; i++ {
		p, err := l.Prove(release(i).ID)
		if err != nil {
			f.Fatal(err)
		}
		good[p.Entry] = true
		b, _ := json.Marshal(p)
		f.Add(b)
	}
	f.Add([]byte(`{"format":"huella ledger proof v1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Proof
		if json.Unmarshal(data, &p) != nil {
			return
		}
		if VerifyProof(&p, key) != nil {
			return
		}
		if !good[p.Entry] {
			t.Fatalf("a proof of %q, which is not in the ledger, verifies", p.Entry)
		}
	})
}
