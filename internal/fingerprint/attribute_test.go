package fingerprint

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/huella/huella/internal/register"
)

// releaseCopies releases a register of people people (seed seed) to n
// recipients: the register, the releases, their copies, and the CURPs of
// its people.
func releaseCopies(t *testing.T, people int, seed uint64, n int) ([]person, []Release, [][]register.Record, map[string]bool) {
	t.Helper()
	reg := testRegister(people, seed)
	var rels []Release
	var copies [][]register.Record
	for k := 0; k < n; k++ {
		rows, rel := makeCopy(t, fmt.Sprintf("rel-%d", k), reg, testParams())
		rels, copies = append(rels, rel), append(copies, rows)
	}
	inReg := map[string]bool{}
	for _, ps := range reg {
		inReg[ps.rec[ineCURP]] = true
	}
	return reg, rels, copies, inReg
}

// keylessCopies releases a register to three recipients and returns copy 0's first
// rows up to and including its first canary, with the real rows linked (as
// the analysis links them by names) and the canary unlinked.
func keylessCopies(t *testing.T) ([]Release, []Observation, int) {
	t.Helper()
	reg, rels, copies, inReg := releaseCopies(t, 3000, 5, 3)
	end := -1
	for i, row := range copies[0] {
		if !inReg[row[ineCURP]] {
			end = i
			break
		}
	}
	if end < 0 {
		t.Fatal("copy 0 holds no canary")
	}
	return rels, observe(reg, copies[0][:end+1]), end
}

// keep blanks every field of the observations but those named, and the
// CURP the analysis would pass.
func keep(obs []Observation, fields ...string) []Observation {
	out := make([]Observation, len(obs))
	for i, ob := range obs {
		rec := make(register.Record, len(ob.Leaked))
		for _, f := range fields {
			rec[ine.Index(f)] = ob.Leaked[ine.Index(f)]
		}
		out[i] = Observation{Row: ob.Row, PersonID: ob.PersonID, Leaked: rec}
	}
	return out
}

// TestKeylessCanary checks that a canary is recognised in a leak without
// CURP or clave when it shows the names, the birth date and the
// registration date or CIC, and that a leak showing only names says the
// canaries cannot be recognised instead of "none in the leak".
func TestKeylessCanary(t *testing.T) {
	rels, obs, at := keylessCopies(t)
	names := []string{register.FNombre, register.FPaterno, register.FMaterno}
	withDates := append(names, register.FNacimiento, register.FSexo, register.FFechaRegistro, register.FSeccion)
	withCIC := append(names, register.FNacimiento, register.FCIC)
	withClave := append(names, register.FClave)
	for _, tc := range []struct {
		name   string
		obs    []Observation
		hits   int
		detail string
	}{
		{"names, birth and registration dates", keep(obs, withDates...), 0, "not recognisable: the file has no CURP or clave"},
		{"names, birth date and CIC", keep(obs, withCIC...), 1, "1 canary person of this copy"},
		{"names in lower case", func() []Observation {
			o := keep(obs, withCIC...)
			for _, k := range []int{ineNombre, inePaterno, ineMaterno} {
				o[at].Leaked[k] = strings.ToLower(o[at].Leaked[k]) + " "
			}
			return o
		}(), 1, "1 canary person of this copy"},
		{"clave without CURP", keep(obs, withClave...), 1, "1 canary person of this copy"},
		{"names and section only", keep(obs, append(names, register.FSeccion)...), 0, "not recognisable: the file has no CURP or clave"},
		{"CIC differs", func() []Observation {
			o := keep(obs, withCIC...)
			o[at].Leaked[ineCIC] = "123456789"
			return o
		}(), 0, "none of the copy's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := Attribute(testKey, rels, tc.obs, 1e-6)
			if evs[0].Canaries != tc.hits {
				t.Errorf("copy 0: %d canaries, want %d", evs[0].Canaries, tc.hits)
			}
			if d := evs[0].Carriers[2].Detail; !strings.Contains(d, tc.detail) {
				t.Errorf("copy 0: canary detail %q, want %q", d, tc.detail)
			}
			for _, e := range evs[1:] {
				if e.Canaries != 0 || e.Accused {
					t.Errorf("%s: %d canaries, accused %v", e.ReleaseID, e.Canaries, e.Accused)
				}
			}
		})
	}
}

// TestCanaryDetailPlural checks the canary carrier's text in the singular
// and the plural.
func TestCanaryDetailPlural(t *testing.T) {
	rels, obs, at := keylessCopies(t)
	evs := Attribute(testKey, rels, obs, 1e-6)
	if d := evs[0].Carriers[2].Detail; d != "1 canary person of this copy in the leak: a record that exists only in this copy" {
		t.Errorf("one canary: %q", d)
	}
	// the same canary twice counts once
	two := append(append([]Observation(nil), obs...), obs[at])
	two[len(two)-1].Row = len(two) - 1
	if evs := Attribute(testKey, rels, two, 1e-6); evs[0].Canaries != 1 {
		t.Errorf("a canary repeated counts %d", evs[0].Canaries)
	}
	for r, e := range evs[1:] {
		want := fmt.Sprintf("none of the copy's %d canaries in the leak", rels[r+1].Params.Canaries)
		if rels[r+1].Params.Canaries == 1 {
			want = "the copy's one canary is not in the leak"
		}
		if d := e.Carriers[2].Detail; d != want {
			t.Errorf("%s: %q, want %q", e.ReleaseID, d, want)
		}
	}
}

// TestMissingCanaryChance checks that the note on absent canaries follows
// the chance that a sample of n rows of an N-row copy misses all c of
// them, ≈ (1 − n/N)^c.
func TestMissingCanaryChance(t *testing.T) {
	p := DefaultParams()
	for _, tc := range []struct {
		name      string
		canaries  int
		n         int
		rows      int64
		want, not string
	}{
		{"nearly the whole copy", 2, 20440, 20442, "argues against this copy", "rarely"},
		{"the whole copy", 1, 20442, 20442, "argues against this copy", "rarely"},
		{"a small sample", 2, 1000, 20442, "rarely holds one: chance of missing all 90%", "argues"},
		{"half the copy", 2, 10221, 20442, "misses all with probability 25%", "argues"},
		{"size unknown: the canary rate", 2, 20440, 0, "misses all with probability 13%", "argues"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.Canaries = tc.canaries
			got := missingCanaries(p, tc.rows, true, tc.n)
			if !strings.Contains(got, tc.want) || strings.Contains(got, tc.not) {
				t.Errorf("%q: want %q, not %q", got, tc.want, tc.not)
			}
		})
	}
	if got := missingCanaries(p, 20442, false, 20440); got != canaryUnrecognisable {
		t.Errorf("no key: %q", got)
	}
}

// TestAttributeRowsThreaded checks that Release.Rows reaches the note: the
// first 90% of a copy, its canaries removed and its rows re-sorted so that
// nothing accuses it, argues against it.
func TestAttributeRowsThreaded(t *testing.T) {
	rels, obs, _ := keylessCopies(t)
	full := obs[:0:0]
	for _, ob := range obs {
		if ob.PersonID != 0 {
			ob.Leaked = append(register.Record(nil), ob.Leaked...)
			for _, fi := range ine.WithRole(register.RoleAddress) {
				ob.Leaked[fi] = ""
			}
			full = append(full, ob)
		}
	}
	// reverse: the keyed order shows descents only
	for i, j := 0, len(full)-1; i < j; i, j = i+1, j-1 {
		full[i], full[j] = full[j], full[i]
	}
	for i := range full {
		full[i].Row = i
	}
	rels[0].Rows = int64(len(full) + 1)
	evs := Attribute(testKey, rels, full, 1e-6)
	if evs[0].Accused {
		t.Fatalf("accused: %+v", evs[0].Carriers)
	}
	if m := strings.Join(evs[0].Missing, "; "); !strings.Contains(m, "argues against this copy") {
		t.Errorf("missing: %s", m)
	}
}

// TestMissingMarksPoint checks that enough marks whose bound points to the
// copy, without reaching the threshold, are not said not to point to it.
func TestMissingMarksPoint(t *testing.T) {
	p := DefaultParams()
	for _, tc := range []struct {
		log10 float64
		tests int // releases × carriers: the bound is multiplied by it
		want  string
	}{
		{-5.62, 1, "the score points to this copy (bound 2.4e-06) but not past the threshold"},
		{-2, 1, "the score points to this copy (bound 1.0e-02)"},
		{-0.5, 1, "but the score does not point to this copy"},
		{-2, 90, "but the score does not point to this copy"}, // one release in 90 gets there by chance
	} {
		ev := Evidence{Marks: 2247, MarksNeeded: 796, Carriers: []CarrierEvidence{{Carrier: CarrierMarks, Log10Bound: tc.log10}}}
		got := missing(ev, p, 0, true, 2247, 2247, 990, tc.tests)
		if !strings.Contains(got[0], tc.want) {
			t.Errorf("bound 1e%.2f: %q, want %q", tc.log10, got[0], tc.want)
		}
	}
}

// TestAttributeSharedCodes: releases are scored in groups sharing draws,
// terms and the bound's grid (same code shape, mixing and fields). Scoring
// each release alone gives the same score, marks and bound as scoring it
// among others that share or do not share its code, in any order.
func TestAttributeSharedCodes(t *testing.T) {
	reg, rels, copies, _ := releaseCopies(t, 3000, 21, 6)
	// other fields, another code shape, another mixing
	rels[1].Fields = []string{register.FCURP, register.FCalle, register.FNumExterior}
	rels[3].Params.Colluders = 5
	classes := map[string]ClassMix{}
	for k, v := range rels[4].Params.Classes {
		v.Lambda = math.Max(0, v.Lambda-0.1)
		classes[k] = v
	}
	rels[4].Params.Classes = classes
	var leak []register.Record
	for i := range copies[0] {
		leak = append(leak, copies[[]int{2, 4, 1}[i%3]][i])
	}
	obs := observe(reg, leak)
	all := Attribute(testKey, rels, obs, 1e-6)
	rev := make([]Release, len(rels))
	for i := range rels {
		rev[len(rels)-1-i] = rels[i]
	}
	back := Attribute(testKey, rev, obs, 1e-6)
	for i, rel := range rels {
		one := Attribute(testKey, []Release{rel}, obs, 1e-6)[0]
		for _, ev := range []Evidence{all[i], back[len(rels)-1-i]} {
			if ev.ReleaseID != rel.ID || ev.Score != one.Score || ev.Marks != one.Marks || ev.Agreeing != one.Agreeing ||
				ev.OrderAscents != one.OrderAscents || ev.Carriers[0].Log10Bound != one.Carriers[0].Log10Bound {
				t.Errorf("%s: among others score %g, %d marks, %d agree, %d ascents, log10 bound %g; alone %g, %d, %d, %d, %g",
					rel.ID, ev.Score, ev.Marks, ev.Agreeing, ev.OrderAscents, ev.Carriers[0].Log10Bound,
					one.Score, one.Marks, one.Agreeing, one.OrderAscents, one.Carriers[0].Log10Bound)
			}
		}
	}
	if a := accused(all); len(a) == 0 {
		t.Errorf("no colluder accused")
	} else {
		t.Logf("accused %v", a)
	}
}
