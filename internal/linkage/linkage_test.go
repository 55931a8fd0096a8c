package linkage

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/huella/huella/internal/register"
)

func TestJaroWinkler(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"MARTHA", "MARHTA", 0.961},
		{"DWAYNE", "DUANE", 0.840},
		{"DIXON", "DICKSONX", 0.813},
		{"HERNANDEZ", "HERNANDEZ", 1},
		{"", "ANA", 0},
		{"ABC", "XYZ", 0},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			got := jaroWinkler(tt.a, tt.b)
			if math.Abs(got-tt.want) > 0.001 {
				t.Errorf("jaroWinkler(%q, %q) = %.4f, want %.3f", tt.a, tt.b, got, tt.want)
			}
			if back := jaroWinkler(tt.b, tt.a); math.Abs(back-got) > 1e-12 {
				t.Errorf("not symmetric: %v vs %v", got, back)
			}
		})
	}
}

func TestPhonetic(t *testing.T) {
	same := [][2]string{
		{"HERNANDEZ", "ERNANDES"}, {"VAZQUEZ", "BASQUEZ"}, {"GONZALEZ", "GONSALES"},
		{"HERNANDEZ", "HERNNDEZ"}, {"CEBALLOS", "ZEBAYOS"}, {"JIMENEZ", "XIMENEZ"},
	}
	for _, p := range same {
		if phonetic(p[0]) != phonetic(p[1]) {
			t.Errorf("phonetic(%s) = %x, phonetic(%s) = %x: want equal", p[0], phonetic(p[0]), p[1], phonetic(p[1]))
		}
	}
	if phonetic("GARCIA") == phonetic("MARTINEZ") {
		t.Error("GARCIA and MARTINEZ share a code")
	}
}

func TestComparisonForms(t *testing.T) {
	tests := []struct {
		fn       func(string) string
		in, want string
	}{
		{nameKey, "  maría  de la Peña ", "MARIA DE LA PENA"},
		{nameKey, "O'BRIEN-SMITH", "O BRIEN SMITH"},
		{addrKey, "Av. Benito Juárez S/N", "BENITO JUAREZ SN"},
		{addrKey, "AVENIDA BENITO JUAREZ SIN NUMERO", "BENITO JUAREZ SN"},
		{addrKey, "COL. CENTRO", "CENTRO"},
		{addrKey, "C. HIDALGO MZ 5 LT 3", "HIDALGO 5 3"},
		{codeKey, "09", "9"},
		{codeKey, "0", "0"},
		{codeKey, "s/n", "SN"},
		{sortedTokens, "LUIS JOSE", "JOSE LUIS"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := tt.fn(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseBirth(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"1985-03-07", "1985-03-07", true},
		{"1985-27-03", "1985-03-27", true}, // day and month swapped, unambiguous
		{"1985-13-13", "", false},
		{"", "", false},
		{"85-03-07", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, ok := parseBirth(tt.in)
			if ok != tt.ok || ok && d.String() != tt.want {
				t.Errorf("parseBirth(%q) = %v, %v; want %v, %v", tt.in, d, ok, tt.want, tt.ok)
			}
		})
	}
}

// testRegister builds an index of n synthetic people and remembers their
// versions by person.
type testRegister struct {
	schema *register.Schema
	ix     *Index
	byID   map[uint64][]register.Version
	people []genPerson
	// pool, in lean registers (benchmarks), replaces byID and people: a
	// sample of the versions valid at leakCut, the only ones leak draws.
	pool []register.Version
	// stranger, if set, makes the record of someone not in the register.
	stranger func() register.Record
}

// strangers are n records of people not in the register.
func (tr *testRegister) strangers(n int, seed uint64) []register.Record {
	out := make([]register.Record, 0, n)
	if tr.stranger != nil {
		for range n {
			out = append(out, tr.stranger())
		}
		return out
	}
	for _, p := range genPeople(n, seed, 1<<40) {
		out = append(out, p.record(tr.schema))
	}
	return out
}

// newLeanRegister is newTestRegister keeping only the index and a pool of
// poolN versions valid at leakCut, so that a benchmark's heap is the index
// (a heap full of records would bill the benchmark for their GC scans).
func newLeanRegister(tb testing.TB, n int, seed uint64, poolN int) *testRegister {
	s := register.INE()
	tr := &testRegister{schema: s, ix: NewIndex(s)}
	people := genPeople(n, seed, 1)
	g := genRNG{rand.New(rand.NewPCG(seed, 1234))}
	p := float64(poolN) / float64(n)
	genVersions(people, seed, s, func(v *register.Version) {
		tr.ix.Add(v)
		if v.ValidAt(leakCut) && g.Float64() < p {
			tr.pool = append(tr.pool, *v)
		}
	})
	tr.ix.Freeze()
	return tr
}

var (
	registersMu sync.Mutex
	registers   = map[[2]uint64]*testRegister{}
)

// sharedRegister is newTestRegister built once per (n, seed) for the whole
// test binary; tests must not modify it (SetOptions included).
func sharedRegister(tb testing.TB, n int, seed uint64) *testRegister {
	registersMu.Lock()
	defer registersMu.Unlock()
	k := [2]uint64{uint64(n), seed}
	if tr, ok := registers[k]; ok {
		return tr
	}
	tr := newTestRegister(tb, n, seed)
	registers[k] = tr
	return tr
}

func newTestRegister(tb testing.TB, n int, seed uint64) *testRegister {
	tb.Helper()
	s := register.INE()
	tr := &testRegister{schema: s, ix: NewIndex(s), byID: map[uint64][]register.Version{}}
	tr.people = genPeople(n, seed, 1)
	genVersions(tr.people, seed, s, func(v *register.Version) {
		tr.ix.Add(v)
		tr.byID[v.PersonID] = append(tr.byID[v.PersonID], *v)
	})
	tr.ix.Freeze()
	return tr
}

// leakCut is the cut-off of every test leak.
var leakCut = register.MustDate("2016-06-01")

// leak draws rows as of leakCut from the register: each a version valid then.
func (tr *testRegister) leak(g genRNG, n int, cut register.Date) (recs []register.Record, truth []register.Version) {
	if tr.pool != nil {
		for len(recs) < n {
			v := tr.pool[g.IntN(len(tr.pool))]
			recs = append(recs, v.Record)
			truth = append(truth, v)
		}
		return recs, truth
	}
	for len(recs) < n {
		p := tr.people[g.IntN(len(tr.people))]
		for _, v := range tr.byID[p.id] {
			if v.ValidAt(cut) {
				recs = append(recs, v.Record)
				truth = append(truth, v)
			}
		}
	}
	return recs, truth
}

// accuracy is the outcome of linking a leak with known truth.
type accuracy struct {
	rows, ours          int // rows, rows of people in the register
	linked, correct     int
	wrong               int // linked to the wrong person (incl. not-ours rows linked)
	versionOK           int // correct links whose agreeing versions include the true one
	missedBy            map[string]int
	errRows, errCorrect [nErrKinds]int
}

func (a accuracy) precision() float64 {
	if a.linked == 0 {
		return 1
	}
	return float64(a.correct) / float64(a.linked)
}

func (a accuracy) recall() float64 { return float64(a.correct) / float64(a.ours) }

// runAccuracy makes a keyless leak of nOurs rows with typing errors of rate
// q plus nOther rows of people not in the register, links it with LinkAll
// and tallies the outcome.
func runAccuracy(tb testing.TB, tr *testRegister, seed uint64, nOurs, nOther int, q float64, keep []string) accuracy {
	g := genRNG{rand.New(rand.NewPCG(seed, 5))}
	cut := register.MustDate("2016-06-01")
	clean, truth := tr.leak(g, nOurs, cut)
	var recs []register.Record
	var applied [][]int
	for _, r := range clean {
		d, errs := damage(g, tr.schema, r, true, q)
		recs = append(recs, d)
		applied = append(applied, errs)
	}
	// people from elsewhere: same distributions, not in the register
	for _, r := range tr.strangers(nOther, seed+1000) {
		d, _ := damage(g, tr.schema, r, true, q)
		recs = append(recs, d)
	}
	if keep != nil {
		for _, r := range recs {
			for i, f := range tr.schema.Fields {
				if !slices.Contains(keep, f.Name) {
					r[i] = ""
				}
			}
		}
	}
	ms := tr.ix.LinkAll(recs)
	a := accuracy{rows: len(recs), ours: len(clean), missedBy: map[string]int{}}
	for i, m := range ms {
		if i >= len(clean) {
			if m.Matched() {
				a.linked++
				a.wrong++
			}
			continue
		}
		for _, e := range applied[i] {
			a.errRows[e]++
		}
		if !m.Matched() {
			a.missedBy[m.Reason]++
			continue
		}
		a.linked++
		if m.PersonID != truth[i].PersonID {
			a.wrong++
			continue
		}
		a.correct++
		for _, e := range applied[i] {
			a.errCorrect[e]++
		}
		if slices.Contains(m.Versions, Span{truth[i].ValidFrom, truth[i].ValidTo}) {
			a.versionOK++
		}
	}
	return a
}

func (a accuracy) log(tb testing.TB) {
	tb.Logf("rows %d (ours %d): linked %d, correct %d, wrong %d; precision %.4f%%, recall %.4f%%; true version among agreeing %d/%d; unlinked by reason %v",
		a.rows, a.ours, a.linked, a.correct, a.wrong, 100*a.precision(), 100*a.recall(), a.versionOK, a.correct, a.missedBy)
	for k := 0; k < nErrKinds; k++ {
		if a.errRows[k] > 0 {
			tb.Logf("  %-24s rows %4d linked correctly %5.1f%%", errNames[k], a.errRows[k], 100*float64(a.errCorrect[k])/float64(a.errRows[k]))
		}
	}
}

// The column sets of the accuracy scenarios: what leaks carry once keys are
// removed. nil keeps every column.
var (
	colsParty = []string{register.FNombre, register.FPaterno, register.FMaterno, // what parties receive since 2016
		register.FNacimiento, register.FSexo, register.FEntidad, register.FSeccion}
	colsNamesBirth = []string{register.FNombre, register.FPaterno, register.FMaterno,
		register.FNacimiento, register.FSexo, register.FEntidad}
	colsNamesAddress = []string{register.FNombre, register.FPaterno, register.FMaterno,
		register.FEntidad, register.FSeccion, register.FCalle, register.FNumExterior, register.FColonia}
)

// TestKeylessAccuracy is issue 5 item 3: keyless leaks with typing errors,
// precision ≥ 99.9% and recall ≥ 99.75%. Each typing error hits a row with
// probability q, independently (q = 0.25: two errors per row on average).
func TestKeylessAccuracy(t *testing.T) {
	tr := sharedRegister(t, 40000, 1)
	tests := []struct {
		name      string
		cols      []string
		q         float64
		minRecall float64
		rows      int
	}{
		{"all_columns/q=0.10", nil, 0.10, 0.9975, 2000},
		{"all_columns/q=0.25", nil, 0.25, 0.9975, 4000},
		{"party_columns/q=0.10", colsParty, 0.10, 0.9975, 2000},
		{"party_columns/q=0.25", colsParty, 0.25, 0.9975, 4000},
		// below the target, and said so in docs/perf-linkage.md:
		// without a section, typos push some rows under the threshold;
		// without a birth date, siblings at one address tell apart by
		// the given name alone
		{"names_birth_entidad/q=0.10", colsNamesBirth, 0.10, 0.99, 2000},
		{"names_address/q=0.10", colsNamesAddress, 0.10, 0.94, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := runAccuracy(t, tr, 7, tt.rows, tt.rows/10, tt.q, tt.cols)
			a.log(t)
			if p := a.precision(); p < 0.999 {
				t.Errorf("precision %.4f%% < 99.9%%", 100*p)
			}
			if r := a.recall(); r < tt.minRecall {
				t.Errorf("recall %.4f%% < %.2f%%", 100*r, 100*tt.minRecall)
			}
			if a.versionOK < a.correct*99/100 {
				t.Errorf("true version among the agreeing ones for %d of %d links", a.versionOK, a.correct)
			}
		})
	}
}

func TestExactKeys(t *testing.T) {
	tr := sharedRegister(t, 40000, 1)
	s := tr.schema
	p := tr.people[10]
	vs := tr.byID[p.id]
	rec := append(register.Record(nil), vs[len(vs)-1].Record...)
	rec[s.Index(register.FNombre)] = "SOMEONE ELSE" // keys win over names
	m := tr.ix.Link(rec)
	if m.Method != MethodCURP || m.PersonID != p.id {
		t.Fatalf("by CURP: got %s %d, want curp %d", m.Method, m.PersonID, p.id)
	}
	rec[s.Index(register.FCURP)] = ""
	if m = tr.ix.Link(rec); m.Method != MethodClave || m.PersonID != p.id {
		t.Fatalf("by clave: got %s %d, want clave %d", m.Method, m.PersonID, p.id)
	}
	rec[s.Index(register.FClave)] = "XXXX000000000000X0" // damaged key: probabilistic
	rec[s.Index(register.FNombre)] = p.nombre
	if m = tr.ix.Link(rec); m.Method != MethodProbabilistic || m.PersonID != p.id {
		t.Fatalf("damaged key: got %s %d (%s), want probabilistic %d", m.Method, m.PersonID, m.Reason, p.id)
	}
}

// TestVersions checks that the agreeing versions are those whose fields the
// row carries: a row with the old address agrees with the old version only.
func TestVersions(t *testing.T) {
	tr := sharedRegister(t, 40000, 1)
	checked := 0
	for _, p := range tr.people {
		vs := tr.byID[p.id]
		if len(vs) < 2 || vs[0].Record[tr.schema.Index(register.FCalle)] == vs[1].Record[tr.schema.Index(register.FCalle)] {
			continue
		}
		rec := append(register.Record(nil), vs[0].Record...)
		rec[tr.schema.Index(register.FCURP)] = ""
		rec[tr.schema.Index(register.FClave)] = ""
		m := tr.ix.Link(rec)
		if !m.Matched() {
			continue // ambiguity is allowed; wrong is not
		}
		if m.PersonID != p.id {
			t.Fatalf("person %d linked to %d", p.id, m.PersonID)
		}
		if m.Versions[0] != (Span{vs[0].ValidFrom, vs[0].ValidTo}) || m.ValidFrom != vs[0].ValidFrom {
			t.Errorf("person %d: agreeing versions %v, want first %v–%v", p.id, m.Versions, vs[0].ValidFrom, vs[0].ValidTo)
		}
		for _, sp := range m.Versions {
			if sp.From == vs[1].ValidFrom {
				t.Errorf("person %d: moved-away version %v agrees with the old address", p.id, sp)
			}
		}
		checked++
		if checked == 50 {
			break
		}
	}
	if checked < 20 {
		t.Fatalf("only %d movers checked", checked)
	}
}

// TestTwinsNeverSwapped links keyless rows of twins (same surnames, birth
// date and address): each links to its own twin or to nobody.
func TestTwinsNeverSwapped(t *testing.T) {
	tr := sharedRegister(t, 40000, 1)
	g := genRNG{rand.New(rand.NewPCG(9, 9))}
	twins := 0
	for i := 1; i < len(tr.people); i++ {
		a, b := tr.people[i-1], tr.people[i]
		if a.birth != b.birth || a.paterno != b.paterno || a.calle != b.calle {
			continue
		}
		twins++
		for _, p := range []genPerson{a, b} {
			rec, _ := damage(g, tr.schema, tr.byID[p.id][0].Record, true, 0.3)
			if m := tr.ix.Link(rec); m.Matched() && m.PersonID != p.id {
				t.Errorf("twin %d (%s) linked to %d", p.id, p.nombre, m.PersonID)
			}
		}
	}
	if twins < 50 {
		t.Fatalf("only %d twin pairs generated", twins)
	}
}

func TestEMEstimates(t *testing.T) {
	tr := sharedRegister(t, 40000, 1)
	g := genRNG{rand.New(rand.NewPCG(2, 2))}
	recs, _ := tr.leak(g, 2000, register.MustDate("2016-06-01"))
	var damaged []register.Record
	for _, r := range recs {
		d, _ := damage(g, tr.schema, r, true, 0)
		// every row's date swapped where that gives another real day
		f := &d[tr.schema.Index(register.FNacimiento)]
		*f = (*f)[:5] + (*f)[8:10] + "-" + (*f)[5:7]
		damaged = append(damaged, d)
	}
	md := tr.ix.Fit(damaged)
	if !md.EM {
		t.Fatal("EM refused the batch")
	}
	prior := tr.ix.Model()
	if md.M[fNacimiento][2] < 0.3 || md.M[fNacimiento][2] <= prior.M[fNacimiento][2] {
		t.Errorf("m(date swapped) = %.3f after EM on a batch of swapped dates (prior %.3f)", md.M[fNacimiento][2], prior.M[fNacimiento][2])
	}
	if md.W[fNacimiento][2] <= prior.W[fNacimiento][2] {
		t.Errorf("swapped-date weight did not rise: %.2f → %.2f", prior.W[fNacimiento][2], md.W[fNacimiento][2])
	}
}

// TestLinkAllDeterministic: the same batch links the same way, bit for bit
// (an analysis run twice must give byte-identical reports), whatever the
// goroutine scheduling.
func TestLinkAllDeterministic(t *testing.T) {
	tr := sharedRegister(t, 40000, 1)
	recs := keylessSample(tr, 1500, 0.25, colsParty)
	a, b := tr.ix.LinkAll(recs), tr.ix.LinkAll(recs)
	if !reflect.DeepEqual(a, b) {
		for i := range a {
			if !reflect.DeepEqual(a[i], b[i]) {
				t.Fatalf("row %d: %+v then %+v", i, a[i], b[i])
			}
		}
	}
	if ma, mb := tr.ix.Fit(recs), tr.ix.Fit(recs); *ma != *mb {
		t.Errorf("Fit differs between runs:\n%+v\n%+v", ma, mb)
	}
}

func TestEmptyAndGarbage(t *testing.T) {
	tr := sharedRegister(t, 40000, 1)
	s := tr.schema
	empty := make(register.Record, len(s.Fields))
	if m := tr.ix.Link(empty); m.Matched() || m.Reason != "no_candidates" || m.Weight != 0 {
		t.Errorf("empty row: %+v", m)
	}
	short := register.Record{"X"}
	if m := tr.ix.Link(short); m.Matched() {
		t.Errorf("short row matched: %+v", m)
	}
	if ms := tr.ix.LinkAll(nil); len(ms) != 0 {
		t.Errorf("LinkAll(nil) = %v", ms)
	}
}

func FuzzLink(f *testing.F) {
	tr := newTestRegister(f, 300, 11)
	f.Add("JUAN", "HERNANDEZ", "LOPEZ", "1980-02-03", "H", "09", "0123", "Av. Juárez S/N")
	f.Add("", "", "", "1980-13-13", "x", "", "", "")
	f.Add("ñ ñ", "\xff\xfe", "MARÍA  JOSÉ", "2000-02-30", "MUJER", "-1", "99999999999", "S/N S N SIN")
	s := tr.schema
	f.Fuzz(func(t *testing.T, nombre, paterno, materno, nac, sexo, ent, sec, calle string) {
		rec := make(register.Record, len(s.Fields))
		rec[s.Index(register.FNombre)] = nombre
		rec[s.Index(register.FPaterno)] = paterno
		rec[s.Index(register.FMaterno)] = materno
		rec[s.Index(register.FNacimiento)] = nac
		rec[s.Index(register.FSexo)] = sexo
		rec[s.Index(register.FEntidad)] = ent
		rec[s.Index(register.FSeccion)] = sec
		rec[s.Index(register.FCalle)] = calle
		m := tr.ix.Link(rec)
		if m.Matched() && len(m.Versions) == 0 {
			t.Fatalf("linked with no agreeing version: %+v", m)
		}
		if math.IsInf(m.Weight, 0) || math.IsNaN(m.Weight) || math.IsInf(m.Second, 0) || math.IsNaN(m.Second) {
			t.Fatalf("weights not finite: %+v", m)
		}
	})
}

// TestRowKeysBounded: a row of thirty given names, no entidad and no sex
// (a profile that probes the sección in each of the 32 entidades) makes
// block keys for its first few names only, each once: it made over two
// thousand, and a 210,000-row leak of such rows took four minutes.
func TestRowKeysBounded(t *testing.T) {
	names := "ANA LUIS JOSE MARIA PEDRO SOFIA KAREN OMAR RUTH IVAN DIEGO ROSA HILDA SAUL JAIME " +
		"EVA BRENDA OSCAR ZULEMA ARELI EFRAIN SUSANA VALERIA OCTAVIO ITZEL LOURDES SAMUEL JESSICA EMILIO CATALINA"
	p := prepared{nombreTokens: strings.Fields(names), paterno: "GARCIA", birth: register.MustDate("1980-03-04"), hasBirth: true, sec: "1234"}
	keys := rowKeys(&p)
	if len(keys) > 400 {
		t.Errorf("%d block keys for one row", len(keys))
	}
	if !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
		t.Error("keys not sorted or repeated")
	}
	// the first names still make keys: a row of the first four alone
	// makes the same ones
	q := p
	q.nombreTokens = q.nombreTokens[:maxNameKeys]
	if !slices.Equal(rowKeys(&q), keys) {
		t.Error("the keys are not those of the first names")
	}
}
