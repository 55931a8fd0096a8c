package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/huella/huella/internal/register"
)

// The child side of TestKillMidLoad: load one file into the store, telling
// the parent on stdout how far it got.
func TestFaultChild(t *testing.T) {
	dir, file, mode := os.Getenv("HUELLA_FAULT_STORE"), os.Getenv("HUELLA_FAULT_FILE"), os.Getenv("HUELLA_FAULT_MODE")
	if dir == "" {
		t.Skip("run by TestKillMidLoad")
	}
	st, err := Open(dir, register.INE())
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	if mode == "ingest" {
		testHookBeforeIngest = func() {
			fmt.Println("tables written")
			time.Sleep(time.Minute)
		}
	}
	_, err = st.Load(context.Background(), []LoadInput{{Path: file}}, func(rows int64) {
		fmt.Println("rows", rows)
		if mode == "reading" && rows >= 4*batchRows {
			time.Sleep(time.Minute)
		}
	})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	st.Close()
	fmt.Println("done")
	os.Exit(0)
}

// TestKillMidLoad kills a loading process with SIGKILL (while reading, just
// before the ingest, and at random instants) and checks that the reopened
// store is exactly as before the load (or, for a random kill that landed
// after the commit, exactly as after it) and still loads.
func TestKillMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	p1, p2, _, _ := twoSnapshots(t, dir, 12000)

	// The two states a load may leave: before and after.
	st, path := newStore(t)
	if _, err := st.Load(context.Background(), []LoadInput{{Path: p1}}, nil); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, st)
	st.Close()
	saved := filepath.Join(dir, "saved")
	if err := os.CopyFS(saved, os.DirFS(path)); err != nil {
		t.Fatal(err)
	}
	ref, _ := newStore(t)
	for _, p := range []string{p1, p2} {
		if _, err := ref.Load(context.Background(), []LoadInput{{Path: p}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	after := fingerprint(t, ref)

	rng := rand.New(rand.NewPCG(1, 2))
	for _, mode := range []string{"reading", "ingest", "random"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestFaultChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), "HUELLA_FAULT_STORE="+path, "HUELLA_FAULT_FILE="+p2, "HUELLA_FAULT_MODE="+mode)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			var last string
			switch mode {
			case "random":
				time.AfterFunc(time.Duration(rng.IntN(800))*time.Millisecond, func() { cmd.Process.Signal(syscall.SIGKILL) })
			default:
				want := map[string]string{"reading": fmt.Sprintf("rows %d", 4*batchRows), "ingest": "tables written"}[mode]
				for sc.Scan() {
					last = sc.Text()
					if strings.HasPrefix(last, "error") {
						t.Fatal(last)
					}
					if last == want {
						break
					}
				}
				if last != want {
					t.Fatalf("child ended at %q before %q", last, want)
				}
				cmd.Process.Signal(syscall.SIGKILL)
			}
			for sc.Scan() {
				last = sc.Text()
			}
			cmd.Wait()
			if strings.HasPrefix(last, "error") {
				t.Fatal(last)
			}
			st, err := Open(path, register.INE())
			if err != nil {
				t.Fatalf("reopen after kill: %v", err)
			}
			defer st.Close()
			if left, _ := filepath.Glob(filepath.Join(path, "tmp", "*")); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
			got := fingerprint(t, st)
			switch {
			case got == before:
				// Still loadable: load the file for real, then undo nothing.
				if _, err := st.Load(context.Background(), []LoadInput{{Path: p2}}, nil); err != nil {
					t.Fatalf("load after kill: %v", err)
				}
				if fingerprint(t, st) != after {
					t.Fatalf("load after kill gives another store")
				}
			case got == after && (mode == "random" || last == "done"):
				t.Logf("the kill came after the commit (last line %q)", last)
			default:
				t.Fatalf("store after a kill (%s, last line %q) is neither the state before nor after the load", mode, last)
			}
			// Back to the state before for the next round.
			st.Close()
			os.RemoveAll(path)
			if err := os.CopyFS(path, os.DirFS(saved)); err != nil {
				t.Fatal(err)
			}
		})
	}
}
