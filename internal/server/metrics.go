package server

import (
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// metrics are exported at /metrics in the Prometheus text format 0.0.4,
// written by hand: a handful of counters and one histogram do not need a
// client library.
type metrics struct {
	start time.Time

	mu       sync.Mutex
	requests map[reqKey]uint64 // huella_http_requests_total{route,code}
	hist     map[string]*histogram

	evaluations   atomic.Uint64 // huella_exposure_evaluations_total
	rateLimited   atomic.Uint64 // huella_exposure_rate_limited_total
	logins        atomic.Uint64
	loginFailures atomic.Uint64
	uploads       atomic.Uint64
	uploadBytes   atomic.Uint64
	inflight      atomic.Int64
}

type reqKey struct {
	route string
	code  int
}

// Latency buckets in seconds.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	n      uint64
}

func newMetrics() *metrics {
	return &metrics{start: time.Now(), requests: map[reqKey]uint64{}, hist: map[string]*histogram{}}
}

func (m *metrics) observe(route string, code int, d time.Duration) {
	s := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[reqKey{route, code}]++
	h := m.hist[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets)+1)}
		m.hist[route] = h
	}
	i := sort.SearchFloat64s(latencyBuckets, s)
	h.counts[i]++
	h.sum += s
	h.n++
}

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(w, "# HELP huella_http_requests_total HTTP requests by route pattern and status code.\n# TYPE huella_http_requests_total counter\n")
	keys := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].route != keys[j].route {
			return keys[i].route < keys[j].route
		}
		return keys[i].code < keys[j].code
	})
	for _, k := range keys {
		fmt.Fprintf(w, "huella_http_requests_total{route=%q,code=\"%d\"} %d\n", k.route, k.code, m.requests[k])
	}
	fmt.Fprintf(w, "# HELP huella_http_request_duration_seconds Time to answer a request, by route pattern.\n# TYPE huella_http_request_duration_seconds histogram\n")
	routes := make([]string, 0, len(m.hist))
	for r := range m.hist {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		h := m.hist[r]
		var cum uint64
		for i, b := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "huella_http_request_duration_seconds_bucket{route=%q,le=\"%g\"} %d\n", r, b, cum)
		}
		fmt.Fprintf(w, "huella_http_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", r, h.n)
		fmt.Fprintf(w, "huella_http_request_duration_seconds_sum{route=%q} %g\n", r, h.sum)
		fmt.Fprintf(w, "huella_http_request_duration_seconds_count{route=%q} %d\n", r, h.n)
	}
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	counter("huella_exposure_evaluations_total", "OPRF evaluations answered.", m.evaluations.Load())
	counter("huella_exposure_rate_limited_total", "Exposure requests refused by the per-client rate limit.", m.rateLimited.Load())
	counter("huella_logins_total", "Successful logins.", m.logins.Load())
	counter("huella_login_failures_total", "Failed logins.", m.loginFailures.Load())
	counter("huella_uploads_total", "Leak files uploaded.", m.uploads.Load())
	counter("huella_upload_bytes_total", "Bytes of leak files uploaded.", m.uploadBytes.Load())
	fmt.Fprintf(w, "# HELP huella_http_inflight_requests Requests being answered.\n# TYPE huella_http_inflight_requests gauge\nhuella_http_inflight_requests %d\n", m.inflight.Load())
	fmt.Fprintf(w, "# HELP huella_uptime_seconds Seconds since the server started.\n# TYPE huella_uptime_seconds gauge\nhuella_uptime_seconds %g\n", math.Round(time.Since(m.start).Seconds()))
}

// rateLimiter is a token bucket per client key (the remote IP): rate tokens
// a second, up to burst. Idle buckets are dropped now and then so the map
// does not grow without end.
type rateLimiter struct {
	rate, burst float64
	mu          sync.Mutex
	buckets     map[string]*tokenBucket
	lastSweep   time.Time
	now         func() time.Time
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), buckets: map[string]*tokenBucket{}, now: time.Now}
}

// peek reports whether key's bucket holds a token, without taking it.
func (l *rateLimiter) peek(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		return true
	}
	return math.Min(l.burst, b.tokens+l.now().Sub(b.last).Seconds()*l.rate) >= 1
}

// allow takes n tokens from key's bucket, if it has them.
func (l *rateLimiter) allow(key string, n int) bool {
	if l.rate <= 0 {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.last).Seconds()*l.rate > l.burst {
				delete(l.buckets, k)
			}
		}
		l.lastSweep = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &tokenBucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	return true
}
