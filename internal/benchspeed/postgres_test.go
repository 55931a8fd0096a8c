package benchspeed

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestPostgres starts a throw-away cluster, COPYs a small file into a table
// and joins it; skipped when PostgreSQL 15 is not installed.
func TestPostgres(t *testing.T) {
	bin, err := FindPostgres("")
	if errors.Is(err, ErrNoPostgres) {
		t.Skip(err)
	}
	dir, err := os.MkdirTemp("", "huella-benchspeed-pg-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pg, err := StartPostgres(ctx, bin, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := pg.Stop(); err != nil {
			t.Error(err)
		}
	}()
	csv := filepath.Join(dir, "r.csv")
	if err := os.WriteFile(csv, []byte("curp,nombre\nAAAA000000HDFXXX01,\"ANA, MARIA\"\nBBBB000000HDFXXX02,LUIS\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := pg.CanRead(csv); err != nil {
		t.Fatal(err)
	}
	run, err := pg.Exec(ctx,
		"BEGIN",
		"CREATE TABLE r (curp text, nombre text)",
		"COPY r FROM '"+csv+"' WITH (FORMAT csv, HEADER true)",
		"CREATE INDEX r_curp ON r (curp)",
		"COMMIT",
		"SELECT count(*), min(a.nombre) FROM r a JOIN r b USING (curp)",
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Statements) != 6 {
		t.Errorf("timings: got %d, want 6", len(run.Statements))
	}
	if len(run.Rows) != 1 || len(run.Rows[0]) != 2 || run.Rows[0][0] != "2" || run.Rows[0][1] != "ANA, MARIA" {
		t.Errorf("rows: got %q, want [[2 ANA, MARIA]]", run.Rows)
	}
	if run.BackendHWM <= 0 {
		t.Errorf("backend peak RSS not read: %v", run.BackendHWM)
	}
}
