package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huella/huella/internal/server"
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
	ts := testServer(t, dir)

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

// webClient is a logged-in browser for HTTP-level tests.
type webClient struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func webLogin(t *testing.T, base, user, password string) *webClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &webClient{t: t, base: base, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, page := c.get("/login")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("login page without a CSRF token: %s", page)
	}
	resp, err := c.hc.PostForm(base+"/login", url.Values{"csrf": {m[1]}, "user": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %s", user, resp.Status)
	}
	return c
}

func (c *webClient) get(path string) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.hc.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestServeReleasesFromCLI: releases written by "huella release --out" are
// listed on the Releases page with the state of their file, and a custodian
// downloads one only while its bytes are the ledger's.
func TestServeReleasesFromCLI(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "ws")
	run := func(stdin string, args ...string) string {
		t.Helper()
		out, e, code := huellaRun(t, dir, stdin, args...)
		if code != 0 {
			t.Fatalf("huella %s: exit %d: %s", strings.Join(args, " "), code, e)
		}
		return strings.TrimSpace(out)
	}
	run("", "init")
	run("", "synth", "--people", "300", "--seed", "7", "--start", "2017-01-01", "--end", "2018-12-31", "--snapshots", "2018-12-31", "--out", filepath.Join(tmp, "syn"))
	run("", "load", filepath.Join(tmp, "syn", "history.csv"))
	ids := map[string]string{}
	files := map[string]string{}
	for _, name := range []string{"kept", "gone", "edited", "touched"} {
		files[name] = filepath.Join(tmp, "out", name+".csv")
		os.MkdirAll(filepath.Dir(files[name]), 0o755)
		ids[name] = run("", "release", "--recipient", "PARTIDO "+strings.ToUpper(name), "--as-of", "2018-06-01", "--out", files[name])
	}
	// A release whose location was never recorded (as before this existed).
	ids["old"] = run("", "release", "--recipient", "PARTIDO OLD", "--as-of", "2018-06-01", "--out", filepath.Join(tmp, "out", "old.csv"))
	os.Remove(releaseLocationPath(dir, ids["old"]))
	run("correct horse battery\n", "user", "add", "cato", "--role", "custodian")
	run("correct horse battery\n", "user", "add", "vera", "--role", "viewer")

	os.Remove(files["gone"])
	b, _ := os.ReadFile(files["edited"])
	os.WriteFile(files["edited"], append(b, "X\n"...), 0o644)

	ts := testServer(t, dir)

	cust := webLogin(t, ts.URL, "cato", "correct horse battery")
	resp, page := cust.get("/releases")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /releases: %s", resp.Status)
	}
	for name, state := range map[string]string{"kept": "available", "touched": "available", "gone": "missing", "edited": "changed", "old": "not-kept"} {
		row := regexp.MustCompile(`(?s)<code>` + ids[name] + `</code>.*?data-state="([a-z-]*)"`).FindStringSubmatch(page)
		if row == nil || row[1] != state {
			t.Errorf("release %s (%s) on the page: %v, want state %s", name, ids[name], row, state)
		}
		if has := strings.Contains(page, "/releases/"+ids[name]+"/download"); has != (state == "available") {
			t.Errorf("release %s (%s): download link shown %v", name, state, has)
		}
	}

	// The kept file downloads byte for byte; the others are refused.
	resp, body := cust.get("/releases/" + ids["kept"] + "/download")
	want, _ := os.ReadFile(files["kept"])
	if resp.StatusCode != 200 || body != string(want) || resp.Header.Get("Content-Length") != strconv.Itoa(len(want)) {
		t.Errorf("download kept: %s, %d bytes (Content-Length %s), want %d", resp.Status, len(body), resp.Header.Get("Content-Length"), len(want))
	}
	for name, code := range map[string]int{"gone": 404, "edited": 409, "old": 404, "nope": 404} {
		id := ids[name]
		if id == "" {
			id = "rel-0000000000000000"
		}
		if resp, _ := cust.get("/releases/" + id + "/download"); resp.StatusCode != code {
			t.Errorf("download %s: %s, want %d", name, resp.Status, code)
		}
	}

	// Changed after it was listed, same size and time: the download breaks
	// before its last bytes instead of delivering a wrong file.
	fi, _ := os.Stat(files["touched"])
	b, _ = os.ReadFile(files["touched"])
	b[0] ^= 1
	os.WriteFile(files["touched"], b, 0o644)
	os.Chtimes(files["touched"], fi.ModTime(), fi.ModTime())
	r2, err := cust.hc.Get(ts.URL + "/releases/" + ids["touched"] + "/download")
	if err == nil {
		got, rerr := io.ReadAll(r2.Body)
		t.Logf("changed file: %s, %d bytes, %v", r2.Status, len(got), rerr)
		r2.Body.Close()
		if rerr == nil && r2.StatusCode == 200 {
			t.Errorf("a file changed after listing was served whole (%d bytes, first byte %q)", len(got), got[:1])
		}
		if r2.StatusCode == 200 && len(got) >= len(b) {
			t.Errorf("got %d of %d bytes of a changed file", len(got), len(b))
		}
	}

	// Viewers see the list but may not download.
	view := webLogin(t, ts.URL, "vera", "correct horse battery")
	if resp, page := view.get("/releases"); resp.StatusCode != 200 || !strings.Contains(page, ids["kept"]) || strings.Contains(page, "/download") {
		t.Errorf("viewer's /releases: %s, download links shown: %v", resp.Status, strings.Contains(page, "/download"))
	}
	if resp, _ := view.get("/releases/" + ids["kept"] + "/download"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer downloading: %s, want 403", resp.Status)
	}
}

// TestFileSumsBackground: big files are hashed in the background and shown
// as being checked meanwhile; a change is noticed by size and time.
func TestFileSumsBackground(t *testing.T) {
	p := filepath.Join(t.TempDir(), "copy.csv")
	os.WriteFile(p, []byte("curp,nombre\nA,B\n"), 0o644)
	sum := sha256.Sum256([]byte("curp,nombre\nA,B\n"))
	want := hex.EncodeToString(sum[:])
	c := newFileSums(4) // everything is "big"
	wait := func(w string) {
		t.Helper()
		var st string
		for range 500 {
			var err error
			if st, _, err = c.check(p, want); err != nil {
				t.Fatal(err)
			}
			if st == w {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("state %s, want %s", st, w)
	}
	if st, size, _ := c.check(p, want); st != server.ReleaseChecking || size != 16 {
		t.Fatalf("first look at a big file: %s (%d bytes), want checking", st, size)
	}
	wait(server.ReleaseAvailable)
	os.WriteFile(p, []byte("curp,nombre\nA,C\nD,E\n"), 0o644)
	wait(server.ReleaseChanged)
	os.Remove(p)
	wait(server.ReleaseMissing)

	small := newFileSums(1 << 20)
	os.WriteFile(p, []byte("curp,nombre\nA,B\n"), 0o644)
	if st, _, _ := small.check(p, want); st != server.ReleaseAvailable {
		t.Errorf("small file: %s, want available at once", st)
	}
}

// testServer serves the workspace at dir on a loopback test server, closed
// (with the server) when the test ends.
func testServer(t *testing.T, dir string) *httptest.Server {
	t.Helper()
	srv, err := newServer(dir, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return ts
}
