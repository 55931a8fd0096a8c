package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func sample() *Report {
	return &Report{
		Format:     Format,
		AnalysisID: ID("abc", "store", []string{"r1", "r2"}),
		Input:      Input{Name: "leak.csv", SHA256: "abc", Rows: 1000, Format: "csv", Encoding: "utf-8"},
		Columns:    []Column{{Index: 0, Header: "CURP", Field: "curp", Confidence: 1}, {Index: 1, Header: "TEL", Extra: "phone", Confidence: 0.9}},
		Verdict:    Ours, VerdictReason: "1000 of 1000 rows matched",
		Match:             Match{RowsMatched: 1000, MatchRate: 1, RowsExact: 998, FieldAgreement: 0.999, ByMethod: map[string]int{"curp": 1000}},
		Cutoff:            &Cutoff{Earliest: "2018-03-01", Latest: "2018-03-09", BestEarliest: "2018-03-02", BestLatest: "2018-03-05", AgreeingFraction: 1, RowsDated: 1000, Confidence: 0.95, Curve: []CurvePoint{{"2017-01-01", 10}, {"2018-03-01", 1000}, {"2018-03-10", 20}}},
		AttributionStatus: StatusAccused,
		Attribution: []Attribution{
			{Recipient: "PARTIDO A", ReleaseID: "r1", AsOf: "2018-03-01", Accused: true, Score: 40, Threshold: 6, FalseAccusationBound: 1e-9, Log10Bound: -9, Evidence: Evidence{Marks: 300, Agreeing: 290}},
			{Recipient: "PARTIDO <B>", ReleaseID: "r2", AsOf: "2021-03-01", Score: -3, Threshold: 6, FalseAccusationBound: 1, Log10Bound: 0},
		},
		Affected:    Affected{People: 1000, ByEntidad: map[string]int{"09": 600, "15": 400}, BySeccion: []SeccionCount{{"09", "0101", 3}}},
		Limitations: []string{"synthetic"},
	}
}

func TestJSONContract(t *testing.T) {
	r := sample()
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"analysis_id", "input", "columns", "verdict", "match", "cutoff", "attribution_status", "attribution", "affected"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	in := m["input"].(map[string]any)
	for _, k := range []string{"sha256", "rows", "format", "encoding"} {
		if _, ok := in[k]; !ok {
			t.Errorf("input lacks %q", k)
		}
	}
	att := m["attribution"].([]any)[0].(map[string]any)
	for _, k := range []string{"recipient", "release_id", "accused", "score", "false_accusation_bound"} {
		if _, ok := att[k]; !ok {
			t.Errorf("attribution lacks %q", k)
		}
	}
	b2, _ := sample().JSON()
	if !bytes.Equal(b, b2) {
		t.Error("same report encodes differently")
	}
	back, err := Decode(b)
	if err != nil || back.AnalysisID != r.AnalysisID {
		t.Fatalf("decode: %v", err)
	}
	r.Cutoff = nil
	b, _ = r.JSON()
	if !bytes.Contains(b, []byte(`"cutoff": null`)) {
		t.Error("a nil cutoff must encode as null")
	}
}

func TestID(t *testing.T) {
	a := ID("x", "s", []string{"1"})
	if a != ID("x", "s", []string{"1"}) || a == ID("x", "s", []string{"1", "2"}) || a == ID("y", "s", []string{"1"}) {
		t.Error("ID must depend on input, store and releases, and only on them")
	}
	if !strings.HasPrefix(a, "a1-") || len(a) != 27 {
		t.Errorf("ID %q", a)
	}
}

func TestHTML(t *testing.T) {
	b, err := sample().HTML(Manifest{InputSHA256: "abc", ToolVersion: "test", CommandLine: "huella analyze leak.csv", LedgerIndex: 7, Checkpoint: "huella ledger\n12\n", InclusionProof: "proof"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"The leaked data is ours", "<svg", "PARTIDO A", "PARTIDO &lt;B&gt;", "Ciudad de México", "huella analyze leak.csv", "index 7", "Inclusion proof"} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(s, "http://") || strings.Contains(s, "https://") || strings.Contains(s, "<script") {
		t.Error("HTML must be self-contained: no external links or scripts")
	}
	if strings.Index(s, "The leaked data is ours") > strings.Index(s, "<svg") {
		t.Error("the verdict must come first")
	}
}

func TestSummary(t *testing.T) {
	s := sample().Summary()
	for _, want := range []string{"OURS", "2018-03-01 … 2018-03-09", "accused — PARTIDO A", "1000 people in 2 entidades"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}

// FuzzDecode: a report file read back (the server reads cases from disk)
// never panics, and what decodes re-encodes to something that decodes alike.
func FuzzDecode(f *testing.F) {
	b, _ := sample().JSON()
	f.Add(b)
	f.Add([]byte(`{"format":"huella analysis v1","cutoff":null}`))
	f.Add([]byte(`{"format":"other"}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data)
		if err != nil {
			return
		}
		out, err := r.JSON()
		if err != nil {
			return // e.g. NaN cannot come from JSON, but be safe
		}
		r2, err := Decode(out)
		if err != nil {
			t.Fatalf("re-encoded report does not decode: %v", err)
		}
		out2, _ := r2.JSON()
		if !bytes.Equal(out, out2) {
			t.Fatal("encode/decode is not stable")
		}
		if _, err := r.HTML(Manifest{}); err != nil {
			t.Fatalf("html: %v", err)
		}
	})
}

// TestWriteFileDevice: writing a report to /dev/null (or a pipe) writes to
// it, and does not replace it with a file.
func TestWriteFileDevice(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "report.json")
	if err := WriteFile(path, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "{}\n" {
		t.Fatalf("read back %q, %v", b, err)
	}
	if err := WriteFile(dir, []byte("x"), 0o644); err == nil {
		t.Error("a folder was written over")
	}
	fi, err := os.Stat(os.DevNull)
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Skipf("%s is not a character device here", os.DevNull)
	}
	if err := WriteFile(os.DevNull, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a device: %v %v", os.DevNull, fi.Mode(), err)
	}
}

// TestTopSections: the first n of a stable sort by people, most first,
// over sections with many ties.
func TestTopSections(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 5, 19, 20, 21, 300, 5000} {
		all := make([]SeccionCount, size)
		for i := range all {
			all[i] = SeccionCount{Entidad: fmt.Sprintf("%02d", 1+i%32), Seccion: fmt.Sprintf("%04d", i), People: r.IntN(12)}
		}
		for _, n := range []int{0, 1, 3, 20} {
			want := slices.Clone(all)
			slices.SortStableFunc(want, func(a, b SeccionCount) int { return b.People - a.People })
			want = want[:min(n, len(want))]
			if got := topSections(all, n); !slices.Equal(got, want) && len(got)+len(want) > 0 {
				t.Fatalf("%d sections, top %d:\n got %v\nwant %v", size, n, got, want)
			}
		}
	}
}

// TestWriteFileStaleTemp: the temporary files a killed run left beside a
// case file (affected.csv's hold CURPs) go when the file is written again.
func TestWriteFileStaleTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "affected.csv")
	stale := filepath.Join(dir, ".affected.csv.tmp123")
	other := filepath.Join(dir, ".report.json.tmp456")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte("curp\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFile(path, []byte("curp\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file kept: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another file's temporary file removed: %v", err)
	}
}
