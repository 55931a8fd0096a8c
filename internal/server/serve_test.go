package server

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huella/huella/internal/exposure/client"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeLogsAndShutdown serves on a real socket, uploads a leak, checks
// CURPs, then shuts down: the logs are structured, hold no CURP, and the
// server stops cleanly.
func TestServeLogsAndShutdown(t *testing.T) {
	var logs syncBuffer
	e := newTestEnv(t, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, ln, nil) }()
	base := "http://" + ln.Addr().String()

	inv := e.browser()
	inv.base = base
	inv.login("ines")
	curps := syntheticCURPs(30)
	id := inv.upload("leak.txt", strings.Join(curps[:20], "\n"))
	inv.do("POST", "/cases/"+id+"/publish", map[string][]string{"csrf": {inv.csrf}}, nil)
	for _, c := range []string{curps[3], curps[25]} {
		if _, err := client.Check(context.Background(), nil, base, c); err != nil {
			t.Fatal(err)
		}
	}
	// A request in flight when the shutdown starts still gets its answer.
	slow := make(chan int, 1)
	go func() {
		resp, err := http.Get(base + "/cases/" + id + "/report")
		if err != nil {
			slow <- 0
			return
		}
		resp.Body.Close()
		slow <- resp.StatusCode
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not shut down")
	}
	<-slow
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("listener still open after shutdown")
	}

	out := logs.String()
	for _, c := range curps {
		if strings.Contains(out, c) {
			t.Fatalf("log holds a CURP (%s)", c)
		}
	}
	for _, want := range []string{`"msg":"http"`, `"route":"/cases/upload"`, `"msg":"upload"`, `"msg":"exposure set published"`, `"msg":"shutting down"`, `"user":"ines"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	if strings.Contains(out, "password") {
		t.Error("log mentions a password")
	}
}
