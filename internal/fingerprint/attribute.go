package fingerprint

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

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
	// Rows is the number of rows the copy holds, canaries included (the
	// ledger's count); 0 when unknown. It says how likely a leak of n rows
	// is to hold a canary.
	Rows int64
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
	// FormsErased: the leak writes every class of equivalent address forms
	// one way (canonicalised), which no copy does: the marks are erased,
	// and more rows would not bring them back (formsErased).
	FormsErased bool `json:"forms_erased,omitempty"`
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
	// MaxMarks caps the address positions scored (default 250,000: every
	// mark of the up to 200,000 rows an analysis passes, ≈1.25 a row, so
	// that a colluder who gave a few percent of a leak's rows is still
	// named); MaxOrder caps the persons read for the order statistic and
	// the marks (default 1,000,000). The first in leak order are used;
	// canaries are looked for in every row.
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
	fi    int // the field's index among the schema's markable fields
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
		o.MaxMarks = 250000
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
		for mi, fi := range fieldsInLeak {
			if len(positions) >= o.MaxMarks || fi >= len(ob.Leaked) || ob.Leaked[fi] == "" {
				continue
			}
			presentAddr++
			fid := fieldID(schema.Fields[fi].Name)
			slots = addr.AppendForms(slots[:0], addr.Normal(ob.Leaked[fi]))
			for s, sl := range slots {
				positions = append(positions, position{pid: ob.PersonID, field: fid, slot: s, class: sl.Class, group: sl.Group, fi: mi})
			}
		}
	}
	if len(positions) > o.MaxMarks {
		positions = positions[:o.MaxMarks]
	}
	erased := formsErased(positions)

	nrel := len(releases)
	out := make([]Evidence, nrel)
	canaryHits, canaryVisible := findCanaries(key, releases, obs, schema, o.Taken)
	var orderTail []float64 // shared by every release: depends on n only
	// The releases grouped by the code their marks are scored with (see
	// markCodes), each group in ledger order.
	codes := markCodes{key: key, positions: positions, fields: fieldsInLeak, schema: schema}
	type relCode struct {
		p      Params
		shape  codeShape
		mix    []classMix
		inCopy map[uint32]bool
		key    string
	}
	rcs := make([]relCode, nrel)
	order := make([]int, nrel)
	first := map[string]int{}
	for r, rel := range releases {
		rc := &rcs[r]
		rc.p = rel.Params
		rc.p.fill()
		rc.shape = newShape(rc.p.Colluders)
		rc.mix = mixFromParams(rc.shape, rc.p)
		rc.inCopy = map[uint32]bool{}
		fields := rel.Fields
		if len(fields) == 0 {
			fields = schema.Names()
		}
		for _, f := range fields {
			rc.inCopy[fieldID(f)] = true
		}
		rc.key = codes.codeKey(rc.shape, rc.mix, rc.inCopy)
		if _, ok := first[rc.key]; !ok {
			first[rc.key] = r
		}
		order[r] = r
	}
	sort.SliceStable(order, func(a, b int) bool { return first[rcs[order[a]].key] < first[rcs[order[b]].key] })
	for g := 0; g < len(order); {
		// the group of releases scored with one code
		ge := g + 1
		for ge < len(order) && rcs[order[ge]].key == rcs[order[g]].key {
			ge++
		}
		group := order[g:ge]
		g = ge
		rc0 := &rcs[group[0]]
		mc := codes.get(rc0.key, rc0.shape, rc0.mix, rc0.inCopy)

		// Each release's own symbols (address forms) and order keys: one
		// AES block per mark and per person, the releases in parallel.
		parallel(len(group), func(i int) {
			r := group[i]
			score, agree, ascents := 0.0, 0, 0 // locals: out[r] shares cache lines
			bits := newPRF(key, labelBit, releases[r].ID)
			for j, pi := range mc.pos {
				ps, d := &positions[pi], &mc.draws[pi]
				x := bit(bits, ps.pid, ps.field, ps.slot, d.p)
				y := int(mc.y[j])
				score += mc.scores[pi].score(x, y)
				if x == y {
					agree++
				}
			}
			if rcs[r].p.OrderBlock > 0 && len(people) >= 2 {
				om := &Marker{order: newPRF(key, labelOrder, releases[r].ID)}
				prev := om.OrderKey(people[0])
				for _, pid := range people[1:] {
					k := om.OrderKey(pid)
					if k > prev {
						ascents++
					}
					prev = k
				}
			}
			out[r].Score, out[r].Agreeing, out[r].OrderAscents = score, agree, ascents
		})

		for _, r := range group {
			rel, p := releases[r], rcs[r].p
			ev := out[r]
			ev.ReleaseID, ev.Recipient, ev.AsOf = rel.ID, rel.Recipient, rel.AsOf

			// Carrier 1: address forms, symmetric Tardos.
			ev.Marks = len(mc.pos)
			lb := mc.bound.logBound(ev.Score)
			marks := carrier(CarrierMarks, lb, fmt.Sprintf("score %.2f over %d marks (%d agree with this copy)", ev.Score, ev.Marks, ev.Agreeing))

			// Carrier 2: keyed row order.
			var ord CarrierEvidence
			if p.OrderBlock > 0 && len(people) >= 2 {
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
			switch {
			case ev.Canaries > 0:
				what := "a record that exists"
				if ev.Canaries > 1 {
					what = "records that exist"
				}
				can = carrier(CarrierCanary, math.Inf(-1), fmt.Sprintf("%s of this copy in the leak: %s only in this copy", plural(ev.Canaries, "canary person", "canary persons"), what))
			case p.Canaries > 0 && !canaryVisible:
				can = carrier(CarrierCanary, 0, canaryUnrecognisable)
			case p.Canaries == 0:
				can = carrier(CarrierCanary, 0, "the copy holds no canary")
			case p.Canaries == 1:
				can = carrier(CarrierCanary, 0, "the copy's one canary is not in the leak")
			default:
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
				ev.FormsErased = erased
				ev.Missing = missing(ev, p, rel.Rows, canaryVisible, presentAddr, len(positions), len(people), nrel*carriersTested)
			}
			out[r] = ev
		}
	}
	return out
}

// markCodes holds what the address-form carrier computes once for every
// release alike: the positions' draws and what their scores need (per code
// shape: the position PRF is the same for every release) and, for the
// releases that share a code shape, a mixing and the fields in their copies
// (usually many), the leak's symbols and the bound's terms and grid
// (markCode). Only the releases' own symbols (one AES block per mark) and
// the bound's search are left per release.
type markCodes struct {
	key       []byte
	positions []position
	fields    []int // the schema's markable fields
	schema    *register.Schema
	shapes    map[codeShape]*shapeDraws
	curKey    string
	cur       *markCode
}

// shapeDraws are the positions' draws under one code shape.
type shapeDraws struct {
	draws  []posDraw
	scores []posScore
}

// markCode is the address-form carrier of the releases sharing a code
// shape, a mixing and the fields of their copies.
type markCode struct {
	*shapeDraws
	pos   []int32 // the scored positions (index in positions), in leak order
	y     []int8  // the leak's symbol at pos[i]
	bound *markBound
}

// codeKey names the code a release is scored with.
func (mc *markCodes) codeKey(shape codeShape, mix []classMix, inCopy map[uint32]bool) string {
	var k []byte
	k = binary.BigEndian.AppendUint64(k, math.Float64bits(shape.t))
	for _, m := range mix {
		k = append(k, byte(m.majority))
		k = binary.BigEndian.AppendUint64(k, math.Float64bits(m.lambda))
	}
	for _, fi := range mc.fields {
		if inCopy[fieldID(mc.schema.Fields[fi].Name)] {
			k = append(k, 1)
		} else {
			k = append(k, 0)
		}
	}
	return string(k)
}

// get is the code of key k (the last one made is kept: releases are scored
// grouped by key).
func (mc *markCodes) get(k string, shape codeShape, mix []classMix, inCopy map[uint32]bool) *markCode {
	if mc.cur != nil && mc.curKey == k {
		return mc.cur
	}
	mc.cur = nil // let the previous code go before the next is made
	sd := mc.shapes[shape]
	if sd == nil {
		n := len(mc.positions)
		sd = &shapeDraws{draws: make([]posDraw, n), scores: make([]posScore, n)}
		const chunk = 1 << 14
		parallel((n+chunk-1)/chunk, func(c int) {
			pos := newPRF(mc.key, labelPosition, "")
			for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
				ps := &mc.positions[i]
				sd.draws[i] = shape.draw(pos, ps.pid, ps.field, ps.slot)
				sd.scores[i] = newPosScore(sd.draws[i].p)
			}
		})
		if mc.shapes == nil {
			mc.shapes = map[codeShape]*shapeDraws{}
		}
		mc.shapes[shape] = sd
	}
	held := make([]bool, len(mc.fields)) // by markable field
	for i, fi := range mc.fields {
		held[i] = inCopy[fieldID(mc.schema.Fields[fi].Name)]
	}
	n := 0
	for i := range mc.positions {
		if held[mc.positions[i].fi] {
			n++
		}
	}
	c := &markCode{shapeDraws: sd, pos: make([]int32, 0, n), y: make([]int8, 0, n)}
	terms := make([]markTerm, 0, n)
	for i := range mc.positions {
		ps := &mc.positions[i]
		if !held[ps.fi] {
			continue
		}
		y := symbolOf(ps.group, sd.draws[i], &mix[ps.class])
		c.pos = append(c.pos, int32(i))
		c.y = append(c.y, int8(y))
		terms = append(terms, sd.scores[i].term(y))
	}
	c.bound = newMarkBound(terms)
	mc.curKey, mc.cur = k, c
	return c
}

// parallel calls fn(0), …, fn(n−1), on up to GOMAXPROCS goroutines.
func parallel(n int, fn func(i int)) {
	w := min(n, runtime.GOMAXPROCS(0))
	if w <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
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

// findCanaries counts, per release, the leaked rows that are its canaries,
// and says whether the leak could show one at all (visible). A canary is
// an unlinked row that shows every identity value of one of the release's
// canary candidates it holds (no other), found
//
//   - by its CURP, showing the clave or both the given name and the first
//     surname (canaryAgrees);
//   - without a CURP, by its clave (canaryAgrees);
//   - without CURP or clave, by the three names and the birth date, with
//     the registration date or the CIC (canaryAgreesKeyless): values the
//     generator draws at random per canary (a day among ≈20,000 for each
//     date, a 9–10 digit CIC), so that a real person's row agrees on all
//     of them no more often than on a CURP.
//
// A leak that shows none of these keys on any row cannot show a canary:
// visible is false and the evidence says so instead of "none found".
func findCanaries(key []byte, releases []Release, obs []Observation, schema *register.Schema, taken func(curp, clave string) bool) (hits []int, visible bool) {
	hits = make([]int, len(releases))
	idx := func(name string) int { return schema.Index(name) }
	curpIdx, claveIdx := idx(register.FCURP), idx(register.FClave)
	nomIdx, patIdx, matIdx, nacIdx := idx(register.FNombre), idx(register.FPaterno), idx(register.FMaterno), idx(register.FNacimiento)
	cicIdx := idx(register.FCIC)
	get := func(ob *Observation, i int) string {
		if i < 0 || i >= len(ob.Leaked) {
			return ""
		}
		return ob.Leaked[i]
	}
	curpOf := func(ob *Observation) string {
		c := ob.CURP
		if c == "" {
			c = get(ob, curpIdx)
		}
		return ident.Normalize(c)
	}
	keyless := func(ob *Observation) bool {
		return get(ob, nomIdx) != "" && get(ob, patIdx) != "" && get(ob, matIdx) != "" && get(ob, nacIdx) != "" && get(ob, cicIdx) != ""
	}
	// A canary is an unlinked row: with none, there is nothing to look for
	// (and the candidates, which ask the register about each canary, are
	// not worth making: a proof sample usually links every row).
	unlinked := false
	for k := range obs {
		ob := &obs[k]
		if !visible && (curpOf(ob) != "" || get(ob, claveIdx) != "" || keyless(ob)) {
			visible = true
		}
		if ob.PersonID == 0 {
			unlinked = true
		}
		if visible && unlinked {
			break
		}
	}
	if !unlinked || !visible {
		return hits, visible
	}
	type cand struct {
		rel int
		rec register.Record
	}
	byCURP := map[string][]cand{}
	byClave := map[string][]cand{}
	byNames := map[string][]cand{}
	for r, rel := range releases {
		n := rel.Params.Canaries
		if n <= 0 {
			continue
		}
		ck := subkey(key, labelCanary, rel.ID)
		for i := 0; i < n; i++ {
			for _, rec := range canaryCandidates(ck, i, rel.AsOf, taken) {
				c := cand{r, rec}
				byCURP[rec[ineCURP]] = append(byCURP[rec[ineCURP]], c)
				byClave[rec[ineClave]] = append(byClave[rec[ineClave]], c)
				nk := namesKey(ident.Normalize(rec[ineNombre]), ident.Normalize(rec[inePaterno]), ident.Normalize(rec[ineMaterno]))
				byNames[nk] = append(byNames[nk], c)
			}
		}
	}
	if len(byCURP) == 0 {
		return hits, visible
	}
	counted := map[string]bool{} // by the canary's CURP: a row repeated counts once
	for k := range obs {
		ob := &obs[k]
		if ob.PersonID != 0 {
			continue
		}
		var cs []cand
		agrees := canaryAgrees
		switch curp, clave := curpOf(ob), ident.Normalize(get(ob, claveIdx)); {
		case curp != "":
			cs = byCURP[curp]
		case clave != "":
			cs = byClave[clave]
		case keyless(ob):
			cs = byNames[namesKey(ident.Normalize(get(ob, nomIdx)), ident.Normalize(get(ob, patIdx)), ident.Normalize(get(ob, matIdx)))]
			agrees = canaryAgreesKeyless
		}
		owners := map[int]bool{}
		var id string
		for _, c := range cs {
			if !counted[c.rec[ineCURP]] && agrees(c.rec, ob.Leaked, schema) {
				owners[c.rel] = true
				id = c.rec[ineCURP]
			}
		}
		if len(owners) != 1 { // a canary two releases share proves nothing
			continue
		}
		for r := range owners {
			hits[r]++
		}
		counted[id] = true
	}
	return hits, visible
}

// namesKey joins a person's three names (normalised) into one map key.
func namesKey(nombre, paterno, materno string) string {
	return nombre + "\x00" + paterno + "\x00" + materno
}

// canaryUnrecognisable is the canary evidence of a leak that shows no key
// a canary can be recognised by.
const canaryUnrecognisable = "canaries not recognisable: the file has no CURP or clave (nor the names with birth date and CIC)"

// leakedValue is the normalised value of field name in a leaked row, ""
// when the leak does not show it.
func leakedValue(leaked register.Record, schema *register.Schema, name string) string {
	i := schema.Index(name)
	if i < 0 || i >= len(leaked) {
		return ""
	}
	return ident.Normalize(leaked[i])
}

// canaryAgrees compares a canary with a leaked row on the identity fields.
func canaryAgrees(c register.Record, leaked register.Record, schema *register.Schema) bool {
	get := func(name string) string { return leakedValue(leaked, schema, name) }
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

// canaryAgreesKeyless compares a canary with a leaked row that shows no
// CURP or clave: every identity value shown agrees, and the row shows the
// three names, the birth date and the CIC (nine or ten digits drawn at
// random: as unlikely for another person to share as a CURP; a CIC
// spreadsheets stripped of its leading zeros still agrees). Names, birth
// and registration dates alone are not: a real person of another register
// may share them.
func canaryAgreesKeyless(c register.Record, leaked register.Record, schema *register.Schema) bool {
	get := func(name string) string { return leakedValue(leaked, schema, name) }
	for _, k := range []int{ineNombre, inePaterno, ineMaterno, ineNac} {
		if get(ine.Fields[k].Name) == "" {
			return false
		}
	}
	cic := get(register.FCIC)
	if cic == "" {
		return false
	}
	for _, k := range []int{ineNombre, inePaterno, ineMaterno, ineNac, ineSexo, ineRegistro, ineEmision} {
		if v := get(ine.Fields[k].Name); v != "" && v != ident.Normalize(c[k]) {
			return false
		}
	}
	return strings.TrimLeft(cic, "0") == strings.TrimLeft(c[ineCIC], "0")
}

// plural writes n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// canaryMissChance is the probability that a uniform sample of n rows of a
// copy of rows rows holding c canaries holds none of them, ≈ (1 − n/N)^c;
// −1 when the leak has more rows than the copy (it is no sample of it).
// With the copy's size unknown (rows ≤ 0) each row is taken as a canary
// with the copy's rate, (1 − rate)^n: a small copy, whose one canary is
// forced, holds them more densely, so this errs toward "rarely".
func canaryMissChance(n int, rows int64, c int, rate float64) float64 {
	if rows > 0 {
		switch {
		case int64(n) > rows:
			return -1 // no sample of the copy: the leak is larger
		case int64(n) == rows:
			return 0
		}
		return math.Pow(1-float64(n)/float64(rows), float64(c))
	}
	if rate <= 0 || rate >= 1 {
		return 1
	}
	return math.Exp(float64(n) * math.Log1p(-rate))
}

// chance writes a probability for a reader: a percentage, or a power of ten
// when below 1%.
func chance(p float64) string {
	if p >= 0.01 {
		return fmt.Sprintf("%.0f%%", 100*p)
	}
	if p <= 0 {
		return "0"
	}
	return fmt.Sprintf("%.0e", p)
}

// Thresholds of the missing notes: a carrier bound this small points to the
// copy even when the family bound does not accuse; a chance this small of
// missing every canary makes their absence evidence against the copy.
const (
	pointsBound    = 1e-2
	canaryUnlikely = 0.05
)

// missing explains why a release is not accused and what would suffice.
// rows is the copy's size (0: unknown); visible says whether the leak
// shows a key a canary could be recognised by (findCanaries).
//
// tests is how many bounds were computed (releases × carriers): a carrier
// bound points to a copy only once multiplied by it, as accusations are.
func missing(ev Evidence, p Params, rows int64, visible bool, presentAddr, positions, people, tests int) []string {
	var out []string
	need := ev.MarksNeeded
	switch {
	case presentAddr == 0:
		out = append(out, "address forms: the leak holds no address field this copy carries")
	case ev.Marks == 0:
		out = append(out, "address forms: no equivalent forms in the leaked addresses (erased or canonicalised)")
	case ev.FormsErased:
		out = append(out, fmt.Sprintf("address forms: %d seen, every class written one way (canonicalised), which no copy does: the marks they carried are erased, and more rows would not bring them back", ev.Marks))
	case ev.Marks < need:
		perRow := float64(positions) / math.Max(1, float64(people))
		rows := "more rows"
		if perRow > 0 {
			rows = fmt.Sprintf("≈%d rows", int(math.Ceil(float64(need)/perRow)))
		}
		out = append(out, fmt.Sprintf("address forms: %d marks seen; ≈%d needed against %d colluders (%s)", ev.Marks, need, p.Colluders, rows))
	default:
		b := math.Min(1, marksBound(ev)*float64(tests))
		if b <= pointsBound {
			out = append(out, fmt.Sprintf("address forms: %d marks seen, enough for %d colluders; the score points to this copy (bound %.1e) but not past the threshold", ev.Marks, p.Colluders, b))
		} else {
			out = append(out, fmt.Sprintf("address forms: %d marks seen, enough for %d colluders, but the score does not point to this copy", ev.Marks, p.Colluders))
		}
	}
	switch {
	case p.OrderBlock <= 0:
	case ev.OrderPairs < 2:
		out = append(out, "row order: fewer than 3 linked rows")
	case float64(ev.OrderAscents) < 0.6*float64(ev.OrderPairs):
		out = append(out, "row order: ascents at chance level (rows re-sorted or sampled far apart, or not this copy)")
	}
	if p.Canaries > 0 && ev.Canaries == 0 {
		out = append(out, missingCanaries(p, rows, visible, people))
	}
	return out
}

// formsErased reports whether the leak writes every class of equivalent
// address forms it shows one way: in each class seen at 50 positions or
// more, under 1% in the other group. A copy keeps the register's habit
// (the marks move a form between groups, they never empty one), so that
// is a leak whose addresses were canonicalised, its marks erased.
func formsErased(positions []position) bool {
	type tally struct{ n, other int }
	var byClass []tally
	for i := range positions {
		c := positions[i].class
		for len(byClass) <= c {
			byClass = append(byClass, tally{})
		}
		byClass[c].n++
		if positions[i].group != 0 {
			byClass[c].other++
		}
	}
	classes := 0
	for _, t := range byClass {
		if t.n < 50 {
			continue
		}
		classes++
		if 100*min(t.other, t.n-t.other) >= t.n {
			return false
		}
	}
	return classes > 0
}

// marksBound is the address-forms carrier's bound of ev (1 when absent).
func marksBound(ev Evidence) float64 {
	for _, c := range ev.Carriers {
		if c.Carrier == CarrierMarks {
			return math.Pow(10, c.Log10Bound)
		}
	}
	return 1
}

// missingCanaries says what the absence of a copy's canaries from an
// n-row leak means: nothing when the leak could not show one, little when a
// sample this size would often miss them, and something against the copy
// when it would almost surely hold one.
func missingCanaries(p Params, rows int64, visible bool, n int) string {
	if !visible {
		return canaryUnrecognisable
	}
	none := fmt.Sprintf("none of %d found", p.Canaries)
	if p.Canaries == 1 {
		none = "the copy's one canary not found"
	}
	miss := canaryMissChance(n, rows, p.Canaries, p.CanaryRate)
	if miss < 0 {
		return fmt.Sprintf("canaries: %s; the leak (%d rows) is larger than this %d-row copy: if it holds the whole copy, they would be there", none, n, rows)
	}
	sample := fmt.Sprintf("a %d-row sample", n)
	if rows > 0 {
		sample += fmt.Sprintf(" of this %d-row copy", rows)
	}
	switch {
	case miss < canaryUnlikely:
		return fmt.Sprintf("canaries: %s, though %s would likely hold one (chance of missing all: %s): their absence argues against this copy, unless the rows were chosen", none, sample, chance(miss))
	case miss >= 0.5:
		return fmt.Sprintf("canaries: %s (%s rarely holds one: chance of missing all %s)", none, sample, chance(miss))
	default:
		return fmt.Sprintf("canaries: %s (%s misses all with probability %s: their absence says little)", none, sample, chance(miss))
	}
}
