package release

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/huella/huella/internal/fingerprint"
	"github.com/huella/huella/internal/ledger"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/store"
	"github.com/xuri/excelize/v2"
)

var testKey = []byte("fedcba9876543210fedcba9876543210")

// memSource is an in-memory register: one version per person, valid from
// 2000-01-01 on.
type memSource struct {
	schema *register.Schema
	people []register.Version
	// stall, if > 0, makes AsOf block forever after that many rows.
	stall int
	fail  error
	// during, if not nil, is called once when AsOf reaches row 100.
	during func()
}

func newMemSource(n int) *memSource {
	schema := register.INE()
	asOf := register.MustDate("2018-06-01")
	recs := fingerprint.Canaries(testKey, "synthetic test register", n, asOf, nil)
	streets := []string{"CALLE", "C.", "AV.", "AVENIDA", "PRIV."}
	s := &memSource{schema: schema}
	for i, rec := range recs {
		rec[schema.Index(register.FCalle)] = streets[i%len(streets)] + " HIDALGO"
		rec[schema.Index(register.FColonia)] = []string{"COL CENTRO", "COLONIA CENTRO", "FRACC. LAS LOMAS"}[i%3]
		rec[schema.Index(register.FNumExterior)] = []string{"S/N", "MZ 3 LT 4", "12", "SIN NUMERO"}[i%4]
		s.people = append(s.people, register.Version{PersonID: uint64(i + 1), ValidFrom: register.MustDate("2000-01-01"), ValidTo: register.NoDate, Record: rec})
	}
	return s
}

func (s *memSource) AsOf(ctx context.Context, t register.Date, fn func(v *register.Version) error) error {
	v := register.Version{Record: make(register.Record, len(s.schema.Fields))}
	for i, p := range s.people {
		if s.stall > 0 && i == s.stall {
			select {} // a slow register: the parent kills us here
		}
		if s.fail != nil && i == len(s.people)/2 {
			return s.fail
		}
		if s.during != nil && i == 100 {
			s.during()
		}
		if !p.ValidAt(t) {
			continue
		}
		v.PersonID, v.ValidFrom, v.ValidTo = p.PersonID, p.ValidFrom, p.ValidTo
		copy(v.Record, p.Record) // reused, like the store's
		if err := fn(&v); err != nil {
			return err
		}
	}
	return nil
}

func (s *memSource) find(field, value string) []register.Version {
	i := s.schema.Index(field)
	var out []register.Version
	for _, p := range s.people {
		if p.Record[i] == value {
			out = append(out, p)
		}
	}
	return out
}

func (s *memSource) ByCURP(c string) ([]register.Version, error) {
	return s.find(register.FCURP, c), nil
}
func (s *memSource) ByClave(c string) ([]register.Version, error) {
	return s.find(register.FClave, c), nil
}

func newLedger(t *testing.T, dir string) *ledger.Ledger {
	t.Helper()
	key := filepath.Join(dir, "ledger.key")
	if err := ledger.Create(filepath.Join(dir, "ledger"), key, "huella-test"); err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(filepath.Join(dir, "ledger"), key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func testOptions(out string) Options {
	p := fingerprint.DefaultParams()
	p.OrderBlock = 256
	p.CanaryRate = 1e-3
	return Options{Recipient: "PARTIDO A", AsOf: register.MustDate("2018-06-01"), Out: out, Params: p}
}

func fileSHA(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestWriteCSV(t *testing.T) {
	dir := t.TempDir()
	src := newMemSource(2000)
	l := newLedger(t, dir)
	out := filepath.Join(dir, "copy.csv")
	res, err := Write(context.Background(), testKey, src.schema, src, l, testOptions(out))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.ID, "rel-") || res.Rows != int64(2000+res.Params.Canaries) || res.Params.Canaries < 1 {
		t.Fatalf("result %+v", res)
	}
	if got := fileSHA(t, out); got != res.SHA256 {
		t.Errorf("sha256 %s, file %s", res.SHA256, got)
	}
	e, _, err := l.Find(res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != "release" || e.Recipient != "PARTIDO A" || e.AsOf != "2018-06-01" || e.Rows != res.Rows || e.SHA256 != res.SHA256 || e.Format != "csv" {
		t.Errorf("entry %+v", e)
	}
	var p fingerprint.Params
	if err := json.Unmarshal(e.Fingerprint, &p); err != nil || p.Canaries != res.Params.Canaries || p.Format != fingerprint.ParamsFormat {
		t.Errorf("fingerprint params %s: %v", e.Fingerprint, err)
	}
	if strings.Contains(string(e.Fingerprint), hex.EncodeToString(testKey)) {
		t.Error("key in the ledger")
	}
	f, _ := os.Open(out)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(src.schema.Names(), ",") {
		t.Errorf("header %v", rows[0])
	}
	if len(rows)-1 != int(res.Rows) {
		t.Errorf("%d rows in file, %d recorded", len(rows)-1, res.Rows)
	}
	byCURP := map[string]register.Record{}
	for _, p := range src.people {
		byCURP[p.Record[1]] = p.Record
	}
	marked := 0
	for _, r := range rows[1:] {
		orig, ok := byCURP[r[1]]
		if !ok {
			continue // a canary
		}
		for i, fld := range src.schema.Fields {
			if fld.Identity && r[i] != orig[i] {
				t.Fatalf("identity field %s changed: %q → %q", fld.Name, orig[i], r[i])
			}
			if r[i] != orig[i] {
				marked++
			}
		}
	}
	if marked == 0 {
		t.Error("no marks")
	}
	// no temporary file left
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("left %s", e.Name())
		}
	}
}

func TestFormatsAndFields(t *testing.T) {
	src := newMemSource(300)
	fields := []string{register.FSeccion, register.FNombre, register.FPaterno, register.FMaterno, register.FCalle}
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			l := newLedger(t, dir)
			out := filepath.Join(dir, "copy."+format)
			o := testOptions(out)
			o.Format, o.Fields = format, fields
			res, err := Write(context.Background(), testKey, src.schema, src, l, o)
			if err != nil {
				t.Fatal(err)
			}
			if fileSHA(t, out) != res.SHA256 {
				t.Error("sha256 differs")
			}
			var got [][]string
			switch format {
			case "csv":
				f, _ := os.Open(out)
				defer f.Close()
				got, err = csv.NewReader(f).ReadAll()
			case "jsonl":
				f, _ := os.Open(out)
				defer f.Close()
				sc := bufio.NewScanner(f)
				got = append(got, fields)
				for sc.Scan() {
					var m map[string]string
					if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
						t.Fatalf("line %q: %v", sc.Text(), err)
					}
					var row []string
					for _, k := range fields {
						row = append(row, m[k])
					}
					got = append(got, row)
				}
			case "sql":
				b, _ := os.ReadFile(out)
				lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
				if !strings.HasPrefix(lines[0], "CREATE TABLE padron_ine (seccion TEXT, nombre TEXT") {
					t.Errorf("create: %s", lines[0])
				}
				got = append(got, fields)
				for _, ln := range lines[1:] {
					if !strings.HasPrefix(ln, "INSERT INTO padron_ine (seccion, nombre, apellido_paterno, apellido_materno, calle) VALUES ('") {
						t.Fatalf("insert: %s", ln)
					}
					got = append(got, []string{ln})
				}
			case "xlsx":
				f, err := excelize.OpenFile(out)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				got, err = f.GetRows("Sheet1")
				if err != nil {
					t.Fatal(err)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got[0], ",") != strings.Join(fields, ",") {
				t.Errorf("header %v", got[0])
			}
			if len(got)-1 != int(res.Rows) {
				t.Errorf("%d rows, %d recorded", len(got)-1, res.Rows)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	src := newMemSource(50)
	l := newLedger(t, dir)
	out := filepath.Join(dir, "exists.csv")
	os.WriteFile(out, []byte("x"), 0o644)
	if _, err := Write(context.Background(), testKey, src.schema, src, l, testOptions(out)); !errors.Is(err, ErrExists) {
		t.Errorf("existing output: %v", err)
	}
	o := testOptions(filepath.Join(dir, "a.csv"))
	o.Fields = []string{"nombre", "telefono"}
	if _, err := Write(context.Background(), testKey, src.schema, src, l, o); err == nil || !strings.Contains(err.Error(), "telefono") {
		t.Errorf("unknown field: %v", err)
	}
	o = testOptions(filepath.Join(dir, "a.csv"))
	o.Format = "parquet"
	if _, err := Write(context.Background(), testKey, src.schema, src, l, o); err == nil {
		t.Error("unknown format accepted")
	}
	// a failing register leaves no entry and no file
	src.fail = errors.New("disk on fire")
	if _, err := Write(context.Background(), testKey, src.schema, src, l, testOptions(filepath.Join(dir, "b.csv"))); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("source error: %v", err)
	}
	if l.Size() != 0 {
		t.Errorf("%d entries after refusals", l.Size())
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() != "exists.csv" && e.Name() != "ledger" && e.Name() != "ledger.key" {
			t.Errorf("left %s", e.Name())
		}
	}
}

func TestCutWindow(t *testing.T) {
	dir := t.TempDir()
	src := newMemSource(20)
	l := newLedger(t, dir)
	seen := map[register.Date]bool{}
	for k := 0; k < 6; k++ {
		o := testOptions(filepath.Join(dir, fmt.Sprintf("c%d.csv", k)))
		o.CutWindow = 30
		res, err := Write(context.Background(), testKey, src.schema, src, l, o)
		if err != nil {
			t.Fatal(err)
		}
		if res.AsOf > o.AsOf || res.AsOf < o.AsOf-30 || res.Entry.AsOf != res.AsOf.String() {
			t.Errorf("cut %s for as-of %s window 30", res.AsOf, o.AsOf)
		}
		seen[res.AsOf] = true
	}
	if len(seen) < 2 {
		t.Error("every copy cut at the same instant")
	}
}

func TestRecover(t *testing.T) {
	const rec, recOld, recTheirs = "rel-00000000000000aa", "rel-00000000000000ab", "rel-00000000000000ac"
	otherKey := []byte("another workspace's fingerprint key")
	dir := t.TempDir()
	out := func(name string) string { return filepath.Join(dir, name) }
	files := map[string]string{
		"done":         tempName(out("copy.csv"), rec, TempTag(testKey, rec)),
		"doneOld":      filepath.Join(dir, ".old.csv.huella-"+recOld+".tmp"),
		"doneTheirs":   tempName(out("theirs.csv"), recTheirs, TempTag(otherKey, recTheirs)),
		"orphan":       tempName(out("other.csv"), "rel-00000000000000bb", TempTag(testKey, "rel-00000000000000bb")),
		"orphanTheirs": tempName(out("b.csv"), "rel-00000000000000cc", TempTag(otherKey, "rel-00000000000000cc")),
		"orphanOld":    filepath.Join(dir, ".c.csv.huella-rel-00000000000000dd.tmp"),
		"live":         tempName(out("d.csv"), "rel-00000000000000ee", TempTag(testKey, "rel-00000000000000ee")),
	}
	for _, p := range files {
		os.WriteFile(p, []byte("a,b\n"), 0o600)
	}
	lock, err := lockTemp(files["live"]) // a release still writing it
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	recorded := func(id string) bool { return id == rec || id == recOld || id == recTheirs }
	fin, err := Recover(dir, testKey, recorded)
	want := []Finished{{rec, out("copy.csv")}, {recOld, out("old.csv")}, {recTheirs, out("theirs.csv")}}
	if err != nil || len(fin) != len(want) {
		t.Fatalf("Recover = %v, %v; want %v", fin, err, want)
	}
	for _, w := range want {
		if !slices.Contains(fin, w) {
			t.Errorf("Recover = %v; want %v among them", fin, w)
		}
		if b, err := os.ReadFile(w.Path); err != nil || string(b) != "a,b\n" {
			t.Errorf("recorded release %s not renamed: %v", w.ID, err)
		}
	}
	for name, gone := range map[string]bool{
		"done": true, "doneOld": true, "doneTheirs": true, "orphan": true,
		"orphanTheirs": false, "orphanOld": false, "live": false,
	} {
		_, err := os.Stat(files[name])
		if gone != os.IsNotExist(err) {
			t.Errorf("%s (%s): removed %v, want %v", name, filepath.Base(files[name]), os.IsNotExist(err), gone)
		}
	}
	lock.Close()
	if _, err := Recover(dir, testKey, recorded); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(files["live"]); !os.IsNotExist(err) {
		t.Error("unrecorded temporary file kept once its release is gone")
	}
}

// TestRecoverDuringRelease: a Recover into the same folder, by this
// workspace or another, while a release is writing leaves its file alone.
func TestRecoverDuringRelease(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  []byte
	}{{"same workspace", testKey}, {"another workspace", []byte("another workspace's fingerprint key")}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := newMemSource(500)
			l := newLedger(t, dir)
			src.during = func() {
				if _, err := Recover(dir, tc.key, func(string) bool { return false }); err != nil {
					t.Error(err)
				}
			}
			out := filepath.Join(dir, "copy.csv")
			res, err := Write(context.Background(), testKey, src.schema, src, l, testOptions(out))
			if err != nil {
				t.Fatal(err)
			}
			if fileSHA(t, out) != res.SHA256 {
				t.Error("sha256 differs")
			}
		})
	}
}

// appendNotSynced is a ledger whose appends commit but whose folder sync
// fails, as ledger.Append reports it.
type appendNotSynced struct{ *ledger.Ledger }

func (a appendNotSynced) Append(e ledger.Entry) (int64, error) {
	i, err := a.Ledger.Append(e)
	if err != nil {
		return -1, err
	}
	return i, fmt.Errorf("append %q: %w: sync: input/output error", e.ID, ledger.ErrCommittedNotSynced)
}

// TestCommittedNotSynced: an entry committed without the final sync is
// recorded all the same, so its file lands at the output.
func TestCommittedNotSynced(t *testing.T) {
	dir := t.TempDir()
	src := newMemSource(300)
	l := newLedger(t, dir)
	out := filepath.Join(dir, "copy.csv")
	res, err := Write(context.Background(), testKey, src.schema, src, appendNotSynced{l}, testOptions(out))
	if !errors.Is(err, ledger.ErrCommittedNotSynced) || res == nil {
		t.Fatalf("Write = %v, %v; want a result and ErrCommittedNotSynced", res, err)
	}
	if _, _, err := l.Find(res.ID); err != nil {
		t.Fatal(err)
	}
	if fileSHA(t, out) != res.SHA256 {
		t.Error("sha256 differs")
	}
	if ms, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(ms) != 0 {
		t.Errorf("left %v", ms)
	}
}

// spanSource is a register that tells the days it holds, as the store does.
type spanSource struct{ *memSource }

func (s spanSource) Stats() (store.Stats, error) {
	return store.Stats{People: int64(len(s.people)), First: register.MustDate("2000-01-01"), Last: register.MustDate("2018-06-01")}, nil
}

// TestNoOneValid: a cut before anyone is in the register is refused before
// the ledger: no entry, no file.
func TestNoOneValid(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  Source
		want string
	}{
		{"plain", newMemSource(50), "no one in the register is valid on 1990-01-01"},
		{"with span", spanSource{newMemSource(50)}, "no one in the register is valid on 1990-01-01 (the register holds 2000-01-01 to 2018-06-01)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := newLedger(t, dir)
			o := testOptions(filepath.Join(dir, "copy.csv"))
			o.AsOf = register.MustDate("1990-01-01")
			_, err := Write(context.Background(), testKey, register.INE(), tc.src, l, o)
			if !errors.Is(err, ErrNoOne) || !strings.HasSuffix(err.Error(), tc.want) {
				t.Fatalf("Write = %v; want ErrNoOne ending %q", err, tc.want)
			}
			if l.Size() != 0 {
				t.Errorf("%d ledger entries", l.Size())
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if e.Name() != "ledger" && e.Name() != "ledger.key" {
					t.Errorf("left %s", e.Name())
				}
			}
		})
	}
}

// TestKill9 kills a release in the middle (SIGKILL, in a child process):
// no entry, no output file; Recover removes the temporary file.
func TestKill9(t *testing.T) {
	if os.Getenv("HUELLA_RELEASE_CHILD") != "" {
		t.Skip("child")
	}
	dir := t.TempDir()
	newLedger(t, dir).Close()
	out := filepath.Join(dir, "copy.csv")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.v")
	cmd.Env = append(os.Environ(), "HUELLA_RELEASE_CHILD="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// wait until the child has written part of the copy
	deadline := time.Now().Add(20 * time.Second)
	for {
		ms, _ := filepath.Glob(filepath.Join(dir, ".copy.csv.huella-*.tmp"))
		if len(ms) == 1 {
			if st, err := os.Stat(ms[0]); err == nil && st.Size() > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("child never wrote: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output exists after kill -9: %v", err)
	}
	l, err := ledger.Open(filepath.Join(dir, "ledger"), filepath.Join(dir, "ledger.key"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Size() != 0 {
		t.Errorf("%d ledger entries after kill -9", l.Size())
	}
	if err := l.Verify(); err != nil {
		t.Errorf("ledger after kill -9: %v", err)
	}
	if _, err := Recover(dir, testKey, func(id string) bool { _, _, err := l.Find(id); return err == nil }); err != nil {
		t.Fatal(err)
	}
	if ms, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(ms) != 0 {
		t.Errorf("Recover left %v", ms)
	}
}

// TestKill9Child is the child of TestKill9: a release whose register stalls
// after 25,000 rows, so the copy is half written when the parent kills it.
func TestKill9Child(t *testing.T) {
	dir := os.Getenv("HUELLA_RELEASE_CHILD")
	if dir == "" {
		t.Skip("run by TestKill9")
	}
	src := newMemSource(30000)
	src.stall = 25000 // past the 1 MiB write buffer
	l, err := ledger.Open(filepath.Join(dir, "ledger"), filepath.Join(dir, "ledger.key"))
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions(filepath.Join(dir, "copy.csv"))
	o.Params.OrderBlock = 64
	Write(context.Background(), testKey, src.schema, src, l, o)
	t.Fatal("release finished: the parent should have killed it")
}

// rowOnly hides a writer's Encode: stream then takes the one-goroutine path.
type rowOnly struct{ rowWriter }

// TestParallelSameBytes: the parallel pipeline writes exactly the copy the
// sequential path writes.
func TestParallelSameBytes(t *testing.T) {
	src := newMemSource(5000)
	schema := src.schema
	o := testOptions("")
	o.Params.OrderBlock = 700
	cols := make([]int, len(schema.Fields))
	for i := range cols {
		cols[i] = i
	}
	run := func(seq bool) string {
		var buf strings.Builder
		bw := bufio.NewWriter(&buf)
		w, _ := newCSV(bw, schema, schema.Names())
		if seq {
			w = rowOnly{w}
		}
		n, p, err := stream(context.Background(), testKey, "rel-same", schema, src, o.AsOf, schema.Names(), o, w, bw, cols)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(5000+p.Canaries) || p.Canaries == 0 {
			t.Fatalf("%d rows, %d canaries", n, p.Canaries)
		}
		bw.Flush()
		return buf.String()
	}
	a, b := run(false), run(true)
	if a != b {
		t.Fatalf("parallel and sequential copies differ (%d vs %d bytes)", len(a), len(b))
	}
}
