package exposure

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRFC9497Vectors checks the server side against RFC 9497 appendix A.1.1
// (OPRF(ristretto255, SHA-512), base mode).
func TestRFC9497Vectors(t *testing.T) {
	k, err := keyFromScalar(unhex(t, "5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e"))
	if err != nil {
		t.Fatal(err)
	}
	vectors := []struct{ input, blinded, evaluated, output string }{
		{"00", "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c",
			"7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e",
			"527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6"},
		{"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", "da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418",
			"b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25",
			"f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73"},
	}
	for _, v := range vectors {
		t.Run(v.input, func(t *testing.T) {
			ev, err := k.Evaluate(unhex(t, v.blinded))
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(ev); got != v.evaluated {
				t.Errorf("Evaluate = %s, want %s", got, v.evaluated)
			}
			out, err := k.Output(string(unhex(t, v.input)))
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(out); got != v.output {
				t.Errorf("Output = %s, want %s", got, v.output)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"SABC560626MDFLRN01", "SABC560626MDFLRN01", ""},
		{" sabc 5606-26mdflrn01\n", "SABC560626MDFLRN01", ""},
		{"peñx890909mjcrms08", "PEÑX890909MJCRMS08", ""},
		{"pégl890909mjcrms08", "PEGL890909MJCRMS08", ""},
		{"pe\u0301gl890909mjcrms08", "PEGL890909MJCRMS08", ""},
		{"pen\u0303x890909mjcrms08", "PEÑX890909MJCRMS08", ""},
		{"SABC560626MDFLRN0", "", "17 characters"},
		{"SABC560626MDFLRN01X", "", "19 characters"},
		{"SABC560626MDFLRN0/", "", "unexpected character"},
		{"", "", "0 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Normalize(%q) error %v, want %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// syntheticCURPs makes n well-formed, obviously synthetic identifiers.
func syntheticCURPs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("XEXX%06dHDFSYN%02d", i, i%100)
	}
	return out
}

// check runs the whole protocol for one identifier against a set.
func check(t *testing.T, k *Key, s *Set, curp string) bool {
	t.Helper()
	x, err := Normalize(curp)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Blind(x)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Request, []byte(x)) {
		t.Fatal("blinded request contains the identifier")
	}
	ev, err := k.Evaluate(b.Request)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := b.Finalize(ev)
	if err != nil {
		t.Fatal(err)
	}
	direct, _ := k.Output(x)
	if !bytes.Equal(outs[0], direct) {
		t.Fatal("client output differs from the server's direct evaluation")
	}
	return Contains(s.Bucket(BucketIndex(outs[0], s.PrefixBits)), Tag(outs[0]))
}

func TestPublishAndCheck(t *testing.T) {
	k, err := LoadOrCreateKey(filepath.Join(t.TempDir(), "keys", "exposure.key"))
	if err != nil {
		t.Fatal(err)
	}
	all := syntheticCURPs(3000)
	leaked := append([]string{"bad", all[0]}, all[:2500]...) // one invalid, one duplicate
	s, skipped, err := Publish(k, "case-1", leaked, nil)
	if err != nil {
		t.Fatal(err)
	}
	if skipped != 1 || s.People != 2500 {
		t.Fatalf("skipped %d, people %d; want 1, 2500", skipped, s.People)
	}
	if s.PrefixBits != 1 || s.Buckets() != 2 {
		t.Fatalf("prefix bits %d, want 1 for 2500 people", s.PrefixBits)
	}
	if len(s.tags) != s.Buckets()*s.BucketSize*TagSize || s.BucketSize < 1250 {
		t.Fatalf("bucket size %d, %d tag bytes", s.BucketSize, len(s.tags))
	}
	for _, c := range []struct {
		curp string
		want bool
	}{{all[0], true}, {strings.ToLower(all[7]), true}, {all[2499], true}, {all[2500], false}, {all[2999], false}} {
		if got := check(t, k, s, c.curp); got != c.want {
			t.Errorf("check(%s) = %v, want %v", c.curp, got, c.want)
		}
	}
	// Without the key the tags are useless: a set made with another key
	// does not contain the same people.
	k2, _ := GenerateKey()
	if check(t, k2, s, all[0]) {
		t.Error("a different key found a leaked identifier")
	}
}

func TestSetRoundTrip(t *testing.T) {
	k, _ := GenerateKey()
	dir := t.TempDir()
	s, _, err := Publish(k, "leak-2021.07", syntheticCURPs(40), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	sets, err := LoadAll(dir)
	if err != nil || len(sets) != 1 {
		t.Fatalf("LoadAll: %v, %d sets", err, len(sets))
	}
	g := sets[0]
	if g.Case != s.Case || g.People != 40 || g.BucketSize != s.BucketSize || !g.Published.Equal(s.Published) || !bytes.Equal(g.tags, s.tags) {
		t.Fatalf("round trip changed the set: %+v vs %+v", g, s)
	}
	if !check(t, k, g, syntheticCURPs(40)[39]) {
		t.Error("reloaded set misses a member")
	}
}

func TestKeyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keys", "exposure.key")
	k1, err := LoadOrCreateKey(p)
	if err != nil {
		t.Fatal(err)
	}
	sameKeyReloaded(t, p, k1)
}

// sameKeyReloaded checks the key file at p (mode 0600) loads as k.
func sameKeyReloaded(t *testing.T, p string, k *Key) {
	t.Helper()
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
	k2, err := LoadOrCreateKey(p)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := k.Output("SABC560626MDFLRN01")
	b, _ := k2.Output("SABC560626MDFLRN01")
	if !bytes.Equal(a, b) {
		t.Fatal("reloaded key evaluates differently")
	}
}

// TestKeyFileEmpty: an empty key file (an older version died while writing
// it) is replaced by a key, which stays.
func TestKeyFileEmpty(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keys", "exposure.key")
	os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	k1, err := LoadOrCreateKey(p)
	if err != nil {
		t.Fatalf("over an empty key file: %v", err)
	}
	sameKeyReloaded(t, p, k1)
	wantOnlyKey(t, p)

	// A claim to replace it left by a process that died holding it is
	// broken once stale.
	os.WriteFile(p, nil, 0o600)
	claim := filepath.Join(filepath.Dir(p), ".exposure.key.replacing")
	os.WriteFile(claim, nil, 0o600)
	old := time.Now().Add(-2 * claimStale)
	os.Chtimes(claim, old, old)
	if _, err := LoadOrCreateKey(p); err != nil {
		t.Fatalf("with a stale claim: %v", err)
	}
	wantOnlyKey(t, p)
}

// TestKeyFileRace: processes creating the key at once (here goroutines), on
// no file or on an empty one, all get the same key.
func TestKeyFileRace(t *testing.T) {
	for _, empty := range []bool{false, true} {
		t.Run(fmt.Sprintf("empty=%v", empty), func(t *testing.T) {
			for round := 0; round < 20; round++ {
				p := filepath.Join(t.TempDir(), "keys", "exposure.key")
				if empty {
					os.MkdirAll(filepath.Dir(p), 0o700)
					os.WriteFile(p, nil, 0o600)
				}
				const n = 8
				outs := make([][]byte, n)
				errs := make([]error, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						k, err := LoadOrCreateKey(p)
						if err == nil {
							outs[i], err = k.Output("SABC560626MDFLRN01")
						}
						errs[i] = err
					}()
				}
				wg.Wait()
				for i := range n {
					if errs[i] != nil {
						t.Fatalf("round %d, process %d: %v", round, i, errs[i])
					}
					if !bytes.Equal(outs[i], outs[0]) {
						t.Fatalf("round %d: processes %d and 0 got different keys", round, i)
					}
				}
				wantOnlyKey(t, p)
			}
		})
	}
}

// wantOnlyKey checks the key's folder holds the key file alone.
func wantOnlyKey(t *testing.T, p string) {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Dir(p))
	if len(ents) != 1 || ents[0].Name() != filepath.Base(p) {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("key folder holds %v", names)
	}
}

func TestEvaluateRejects(t *testing.T) {
	k, _ := GenerateKey()
	for name, in := range map[string][]byte{
		"empty":     nil,
		"short":     make([]byte, 31),
		"identity":  make([]byte, 32),
		"noncanon":  bytes.Repeat([]byte{0xff}, 32),
		"two bad":   make([]byte, 64),
		"not mult.": make([]byte, 33),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := k.Evaluate(in); !errors.Is(err, ErrBadElement) {
				t.Fatalf("Evaluate(%x) error %v, want ErrBadElement", in, err)
			}
		})
	}
}

func TestReadSetErrors(t *testing.T) {
	good := "huella exposure set v1\ncase c\npublished 2026-01-02T03:04:05Z\npeople 1\nprefix-bits 0\nbucket-size 2\n\n" + strings.Repeat("x", 32)
	if _, err := ReadSet(strings.NewReader(good), "s"); err != nil {
		t.Fatalf("good set: %v", err)
	}
	tests := []struct{ name, in, want string }{
		{"format", strings.Replace(good, "v1", "v9", 1), "s:1: expected"},
		{"field", strings.Replace(good, "people", "persons", 1), "s:4: expected \"people\""},
		{"count", strings.Replace(good, "people 1", "people -1", 1), "s:4: people: not a count"},
		{"bits", strings.Replace(good, "prefix-bits 0", "prefix-bits 40", 1), "s:5: prefix-bits 40"},
		{"short", good[:len(good)-1], "tags: 32 bytes expected, found 31"},
		{"long", good + "x", "trailing bytes"},
		{"overfull", strings.Replace(good, "people 1", "people 3", 1), "do not fit"},
		{"date", strings.Replace(good, "2026-01-02T03:04:05Z", "yesterday", 1), "s:3: published"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadSet(strings.NewReader(tt.in), "s")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func FuzzReadSet(f *testing.F) {
	f.Add([]byte("huella exposure set v1\ncase c\npublished 2026-01-02T03:04:05Z\npeople 1\nprefix-bits 0\nbucket-size 2\n\n" + strings.Repeat("x", 32)))
	f.Add([]byte("huella exposure set v1\ncase c\npublished 2026-01-02T03:04:05Z\npeople 1\nprefix-bits 20\nbucket-size 4096\n\n"))
	f.Add([]byte("huella exposure set v1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ReadSet(bytes.NewReader(b), "f")
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if _, err := s.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		s2, err := ReadSet(&buf, "f2")
		if err != nil || s2.Case != s.Case || !bytes.Equal(s2.tags, s.tags) {
			t.Fatalf("re-read of a written set: %v", err)
		}
	})
}

func FuzzEvaluate(f *testing.F) {
	k, _ := GenerateKey()
	b, _ := Blind("SABC560626MDFLRN01")
	f.Add(b.Request)
	f.Add(make([]byte, 32))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := k.Evaluate(in)
		if err == nil && len(out) != len(in) {
			t.Fatalf("%d bytes in, %d out", len(in), len(out))
		}
	})
}

func BenchmarkEvaluate(b *testing.B) {
	k, _ := GenerateKey()
	bl, _ := Blind("SABC560626MDFLRN01")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := k.Evaluate(bl.Request); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkClientCheck(b *testing.B) {
	k, _ := GenerateKey()
	for b.Loop() {
		bl, _ := Blind("SABC560626MDFLRN01")
		ev, _ := k.Evaluate(bl.Request)
		if _, err := bl.Finalize(ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPublish(b *testing.B) {
	k, _ := GenerateKey()
	curps := syntheticCURPs(2000)
	for b.Loop() {
		if _, _, err := Publish(k, "bench", curps, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(curps))*float64(b.N)/b.Elapsed().Seconds(), "ids/s")
}
