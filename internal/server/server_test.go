package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huella/huella/internal/exposure"
	"github.com/huella/huella/internal/exposure/client"
	"github.com/huella/huella/internal/report"
)

// The tests use in-memory Releases and Ledger and an analyser that files
// uploaded CURP lists as cases: they exercise the server, not the analysis.
// cmd/huella wires the real packages.

type memReleases struct {
	mu   sync.Mutex
	list []Release
	data map[string]string
}

func (m *memReleases) List(ctx context.Context) ([]Release, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Release(nil), m.list...), nil
}

func (m *memReleases) Issue(ctx context.Context, req IssueRequest) (Release, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		m.data = map[string]string{}
	}
	r := Release{ID: fmt.Sprintf("r%d", len(m.list)+1), Recipient: req.Recipient, Profile: req.Profile, AsOf: req.AsOf, Rows: 2, File: "copy.csv", State: ReleaseAvailable}
	m.list = append(m.list, r)
	m.data[r.ID] = "nombre\nJUAN\nANA\n"
	return r, nil
}

func (m *memReleases) Open(ctx context.Context, id string) (io.ReadCloser, Release, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.list {
		if r.ID == id {
			return io.NopCloser(strings.NewReader(m.data[id])), r, nil
		}
	}
	return nil, Release{}, ErrNotFound
}

type memLedger struct{}

func (memLedger) Entries(ctx context.Context) ([]LedgerEntry, error) {
	return []LedgerEntry{{Index: 0, ID: "r1", Kind: "release", Time: "2026-01-01T00:00:00Z", Summary: "r1 to PARTIDO A", Hash: "ab"}}, nil
}
func (memLedger) Verify(ctx context.Context) (string, error) { return "huella ledger\n1\nROOT=\n", nil }
func (memLedger) Prove(ctx context.Context, id string) (string, error) {
	if id != "r1" {
		return "", ErrNotFound
	}
	return "proof of 0", nil
}

// curpListAnalyzer files an uploaded list of CURPs (one a line) as a case
// whose affected people are those CURPs, all in entidad 09.
func curpListAnalyzer(dir string) Analyzer {
	return func(ctx context.Context, path, name string, progress func(string, int64, int64)) (string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		var curps []string
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if c := strings.TrimSpace(sc.Text()); c != "" {
				curps = append(curps, c)
			}
			progress("reading", int64(len(curps)), 0)
		}
		id := "a1-" + report.SHA256(b)[:24]
		r := &report.Report{Format: report.Format, AnalysisID: id, Input: report.Input{Name: name, SHA256: report.SHA256(b), Rows: len(curps)},
			Verdict: report.Ours, VerdictReason: "test", AttributionStatus: report.StatusInconclusive,
			Affected: report.Affected{People: len(curps), ByEntidad: map[string]int{"09": len(curps)}}}
		js, _ := json.Marshal(r)
		cd := report.CaseDir(dir, id)
		if err := report.WriteFile(filepath.Join(cd, "report.json"), js, 0o644); err != nil {
			return "", err
		}
		if err := report.WriteFile(filepath.Join(cd, "affected.csv"), report.AffectedCSV(curps), 0o600); err != nil {
			return "", err
		}
		return id, nil
	}
}

type testEnv struct {
	t   *testing.T
	dir string
	srv *Server
	ts  *httptest.Server
}

func newTestEnv(t *testing.T, mod func(*Config)) *testEnv {
	t.Helper()
	dir := t.TempDir()
	cfg := Config{Dir: dir, Releases: &memReleases{}, Ledger: memLedger{}, Analyze: curpListAnalyzer(dir)}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() { ts.Close(); s.Close() })
	u := OpenUsers(dir)
	for name, role := range map[string]Role{"vera": RoleViewer, "ines": RoleInvestigator, "cato": RoleCustodian} {
		if err := u.Set(name, role, "password-"+name); err != nil {
			t.Fatal(err)
		}
	}
	return &testEnv{t: t, dir: dir, srv: s, ts: ts}
}

// client is a browser-like client: cookies, no automatic redirects.
type browser struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

func (e *testEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, base: e.ts.URL, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(method, path string, form url.Values, hdr map[string]string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if m := csrfRe.FindSubmatch(rb); m != nil && !strings.HasPrefix(path, "/login") {
		b.csrf = string(m[1])
	}
	return resp, string(rb)
}

func (b *browser) login(user string) {
	b.t.Helper()
	_, page := b.do("GET", "/login", nil, nil)
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatal("login page has no CSRF token")
	}
	resp, _ := b.do("POST", "/login", url.Values{"csrf": {m[1]}, "user": {user}, "password": {"password-" + user}, "next": {"/cases"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cases" {
		b.t.Fatalf("login %s: %s to %q", user, resp.Status, resp.Header.Get("Location"))
	}
	b.do("GET", "/cases", nil, nil) // picks up the session's CSRF token
}

// concrete turns a route pattern into a request path.
func concrete(pattern string) (method, path string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern+"no/such/page"
	}
	path = strings.NewReplacer("{$}", "", "{id}", "x1", "{index}", "0").Replace(path)
	if strings.HasSuffix(path, "/static/") {
		path += "style.css"
	}
	return method, path
}

// TestRoutesRequireLogin walks every registered route without a session.
func TestRoutesRequireLogin(t *testing.T) {
	e := newTestEnv(t, nil)
	public := map[string]bool{"/healthz": true, "/metrics": true, "/static/": true, "/login": true, "/check": true,
		"/api/exposure/cases": true, "/api/exposure/evaluate": true, "/api/exposure/cases/{id}/buckets/{index}": true}
	routes := e.srv.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for _, r := range routes {
		p := r.Pattern
		if _, q, ok := strings.Cut(r.Pattern, " "); ok {
			p = q
		}
		if public[p] != (r.Role == RoleNone) {
			t.Errorf("route %s: role %v, but the public list says %v", r.Pattern, r.Role, public[p])
		}
		t.Run(r.Pattern, func(t *testing.T) {
			method, path := concrete(r.Pattern)
			for _, accept := range []string{"text/html", "application/json"} {
				req, _ := http.NewRequest(method, e.ts.URL+path, strings.NewReader(""))
				req.Header.Set("Accept", accept)
				resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				denied := resp.StatusCode == http.StatusUnauthorized ||
					resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login")
				if r.Role != RoleNone && !denied {
					t.Errorf("%s %s (Accept %s) without session: %s", method, path, accept, resp.Status)
				}
				if r.Role == RoleNone && denied {
					t.Errorf("public %s %s asks for a login: %s", method, path, resp.Status)
				}
			}
		})
	}
}

func TestLoginRolesAndCSRF(t *testing.T) {
	e := newTestEnv(t, nil)

	t.Run("wrong password", func(t *testing.T) {
		b := e.browser()
		_, page := b.do("GET", "/login", nil, nil)
		tok := csrfRe.FindStringSubmatch(page)[1]
		resp, body := b.do("POST", "/login", url.Values{"csrf": {tok}, "user": {"vera"}, "password": {"nope-nope"}}, nil)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Usuario o contraseña incorrectos") {
			t.Fatalf("wrong password: %s", resp.Status)
		}
	})
	t.Run("login without csrf", func(t *testing.T) {
		b := e.browser()
		resp, _ := b.do("POST", "/login", url.Values{"user": {"vera"}, "password": {"password-vera"}}, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("login without CSRF token: %s", resp.Status)
		}
	})
	t.Run("session cookie flags", func(t *testing.T) {
		b := e.browser()
		_, page := b.do("GET", "/login", nil, nil)
		tok := csrfRe.FindStringSubmatch(page)[1]
		resp, _ := b.do("POST", "/login", url.Values{"csrf": {tok}, "user": {"vera"}, "password": {"password-vera"}}, nil)
		var found bool
		for _, c := range resp.Cookies() {
			if c.Name == sessionCookie {
				found = true
				if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
					t.Errorf("session cookie: HttpOnly %v SameSite %v", c.HttpOnly, c.SameSite)
				}
			}
		}
		if !found {
			t.Fatal("no session cookie")
		}
	})

	viewer, inv, cust := e.browser(), e.browser(), e.browser()
	viewer.login("vera")
	inv.login("ines")
	cust.login("cato")
	tests := []struct {
		name   string
		b      *browser
		method string
		path   string
		form   url.Values
		want   int
	}{
		{"viewer reads cases", viewer, "GET", "/cases", nil, 200},
		{"viewer reads ledger", viewer, "GET", "/ledger", nil, 200},
		{"viewer cannot issue", viewer, "POST", "/releases", url.Values{"recipient": {"X"}}, 403},
		{"viewer cannot upload", viewer, "POST", "/cases/upload", nil, 403},
		{"investigator cannot issue", inv, "POST", "/releases", url.Values{"recipient": {"X"}}, 403},
		{"custodian issues", cust, "POST", "/releases", url.Values{"recipient": {"PARTIDO A"}, "profile": {"partido"}}, 303},
		{"investigator cannot download", inv, "GET", "/releases/r1/download", nil, 403},
		{"custodian downloads", cust, "GET", "/releases/r1/download", nil, 200},
		{"unknown release", cust, "GET", "/releases/r9/download", nil, 404},
		{"proof", viewer, "GET", "/ledger/proof/r1", nil, 200},
		{"no proof", viewer, "GET", "/ledger/proof/r7", nil, 404},
		{"unknown page", viewer, "GET", "/admin", nil, 404},
		{"unknown post", viewer, "POST", "/admin", nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := tt.form
			if tt.method == "POST" {
				if form == nil {
					form = url.Values{}
				}
				form.Set("csrf", tt.b.csrf)
			}
			resp, _ := tt.b.do(tt.method, tt.path, form, nil)
			if resp.StatusCode != tt.want {
				t.Fatalf("%s %s: %s, want %d", tt.method, tt.path, resp.Status, tt.want)
			}
		})
	}
	t.Run("post without csrf", func(t *testing.T) {
		resp, _ := cust.do("POST", "/releases", url.Values{"recipient": {"B"}}, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("POST without CSRF: %s", resp.Status)
		}
		resp, _ = cust.do("POST", "/releases", url.Values{"recipient": {"B"}, "csrf": {viewer.csrf}}, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("POST with another session's CSRF token: %s", resp.Status)
		}
	})
	t.Run("logout", func(t *testing.T) {
		resp, _ := viewer.do("POST", "/logout", url.Values{"csrf": {viewer.csrf}}, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %s", resp.Status)
		}
		resp, _ = viewer.do("GET", "/cases", nil, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("after logout /cases: %s", resp.Status)
		}
	})
}

func syntheticCURPs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("XEXX%06dHDFSYN%02d", i, i%100)
	}
	return out
}

// upload sends a leak as the page does and waits for the case.
func (b *browser) upload(name, content string) string {
	b.t.Helper()
	resp, body := b.do("POST", "/cases/upload", nil, map[string]string{"X-CSRF-Token": b.csrf, "X-Filename": name, "Content-Type": "application/octet-stream", "Body": ""})
	_ = resp
	req, _ := http.NewRequest("POST", b.base+"/cases/upload", strings.NewReader(content))
	req.Header.Set("X-CSRF-Token", b.csrf)
	req.Header.Set("X-Filename", name)
	r, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	rb, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusAccepted {
		b.t.Fatalf("upload: %s %s (first try: %s)", r.Status, rb, body)
	}
	var j struct{ Job string }
	json.Unmarshal(rb, &j)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, st := b.do("GET", "/jobs/"+j.Job, nil, nil)
		var js job
		json.Unmarshal([]byte(st), &js)
		if js.Finished {
			if js.Error != "" {
				b.t.Fatalf("analysis: %s", js.Error)
			}
			return js.CaseID
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Fatal("analysis did not finish")
	return ""
}

func TestUploadCaseNotesPublishCheck(t *testing.T) {
	e := newTestEnv(t, nil)
	inv := e.browser()
	inv.login("ines")
	all := syntheticCURPs(300)
	id := inv.upload("dump.txt", strings.Join(all[:200], "\n"))
	resp, page := inv.do("GET", "/cases/"+id, nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(page, `data-verdict="ours">NUESTRA`) || !strings.Contains(page, "CC BY 4.0") {
		t.Fatalf("case page: %s", resp.Status)
	}
	if !strings.Contains(page, `id="map-cmx"`) || !strings.Contains(page, `data-people="200"`) {
		t.Error("map does not shade Ciudad de México with 200 people")
	}
	resp, _ = inv.do("POST", "/cases/"+id+"/notes", url.Values{"csrf": {inv.csrf}, "text": {"seller contacted"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("note: %s", resp.Status)
	}
	inv.do("POST", "/cases/"+id+"/status", url.Values{"csrf": {inv.csrf}, "status": {"confirmed"}}, nil)
	_, page = inv.do("GET", "/cases/"+id+"?lang=en", nil, nil)
	if !strings.Contains(page, "seller contacted") || !strings.Contains(page, `id="status">confirmed<`) || !strings.Contains(page, "Affected people by state") {
		t.Error("case page lacks the note, the status or the English text")
	}
	_, list := inv.do("GET", "/cases", nil, nil)
	if !strings.Contains(list, id) {
		t.Error("case list lacks the case")
	}

	// Publish, then check through the public API with the Go client.
	resp, _ = inv.do("POST", "/cases/"+id+"/publish", url.Values{"csrf": {inv.csrf}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %s", resp.Status)
	}
	for _, c := range []struct {
		curp string
		want bool
	}{{all[0], true}, {all[199], true}, {all[200], false}} {
		res, err := client.Check(context.Background(), nil, e.ts.URL, c.curp)
		if err != nil {
			t.Fatal(err)
		}
		if res.Exposed != c.want || len(res.Checked) != 1 {
			t.Errorf("check %s: %+v, want exposed %v", c.curp, res, c.want)
		}
	}
	if _, err := client.Check(context.Background(), nil, e.ts.URL, all[0], "nope"); err == nil {
		t.Error("checking an unpublished leak did not fail")
	}
}

func TestExposureAPILimits(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.EvalRate, c.EvalBurst = 1, 3 })
	b, _ := exposure.Blind("SABC560626MDFLRN01")
	post := func(body []byte, ct string) int {
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/exposure/evaluate", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := post(make([]byte, 32*(MaxBatch+1)), "application/octet-stream"); c != 400 {
		t.Errorf("oversized batch: %d", c)
	}
	if c := post([]byte(`{"blinded":"!!"}`), "application/json"); c != 400 {
		t.Errorf("bad base64: %d", c)
	}
	codes := []int{}
	for range 5 {
		codes = append(codes, post(b.Request, "application/octet-stream"))
	}
	if fmt.Sprint(codes) != "[200 200 200 429 429]" {
		t.Errorf("burst of 3 then limited: got %v", codes)
	}
	resp, err := http.Get(e.ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"huella_exposure_evaluations_total 3", "huella_exposure_rate_limited_total 2",
		`huella_http_requests_total{route="/api/exposure/evaluate",code="429"} 2`, `huella_http_request_duration_seconds_bucket{route="/api/exposure/evaluate",le="+Inf"} 7`, "huella_analysis_yield_seconds_total 0"} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	resp, _ = http.Get(e.ts.URL + "/healthz")
	if resp.StatusCode != 200 {
		t.Errorf("healthz: %s", resp.Status)
	}
}

func TestRequestBodyLimit(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.MaxUpload = 100 })
	b := e.browser()
	b.login("ines")
	req, _ := http.NewRequest("POST", e.ts.URL+"/cases/upload", strings.NewReader(strings.Repeat("x", 1000)))
	req.Header.Set("X-CSRF-Token", b.csrf)
	resp, err := b.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized upload: %s", resp.Status)
	}
	resp, _ = b.do("POST", "/cases/x/notes", url.Values{"csrf": {b.csrf}, "text": {strings.Repeat("y", 2<<20)}}, nil)
	if resp.StatusCode == http.StatusSeeOther || resp.StatusCode == 200 {
		t.Fatalf("2 MiB form accepted: %s", resp.Status)
	}
}

func TestLang(t *testing.T) {
	for _, tt := range []struct {
		query, cookie, accept string
		want                  Lang
	}{
		{"", "", "", ES}, {"", "", "en-US,en;q=0.9", EN}, {"", "", "fr, es-MX;q=0.5", ES},
		{"", "en", "es", EN}, {"lang=es", "en", "en", ES},
	} {
		r := httptest.NewRequest("GET", "/?"+tt.query, nil)
		if tt.cookie != "" {
			r.AddCookie(&http.Cookie{Name: "lang", Value: tt.cookie})
		}
		r.Header.Set("Accept-Language", tt.accept)
		if got := langOf(r); got != tt.want {
			t.Errorf("langOf(%+v) = %s, want %s", tt, got, tt.want)
		}
	}
	for k := range catalogue {
		if ES.T(k) == "" || EN.T(k) == "" {
			t.Errorf("catalogue key %s lacks a text", k)
		}
	}
}

func TestUsers(t *testing.T) {
	u := OpenUsers(t.TempDir())
	if err := u.Set("ana", RoleInvestigator, "short"); err == nil {
		t.Error("short password accepted")
	}
	if err := u.Set("a b", RoleViewer, "long enough"); err == nil {
		t.Error("name with a space accepted")
	}
	if err := u.Set("ana", RoleInvestigator, "correct horse"); err != nil {
		t.Fatal(err)
	}
	if r, ok := u.Authenticate("ana", "correct horse"); !ok || r != RoleInvestigator {
		t.Errorf("Authenticate = %v, %v", r, ok)
	}
	if _, ok := u.Authenticate("ana", "correct horsE"); ok {
		t.Error("wrong password accepted")
	}
	if _, ok := u.Authenticate("bob", "correct horse"); ok {
		t.Error("unknown user accepted")
	}
	b, _ := os.ReadFile(u.path)
	if bytes.Contains(b, []byte("correct horse")) || !bytes.Contains(b, []byte("argon2id$v=19$m=1024,t=1,p=2$")) {
		t.Errorf("users.json: %s", b)
	}
	fi, _ := os.Stat(u.path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("users.json mode %v", fi.Mode())
	}
}

func TestMain(m *testing.M) {
	argonTime, argonMemory = 1, 1024 // fast hashes for tests; the format is the same
	os.Exit(m.Run())
}

// FuzzVerifyPassword feeds malformed hash strings (a damaged users.json) to
// the verifier: it must say no, never panic or burn unbounded memory.
func FuzzVerifyPassword(f *testing.F) {
	h, _ := hashPassword("correct horse")
	f.Add(h, "correct horse")
	f.Add("argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "x")
	f.Add("argon2id$v=19$m=8,t=1,p=0$AAAA$AAAA", "x")
	f.Add("bcrypt$2a$10$...", "x")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		if verifyPassword(hash, pw) && hash != h {
			// Only a well-formed hash of pw may verify.
			if !strings.HasPrefix(hash, "argon2id$") {
				t.Fatalf("non-argon2id hash %q verified", hash)
			}
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser()
	codes := map[int]int{}
	for range 12 {
		_, page := b.do("GET", "/login", nil, nil)
		tok := csrfRe.FindStringSubmatch(page)[1]
		resp, _ := b.do("POST", "/login", url.Values{"csrf": {tok}, "user": {"vera"}, "password": {"guess-guess"}}, nil)
		codes[resp.StatusCode]++
	}
	if codes[http.StatusUnauthorized] != 10 || codes[http.StatusTooManyRequests] != 2 {
		t.Fatalf("12 wrong passwords: %v, want 10×401 then 2×429", codes)
	}
	// The right password is refused too while the bucket is empty.
	_, page := b.do("GET", "/login", nil, nil)
	tok := csrfRe.FindStringSubmatch(page)[1]
	resp, _ := b.do("POST", "/login", url.Values{"csrf": {tok}, "user": {"vera"}, "password": {"password-vera"}}, nil)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("login during the lockout: %s", resp.Status)
	}
}

func TestRateLimiterRefill(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newRateLimiter(2, 4) // 2 tokens/s, burst 4
	l.now = func() time.Time { return now }
	steps := []struct {
		advance time.Duration
		key     string
		n       int
		want    bool
	}{
		{0, "192.0.2.1:5000", 4, true}, {0, "192.0.2.1:5001", 1, false}, {0, "192.0.2.2:5000", 1, true}, // separate buckets per IP
		{400 * time.Millisecond, "192.0.2.1:1", 1, false}, {100 * time.Millisecond, "192.0.2.1:1", 1, true},
		{10 * time.Second, "192.0.2.1:1", 5, false}, {0, "192.0.2.1:1", 4, true}, // refill caps at the burst
		{0, "[2001:db8:1:2::1]:443", 4, true}, {0, "[2001:db8:1:2:ffff::9]:443", 1, false}, // one bucket per IPv6 /64
		{0, "[2001:db8:1:3::1]:443", 1, true}, {0, "[::ffff:192.0.2.2]:80", 1, true}, // IPv4-mapped is the IPv4 address
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if got := l.allow(clientKey(s.key), s.n); got != s.want {
			t.Errorf("step %d: allow(%s, %d) = %v, want %v", i, s.key, s.n, got, s.want)
		}
	}
}

func TestWasmServedGzipped(t *testing.T) {
	e := newTestEnv(t, nil)
	req, _ := http.NewRequest("GET", e.ts.URL+"/static/check.wasm", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	zr, err := gzip.NewReader(resp.Body)
	if err != nil || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Type") != "application/wasm" {
		t.Fatalf("check.wasm: %v, headers %v", err, resp.Header)
	}
	got, _ := io.ReadAll(zr)
	want, _ := os.ReadFile("static/check.wasm")
	if !bytes.Equal(got, want) {
		t.Fatalf("gunzipped wasm: %d bytes, want %d", len(got), len(want))
	}
}

func TestAnalysisPanicIsAFailedJob(t *testing.T) {
	e := newTestEnv(t, func(c *Config) {
		c.Analyze = func(context.Context, string, string, func(string, int64, int64)) (string, error) { panic("odd file") }
	})
	b := e.browser()
	b.login("ines")
	req, _ := http.NewRequest("POST", e.ts.URL+"/cases/upload", strings.NewReader("x"))
	req.Header.Set("X-CSRF-Token", b.csrf)
	resp, err := b.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var j struct{ Job string }
	json.NewDecoder(resp.Body).Decode(&j)
	resp.Body.Close()
	for range 200 {
		_, st := b.do("GET", "/jobs/"+j.Job, nil, nil)
		if strings.Contains(st, `"finished": true`) {
			if !strings.Contains(st, "analysis crashed: odd file") {
				t.Fatalf("job: %s", st)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("job did not finish")
}

// TestAnalysisYieldsToChecks: an analysis pauses at its progress reports
// while exposure checks are being answered, and not otherwise.
func TestAnalysisYieldsToChecks(t *testing.T) {
	inner := Analyzer(nil)
	e := newTestEnv(t, func(c *Config) {
		inner = c.Analyze
		c.Analyze = func(ctx context.Context, path, name string, progress func(string, int64, int64)) (string, error) {
			for i := range 5 {
				for t0 := time.Now(); time.Since(t0) < 2*time.Millisecond; {
				}
				progress("work", int64(i), 5)
			}
			return inner(ctx, path, name, progress)
		}
	})
	b := e.browser()
	b.login("ines")
	b.upload("quiet.txt", strings.Join(syntheticCURPs(3), "\n"))
	if p := e.srv.metrics.analysisPause.Load(); p != 0 {
		t.Fatalf("analysis paused %v with no checks running", time.Duration(p))
	}
	bl, _ := exposure.Blind(syntheticCURPs(1)[0])
	resp, err := http.Post(e.ts.URL+"/api/exposure/evaluate", "application/octet-stream", bytes.NewReader(bl.Request))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("evaluate: %v %v", err, resp)
	}
	resp.Body.Close()
	b.upload("busy.txt", strings.Join(syntheticCURPs(4), "\n"))
	if p := time.Duration(e.srv.metrics.analysisPause.Load()); p < 5*time.Millisecond {
		t.Fatalf("analysis paused %v while checks ran, want ≥ 3× its 10ms of work (some of it)", p)
	}
}

// TestSessionSurvivesRestart: a session outlives its server, the workspace
// keeps only its token's hash, logout ends it for good, and expired sessions
// or those of removed accounts are not taken back.
func TestSessionSurvivesRestart(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser()
	b.login("cato")
	csrf := b.csrf
	var token string
	u, _ := url.Parse(e.ts.URL)
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			token = c.Value
		}
	}
	fi, err := os.Stat(SessionsPath(e.dir))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("sessions.json: %v, mode %v", err, fi.Mode())
	}
	raw, _ := os.ReadFile(SessionsPath(e.dir))
	if token == "" || strings.Contains(string(raw), token) || !strings.Contains(string(raw), tokenHash(token)) || strings.Contains(string(raw), csrf) {
		t.Fatalf("sessions.json must hold the token's hash, not the token or the CSRF token:\n%s", raw)
	}

	restart := func() {
		t.Helper()
		s, err := New(e.srv.cfg)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(s)
		t.Cleanup(func() { ts.Close(); s.Close() })
		b.base = ts.URL // same host: the cookie jar sends the session along
	}
	restart()
	if resp, _ := b.do("GET", "/cases", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("after a restart: GET /cases %s", resp.Status)
	}
	if b.csrf != csrf {
		t.Errorf("the CSRF token changed across the restart")
	}
	// The CSRF token still works, for logout.
	if resp, _ := b.do("POST", "/logout", url.Values{"csrf": {csrf}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout after a restart: %s", resp.Status)
	}
	raw, _ = os.ReadFile(SessionsPath(e.dir))
	if strings.Contains(string(raw), tokenHash(token)) {
		t.Errorf("logout left the session in sessions.json")
	}
	restart()
	if resp, _ := b.do("GET", "/cases", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout and restart: GET /cases %s, want a redirect to /login", resp.Status)
	}

	// Expired sessions, those of accounts that are gone and those without
	// the account's credential (an older file, or a password replaced since)
	// are dropped.
	accounts, err := e.srv.users.load()
	if err != nil {
		t.Fatal(err)
	}
	vera := credentialOf(accounts["vera"])
	tokens := map[string]string{"valid": randomToken(), "expired": randomToken(), "gone": randomToken(), "no credential": randomToken(), "old password": randomToken()}
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	f := sessionsFile{Format: SessionsFormat, Sessions: []sessionRecord{
		{tokenHash(tokens["valid"]), "vera", "custodian", vera, exp}, // the account's current role wins
		{tokenHash(tokens["expired"]), "vera", "viewer", vera, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)},
		{tokenHash(tokens["gone"]), "nobody", "viewer", vera, exp},
		{tokenHash(tokens["no credential"]), "vera", "viewer", "", exp},
		{tokenHash(tokens["old password"]), "vera", "viewer", tokenHash("another hash"), exp},
	}}
	js, _ := json.Marshal(f)
	os.WriteFile(SessionsPath(e.dir), js, 0o600)
	restart()
	for name, want := range map[string]int{"valid": 200, "expired": 401, "gone": 401, "no credential": 401, "old password": 401} {
		req, _ := http.NewRequest("GET", b.base+"/cases", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tokens[name]})
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s session after restart: %s, want %d", name, resp.Status, want)
		}
	}
	req, _ := http.NewRequest("GET", b.base+"/releases/r1/download", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tokens["valid"]})
	if resp, err := http.DefaultTransport.RoundTrip(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer's restored session downloading a release: %v %v, want 403 (role from the account)", err, resp)
	}
}

func TestFormatInt(t *testing.T) {
	for v, want := range map[any]string{0: "0", int64(999): "999", 1000: "1,000", 93_000_000.0: "93,000,000", -1234: "-1,234", "x": "x"} {
		if got := formatInt(v); got != want {
			t.Errorf("formatInt(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestAccountChangesApplyAtOnce checks that a logged-in session follows its
// account from the next request: a role lowered in users.json takes effect,
// a replaced password or a removed account ends the session.
func TestAccountChangesApplyAtOnce(t *testing.T) {
	e := newTestEnv(t, nil)
	status := func(b *browser, method, path string) int {
		t.Helper()
		resp, _ := b.do(method, path, nil, nil)
		return resp.StatusCode
	}
	// Lower cato's role by editing the file (the password hash unchanged).
	cato := e.browser()
	cato.login("cato")
	if got := status(cato, "GET", "/releases/no-such/download"); got == http.StatusForbidden || got == http.StatusUnauthorized {
		t.Fatalf("a custodian downloading: %d", got)
	}
	path := UsersPath(e.dir)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f usersFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	for i := range f.Users {
		if f.Users[i].Name == "cato" {
			f.Users[i].Role = RoleViewer.String()
		}
	}
	js, _ := json.Marshal(f)
	if err := os.WriteFile(path, js, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := status(cato, "GET", "/releases/no-such/download"); got != http.StatusForbidden {
		t.Errorf("a custodian made viewer, downloading at the next request: %d, want 403", got)
	}
	if got := status(cato, "GET", "/cases"); got != http.StatusOK {
		t.Errorf("a custodian made viewer, reading cases: %d, want 200", got)
	}

	// A new password ends the session; so does removing the account.
	ines, vera := e.browser(), e.browser()
	ines.login("ines")
	vera.login("vera")
	if err := e.srv.users.Set("ines", RoleInvestigator, "a new password"); err != nil {
		t.Fatal(err)
	}
	if found, err := e.srv.users.Remove("vera"); err != nil || !found {
		t.Fatalf("remove vera: %v %v", found, err)
	}
	if found, err := e.srv.users.Remove("vera"); err != nil || found {
		t.Errorf("remove vera again: found %v, err %v; want not found", found, err)
	}
	for name, b := range map[string]*browser{"ines, new password": ines, "vera, removed": vera} {
		req, _ := http.NewRequest("GET", b.base+"/cases", nil)
		resp, err := b.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: GET /cases %d, want 401", name, resp.StatusCode)
		}
	}
	raw, _ = os.ReadFile(SessionsPath(e.dir))
	if strings.Contains(string(raw), `"vera"`) || strings.Contains(string(raw), `"ines"`) {
		t.Errorf("ended sessions left in sessions.json:\n%s", raw)
	}
}
