package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/huella/huella/internal/register"
)

var (
	day1 = register.MustDate("2024-01-31")
	day2 = register.MustDate("2024-02-29")
	day3 = register.MustDate("2024-03-31")
)

func newStore(t testing.TB) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	if err := Create(dir, register.INE()); err != nil {
		t.Fatal(err)
	}
	st, err := Open(dir, register.INE())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, dir
}

// asOfRows is the register as of t, each record joined by "|", sorted.
func asOfRows(t testing.TB, st *Store, d register.Date) []string {
	t.Helper()
	var out []string
	last := uint64(0)
	err := st.AsOf(context.Background(), d, func(v *register.Version) error {
		if v.PersonID <= last {
			t.Fatalf("as of %s: person %d after %d", d, v.PersonID, last)
		}
		last = v.PersonID
		if !v.ValidAt(d) {
			t.Fatalf("as of %s: version [%s, %s) not valid", d, v.ValidFrom, v.ValidTo)
		}
		out = append(out, strings.Join(v.Record, "|"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func joined(recs []register.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = strings.Join(r, "|")
	}
	slices.Sort(out)
	return out
}

// fingerprint is a digest of every version in the store and its stats.
func fingerprint(t testing.TB, st *Store) string {
	t.Helper()
	h := sha256.New()
	err := st.Versions(context.Background(), func(v *register.Version) error {
		h.Write([]byte(strings.Join(append([]string{v.ValidFrom.String(), v.ValidTo.String()}, v.Record...), "|")))
		h.Write([]byte{byte(v.PersonID), '\n'})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := st.Stats()
	if err != nil {
		t.Fatal(err)
	}
	h.Write([]byte(strings.Join([]string{s.First.String(), s.Last.String()}, ",")))
	for _, l := range s.Loads {
		h.Write([]byte(l.File + l.SHA256))
	}
	return hex.EncodeToString(h.Sum(nil)) + "/" + strconv.FormatInt(s.People, 10) + "/" + strconv.FormatInt(s.Versions, 10)
}

// twoSnapshots writes snapshot files for day1 and day2 of a small register.
func twoSnapshots(t testing.TB, dir string, n int) (p1, p2 string, s1 []register.Record, c churned) {
	s1 = genPeople(n, 7)
	c = churn(s1, seq(n), n, 8)
	p1 = filepath.Join(dir, "snapshot-2024-01-31.csv")
	p2 = filepath.Join(dir, "snapshot-2024-02-29.csv")
	writeSnapshot(t, p1, s1)
	writeSnapshot(t, p2, c.recs)
	return
}

func TestLoadSnapshots(t *testing.T) {
	for _, together := range []bool{false, true} {
		t.Run(map[bool]string{false: "one-by-one", true: "one-call"}[together], func(t *testing.T) {
			st, _ := newStore(t)
			p1, p2, s1, c := twoSnapshots(t, t.TempDir(), 3000)
			ctx := context.Background()
			var res []LoadResult
			if together {
				r, err := st.Load(ctx, []LoadInput{{Path: p2}, {Path: p1}}, nil)
				if err != nil {
					t.Fatal(err)
				}
				res = []LoadResult{r[1], r[0]}
			} else {
				for _, p := range []string{p1, p2} {
					r, err := st.Load(ctx, []LoadInput{{Path: p}}, nil)
					if err != nil {
						t.Fatal(err)
					}
					res = append(res, r...)
				}
			}
			if r := res[0]; r.Kind != KindSnapshot || r.AsOf != day1 || r.Rows != 3000 || r.New != 3000 || r.InvalidCURP != 0 || r.InvalidClave != 0 {
				t.Errorf("first load: %+v", r)
			}
			r := res[1]
			if r.AsOf != day2 || r.New != int64(c.created) || r.Changed != int64(c.changed) || r.Removed != int64(c.removed) ||
				r.Unchanged != int64(len(c.recs)-c.created-c.changed) || r.Returned != 0 {
				t.Errorf("second load: %+v, want new %d changed %d removed %d", r, c.created, c.changed, c.removed)
			}
			if got, want := asOfRows(t, st, day1), joined(s1); !reflect.DeepEqual(got, want) {
				t.Errorf("as of day1: %d rows, want %d", len(got), len(want))
			}
			if got, want := asOfRows(t, st, day2-1), joined(s1); !reflect.DeepEqual(got, want) {
				t.Errorf("as of the day before day2: %d rows, want %d", len(got), len(want))
			}
			if got, want := asOfRows(t, st, day2+100), joined(c.recs); !reflect.DeepEqual(got, want) {
				t.Errorf("as of after day2: %d rows, want %d", len(got), len(want))
			}
			if got := asOfRows(t, st, day1-1); len(got) != 0 {
				t.Errorf("as of before day1: %d rows", len(got))
			}
			s, err := st.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if s.People != int64(3000+c.created) || s.Versions != int64(3000+c.created+c.changed) || s.First != day1 || s.Last != day2 || len(s.Loads) != 2 {
				t.Errorf("stats: %+v", s)
			}
			if s.Loads[1].PeopleValid != int64(len(c.recs)) || s.Loads[0].File != "snapshot-2024-01-31.csv" || len(s.Loads[0].SHA256) != 64 {
				t.Errorf("load stats: %+v", s.Loads)
			}
			// A changed person has two versions, found by CURP and by clave.
			for i, rec := range c.recs {
				if i >= len(s1) || reflect.DeepEqual(rec, s1[c.ids[i]]) {
					continue
				}
				vs, err := st.ByCURP(rec[1])
				if err != nil {
					t.Fatal(err)
				}
				if len(vs) != 2 || vs[0].ValidFrom != day1 || vs[0].ValidTo != day2 || vs[1].ValidFrom != day2 ||
					vs[1].ValidTo != register.NoDate || vs[0].PersonID != vs[1].PersonID || !reflect.DeepEqual(vs[1].Record, rec) {
					t.Fatalf("by curp %s: %+v", rec[1], vs)
				}
				vc, err := st.ByClave(rec[0])
				if err != nil || !reflect.DeepEqual(vc, vs) {
					t.Fatalf("by clave: %v %+v", err, vc)
				}
				vp, err := st.Person(vs[0].PersonID)
				if err != nil || !reflect.DeepEqual(vp, vs) {
					t.Fatalf("person: %v %+v", err, vp)
				}
				break
			}
			if vs, err := st.ByCURP("XXXX000000HDFXXX00"); err != nil || len(vs) != 0 {
				t.Errorf("unknown curp: %v %v", vs, err)
			}
		})
	}
}

func TestReturningPersonKeepsID(t *testing.T) {
	st, _ := newStore(t)
	dir := t.TempDir()
	recs := genPeople(10, 1)
	writeSnapshot(t, filepath.Join(dir, "snapshot-2024-01-31.csv"), recs)
	writeSnapshot(t, filepath.Join(dir, "snapshot-2024-02-29.csv"), recs[1:])
	// Back with a new address.
	back := slices.Clone(recs)
	back[0] = slices.Clone(back[0])
	back[0][11] = "CALLE DEL REGRESO"
	writeSnapshot(t, filepath.Join(dir, "snapshot-2024-03-31.csv"), back)
	var all []LoadResult
	for _, d := range []string{"01-31", "02-29", "03-31"} {
		r, err := st.Load(context.Background(), []LoadInput{{Path: filepath.Join(dir, "snapshot-2024-"+d+".csv")}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r...)
	}
	if all[1].Removed != 1 || all[2].Returned != 1 || all[2].New != 0 || all[2].Unchanged != 9 {
		t.Errorf("results: %+v", all)
	}
	vs, err := st.ByCURP(recs[0][1])
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].PersonID != vs[1].PersonID || vs[0].ValidTo != day2 || vs[1].ValidFrom != day3 || vs[1].Record[11] != "CALLE DEL REGRESO" {
		t.Errorf("versions: %+v", vs)
	}
	if got := asOfRows(t, st, day2); len(got) != 9 {
		t.Errorf("as of day2: %d", len(got))
	}
}

func TestHistoryAgreesWithSnapshots(t *testing.T) {
	dir := t.TempDir()
	_, _, s1, c := twoSnapshots(t, dir, 2000)
	// The same life as a history file, person ids from 1000.
	var vs []register.Version
	open := map[int]int{} // person number → index in vs
	for i, r := range s1 {
		open[i] = len(vs)
		vs = append(vs, register.Version{PersonID: uint64(1000 + i), ValidFrom: day1, ValidTo: register.NoDate, Record: r})
	}
	present := map[int]bool{}
	for i, r := range c.recs {
		n := c.ids[i]
		present[n] = true
		if k, ok := open[n]; ok {
			if reflect.DeepEqual(vs[k].Record, r) {
				continue
			}
			vs[k].ValidTo = day2
		}
		vs = append(vs, register.Version{PersonID: uint64(1000 + n), ValidFrom: day2, ValidTo: register.NoDate, Record: r})
	}
	for n, k := range open {
		if !present[n] {
			vs[k].ValidTo = day2
		}
	}
	// Rows out of order on purpose: the reader must not rely on order.
	slices.Reverse(vs)
	hp := filepath.Join(dir, "history.csv")
	writeHistory(t, hp, vs)

	st, _ := newStore(t)
	res, err := st.Load(context.Background(), []LoadInput{{Path: hp}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Kind != KindHistory || r.AsOf != day2 || r.Rows != int64(len(vs)) || r.New != int64(2000+c.created) ||
		r.Removed != int64(c.removed) || r.PeopleValid != int64(len(c.recs)) {
		t.Errorf("history: %+v", r)
	}
	if got, want := asOfRows(t, st, day1), joined(s1); !reflect.DeepEqual(got, want) {
		t.Errorf("as of day1: %d rows, want %d", len(got), len(want))
	}
	if got, want := asOfRows(t, st, day2), joined(c.recs); !reflect.DeepEqual(got, want) {
		t.Errorf("as of day2: %d rows, want %d", len(got), len(want))
	}
	// The same rows in person order stream into tables: same register.
	slices.SortFunc(vs, func(a, b register.Version) int {
		if a.PersonID != b.PersonID {
			return int(a.PersonID) - int(b.PersonID)
		}
		return int(a.ValidFrom) - int(b.ValidFrom)
	})
	sorted := filepath.Join(dir, "history-sorted.csv")
	writeHistory(t, sorted, vs)
	st2, _ := newStore(t)
	if _, err := st2.Load(context.Background(), []LoadInput{{Path: sorted}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, d := range []register.Date{day1, day2} {
		if !reflect.DeepEqual(asOfRows(t, st2, d), asOfRows(t, st, d)) {
			t.Errorf("as of %s: sorted and unsorted history differ", d)
		}
	}
	if s1, s2 := versionCount(t, st), versionCount(t, st2); s1 != s2 || s1 != len(vs) {
		t.Errorf("versions: %d unsorted, %d sorted, want %d", s1, s2, len(vs))
	}
	// A snapshot after the history diffs against it.
	p3 := filepath.Join(dir, "snapshot-2024-03-31.csv")
	writeSnapshot(t, p3, c.recs)
	r3, err := st.Load(context.Background(), []LoadInput{{Path: p3}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r3[0].Unchanged != int64(len(c.recs)) || r3[0].New+r3[0].Changed+r3[0].Removed != 0 {
		t.Errorf("snapshot after history: %+v", r3[0])
	}
}

func TestLoadRefused(t *testing.T) {
	dir := t.TempDir()
	p1, p2, _, _ := twoSnapshots(t, dir, 50)
	noDay := filepath.Join(dir, "register.csv")
	writeSnapshot(t, noDay, genPeople(5, 3))
	hist := filepath.Join(dir, "history.csv")
	writeHistory(t, hist, []register.Version{{PersonID: 1, ValidFrom: day1, ValidTo: register.NoDate, Record: genPeople(1, 4)[0]}})
	for _, tc := range []struct {
		name   string
		before []string
		load   LoadInput
		want   string
	}{
		{"older snapshot", []string{p2}, LoadInput{Path: p1}, "not after the store's last known day 2024-02-29"},
		{"same day", []string{p1}, LoadInput{Path: p1, AsOf: day1}, "not after"},
		{"same bytes", []string{p1}, LoadInput{Path: p1, AsOf: day2}, "already loaded as snapshot-2024-01-31.csv"},
		{"history into a full store", []string{p1}, LoadInput{Path: hist}, "only into an empty store"},
		{"no as-of", nil, LoadInput{Path: noDay}, "as-of day unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := newStore(t)
			for _, p := range tc.before {
				if _, err := st.Load(context.Background(), []LoadInput{{Path: p}}, nil); err != nil {
					t.Fatal(err)
				}
			}
			before := fingerprint(t, st)
			_, err := st.Load(context.Background(), []LoadInput{tc.load}, nil)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrRefused with %q", err, tc.want)
			}
			if after := fingerprint(t, st); after != before {
				t.Errorf("store changed by a refused load")
			}
		})
	}
	// With --as-of the unnamed file loads.
	st, _ := newStore(t)
	if _, err := st.Load(context.Background(), []LoadInput{{Path: noDay, AsOf: day1}}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidIdentifiersCounted(t *testing.T) {
	st, _ := newStore(t)
	recs := genPeople(20, 9)
	recs[3][1] = recs[3][1][:17] + string("0123456789"[(int(recs[3][1][17]-'0')+1)%10]) // wrong check digit
	recs[4][1] = ""
	recs[5][0] = "ABCDEF991340" + recs[5][0][12:] // month 13
	p := filepath.Join(t.TempDir(), "snapshot-2024-01-31.csv")
	writeSnapshot(t, p, recs)
	res, err := st.Load(context.Background(), []LoadInput{{Path: p}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].InvalidCURP != 2 || res[0].InvalidClave != 1 || res[0].Rows != 20 {
		t.Errorf("result %+v", res[0])
	}
	// Stored exactly as written.
	if got, want := asOfRows(t, st, day1), joined(recs); !reflect.DeepEqual(got, want) {
		t.Errorf("stored rows differ from the file")
	}
	vs, err := st.ByCURP(recs[3][1])
	if err != nil || len(vs) != 1 {
		t.Errorf("by invalid curp: %v %v", vs, err)
	}
}

func TestMalformedLeavesStoreUnchanged(t *testing.T) {
	header := strings.Join(register.INE().Names(), ",")
	good := strings.Join(genPeople(1, 5)[0], ",")
	row := func(f func(r register.Record)) string {
		r := slices.Clone(genPeople(2, 5)[1])
		f(r)
		return strings.Join(r, ",")
	}
	for _, tc := range []struct {
		name, content string
		line, col     int
		want          string
	}{
		{"field count", header + "\n" + good + "\n" + good + ",EXTRA\n", 3, 1, "21 fields, expected 20"},
		{"bad date", header + "\n" + good + "\n" + row(func(r register.Record) { r[5] = "1990-02-30" }) + "\n", 3, 0, "fecha_nacimiento"},
		{"bad registration date", header + "\n" + row(func(r register.Record) { r[16] = "2015/03/02" }) + "\n", 2, 0, "fecha_registro"},
		{"invalid utf-8", header + "\n" + row(func(r register.Record) { r[11] = "CALLE \xff" }) + "\n", 2, 0, "calle: invalid UTF-8"},
		{"missing column", strings.Replace(header, ",curp", "", 1) + "\n", 1, 1, "missing column(s) curp"},
		{"unknown column", header + ",extra\n", 1, len(header) + 2, `unknown column "extra"`},
		{"empty", "", 1, 1, "empty file"},
		{"bare quote", header + "\n" + good + "\n" + row(func(r register.Record) { r[12] = `1"2` }) + "\n", 3, 0, "bare"},
		{"unclosed quote", header + "\n" + good + "\n" + strings.Replace(good, ",", `,"`, 1) + "\n" + good + "\n" + good + "\n", 3, 0, "never closed"},
		{"quote runs on", header + "\n" + good + "\n" + strings.Replace(good, ",", `,"`, 1) + "\n" + strings.Repeat(good+"\n", 2000) + `"` + "\n", 3, 0, "runs on for more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := newStore(t)
			dir := t.TempDir()
			p1, _, _, _ := twoSnapshots(t, dir, 100)
			if _, err := st.Load(context.Background(), []LoadInput{{Path: p1}}, nil); err != nil {
				t.Fatal(err)
			}
			before := fingerprint(t, st)
			bad := filepath.Join(dir, "snapshot-2024-03-31.csv")
			if err := os.WriteFile(bad, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			// Together with a good file: neither commits.
			p2 := filepath.Join(dir, "snapshot-2024-02-29.csv")
			_, err := st.Load(context.Background(), []LoadInput{{Path: p2}, {Path: bad}}, nil)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want *ParseError", err, err)
			}
			if pe.File != "snapshot-2024-03-31.csv" || pe.Line != tc.line || (tc.col > 0 && pe.Column != tc.col) || pe.Column < 1 || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q (line %d col %d), want line %d col %d with %q", err, pe.Line, pe.Column, tc.line, tc.col, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "snapshot-2024-03-31.csv:") {
				t.Errorf("error %q does not start with file:line:column", err)
			}
			if after := fingerprint(t, st); after != before {
				t.Errorf("store changed by a failed load")
			}
			if _, err := st.Load(context.Background(), []LoadInput{{Path: p2}}, nil); err != nil {
				t.Errorf("store not loadable after a failed load: %v", err)
			}
		})
	}
}

func TestHistoryErrors(t *testing.T) {
	rec := genPeople(1, 6)[0]
	for _, tc := range []struct {
		name string
		vs   []register.Version
		want string
	}{
		{"overlap", []register.Version{{PersonID: 5, ValidFrom: day1, ValidTo: day3, Record: rec}, {PersonID: 5, ValidFrom: day2, ValidTo: register.NoDate, Record: rec}}, "overlaps"},
		{"empty interval", []register.Version{{PersonID: 5, ValidFrom: day2, ValidTo: day1, Record: rec}}, "is not after valid_from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := newStore(t)
			p := filepath.Join(t.TempDir(), "history.csv")
			writeHistory(t, p, tc.vs)
			_, err := st.Load(context.Background(), []LoadInput{{Path: p}}, nil)
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want a ParseError with %q", err, tc.want)
			}
			if s, _ := st.Stats(); s.Versions != 0 {
				t.Errorf("versions stored: %d", s.Versions)
			}
		})
	}
}

func TestReopenAndSchemaCheck(t *testing.T) {
	st, dir := newStore(t)
	p1, _, s1, _ := twoSnapshots(t, t.TempDir(), 100)
	if _, err := st.Load(context.Background(), []LoadInput{{Path: p1}}, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// A leftover table from an interrupted load is removed at open.
	junk := filepath.Join(dir, "tmp", "load-1", "versions-000.sst")
	os.MkdirAll(filepath.Dir(junk), 0o700)
	os.WriteFile(junk, []byte("partial"), 0o600)
	st2, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(junk); !os.IsNotExist(err) {
		t.Errorf("leftover table still there: %v", err)
	}
	if got := asOfRows(t, st2, day1); !reflect.DeepEqual(got, joined(s1)) {
		t.Errorf("after reopen: %d rows", len(got))
	}
	st2.Close()
	other := register.INE()
	other.Fields = other.Fields[:5]
	if _, err := Open(dir, other); err == nil {
		t.Errorf("open with another schema worked")
	}
	if err := Create(dir, register.INE()); err == nil {
		t.Errorf("create over an existing store worked")
	}
}

// versionCount counts versions by scanning.
func versionCount(t *testing.T, st *Store) int {
	t.Helper()
	n := 0
	if err := st.Versions(context.Background(), func(*register.Version) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLoadWithIndexRuns loads with a tiny in-memory index budget, so the
// index goes through run tables and the merge.
func TestLoadWithIndexRuns(t *testing.T) {
	defer func(b int) { indexBudget = b }(indexBudget)
	indexBudget = 700
	st, _ := newStore(t)
	p1, p2, s1, c := twoSnapshots(t, t.TempDir(), 3000)
	for _, p := range []string{p1, p2} {
		if _, err := st.Load(context.Background(), []LoadInput{{Path: p}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := asOfRows(t, st, day2); !reflect.DeepEqual(got, joined(c.recs)) {
		t.Errorf("as of day2: %d rows", len(got))
	}
	for _, r := range s1[:50] {
		vs, err := st.ByCURP(r[1])
		if err != nil || len(vs) == 0 || !reflect.DeepEqual(vs[0].Record, r) {
			t.Fatalf("by curp %s: %v %v", r[1], vs, err)
		}
		vc, err := st.ByClave(r[0])
		if err != nil || !reflect.DeepEqual(vc, vs) {
			t.Fatalf("by clave %s: %v %v", r[0], vc, err)
		}
	}
}

// TestVersionsOfRanges: disjoint ranges of people, scanned at once, give
// every version exactly once, as Versions does.
// twoLoaded is a new store with two snapshots of people people loaded,
// and its path.
func twoLoaded(t *testing.T, people int) (*Store, string) {
	t.Helper()
	p1, p2, _, _ := twoSnapshots(t, t.TempDir(), people)
	st, path := newStore(t)
	if _, err := st.Load(context.Background(), []LoadInput{{Path: p1}, {Path: p2}}, nil); err != nil {
		t.Fatal(err)
	}
	return st, path
}

func TestVersionsOfRanges(t *testing.T) {
	st, _ := twoLoaded(t, 500)
	ctx := context.Background()
	key := func(v *register.Version) string {
		return fmt.Sprintf("%d %s %s %s", v.PersonID, v.ValidFrom, v.ValidTo, strings.Join(v.Record, "|"))
	}
	var all []string
	if err := st.Versions(ctx, func(v *register.Version) error { all = append(all, key(v)); return nil }); err != nil {
		t.Fatal(err)
	}
	maxID, err := st.MaxPersonID()
	if err != nil || maxID == 0 {
		t.Fatalf("max person id %d, %v", maxID, err)
	}
	step := maxID/7 + 1
	parts := make([][]string, 8)
	var wg sync.WaitGroup
	for i := range parts {
		lo, hi := uint64(i)*step, uint64(i+1)*step
		if i == len(parts)-1 {
			hi = 0
		}
		wg.Go(func() {
			if err := st.VersionsOf(ctx, lo, hi, func(v *register.Version) error {
				if v.PersonID < lo || hi != 0 && v.PersonID >= hi {
					t.Errorf("person %d outside [%d, %d)", v.PersonID, lo, hi)
				}
				parts[i] = append(parts[i], key(v))
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := slices.Concat(parts...); !reflect.DeepEqual(got, all) {
		t.Errorf("ranges gave %d versions, Versions %d (or another order)", len(got), len(all))
	}
}

// TestOpenWithCache checks that Options.CacheBytes sizes the block cache: a
// scan of the whole store through a store opened with a 64 KiB cache
// reads the same versions and leaves no more than that cached, where the
// default cache keeps what the scan read.
func TestOpenWithCache(t *testing.T) {
	st, path := twoLoaded(t, 2000)
	st.Close()
	scan := func(o Options) (n int, cached int64) {
		t.Helper()
		s, err := OpenWith(path, register.INE(), o)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Versions(context.Background(), func(*register.Version) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n, s.db.Metrics().BlockCache.Size
	}
	nDef, cachedDef := scan(Options{})
	nSmall, cachedSmall := scan(Options{CacheBytes: 64 << 10})
	if nDef == 0 || nSmall != nDef {
		t.Fatalf("versions: %d with the default cache, %d with a small one", nDef, nSmall)
	}
	if cachedSmall > 64<<10 || cachedDef <= 64<<10 {
		t.Errorf("cached after a scan: %d bytes with a 64 KiB cache, %d with the default; want ≤ 64 KiB and more", cachedSmall, cachedDef)
	}
}

// TestOpenReadOnly: a store opened read-only reads what the store holds,
// refuses a load, and leaves every file of the store as it was (no
// write-ahead log made, no manifest rewritten, DIR/tmp untouched; only
// Pebble's LOCK file is opened, as Pebble does even to read).
func TestOpenReadOnly(t *testing.T) {
	st, path := twoLoaded(t, 300)
	p3, _, _, _ := twoSnapshots(t, t.TempDir(), 50)
	want := asOfRows(t, st, register.MustDate("2021-01-01"))
	st.Close()
	leftover := filepath.Join(path, "tmp", "load-leftover")
	if err := os.MkdirAll(leftover, 0o700); err != nil {
		t.Fatal(err)
	}
	files := func() map[string]string {
		t.Helper()
		out := map[string]string{}
		err := filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil || d.Name() == "LOCK" {
				return err
			}
			out[p] = fmt.Sprintf("%d %s", info.Size(), info.ModTime())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := files()
	ro, err := OpenWith(path, register.INE(), Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := asOfRows(t, ro, register.MustDate("2021-01-01")); !slices.Equal(got, want) {
		t.Errorf("read-only: %d rows as of 2021-01-01, want %d", len(got), len(want))
	}
	if _, err := ro.Load(context.Background(), []LoadInput{{Path: p3}}, nil); err == nil {
		t.Error("a load into a read-only store succeeded")
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if after := files(); !maps.Equal(after, before) {
		t.Errorf("files changed by a read-only open:\nbefore %v\nafter  %v", before, after)
	}
}

// TestKeyProbe: Held agrees with ByCURP and ByClave for keys held, keys of
// people gone, prefixes of keys and keys nobody held.
func TestKeyProbe(t *testing.T) {
	st, _ := twoLoaded(t, 300)
	p, err := st.NewKeyProbe()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s := st.Schema()
	ic, ik := s.Index(register.FCURP), s.Index(register.FClave)
	var curps, claves []string
	if err := st.Versions(context.Background(), func(v *register.Version) error {
		curps, claves = append(curps, v.Record[ic]), append(claves, v.Record[ik])
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	asked := 0
	for i := range curps {
		for _, q := range [][2]string{{curps[i], ""}, {"", claves[i]}, {curps[i][:17], ""}, {"", claves[i][:17] + "Z"}, {"ZZZZ" + curps[i][4:], claves[i][:10]}} {
			want := false
			if q[0] != "" {
				vs, err := st.ByCURP(q[0])
				want = err == nil && len(vs) > 0
			}
			if q[1] != "" && !want {
				vs, err := st.ByClave(q[1])
				want = err == nil && len(vs) > 0
			}
			got, err := p.Held(q[0], q[1])
			if err != nil || got != want {
				t.Fatalf("Held(%q, %q) = %v, %v; ByCURP/ByClave say %v", q[0], q[1], got, err, want)
			}
			asked++
		}
	}
	if asked == 0 {
		t.Fatal("nothing asked")
	}
}
