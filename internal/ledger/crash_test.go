package ledger

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/huella/huella/internal/atomicfile"
)

var errCrash = errors.New("simulated crash")

// appendSteps are the points of an append where testHook is called, in order.
var appendSteps = []string{
	"pending",
	"entries-torn", "entries",
	"hashes-torn", "hashes",
	"checkpoints-torn", "checkpoints",
	"committed",
}

// crashAt makes the next append stop dead at step.
func crashAt(t *testing.T, step string) {
	testHook = func(s string) error {
		if s == step {
			return errCrash
		}
		return nil
	}
	t.Cleanup(func() { testHook = nil })
}

// wantState opens dir and checks it holds entries 0..n-1 and verifies.
func wantState(t *testing.T, dir, keyPath string, n int) {
	t.Helper()
	l, err := Open(dir, keyPath)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer l.Close()
	es, _ := l.Entries()
	if len(es) != n {
		t.Fatalf("%d entries after reopen, want %d", len(es), n)
	}
	for i, e := range es {
		if e.ID != release(i).ID {
			t.Fatalf("entry %d is %q", i, e.ID)
		}
	}
	if err := l.Verify(); err != nil {
		t.Fatalf("verify after reopen: %v", err)
	}
}

// TestCrashDuringAppend stops an append at every step, as a crash would
// (journal and torn files left behind), and checks that the ledger reopens
// as the old one (or, once committed, the new one), read-only without
// repairing and for writing with repair, and takes appends again.
func TestCrashDuringAppend(t *testing.T) {
	for _, step := range appendSteps {
		t.Run(step, func(t *testing.T) {
			dir, keyPath, l := newLedger(t)
			for i := 0; i < 3; i++ {
				mustAppend(t, l, release(i))
			}
			crashAt(t, step)
			if _, err := l.Append(release(3)); !errors.Is(err, errCrash) {
				t.Fatalf("append: %v", err)
			}
			testHook = nil
			want := 3
			if step == "committed" {
				want = 4
			}
			_, journal := os.Stat(filepath.Join(dir, pendingFile))
			if (journal == nil) != (step != "committed") {
				t.Fatalf("journal present: %v", journal == nil)
			}
			wantState(t, dir, "", want) // read-only: ignores the torn tail
			if _, err := os.Stat(filepath.Join(dir, pendingFile)); (err == nil) != (step != "committed") {
				t.Fatal("a read-only open changed the journal")
			}
			wantState(t, dir, keyPath, want) // for writing: rolls back
			if _, err := os.Stat(filepath.Join(dir, pendingFile)); err == nil {
				t.Fatal("journal still there after a writing open")
			}
			// The abandoned handle notices and repairs too.
			if got := mustAppend(t, l, release(want)); got != int64(want) {
				t.Fatalf("append after crash: index %d", got)
			}
			wantState(t, dir, "", want+1)
		})
	}
}

// TestCommitSyncFails: when the folder cannot be synced after the journal
// is removed, the entry is committed all the same; Append says so with
// ErrCommittedNotSynced and the entry's index, and the handle knows it.
func TestCommitSyncFails(t *testing.T) {
	dir, keyPath, l := newLedger(t)
	mustAppend(t, l, release(0))
	errSync := errors.New("simulated fsync failure")
	syncDir = func(string) error { return errSync }
	t.Cleanup(func() { syncDir = atomicfile.SyncDir })
	i, err := l.Append(release(1))
	syncDir = atomicfile.SyncDir
	if !errors.Is(err, ErrCommittedNotSynced) || !errors.Is(err, errSync) || i != 1 {
		t.Fatalf("append = %d, %v; want index 1 and ErrCommittedNotSynced", i, err)
	}
	if _, n, err := l.Find(release(1).ID); err != nil || n != 1 || l.Size() != 2 {
		t.Fatalf("find after a committed append: %d, %v (size %d)", n, err, l.Size())
	}
	if got := mustAppend(t, l, release(2)); got != 2 {
		t.Fatalf("next append: index %d", got)
	}
	wantState(t, dir, keyPath, 3)
}

// TestCrashLeftovers: a temporary journal that never got renamed is removed;
// a journal that does not match the files is refused, not applied.
func TestCrashLeftovers(t *testing.T) {
	dir, keyPath, l := newLedger(t)
	mustAppend(t, l, release(0))
	l.Close()
	tmp := filepath.Join(dir, ".pending.tmp123")
	os.WriteFile(tmp, []byte("huella ledger pen"), 0o644)
	wantState(t, dir, keyPath, 1)
	if _, err := os.Stat(tmp); err == nil {
		t.Error("temporary journal left in place")
	}

	fi, _ := os.Stat(filepath.Join(dir, entriesFile))
	j := &pendingJournal{size: [3]int64{fi.Size() + 10, 0, 0}, add: [3][]byte{[]byte("x"), nil, nil}}
	os.WriteFile(filepath.Join(dir, pendingFile), j.encode(), 0o644)
	if _, err := Open(dir, keyPath); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open with a journal that does not fit: %v", err)
	}
	if _, err := Open(dir, ""); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("read-only open with a journal that does not fit: %v", err)
	}
	os.WriteFile(filepath.Join(dir, pendingFile), []byte("garbage\n"), 0o644)
	if _, err := Open(dir, keyPath); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open with a garbage journal: %v", err)
	}
}

// TestHelperProcess is not a test: the tests below run the test binary as a
// separate process that appends to a ledger (and may kill itself).
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("HUELLA_LEDGER_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	key := os.Getenv("HUELLA_LEDGER_KEY")
	prefix := os.Getenv("HUELLA_LEDGER_PREFIX")
	count, _ := strconv.Atoi(os.Getenv("HUELLA_LEDGER_COUNT"))
	if step := os.Getenv("HUELLA_LEDGER_KILL_AT"); step != "" {
		testHook = func(s string) error {
			if s == step {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
			return nil
		}
	}
	l, err := Open(dir, key)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < count; i++ {
		if _, err := l.Append(Entry{ID: fmt.Sprintf("%s-%03d", prefix, i), Kind: KindRelease, Recipient: prefix}); err != nil {
			t.Fatal(err)
		}
	}
}

func helper(dir, key, prefix string, count int, killAt string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(),
		"HUELLA_LEDGER_DIR="+dir, "HUELLA_LEDGER_KEY="+key, "HUELLA_LEDGER_PREFIX="+prefix,
		"HUELLA_LEDGER_COUNT="+strconv.Itoa(count), "HUELLA_LEDGER_KILL_AT="+killAt)
	return cmd
}

// TestKill9 kills a process with SIGKILL in the middle of an append, at each
// step, and checks the ledger is the old one afterwards.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for _, step := range []string{"pending", "entries-torn", "hashes", "checkpoints-torn", "checkpoints"} {
		t.Run(step, func(t *testing.T) {
			dir, keyPath, l := newLedger(t)
			mustAppend(t, l, release(0))
			out, err := helper(dir, keyPath, "k", 1, step).CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("helper was not killed: %v\n%s", err, out)
			}
			wantState(t, dir, keyPath, 1)
			mustAppend(t, l, release(1))
			wantState(t, dir, "", 2)
		})
	}
}

// TestConcurrentAppends: goroutines and processes appending at once all land,
// each one's entries in the order it appended them, and the ledger verifies.
func TestConcurrentAppends(t *testing.T) {
	dir, keyPath, l := newLedger(t)
	const perWriter = 12

	// Two processes and three goroutines of this process, all at once.
	var procs []*exec.Cmd
	outs := make([]strings.Builder, 2)
	if !testing.Short() {
		for i, p := range []string{"procA", "procB"} {
			cmd := helper(dir, keyPath, p, perWriter, "")
			cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			procs = append(procs, cmd)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3*perWriter)
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := int64(-1)
			for i := 0; i < perWriter; i++ {
				id := fmt.Sprintf("go%d-%03d", g, i)
				n, err := l.Append(Entry{ID: id, Kind: KindAnalysis})
				if err != nil {
					errs <- err
					return
				}
				if n <= last {
					errs <- fmt.Errorf("%s got index %d after %d", id, n, last)
				}
				last = n
				if e, m, err := l.Find(id); err != nil || m != n || e.ID != id {
					errs <- fmt.Errorf("find %s: index %d, want %d: %v", id, m, n, err)
				}
			}
		}()
	}
	wg.Wait()
	for i, cmd := range procs {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i].String())
		}
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	r, err := Open(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Verify(); err != nil {
		t.Fatal(err)
	}
	es, _ := r.Entries()
	writers := 3 + len(procs)
	if len(es) != writers*perWriter {
		t.Fatalf("%d entries, want %d", len(es), writers*perWriter)
	}
	next := map[string]int{}
	var order strings.Builder
	for i, e := range es {
		if i > 0 && e.Time < es[i-1].Time {
			t.Errorf("entry %d (%s) at %s, before entry %d at %s", i, e.ID, e.Time, i-1, es[i-1].Time)
		}
		w, seq, _ := strings.Cut(e.ID, "-")
		order.WriteString(w[len(w)-1:])
		if want := fmt.Sprintf("%03d", next[w]); seq != want {
			t.Fatalf("writer %s: entry %s where %s-%s was due", w, e.ID, w, want)
		}
		next[w]++
	}
	t.Logf("writers in ledger order: %s", order.String())
	if len(next) != writers {
		t.Fatalf("entries from %d writers, want %d", len(next), writers)
	}
}
