package ledger

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// smallLedger builds a closed ledger of 5 entries and returns its folder and
// key.
func smallLedger(t *testing.T) (dir, keyPath string) {
	t.Helper()
	dir, keyPath, l := newLedger(t)
	for i := 0; i < 5; i++ {
		mustAppend(t, l, release(i))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, keyPath
}

// detects returns nil when a ledger's files fail to parse or verify, as
// checkFails does for a read-only open, but in memory: the checks of Open
// and Verify without the file system and without Verify's second parse.
func detects(dir string, files map[string][]byte) error {
	st, err := parseState(dir, files[keyFile], [3][]byte{files[entriesFile], files[hashesFile], files[checkpointsFile]})
	if err == nil {
		err = verifyState(dir, st)
	}
	if err == nil {
		return errors.New("verify passed")
	}
	if !errors.Is(err, ErrCorrupt) {
		return errors.New("failed, but not as corruption: " + err.Error())
	}
	return nil
}

// checkFails opens dir (read-only, or with the key) and verifies it; one of
// the two must fail with ErrCorrupt.
func checkFails(dir, keyPath string) error {
	l, err := Open(dir, keyPath)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			return errors.New("open failed, but not as corruption: " + err.Error())
		}
		return nil
	}
	defer l.Close()
	err = l.Verify()
	if err == nil {
		return errors.New("verify passed")
	}
	if !errors.Is(err, ErrCorrupt) {
		return errors.New("verify failed, but not as corruption: " + err.Error())
	}
	return nil
}

// readLedger reads every file of a ledger folder.
func readLedger(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[de.Name()] = b
	}
	if len(files) != 4 {
		t.Fatalf("ledger holds %d files, expected 4", len(files))
	}
	return files
}

// TestTamperEveryByte flips every byte of every file of a 5-entry ledger
// (each byte XOR 0x01, and XOR 0x20 or 0x80 in turn) and checks that the
// ledger no longer opens or verifies. No byte is exempt: records are hashed
// as exact bytes, stored hashes are compared with their recomputation, and
// key.pub and checkpoints must equal their canonical re-encoding (which
// catches the spare bits of base64 padding and upper-case hex that the
// parsers alone would accept). Most flips are checked in memory; every 50th
// on disk through Open and Verify, with and without the key.
func TestTamperEveryByte(t *testing.T) {
	dir, keyPath := smallLedger(t)
	files := readLedger(t, dir)
	if st, err := parseState(dir, files[keyFile], [3][]byte{files[entriesFile], files[hashesFile], files[checkpointsFile]}); err != nil {
		t.Fatal(err)
	} else if err := verifyState(dir, st); err != nil {
		t.Fatal(err)
	}
	flips := 0
	for name, orig := range files {
		path := filepath.Join(dir, name)
		for off := range orig {
			for _, m := range []byte{0x01, []byte{0x20, 0x80}[off%2]} {
				b := append([]byte(nil), orig...)
				b[off] ^= m
				files[name] = b
				err := detects(dir, files)
				if err == nil && off%50 == 0 {
					if err = os.WriteFile(path, b, 0o644); err != nil {
						t.Fatal(err)
					}
					err = checkFails(dir, []string{"", keyPath}[off%100/50])
				}
				if err != nil {
					t.Errorf("%s: byte %d (%q) ^ 0x%02x: %v", name, off, orig[off], m, err)
				}
				flips++
			}
		}
		files[name] = orig
		if err := os.WriteFile(path, orig, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := Open(dir, keyPath)
	if err != nil {
		t.Fatalf("restored ledger: %v", err)
	}
	defer l.Close()
	if err := l.Verify(); err != nil {
		t.Fatalf("restored ledger: %v", err)
	}
	t.Logf("%d flips, all detected", flips)
}

// TestTamperTruncate cuts each file at every length: always detected (a crash
// cannot produce this without a journal, so it is not repaired).
func TestTamperTruncate(t *testing.T) {
	dir, keyPath := smallLedger(t)
	files := readLedger(t, dir)
	for name, orig := range files {
		path := filepath.Join(dir, name)
		for n := 0; n < len(orig); n++ {
			files[name] = orig[:n]
			err := detects(dir, files)
			if err == nil && n%50 == 0 {
				os.WriteFile(path, orig[:n], 0o644)
				err = checkFails(dir, keyPath)
			}
			if err != nil {
				t.Errorf("%s cut to %d of %d bytes: %v", name, n, len(orig), err)
			}
		}
		files[name] = orig
		os.WriteFile(path, orig, 0o644)
	}
}

// TestTamperWholeEntries rewrites the ledger consistently except for the
// signatures: an entry changed together with its hashes, or an entry removed
// with its hashes and checkpoint, is caught by the signed checkpoints.
func TestTamperWholeEntries(t *testing.T) {
	dir, keyPath := smallLedger(t)
	// A second ledger with entry 2 altered, same sizes: splice its entries
	// and hashes into the first, keep the first's checkpoints.
	d2, _, l2 := newLedger(t)
	for i := 0; i < 5; i++ {
		e := release(i)
		if i == 2 {
			e.Recipient = "PARTIDO-X"
		}
		mustAppend(t, l2, e)
	}
	l2.Close()
	for _, f := range []string{entriesFile, hashesFile} {
		b, _ := os.ReadFile(filepath.Join(d2, f))
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	if err := checkFails(dir, ""); err != nil {
		t.Fatalf("rewritten entry and hashes: %v", err)
	}
	if err := checkFails(dir, keyPath); err != nil {
		t.Fatalf("rewritten entry and hashes, opened for writing: %v", err)
	}
}

// TestVerifyMessages: the error names the file, the line and what is wrong.
func TestVerifyMessages(t *testing.T) {
	cases := []struct {
		name, file, from, to string
		want                 []string
	}{
		{"entry value", entriesFile, `"rows":1002`, `"rows":1009`, []string{"entries:4:", `entry 2 (id "r-0002") hashes to`, "checkpoints:19:", "checkpoint 3 signs tree hash"}},
		{"entry syntax", entriesFile, `"rows":1002`, `"rows" 1002`, []string{"entries:4:", "not a JSON entry"}},
		{"entry id duplicated", entriesFile, `"r-0002"`, `"r-0001"`, []string{"entries:4:", `id "r-0001" already used by the entry on line 3`}},
		{"key", keyFile, "huella-ledger+", "huella-ledgex+", []string{"key.pub:2:", "verifier key"}},
		{"format line", hashesFile, "hashes v1", "hashes v2", []string{"hashes:1:", "format line"}},
		{"checkpoint size", checkpointsFile, "\n3\n", "\n4\n", []string{"checkpoints:18:", "checkpoint 3 is for tree size 4"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := smallLedger(t)
			path := filepath.Join(dir, tc.file)
			b, _ := os.ReadFile(path)
			from, to := tc.from, tc.to
			nb := strings.Replace(string(b), from, to, 1)
			if nb == string(b) {
				t.Fatalf("%q not in %s", from, tc.file)
			}
			os.WriteFile(path, []byte(nb), 0o644)
			var err error
			l, err := Open(dir, "")
			if err == nil {
				err = l.Verify()
				l.Close()
			}
			if err == nil {
				t.Fatal("verified")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}
