package analysis

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/huella/huella/internal/fingerprint"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/report"
)

// listingAttributor is fakeAttributor that lists its canaries' CURPs and
// records the observations it is given.
type listingAttributor struct {
	fakeAttributor
	curps []string
	obs   *[]Observation
}

func (a listingAttributor) CanaryCURPs([]Release) ([]string, error) { return a.curps, nil }

func (a listingAttributor) Attribute(rels []Release, obs []Observation) ([]report.Attribution, error) {
	*a.obs = append((*a.obs)[:0], obs...)
	return a.fakeAttributor.Attribute(rels, obs)
}

// recordingAttributor is fakeAttributor that records its observations and
// cannot list canaries: the analysis reads the leak again.
type recordingAttributor struct {
	fakeAttributor
	obs *[]Observation
}

func (a recordingAttributor) Attribute(rels []Release, obs []Observation) ([]report.Attribution, error) {
	*a.obs = append((*a.obs)[:0], obs...)
	return a.fakeAttributor.Attribute(rels, obs)
}

// TestCanaryPrefilter checks that a large leak whose unlinked rows past the
// observation window all hold a listed canary CURP is read once, and that
// the analysis is the same as with a second reading: the same report and
// the same observations (rows, people, records) handed to attribution.
// With unlinked rows that are not listed, it reads again, as before.
func TestCanaryPrefilter(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	cut := d("2018-06-15")
	base := sample(w.reg.asOf(cut), 1500, 3)
	canaries := newFakeRegister(77, 30, d("2017-01-01"), d("2021-12-31")).asOf(cut)
	strays := newFakeRegister(78, 5, d("2017-01-01"), d("2021-12-31")).asOf(cut)
	iCURP := s.Index(register.FCURP)
	var listed []string
	for _, c := range canaries {
		listed = append(listed, c[iCURP])
	}
	listed = append(listed, "XAXX010101HDFXXX09") // a listed CURP no row holds
	insert := func(recs, extra []register.Record, from, step int) []register.Record {
		out := slices.Clone(recs)
		for i, e := range extra {
			at := min(len(out), from+i*step)
			out = slices.Insert(out, at, e)
		}
		return out
	}
	withCanaries := insert(base, canaries, 400, 37) // all past a window of 300 rows
	for _, tc := range []struct {
		name      string
		recs      []register.Record
		wantReads int
	}{
		{"only canaries unlinked", withCanaries, 1},
		{"strays unlinked too", insert(withCanaries, strays, 900, 50), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(a Attributor) (*Result, int) {
				leak := leakOf(s, "leak.csv", tc.recs, allFields)
				each, reads := leak.Each, 0
				leak.Each = func(ctx context.Context, fn func(register.Record) error) error {
					reads++
					return each(ctx, fn)
				}
				cfg := w.cfg
				cfg.Attributor, cfg.MaxObservations, cfg.NewLinker = a, 300, nil
				res, err := Run(context.Background(), cfg, leak)
				if err != nil {
					t.Fatal(err)
				}
				return res, reads
			}
			var withList, without []Observation
			got, reads := run(listingAttributor{fakeAttributor{s}, listed, &withList})
			want, wantReads := run(recordingAttributor{fakeAttributor{s}, &without})
			if reads != tc.wantReads || wantReads != 2 {
				t.Errorf("leak read %d times with the list, %d without; want %d and 2", reads, wantReads, tc.wantReads)
			}
			gj, _ := json.Marshal(got.Report)
			wj, _ := json.Marshal(want.Report)
			if string(gj) != string(wj) {
				t.Errorf("reports differ:\n with the list %s\n without       %s", gj, wj)
			}
			if !slices.Equal(got.Affected, want.Affected) {
				t.Error("affected people differ")
			}
			key := func(o Observation) string { return strings.Join(o.Leaked, "|") + "|" + o.CURP }
			if len(withList) != len(without) || len(withList) <= 300 {
				t.Fatalf("%d observations with the list, %d without; want the same, more than the window", len(withList), len(without))
			}
			for i := range withList {
				a, b := withList[i], without[i]
				if a.Row != b.Row || a.PersonID != b.PersonID || key(a) != key(b) {
					t.Fatalf("observation %d: %+v with the list, %+v without", i, a, b)
				}
			}
		})
	}
}

// TestMoreMarks: all the marks are scored after the first few thousand
// only when they may name more: no one accused yet, or an accused copy's
// marks show rows of another copy among its own.
func TestMoreMarks(t *testing.T) {
	ev := func(marks, agreeing int, accused bool) fingerprint.Evidence {
		return fingerprint.Evidence{Marks: marks, Agreeing: agreeing, Accused: accused}
	}
	for _, tc := range []struct {
		name string
		ev   []fingerprint.Evidence
		want bool
	}{
		{"a whole copy, named", []fingerprint.Evidence{ev(firstMarks, firstMarks, true), ev(firstMarks, firstMarks/2, false)}, false},
		{"no one named, more marks to score", []fingerprint.Evidence{ev(firstMarks, firstMarks/2, false), ev(firstMarks, firstMarks/2, false)}, true},
		{"no one named, every mark scored", []fingerprint.Evidence{ev(900, 450, false)}, false},
		{"a copy named among rows of others", []fingerprint.Evidence{ev(firstMarks, firstMarks*96/100, true), ev(firstMarks, firstMarks/2, false)}, true},
		{"a mixed sample, every mark scored", []fingerprint.Evidence{ev(5000, 4000, true)}, false},
	} {
		if got := moreMarks(tc.ev); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
