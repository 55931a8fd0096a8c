// Package server is huella's web application: the investigators' UI (cases,
// uploads, reports, releases, ledger), accounts and roles, and the public
// exposure-check API. One process over one workspace, no other service.
//
// # Routes
//
// Every route is registered with the least role that may use it
// (see Server.Routes):
//
//	public        GET /healthz, GET /metrics, GET /static/..., GET|POST /login,
//	              GET /check, GET /api/exposure/cases,
//	              POST /api/exposure/evaluate, GET /api/exposure/cases/{id}/buckets/{i}
//	viewer        GET /, /cases, /cases/{id}, /cases/{id}/report, /jobs/{id},
//	              /releases, /ledger, /ledger/proof/{id}; POST /ledger/verify, /logout
//	investigator  POST /cases/upload, /cases/{id}/notes, /cases/{id}/status, /cases/{id}/publish
//	custodian     POST /releases; GET /releases/{id}/download
//
// Without a session a page answers 303 to /login (HTML requests) or 401.
// A logged-in user below the route's role gets 403. TestRoutesRequireLogin
// walks every registered route without a session.
//
// # Cases, uploads, releases
//
// Cases are the analysis's folders DIR/cases/<analysis_id>/ (report.json,
// report.html, affected.csv; package report); the server adds
// investigation.json (status and notes). An upload is the raw request body
// (the page sends it with XMLHttpRequest for upload progress, the name in
// X-Filename), stored under DIR/uploads/ and analysed in the background, one
// analysis at a time: POST /cases/upload answers 202 {"job": id} and
// GET /jobs/{id} {"stage","done","total","finished","case_id","error"}. The
// case page embeds the analysis's own HTML report in a sandboxed iframe (no
// scripts: the report has none, and it is served with default-src 'none').
// The Releases page lists every release the ledger records, each with the
// state of its file (Release.State: available, being checked, missing,
// changed, not kept); custodians may download the available ones and those
// being checked. A file that no longer
// matches the ledger's SHA-256 is refused with 409, and one that changes
// while being sent is cut off before its last bytes (ErrChanged; the
// workspace side is cmd/huella's serve_releases.go).
//
// # Sessions and CSRF
//
// Login checks an argon2id hash (users.go) and sets the cookie
// huella_session: 32 random bytes, HttpOnly, SameSite=Strict, Secure when the
// server runs behind TLS. Sessions expire after 12 hours and survive a
// restart: DIR/sessions.json keeps the SHA-256 of each token, never the
// token (sessions.go). Every POST made with a session carries the session's
// CSRF token, derived from the session token, in the form field "csrf" or
// the header X-CSRF-Token; the login form uses a double-submit cookie. The public exposure API takes
// no cookies and so needs no CSRF token.
//
// # Exposure API
//
//	GET  /api/exposure/cases     {"suite":"ristretto255-SHA512","cases":[{"id","published","prefix_bits","bucket_size"}]}
//	POST /api/exposure/evaluate  body: n·32 bytes (application/octet-stream) or {"blinded":"<base64>"};
//	                             answer: the n evaluated elements in the same form; 1 ≤ n ≤ 16
//	GET  /api/exposure/cases/{id}/buckets/{i}   bucket i: bucket_size·16 bytes
//
// Evaluations are rate-limited per client IP with a token bucket (one token
// per element); 429 with Retry-After when empty. Behind a reverse proxy
// listed in Config.TrustedProxies the client is the right-most
// X-Forwarded-For address that is not a trusted proxy (Server.clientAddr);
// the header of any other peer is ignored. See package exposure for
// the protocol. The page /check runs the client side in the browser:
// package exposure compiled to WebAssembly (static/check.wasm, rebuilt by
// go generate; TestWasmUpToDate checks it matches the sources).
//
// # Limits
//
// Request bodies are capped (1 MiB, uploads Config.MaxUpload); the server
// has read-header, read, write and idle timeouts, extended per request only
// for uploads and downloads. Logs (log/slog) carry method, route, status,
// duration and user name — never a query string, a CURP or a file's content.
package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/huella/huella/internal/exposure"
)

// Config configures a Server.
type Config struct {
	Dir      string // workspace directory
	Cases    Cases
	Releases Releases // nil: releases pages say so
	Ledger   Ledger   // nil: ledger page says so
	Analyze  Analyzer // nil: uploads are refused
	Key      *exposure.Key
	Logger   *slog.Logger

	// Profiles offered when issuing a release.
	Profiles []string

	// EvalRate and EvalBurst set the per-IP token bucket of the exposure
	// API (evaluations per second); 0 means 10/s with a burst of 20.
	// A negative rate disables the limit (load tests).
	EvalRate  float64
	EvalBurst int
	// MaxUpload caps a leak upload (default 4 GiB).
	MaxUpload int64
	// Secure marks cookies Secure (set when serving TLS).
	Secure bool
	// TrustedProxies are the reverse proxies (TLS terminators) in front of
	// the server. A request whose connection comes from one of them is
	// rate-limited by the right-most X-Forwarded-For address that is not
	// itself a trusted proxy; any other request by its connection's address,
	// whatever its headers say (see Server.clientAddr).
	TrustedProxies []netip.Prefix
}

// Server is the web application.
type Server struct {
	cfg       Config
	log       *slog.Logger
	mux       *http.ServeMux
	routes    []Route
	tmpl      map[string]*template.Template
	static    http.Handler
	metrics   *metrics
	limiter   *rateLimiter
	loginLim  *rateLimiter  // failed logins per IP
	hashSem   chan struct{} // one slot per password check that may run (hashSlots)
	hashBusy  atomic.Int32  // password checks running
	hashPeak  atomic.Int32  // most password checks ever run at once (tests)
	users     *Users
	sessions  sessions
	jobs      jobs
	sets      setCache
	analyzeMu sync.Mutex   // one analysis at a time
	lastCheck atomic.Int64 // unix ns of the latest exposure evaluation (see yielder)
	// analysisShare overrides AnalysisShare (tests; 1: never yield).
	analysisShare float64
	baseCtx       context.Context
	cancel        context.CancelFunc
}

// Route is one registered route and the least role that may use it.
type Route struct {
	Pattern string // "GET /cases/{id}"
	Role    Role   // RoleNone: public
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New builds the server.
func New(cfg Config) (*Server, error) {
	if cfg.Cases == nil {
		cfg.Cases = DirCases{Dir: CasesDir(cfg.Dir)}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Key == nil {
		k, err := exposure.LoadOrCreateKey(exposure.KeyPath(cfg.Dir))
		if err != nil {
			return nil, err
		}
		cfg.Key = k
	}
	if cfg.EvalRate == 0 {
		cfg.EvalRate, cfg.EvalBurst = 10, 20
	}
	if cfg.EvalBurst == 0 {
		cfg.EvalBurst = int(cfg.EvalRate) + 1
	}
	if cfg.MaxUpload == 0 {
		cfg.MaxUpload = 4 << 30
	}
	if len(cfg.Profiles) == 0 {
		cfg.Profiles = []string{"partido"}
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		mux:     http.NewServeMux(),
		metrics: newMetrics(),
		limiter: newRateLimiter(cfg.EvalRate, cfg.EvalBurst),
		// 10 failed logins at once, then one every 6 s, per IP.
		loginLim: newRateLimiter(1.0/6, 10),
		hashSem:  make(chan struct{}, hashSlots()),
		users:    OpenUsers(cfg.Dir),
		sets:     setCache{dir: cfg.Dir},
	}
	sessPath := SessionsPath(cfg.Dir)
	if cfg.Dir == "" {
		sessPath = "" // no workspace: sessions in memory only
	}
	if err := s.sessions.open(sessPath, s.users); err != nil {
		return nil, err
	}
	s.baseCtx, s.cancel = context.WithCancel(context.Background())
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	sub, _ := fs.Sub(staticFS, "static")
	s.static = http.StripPrefix("/static/", staticHandler(sub))
	s.registerRoutes()
	return s, nil
}

// Routes lists every registered route (for tests and documentation).
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// Close cancels running analyses.
func (s *Server) Close() { s.cancel() }

func (s *Server) registerRoutes() {
	pub, view, inv, cust := RoleNone, RoleViewer, RoleInvestigator, RoleCustodian
	s.handle("GET /healthz", pub, s.healthz)
	s.handle("GET /metrics", pub, s.metricsPage)
	s.handle("GET /static/", pub, s.static.ServeHTTP)
	s.handle("GET /login", pub, s.loginPage)
	s.handle("POST /login", pub, s.login)
	s.handle("GET /check", pub, s.checkPage)
	s.handle("GET /api/exposure/cases", pub, s.exposureCases)
	s.handle("POST /api/exposure/evaluate", pub, s.exposureEvaluate)
	s.handle("GET /api/exposure/cases/{id}/buckets/{index}", pub, s.exposureBucket)

	s.handle("GET /{$}", view, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/cases", http.StatusSeeOther)
	})
	// Any other path: a login first, then 404, so that the set of pages
	// cannot be probed without an account.
	s.handle("/", view, func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "err.notfound", nil)
	})
	s.handle("POST /logout", view, s.logout)
	s.handle("GET /cases", view, s.casesPage)
	s.handle("GET /cases/{id}", view, s.casePage)
	s.handle("GET /cases/{id}/report", view, s.caseReport)
	s.handle("GET /jobs/{id}", view, s.jobStatus)
	s.handle("GET /releases", view, s.releasesPage)
	s.handle("GET /ledger", view, s.ledgerPage)
	s.handle("POST /ledger/verify", view, s.ledgerVerify)
	s.handle("GET /ledger/proof/{id}", view, s.ledgerProof)

	s.handle("POST /cases/upload", inv, s.upload)
	s.handle("POST /cases/{id}/notes", inv, s.addNote)
	s.handle("POST /cases/{id}/status", inv, s.setStatus)
	s.handle("POST /cases/{id}/publish", inv, s.publish)

	s.handle("POST /releases", cust, s.issueRelease)
	s.handle("GET /releases/{id}/download", cust, s.downloadRelease)
}

// ctxKey keys the request context values.
type ctxKey int

const sessionKey ctxKey = 0

func sessionOf(r *http.Request) *session {
	s, _ := r.Context().Value(sessionKey).(*session)
	return s
}

// handle registers pattern behind the middleware: metrics and logs, body
// limit, session and role check, CSRF check on POST. What depends only on
// the route (its counters, its log level, whether it needs a session) is
// settled here, once, so that a public request such as an exposure
// evaluation costs a few atomic adds and no allocation of the middleware's
// own (TestEvaluateMiddlewareAllocs).
func (s *Server) handle(pattern string, role Role, h http.HandlerFunc) {
	s.routes = append(s.routes, Route{pattern, role})
	path := pattern
	if _, p, ok := strings.Cut(pattern, " "); ok {
		path = p
	}
	rm := s.metrics.route(path)
	level := slog.LevelInfo
	switch path {
	case "/healthz", "/metrics", "/static/", "/api/exposure/evaluate", "/api/exposure/cases/{id}/buckets/{index}":
		level = slog.LevelDebug // frequent and public: only when asked for
	}
	// The evaluate handler reads at most MaxBatch elements into a fixed
	// buffer (or 64 KiB of JSON): it caps its body itself.
	limitBody := path != "/cases/upload" && path != "/api/exposure/evaluate"
	wantSession := role != RoleNone || path == "/login" || path == "/check"
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inflight.Add(1)
		rec := recorders.Get().(*statusRecorder)
		*rec = statusRecorder{ResponseWriter: w, code: 200}
		var sess *session
		defer func() {
			s.metrics.inflight.Add(-1)
			d := time.Since(start)
			code, n := rec.code, rec.n
			*rec = statusRecorder{}
			recorders.Put(rec)
			rm.observe(code, d)
			if !s.log.Enabled(r.Context(), level) {
				return
			}
			attrs := []any{"method", r.Method, "route", path, "status", code, "ms", float64(d.Microseconds()) / 1000, "bytes", n}
			if sess != nil {
				attrs = append(attrs, "user", sess.user)
			}
			s.log.Log(r.Context(), level, "http", attrs...)
		}()
		w = rec
		hdr := w.Header()
		for _, kv := range securityHeaders {
			hdr[kv.key] = kv.value // shared, never modified: saves an allocation per header
		}
		if limitBody {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		}
		if wantSession {
			sess = s.sessions.get(r, s.users)
			if sess != nil && role == RoleNone {
				// Public pages show who is logged in, nothing more.
				r = r.WithContext(context.WithValue(r.Context(), sessionKey, sess))
			}
		}
		if role != RoleNone {
			if sess == nil {
				if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
					http.Redirect(w, r, "/login?next="+urlPathEscape(r.URL.Path), http.StatusSeeOther)
					return
				}
				http.Error(w, "login required", http.StatusUnauthorized)
				return
			}
			if sess.role < role {
				s.fail(w, r, http.StatusForbidden, "err.forbidden", nil)
				return
			}
			if r.Method == http.MethodPost {
				tok := r.Header.Get("X-CSRF-Token")
				if tok == "" && path != "/cases/upload" {
					tok = r.PostFormValue("csrf")
				}
				if subtle.ConstantTimeCompare([]byte(tok), []byte(sess.csrf)) != 1 {
					http.Error(w, "missing or wrong CSRF token", http.StatusForbidden)
					return
				}
			}
			r = r.WithContext(context.WithValue(r.Context(), sessionKey, sess))
		}
		h(w, r)
	})
}

// recorders recycles the middleware's statusRecorders: a handler never
// keeps its ResponseWriter past its return.
var recorders = sync.Pool{New: func() any { return new(statusRecorder) }}

// securityHeaders go on every answer (canonical keys; the values are shared
// and never modified).
var securityHeaders = []struct {
	key   string
	value []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"X-Frame-Options", []string{"SAMEORIGIN"}},
	{"Content-Security-Policy", []string{"default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; frame-ancestors 'self'; form-action 'self'"}},
}

// Shared header values of the exposure API's answers.
var (
	hdrNoStore     = []string{"no-store"}
	hdrOctetStream = []string{"application/octet-stream"}
)

func urlPathEscape(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return "/"
	}
	return template.URLQueryEscaper(p)
}

type statusRecorder struct {
	http.ResponseWriter
	code  int
	n     int64
	wrote bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// staticHandler serves the files of fsys; a directory is 404, not listed.
func staticHandler(fsys fs.FS) http.Handler {
	h := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "" || strings.HasSuffix(p, "/") {
			http.NotFound(w, r)
			return
		}
		if fi, err := fs.Stat(fsys, strings.TrimPrefix(p, "/")); err == nil && fi.IsDir() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		if r.URL.Path == "check.wasm" && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			// 4.7 MB of WebAssembly is 1.3 MB gzipped: compress it once.
			if gz := gzippedWasm(); gz != nil {
				w.Header().Set("Content-Type", "application/wasm")
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("Vary", "Accept-Encoding")
				w.Header().Set("Content-Length", strconv.Itoa(len(gz)))
				w.Write(gz)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

var gzippedWasm = sync.OnceValue(func() []byte {
	raw, err := staticFS.ReadFile("static/check.wasm")
	if err != nil {
		return nil
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(raw)
	if zw.Close() != nil {
		return nil
	}
	return b.Bytes()
})

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// ListenAndServe serves on addr until ctx is cancelled, then shuts down
// gracefully (in-flight requests get up to 10 s). ready, if not nil, is
// called with the bound address.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	return s.Serve(ctx, ln, ready)
}

// Serve is ListenAndServe on a listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener, ready func(net.Addr)) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String(), "dir", s.cfg.Dir)
	if ready != nil {
		ready(ln.Addr())
	}
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	s.Close()
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func (s *Server) secure(r *http.Request) bool { return s.cfg.Secure || r.TLS != nil }

// ---- pages ----

type page struct {
	L      Lang
	User   string
	Role   Role
	CSRF   string
	Title  string
	Path   string
	Flash  string
	Error  string
	Data   any
	RoleOK map[string]bool // "investigator", "custodian": the user has at least that role
}

func (s *Server) parseTemplates() error {
	funcs := template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"num": formatInt,
	}
	s.tmpl = map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	for _, n := range names {
		base := filepath.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("template %s: %w", base, err)
		}
		s.tmpl[strings.TrimSuffix(base, ".html")] = t
	}
	return nil
}

func formatInt(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case float64:
		n = int64(x)
	default:
		return fmt.Sprint(v)
	}
	return thousands.Sprintf("%d", n)
}

// thousands writes numbers with thousands separators: 1,000,000.
var thousands = message.NewPrinter(language.English)

func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name, title string, data any) {
	l := langOf(r)
	if v := r.URL.Query().Get("lang"); v == "es" || v == "en" {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: v, Path: "/", MaxAge: 365 * 86400, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
	}
	p := page{L: l, Title: l.T(title), Path: r.URL.Path, Data: data, RoleOK: map[string]bool{}}
	if sess := sessionOf(r); sess != nil {
		p.User, p.Role, p.CSRF = sess.user, sess.role, sess.csrf
		p.RoleOK["investigator"] = sess.role >= RoleInvestigator
		p.RoleOK["custodian"] = sess.role >= RoleCustodian
	}
	if f, ok := data.(interface{ flash() (string, string) }); ok {
		p.Flash, p.Error = f.flash()
	}
	t := s.tmpl[name]
	if t == nil {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	var buf strings.Builder
	if err := t.Execute(&buf, p); err != nil {
		s.log.Error("render", "template", name, "err", err)
		http.Error(w, "render error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	io.WriteString(w, buf.String())
}

// fail answers an error page (HTML) or text, and logs server errors.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, key string, err error) {
	if err != nil && code >= 500 {
		s.log.Error("request failed", "route", r.Pattern, "err", err)
	}
	msg := langOf(r).T(key)
	if err != nil && code < 500 {
		msg += " " + s.userError(err)
	}
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		s.render(w, r, code, "error", "err.generic", struct{ Message string }{msg})
		return
	}
	http.Error(w, msg, code)
}

// userError is err's message as shown to users: the workspace directory's
// path is written DIR, so that pages and job status do not tell where the
// workspace and its uploads are on the server's disk (the log has it).
func (s *Server) userError(err error) string {
	msg := err.Error()
	if s.cfg.Dir == "" {
		return msg
	}
	dirs := []string{filepath.Clean(s.cfg.Dir)}
	if abs, err := filepath.Abs(s.cfg.Dir); err == nil {
		dirs = append(dirs, abs)
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			dirs = append(dirs, real)
		}
	}
	// Longest first, so that no shorter form cuts a longer one in two.
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	for _, d := range dirs {
		if d != "." && d != string(filepath.Separator) {
			msg = replacePath(msg, d, "DIR")
		}
	}
	return msg
}

// replacePath replaces the path p in msg where it stands as a whole path
// or a path's leading directories (so "ws" is not found in "news/ws2").
func replacePath(msg, p, with string) string {
	var b strings.Builder
	for {
		i := strings.Index(msg, p)
		if i < 0 {
			b.WriteString(msg)
			return b.String()
		}
		j := i + len(p)
		before := i == 0 || strings.IndexByte(" \t\n\"'`(:=,[", msg[i-1]) >= 0
		after := j == len(msg) || strings.IndexByte("/ \t\n\"'`):,]", msg[j]) >= 0
		b.WriteString(msg[:i])
		if before && after {
			b.WriteString(with)
		} else {
			b.WriteString(p)
		}
		msg = msg[j:]
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

func (s *Server) metricsPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w)
}

// ---- login ----

const loginCSRFCookie = "huella_login_csrf"

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/login", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
	s.render(w, r, 200, "login", "login.title", loginData{CSRF: tok, Next: safeNext(r.URL.Query().Get("next"))})
}

type loginData struct {
	CSRF, Next, Err string
}

func (d loginData) flash() (string, string) { return "", d.Err }

// safeNext returns n if it is a path on this server to go to after login,
// else "/cases". It must start with one "/" followed by neither "/" nor
// "\\", hold no backslash and no control character (browsers drop tabs and
// newlines, so "/\t/evil.example" would be "//evil.example", another
// host), neither as such nor percent-encoded, and parse as a URL with no
// scheme, host or user.
func safeNext(n string) string {
	const def = "/cases"
	ok := func(p string) bool {
		if len(p) < 2 || p[0] != '/' || p[1] == '/' || p[1] == '\\' || strings.Contains(p, "\\") {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < 0x20 || p[i] == 0x7f {
				return false
			}
		}
		return true
	}
	if !ok(n) {
		return def
	}
	if d, err := url.PathUnescape(n); err != nil || !ok(d) {
		return def
	}
	u, err := url.Parse(n)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return def
	}
	return n
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		http.Error(w, "missing or wrong CSRF token; reload the login page", http.StatusForbidden)
		return
	}
	name := r.PostFormValue("user")
	key := s.limitKey(r)
	// The token is taken before the hash, so that requests sent together
	// cannot all pass a check made before any of them failed; a successful
	// login gives it back, so that only failures count (10 at once, then
	// one every 6 s) and an investigator who logs in often is never locked
	// out by their own logins.
	if !s.loginLim.allow(key, 1) {
		w.Header().Set("Retry-After", "6")
		http.Error(w, "too many failed logins; wait a little", http.StatusTooManyRequests)
		return
	}
	acct, role, ok, busy := s.authenticate(r.Context(), name, r.PostFormValue("password"))
	if busy {
		// Not a failed attempt: the server was too busy to check it.
		s.loginLim.refund(key, 1)
		w.Header().Set("Retry-After", "2")
		http.Error(w, "too many logins at once; try again in a moment", http.StatusServiceUnavailable)
		return
	}
	if !ok {
		s.metrics.loginFailures.Add(1)
		s.log.Warn("login failed", "remote", s.clientAddr(r).String())
		tok := randomToken()
		http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/login", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
		s.render(w, r, http.StatusUnauthorized, "login", "login.title", loginData{CSRF: tok, Next: safeNext(r.PostFormValue("next")), Err: langOf(r).T("login.failed")})
		return
	}
	s.loginLim.refund(key, 1)
	s.metrics.logins.Add(1)
	sess, err := s.sessions.create(acct, role)
	if err != nil {
		// The session works until a restart; say so in the log.
		s.log.Error("save sessions", "err", err)
	}
	s.log.Info("login", "user", name, "role", role.String())
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r), MaxAge: int(sessionTTL.Seconds())})
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// loginHashWait is how long a login waits for a free password-hash slot
// before it is answered 503 (its rate-limit token given back).
const loginHashWait = 10 * time.Second

// hashSlots is how many argon2id password checks may run at once: each
// takes 64 MiB (argonMemory) and a CPU for about 0.1 s, so a flood of
// logins, with or without an account, would otherwise take memory without
// bound. Logins beyond it wait their turn (loginHashWait).
func hashSlots() int { return min(max(runtime.GOMAXPROCS(0), 1), 4) }

// authenticate checks a password under the hash semaphore. busy reports
// that no slot came free within loginHashWait (or the client went away):
// nothing was checked. A known and an unknown user take the same path and
// the same time (Users.authenticate hashes against a dummy hash).
func (s *Server) authenticate(ctx context.Context, name, password string) (acct User, role Role, ok, busy bool) {
	t := time.NewTimer(loginHashWait)
	defer t.Stop()
	select {
	case s.hashSem <- struct{}{}:
	case <-t.C:
		return User{}, RoleNone, false, true
	case <-ctx.Done():
		return User{}, RoleNone, false, true
	}
	defer func() { <-s.hashSem }()
	n := s.hashBusy.Add(1)
	defer s.hashBusy.Add(-1)
	for p := s.hashPeak.Load(); n > p && !s.hashPeak.CompareAndSwap(p, n); p = s.hashPeak.Load() {
	}
	acct, role, ok = s.users.authenticate(name, password)
	return acct, role, ok, false
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.sessions.drop(sessionOf(r).token); err != nil {
		s.log.Error("save sessions", "err", err)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// clientAddr is the address of the client that made r: the connection's,
// or, when the connection comes from a trusted proxy (Config.TrustedProxies),
// the right-most X-Forwarded-For address that is not a trusted proxy
// itself. Each proxy appends the address it was connected from, so the
// entries left of the first untrusted one are the client's to invent and
// are never read. If every entry is a trusted proxy, or one is not an
// address, the last trusted hop is the client. It does not allocate.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	a := parseAddr(r.RemoteAddr)
	if !s.trustedProxy(a) {
		return a
	}
	vals := r.Header.Values("X-Forwarded-For")
	for i := len(vals) - 1; i >= 0; i-- {
		v := vals[i]
		for v != "" {
			part := v
			if j := strings.LastIndexByte(v, ','); j >= 0 {
				part, v = v[j+1:], v[:j]
			} else {
				v = ""
			}
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			x := parseAddr(part)
			if !x.IsValid() {
				return a
			}
			a = x
			if !s.trustedProxy(a) {
				return a
			}
		}
	}
	return a
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// limitKey is the rate-limit key of a request's client (see clientKey).
func (s *Server) limitKey(r *http.Request) netip.Addr { return addrKey(s.clientAddr(r)) }

// ---- exposure API ----

// setCache holds the published sets, re-read when the directory changes.
type setCache struct {
	dir  string
	mu   sync.Mutex
	mod  time.Time
	sets map[string]*exposure.Set
	list []*exposure.Set
}

func (c *setCache) get() ([]*exposure.Set, map[string]*exposure.Set, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fi, err := os.Stat(exposure.SetDir(c.dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if c.sets != nil && fi.ModTime().Equal(c.mod) {
		return c.list, c.sets, nil
	}
	list, err := exposure.LoadAll(c.dir)
	if err != nil {
		return nil, nil, err
	}
	m := map[string]*exposure.Set{}
	for _, x := range list {
		m[x.Case] = x
	}
	c.list, c.sets, c.mod = list, m, fi.ModTime()
	return list, m, nil
}

func (c *setCache) invalidate() {
	c.mu.Lock()
	c.sets = nil
	c.mu.Unlock()
}

type exposureCase struct {
	ID         string `json:"id"`
	Published  string `json:"published"`
	PrefixBits int    `json:"prefix_bits"`
	BucketSize int    `json:"bucket_size"`
}

func (s *Server) exposureCases(w http.ResponseWriter, r *http.Request) {
	list, _, err := s.sets.get()
	if err != nil {
		s.fail(w, r, 500, "err.generic", err)
		return
	}
	out := struct {
		Suite string         `json:"suite"`
		Cases []exposureCase `json:"cases"`
	}{Suite: exposure.SuiteID, Cases: []exposureCase{}}
	for _, x := range list {
		out.Cases = append(out.Cases, exposureCase{x.Case, x.Published.Format(time.RFC3339), x.PrefixBits, x.BucketSize})
	}
	writeJSON(w, 200, out)
}

// MaxBatch is the most elements one evaluation request may carry.
const MaxBatch = 16

// evalBufs recycles the evaluate handler's body buffers.
var evalBufs = sync.Pool{New: func() any { return new([MaxBatch*exposure.ElementSize + 1]byte) }}

func (s *Server) exposureEvaluate(w http.ResponseWriter, r *http.Request) {
	binary := r.Header.Get("Content-Type") == "application/octet-stream"
	var body []byte
	var err error
	if binary {
		// At most MaxBatch elements: read into a fixed buffer, one byte more
		// to notice a longer body.
		buf := evalBufs.Get().(*[MaxBatch*exposure.ElementSize + 1]byte)
		defer evalBufs.Put(buf)
		n, err := io.ReadFull(r.Body, buf[:])
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		body = buf[:n]
	} else if body, err = io.ReadAll(io.LimitReader(r.Body, 64<<10)); err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	blinded := body
	if !binary {
		var req struct {
			Blinded string `json:"blinded"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, "body: expected {\"blinded\":\"<base64>\"}", http.StatusBadRequest)
			return
		}
		if blinded, err = base64.StdEncoding.DecodeString(req.Blinded); err != nil {
			http.Error(w, "blinded: not base64", http.StatusBadRequest)
			return
		}
	}
	n := len(blinded) / exposure.ElementSize
	if n < 1 || n > MaxBatch || len(blinded)%exposure.ElementSize != 0 {
		http.Error(w, fmt.Sprintf("expected 1 to %d elements of %d bytes", MaxBatch, exposure.ElementSize), http.StatusBadRequest)
		return
	}
	if !s.limiter.allow(s.limitKey(r), n) {
		s.metrics.rateLimited.Add(1)
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many requests", http.StatusTooManyRequests)
		return
	}
	s.markCheck(time.Now())
	ev, err := s.cfg.Key.Evaluate(blinded)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.metrics.evaluations.Add(uint64(n))
	hdr := w.Header()
	hdr["Cache-Control"] = hdrNoStore
	if binary {
		hdr["Content-Type"] = hdrOctetStream
		w.Write(ev)
		return
	}
	writeJSON(w, 200, map[string]string{"evaluated": base64.StdEncoding.EncodeToString(ev)})
}

func (s *Server) exposureBucket(w http.ResponseWriter, r *http.Request) {
	_, m, err := s.sets.get()
	if err != nil {
		s.fail(w, r, 500, "err.generic", err)
		return
	}
	set := m[r.PathValue("id")]
	i, err := strconv.Atoi(r.PathValue("index"))
	if set == nil || err != nil || i < 0 || i >= set.Buckets() {
		http.Error(w, "no such case or bucket", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(set.Bucket(i))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (s *Server) checkPage(w http.ResponseWriter, r *http.Request) {
	list, _, err := s.sets.get()
	if err != nil {
		s.fail(w, r, 500, "err.generic", err)
		return
	}
	var ids []string
	for _, x := range list {
		ids = append(ids, x.Case)
	}
	s.render(w, r, 200, "check", "check.title", struct{ Cases []string }{ids})
}

// ---- helpers shared by the page handlers ----

func (s *Server) notFoundOr500(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNotFound) {
		s.fail(w, r, http.StatusNotFound, "err.notfound", nil)
		return
	}
	s.fail(w, r, 500, "err.generic", err)
}
