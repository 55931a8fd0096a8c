package analysis

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/huella/huella/internal/ledger"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/report"
	"github.com/huella/huella/internal/store"
	"github.com/huella/huella/internal/workspace"
)

// writeHistory writes the fake register as a history file for store.Load.
func writeHistory(t *testing.T, path string, f *fakeRegister) {
	t.Helper()
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(fh)
	w.Write(append([]string{"person_id", "valid_from", "valid_to"}, f.schema.Names()...))
	for p := uint64(1); p <= uint64(len(f.persons)); p++ {
		for _, v := range f.persons[p] {
			w.Write(append([]string{strconv.FormatUint(p, 10), v.ValidFrom.String(), v.ValidTo.String()}, v.Record...))
		}
	}
	w.Flush()
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeCSV(t *testing.T, path string, header []string, recs []register.Record, gz bool) {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	for _, r := range recs {
		w.Write(r)
	}
	w.Flush()
	data := b.Bytes()
	if gz {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		data = z.Bytes()
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// newWorkspace makes a workspace whose store holds the fake register's
// history and whose ledger logs w.releases.
func newWorkspace(t *testing.T, reg *fakeRegister, rels []Release) *workspace.Workspace {
	t.Helper()
	dir := t.TempDir()
	ws, err := workspace.Init(filepath.Join(dir, "ws"), reg.schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := store.Create(ws.StorePath(), reg.schema); err != nil {
		t.Fatal(err)
	}
	if err := ledger.Create(ws.LedgerPath(), ws.LedgerKeyPath(), "huella-test"); err != nil {
		t.Fatal(err)
	}
	if err := ws.Finish(); err != nil {
		t.Fatal(err)
	}
	hist := filepath.Join(dir, "history.csv")
	writeHistory(t, hist, reg)
	st, err := store.Open(ws.StorePath(), reg.schema)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(context.Background(), []store.LoadInput{{Path: hist}}, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	lg, err := ledger.Open(ws.LedgerPath(), ws.LedgerKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rels {
		fp, _ := json.Marshal(map[string]string{"scheme": "test"})
		if _, err := lg.Append(ledger.Entry{ID: r.ID, Kind: ledger.KindRelease, Recipient: r.Recipient, AsOf: r.AsOf.String(), Rows: 1, SHA256: "00", Fingerprint: fp}); err != nil {
			t.Fatal(err)
		}
	}
	lg.Close()
	return ws
}

func TestAnalyzeFile(t *testing.T) {
	first, last := d("2017-01-01"), d("2021-12-31")
	reg := newFakeRegister(1, 3000, first, last)
	w := &world{reg: reg}
	_ = w
	rels := []Release{{ID: "r-2018-a", Recipient: "PARTIDO A", AsOf: d("2018-06-15")}, {ID: "r-2021-b", Recipient: "PARTIDO B", AsOf: d("2021-03-01")}}
	ws := newWorkspace(t, reg, rels)
	dir := t.TempDir()
	cut := d("2018-06-15")
	leakPath := filepath.Join(dir, "leak.csv.gz")
	writeCSV(t, leakPath, reg.schema.Names(), sample(reg.asOf(cut), 1000, 1), true)

	ctx := context.Background()
	out, err := AnalyzeFile(ctx, ws, leakPath, Options{ToolVersion: "test", CommandLine: "huella analyze leak.csv.gz"})
	if err != nil {
		t.Fatal(err)
	}
	rep := out.Report
	if rep.Verdict != report.Ours {
		t.Fatalf("verdict %s: %s", rep.Verdict, rep.VerdictReason)
	}
	if rep.Cutoff == nil || rep.Cutoff.Earliest > cut.String() || rep.Cutoff.Latest < cut.String() {
		t.Fatalf("cutoff %+v does not hold %s", rep.Cutoff, cut)
	}
	if rep.Input.Compression != "gzip" || rep.Input.Rows != 1000 || len(rep.Input.SHA256) != 64 {
		t.Errorf("input %+v", rep.Input)
	}
	if !out.Appended || out.LedgerIndex != 2 {
		t.Errorf("ledger index %d, appended %v", out.LedgerIndex, out.Appended)
	}
	for _, f := range []string{"report.json", "report.html", "affected.csv"} {
		if _, err := os.Stat(filepath.Join(out.CaseDir, f)); err != nil {
			t.Error(err)
		}
	}
	if fi, err := os.Stat(filepath.Join(out.CaseDir, "affected.csv")); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("affected.csv mode %v", fi.Mode().Perm())
	}
	if !bytes.Contains(out.HTML, []byte("Inclusion proof")) {
		t.Error("HTML lacks the inclusion proof")
	}

	// The same analysis again: byte-identical JSON, not logged twice.
	again, err := AnalyzeFile(ctx, ws, leakPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.JSON, again.JSON) {
		t.Error("the same analysis gave different JSON")
	}
	if again.Appended || again.LedgerIndex != out.LedgerIndex {
		t.Errorf("second run appended=%v index=%d", again.Appended, again.LedgerIndex)
	}

	// A file from another register is not ours.
	other := newFakeRegister(77, 500, first, last)
	otherPath := filepath.Join(dir, "other.csv")
	writeCSV(t, otherPath, reg.schema.Names(), other.asOf(cut), false)
	no, err := AnalyzeFile(ctx, ws, otherPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if no.Report.Verdict != report.NotOurs || no.Report.Cutoff != nil || no.Report.Affected.People != 0 {
		t.Errorf("other register: verdict %s, cutoff %v, affected %d", no.Report.Verdict, no.Report.Cutoff, no.Report.Affected.People)
	}
}

// TestAnalyzeFileTooManyRows: a file with more rows than Options.MaxRows
// (read in batches) is refused and leaves the workspace as it was: no case,
// no ledger entry.
func TestAnalyzeFileTooManyRows(t *testing.T) {
	first, last := d("2017-01-01"), d("2021-12-31")
	reg := newFakeRegister(1, 3000, first, last)
	ws := newWorkspace(t, reg, []Release{{ID: "r-2018-a", Recipient: "PARTIDO A", AsOf: d("2018-06-15")}})
	leakPath := filepath.Join(t.TempDir(), "leak.csv")
	writeCSV(t, leakPath, reg.schema.Names(), sample(reg.asOf(d("2018-06-15")), 1000, 1), false)
	entries := func() int {
		lg, err := ledger.Open(ws.LedgerPath(), "")
		if err != nil {
			t.Fatal(err)
		}
		defer lg.Close()
		es, err := lg.Entries()
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	before := entries()
	_, err := AnalyzeFile(context.Background(), ws, leakPath, Options{MaxRows: 999})
	var many *TooManyRowsError
	if !errors.As(err, &many) {
		t.Fatalf("1,000 rows, at most 999: %v", err)
	}
	if after := entries(); after != before {
		t.Errorf("ledger entries %d, before %d", after, before)
	}
	if _, err := os.Stat(filepath.Join(ws.Dir, "cases")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cases folder after a refused analysis: %v", err)
	}
}

// TestAnalyzeFileHeaderOnly: a file of a header alone is refused with an
// error that names it.
func TestAnalyzeFileHeaderOnly(t *testing.T) {
	first, last := d("2017-01-01"), d("2021-12-31")
	reg := newFakeRegister(1, 300, first, last)
	ws := newWorkspace(t, reg, nil)
	leakPath := filepath.Join(t.TempDir(), "solo-encabezado.csv")
	writeCSV(t, leakPath, reg.schema.Names(), nil, false)
	_, err := AnalyzeFile(context.Background(), ws, leakPath, Options{})
	if !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), leakPath) {
		t.Fatalf("a header alone: %v", err)
	}
}

// TestAnalyzeFileSecondPass: rows no key links past the observation window
// are found by reading the file again (Leak.Some), the same as when every
// row is in the window.
func TestAnalyzeFileSecondPass(t *testing.T) {
	first, last := d("2017-01-01"), d("2021-12-31")
	reg := newFakeRegister(1, 3000, first, last)
	ws := newWorkspace(t, reg, nil)
	cut := d("2018-06-15")
	recs := sample(reg.asOf(cut), 2500, 1)
	stray := newFakeRegister(77, 40, first, last).asOf(cut) // keys the register does not know
	recs = append(recs, stray...)
	leakPath := filepath.Join(t.TempDir(), "leak.csv")
	writeCSV(t, leakPath, reg.schema.Names(), recs, false)
	want := strconv.Itoa(len(stray)) + " rows whose keys the register does not know"
	for _, maxObs := range []int{0, 300} {
		out, err := AnalyzeFile(context.Background(), ws, leakPath, Options{NoLedger: true, MaxObservations: maxObs})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, l := range out.Report.Limitations {
			found = found || strings.Contains(l, want)
		}
		if !found || out.Report.Match.RowsMatched != len(recs)-len(stray) {
			t.Errorf("window %d: matched %d, limitations %q; want %q", maxObs, out.Report.Match.RowsMatched, out.Report.Limitations, want)
		}
	}
}

// A leak mapped for hashing only (text left as read, Leak.MapHash) gives
// the same analysis as one mapped whole: the same report, affected people
// and observations, with rows kept past the observation window (keyless
// rows) mapped whole.
func TestMapHashSameAnalysis(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	recs := w.reg.asOf(d("2018-06-15"))
	messy := make([]register.Record, 0, len(recs))
	for i, r := range recs {
		c := append(register.Record(nil), r...)
		switch i % 5 {
		case 0:
			c[s.Index(register.FNombre)] = strings.ToLower(c[s.Index(register.FNombre)])
		case 1:
			c[s.Index(register.FPaterno)] = "  " + strings.ReplaceAll(c[s.Index(register.FPaterno)], "A", "Á") + " "
		case 2:
			c[s.Index(register.FCalle)] = strings.ReplaceAll(strings.ToLower(c[s.Index(register.FCalle)]), " ", "   ")
		case 3:
			c[s.Index(register.FColonia)] = strings.ReplaceAll(c[s.Index(register.FColonia)], "N", "Ñ")
		}
		if i%50 == 7 { // keyless: kept whole for probabilistic linkage
			c[s.Index(register.FCURP)], c[s.Index(register.FClave)] = "", ""
		}
		messy = append(messy, c)
	}
	path := filepath.Join(t.TempDir(), "messy.csv")
	writeCSV(t, path, s.Names(), messy, false)
	cfg := w.cfg
	cfg.MaxObservations = 100
	var results []*Result
	var observed [][]Observation
	for _, hashOnly := range []bool{true, false} {
		var obs []Observation
		cfg.Attributor = listingAttributor{fakeAttributor: fakeAttributor{s}, obs: &obs}
		leak, done, err := OpenLeak(path, s)
		if err != nil {
			t.Fatal(err)
		}
		if (leak.MapHash != nil) != true {
			t.Fatal("an inferred mapping without MapHash")
		}
		if !hashOnly {
			leak.MapHash = nil
		}
		res, err := Run(context.Background(), cfg, leak)
		done()
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
		observed = append(observed, obs)
	}
	if len(observed[0]) < cfg.MaxObservations || !reflect.DeepEqual(observed[0], observed[1]) {
		t.Fatalf("observations: %d mapped for hashing, %d mapped whole, or other values", len(observed[0]), len(observed[1]))
	}
	if !sameResult(results[0], results[1]) {
		a, _ := results[0].Report.JSON()
		b, _ := results[1].Report.JSON()
		t.Fatalf("mapped for hashing:\n%s\nmapped whole:\n%s", a, b)
	}
	if r := results[0].Report; r.Match.RowsMatched < len(messy)*9/10 || r.Match.FieldAgreement < 0.99 || r.Match.ByMethod["probabilistic"] < len(messy)/60 {
		t.Fatalf("%d of %d rows matched (%v), field agreement %v", r.Match.RowsMatched, len(messy), r.Match.ByMethod, r.Match.FieldAgreement)
	}
}
