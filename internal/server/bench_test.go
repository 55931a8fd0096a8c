package server

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// BenchmarkLoopback is what one request costs on 127.0.0.1, server and
// client counted together (they share the machine in TestLoad), driven by
// the load test's raw keep-alive client on 8 connections; cpu-µs/req is the
// process's CPU time (user+system, the kernel's loopback work included) per
// request. Servers: net/http with a bare handler, a minimal hand-written
// HTTP/1.1 responder, and huella's own Server (middleware, rate limiter,
// metrics); each either answers 32 fixed bytes (floor) or evaluates the
// blinded element (evaluate). evaluate-only is Key.Evaluate on every CPU
// without any network, the load test's bound: its cpu-µs/req over another
// line's is the share of the bound that server can reach per CPU-second.
func BenchmarkLoopback(b *testing.B) {
	key, err := exposure.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	bl, _ := exposure.Blind("SABC560626MDFLRN01")
	fixed := bytes.Repeat([]byte{1}, exposure.ElementSize)
	answer := func(eval bool, body []byte) []byte {
		if !eval {
			return fixed
		}
		ev, err := key.Evaluate(body)
		if err != nil {
			panic(err)
		}
		return ev
	}
	serveHTTP := func(ln net.Listener, eval bool) func() {
		hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var buf [64]byte
			n, _ := io.ReadFull(r.Body, buf[:])
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(answer(eval, buf[:n]))
		}), ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
		go hs.Serve(ln)
		return func() { hs.Close() }
	}
	serveHuella := func(ln net.Listener, eval bool) func() {
		s, err := New(Config{Dir: b.TempDir(), Key: key, EvalRate: 1e9, EvalBurst: 1 << 30})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go s.Serve(ctx, ln, nil)
		return cancel
	}
	serveRaw := func(ln net.Listener, eval bool) func() {
		return serveBare(ln, func(body []byte) []byte { return answer(eval, body) })
	}
	b.Run("evaluate-only", func(b *testing.B) {
		c0 := processCPU()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				answer(true, bl.Request)
			}
		})
		b.ReportMetric(float64((processCPU()-c0).Microseconds())/float64(b.N), "cpu-µs/req")
	})
	for _, work := range []string{"floor", "evaluate"} {
		for _, bc := range []struct {
			name  string
			serve func(net.Listener, bool) func()
		}{{"net-http", serveHTTP}, {"raw-tcp", serveRaw}, {"huella", serveHuella}} {
			if work == "floor" && bc.name == "huella" {
				continue // TestLoad measures its floor (GET /healthz)
			}
			b.Run(work+"/"+bc.name, func(b *testing.B) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				stop := bc.serve(ln, work == "evaluate")
				defer stop()
				const conns = 8
				cs := make([]*rawConn, conns)
				for i := range cs {
					if cs[i], err = dialRaw(ln.Addr().String()); err != nil {
						b.Fatal(err)
					}
					defer cs[i].Close()
				}
				var next atomic.Int64
				c0 := processCPU()
				b.ResetTimer()
				var wg sync.WaitGroup
				for _, c := range cs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for next.Add(1) <= int64(b.N) {
							if _, err := c.post("/api/exposure/evaluate", bl.Request); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64((processCPU()-c0).Microseconds())/float64(b.N), "cpu-µs/req")
			})
		}
	}
}
