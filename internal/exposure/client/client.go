// Package client is the Go client of a huella server's exposure-check API
// (see package exposure for the protocol, package server for the routes).
// It lives apart from package exposure so that the WebAssembly build of
// exposure for the browser does not carry net/http.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/huella/huella/internal/exposure"
)

// CaseInfo is one published set as the server lists it.
type CaseInfo struct {
	ID         string `json:"id"`
	Published  string `json:"published"`
	PrefixBits int    `json:"prefix_bits"`
	BucketSize int    `json:"bucket_size"`
}

// Result is the answer of a check.
type Result struct {
	Exposed bool     `json:"exposed"`
	Cases   []string `json:"cases"`   // the published leaks that hold the CURP
	Checked []string `json:"checked"` // every leak that was checked
}

// Check runs the protocol against a huella server at base (e.g.
// "http://127.0.0.1:8080") for one CURP, in the leaks named by only (all
// published leaks when empty). The CURP never leaves this function: the
// server sees a blinded element and, per leak, one bucket index.
func Check(ctx context.Context, hc *http.Client, base, curp string, only ...string) (*Result, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	base = strings.TrimRight(base, "/")
	x, err := exposure.Normalize(curp)
	if err != nil {
		return nil, err
	}
	var list struct {
		Suite string     `json:"suite"`
		Cases []CaseInfo `json:"cases"`
	}
	if err := getJSON(ctx, hc, base+"/api/exposure/cases", &list); err != nil {
		return nil, err
	}
	if list.Suite != exposure.SuiteID {
		return nil, fmt.Errorf("server uses OPRF suite %q, expected %q", list.Suite, exposure.SuiteID)
	}
	cases := list.Cases
	if len(only) > 0 {
		want := map[string]bool{}
		for _, o := range only {
			want[o] = true
		}
		cases = nil
		for _, c := range list.Cases {
			if want[c.ID] {
				cases = append(cases, c)
				delete(want, c.ID)
			}
		}
		for o := range want {
			return nil, fmt.Errorf("leak %q is not published on %s", o, base)
		}
	}
	res := &Result{Cases: []string{}, Checked: []string{}}
	if len(cases) == 0 {
		return res, nil
	}
	b, err := exposure.Blind(x)
	if err != nil {
		return nil, err
	}
	ev, err := post(ctx, hc, base+"/api/exposure/evaluate", b.Request)
	if err != nil {
		return nil, err
	}
	outs, err := b.Finalize(ev)
	if err != nil {
		return nil, err
	}
	for _, c := range cases {
		if c.PrefixBits < 0 || c.PrefixBits > exposure.MaxPrefixBits {
			return nil, fmt.Errorf("leak %s: prefix bits %d out of range", c.ID, c.PrefixBits)
		}
		bucket, err := get(ctx, hc, fmt.Sprintf("%s/api/exposure/cases/%s/buckets/%d", base, url.PathEscape(c.ID), exposure.BucketIndex(outs[0], c.PrefixBits)))
		if err != nil {
			return nil, err
		}
		res.Checked = append(res.Checked, c.ID)
		if exposure.Contains(bucket, exposure.Tag(outs[0])) {
			res.Exposed = true
			res.Cases = append(res.Cases, c.ID)
		}
	}
	return res, nil
}

func do(hc *http.Client, req *http.Request) ([]byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

func get(ctx context.Context, hc *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return do(hc, req)
}

func getJSON(ctx context.Context, hc *http.Client, u string, v any) error {
	b, err := get(ctx, hc, u)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

func post(ctx context.Context, hc *http.Client, u string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	return do(hc, req)
}
