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
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
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
