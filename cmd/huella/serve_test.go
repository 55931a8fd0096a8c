package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// huellaRun runs one command line in-process.
func huellaRun(t *testing.T, dir, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "HUELLA_DIR" {
			return dir
		}
		return ""
	}}
	code := m.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

// TestServeCheck publishes a case and checks CURPs against the served
// workspace with "huella check", as a person would.
func TestServeCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ws")
	if _, e, code := huellaRun(t, dir, "", "init"); code != 0 {
		t.Fatalf("init: %s", e)
	}
	id := "a1-00000000000000000000abcd"
	cd := filepath.Join(dir, "cases", id)
	os.MkdirAll(cd, 0o755)
	os.WriteFile(filepath.Join(cd, "affected.csv"), []byte("curp\nPEGL890909MJCRMS08\nSABC560626MDFLRN01\n"), 0o600)
	if _, e, code := huellaRun(t, dir, "", "exposure", "publish", id); code != 0 {
		t.Fatalf("publish: %s", e)
	}
	srv, err := newServer(dir, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close()

	for _, tt := range []struct {
		curp    string
		exposed bool
	}{{"pegl890909mjcrms08", true}, {"SABC 560626 MDFLRN01", true}, {"HEGG560427MVZRRL04", false}} {
		out, e, code := huellaRun(t, dir, "", "check", "--server", ts.URL, "--curp", tt.curp, "--json")
		if code != 0 {
			t.Fatalf("check %s: exit %d: %s", tt.curp, code, e)
		}
		var res struct {
			Exposed bool     `json:"exposed"`
			Cases   []string `json:"cases"`
			Checked []string `json:"checked"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("check output %q: %v", out, err)
		}
		if res.Exposed != tt.exposed || len(res.Checked) != 1 || res.Checked[0] != id {
			t.Errorf("check %s: %+v, want exposed %v", tt.curp, res, tt.exposed)
		}
	}
	out, _, _ := huellaRun(t, dir, "", "check", "--server", ts.URL, "--curp", "PEGL890909MJCRMS08", "--case", id)
	if !strings.Contains(out, "exposed: the CURP is in 1 of 1 published leaks") {
		t.Errorf("check text output: %q", out)
	}
	if _, e, code := huellaRun(t, dir, "", "check", "--server", ts.URL, "--curp", "PEGL890909MJCRMS08", "--case", "a1-other"); code == 0 || !strings.Contains(e, "not published") {
		t.Errorf("check of an unpublished case: exit %d, %s", code, e)
	}

	// The server's other pages answer and ask for a login.
	for path, want := range map[string]int{"/healthz": 200, "/check": 200, "/cases": 401, "/ledger": 401} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %s, want %d", path, resp.Status, want)
		}
	}
}
