package ledger

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"golang.org/x/mod/sumdb/tlog"
)

var cliFixture = flag.String("cli-fixture", "", "rewrite the files of this testscript `txtar` with a fresh 3-entry ledger workspace")

// TestCLIFixture writes the workspace that cmd/huella's ledger_entries script
// runs on: a ledger of three synthetic entries, another ledger's key, and the
// entries file with one entry altered.
func TestCLIFixture(t *testing.T) {
	if *cliFixture == "" {
		t.Skip("only with -cli-fixture")
	}
	root := t.TempDir()
	dir, keyPath := filepath.Join(root, "ledger"), filepath.Join(root, "ledger.key")
	if err := Create(dir, keyPath, "huella-ledger"); err != nil {
		t.Fatal(err)
	}
	l, err := Open(dir, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []string{"PRI", "PAN"} {
		e := release(i)
		e.ID, e.Recipient, e.Rows = "r-2018-"+strings.ToLower(p), p, 1000
		mustAppend(t, l, e)
	}
	mustAppend(t, l, Entry{ID: "a-0001", Kind: KindAnalysis, Time: "2026-11-27T02:00:00Z", Rows: 1000,
		SHA256: strings.Repeat("5e", 32), Details: []byte(`{"verdict":"ours"}`)})
	l.Close()
	if err := Create(filepath.Join(root, "other"), filepath.Join(root, "other.key"), "other-ledger"); err != nil {
		t.Fatal(err)
	}

	read := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	entries := read("ledger/entries")
	// The ledger as it was before its last append.
	cutLines := func(b []byte, n int) []byte {
		lines := strings.SplitAfter(string(b), "\n")
		return []byte(strings.Join(lines[:n], ""))
	}
	tampered := strings.Replace(string(entries), `"recipient":"PAN"`, `"recipient":"PRD"`, 1)
	a, err := txtar.ParseFile(*cliFixture)
	if err != nil {
		t.Fatal(err)
	}
	a.Files = []txtar.File{
		{Name: "ws/huella.json", Data: []byte(`{"format":"huella workspace v1","created":"2026-11-27T00:00:00Z"}` + "\n")},
		{Name: "ws/keys/ledger.key", Data: read("ledger.key")},
		{Name: "ws/ledger/key.pub", Data: read("ledger/key.pub")},
		{Name: "ws/ledger/entries", Data: entries},
		{Name: "ws/ledger/hashes", Data: read("ledger/hashes")},
		{Name: "ws/ledger/checkpoints", Data: read("ledger/checkpoints")},
		{Name: "other/key.pub", Data: read("other/key.pub")},
		{Name: "tampered/entries", Data: []byte(tampered)},
		{Name: "cut/entries", Data: cutLines(entries, 1+2)},
		{Name: "cut/hashes", Data: cutLines(read("ledger/hashes"), 1+int(tlog.StoredHashCount(2)))},
		{Name: "cut/checkpoints", Data: cutLines(read("ledger/checkpoints"), 1+3*linesPerCheckpoint)},
	}
	if err := os.WriteFile(*cliFixture, txtar.Format(a), 0o644); err != nil {
		t.Fatal(err)
	}
}
