package analysis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/store"
)

// oddWorld is newWorld with values the digest's fixed layout cannot hold:
// non-numeric secciones, a seven-digit entidad, CURPs stored with spaces
// around them or in lower case.
func oddWorld(t *testing.T) *world {
	w := newWorld(t)
	s := w.reg.schema
	iSec, iEnt, iCURP := s.Index(register.FSeccion), s.Index(register.FEntidad), s.Index(register.FCURP)
	for p := uint64(5); p <= 40; p++ {
		for i := range w.reg.persons[p] {
			rec := w.reg.persons[p][i].Record
			switch {
			case p < 15:
				rec[iSec] = "12A"
			case p < 20:
				rec[iEnt] = "1234567"
			case p < 30:
				rec[iCURP] = " " + rec[iCURP] + " "
			default:
				rec[iCURP] = strings.ToLower(rec[iCURP])
			}
		}
	}
	return w
}

// digestLeak is a dump of the world's 2018 copy with rows that link by
// clave only, and rows of other people.
func digestLeak(w *world) *Leak {
	s := w.reg.schema
	leaked := copyFor(s, w.reg.asOf(d("2018-06-15")), "r03")
	leaked = append(leaked, newFakeRegister(5, 300, d("2017-01-01"), d("2021-12-31")).asOf(d("2018-06-15"))...)
	iCURP := s.Index(register.FCURP)
	for i := 0; i < 20; i++ {
		r := slices.Clone(leaked[i*37])
		r[iCURP] = strings.TrimSpace(r[iCURP])[:17] + "Q"
		leaked[i*37] = r
	}
	return leakOf(s, "leak", leaked, append(slices.Clone(allFields), register.FClave))
}

func TestDigestEqualsScan(t *testing.T) {
	w := oddWorld(t)
	cfg, dg := scanWithDigest(t, w)
	versions := 0
	for _, vs := range w.reg.persons {
		versions += len(vs)
	}
	if dg.Records() != int64(versions) {
		t.Fatalf("digest holds %d records, the register %d versions", dg.Records(), versions)
	}
	if len(dg.odd) != countOdd(w) {
		t.Errorf("side table holds %d records, want %d", len(dg.odd), countOdd(w))
	}

	var warned []string
	cfg.Warn = func(msg string) { warned = append(warned, msg) }
	scan := runDigestLeak(t, cfg, w)
	if len(warned) != 1 || !strings.Contains(warned[0], "huella digest builds it") {
		t.Errorf("a scan without a digest: warnings %q", warned)
	}
	cfg.Digest, cfg.Scan = dg, nil
	fromDigest := runDigestLeak(t, cfg, w)
	if len(warned) != 1 {
		t.Errorf("a scan of the digest warned: %q", warned[1:])
	}
	b, _ := fromDigest.Report.JSON()
	if !sameResult(scan, fromDigest) {
		t.Error("store scan and digest scan results differ")
	}
	if got := fromDigest.Report.Match.ByMethod["clave"]; got < 20 {
		t.Errorf("%d rows linked by clave, want the 20 with a damaged CURP", got)
	}
	// the odd values reach the report: CURPs as stored, codes as they are
	spaced, lower := 0, 0
	for _, c := range fromDigest.Affected {
		switch {
		case strings.HasPrefix(c, " "):
			spaced++
		case c != strings.ToUpper(c):
			lower++
		}
	}
	if spaced == 0 || lower == 0 {
		t.Errorf("affected CURPs as stored: %d with spaces, %d in lower case; want some of each", spaced, lower)
	}
	if !strings.Contains(string(b), `"12A"`) && !strings.Contains(string(b), `"1234567"`) {
		t.Errorf("the report names neither odd code:\n%s", b)
	}
}

// scanWithDigest is w's configuration for a scan of the store (every leak
// linked by a scan), and the comparison digest of w's register, closed
// when the test ends.
func scanWithDigest(t *testing.T, w *world) (Config, *Digest) {
	t.Helper()
	cfg := w.cfg
	cfg.Scan = w.reg.VersionsOf
	cfg.Known.MaxPerson = uint64(len(w.reg.persons))
	cfg.LookupRows = 10
	path := filepath.Join(t.TempDir(), "digest")
	if err := BuildDigest(context.Background(), cfg.Schema, cfg.Known, cfg.Scan, path); err != nil {
		t.Fatal(err)
	}
	dg, err := OpenDigest(path, cfg.Schema, cfg.Known)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dg.Close() })
	return cfg, dg
}

// runDigestLeak analyses digestLeak(w) under cfg.
func runDigestLeak(t *testing.T, cfg Config, w *world) *Result {
	t.Helper()
	res, err := Run(context.Background(), cfg, digestLeak(w))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sameResult reports whether two analyses gave the same JSON and affected list.
func sameResult(a, b *Result) bool {
	ja, _ := a.Report.JSON()
	jb, _ := b.Report.JSON()
	return bytes.Equal(ja, jb) && slices.Equal(a.Affected, b.Affected) && len(a.Affected) > 0
}

// countOdd is the number of versions with a value the side table holds.
func countOdd(w *world) int {
	n := 0
	for p := uint64(5); p <= 40; p++ {
		n += len(w.reg.persons[p])
	}
	return n
}

func TestDigestStaleOrDamaged(t *testing.T) {
	w := newWorld(t)
	k := w.cfg.Known
	k.MaxPerson = uint64(len(w.reg.persons))
	k.Loads = []string{"load-1"}
	s := w.cfg.Schema
	path := filepath.Join(t.TempDir(), "digest")
	if _, err := OpenDigest(path, s, k); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no digest: %v, want not-exist", err)
	}
	if err := BuildDigest(context.Background(), s, k, w.reg.VersionsOf, path); err != nil {
		t.Fatal(err)
	}
	// Another store state (one more load) or another schema: stale.
	other := k
	other.Loads = append(slices.Clone(k.Loads), "load-2")
	if _, err := OpenDigest(path, s, other); !errors.Is(err, ErrStaleDigest) {
		t.Errorf("another store state: %v, want ErrStaleDigest", err)
	}
	s2 := *s
	s2.Fields = s.Fields[:len(s.Fields)-1]
	if _, err := OpenDigest(path, &s2, k); !errors.Is(err, ErrStaleDigest) {
		t.Errorf("another schema: %v, want ErrStaleDigest", err)
	}

	// A failed rebuild leaves the old digest as it was, and no temporary file.
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	failing := func(ctx context.Context, lo, hi uint64, fn func(v *register.Version) error) error {
		if lo > 0 {
			return boom
		}
		return w.reg.VersionsOf(ctx, lo, hi, fn)
	}
	if err := BuildDigest(context.Background(), s, other, failing, path); !errors.Is(err, boom) {
		t.Errorf("failed build: %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a failed build changed the digest")
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("files left: %v", ents)
	}

	// A damaged record stops the scan that reads its block.
	before[len(digestMagic)+100] ^= 1
	if err := os.WriteFile(path, before, 0o644); err != nil {
		t.Fatal(err)
	}
	dg, err := OpenDigest(path, s, k)
	if err != nil {
		t.Fatal(err)
	}
	defer dg.Close()
	err = dg.scan(context.Background(), 0, 0, func(int64, []byte) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged digest scanned: %v", err)
	}
	cfg := w.cfg
	cfg.Known, cfg.Digest, cfg.LookupRows = k, dg, 10
	if _, err := Run(context.Background(), cfg, digestLeak(w)); !errors.Is(err, ErrDigestDamaged) {
		t.Errorf("analysis over a damaged digest and no store: %v", err)
	}
	// With the store at hand, the analysis says so and reads the store:
	// the same report as without a digest.
	cfg.Scan = w.reg.VersionsOf
	var warned []string
	cfg.Warn = func(msg string) { warned = append(warned, msg) }
	got := runDigestLeak(t, cfg, w)
	cfg.Digest, cfg.Warn = nil, nil
	if !sameResult(got, runDigestLeak(t, cfg, w)) {
		t.Error("after a damaged digest, the result differs from the store scan's")
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "store was read instead") {
		t.Errorf("warnings %q", warned)
	}
}

func TestDigestRanges(t *testing.T) {
	w := newWorld(t)
	k := w.cfg.Known
	k.MaxPerson = uint64(len(w.reg.persons))
	path := filepath.Join(t.TempDir(), "digest")
	if err := BuildDigest(context.Background(), w.cfg.Schema, k, w.reg.VersionsOf, path); err != nil {
		t.Fatal(err)
	}
	dg, err := OpenDigest(path, w.cfg.Schema, k)
	if err != nil {
		t.Fatal(err)
	}
	defer dg.Close()
	size := dg.h.RecordSize
	for _, r := range [][2]uint64{{0, 0}, {0, 1}, {1, 2}, {17, 1000}, {3999, 0}, {4001, 0}, {500, 501}} {
		var want []uint64
		if err := w.reg.VersionsOf(context.Background(), r[0], r[1], func(v *register.Version) error {
			want = append(want, v.PersonID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var got []uint64
		next := int64(-1)
		err := dg.scan(context.Background(), r[0], r[1], func(first int64, recs []byte) error {
			if next >= 0 && first != next {
				t.Errorf("range %v: records from %d after %d", r, first, next)
			}
			for i := 0; i < len(recs); i += size {
				got = append(got, digestRec(recs[i:i+size]).pid())
			}
			next = first + int64(len(recs)/size)
			return nil
		})
		if err != nil {
			t.Fatalf("range %v: %v", r, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("range %v: %d records, want %d", r, len(got), len(want))
		}
	}
}

// TestDigestStream loads histories and snapshots into a real store with a
// DigestStream, and compares what it wrote with BuildDigest's digest of the
// same store, byte for byte.
func TestDigestStream(t *testing.T) {
	reg := oddWorld(t).reg
	s := reg.schema
	dir := t.TempDir()
	hist := filepath.Join(dir, "history.csv")
	writeHistory(t, hist, reg)
	// the same history with two persons' rows swapped: out of person order,
	// so the load streams, finds out, resets and sorts
	unsorted := filepath.Join(dir, "unsorted.csv")
	b, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	lines[2000], lines[3000] = lines[3000], lines[2000]
	if err := os.WriteFile(unsorted, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(dir, "snapshot-2018-06-15.csv")
	writeCSV(t, snap, s.Names(), reg.asOf(d("2018-06-15")), false)
	later := filepath.Join(dir, "snapshot-2019-06-15.csv")
	writeCSV(t, later, s.Names(), reg.asOf(d("2019-06-15")), false)

	for _, tc := range []struct {
		name     string
		files    [][]string // one load per element
		allFresh bool       // of the last load
	}{
		{"history in order", [][]string{{hist}}, true},
		{"history out of order", [][]string{{unsorted}}, false},
		{"snapshot", [][]string{{snap}}, true},
		{"two snapshots at once", [][]string{{snap, later}}, false},
		{"a snapshot after another", [][]string{{snap}, {later}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := filepath.Join(t.TempDir(), "store")
			if err := store.Create(sp, s); err != nil {
				t.Fatal(err)
			}
			st, err := store.Open(sp, s)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			streamed := filepath.Join(t.TempDir(), "digest")
			var out store.LoadOutcome
			for _, files := range tc.files {
				var in []store.LoadInput
				for _, f := range files {
					in = append(in, store.LoadInput{Path: f})
				}
				ds, err := NewDigestStream(s, streamed)
				if err != nil {
					t.Fatal(err)
				}
				if out, err = st.LoadWith(context.Background(), in, store.LoadOptions{Fresh: ds}); err != nil {
					ds.Abort()
					t.Fatal(err)
				}
				k, err := KnownOf(st)
				if err != nil {
					t.Fatal(err)
				}
				if !out.AllFresh {
					ds.Abort()
					continue
				}
				if err := ds.Finish(k); err != nil {
					t.Fatal(err)
				}
			}
			if out.AllFresh != tc.allFresh {
				t.Fatalf("AllFresh %v, want %v", out.AllFresh, tc.allFresh)
			}
			k, err := KnownOf(st)
			if err != nil {
				t.Fatal(err)
			}
			built := filepath.Join(t.TempDir(), "digest")
			if err := BuildDigest(context.Background(), s, k, st.VersionsOf, built); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(built)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(streamed)
			if !tc.allFresh {
				// a load that was not all fresh leaves no digest of its own
				if err == nil && tc.name != "a snapshot after another" {
					t.Error("a digest was written for a load that was not all fresh")
				}
				if ents, _ := os.ReadDir(filepath.Dir(streamed)); len(ents) > 1 {
					t.Errorf("files left: %v", ents)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("streamed digest (%d bytes) differs from the built one (%d bytes)", len(got), len(want))
			}
			dg, err := OpenDigest(streamed, s, k)
			if err != nil {
				t.Fatal(err)
			}
			dg.Close()
		})
	}
}

// The join finds, for every digest record, exactly the rows holding its
// CURP: keys held by several rows, by no row, rows with no key or an
// unknown one, one partition or many, one bucket or many.
func TestJoinDigest(t *testing.T) {
	w := newWorld(t)
	k := w.cfg.Known
	k.MaxPerson = uint64(len(w.reg.persons))
	s := w.cfg.Schema
	path := filepath.Join(t.TempDir(), "digest")
	if err := BuildDigest(context.Background(), s, k, w.reg.VersionsOf, path); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDigest(path, s, k)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var recKeys []key18 // by record
	err = d.scanRecords(context.Background(), 0, d.Records(), func(first int64, b []byte) error {
		for i := 0; i < len(b)/d.h.RecordSize; i++ {
			recKeys = append(recKeys, *digestRec(b[i*d.h.RecordSize:]).curp())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// the leak: most records' keys, some twice or three times, some none,
	// some unknown, in a shuffled order
	r := rand.New(rand.NewPCG(8, 9))
	var keys []key18
	for i, rk := range recKeys {
		for range []int{1, 1, 1, 1, 1, 1, 0, 2, 3, 1}[i%10] {
			keys = append(keys, rk)
		}
	}
	for range 5000 { // one person's row many times over
		keys = append(keys, recKeys[1])
	}
	// and enough unknown keys and none that the rows fill several chunks
	// of keyCol, split between the workers
	for i := range 3 * chunkRows / 2 {
		keys = append(keys, key18{}, toKey18(fmt.Sprintf("ZZZZ%014d", i)))
	}
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	want := map[key18][]int32{}
	for row, key := range keys {
		if !key.none() {
			want[key] = append(want[key], int32(row))
		}
	}

	defer func(p, b int) { joinPartRows, joinBucketBits = p, b }(joinPartRows, joinBucketBits)
	for _, c := range []struct{ partRows, bucketBits int }{{8192, 16}, {64, 16}, {8192, 7}, {50, 5}} {
		joinPartRows, joinBucketBits = c.partRows, c.bucketBits
		for _, workers := range []int{1, 2, 3} {
			var col keyCol
			col.append(keys)
			j, err := joinDigest(context.Background(), d, &col, workers)
			if err != nil {
				t.Fatal(err)
			}
			several := 0
			for idx, rk := range recKeys {
				got := j.rows(int64(idx), nil)
				slices.Sort(got)
				if !slices.Equal(got, want[rk]) {
					t.Fatalf("%+v, %d workers: record %d (%s): rows %v, want %v", c, workers, idx, rk.String(), got, want[rk])
				}
				if first := j.firstRow(int64(idx)); (first < 0) != (len(got) == 0) || (first >= 0 && !slices.Contains(got, int32(first))) {
					t.Fatalf("%+v: record %d: first row %d of %v", c, idx, first, got)
				}
				if len(got) > 1 {
					several++
				}
			}
			if several == 0 {
				t.Fatal("no record held by several rows")
			}
		}
	}
}

// TestSharedCURP: when a CURP is several people's (a register's
// duplicates), each row holding it goes to the person its fields agree
// with, whichever scanning goroutine finds which person first, through the
// store and through the digest. The people sharing it are at both ends of
// the PersonIDs, so different ranges of the scan find them, and one of
// them holds odd codes (the merging goroutine's path).
func TestSharedCURP(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	iCURP, iSec := s.Index(register.FCURP), s.Index(register.FSeccion)
	last := uint64(len(w.reg.persons))
	shared := map[uint64]uint64{1: last, 2: last - 1, 3: last / 2} // person: the one whose CURP it takes
	for p, from := range shared {
		curp := w.reg.persons[from][0].Record[iCURP]
		for i := range w.reg.persons[p] {
			rec := slices.Clone(w.reg.persons[p][i].Record)
			rec[iCURP] = curp
			if p == 2 {
				rec[iSec] = "7B"
			}
			w.reg.persons[p][i].Record = rec
		}
	}
	leaked := w.reg.asOf(d("2018-06-15"))
	cfg, dg := scanWithDigest(t, w)
	withDigest := cfg
	withDigest.Digest, withDigest.Scan = dg, nil
	var first []byte
	for i := range 6 {
		c := cfg
		if i%2 == 1 {
			c = withDigest
		}
		res, err := Run(context.Background(), c, leakOf(s, "leak", leaked, allFields))
		if err != nil {
			t.Fatal(err)
		}
		m := res.Report.Match
		if m.RowsMatched != len(leaked) || m.RowsExact != len(leaked) {
			t.Fatalf("run %d: %d rows, %d matched, %d exact: a row went to the other holder of its CURP", i, len(leaked), m.RowsMatched, m.RowsExact)
		}
		j, _ := res.Report.JSON()
		if first == nil {
			first = j
		} else if !bytes.Equal(j, first) {
			t.Fatalf("run %d: another report", i)
		}
	}
}
