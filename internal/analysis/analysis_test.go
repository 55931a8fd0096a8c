package analysis

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/huella/huella/internal/dating"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/report"
)

var d = register.MustDate

// fakeRegister is an in-memory register of obviously synthetic people whose
// addresses and credentials change at random days.
type fakeRegister struct {
	schema  *register.Schema
	persons map[uint64][]register.Version
	byCURP  map[string]uint64
	byClave map[string]uint64
	byName  map[string]uint64
}

func (f *fakeRegister) Person(id uint64) ([]register.Version, error) { return f.persons[id], nil }
func (f *fakeRegister) ByCURP(c string) ([]register.Version, error) {
	return f.persons[f.byCURP[c]], nil
}
func (f *fakeRegister) ByClave(c string) ([]register.Version, error) {
	return f.persons[f.byClave[c]], nil
}

// LinkAll is a fake probabilistic linker: exact on the full name and birth date.
func (f *fakeRegister) LinkAll(recs []register.Record) []Link {
	s := f.schema
	out := make([]Link, len(recs))
	for i, rec := range recs {
		k := rec[s.Index(register.FNombre)] + "|" + rec[s.Index(register.FPaterno)] + "|" + rec[s.Index(register.FNacimiento)]
		if id, ok := f.byName[k]; ok {
			out[i] = Link{PersonID: id, Weight: 40, Candidates: 1}
		} else if rec[s.Index(register.FNombre)] == "COMUN" { // a common name: several candidates, none decisive
			out[i] = Link{Reason: "ambiguous", Candidates: 2}
		} else {
			out[i] = Link{Reason: "no_candidates"}
		}
	}
	return out
}

var streets = []string{"HIDALGO", "JUAREZ", "MORELOS", "REFORMA", "ALLENDE", "INDEPENDENCIA", "ZARAGOZA", "GUERRERO"}
var given = []string{"SINTETICA", "PRUEBA", "EJEMPLO", "FICTICIO", "MUESTRA"}

func newFakeRegister(seed uint64, people int, first, last register.Date) *fakeRegister {
	s := register.INE()
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	f := &fakeRegister{schema: s, persons: map[uint64][]register.Version{}, byCURP: map[string]uint64{}, byClave: map[string]uint64{}, byName: map[string]uint64{}}
	for p := uint64(1); p <= uint64(people); p++ {
		rec := make(register.Record, len(s.Fields))
		set := func(name, v string) { rec[s.Index(name)] = v }
		curp := fmt.Sprintf("XXXX%06d%c%02dZZZ%02d", r.IntN(1000000), "HM"[r.IntN(2)], seed%100, p%100)
		curp = fmt.Sprintf("%s%08d", curp[:10], p)[:18]
		set(register.FCURP, curp)
		clave := fmt.Sprintf("CLAVE%03d%07dXXX", seed%1000, p)
		set(register.FClave, clave)
		set(register.FNombre, given[r.IntN(len(given))]+fmt.Sprintf(" %d", p))
		set(register.FPaterno, "PERSONA")
		set(register.FMaterno, fmt.Sprintf("SEMILLA%d", seed))
		set(register.FNacimiento, (d("1950-01-01") + register.Date(r.IntN(18000))).String())
		set(register.FSexo, "HM"[r.IntN(2):][:1])
		ent := fmt.Sprintf("%02d", 1+r.IntN(32))
		set(register.FEntidad, ent)
		address := func() {
			set(register.FSeccion, fmt.Sprintf("%04d", 100+r.IntN(900)))
			set(register.FCalle, "CALLE "+streets[r.IntN(len(streets))]+fmt.Sprintf(" %d", r.IntN(300)))
			set(register.FColonia, fmt.Sprintf("COLONIA CENTRO %d", r.IntN(50)))
		}
		cred := func() { set(register.FCIC, fmt.Sprintf("%09d", r.IntN(1e9))) }
		address()
		cred()
		from := first - register.Date(r.IntN(3000))
		for {
			// about 1.2% of people change each month
			gap := register.Date(1 + r.ExpFloat64()*30.4/0.012)
			to := from + gap
			if to > last {
				to = register.NoDate
			}
			f.persons[p] = append(f.persons[p], register.Version{PersonID: p, ValidFrom: from, ValidTo: to, Record: append(register.Record(nil), rec...)})
			if to == register.NoDate {
				break
			}
			from = to
			if r.IntN(2) == 0 {
				address()
			} else {
				cred()
			}
		}
		f.byCURP[curp] = p
		f.byClave[clave] = p
		f.byName[rec[s.Index(register.FNombre)]+"|PERSONA|"+rec[s.Index(register.FNacimiento)]] = p
	}
	return f
}

// asOf is the register as of t, person by person.
func (f *fakeRegister) asOf(t register.Date) []register.Record {
	var out []register.Record
	for p := uint64(1); p <= uint64(len(f.persons)); p++ {
		for _, v := range f.persons[p] {
			if v.ValidAt(t) {
				out = append(out, v.Record)
			}
		}
	}
	return out
}

// copyFor writes a recipient's copy: street type abbreviated or not by a
// keyed bit per (person, release), the way the fingerprint marks a copy.
func copyFor(s *register.Schema, recs []register.Record, release string) []register.Record {
	out := make([]register.Record, len(recs))
	ic, ip := s.Index(register.FCalle), s.Index(register.FCURP)
	for i, r := range recs {
		c := append(register.Record(nil), r...)
		if markBit(c[ip], release) {
			c[ic] = strings.Replace(c[ic], "CALLE ", "C. ", 1)
		}
		out[i] = c
	}
	return out
}

func markBit(curp, release string) bool {
	h := sha256.Sum256([]byte(curp + "/" + release))
	return h[0]&1 == 1
}

// fakeAttributor scores each release by the street-type marks: +1 per
// agreeing mark, −1 per disagreeing; accused above 5·√marks.
type fakeAttributor struct{ schema *register.Schema }

func (a fakeAttributor) Attribute(rels []Release, obs []Observation) ([]report.Attribution, error) {
	ic := a.schema.Index(register.FCalle)
	var out []report.Attribution
	for _, r := range rels {
		marks, agree := 0, 0
		for _, o := range obs {
			if o.CURP == "" || o.Leaked[ic] == "" {
				continue
			}
			marks++
			abbr := strings.HasPrefix(o.Leaked[ic], "C. ")
			if abbr == markBit(o.CURP, r.ID) {
				agree++
			}
		}
		score := float64(2*agree - marks)
		// strength 6 at 5 standard deviations
		strength := max(0, 6*score/(5*sqrt(float64(marks))))
		out = append(out, report.Attribution{Recipient: r.Recipient, ReleaseID: r.ID, AsOf: r.AsOf.String(),
			Score: score, Threshold: 6, Accused: marks > 0 && strength > 6, Log10Bound: -strength,
			Evidence: report.Evidence{Marks: marks, Agreeing: agree}})
	}
	return out, nil
}

func sqrt(x float64) float64 {
	z := x
	for range 30 {
		if z == 0 {
			return 0
		}
		z = (z + x/z) / 2
	}
	return z
}

func leakOf(s *register.Schema, name string, recs []register.Record, fields []string) *Leak {
	var cols []report.Column
	keep := make([]int, 0, len(fields))
	for i, f := range fields {
		cols = append(cols, report.Column{Index: i, Header: strings.ToUpper(f), Field: f, Confidence: 1})
		keep = append(keep, s.Index(f))
	}
	return &Leak{
		Name:    name,
		Columns: cols,
		Each: func(ctx context.Context, fn func(register.Record) error) error {
			rec := make(register.Record, len(s.Fields))
			for _, r := range recs {
				for i := range rec {
					rec[i] = ""
				}
				for _, k := range keep {
					rec[k] = r[k]
				}
				if err := fn(rec); err != nil {
					return err
				}
			}
			return nil
		},
		Input: func() report.Input {
			return report.Input{SHA256: fmt.Sprintf("sha-of-%s", name), Rows: len(recs), Format: "csv", Encoding: "utf-8"}
		},
	}
}

var allFields = []string{register.FCURP, register.FNombre, register.FPaterno, register.FMaterno, register.FNacimiento,
	register.FSexo, register.FEntidad, register.FSeccion, register.FCalle, register.FColonia, register.FCIC}

type world struct {
	reg      *fakeRegister
	cfg      Config
	releases []Release
}

func newWorld(t *testing.T) *world {
	first, last := d("2017-01-01"), d("2021-12-31")
	reg := newFakeRegister(1, 4000, first, last)
	w := &world{reg: reg}
	for i, asOf := range []string{"2018-06-15", "2018-06-15", "2018-06-15", "2021-03-01", "2021-03-01"} {
		w.releases = append(w.releases, Release{ID: fmt.Sprintf("r%02d", i+1), Recipient: fmt.Sprintf("PARTIDO %c", 'A'+i), AsOf: d(asOf)})
	}
	w.cfg = Config{
		Schema: reg.schema, Register: reg,
		Known:      Known{People: 4000, Versions: 9999, First: first, Last: last},
		NewLinker:  func(context.Context) (Linker, error) { return reg, nil },
		Releases:   w.releases,
		Attributor: fakeAttributor{reg.schema},
	}
	return w
}

func sample(recs []register.Record, n int, seed uint64) []register.Record {
	r := rand.New(rand.NewPCG(seed, 7))
	idx := r.Perm(len(recs))[:n]
	out := make([]register.Record, n)
	for i, j := range idx {
		out[i] = recs[j]
	}
	return out
}

func TestVerdictCutoffRecipient(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	cut := d("2018-06-15")
	leaked := copyFor(s, w.reg.asOf(cut), "r02")
	other := newFakeRegister(99, 2000, d("2017-01-01"), d("2021-12-31"))
	otherRecs := other.asOf(cut)

	sameOther := make([]register.Record, 0)
	for _, r := range w.reg.asOf(cut)[:1000] {
		c := append(register.Record(nil), r...)
		c[s.Index(register.FCalle)] = "AV. OTRA FUENTE " + c[s.Index(register.FCURP)][4:8]
		c[s.Index(register.FCIC)] = "1" + c[s.Index(register.FCIC)]
		c[s.Index(register.FSeccion)] = "9" + c[s.Index(register.FSeccion)]
		sameOther = append(sameOther, c)
	}
	// B's copy with its sections, colonias and credentials rewritten: its
	// streets still carry B's marks.
	rewritten := make([]register.Record, 0)
	for _, r := range sample(leaked, 1000, 6) {
		c := append(register.Record(nil), r...)
		c[s.Index(register.FColonia)] = "COL. OTRA " + c[s.Index(register.FCURP)][4:8]
		c[s.Index(register.FCIC)] = "1" + c[s.Index(register.FCIC)]
		c[s.Index(register.FSeccion)] = "9" + c[s.Index(register.FSeccion)]
		rewritten = append(rewritten, c)
	}
	// B's copy with the streets and colonias of people who moved taken
	// from the register of 2021 (a later copy). Of those who also had a new
	// credential since, a row agrees with the 2018 version on its sección
	// and credential and with the 2021 version on its street, with no one
	// version on all: they are a fifth of the file.
	later := map[string]register.Record{}
	for _, r := range w.reg.asOf(d("2021-03-01")) {
		later[r[s.Index(register.FCURP)]] = r
	}
	var hybrid, plain []register.Record
	for _, r := range leaked {
		l, ok := later[r[s.Index(register.FCURP)]]
		switch {
		case !ok:
		case l[s.Index(register.FSeccion)] != r[s.Index(register.FSeccion)] && l[s.Index(register.FCIC)] != r[s.Index(register.FCIC)]:
			c := slices.Clone(r)
			for _, f := range []string{register.FCalle, register.FColonia} { // the sección stays 2018's
				c[s.Index(f)] = l[s.Index(f)]
			}
			hybrid = append(hybrid, c)
		case len(plain) < 4*len(hybrid):
			plain = append(plain, r)
		}
	}
	hybrid = append(hybrid, plain...)
	keyless := []string{register.FNombre, register.FPaterno, register.FMaterno, register.FNacimiento, register.FSeccion, register.FCalle, register.FCIC}

	for _, tc := range []struct {
		name      string
		recs      []register.Record
		fields    []string
		verdict   string
		dated     bool
		recipient string // accused, "" for none
		status    string
	}{
		{"full copy", leaked, allFields, report.Ours, true, "PARTIDO B", report.StatusAccused},
		{"1000-row sample", sample(leaked, 1000, 1), allFields, report.Ours, true, "PARTIDO B", report.StatusAccused},
		{"keyless sample", sample(leaked, 1000, 2), keyless, report.Ours, true, "PARTIDO B", report.StatusAccused},
		{"another register", otherRecs, allFields, report.NotOurs, false, "", report.StatusNotApplicable},
		{"same people other source", sameOther, allFields, report.SamePeopleOtherSource, false, "", ""},
		{"partial", append(sample(leaked, 700, 3), otherRecs[:300]...), allFields, report.Partial, true, "PARTIDO B", report.StatusAccused},
		{"a few of ours in another register", append(slices.Clone(otherRecs), sample(leaked, 15, 7)...), allFields, report.Partial, true, "", ""},
		{"a fingerprint among another register's rows", append(slices.Clone(otherRecs), rewritten[:40]...), allFields, report.Partial, false, "PARTIDO B", report.StatusAccused},
		{"addresses from a later copy", hybrid, allFields, report.Ours, true, "PARTIDO B", report.StatusAccused},
		{"rewritten after the release", rewritten, allFields, report.Ours, false, "PARTIDO B", report.StatusAccused},
		{"identity fields only", sample(leaked, 1000, 4), []string{register.FCURP, register.FNombre, register.FPaterno, register.FNacimiento}, report.SamePeopleOtherSource, false, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(context.Background(), w.cfg, leakOf(s, tc.name, tc.recs, tc.fields))
			if err != nil {
				t.Fatal(err)
			}
			rep := res.Report
			if rep.Verdict != tc.verdict {
				t.Fatalf("verdict %s (%s), want %s", rep.Verdict, rep.VerdictReason, tc.verdict)
			}
			if tc.dated != (rep.Cutoff != nil) {
				t.Fatalf("cutoff %+v, dated want %v", rep.Cutoff, tc.dated)
			}
			lims := strings.Join(rep.Limitations, "\n")
			if rep.Cutoff == nil && strings.Contains(lims, "The cut-off band assumes") {
				t.Errorf("no band, yet a limitation on the band: %q", lims)
			}
			if rep.Cutoff == nil && (rep.Verdict == report.Ours || rep.Verdict == report.Partial) && !strings.Contains(lims, "The copy is not dated") {
				t.Errorf("%s and undated, with no word why: %q", rep.Verdict, lims)
			}
			if rep.Cutoff != nil {
				if rep.Cutoff.Earliest > cut.String() || rep.Cutoff.Latest < cut.String() {
					t.Errorf("cut-off %s … %s does not hold the truth %s", rep.Cutoff.Earliest, rep.Cutoff.Latest, cut)
				}
				e, l := d(rep.Cutoff.Earliest), d(rep.Cutoff.Latest)
				if w := int(l - e + 1); w > 90 && rep.Match.RowsExact >= 100 { // a band from a few rows is wide
					t.Errorf("cut-off band %d days wide", w)
				}
			}
			var accused []string
			for _, a := range rep.Accused() {
				accused = append(accused, a.Recipient)
			}
			if got := strings.Join(accused, ","); got != tc.recipient {
				t.Errorf("accused %q, want %q", got, tc.recipient)
			}
			if tc.status != "" && rep.AttributionStatus != tc.status {
				t.Errorf("status %s (%s), want %s", rep.AttributionStatus, rep.AttributionNote, tc.status)
			}
			if rep.Verdict == report.NotOurs && (rep.Affected.People != 0 || len(res.Affected) != 0) {
				t.Errorf("not ours, yet %d people affected", rep.Affected.People)
			}
			if rep.Verdict == report.Ours && rep.Affected.People != len(res.Affected) {
				t.Errorf("affected %d people but %d CURPs", rep.Affected.People, len(res.Affected))
			}
			if csv := report.AffectedCSV(res.Affected); !bytes.Equal(res.AffectedCSV, csv) || res.AffectedSHA256 != report.SHA256(csv) {
				t.Errorf("the notification list (%d bytes, %s) is not the affected CURPs' (%d bytes)", len(res.AffectedCSV), res.AffectedSHA256, len(csv))
			}
		})
	}
}

func TestNoLoggedCopy(t *testing.T) {
	// A 2020 cut that no release was made at: the data is ours, dated, and
	// no release matches.
	w := newWorld(t)
	s := w.reg.schema
	cut := d("2020-02-10")
	res, err := Run(context.Background(), w.cfg, leakOf(s, "insider", sample(w.reg.asOf(cut), 1000, 9), allFields))
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Report
	if rep.Verdict != report.Ours || rep.AttributionStatus != report.StatusNoReleaseMatches {
		t.Fatalf("verdict %s, status %s (%s)", rep.Verdict, rep.AttributionStatus, rep.AttributionNote)
	}
	if !strings.Contains(rep.AttributionNote, "nearest") {
		t.Errorf("note does not name the nearest releases: %s", rep.AttributionNote)
	}
}

func TestDeterministicJSON(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	leaked := sample(copyFor(s, w.reg.asOf(d("2018-06-15")), "r01"), 500, 5)
	var outs [][]byte
	for range 2 {
		res, err := Run(context.Background(), w.cfg, leakOf(s, "leak.csv", leaked, allFields))
		if err != nil {
			t.Fatal(err)
		}
		b, err := res.Report.JSON()
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Error("two runs of the same analysis differ")
	}
	w.cfg.Releases = w.cfg.Releases[:3]
	res, _ := Run(context.Background(), w.cfg, leakOf(s, "leak.csv", leaked, allFields))
	first, _ := report.Decode(outs[0])
	if res.Report.AnalysisID == first.AnalysisID {
		t.Error("the analysis id must change with the releases considered")
	}
}

func TestEmpty(t *testing.T) {
	w := newWorld(t)
	if _, err := Run(context.Background(), w.cfg, leakOf(w.reg.schema, "e", nil, allFields)); err != ErrEmpty {
		t.Fatalf("err %v", err)
	}
}

func TestComparerKey(t *testing.T) {
	c := newComparer(register.INE())
	s := register.INE()
	for _, tc := range []struct {
		field, a, b string
		same        bool
	}{
		{register.FCalle, "Av. Juárez 5", "AVENIDA JUAREZ 5", true},
		{register.FCalle, "CALLE HIDALGO", "C. HIDALGO", true},
		{register.FCalle, "HIDALGO", "JUAREZ", false},
		{register.FSeccion, "0101", "101", true},
		{register.FPaterno, "Muñoz", "MUNOZ", true},
		{register.FNacimiento, "1980-01-02", "1980-02-01", false},
	} {
		f := s.Index(tc.field)
		if got := c.key(f, tc.a) == c.key(f, tc.b); got != tc.same {
			t.Errorf("%s: %q vs %q: same=%v", tc.field, tc.a, tc.b, got)
		}
	}
}

// VersionsOf streams the versions of people lo ≤ PersonID < hi (hi 0: no
// bound) of the fake register by PersonID, like store.VersionsOf.
func (f *fakeRegister) VersionsOf(ctx context.Context, lo, hi uint64, fn func(v *register.Version) error) error {
	for p := max(lo, 1); p <= uint64(len(f.persons)) && (hi == 0 || p < hi); p++ {
		for i := range f.persons[p] {
			v := f.persons[p][i]
			if err := fn(&v); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestScanEqualsLookup(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	leaked := copyFor(s, w.reg.asOf(d("2018-06-15")), "r03")
	// add unmatched rows past the observation window and keyless rows
	other := newFakeRegister(5, 300, d("2017-01-01"), d("2021-12-31")).asOf(d("2018-06-15"))
	leaked = append(leaked, other...)
	// Rows with a damaged CURP and an intact clave: lookup links them by
	// the clave; so must the scan.
	iCURP := s.Index(register.FCURP)
	for i := 0; i < 20; i++ {
		r := slices.Clone(leaked[i*37])
		c := []byte(r[iCURP])
		c[len(c)-1] = "XY"[i%2]
		r[iCURP] = string(c)
		leaked[i*37] = r
	}
	fields := append(slices.Clone(allFields), register.FClave)
	// (the scan's run knows the highest PersonID, so its exposure takes
	// the dense path, a table by PersonID, the lookup's the sort)
	base := runBothWays(t, w, leaked, fields)
	if got := base.Report.Match.ByMethod["clave"]; got < 20 {
		t.Errorf("%d rows linked by clave, want the 20 with a damaged CURP", got)
	}
	if len(base.Affected) == 0 {
		t.Error("no one affected")
	}
	if base.Report.Verdict != report.Partial && base.Report.Verdict != report.Ours {
		t.Errorf("verdict %s", base.Report.Verdict)
	}
	// A small observation window: attribution still names the copy.
	cfg := scanConfig(w)
	cfg.MaxObservations = 500
	small, err := Run(context.Background(), cfg, leakOf(s, "leak", leaked, fields))
	if err != nil {
		t.Fatal(err)
	}
	if acc := small.Report.Accused(); len(acc) != 1 || acc[0].Recipient != "PARTIDO C" {
		t.Errorf("accused %+v", acc)
	}
}

func TestHashMatchesKey(t *testing.T) {
	s := register.INE()
	c := newComparer(s)
	for _, tc := range []struct{ field, v string }{
		{register.FCalle, "Av. Juárez 5"}, {register.FSeccion, "0101"}, {register.FSeccion, "0000"},
		{register.FPaterno, "Muñoz"}, {register.FPaterno, "MUNOZ"}, {register.FNacimiento, " 1980-01-02"},
		{register.FNombre, "  maría   josé "}, {register.FCIC, "000"}, {register.FCalle, ""},
	} {
		f := s.Index(tc.field)
		if got, want := c.hash(f, tc.v), refHash(c, f, tc.v); got != want {
			t.Errorf("%s %q: hash %d, want %d (key %q)", tc.field, tc.v, got, want, c.key(f, tc.v))
		}
	}
}

// TestTooManyRows: a leak with more rows than Config.MaxRows stops with a
// TooManyRowsError that says what would suffice; one with exactly MaxRows
// is analysed.
func TestTooManyRows(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	recs := sample(w.reg.asOf(d("2018-06-15")), 500, 3)
	cfg := w.cfg
	cfg.MaxRows = 499
	_, err := Run(context.Background(), cfg, leakOf(s, "big", recs, allFields))
	var many *TooManyRowsError
	if !errors.As(err, &many) || many.MaxRows != 499 {
		t.Fatalf("500 rows, at most 499: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "more than 499 rows") || !strings.Contains(msg, "split it") {
		t.Errorf("message %q", msg)
	}
	cfg.MaxRows = 500
	if res, err := Run(context.Background(), cfg, leakOf(s, "big", recs, allFields)); err != nil || res.Report.Input.Rows != 500 {
		t.Fatalf("500 rows, at most 500: %v", err)
	}
}

func TestMaxRowsFor(t *testing.T) {
	if got := MaxRowsFor(256 << 20); got != 1 {
		t.Errorf("256 MiB: %d rows", got)
	}
	// this machine's 24 GiB, 85% of it: a national dump (91 million rows)
	// fits, with room, but not twice its size
	if got := MaxRowsFor(24 << 30 / 100 * 85); got < 91_000_000 || got > 120_000_000 {
		t.Errorf("85%% of 24 GiB: %d rows", got)
	}
}

// TestKeylessBeyondCap: a copy without CURP or clave, larger than
// probabilistic linkage takes (held rows are capped): the rows left out
// are counted as not examined, not as someone else's, and the verdict
// rests on the rows examined. With a cap so small that the rows held are
// fewer than 2% of the file, linkage still runs.
func TestKeylessBeyondCap(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	leaked := copyFor(s, w.reg.asOf(d("2018-06-15")), "r02")
	for _, maxObs := range []int{300, 20} {
		t.Run(fmt.Sprint(maxObs), func(t *testing.T) {
			cfg := w.cfg
			cfg.MaxObservations = maxObs
			rep, rows := runKeyless(t, cfg, leaked)
			// one line a row: the matched ones linked by name with their
			// weight and the versions they agree with, the rest not examined
			lines := strings.Split(strings.TrimSuffix(rows.String(), "\n"), "\n")
			if lines[0] != RowsHeader || len(lines) != len(leaked)+1 {
				t.Fatalf("rows: header %q, %d lines for %d rows", lines[0], len(lines), len(leaked))
			}
			status := map[string]int{}
			for i, l := range lines[1:] {
				f := strings.Split(l, ",")
				if len(f) != 8 || f[0] != fmt.Sprint(i+1) {
					t.Fatalf("row line %q", l)
				}
				status[f[1]]++
				if f[1] == "matched" && (f[2] != "probabilistic" || f[3] == "" || f[6] == "" || f[7] == "") {
					t.Fatalf("matched row without method, CURP, versions or weight: %q", l)
				}
			}
			if status["matched"] != rep.Match.RowsMatched || status["not_examined"] == 0 || status["matched"]+status["unmatched"]+status["not_examined"] != len(leaked) {
				t.Errorf("row statuses %v, %d matched in the report", status, rep.Match.RowsMatched)
			}
			if rep.Verdict != report.Ours || !strings.Contains(rep.VerdictReason, "were not examined") {
				t.Fatalf("verdict %s (%s), want ours on the rows examined", rep.Verdict, rep.VerdictReason)
			}
			if m := rep.Match.RowsMatched; m < maxObs || m > 3*maxObs {
				t.Errorf("%d rows matched, want the rows held: %d to %d", m, maxObs, 3*maxObs)
			}
			if rep.Cutoff == nil {
				t.Error("not dated")
			}
			found := false
			for _, l := range rep.Limitations {
				found = found || strings.Contains(l, "were not examined")
			}
			if !found {
				t.Errorf("no limitation says what was left out: %q", rep.Limitations)
			}
		})
	}
}

// TestKeylessLinkageTooBig: when name linkage's index of the register
// would not fit beside the rows (the row cap stands for the machine's
// memory), no row is linked by name, every row no key linked is not
// examined, and the reason says to read it as not linkable here.
func TestKeylessLinkageTooBig(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	leaked := copyFor(s, w.reg.asOf(d("2018-06-15")), "r02")
	cfg := w.cfg
	cfg.MaxRows = len(leaked) + 1 // room for the rows, not for the index of 9,999 versions
	rep, rows := runKeyless(t, cfg, leaked)
	if rep.Match.RowsMatched != 0 || !strings.Contains(rep.VerdictReason, "not linkable here") {
		t.Fatalf("verdict %s (%s), %d rows matched", rep.Verdict, rep.VerdictReason, rep.Match.RowsMatched)
	}
	if n := strings.Count(rows.String(), ",not_examined,"); n != len(leaked) {
		t.Errorf("%d rows not examined, want all %d", n, len(leaked))
	}
	cfg.MaxRows = 1 << 20 // room for both: linked as usual
	if rep, _ = runKeyless(t, cfg, leaked); rep.Verdict != report.Ours {
		t.Fatalf("with room: %s (%s)", rep.Verdict, rep.VerdictReason)
	}
}

// runKeyless analyses recs with their keys cut off, and returns the report
// and the rows' lines (Config.Rows).
func runKeyless(t *testing.T, cfg Config, recs []register.Record) (*report.Report, *bytes.Buffer) {
	t.Helper()
	keyless := []string{register.FNombre, register.FPaterno, register.FMaterno, register.FNacimiento, register.FSeccion, register.FCalle, register.FCIC}
	var rows bytes.Buffer
	cfg.Rows = &rows
	res, err := Run(context.Background(), cfg, leakOf(cfg.Schema, "keyless", recs, keyless))
	if err != nil {
		t.Fatal(err)
	}
	return res.Report, &rows
}

// TestSplitCuts: a file mixed from a copy cut on day 400 and one cut on
// day 1500, where 150 people of the first left the register on day 1460
// (a 1 January), agrees best with day 1459, which neither copy was cut
// on. The split finds both cuts and dates neither at 1459.
func TestSplitCuts(t *testing.T) {
	const t1, t2, left = 400, 1500, 1460
	base := d("2017-01-01")
	day := func(n int) register.Date { return base + register.Date(n) }
	var rows [][]dating.Interval
	add := func(k int, iv func(i int) dating.Interval) {
		for i := range k {
			rows = append(rows, []dating.Interval{iv(i)})
		}
	}
	open := register.NoDate
	// the first copy's rows
	add(600, func(int) dating.Interval { return dating.Interval{From: day(0), To: open} })              // never changed
	add(200, func(i int) dating.Interval { return dating.Interval{From: day(0), To: day(t1 + 1 + i)} }) // changed soon after the cut
	add(150, func(int) dating.Interval { return dating.Interval{From: day(0), To: day(left)} })         // left on 1 January
	add(100, func(i int) dating.Interval { return dating.Interval{From: day(i * 3), To: open} })        // changed before the cut
	// the second copy's rows
	add(600, func(int) dating.Interval { return dating.Interval{From: day(0), To: open} })
	add(300, func(i int) dating.Interval { return dating.Interval{From: day(t1 + 1 + i*3), To: open} }) // changed between the cuts
	add(100, func(i int) dating.Interval { return dating.Interval{From: day(left + i%39), To: open} })  // changed in January
	var c dating.Counter
	dated := make([]int32, len(rows))
	for i, r := range rows {
		c.Add(r)
		dated[i] = int32(i)
	}
	k := Known{First: day(0), Last: day(1825)}
	est, err := c.Estimate(dating.Options{First: k.First, Last: k.Last})
	if err != nil {
		t.Fatal(err)
	}
	if est.BestFrom > day(left-1) || est.BestTo < day(left-1) {
		t.Fatalf("the single cut is %s … %s, not the day before the leaving (%s): the test does not test", est.BestFrom, est.BestTo, day(left-1))
	}
	sp := splitCuts(dated, func(r int32, _ *[1]dating.Interval) []dating.Interval { return rows[r] }, est, k)
	holds := func(e *dating.Estimate, n int) bool { return e != nil && e.Earliest <= day(n) && day(n) <= e.Latest }
	if sp.other == nil || !(holds(sp.main, t1) && holds(sp.other, t2) || holds(sp.main, t2) && holds(sp.other, t1)) {
		t.Fatalf("cuts %+v and %+v, want bands holding %s and %s", sp.main, sp.other, day(t1), day(t2))
	}
	if holds(sp.main, left-1) || holds(sp.other, left-1) || !sp.refined {
		t.Errorf("a band holds %s, which no copy was cut on (refined %v)", day(left-1), sp.refined)
	}
	if sp.mainRows+sp.otherRows != len(rows) {
		t.Errorf("the two cuts explain %d + %d of %d rows", sp.mainRows, sp.otherRows, len(rows))
	}
	// A pure copy has no second cut, and its estimate is kept as it is.
	var pure dating.Counter
	for _, r := range rows[:1050] {
		pure.Add(r)
	}
	pe, _ := pure.Estimate(dating.Options{First: k.First, Last: k.Last})
	if sp := splitCuts(dated[:1050], func(r int32, _ *[1]dating.Interval) []dating.Interval { return rows[r] }, pe, k); sp.other != nil || sp.main != pe {
		t.Errorf("a pure copy split: %+v", sp)
	}
}

// TestAttributionStatusTexts: what the status says when no one is
// accused, and a mixed-in cut no release was made at when someone is.
func TestAttributionStatusTexts(t *testing.T) {
	s := register.INE()
	visible := make([]bool, len(s.Fields))
	for i := range visible {
		visible[i] = true
	}
	rels := []Release{{ID: "r1", Recipient: "PARTIDO A", AsOf: d("2018-02-15")}, {ID: "r2", Recipient: "PARTIDO B", AsOf: d("2021-02-15")},
		{ID: "r3", Recipient: "PARTIDO A", AsOf: d("2021-02-15")}, {ID: "r4", Recipient: "PARTIDO C", AsOf: d("2018-02-15")},
		{ID: "r5", Recipient: "PARTIDO N", AsOf: d("2016-06-30"), Fields: []string{register.FNombre, register.FPaterno, register.FMaterno, register.FSeccion}}}
	erasedAtt := func(a report.Attribution) report.Attribution { a.Evidence.FormsErased = true; return a }
	otherCut := func(fraction, share float64) *report.Cutoff {
		return &report.Cutoff{OtherCuts: []report.OtherCut{{Earliest: "2019-09-15", Latest: "2019-09-30", AgreeingFraction: fraction, Share: share}}}
	}
	band := func(a, b string) *dating.Estimate { return &dating.Estimate{Earliest: d(a), Latest: d(b)} }
	att := func(id, who, asOf string, log10 float64, marks, need int, accused bool) report.Attribution {
		return report.Attribution{ReleaseID: id, Recipient: who, AsOf: asOf, Threshold: 6, Log10Bound: log10, Accused: accused,
			Evidence: report.Evidence{Marks: marks, MarksNeeded: need, CutAgrees: true}}
	}
	for _, tc := range []struct {
		name       string
		atts       []report.Attribution
		est, other *dating.Estimate
		status     string
		has, lacks []string
		cut        *report.Cutoff
	}{
		{"best at chance is not named", []report.Attribution{att("r1", "PARTIDO A", "2018-02-15", -1.2, 10, 400, false), att("r2", "PARTIDO B", "2021-02-15", -0.3, 10, 400, false)},
			band("2018-02-10", "2018-02-20"), nil, report.StatusInconclusive, []string{"stands out from chance", "more rows"}, []string{"PARTIDO A"}, nil},
		{"a candidate beyond chance is named", []report.Attribution{att("r1", "PARTIDO A", "2018-02-15", -4, 10, 400, false), att("r2", "PARTIDO B", "2021-02-15", -0.3, 10, 400, false)},
			band("2018-02-10", "2018-02-20"), nil, report.StatusInconclusive, []string{"strongest candidate is PARTIDO A"}, nil, nil},
		{"enough marks, none agreeing", []report.Attribution{att("r1", "PARTIDO A", "2018-02-15", -0.5, 5000, 400, false), att("r2", "PARTIDO B", "2021-02-15", -0.3, 5000, 400, false)},
			band("2018-02-10", "2018-02-20"), nil, report.StatusInconclusive, []string{"enough marks to name any logged copy: they agree with none"}, []string{"more rows of the same copy would be needed", "PARTIDO A"}, nil},
		{"one recipient's copies of two cuts", []report.Attribution{att("r1", "PARTIDO A", "2018-02-15", -40, 0, 0, true), att("r3", "PARTIDO A", "2021-02-15", -40, 0, 0, true)},
			band("2021-02-15", "2021-02-15"), band("2018-02-15", "2018-02-15"), report.StatusAccused, []string{"PARTIDO A's copies of 2018-02-15 and 2021-02-15 were mixed"}, []string{"collusion"}, nil},
		{"no release matches: the releases of a day together", []report.Attribution{att("r1", "PARTIDO A", "2018-02-15", -0.1, 10, 400, false), att("r2", "PARTIDO B", "2021-02-15", -0.3, 10, 400, false)},
			band("2019-07-01", "2019-07-01"), nil, report.StatusNoReleaseMatches, []string{"as of 2019-07-01, but", "the 2 releases of 2018-02-15 (501 days away)"}, []string{"PARTIDO A (r1"}, nil},
		{"accused, with an unlogged cut mixed in", []report.Attribution{att("r1", "PARTIDO A", "2018-02-15", -40, 0, 0, true), att("r2", "PARTIDO B", "2021-02-15", -0.3, 10, 400, false)},
			band("2019-06-28", "2019-07-03"), band("2018-02-15", "2018-02-15"), report.StatusAccused, []string{"rows dated 2019-06-28 … 2019-07-03 match no logged release's cut"}, []string{"2018-02-15 … 2018-02-15 match"}, nil},
		{"a names-only release has no marks to count", []report.Attribution{att("r1", "PARTIDO A", "2018-02-15", -0.5, 5000, 400, false), att("r5", "PARTIDO N", "2016-06-30", 0, 0, 400, false)},
			band("2018-02-10", "2018-02-20"), nil, report.StatusInconclusive, []string{"enough marks to name any logged copy"}, []string{"more rows of the same copy would be needed"}, nil},
		// 30% of the file from an insider's copy: 1% of the dated rows tell
		// the cuts apart that way (most agree with both), 28% of those
		// that tell them apart at all
		{"an unlogged second cut a third of the file", []report.Attribution{att("r1", "PARTIDO A", "2018-02-15", -40, 0, 0, true)},
			band("2018-02-10", "2018-02-20"), band("2019-09-15", "2019-09-30"), report.StatusAccused, []string{"rows dated 2019-09-15 … 2019-09-30 match no logged release's cut"}, nil, otherCut(0.01, 0.28)},
		{"canonicalised forms: more rows would not help", []report.Attribution{erasedAtt(att("r1", "PARTIDO A", "2018-02-15", -0.5, 5000, 400, false)), erasedAtt(att("r2", "PARTIDO B", "2021-02-15", -0.3, 5000, 400, false))},
			band("2018-02-10", "2018-02-20"), nil, report.StatusInconclusive, []string{"every address form one way (canonicalised)", "carriers erased: address abbreviations (canonicalised)"}, []string{"more rows of the same copy would be needed", "hold enough marks"}, nil},
		{"a recipient's own few updates", []report.Attribution{att("r1", "PARTIDO A", "2018-02-15", -40, 0, 0, true)},
			band("2018-02-10", "2018-02-20"), band("2019-09-15", "2019-09-30"), report.StatusAccused, nil, []string{"match no logged release's cut"}, otherCut(0.001, 0.02)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.atts {
				a := &tc.atts[i]
				a.Evidence.CutAgrees = a.AsOf >= tc.est.Earliest.String() && a.AsOf <= tc.est.Latest.String()
			}
			rep := &report.Report{Verdict: report.Ours, Attribution: tc.atts, Cutoff: tc.cut}
			status, note := attributionStatus(rep, rels, tc.est, tc.other, visible, s, 1000)
			if status != tc.status {
				t.Errorf("status %s (%s), want %s", status, note, tc.status)
			}
			for _, h := range tc.has {
				if !strings.Contains(note, h) {
					t.Errorf("note %q lacks %q", note, h)
				}
			}
			for _, l := range tc.lacks {
				if strings.Contains(note, l) {
					t.Errorf("note %q says %q", note, l)
				}
			}
		})
	}
}

// TestMangledColumn: a column mapped with little confidence whose values
// agree with ours on no row linked by key (a spreadsheet wrote the CIC as
// 1.23457E+09) is left out of the comparison: the copy is ours and dated,
// where every row disagreed with every version and nothing was dated. The
// same column mapped with confidence stays compared (its disagreement is
// evidence: B's fingerprint still names the copy, rewritten).
func TestMangledColumn(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	cut := d("2018-06-15")
	leaked := sample(copyFor(s, w.reg.asOf(cut), "r02"), 1000, 8)
	ic := s.Index(register.FCIC)
	mangled := make([]register.Record, len(leaked))
	for i, r := range leaked {
		c := slices.Clone(r)
		c[ic] = "1.23457E+09"
		mangled[i] = c
	}
	for _, conf := range []float64{0.3, 0.9} {
		lk := leakOf(s, "mangled.csv", mangled, allFields)
		for i := range lk.Columns {
			if lk.Columns[i].Field == register.FCIC {
				lk.Columns[i].Confidence = conf
			}
		}
		res, err := Run(context.Background(), w.cfg, lk)
		if err != nil {
			t.Fatal(err)
		}
		rep := res.Report
		dropped := strings.Contains(strings.Join(rep.Limitations, "\n"), "read as cic (confidence 0.30)")
		if conf < 0.5 {
			if rep.Verdict != report.Ours || rep.Cutoff == nil || !dropped {
				t.Errorf("confidence %.1f: verdict %s, cut-off %v, column dropped %v (%q)", conf, rep.Verdict, rep.Cutoff, dropped, rep.Limitations)
			} else if rep.Cutoff.Earliest > cut.String() || rep.Cutoff.Latest < cut.String() {
				t.Errorf("cut-off %s … %s", rep.Cutoff.Earliest, rep.Cutoff.Latest)
			}
		} else if dropped || rep.Cutoff != nil {
			t.Errorf("confidence %.1f: the column was dropped (%v) or rows dated (%v)", conf, dropped, rep.Cutoff)
		}
	}
}

func TestLinkFieldsOf(t *testing.T) {
	s := register.INE()
	visible := make([]bool, len(s.Fields))
	for _, f := range []string{register.FNombre, register.FPaterno, register.FMaterno, register.FSeccion} {
		visible[s.Index(f)] = true
	}
	if got := linkFieldsOf(s, visible); got != "names and sección" {
		t.Errorf("party columns: %q", got)
	}
	visible[s.Index(register.FNacimiento)], visible[s.Index(register.FCalle)] = true, true
	if got := linkFieldsOf(s, visible); got != "names, birth date, sección and address" {
		t.Errorf("%q", got)
	}
}

// TestCanariesFound: the canary rows attribution found, and whose copies
// hold them, in the words of a partial verdict.
func TestCanariesFound(t *testing.T) {
	atts := []report.Attribution{{Recipient: "PARTIDO A", Evidence: report.Evidence{Canaries: 1}}, {Recipient: "PARTIDO B"}}
	n, whose := canariesFound(atts)
	if got := canaryRowsText(n, whose); got != "1 row is a canary of PARTIDO A's copy (a person only that copy holds)" {
		t.Errorf("%q", got)
	}
	atts[1].Evidence.Canaries = 2
	n, whose = canariesFound(atts)
	if got := canaryRowsText(n, whose); got != "3 rows are canaries of PARTIDO A's and PARTIDO B's copies (people only one of those copies holds)" {
		t.Errorf("%q", got)
	}
}

// TestRewrittenColumnKept: a column read with little confidence that
// disagrees on every row but holds plain values (a register that numbers
// credentials its own way) is compared still: only mangled values are
// left out.
func TestRewrittenColumnKept(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	leaked := sample(copyFor(s, w.reg.asOf(d("2018-06-15")), "r02"), 1000, 8)
	ic := s.Index(register.FCIC)
	for i, r := range leaked {
		c := slices.Clone(r)
		c[ic] = "1" + c[ic]
		leaked[i] = c
	}
	lk := leakOf(s, "rewritten.csv", leaked, allFields)
	for i := range lk.Columns {
		if lk.Columns[i].Field == register.FCIC {
			lk.Columns[i].Confidence = 0.3
		}
	}
	res, err := Run(context.Background(), w.cfg, lk)
	if err != nil {
		t.Fatal(err)
	}
	if lims := strings.Join(res.Report.Limitations, "\n"); strings.Contains(lims, "left out of the comparison") {
		t.Errorf("a rewritten column was left out: %q", lims)
	}
	for v, want := range map[string]bool{"6.65892E+11": true, "1.23457e+09": true, "6E+11": true, "665892000000": false, "E+11": false, "CALLE 5E": false, "1.2.3E4": false} {
		if sciNotation(v) != want {
			t.Errorf("sciNotation(%q) = %v", v, !want)
		}
	}
}

// TestKeylessUnresolvedShare: rows of a keyless file that resemble several
// of our people (common names) are left out of the share that decides ours
// against partial only up to 1% of the rows: 15% of a file, from another
// register, made it partial, not ours.
func TestKeylessUnresolvedShare(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	cut := d("2018-06-15")
	ours := sample(copyFor(s, w.reg.asOf(cut), "r02"), 850, 3)
	var foreign []register.Record
	for _, r := range newFakeRegister(99, 2000, d("2017-01-01"), d("2021-12-31")).asOf(cut)[:150] {
		c := slices.Clone(r)
		c[s.Index(register.FNombre)] = "COMUN"
		foreign = append(foreign, c)
	}
	keyless := []string{register.FNombre, register.FPaterno, register.FMaterno, register.FNacimiento, register.FSeccion, register.FCalle, register.FCIC}
	res, err := Run(context.Background(), w.cfg, leakOf(s, "k", append(slices.Clone(ours), foreign...), keyless))
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Verdict != report.Partial {
		t.Errorf("850 of ours and 150 unresolved from elsewhere: %s (%s)", res.Report.Verdict, res.Report.VerdictReason)
	}
	// a guard, not a test of the cap: 20 unresolved rows (enough for
	// linkage to run) in a copy of ours leave it ours, with or without it
	res, err = Run(context.Background(), w.cfg, leakOf(s, "k", append(slices.Clone(ours), foreign[:20]...), keyless))
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Verdict != report.Ours {
		t.Errorf("850 of ours and 20 unresolved: %s (%s)", res.Report.Verdict, res.Report.VerdictReason)
	}
}

// TestFullNameColumn: a party's copy with the full name in one column (the
// mapping fills nombre, paterno and materno from it) is linked by name:
// it was not_ours, every row unlinked, because only nombre counted as
// shown and linkage needs a surname.
func TestFullNameColumn(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	leaked := sample(copyFor(s, w.reg.asOf(d("2018-06-15")), "r02"), 1000, 12)
	lk := leakOf(s, "completo.csv", leaked, []string{register.FNombre, register.FPaterno, register.FMaterno, register.FNacimiento, register.FSeccion})
	cols := []report.Column{{Index: 0, Header: "NOMBRE COMPLETO", Field: register.FNombre, Fields: []string{register.FNombre, register.FPaterno, register.FMaterno}, Confidence: 1}}
	for _, c := range lk.Columns[3:] {
		c.Index -= 2
		cols = append(cols, c)
	}
	lk.Columns = cols
	res, err := Run(context.Background(), w.cfg, lk)
	if err != nil {
		t.Fatal(err)
	}
	if rep := res.Report; rep.Verdict != report.Ours || rep.Match.RowsMatched != 1000 {
		t.Errorf("full names: %s, %d rows matched (%s)", rep.Verdict, rep.Match.RowsMatched, rep.VerdictReason)
	}
	if got := fieldsOfLayout("full:paterno,materno,nombre"); !slices.Equal(got, []string{register.FPaterno, register.FMaterno, register.FNombre}) {
		t.Errorf("fieldsOfLayout: %q", got)
	}
}

// runBothWays runs the analysis of leaked as lookups and as a scan of the
// store, and fails unless both give the same report and affected list.
func runBothWays(t *testing.T, w *world, leaked []register.Record, fields []string) *Result {
	t.Helper()
	s := w.reg.schema
	base, err := Run(context.Background(), w.cfg, leakOf(s, "leak", leaked, fields))
	if err != nil {
		t.Fatal(err)
	}
	scan, err := Run(context.Background(), scanConfig(w), leakOf(s, "leak", leaked, fields))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := base.Report.JSON()
	b, _ := scan.Report.JSON()
	if !bytes.Equal(a, b) || !slices.Equal(base.Affected, scan.Affected) {
		t.Errorf("scan and lookup differ:\n%s\n%s", a, b)
	}
	return base
}

// scanConfig is w's configuration with every leak linked by a scan of the
// store (a lookup each row below 10 rows).
func scanConfig(w *world) Config {
	cfg := w.cfg
	cfg.Scan = w.reg.VersionsOf
	cfg.Known.MaxPerson = uint64(len(w.reg.persons))
	cfg.LookupRows = 10
	return cfg
}

// TestForeignKeys: a row holding the CURP and clave of a person of the
// register whose names, birth date, street and credential it does not
// share is not that person's: the person is not exposed by it. Our rows
// whose keys were swapped for other people's are linked by name to their
// own people; strangers given our keys are not linked.
func TestForeignKeys(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	iCURP, iClave := s.Index(register.FCURP), s.Index(register.FClave)
	all := copyFor(s, w.reg.asOf(d("2018-06-15")), "r02")
	leaked := slices.Clone(all[:1000])
	spare := all[2000:] // people not in the leak, whose keys are given away
	want := map[string]bool{}
	for _, r := range leaked {
		want[r[iCURP]] = true
	}
	for i := range 100 { // our rows with someone else's keys
		r := slices.Clone(leaked[i*7])
		r[iCURP], r[iClave] = spare[i][iCURP], spare[i][iClave]
		leaked[i*7] = r
	}
	strangers := newFakeRegister(99, 300, d("2017-01-01"), d("2021-12-31")).asOf(d("2018-06-15"))
	for i := range 100 { // another register's rows with our keys
		r := slices.Clone(strangers[i])
		r[iCURP], r[iClave] = spare[500+i][iCURP], spare[500+i][iClave]
		leaked = append(leaked, r)
	}
	res := runBothWays(t, w, leaked, append(slices.Clone(allFields), register.FClave))
	got := map[string]bool{}
	for _, c := range res.Affected {
		got[c] = true
	}
	missing, extra := 0, 0
	for c := range want {
		if !got[c] {
			missing++
		}
	}
	for c := range got {
		if !want[c] {
			extra++
		}
	}
	if missing > 0 || extra > 0 {
		t.Errorf("affected: %d of the %d people in the leak missing, %d people exposed whose data is not in it", missing, len(want), extra)
	}
	if rep := res.Report; rep.Verdict != report.Ours || !slices.ContainsFunc(rep.Limitations, func(l string) bool { return strings.HasPrefix(l, "200 rows held the CURP") }) {
		t.Errorf("%s (%s); limitations %q", rep.Verdict, rep.VerdictReason, rep.Limitations)
	}
}

// TestExposedAsNow: a person whose CURP changed after the copy's cut is
// listed by the CURP they hold now, whatever row of theirs the leak shows
// first; a person the leak shows without saying which version (no
// address, no credential) is counted where the register has them now.
func TestExposedAsNow(t *testing.T) {
	w := newWorld(t)
	s := w.reg.schema
	iCURP, iSec := s.Index(register.FCURP), s.Index(register.FSeccion)
	cut := d("2018-06-15")
	// people with two versions or more, the first valid at the cut: their
	// CURP is corrected in their last version
	var changed []uint64
	for p := uint64(1); p <= uint64(len(w.reg.persons)) && len(changed) < 20; p++ {
		vs := w.reg.persons[p]
		if len(vs) < 2 || !vs[0].ValidAt(cut) {
			continue
		}
		last := &vs[len(vs)-1]
		last.Record = slices.Clone(last.Record)
		now := "N" + last.Record[iCURP][1:]
		last.Record[iCURP] = now
		w.reg.byCURP[now] = p
		changed = append(changed, p)
	}
	if len(changed) < 20 {
		t.Fatalf("only %d people with two versions", len(changed))
	}
	var leaked []register.Record
	for _, p := range changed { // the old row, then the new
		vs := w.reg.persons[p]
		leaked = append(leaked, vs[0].Record, vs[len(vs)-1].Record)
	}
	leaked = append(leaked, w.reg.asOf(cut)[:300]...)
	res := runBothWays(t, w, leaked, allFields)
	for _, p := range changed {
		vs := w.reg.persons[p]
		now, old := vs[len(vs)-1].Record[iCURP], vs[0].Record[iCURP]
		if !slices.Contains(res.Affected, now) || slices.Contains(res.Affected, old) {
			t.Fatalf("person %d: affected holds the CURP now %v, the old one %v", p, slices.Contains(res.Affected, now), slices.Contains(res.Affected, old))
		}
	}
	// names and keys only: people who moved are placed in the section of
	// their latest version (their CURP did not change: it does not tell
	// their versions apart)
	var moved []register.Record
	want := map[[2]string]int{}
	for p := uint64(1); p <= uint64(len(w.reg.persons)) && len(moved) < 20; p++ {
		vs := w.reg.persons[p]
		if slices.Contains(changed, p) || !vs[0].ValidAt(cut) || vs[0].Record[iSec] == vs[len(vs)-1].Record[iSec] {
			continue
		}
		moved = append(moved, vs[0].Record)
		r := vs[len(vs)-1].Record
		want[[2]string{r[s.Index(register.FEntidad)], r[iSec]}]++
	}
	ids := []string{register.FCURP, register.FNombre, register.FPaterno, register.FMaterno, register.FNacimiento}
	res = runBothWays(t, w, moved, ids)
	got := map[[2]string]int{}
	for _, c := range res.Report.Affected.BySeccion {
		got[[2]string{c.Entidad, c.Seccion}] += c.People
	}
	if !maps.Equal(got, want) {
		t.Errorf("sections %v, want those of the latest versions %v", got, want)
	}
}
