package server

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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

// BenchmarkLoopbackFloor is what one request costs on 127.0.0.1 without
// any work in the handler, server and client counted together (they share
// the machine in TestLoad): net/http with a handler that answers 32 bytes,
// and a minimal hand-written HTTP/1.1 responder, both driven by the load
// test's raw keep-alive client on 8 connections. cpu-µs/req is the process's
// CPU time (user+system, the kernel's loopback work included) per request.
func BenchmarkLoopbackFloor(b *testing.B) {
	answer := bytes.Repeat([]byte{1}, exposure.ElementSize)
	serveHTTP := func(ln net.Listener) func() {
		hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var buf [64]byte
			io.ReadFull(r.Body, buf[:])
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(answer)
		}), ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
		go hs.Serve(ln)
		return func() { hs.Close() }
	}
	serveRaw := func(ln net.Listener) func() {
		resp := append([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 32\r\n\r\n"), answer...)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					r := bufio.NewReader(c)
					for {
						n := 0
						for {
							l, err := r.ReadSlice('\n')
							if err != nil {
								return
							}
							if len(l) == 2 {
								break
							}
							if k, v, ok := strings.Cut(string(l), ":"); ok && strings.EqualFold(k, "Content-Length") {
								n, _ = strconv.Atoi(strings.TrimSpace(v))
							}
						}
						if _, err := r.Discard(n); err != nil {
							return
						}
						if _, err := c.Write(resp); err != nil {
							return
						}
					}
				}()
			}
		}()
		return func() { ln.Close() }
	}
	for _, bc := range []struct {
		name  string
		serve func(net.Listener) func()
	}{{"net-http", serveHTTP}, {"raw-tcp", serveRaw}} {
		b.Run(bc.name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			stop := bc.serve(ln)
			defer stop()
			const conns = 8
			cs := make([]*rawConn, conns)
			for i := range cs {
				if cs[i], err = dialRaw(ln.Addr().String()); err != nil {
					b.Fatal(err)
				}
				defer cs[i].Close()
			}
			body := bytes.Repeat([]byte{2}, exposure.ElementSize)
			var next atomic.Int64
			c0 := processCPU()
			b.ResetTimer()
			var wg sync.WaitGroup
			for _, c := range cs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if _, err := c.post("/api/exposure/evaluate", body); err != nil {
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
