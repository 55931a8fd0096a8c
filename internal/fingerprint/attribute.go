package fingerprint

import (
	"fmt"
	"math"
	"sort"

	"github.com/huella/huella/internal/addr"
	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// Release is what the analysis knows of one logged release (from its ledger
// entry).
type Release struct {
	ID, Recipient string
	AsOf          register.Date // the instant the copy was cut at
	Fields        []string      // the fields the copy holds (empty: all)
	Params        Params
}

// Observation is one leaked row as the analysis sees it.
type Observation struct {
	Row      int             // position in the leak, 0-based
	PersonID uint64          // the register person the row links to; 0 when unlinked
	Leaked   register.Record // leaked values in schema order, "" where the column is absent; normalised
	CURP     string          // the leaked CURP, normalised ("" if none)
}

// Carrier names.
const (
	CarrierMarks   = "address_forms"
	CarrierOrder   = "row_order"
	CarrierCanary  = "canaries"
	carriersTested = 3
)

// CarrierEvidence is what one carrier says about one release.
type CarrierEvidence struct {
	Carrier string `json:"carrier"`
	// Bound is the carrier's false-accusation probability: the probability
	// that a copy not derived from this release shows evidence this strong
	// (1 when the carrier says nothing). Log10Bound keeps it when it is
	// below float64's range.
	Bound      float64 `json:"bound"`
	Log10Bound float64 `json:"log10_bound"`
	Detail     string  `json:"detail"`
}

// Evidence is the attribution of a leak to one release.
type Evidence struct {
	ReleaseID string        `json:"release_id"`
	Recipient string        `json:"recipient"`
	AsOf      register.Date `json:"-"`
	// Accused is true only when FamilyBound ≤ ε.
	Accused bool `json:"accused"`
	// Bound is the smallest carrier bound for this release; FamilyBound is
	// Bound × releases × carriers (the union bound over every test made):
	// the probability that any innocent release would have been accused.
	Bound            float64 `json:"false_accusation_bound"`
	Log10Bound       float64 `json:"log10_bound"`
	FamilyBound      float64 `json:"family_bound"`
	Log10FamilyBound float64 `json:"log10_family_bound"`

	// Address forms: the symmetric Tardos score over Marks positions, of
	// which Agreeing show this copy's symbol.
	Score    float64 `json:"score"`
	Marks    int     `json:"marks"`
	Agreeing int     `json:"agreeing"`
	// Canaries of this copy found in the leak.
	Canaries int `json:"canaries"`
	// Row order: ascents of this copy's order key over OrderPairs adjacent
	// pairs of distinct linked persons, and P(ascents ≥ observed) for an
	// innocent copy.
	OrderAscents int     `json:"order_ascents"`
	OrderPairs   int     `json:"order_pairs"`
	OrderPValue  float64 `json:"order_p_value"`

	Carriers []CarrierEvidence `json:"carriers"`
	// Missing says what kept a carrier silent and what would suffice.
	Missing []string `json:"missing,omitempty"`
	// MarksNeeded, for a release not accused, is how many address-form
	// marks name a copy against Params.Colluders colluders: with Marks ≥
	// MarksNeeded more rows would not change the outcome.
	MarksNeeded int `json:"marks_needed,omitempty"`
}

// Options tune Attribute.
type Options struct {
	Epsilon float64 // ε (default 10⁻⁶)
	// Schema of Observation.Leaked (nil: register.INE()).
	Schema *register.Schema
	// Taken reports a CURP or clave of a real person (store lookups); it
	// lets canaries be regenerated exactly. nil: the first attempts.
	Taken func(curp, clave string) bool
	// MaxMarks caps the address positions scored (default 20,000: more
	// than any code length needs); MaxOrder caps the persons read for the
	// order statistic and the marks (default 1,000,000). The first in leak
	// order are used; canaries are looked for in every row.
	MaxMarks, MaxOrder int
}

// Attribute scores a leak against every release with the default options.
func Attribute(key []byte, releases []Release, obs []Observation, eps float64) []Evidence {
	return AttributeWith(key, releases, obs, Options{Epsilon: eps})
}

// position is one scored mark position.
type position struct {
	pid   uint64
	field uint32
	slot  int
	class int
	group int // the group the leak shows
}

// AttributeWith scores a leak against every release. Each carrier yields a
// bound on the probability that a copy not derived from the release shows
// evidence this strong; a release is accused when its smallest bound times
// the number of releases and carriers is at most ε. See the package doc for
// each bound.
func AttributeWith(key []byte, releases []Release, obs []Observation, o Options) []Evidence {
	if o.Epsilon <= 0 {
		o.Epsilon = 1e-6
	}
	if o.Schema == nil {
		o.Schema = register.INE()
	}
	if o.MaxMarks <= 0 {
		o.MaxMarks = 20000
	}
	if o.MaxOrder <= 0 {
		o.MaxOrder = 1000000
	}
	schema := o.Schema
	// leak order: obs as given when already by Row (the usual case: no
	// index of a 90M-row dump), else a sorted index
	var idx []int
	for i := 1; i < len(obs); i++ {
		if obs[i].Row < obs[i-1].Row {
			idx = make([]int, len(obs))
			for i := range idx {
				idx[i] = i
			}
			sort.SliceStable(idx, func(a, b int) bool { return obs[idx[a]].Row < obs[idx[b]].Row })
			break
		}
	}
	at := func(i int) int {
		if idx == nil {
			return i
		}
		return idx[i]
	}

	// The persons in leak order, first occurrence only: each position is
	// scored once, so an innocent's symbols stay independent.
	seen := map[uint64]bool{}
	var people []uint64
	var positions []position
	pos := newPRF(key, labelPosition, "")
	var fieldsInLeak []int
	for i, f := range schema.Fields {
		if markable(f) {
			fieldsInLeak = append(fieldsInLeak, i)
		}
	}
	presentAddr := 0
	var slots []addr.Slot
	for i := range obs {
		ob := &obs[at(i)]
		if ob.PersonID == 0 {
			continue
		}
		if seen[ob.PersonID] {
			continue
		}
		if len(people) >= o.MaxOrder {
			break // the first MaxOrder persons are plenty for every carrier
		}
		seen[ob.PersonID] = true
		people = append(people, ob.PersonID)
		for _, fi := range fieldsInLeak {
			if len(positions) >= o.MaxMarks || fi >= len(ob.Leaked) || ob.Leaked[fi] == "" {
				continue
			}
			presentAddr++
			fid := fieldID(schema.Fields[fi].Name)
			slots = addr.AppendForms(slots[:0], addr.Normal(ob.Leaked[fi]))
			for s, sl := range slots {
				positions = append(positions, position{pid: ob.PersonID, field: fid, slot: s, class: sl.Class, group: sl.Group})
			}
		}
	}
	if len(positions) > o.MaxMarks {
		positions = positions[:o.MaxMarks]
	}

	nrel := len(releases)
	out := make([]Evidence, nrel)
	canaryHits := findCanaries(key, releases, obs, schema, o.Taken)
	var orderTail []float64 // shared by every release: depends on n only
	for r, rel := range releases {
		p := rel.Params
		p.fill()
		shape := newShape(p.Colluders)
		ev := Evidence{ReleaseID: rel.ID, Recipient: rel.Recipient, AsOf: rel.AsOf}
		inCopy := map[uint32]bool{}
		fields := rel.Fields
		if len(fields) == 0 {
			fields = schema.Names()
		}
		for _, f := range fields {
			inCopy[fieldID(f)] = true
		}

		// Carrier 1: address forms, symmetric Tardos.
		bits := newPRF(key, labelBit, rel.ID)
		mix := mixFromParams(shape, p)
		var terms []markTerm
		for i := range positions {
			ps := &positions[i]
			if !inCopy[ps.field] {
				continue
			}
			d := shape.draw(pos, ps.pid, ps.field, ps.slot)
			y := symbolOf(ps.group, d, &mix[ps.class])
			x := bit(bits, ps.pid, ps.field, ps.slot, d.p)
			ev.Score += score(x, y, d.p)
			if x == y {
				ev.Agreeing++
			}
			terms = append(terms, newTerm(d.p, y))
		}
		ev.Marks = len(terms)
		lb := chernoffLog(terms, ev.Score)
		marks := carrier(CarrierMarks, lb, fmt.Sprintf("score %.2f over %d marks (%d agree with this copy)", ev.Score, ev.Marks, ev.Agreeing))

		// Carrier 2: keyed row order.
		var ord CarrierEvidence
		if p.OrderBlock > 0 && len(people) >= 2 {
			om := &Marker{order: newPRF(key, labelOrder, rel.ID)}
			prev := om.OrderKey(people[0])
			for _, pid := range people[1:] {
				k := om.OrderKey(pid)
				if k > prev {
					ev.OrderAscents++
				}
				prev = k
			}
			ev.OrderPairs = len(people) - 1
			var lt float64
			if len(people) <= exactOrderMax {
				if orderTail == nil {
					orderTail = eulerianLogTail(len(people))
				}
				lt = 0
				if ev.OrderAscents > 0 {
					lt = orderTail[ev.OrderAscents]
				}
			} else {
				lt = ascentsLogTail(len(people), ev.OrderAscents)
			}
			ev.OrderPValue = math.Exp(lt)
			ord = carrier(CarrierOrder, lt, fmt.Sprintf("%d ascents in %d adjacent pairs (innocent: %.1f expected)", ev.OrderAscents, ev.OrderPairs, float64(ev.OrderPairs)/2))
		} else {
			ev.OrderPValue = 1
			ord = carrier(CarrierOrder, 0, "no keyed order in this copy or fewer than 2 linked rows")
		}

		// Carrier 3: canaries.
		ev.Canaries = canaryHits[r]
		var can CarrierEvidence
		if ev.Canaries > 0 {
			can = carrier(CarrierCanary, math.Inf(-1), fmt.Sprintf("%d canary person(s) of this copy in the leak: records that exist only in this copy", ev.Canaries))
		} else {
			can = carrier(CarrierCanary, 0, fmt.Sprintf("none of the copy's %d canaries in the leak", p.Canaries))
		}
		ev.Carriers = []CarrierEvidence{marks, ord, can}

		best := math.Min(marks.Log10Bound, math.Min(ord.Log10Bound, can.Log10Bound))
		ev.Log10Bound = best
		ev.Bound = math.Pow(10, best)
		ev.Log10FamilyBound = math.Min(0, best+math.Log10(float64(nrel*carriersTested)))
		ev.FamilyBound = math.Pow(10, ev.Log10FamilyBound)
		ev.Accused = ev.Log10FamilyBound <= math.Log10(o.Epsilon)

		if !ev.Accused {
			_, ev.MarksNeeded = CodeLength(nrel*carriersTested, p.Colluders, o.Epsilon)
			ev.Missing = missing(ev, p, presentAddr, len(positions), len(people))
		}
		out[r] = ev
	}
	return out
}

// carrier makes a CarrierEvidence from a natural-log bound.
func carrier(name string, lnBound float64, detail string) CarrierEvidence {
	if math.IsNaN(lnBound) || lnBound > 0 {
		lnBound = 0 // a failed computation proves nothing
	}
	l10 := lnBound / math.Ln10
	if math.IsInf(lnBound, -1) {
		l10 = math.Inf(-1)
	}
	return CarrierEvidence{Carrier: name, Bound: math.Pow(10, l10), Log10Bound: l10, Detail: detail}
}

// mixFromParams rebuilds the per-class mixing a release used.
func mixFromParams(shape codeShape, p Params) []classMix {
	cl := addr.Classes()
	mix := make([]classMix, len(cl))
	for c := range cl {
		q := 0.5
		lam := shape.lambdaFor(0.5)
		if cm, ok := p.Classes[cl[c].Name]; ok {
			q, lam = cm.LongShare, cm.Lambda
		}
		maj := 0
		if q < 0.5 {
			maj = 1
		}
		mix[c] = classMix{majority: maj, lambda: lam}
	}
	return mix
}

// findCanaries counts, per release, the leaked rows that are its canaries:
// unlinked rows whose CURP is one of the release's canary candidates, whose
// other identity values agree where present, and that agree on the clave or
// on both the given name and the first surname.
func findCanaries(key []byte, releases []Release, obs []Observation, schema *register.Schema, taken func(curp, clave string) bool) []int {
	hits := make([]int, len(releases))
	// A canary is an unlinked row: with none, there is nothing to look for
	// (and the candidates, which ask the register about each canary, are
	// not worth making: a proof sample usually links every row).
	unlinked := false
	for k := range obs {
		if obs[k].PersonID == 0 {
			unlinked = true
			break
		}
	}
	if !unlinked {
		return hits
	}
	type cand struct {
		rel int
		rec register.Record
	}
	byCURP := map[string][]cand{}
	for r, rel := range releases {
		n := rel.Params.Canaries
		if n <= 0 {
			continue
		}
		ck := subkey(key, labelCanary, rel.ID)
		for i := 0; i < n; i++ {
			for _, rec := range canaryCandidates(ck, i, rel.AsOf, taken) {
				byCURP[rec[ineCURP]] = append(byCURP[rec[ineCURP]], cand{r, rec})
			}
		}
	}
	curpIdx := schema.Index(register.FCURP)
	counted := map[string]bool{}
	if len(byCURP) == 0 {
		return hits
	}
	for k := range obs {
		ob := &obs[k]
		if ob.PersonID != 0 {
			continue
		}
		curp := ob.CURP
		if curp == "" && curpIdx >= 0 && curpIdx < len(ob.Leaked) {
			curp = ob.Leaked[curpIdx]
		}
		curp = ident.Normalize(curp)
		cs := byCURP[curp]
		if curp == "" || len(cs) == 0 || counted[curp] {
			continue
		}
		owners := map[int]bool{}
		for _, c := range cs {
			if canaryAgrees(c.rec, ob.Leaked, schema) {
				owners[c.rel] = true
			}
		}
		if len(owners) != 1 { // a CURP two releases share proves nothing
			continue
		}
		for r := range owners {
			hits[r]++
		}
		counted[curp] = true
	}
	return hits
}

// canaryAgrees compares a canary with a leaked row on the identity fields.
func canaryAgrees(c register.Record, leaked register.Record, schema *register.Schema) bool {
	get := func(name string) string {
		i := schema.Index(name)
		if i < 0 || i >= len(leaked) {
			return ""
		}
		return ident.Normalize(leaked[i])
	}
	strong := false
	for _, k := range []int{ineClave, ineNombre, inePaterno, ineMaterno, ineNac, ineSexo} {
		v := get(ine.Fields[k].Name)
		if v == "" {
			continue
		}
		if v != c[k] {
			return false
		}
	}
	if get(register.FClave) != "" {
		strong = true
	}
	if get(register.FNombre) != "" && get(register.FPaterno) != "" {
		strong = true
	}
	return strong
}

// missing explains why a release is not accused and what would suffice.
func missing(ev Evidence, p Params, presentAddr, positions, people int) []string {
	var out []string
	need := ev.MarksNeeded
	switch {
	case presentAddr == 0:
		out = append(out, "address forms: the leak holds no address field this copy carries")
	case ev.Marks == 0:
		out = append(out, "address forms: no equivalent forms in the leaked addresses (erased or canonicalised)")
	case ev.Marks < need:
		perRow := float64(positions) / math.Max(1, float64(people))
		rows := "more rows"
		if perRow > 0 {
			rows = fmt.Sprintf("≈%d rows", int(math.Ceil(float64(need)/perRow)))
		}
		out = append(out, fmt.Sprintf("address forms: %d marks seen; ≈%d needed against %d colluders (%s)", ev.Marks, need, p.Colluders, rows))
	default:
		out = append(out, fmt.Sprintf("address forms: %d marks seen, enough for %d colluders, but the score does not point to this copy", ev.Marks, p.Colluders))
	}
	switch {
	case p.OrderBlock <= 0:
	case ev.OrderPairs < 2:
		out = append(out, "row order: fewer than 3 linked rows")
	case float64(ev.OrderAscents) < 0.6*float64(ev.OrderPairs):
		out = append(out, "row order: ascents at chance level (rows re-sorted or sampled far apart, or not this copy)")
	}
	if p.Canaries > 0 && ev.Canaries == 0 {
		out = append(out, fmt.Sprintf("canaries: none of %d found (a %d-row sample rarely holds one)", p.Canaries, people))
	}
	return out
}
