package main

import (
	"bytes"
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"time"
)

// TestStatsReadOnly: huella stats leaves every file of the workspace as it
// was (names, sizes, modification times; Pebble's empty LOCK aside): it
// opens the store read-only.
func TestStatsReadOnly(t *testing.T) {
	root := t.TempDir()
	ws := filepath.Join(root, "ws")
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		m := &Main{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
		if code := m.Run(context.Background(), args); code != ExitOK {
			t.Fatalf("huella %v: exit %d\n%s%s", args, code, out.String(), errb.String())
		}
		return out.String()
	}
	run("init", "--dir", ws)
	syn := filepath.Join(root, "syn")
	run("synth", "--people", "200", "--seed", "7", "--start", "2017-01-01", "--end", "2018-12-31", "--snapshots", "2018-12-31", "--out", syn)
	run("load", "--dir", ws, filepath.Join(syn, "history.csv"))

	type info struct {
		size  int64
		mtime time.Time
	}
	snapshot := func() map[string]info {
		m := map[string]info{}
		err := filepath.WalkDir(ws, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			m[path] = info{fi.Size(), fi.ModTime()}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := snapshot()
	time.Sleep(20 * time.Millisecond) // a changed file gets a later mtime
	if out := run("stats", "--dir", ws); !bytes.Contains([]byte(out), []byte("people:")) {
		t.Fatalf("stats printed %q", out)
	}
	run("stats", "--dir", ws, "--json")
	after := snapshot()
	for path, b := range before {
		a, ok := after[path]
		switch {
		case !ok:
			t.Errorf("stats removed %s", path)
		case filepath.Base(path) == "LOCK" && a.size == b.size:
			// Pebble recreates its lock file (empty) at every open, even
			// read-only, as release and analyze do.
		case a != b:
			t.Errorf("stats changed %s: %d bytes at %s, was %d at %s", path, a.size, a.mtime, b.size, b.mtime)
		}
	}
	for path := range after {
		if _, ok := before[path]; !ok {
			t.Errorf("stats made %s", path)
		}
	}
}
