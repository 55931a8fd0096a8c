package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "new" {
		t.Fatalf("content %q, %v", b, err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if err := Write(filepath.Join(dir, "missing", "f"), nil, 0o600); err == nil {
		t.Error("writing into a missing folder must fail")
	}
}

// TestAbort: a file aborted leaves the old one as it was and no temporary
// file; one committed replaces it.
func TestAbort(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "rows.csv")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(p, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half"))
	f.Abort()
	f.Abort()
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("after Abort: %q", b)
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Abort must fail")
	}
	g, err := Create(p, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	g.Write([]byte("whole"))
	if err := g.Commit(); err != nil {
		t.Fatal(err)
	}
	g.Abort() // no effect after Commit
	if b, _ := os.ReadFile(p); string(b) != "whole" {
		t.Fatalf("after Commit: %q", b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
