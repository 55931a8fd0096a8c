package fingerprint

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/huella/huella/internal/addr"
	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// person is one synthetic register row with its id.
type person struct {
	pid uint64
	rec register.Record
}

// testRegister makes n synthetic people (canary generator for identity,
// a fixed-seed generator for addresses with known form habits).
func testRegister(n int, seed uint64) []person {
	asOf := register.MustDate("2018-06-01")
	r := rand.New(rand.NewPCG(seed, 1))
	streets := []string{"CALLE", "C.", "AV.", "AVENIDA", "PRIV.", "CDA", "CALLE", "CALLE"}
	settl := []string{"COL", "COL.", "COLONIA", "FRACC.", "BARRIO", "U HAB", "COL"}
	names := []string{"HIDALGO", "JUAREZ", "MORELOS", "5 DE MAYO", "REFORMA", "INDEPENDENCIA", "ALLENDE"}
	out := make([]person, n)
	for i := range out {
		rec := canaryPerson(seed*1_000_003+uint64(i), asOf)
		rec[ineCalle] = streets[r.IntN(len(streets))] + " " + names[r.IntN(len(names))]
		switch r.IntN(4) {
		case 0:
			rec[ineNumExt] = "S/N"
		case 1:
			rec[ineNumExt] = fmt.Sprintf("MZ %d LT %d", 1+r.IntN(40), 1+r.IntN(30))
		case 2:
			rec[ineNumExt] = "SIN NUMERO"
		default:
			rec[ineNumExt] = fmt.Sprint(1 + r.IntN(500))
		}
		rec[ineColonia] = settl[r.IntN(len(settl))] + " " + names[r.IntN(len(names))]
		out[i] = person{uint64(i + 1), rec}
	}
	return out
}

// makeCopy releases reg to one recipient and returns its rows in order.
func makeCopy(t testing.TB, id string, reg []person, p Params) ([]register.Record, Release) {
	t.Helper()
	stats := NewFormStats()
	for _, ps := range reg {
		stats.Add(ine, ps.rec)
	}
	m := NewMarker(testKey, id, ine, nil, p, stats)
	var rows []register.Record
	c := m.NewCopy(ine, register.MustDate("2018-06-01"), nil, func(r register.Record) error {
		rows = append(rows, r)
		return nil
	})
	for _, ps := range reg {
		if err := c.Add(ps.pid, ps.rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return rows, Release{ID: id, Recipient: "party-" + id, AsOf: register.MustDate("2018-06-01"), Params: c.Params()}
}

func testParams() Params {
	p := DefaultParams()
	p.OrderBlock = 512
	p.CanaryRate = 1e-3
	return p
}

// observe links leaked rows to the register by CURP, as the analysis would.
func observe(reg []person, leak []register.Record) []Observation {
	byCURP := map[string]uint64{}
	for _, ps := range reg {
		byCURP[ps.rec[ineCURP]] = ps.pid
	}
	obs := make([]Observation, len(leak))
	for i, r := range leak {
		n := make(register.Record, len(r))
		for j, v := range r {
			n[j] = ident.Normalize(v)
		}
		obs[i] = Observation{Row: i, PersonID: byCURP[n[ineCURP]], Leaked: n, CURP: n[ineCURP]}
	}
	return obs
}

var identityFields = []string{register.FCURP, register.FClave, register.FNombre, register.FPaterno, register.FMaterno, register.FNacimiento, register.FSexo, register.FEntidad, register.FSeccion}

func TestIdentityUntouched(t *testing.T) {
	reg := testRegister(3000, 1)
	byCURP := map[string]register.Record{}
	for _, ps := range reg {
		byCURP[ps.rec[ineCURP]] = ps.rec
	}
	copies := map[string]string{}
	for k := 0; k < 4; k++ {
		id := fmt.Sprintf("rel-%d", k)
		rows, rel := makeCopy(t, id, reg, testParams())
		if len(rows) != len(reg)+rel.Params.Canaries || rel.Params.Canaries < 1 {
			t.Fatalf("%s: %d rows, %d canaries, register %d", id, len(rows), rel.Params.Canaries, len(reg))
		}
		changed, canaries := 0, 0
		for _, row := range rows {
			orig, ok := byCURP[row[ineCURP]]
			if !ok {
				canaries++
				continue
			}
			for _, f := range identityFields {
				i := ine.Index(f)
				if row[i] != orig[i] {
					t.Fatalf("%s: %s changed: %q → %q", id, f, orig[i], row[i])
				}
			}
			for i := range row {
				if row[i] != orig[i] {
					changed++
					if ine.Fields[i].Role != register.RoleAddress || addr.Canonical(row[i]) != addr.Canonical(orig[i]) {
						t.Fatalf("%s: field %s changed meaning: %q → %q", id, ine.Fields[i].Name, orig[i], row[i])
					}
				}
			}
		}
		if canaries != rel.Params.Canaries {
			t.Errorf("%s: %d rows not in the register, %d canaries recorded", id, canaries, rel.Params.Canaries)
		}
		if changed == 0 {
			t.Errorf("%s: no mark written", id)
		}
		var b strings.Builder
		for _, r := range rows {
			b.WriteString(strings.Join(r, ","))
		}
		for other, s := range copies {
			if s == b.String() {
				t.Errorf("copies %s and %s are identical", id, other)
			}
		}
		copies[id] = b.String()
	}
}

func TestCanariesValid(t *testing.T) {
	asOf := register.MustDate("2018-06-01")
	cs := Canaries(testKey, "rel-x", 50, asOf, nil)
	again := Canaries(testKey, "rel-x", 50, asOf, nil)
	seen := map[string]bool{}
	for i, c := range cs {
		if err := ident.ValidateCURP(c[ineCURP]); err != nil {
			t.Errorf("canary %d: %v", i, err)
		}
		if err := ident.ValidateClave(c[ineClave]); err != nil {
			t.Errorf("canary %d: %v", i, err)
		}
		if strings.Join(c, ",") != strings.Join(again[i], ",") {
			t.Errorf("canary %d not regenerable", i)
		}
		birth := register.MustDate(c[ineNac])
		if birth.AddMonths(18*12) > asOf {
			t.Errorf("canary %d is a minor: %s", i, c[ineNac])
		}
		seen[c[ineCURP]] = true
	}
	// taken CURPs are skipped
	taken := func(curp, clave string) bool { return seen[curp] }
	for i, c := range Canaries(testKey, "rel-x", 50, asOf, taken) {
		if seen[c[ineCURP]] {
			t.Errorf("canary %d uses a taken CURP", i)
		}
	}
	if other := Canaries(testKey, "rel-y", 1, asOf, nil); other[0][ineCURP] == cs[0][ineCURP] {
		t.Error("two releases share a canary")
	}
}

// TestRoundTrip: mark → extract → the copy's codeword, position by position.
func TestRoundTrip(t *testing.T) {
	reg := testRegister(2000, 2)
	rows, rel := makeCopy(t, "rel-rt", reg, testParams())
	obs := observe(reg, rows)
	shape := newShape(rel.Params.Colluders)
	mix := mixFromParams(shape, rel.Params)
	pos := newPRF(testKey, labelPosition, "")
	bits := newPRF(testKey, labelBit, rel.ID)
	n, ones := 0, 0
	for _, ob := range obs {
		if ob.PersonID == 0 {
			continue
		}
		for _, fi := range ine.WithRole(register.RoleAddress) {
			fid := fieldID(ine.Fields[fi].Name)
			for k, sl := range addr.Forms(ob.Leaked[fi]) {
				d := shape.draw(pos, ob.PersonID, fid, k)
				y := symbolOf(sl.Group, d, &mix[sl.Class])
				if x := bit(bits, ob.PersonID, fid, k, d.p); x != y {
					t.Fatalf("person %d field %s slot %d: read %d, codeword %d", ob.PersonID, ine.Fields[fi].Name, k, y, x)
				}
				n++
				ones += y
			}
		}
	}
	if n < 2000 {
		t.Fatalf("only %d marks in %d rows", n, len(rows))
	}
	if ones < n/3 || ones > 2*n/3 {
		t.Errorf("%d of %d bits are 1", ones, n)
	}
	// the attribution of the whole copy reads a perfect score for it
	ev := Attribute(testKey, []Release{rel}, obs, 1e-6)
	if ev[0].Agreeing != ev[0].Marks || !ev[0].Accused {
		t.Errorf("whole copy: %+v", ev[0])
	}
}

// TestFormFrequencies: a copy keeps the register's share of long and short
// forms per class (within the code's reach, [0.18, 0.82]).
func TestFormFrequencies(t *testing.T) {
	reg := testRegister(20000, 3)
	share := func(rows []register.Record) map[string][2]int {
		s := map[string][2]int{}
		for _, r := range rows {
			for _, fi := range ine.WithRole(register.RoleAddress) {
				for _, sl := range addr.Forms(r[fi]) {
					c := s[addr.Classes()[sl.Class].Name]
					c[sl.Group]++
					s[addr.Classes()[sl.Class].Name] = c
				}
			}
		}
		return s
	}
	var regRows []register.Record
	for _, ps := range reg {
		regRows = append(regRows, ps.rec)
	}
	want := share(regRows)
	for k := 0; k < 2; k++ {
		rows, _ := makeCopy(t, fmt.Sprintf("rel-f%d", k), reg, testParams())
		got := share(rows)
		for class, w := range want {
			if w[0]+w[1] < 1000 {
				continue
			}
			ws := float64(w[0]) / float64(w[0]+w[1])
			g := got[class]
			gs := float64(g[0]) / float64(g[0]+g[1])
			reach := math.Max(0.19, math.Min(0.81, ws))
			if math.Abs(gs-reach) > 0.04 {
				t.Errorf("copy %d class %s: long-form share %.3f, register %.3f", k, class, gs, ws)
			}
		}
	}
}

// leakOf lowers, strips accents and samples rows (keeping their order).
func leakOf(rows []register.Record, n int, r *rand.Rand) []register.Record {
	idx := r.Perm(len(rows))[:n]
	sortInts(idx)
	out := make([]register.Record, n)
	for i, k := range idx {
		row := make(register.Record, len(rows[k]))
		for j, v := range rows[k] {
			row[j] = strings.ToLower(v)
		}
		out[i] = row
	}
	return out
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func accused(evs []Evidence) []string {
	var out []string
	for _, e := range evs {
		if e.Accused {
			out = append(out, e.ReleaseID)
		}
	}
	return out
}

func TestAttributeSingleLeak(t *testing.T) {
	reg := testRegister(8000, 4)
	var rels []Release
	var copies [][]register.Record
	for k := 0; k < 6; k++ {
		rows, rel := makeCopy(t, fmt.Sprintf("rel-%d", k), reg, testParams())
		rels = append(rels, rel)
		copies = append(copies, rows)
	}
	r := rand.New(rand.NewPCG(9, 9))
	t.Run("first 1000 rows", func(t *testing.T) {
		evs := Attribute(testKey, rels, observe(reg, copies[2][:1000]), 1e-6)
		if a := accused(evs); len(a) != 1 || a[0] != "rel-2" {
			t.Fatalf("accused %v, want [rel-2]", a)
		}
		if evs[2].Log10Bound > -50 {
			t.Errorf("weak evidence: %+v", evs[2])
		}
	})
	t.Run("random 1000 rows, marks only", func(t *testing.T) {
		leak := leakOf(copies[4], 1000, r)
		r.Shuffle(len(leak), func(i, j int) { leak[i], leak[j] = leak[j], leak[i] })
		evs := Attribute(testKey, rels, observe(reg, leak), 1e-6)
		if a := accused(evs); len(a) != 1 || a[0] != "rel-4" {
			t.Fatalf("accused %v, want [rel-4]", a)
		}
		if !(evs[4].Carriers[0].Log10Bound <= -6) {
			t.Errorf("marks alone weak: %+v", evs[4].Carriers[0])
		}
	})
	t.Run("names and section only", func(t *testing.T) {
		fields := []string{register.FNombre, register.FPaterno, register.FMaterno, register.FSeccion}
		leak := make([]register.Record, 0, 1000)
		for _, row := range copies[1][:1000] {
			cut := make(register.Record, len(row))
			for _, f := range fields {
				cut[ine.Index(f)] = row[ine.Index(f)]
			}
			leak = append(leak, cut)
		}
		// the analysis linked them (by names): give the person ids
		obs := observe(reg, copies[1][:1000])
		cutObs := observe(reg, leak)
		for i := range obs {
			obs[i].Leaked = cutObs[i].Leaked
			obs[i].CURP = ""
		}
		evs := Attribute(testKey, rels, obs, 1e-6)
		if a := accused(evs); len(a) != 1 || a[0] != "rel-1" {
			t.Fatalf("accused %v, want [rel-1]", a)
		}
		if evs[1].Marks != 0 || evs[1].OrderAscents < 900 {
			t.Errorf("expected order evidence only: %+v", evs[1])
		}
	})
	t.Run("too few rows: inconclusive", func(t *testing.T) {
		leak := leakOf(copies[3], 12, r)
		r.Shuffle(len(leak), func(i, j int) { leak[i], leak[j] = leak[j], leak[i] })
		evs := Attribute(testKey, rels, observe(reg, leak), 1e-6)
		if a := accused(evs); len(a) != 0 {
			t.Fatalf("accused %v on 12 shuffled rows", a)
		}
		if len(evs[3].Missing) == 0 {
			t.Error("inconclusive without saying what is missing")
		}
	})
}

func TestAttributeCanary(t *testing.T) {
	reg, rels, copies, inReg := releaseCopies(t, 3000, 5, 3)
	// a leak of 5 rows holding one canary of copy 0, addresses removed
	var leak []register.Record
	for _, row := range copies[0] {
		if !inReg[row[ineCURP]] {
			leak = append(leak, row)
			break
		}
	}
	leak = append(leak, reg[10].rec, reg[500].rec, reg[7].rec, reg[2000].rec)
	for i := range leak {
		leak[i] = append(register.Record(nil), leak[i]...)
		for _, fi := range ine.WithRole(register.RoleAddress) {
			leak[i][fi] = ""
		}
	}
	evs := Attribute(testKey, rels, observe(reg, leak), 1e-6)
	if a := accused(evs); len(a) != 1 || a[0] != "rel-0" || evs[0].Canaries != 1 {
		t.Fatalf("accused %v, evidence %+v", a, evs[0])
	}
}

func TestAttributeCollusion(t *testing.T) {
	reg, rels, copies, _ := releaseCopies(t, 6000, 6, 8)
	byCURP := func(rows []register.Record) map[string]register.Record {
		m := map[string]register.Record{}
		for _, r := range rows {
			m[r[ineCURP]] = r
		}
		return m
	}
	cols := []int{1, 4, 6}
	views := []map[string]register.Record{byCURP(copies[1]), byCURP(copies[4]), byCURP(copies[6])}
	r := rand.New(rand.NewPCG(7, 7))
	caught := map[string]int{}
	for trial := 0; trial < 6; trial++ {
		var leak []register.Record
		for _, k := range r.Perm(len(reg))[:3000] {
			curp := reg[k].rec[ineCURP]
			row := make(register.Record, len(ine.Fields))
			if trial%2 == 0 { // row-wise: the whole row from one colluder
				copy(row, views[r.IntN(len(views))][curp])
			} else { // field-wise: each field from a colluder
				for j := range row {
					row[j] = views[r.IntN(len(views))][curp][j]
				}
			}
			leak = append(leak, row)
		}
		evs := Attribute(testKey, rels, observe(reg, leak), 1e-6)
		a := accused(evs)
		if len(a) == 0 {
			t.Errorf("trial %d: no colluder accused", trial)
		}
		for _, id := range a {
			ok := false
			for _, c := range cols {
				if id == fmt.Sprintf("rel-%d", c) {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("trial %d: innocent %s accused", trial, id)
			}
			caught[id]++
		}
	}
	t.Logf("accusations over 6 trials: %v", caught)
}

func TestUnmarkedDump(t *testing.T) {
	reg := testRegister(5000, 8)
	var rels []Release
	for k := 0; k < 10; k++ {
		_, rel := makeCopy(t, fmt.Sprintf("rel-%d", k), reg[:100], testParams())
		rel.Params.Canaries = 3
		rels = append(rels, rel)
	}
	var dump []register.Record
	for _, ps := range reg {
		dump = append(dump, ps.rec)
	}
	evs := Attribute(testKey, rels, observe(reg, dump), 1e-6)
	if a := accused(evs); len(a) != 0 {
		t.Fatalf("the register's own dump accuses %v", a)
	}
	for _, e := range evs {
		if e.Marks < 5000 || e.Log10FamilyBound < -3 {
			t.Errorf("%s: %d marks, family bound 1e%.1f", e.ReleaseID, e.Marks, e.Log10FamilyBound)
		}
	}
}

// TestGhostCodewords checks the computed bound against the empirical false
// alarm rate of ghost codewords drawn with the same biases (Furon).
func TestGhostCodewords(t *testing.T) {
	shape := newShape(3)
	r := rand.New(rand.NewPCG(11, 11))
	const m = 300
	ps := make([]float64, m)
	ys := make([]int, m)
	terms := make([]markTerm, m)
	for j := range ps {
		rr := shape.t + r.Float64()*(math.Pi/2-2*shape.t)
		ps[j] = math.Sin(rr) * math.Sin(rr)
		ys[j] = r.IntN(2)
		terms[j] = newTerm(ps[j], ys[j])
	}
	const ghosts = 200000
	scores := make([]float64, ghosts)
	for g := range scores {
		s := 0.0
		for j := range ps {
			x := 0
			if r.Float64() < ps[j] {
				x = 1
			}
			s += score(x, ys[j], ps[j])
		}
		scores[g] = s
	}
	for _, thr := range []float64{10, 20, 30, 40} {
		n := 0
		for _, s := range scores {
			if s >= thr {
				n++
			}
		}
		emp := float64(n) / ghosts
		bound := math.Exp(chernoffLog(terms, thr))
		if bound < emp {
			t.Errorf("threshold %.0f: bound %.3g below the ghost rate %.3g", thr, bound, emp)
		}
		t.Logf("threshold %.0f: ghost rate %.3g, bound %.3g", thr, emp, bound)
	}
}

func TestEulerianExact(t *testing.T) {
	for n := 1; n <= 7; n++ {
		counts := make([]int, n)
		total := 0
		permute(n, func(p []int) {
			a := 0
			for i := 1; i < n; i++ {
				if p[i] > p[i-1] {
					a++
				}
			}
			counts[a]++
			total++
		})
		for k := 0; k < n; k++ {
			tail := 0
			for j := k; j < n; j++ {
				tail += counts[j]
			}
			want := float64(tail) / float64(total)
			got := math.Exp(ascentsLogTail(n, k))
			if math.Abs(got-want) > 1e-9 {
				t.Errorf("n=%d k=%d: P = %g, want %g", n, k, got, want)
			}
		}
	}
	// the Chernoff tail bounds the exact tail from above
	exact := eulerianLogTail(1500)
	for _, k := range []int{800, 900, 1000, 1400, 1499} {
		if c := uniformSumLogTail(1500, float64(k)); c < exact[k]-1e-9 {
			t.Errorf("k=%d: Chernoff %g below exact %g", k, c, exact[k])
		}
	}
}

func permute(n int, fn func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			fn(p)
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			rec(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(0)
}

// TestChernoffExact compares the bound with the exact tail over all 2^m
// codewords of a small code.
func TestChernoffExact(t *testing.T) {
	const m = 14
	shape := newShape(2)
	r := rand.New(rand.NewPCG(3, 4))
	ps := make([]float64, m)
	ys := make([]int, m)
	terms := make([]markTerm, m)
	for j := range ps {
		rr := shape.t + r.Float64()*(math.Pi/2-2*shape.t)
		ps[j] = math.Sin(rr) * math.Sin(rr)
		ys[j] = r.IntN(2)
		terms[j] = newTerm(ps[j], ys[j])
	}
	for _, s := range []float64{1, 3, 6, 9} {
		exact := 0.0
		for w := 0; w < 1<<m; w++ {
			pr, sc := 1.0, 0.0
			for j := 0; j < m; j++ {
				x := w >> j & 1
				if x == 1 {
					pr *= ps[j]
				} else {
					pr *= 1 - ps[j]
				}
				sc += score(x, ys[j], ps[j])
			}
			if sc >= s {
				exact += pr
			}
		}
		if b := math.Exp(chernoffLog(terms, s)); b < exact {
			t.Errorf("s=%g: bound %g below exact %g", s, b, exact)
		}
	}
}

// TestChernoffPerfectLeak: a leak that agrees with a copy everywhere (the
// largest possible score) gets the exact probability of that outcome, a
// finite and tiny bound; scores above the maximum are impossible.
func TestChernoffPerfectLeak(t *testing.T) {
	shape := newShape(3)
	r := rand.New(rand.NewPCG(5, 6))
	for _, m := range []int{1, 10, 2233, 20000} {
		terms := make([]markTerm, m)
		s, want := 0.0, 0.0
		for j := range terms {
			p, x := drawBias(r, shape)
			terms[j] = newTerm(p, x) // the leak shows the copy's symbol
			s += score(x, x, p)
			if x == 1 {
				want += math.Log(p)
			} else {
				want += math.Log1p(-p)
			}
		}
		got := chernoffLog(terms, s)
		if math.IsNaN(got) || math.IsInf(got, 0) || math.Abs(got-want) > 1e-6*math.Abs(want) {
			t.Errorf("m=%d: ln bound %g, want ln P(best everywhere) = %g", m, got, want)
		}
		if b := chernoffLog(terms, s*0.9); math.IsNaN(b) || b < want || b > 0 || (m > 100 && b > -100) {
			t.Errorf("m=%d: 0.9 of the maximum: ln bound %g", m, b)
		}
		if b := chernoffLog(terms, s+1); !math.IsInf(b, -1) {
			t.Errorf("m=%d: impossible score: ln bound %g", m, b)
		}
	}
}

func TestCodeLength(t *testing.T) {
	prov, gauss := CodeLength(20, 3, 1e-6)
	if prov < 1490 || prov > 1500 || gauss < 745 || gauss > 750 {
		t.Errorf("CodeLength(20, 3, 1e-6) = %d, %d; want ≈1493, ≈747", prov, gauss)
	}
	s := newShape(3)
	if l := s.lambdaFor(s.meanMax()); l != 1 {
		t.Errorf("λ for the top share = %g", l)
	}
	if l := s.lambdaFor(0.5); math.Abs(l-0.5) > 1e-12 {
		t.Errorf("λ for ½ = %g", l)
	}
}

// FuzzAttribute feeds arbitrary leaked values and links: Attribute never
// panics, never returns a NaN, and never accuses on a handful of rows that
// no copy produced.
func FuzzAttribute(f *testing.F) {
	f.Add("AV. JUAREZ MZ 5 LT 3", "COL CENTRO", "S/N", uint64(7), "GAHJ850101HDFRRN09")
	f.Add("", "", "", uint64(0), "")
	f.Add("C. HIDALGO", "U HAB EL ROSARIO", "SIN NUMERO", uint64(1<<62), "x")
	reg := testRegister(50, 31)
	var rels []Release
	for k := 0; k < 3; k++ {
		_, rel := makeCopy(f, fmt.Sprintf("rel-fz-%d", k), reg, testParams())
		rels = append(rels, rel)
	}
	f.Fuzz(func(t *testing.T, calle, colonia, num string, pid uint64, curp string) {
		var obs []Observation
		for i := 0; i < 4; i++ {
			rec := make(register.Record, len(ine.Fields))
			rec[ineCalle], rec[ineColonia], rec[ineNumExt], rec[ineCURP] = calle, colonia, num, curp
			obs = append(obs, Observation{Row: 3 - i, PersonID: pid + uint64(i), Leaked: rec, CURP: curp})
		}
		for _, e := range Attribute(testKey, rels, obs, 1e-6) {
			if e.Accused || math.IsNaN(e.Log10Bound) || math.IsNaN(e.Score) {
				t.Fatalf("%+v", e)
			}
		}
	})
}

// TestCanaryCURPs checks that the prefilter list holds the CURP of every
// canary whose first four attempts include the one used, whichever the
// register made it skip, and of no other release.
func TestCanaryCURPs(t *testing.T) {
	asOf := register.MustDate("2018-06-01")
	rel := Release{ID: "rel-x", AsOf: asOf, Params: Params{Canaries: 20}}
	list := map[string]bool{}
	for _, c := range CanaryCURPs(testKey, []Release{rel}) {
		list[c] = true
	}
	ck := subkey(testKey, labelCanary, rel.ID)
	for skip := range untakenAttempts {
		// The register holds the CURPs of the first skip attempts.
		for i := range rel.Params.Canaries {
			rejected := map[string]bool{}
			for a := range skip {
				rejected[canaryPerson(canarySeed(ck, i, a), asOf)[ineCURP]] = true
			}
			c := canary(ck, i, asOf, func(curp, clave string) bool { return rejected[curp] })
			if !list[c[ineCURP]] {
				t.Errorf("canary %d after %d taken attempts (%s) not in the list", i, skip, c[ineCURP])
			}
		}
	}
	for _, c := range Canaries(testKey, "rel-y", 20, asOf, nil) {
		if list[c[ineCURP]] {
			t.Errorf("release rel-y's canary %s in rel-x's list", c[ineCURP])
		}
	}
}

// chernoffLogBisect is the bound as computed before markBound: the exact
// optimum over λ, by bisection on the derivative for each score (≈45 passes
// over the terms). It is the reference of TestMarkBoundGrid.
func chernoffLogBisect(terms []markTerm, s float64) float64 {
	if s <= 0 || len(terms) == 0 {
		return 0
	}
	smax, allBest := 0.0, 0.0
	for _, t := range terms {
		smax += t.gMax
		allBest += t.lpMax
	}
	slack := smax - s
	if slack < -1e-9*math.Max(1, math.Abs(smax)) {
		return math.Inf(-1)
	}
	if slack <= 0 {
		return allBest
	}
	exponent := func(l float64) float64 {
		e := l * slack
		for _, t := range terms {
			e += logAdd(t.lpMax, t.lpMin-l*t.delta)
		}
		return e
	}
	deriv := func(l float64) float64 {
		d := slack
		for _, t := range terms {
			// −Δ · P_λ(other)
			a, b := t.lpMax, t.lpMin-l*t.delta
			if b > a {
				d -= t.delta / (1 + math.Exp(a-b))
			} else {
				d -= t.delta * math.Exp(b-a) / (1 + math.Exp(b-a))
			}
		}
		return d
	}
	lo, hi := 0.0, 1.0/math.Sqrt(float64(len(terms)))
	i := 0
	for ; i < 200 && deriv(hi) < 0; i++ {
		lo, hi = hi, hi*2
	}
	if i == 200 {
		return math.Min(0, math.Max(allBest, exponent(hi)))
	}
	for i := 0; i < 40; i++ {
		mid := (lo + hi) / 2
		if deriv(mid) < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.Min(0, math.Min(exponent(lo), exponent(hi)))
}

// TestMarkBoundGrid compares markBound (G on a grid of λ shared by every
// score) with the exact optimum (chernoffLogBisect) on random term sets —
// leaks that show a random symbol, a copy's symbol, or a copy's symbol at a
// share of the positions (a colluder) — and scores from just above 0 to
// the maximum: the grid bound is never below the optimum (never less
// conservative, up to rounding) and within 1% of its logarithm or 0.05,
// whichever is larger.
func TestMarkBoundGrid(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	sizes := []int{1, 3, 20, 200, 2000, 20000}
	worstRel, worstAbs := 0.0, 0.0
	checked := 0
	for _, m := range sizes {
		for _, c := range []int{1, 3, 8} {
			if m > 2000 && c != 3 {
				continue // the reference is slow: one code for the largest set
			}
			shape := newShape(c)
			for _, share := range []float64{-1, 1, 0.3, 0.05} {
				terms := make([]markTerm, m)
				sCopy := 0.0 // the score of the copy the leak was drawn from
				for j := range terms {
					p, x := drawBias(r, shape)
					y := r.IntN(2)
					if share >= 0 && r.Float64() < share {
						y = x
					}
					terms[j] = newTerm(p, y)
					sCopy += score(x, y, p)
				}
				b := newMarkBound(terms)
				smax := b.smax
				scores := []float64{1e-9, 0.3 * math.Sqrt(float64(m)), math.Sqrt(float64(m)), 3 * math.Sqrt(float64(m)), 10 * math.Sqrt(float64(m)),
					sCopy, smax * 0.01, smax * 0.2, smax * 0.5, smax * 0.9, smax * (1 - 1e-4), smax * (1 - 1e-9), smax, smax * 1.5}
				for i := 0; i < 6; i++ {
					scores = append(scores, r.Float64()*smax, smax*math.Exp(-20*r.Float64()))
				}
				for _, s := range scores {
					want := chernoffLogBisect(terms, s)
					got := b.logBound(s)
					checked++
					if math.IsInf(want, -1) || math.IsInf(got, -1) {
						if !math.IsInf(want, -1) || !math.IsInf(got, -1) {
							t.Errorf("m=%d c=%d share=%g s=%g: ln bound %g, exact %g", m, c, share, s, got, want)
						}
						continue
					}
					if math.IsNaN(got) || got > 0 {
						t.Errorf("m=%d c=%d share=%g s=%g: ln bound %g", m, c, share, s, got)
						continue
					}
					if got < want-1e-9*math.Max(1, math.Abs(want)) {
						t.Errorf("m=%d c=%d share=%g s=%g: ln bound %.12g below the exact optimum %.12g", m, c, share, s, got, want)
					}
					margin := got - want
					if margin > math.Max(0.01*math.Abs(want), 0.05) {
						t.Errorf("m=%d c=%d share=%g s=%g: ln bound %g, exact %g: %g looser", m, c, share, s, got, want, margin)
					}
					if want < -1 {
						worstRel = math.Max(worstRel, margin/math.Abs(want))
					}
					worstAbs = math.Max(worstAbs, margin)
				}
			}
		}
	}
	t.Logf("%d bounds: at most %.3g%% of |ln bound| (bounds below e⁻¹), %.3g in ln looser than the exact optimum", checked, 100*worstRel, worstAbs)
}

// TestPosScore: the scores and terms made from a position's precomputed
// numbers are score's and newTerm's, bit for bit.
func TestPosScore(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for i := 0; i < 10000; i++ {
		p := r.Float64()*0.998 + 0.001
		ps := newPosScore(p)
		for y := 0; y < 2; y++ {
			for x := 0; x < 2; x++ {
				if a, b := ps.score(x, y), score(x, y, p); a != b {
					t.Fatalf("p=%g x=%d y=%d: %g, score %g", p, x, y, a, b)
				}
			}
			g1, g0 := score(1, y, p), score(0, y, p)
			want := markTerm{math.Log(p), math.Log1p(-p), g1, g1 - g0}
			if g1 < g0 {
				want = markTerm{math.Log1p(-p), math.Log(p), g0, g0 - g1}
			}
			if got := ps.term(y); got != want {
				t.Fatalf("p=%g y=%d: term %+v, want %+v", p, y, got, want)
			}
		}
	}
}

// TestFormsErased: a leak writing every class of forms one way is told
// from a copy, which keeps both groups of each class.
func TestFormsErased(t *testing.T) {
	positionsOf := func(n0, n1 []int) []position {
		var ps []position
		for c := range n0 {
			for i := range n0[c] + n1[c] {
				g := 0
				if i >= n0[c] {
					g = 1
				}
				ps = append(ps, position{class: c, group: g})
			}
		}
		return ps
	}
	for _, tc := range []struct {
		name   string
		n0, n1 []int
		want   bool
	}{
		{"canonicalised", []int{300, 200}, []int{0, 1}, true},
		{"a copy", []int{150, 100}, []int{150, 100}, false},
		{"one class canonical, the other not", []int{300, 100}, []int{0, 90}, false},
		{"too few to tell", []int{30, 20}, []int{0, 0}, false},
		{"a small class aside", []int{300, 20}, []int{0, 20}, true},
	} {
		if got := formsErased(positionsOf(tc.n0, tc.n1)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// drawBias draws a position's bias p from the code's arcsine distribution
// and a copy's symbol x at it (1 with probability p).
func drawBias(r *rand.Rand, shape codeShape) (p float64, x int) {
	rr := shape.t + r.Float64()*(math.Pi/2-2*shape.t)
	p = math.Sin(rr) * math.Sin(rr)
	if r.Float64() < p {
		x = 1
	}
	return p, x
}
