package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/huella/huella/internal/exposure"
)

// BenchmarkEvaluateHandler is one exposure evaluation through the whole
// handler stack (middleware, rate limiter, metrics) without the network;
// compare with exposure's BenchmarkEvaluate for the HTTP overhead.
func BenchmarkEvaluateHandler(b *testing.B) {
	s, err := New(Config{Dir: b.TempDir(), EvalRate: -1})
	if err != nil {
		b.Fatal(err)
	}
	bl, _ := exposure.Blind("SABC560626MDFLRN01")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/api/exposure/evaluate", bytes.NewReader(bl.Request))
			req.Header.Set("Content-Type", "application/octet-stream")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatal(w.Code)
			}
		}
	})
}

// nullWriter is a reusable http.ResponseWriter for allocation counts.
type nullWriter struct {
	h    http.Header
	code int
}

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nullWriter) WriteHeader(code int)        { w.code = code }

// TestEvaluateMiddlewareAllocs: the middleware and the handler of
// POST /api/exposure/evaluate allocate nothing beyond what Key.Evaluate
// itself does (the request and its connection are net/http's).
func TestEvaluateMiddlewareAllocs(t *testing.T) {
	s, err := New(Config{Dir: t.TempDir(), EvalRate: 1e9, EvalBurst: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	bl, _ := exposure.Blind("SABC560626MDFLRN01")
	body := bytes.NewReader(bl.Request)
	req := httptest.NewRequest("POST", "/api/exposure/evaluate", io.NopCloser(body))
	req.Header.Set("Content-Type", "application/octet-stream")
	w := &nullWriter{h: http.Header{}}
	run := func() {
		body.Reset(bl.Request)
		clear(w.h)
		w.code = 0
		s.ServeHTTP(w, req)
	}
	run()
	if w.code != 0 && w.code != http.StatusOK {
		t.Fatalf("status %d", w.code)
	}
	handler := testing.AllocsPerRun(200, run)
	eval := testing.AllocsPerRun(200, func() { s.cfg.Key.Evaluate(bl.Request) })
	t.Logf("allocations per evaluate request: %.0f, of which Key.Evaluate %.0f", handler, eval)
	if handler > eval {
		t.Errorf("the middleware and handler allocate %.0f times per request beyond Key.Evaluate's %.0f", handler-eval, eval)
	}
}
