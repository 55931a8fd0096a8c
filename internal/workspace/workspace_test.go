package workspace

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/huella/huella/internal/register"
)

func TestInitOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ws")
	w, err := Init(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	fi, err := os.Stat(w.FingerprintKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("fingerprint key mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := Init(dir, nil); err == nil {
		t.Error("a second Init in the same folder must fail")
	}
	w, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	k, err := w.FingerprintKey()
	if err != nil || len(k) != 32 {
		t.Fatalf("key: %v (%d bytes)", err, len(k))
	}
	if w.Schema().Index(register.FCURP) != 1 {
		t.Error("schema not restored")
	}
	if f, ok := w.Profile("partido"); !ok || len(f) != 4 {
		t.Errorf("profile partido = %v", f)
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(t.TempDir())
	if !errors.Is(err, ErrNotInitialised) {
		t.Fatalf("err = %v, want ErrNotInitialised", err)
	}
}

// TestLockSerialises checks that a second Open waits for the first Close.
func TestLockSerialises(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ws")
	w, err := Init(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	a, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *Workspace)
	go func() {
		b, err := Open(dir)
		if err != nil {
			t.Error(err)
		}
		got <- b
	}()
	select {
	case <-got:
		t.Fatal("second Open did not wait for the lock")
	case <-time.After(200 * time.Millisecond):
	}
	a.Close()
	b := <-got
	if b != nil {
		b.Close()
	}
}

// TestInterruptedInit: a workspace whose init stopped half way is refused
// by Open, and made again by the next Init (it held nothing yet).
func TestInterruptedInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ws")
	w, err := Init(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	// the store's step was cut short: half a store, no ledger
	if err := os.MkdirAll(filepath.Join(w.StorePath(), "half"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrNotInitialised) {
		t.Fatalf("Open of an unfinished init: %v, want ErrNotInitialised", err)
	}
	w, err = Init(dir, nil)
	if err != nil {
		t.Fatalf("Init after an unfinished init: %v", err)
	}
	if _, err := os.Stat(w.StorePath()); !os.IsNotExist(err) {
		t.Errorf("the half store is still there: %v", err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	w, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := Init(dir, nil); err == nil {
		t.Error("Init over a finished workspace must fail")
	}
}
