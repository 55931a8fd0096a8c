package store

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/synth"
)

// fileRows is a CSV file's data lines (header dropped), sorted, with fields
// joined by "|" as asOfRows does. Synth writes no quoted fields.
func fileRows(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for first := true; sc.Scan(); first = false {
		if !first {
			out = append(out, strings.ReplaceAll(sc.Text(), ",", "|"))
		}
	}
	slices.Sort(out)
	return out
}

// TestSynthRegister loads synth's history into one store and its snapshots
// into another: both give back each snapshot exactly as of its day.
func TestSynthRegister(t *testing.T) {
	cfg := synth.Config{People: 4000, Seed: 3, Start: register.MustDate("2020-01-01"), End: register.MustDate("2021-12-31"),
		Snapshots: []register.Date{register.MustDate("2020-06-30"), register.MustDate("2021-03-31"), register.MustDate("2021-12-31")}}
	dir := t.TempDir()
	if err := synth.WriteFiles(context.Background(), cfg, dir, nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hist, _ := newStore(t)
	hr, err := hist.Load(ctx, []LoadInput{{Path: filepath.Join(dir, synth.HistoryFile)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	snaps, _ := newStore(t)
	var in []LoadInput
	for _, d := range cfg.Snapshots {
		in = append(in, LoadInput{Path: filepath.Join(dir, synth.SnapshotFile(d))})
	}
	sr, err := snaps.Load(ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("history: %+v", hr[0])
	for i, r := range sr {
		t.Logf("snapshot: %+v", r)
		if r.InvalidCURP != 0 || r.InvalidClave != 0 {
			t.Errorf("%s: synth wrote invalid identifiers: %+v", r.File, r)
		}
		if i > 0 && (r.Changed == 0 || r.New == 0 || r.Removed == 0) {
			t.Errorf("%s: no churn seen: %+v", r.File, r)
		}
	}
	for _, d := range cfg.Snapshots {
		want := fileRows(t, filepath.Join(dir, synth.SnapshotFile(d)))
		if got := asOfRows(t, hist, d); !reflect.DeepEqual(got, want) {
			t.Errorf("history as of %s: %d rows, snapshot has %d", d, len(got), len(want))
		}
		if got := asOfRows(t, snaps, d); !reflect.DeepEqual(got, want) {
			t.Errorf("snapshots as of %s: %d rows, snapshot has %d", d, len(got), len(want))
		}
	}
}
