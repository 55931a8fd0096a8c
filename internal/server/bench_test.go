package server

import (
	"bytes"
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
