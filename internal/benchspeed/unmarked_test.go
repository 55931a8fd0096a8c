package benchspeed

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/huella/huella/internal/release"

	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/store"
	"github.com/huella/huella/internal/synth"
	"github.com/huella/huella/internal/workspace"
)

// TestWriteUnmarked loads a synthetic snapshot and checks that the
// unmarked copy as of its day holds exactly the snapshot's lines.
func TestWriteUnmarked(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	day := register.MustDate(cutDay)
	cfg := synth.Config{People: 2000, Seed: 3, Start: register.MustDate(synthStart), End: day, Snapshots: []register.Date{day}}
	if err := synth.WriteFiles(ctx, cfg, filepath.Join(dir, "synth"), nil); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(dir, "synth", synth.SnapshotFile(day))
	wsDir := filepath.Join(dir, "ws")
	ws, err := workspace.Init(wsDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Create(ws.StorePath(), ws.Schema()); err != nil {
		t.Fatal(err)
	}
	if err := ws.Finish(); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ws.StorePath(), ws.Schema())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(ctx, []store.LoadInput{{Path: snap}}, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	ws.Close()

	out := filepath.Join(dir, "plain.csv")
	rows, err := WriteUnmarked(ctx, wsDir, day, out)
	if err != nil {
		t.Fatal(err)
	}
	want := lines(t, snap)
	got := lines(t, out)
	if got[0] != want[0] {
		t.Errorf("header %q, want %q", got[0], want[0])
	}
	if int(rows) != len(want)-1 {
		t.Errorf("%d rows written, snapshot has %d", rows, len(want)-1)
	}
	slices.Sort(got[1:])
	slices.Sort(want[1:])
	if !slices.Equal(got, want) {
		t.Errorf("the unmarked copy differs from the snapshot (%d vs %d lines)", len(got), len(want))
	}
	if _, err := WriteUnmarked(ctx, wsDir, day, out); err == nil {
		t.Error("an existing output was overwritten")
	}
}

func lines(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestAppendCSV(t *testing.T) {
	for in, want := range map[string]string{"": "", "CALLE 5": "CALLE 5", "A,B": `"A,B"`, `DICE "HOLA"`: `"DICE ""HOLA"""`, " X": `" X"`} {
		if got := string(release.AppendCSV(nil, in)); got != want {
			t.Errorf("release.AppendCSV(%q) = %q, want %q", in, got, want)
		}
	}
}
