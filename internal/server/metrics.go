package server

import (
	"fmt"
	"io"
	"math"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// metrics are exported at /metrics in the Prometheus text format 0.0.4,
// written by hand: a handful of counters and one histogram do not need a
// client library. Every route gets its counters when it is registered, so
// that answering a request only adds to atomics: no lock, no map, no
// allocation on the hot path.
type metrics struct {
	start time.Time

	mu     sync.Mutex // guards routes (appended at registration)
	routes []*routeMetrics

	evaluations   atomic.Uint64 // huella_exposure_evaluations_total
	rateLimited   atomic.Uint64 // huella_exposure_rate_limited_total
	logins        atomic.Uint64
	loginFailures atomic.Uint64
	uploads       atomic.Uint64
	uploadBytes   atomic.Uint64
	inflight      atomic.Int64
	analysisPause atomic.Int64 // nanoseconds analyses spent yielding to checks
}

// routeMetrics are one route's request counters and latency histogram.
type routeMetrics struct {
	route   string
	codes   [500]atomic.Uint64 // status 100–599 at code-100
	buckets [len(latencyBuckets) + 1]atomic.Uint64
	sumNS   atomic.Uint64
	n       atomic.Uint64
}

// Latency buckets in seconds, and the same as durations for observe.
var (
	latencyBuckets = [...]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	latencyLimits  = func() (d [len(latencyBuckets)]time.Duration) {
		for i, s := range latencyBuckets {
			d[i] = time.Duration(s * float64(time.Second))
		}
		return d
	}()
)

func newMetrics() *metrics {
	return &metrics{start: time.Now()}
}

// route returns the counters of a route, made on first use (registration).
func (m *metrics) route(name string) *routeMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.routes {
		if r.route == name {
			return r
		}
	}
	r := &routeMetrics{route: name}
	m.routes = append(m.routes, r)
	return r
}

// observe counts one answer.
func (r *routeMetrics) observe(code int, d time.Duration) {
	if code < 100 || code > 599 {
		code = 599
	}
	r.codes[code-100].Add(1)
	i := 0
	for i < len(latencyLimits) && d > latencyLimits[i] {
		i++
	}
	r.buckets[i].Add(1)
	r.sumNS.Add(uint64(max(d, 0)))
	r.n.Add(1)
}

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	routes := append([]*routeMetrics(nil), m.routes...)
	m.mu.Unlock()
	sort.Slice(routes, func(i, j int) bool { return routes[i].route < routes[j].route })
	fmt.Fprintf(w, "# HELP huella_http_requests_total HTTP requests by route pattern and status code.\n# TYPE huella_http_requests_total counter\n")
	for _, r := range routes {
		for i := range r.codes {
			if v := r.codes[i].Load(); v > 0 {
				fmt.Fprintf(w, "huella_http_requests_total{route=%q,code=\"%d\"} %d\n", r.route, i+100, v)
			}
		}
	}
	fmt.Fprintf(w, "# HELP huella_http_request_duration_seconds Time to answer a request, by route pattern.\n# TYPE huella_http_request_duration_seconds histogram\n")
	for _, r := range routes {
		n := r.n.Load()
		if n == 0 {
			continue
		}
		var cum uint64
		for i, b := range latencyBuckets {
			cum += r.buckets[i].Load()
			fmt.Fprintf(w, "huella_http_request_duration_seconds_bucket{route=%q,le=\"%g\"} %d\n", r.route, b, cum)
		}
		fmt.Fprintf(w, "huella_http_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", r.route, cum+r.buckets[len(latencyBuckets)].Load())
		fmt.Fprintf(w, "huella_http_request_duration_seconds_sum{route=%q} %g\n", r.route, float64(r.sumNS.Load())/1e9)
		fmt.Fprintf(w, "huella_http_request_duration_seconds_count{route=%q} %d\n", r.route, n)
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
	fmt.Fprintf(w, "# HELP huella_analysis_yield_seconds_total Time analyses of uploads paused to leave the CPUs to exposure checks.\n# TYPE huella_analysis_yield_seconds_total counter\nhuella_analysis_yield_seconds_total %g\n", float64(m.analysisPause.Load())/1e9)
	fmt.Fprintf(w, "# HELP huella_http_inflight_requests Requests being answered.\n# TYPE huella_http_inflight_requests gauge\nhuella_http_inflight_requests %d\n", m.inflight.Load())
	fmt.Fprintf(w, "# HELP huella_uptime_seconds Seconds since the server started.\n# TYPE huella_uptime_seconds gauge\nhuella_uptime_seconds %g\n", math.Round(time.Since(m.start).Seconds()))
}

// rateLimiter is a token bucket per client (see clientKey): rate tokens a
// second, up to burst. The buckets are spread over shards, each with its own
// lock and map, so that a check takes one uncontended lock and one map
// lookup: O(1). Each shard drops its idle buckets (full again) at most once a
// minute, so the maps do not grow without end.
type rateLimiter struct {
	rate, burst float64
	shards      [limiterShards]limiterShard
	now         func() time.Time
}

const limiterShards = 32

type limiterShard struct {
	mu        sync.Mutex
	buckets   map[netip.Addr]*tokenBucket
	lastSweep time.Time
	_         [24]byte // keep shards on separate cache lines
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int) *rateLimiter {
	l := &rateLimiter{rate: rate, burst: float64(burst), now: time.Now}
	for i := range l.shards {
		l.shards[i].buckets = map[netip.Addr]*tokenBucket{}
	}
	return l
}

func (l *rateLimiter) shard(key netip.Addr) *limiterShard {
	b := key.As16()
	var h uint32 = 2166136261 // FNV-1a
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return &l.shards[h%limiterShards]
}

// refund gives back n tokens taken from key's bucket (up to the burst).
func (l *rateLimiter) refund(key netip.Addr, n int) {
	sh := l.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if b := sh.buckets[key]; b != nil {
		b.tokens = math.Min(l.burst, b.tokens+float64(n))
	}
}

// allow takes n tokens from key's bucket, if it has them.
func (l *rateLimiter) allow(key netip.Addr, n int) bool {
	if l.rate <= 0 {
		return true
	}
	now := l.now()
	sh := l.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if now.Sub(sh.lastSweep) > time.Minute {
		for k, b := range sh.buckets {
			if now.Sub(b.last).Seconds()*l.rate > l.burst {
				delete(sh.buckets, k)
			}
		}
		sh.lastSweep = now
	}
	b := sh.buckets[key]
	if b == nil {
		b = &tokenBucket{tokens: l.burst, last: now}
		sh.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	return true
}

// clientKey is the rate-limit key of a connection's address: the IPv4
// address, or the /64 of an IPv6 one (one subscriber's usual allocation,
// whose addresses a client can rotate through at will). It does not
// allocate. Server.limitKey is the key of a request, which may come through
// a trusted proxy.
func clientKey(remoteAddr string) netip.Addr { return addrKey(parseAddr(remoteAddr)) }

// addrKey is the rate-limit key of an address (see clientKey).
func addrKey(a netip.Addr) netip.Addr {
	if a.Is6() {
		p, _ := a.Prefix(64)
		a = p.Addr()
	}
	return a
}

// parseAddr reads "IP:PORT", "[IPv6]:PORT", "IP" or "[IPv6]" as an address,
// IPv4-mapped IPv6 as IPv4 and with no zone; the zero Addr if it is none.
// It does not allocate for a valid address (a failed parse would: the form
// is told apart first).
func parseAddr(s string) netip.Addr {
	var a netip.Addr
	var err error
	switch {
	case strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"):
		a, err = netip.ParseAddr(s[1 : len(s)-1])
	case strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1:
		var ap netip.AddrPort
		ap, err = netip.ParseAddrPort(s)
		a = ap.Addr()
	default:
		a, err = netip.ParseAddr(s)
	}
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// ParseTrustedProxies reads a comma-separated list of CIDR prefixes or
// addresses (one address is a /32 or /128), as given to
// "huella serve --trusted-proxy". An empty list is nil.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		var p netip.Prefix
		if strings.Contains(f, "/") {
			var err error
			if p, err = netip.ParsePrefix(f); err != nil {
				return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR prefix", f)
			}
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
		} else {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR prefix", f)
			}
			a = a.Unmap().WithZone("")
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
