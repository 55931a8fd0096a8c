package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// loginToken returns a login CSRF token, valid as cookie and form field.
func loginToken(t *testing.T, e *testEnv) string {
	t.Helper()
	b := e.browser()
	_, page := b.do("GET", "/login", nil, nil)
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("login page has no CSRF token")
	}
	return m[1]
}

// postLogin posts a login form with the CSRF token tok, from the
// connection's address or, with hdr, extra headers.
func postLogin(t *testing.T, e *testEnv, tok, user, password, next string, hdr map[string]string) *http.Response {
	t.Helper()
	form := url.Values{"csrf": {tok}, "user": {user}, "password": {password}, "next": {next}}
	req, _ := http.NewRequest("POST", e.ts.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.AddCookie(&http.Cookie{Name: loginCSRFCookie, Value: tok})
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	// RoundTrip: no redirect followed, and a Location header is not parsed.
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Error(err)
		return nil
	}
	resp.Body.Close()
	return resp
}

// TestLoginRateLimitConcurrent sends 40 wrong passwords at once from one
// address: the limit (10 failures at once) holds whatever the concurrency,
// and no more password hashes run together than the semaphore allows.
func TestLoginRateLimitConcurrent(t *testing.T) {
	e := newTestEnv(t, nil)
	// Slower hashes for vera, so that the requests overlap.
	oldT, oldM := argonTime, argonMemory
	argonTime, argonMemory = 4, 8*1024
	err := OpenUsers(e.dir).Set("vera", RoleViewer, "password-vera")
	argonTime, argonMemory = oldT, oldM
	if err != nil {
		t.Fatal(err)
	}
	const slots = 2
	e.srv.hashSem = make(chan struct{}, slots)
	tok := loginToken(t, e)
	const n = 40
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		codes = map[int]int{}
		start = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			user := "vera"
			if i%4 == 0 {
				user = "nobody" // unknown users count the same
			}
			if resp := postLogin(t, e, tok, user, "wrong-guess", "/cases", nil); resp != nil {
				mu.Lock()
				codes[resp.StatusCode]++
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if codes[http.StatusUnauthorized] != 10 || codes[http.StatusTooManyRequests] != n-10 {
		t.Errorf("%d wrong passwords at once: %v, want 10×401 and %d×429", n, codes, n-10)
	}
	if p := e.srv.hashPeak.Load(); p > slots || p < 1 {
		t.Errorf("%d password hashes ran at once, want 1 to %d", p, slots)
	}
}

// TestSafeNext: after login only a path on this server is followed;
// browsers drop tabs and newlines, so "/\t/evil" is "//evil", another host.
func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/\t/evil.example": "/cases",
		"/\n/evil":         "/cases",
		"/\r\n/evil":       "/cases",
		"/%09/evil":        "/cases", // percent-encoded, as the raw string
		"/%2F/evil":        "/cases",
		"/%5Cevil":         "/cases",
		"/\x7f/evil":       "/cases",
		"//evil":           "/cases",
		"/\\evil":          "/cases",
		"/x\\evil":         "/cases",
		"https://evil":     "/cases",
		"javascript:x":     "/cases",
		"evil.example":     "/cases",
		"":                 "/cases",
		"/":                "/cases",
		"/cases/x":         "/cases/x",
		"/cases/x?tab=1":   "/cases/x?tab=1",
		"/ledger":          "/ledger",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}

	// Through the server: the login page's next and the redirect after login.
	e := newTestEnv(t, nil)
	for _, raw := range []string{"/%09/evil.example", "/%0A/evil", "%2F%2Fevil", "/%5Cevil", "https://evil"} {
		b := e.browser()
		_, page := b.do("GET", "/login?next="+raw, nil, nil)
		if strings.Contains(page, "evil") {
			t.Errorf("login page for next=%s carries it on", raw)
		}
		next, _ := url.QueryUnescape(raw)
		resp := postLogin(t, e, loginToken(t, e), "vera", "password-vera", next, nil)
		if resp == nil {
			continue
		}
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/cases" {
			t.Errorf("login with next=%s: %s to %q, want 303 to /cases", raw, resp.Status, loc)
		}
	}
	if resp := postLogin(t, e, loginToken(t, e), "vera", "password-vera", "/cases/x", nil); resp == nil {
		return
	} else if loc := resp.Header.Get("Location"); loc != "/cases/x" {
		t.Errorf("login with next=/cases/x: to %q", loc)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := ParseTrustedProxies(" 10.0.0.0/8, 192.0.2.7 ,::1,2001:db8::/32,::ffff:198.51.100.0/120,")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("198.51.100.0/24")}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got, err := ParseTrustedProxies(""); err != nil || got != nil {
		t.Errorf("empty list: %v, %v", got, err)
	}
	for _, bad := range []string{"proxy.example", "10.0.0.0/33", "10.0.0.1:80"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestClientAddrTrustedProxy: X-Forwarded-For is read only on connections
// from a trusted proxy, and then only its right-most untrusted address.
func TestClientAddrTrustedProxy(t *testing.T) {
	trusted, _ := ParseTrustedProxies("10.0.0.0/8,2001:db8:ffff::/48")
	s := &Server{cfg: Config{TrustedProxies: trusted}}
	none := &Server{}
	for _, c := range []struct {
		remote string
		xff    []string
		want   string // with the trusted proxies
		plain  string // with none
	}{
		{"203.0.113.9:5000", nil, "203.0.113.9", "203.0.113.9"},
		{"203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9", "203.0.113.9"}, // untrusted peer: header ignored
		{"10.0.0.2:443", nil, "10.0.0.2", "10.0.0.2"},
		{"10.0.0.2:443", []string{"198.51.100.1"}, "198.51.100.1", "10.0.0.2"},
		{"10.0.0.2:443", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1", "10.0.0.2"},                 // the client's own entry is not read
		{"10.0.0.2:443", []string{"6.6.6.6, 198.51.100.1, 10.1.1.1"}, "198.51.100.1", "10.0.0.2"},       // two trusted hops
		{"10.0.0.2:443", []string{"6.6.6.6", "198.51.100.1,10.1.1.1"}, "198.51.100.1", "10.0.0.2"},      // several header lines
		{"10.0.0.2:443", []string{"6.6.6.6, 198.51.100.1:4711"}, "198.51.100.1", "10.0.0.2"},            // with a port
		{"10.0.0.2:443", []string{"[2001:db8:1::5]:80"}, "2001:db8:1::5", "10.0.0.2"},                   // IPv6 with a port
		{"[2001:db8:ffff::1]:443", []string{"::ffff:198.51.100.1"}, "198.51.100.1", "2001:db8:ffff::1"}, // IPv4-mapped
		{"10.0.0.2:443", []string{"6.6.6.6, garbage, 10.1.1.1"}, "10.1.1.1", "10.0.0.2"},                // not an address: the last trusted hop
		{"10.0.0.2:443", []string{"10.3.3.3, 10.1.1.1"}, "10.3.3.3", "10.0.0.2"},                        // all trusted
		{"10.0.0.2:443", []string{""}, "10.0.0.2", "10.0.0.2"},
	} {
		r := httptest.NewRequest("GET", "/check", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := s.clientAddr(r).String(); got != c.want {
			t.Errorf("%s %q, trusted proxies: %s, want %s", c.remote, c.xff, got, c.want)
		}
		if got := none.clientAddr(r).String(); got != c.plain {
			t.Errorf("%s %q, no trusted proxy: %s, want %s", c.remote, c.xff, got, c.plain)
		}
	}
	r := httptest.NewRequest("GET", "/check", nil)
	r.RemoteAddr = "10.0.0.2:443"
	r.Header.Set("X-Forwarded-For", "6.6.6.6, 2001:db8:1:2::1, 10.1.1.1")
	if n := testing.AllocsPerRun(100, func() { s.limitKey(r) }); n != 0 {
		t.Errorf("limitKey allocates %v times", n)
	}
	if got := s.limitKey(r); got != netip.MustParseAddr("2001:db8:1:2::") {
		t.Errorf("limitKey = %s, want the client's /64", got)
	}
}

// TestLoginRateLimitBehindProxy: behind a trusted proxy (the test's
// connections come from 127.0.0.1) each client has its own login limit;
// without --trusted-proxy the header is ignored and the proxy's address is
// the one limited.
func TestLoginRateLimitBehindProxy(t *testing.T) {
	for _, trust := range []bool{true, false} {
		e := newTestEnv(t, func(c *Config) {
			if trust {
				c.TrustedProxies, _ = ParseTrustedProxies("127.0.0.0/8,::1")
			}
		})
		tok := loginToken(t, e)
		from := func(ip string) map[string]string { return map[string]string{"X-Forwarded-For": "6.6.6.6, " + ip} }
		codes := map[int]int{}
		for range 12 {
			if resp := postLogin(t, e, tok, "vera", "guess-guess", "", from("198.51.100.1")); resp != nil {
				codes[resp.StatusCode]++
			}
		}
		if codes[http.StatusUnauthorized] != 10 || codes[http.StatusTooManyRequests] != 2 {
			t.Errorf("trusted %v: 12 wrong passwords: %v, want 10×401 then 2×429", trust, codes)
		}
		// Another client behind the same proxy.
		resp := postLogin(t, e, tok, "vera", "password-vera", "/cases", from("198.51.100.2"))
		want := http.StatusSeeOther
		if !trust {
			want = http.StatusTooManyRequests // one bucket for all: the audit's lockout
		}
		if resp != nil && resp.StatusCode != want {
			t.Errorf("trusted %v: another client's login: %s, want %d", trust, resp.Status, want)
		}
	}
}

// TestStaticNoDirectoryListing: /static/ serves files, never a listing.
func TestStaticNoDirectoryListing(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser()
	for path, want := range map[string]int{"/static/": 404, "/static/style.css": 200, "/static/nope.css": 404} {
		resp, body := b.do("GET", path, nil, nil)
		if resp.StatusCode != want || strings.Contains(body, "app.js") {
			t.Errorf("GET %s: %s, want %d (body %.80q)", path, resp.Status, want, body)
		}
	}
}

type failingReleases struct {
	memReleases
	err error
}

func (f *failingReleases) Issue(context.Context, IssueRequest) (Release, error) {
	return Release{}, f.err
}

type failingLedger struct {
	memLedger
	err error
}

func (f failingLedger) Verify(context.Context) (string, error) { return "", f.err }

// TestUserErrorsHideWorkspace: messages shown to users (error pages below
// 500, job status, ledger verification) write the workspace directory as
// DIR, wherever it is on the server's disk.
func TestUserErrorsHideWorkspace(t *testing.T) {
	var e *testEnv
	e = newTestEnv(t, func(c *Config) {
		c.Analyze = func(_ context.Context, path, _ string, _ func(string, int64, int64)) (string, error) {
			return "", fmt.Errorf("read %s: not a leak", path)
		}
		c.Releases = &failingReleases{err: fmt.Errorf("open %s: permission denied", filepath.Join(c.Dir, "releases", "r1.csv"))}
		c.Ledger = failingLedger{err: fmt.Errorf("ledger %q: line 3 changed", filepath.Join(c.Dir, "ledger.jsonl"))}
	})
	dir := e.dir
	cust := e.browser()
	cust.login("cato")

	resp, page := cust.do("POST", "/releases", url.Values{"recipient": {"A"}, "csrf": {cust.csrf}}, nil)
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(page, dir) || !strings.Contains(page, "DIR/releases/r1.csv") {
		t.Errorf("issue error page (%s) shows the workspace path: %.300s", resp.Status, page)
	}
	cust.do("GET", "/ledger", nil, nil)
	_, page = cust.do("POST", "/ledger/verify", url.Values{"csrf": {cust.csrf}}, nil)
	if strings.Contains(page, dir) || !strings.Contains(page, "DIR/ledger.jsonl") {
		t.Errorf("ledger verification shows the workspace path")
	}

	req, _ := http.NewRequest("POST", e.ts.URL+"/cases/upload", strings.NewReader("x"))
	req.Header.Set("X-CSRF-Token", cust.csrf)
	req.Header.Set("X-Filename", "leak.csv")
	r, err := cust.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var j struct{ Job string }
	json.NewDecoder(r.Body).Decode(&j)
	r.Body.Close()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, st := cust.do("GET", "/jobs/"+j.Job, nil, nil)
		var js job
		json.Unmarshal([]byte(st), &js)
		if js.Finished {
			if strings.Contains(js.Error, dir) || !strings.Contains(js.Error, "DIR/uploads/upload-") {
				t.Errorf("job error shows the workspace path: %q", js.Error)
			}
			return
		}
	}
	t.Fatal("analysis did not finish")
}

func TestReplacePath(t *testing.T) {
	for _, c := range [][3]string{
		{"open /srv/ws/uploads/x: no", "/srv/ws", "open DIR/uploads/x: no"},
		{"ws/a and news/ws2 and ws", "ws", "DIR/a and news/ws2 and DIR"},
		{`"/srv/ws": gone`, "/srv/ws", `"DIR": gone`},
		{"/srv/ws2/x", "/srv/ws", "/srv/ws2/x"},
	} {
		if got := replacePath(c[0], c[1], "DIR"); got != c[2] {
			t.Errorf("replacePath(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}
