package server

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
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
