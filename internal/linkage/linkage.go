// Package linkage links the rows of a leaked file to the register's people
// and versions: for every row, one person and the versions of that person
// the row agrees with, or no one.
//
// # Method
//
// A row that carries a CURP or clave de elector found in the register is
// linked on it exactly (Method "curp" or "clave"). Any other row — keys
// removed, mistyped, or from another register — is linked probabilistically
// with the Fellegi–Sunter model:
//
//  1. Blocking. The row is compared only with the versions that share a key
//     with it in one of six passes (see block.go): birth date + sex +
//     entidad; birth date + phonetic code of the first surname; birth date +
//     phonetic code of a given name; birth year + sex + both codes;
//     entidad + sección + either code (+ sex with the given name's). Each
//     pass leaves out a different field, so a typo in any one field still
//     finds the person. A block larger than Options.MaxBlock is skipped (the
//     other passes cover it).
//  2. Comparison. Each (row, version) pair gets a level per field. Names, by
//     Jaro–Winkler similarity of their comparison forms (ident.Normalize,
//     Ñ→N, punctuation dropped): exact (also with the tokens sorted: "LUIS
//     JOSE" = "JOSE LUIS"), ≥0.94, ≥0.88 or the row's tokens within the
//     register's ("GUADALUPE" for "MARIA GUADALUPE"), different. Birth date:
//     exact, day and month swapped, one of year/month/day differs,
//     different. Sex; entidad; sección (same sección, same municipio only,
//     different: compared only when the entidad agrees). Street and número
//     exterior, colonia, postal code, in the form of addrKey (addr.Canonical,
//     then type words and S/N spellings dropped, since released copies and
//     leaks spell them differently). Credential numbers (CIC, OCR, emisión).
//     A value missing on either side is level 0: no evidence either way.
//  3. Weights. A level ℓ of field f adds W = log2(m_f(ℓ)/u_f(ℓ)) to the pair's
//     score, m = P(ℓ | same person), u = P(ℓ | different persons). u is
//     measured on 100,000 random pairs of the register (exact agreement of
//     names and birth dates: Σ f_v² over people, the chance two random people
//     share a value); the sección's u on pairs of the same entidad; street,
//     colonia and postal code have a second u, on pairs of the same sección,
//     used when the pair shares it (they follow from the sección; counting
//     them at their national u as well would count one fact twice). An exact
//     or close name agreement is worth at most log2(m/f_v), f_v the value's
//     share of people (term-frequency adjustment): JUAN HERNANDEZ agrees for
//     fewer bits than a rare name. m starts from priors and, in LinkAll, is
//     re-estimated by EM on the batch's candidate pairs under a
//     one-match-per-row constraint (see em), so that a batch full of swapped
//     dates learns that swapped dates are normal there.
//  4. Decision. A person's score is the best score of their versions. The row
//     is linked to the best person only if its score W₁ ≥ log2(N) +
//     Options.Threshold (N people in the register: a stranger's row passes
//     against someone with probability at most N·2^−W₁) and it beats the best
//     other person by W₁ − W₂ ≥ Options.Margin bits (6: 64 to 1);
//     otherwise it stays unlinked with Reason "ambiguous" or "weak". The
//     register is full of near-duplicates (JUAN HERNANDEZ HERNANDEZ by the
//     thousand, twins, households sharing surnames and address), and a wrong
//     link is worse than no link.
//
// Of the linked person, the versions whose score is within
// Options.VersionTolerance bits of that person's best are the versions the
// row agrees with; their validity intervals are what the dating step reads.
//
// # Example
//
//	ix := linkage.NewIndex(register.INE())
//	err := st.Versions(ctx, func(v *register.Version) error { ix.Add(v); return nil })
//	ix.Freeze()
//	ms := ix.LinkAll(rows) // rows in schema order, "" for absent fields
//	// ms[i].Method == "probabilistic", ms[i].PersonID == 4711,
//	// ms[i].Weight == 41.3, ms[i].Versions == [{2018-03-01 2019-07-15}]
//
// # Memory
//
// The index keeps per version about 80 bytes of interned field ids, one
// 16-byte entry per person key and one 8-byte entry per blocking pass
// (passes whose key a person's next version repeats are not stored twice),
// plus each distinct string once: about 170 bytes per version measured on
// synth's padrón, 1.7 GB for 10M versions (docs/perf-linkage.md).
package linkage

import (
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/huella/huella/internal/register"
)

// The methods a Match reports.
const (
	MethodCURP          = "curp"
	MethodClave         = "clave"
	MethodProbabilistic = "probabilistic"
	MethodNone          = "none"
)

// Options tune the decision and blocking.
type Options struct {
	// Threshold is the least score (log2 likelihood ratio) of a link, in
	// bits above log2 of the number of people in the register: a row of
	// someone not in the register scores at least t bits against a given
	// person with probability at most 2^-t (the likelihood ratio's mean
	// among non-matches is 1), so against any of N people at most N·2^-t.
	Threshold float64
	// Margin is the least lead, in bits, of the best person over the second.
	Margin float64
	// VersionTolerance: versions of the linked person scoring within this many
	// bits of the best are reported as agreeing with the row.
	VersionTolerance float64
	// MaxBlock: a block with more versions than this is not probed.
	MaxBlock int
	// EMRows is how many rows of a batch EM samples (evenly spread).
	EMRows int
	// NoEM keeps the prior m values in LinkAll.
	NoEM bool
}

// DefaultOptions are the options NewIndex starts with.
func DefaultOptions() Options {
	return Options{Threshold: 6, Margin: 6, VersionTolerance: 0.5, MaxBlock: 5000, EMRows: 5000}
}

// Span is a validity interval [From, To) of one version; To is
// register.NoDate while the version is current.
type Span struct{ From, To register.Date }

// FieldAgreement is how one compared field of the row agrees with the
// linked version, and the weight that added.
type FieldAgreement struct {
	Field  string  `json:"field"`
	Level  string  `json:"level"`
	Weight float64 `json:"weight"`
}

// Match is the linkage of one leaked row.
type Match struct {
	Method   string // MethodCURP, MethodClave, MethodProbabilistic or MethodNone
	PersonID uint64 // meaningful unless Method is MethodNone
	// ValidFrom and ValidTo bound the union of the agreeing versions'
	// intervals (the earliest start, the latest end).
	ValidFrom, ValidTo register.Date
	// Versions lists the validity intervals of the person's versions that
	// agree with the row, in time order.
	Versions []Span
	// Weight is the score of the best person (of the linked one when linked),
	// 0 when there was no candidate; Second the score of the best other
	// person, 0 when Candidates < 2. Both are finite, so they encode as JSON.
	Weight, Second float64
	// Candidates is the number of distinct persons compared.
	Candidates int
	// Agreement is, field by field, how the row agrees with the best version.
	Agreement []FieldAgreement
	// Reason says why a row is not linked: "no_candidates", "weak"
	// (score under the threshold) or "ambiguous" (margin too small).
	Reason string
}

// Matched tells whether the row was linked to a person.
func (m *Match) Matched() bool { return m.Method != MethodNone && m.Method != "" }

// Model is the index's current model: the priors for m and u from the
// register. LinkAll estimates its own from the batch; see Fit.
func (ix *Index) Model() *Model { return ix.prior }

// Link links one row with the prior model (no EM). It is safe for
// concurrent use.
func (ix *Index) Link(rec register.Record) Match {
	return ix.LinkWith(ix.prior, rec)
}

// scratchPool recycles working memory (the memo table is 24 KiB) between
// single-row calls.
var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// LinkWith links one row with the given model (from Fit).
func (ix *Index) LinkWith(md *Model, rec register.Record) Match {
	ix.mustFrozen()
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	return ix.link(rec, md, s)
}

// LinkAll links a batch of rows: it estimates the model on the batch with Fit
// (unless Options.NoEM), then links every row with it, on up to two cores.
func (ix *Index) LinkAll(recs []register.Record) []Match {
	ix.mustFrozen()
	md := ix.prior
	if !ix.opts.NoEM {
		md = ix.Fit(recs)
	}
	out := make([]Match, len(recs))
	parallel(len(recs), func(lo, hi int) {
		var s scratch
		for i := lo; i < hi; i++ {
			out[i] = ix.link(recs[i], md, &s)
		}
	})
	return out
}

// Fit estimates a model for a batch: EM over the candidate pairs of up to
// Options.EMRows rows that are not linked by a key.
func (ix *Index) Fit(recs []register.Record) *Model {
	ix.mustFrozen()
	step := 1
	if n := ix.opts.EMRows; n > 0 && len(recs) > n {
		step = (len(recs) + n - 1) / n
	}
	nSample := (len(recs) + step - 1) / step
	perRow := make([]map[gamma]int, nSample)
	parallel(nSample, func(lo, hi int) {
		var s scratch
		for k := lo; k < hi; k++ {
			ix.prepare(recs[k*step], &s.p)
			if len(ix.exactPersons(&s)) > 0 {
				continue
			}
			gs := map[gamma]int{}
			ix.eachCandidateVersion(&s, func(v *ver) {
				g, _ := ix.compare(&s.p, v, nil)
				gs[g]++
			})
			perRow[k] = gs
		}
	})
	var b batchPairs
	for _, gs := range perRow {
		if len(gs) > 0 {
			b.addRow(gs)
		}
	}
	return em(ix.prior, &b)
}

func (ix *Index) mustFrozen() {
	if !ix.frozen {
		panic("linkage: Link before Freeze")
	}
}

// parallel runs fn over [0,n) split in chunks on up to two goroutines (the
// machine budget huella plans for).
func parallel(n int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), 2)
	if n < 64 || workers < 2 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	const chunk = 256
	next := make(chan int, (n+chunk-1)/chunk)
	for lo := 0; lo < n; lo += chunk {
		next <- lo
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				fn(lo, min(lo+chunk, n))
			}
		}()
	}
	wg.Wait()
}

// scratch is per-goroutine working memory.
type scratch struct {
	p     prepared
	cand  []uint32
	keyed []uint32
	// keyMethod is the key exactPersons found the row by.
	keyMethod string
}

// exactPersons looks the row's CURP, then clave, up; it returns the versions
// found with the first key that finds any, and records which key in s.
func (ix *Index) exactPersons(s *scratch) []uint32 {
	s.keyed = s.keyed[:0]
	if s.p.curp != "" {
		s.keyed, s.keyMethod = ix.lookupKey(fnv64(s.p.curp)^curpSalt, s.keyed), MethodCURP
		if len(s.keyed) > 0 {
			return s.keyed
		}
	}
	if s.p.clave != "" {
		s.keyed, s.keyMethod = ix.lookupKey(fnv64(s.p.clave)^claveSalt, s.keyed), MethodClave
	}
	return s.keyed
}

// candidates gathers the versions sharing a block key with the row, sorted.
func (ix *Index) candidates(s *scratch) []uint32 {
	s.cand = s.cand[:0]
	for _, k := range rowKeys(&s.p) {
		ents := ix.blocks.lookup(k)
		if len(ents) > ix.opts.MaxBlock {
			continue
		}
		for _, e := range ents {
			s.cand = append(s.cand, uint32(e))
		}
	}
	slices.Sort(s.cand)
	s.cand = slices.Compact(s.cand)
	return s.cand
}

// eachCandidateVersion calls fn for every version of every person that has
// a version among the row's candidates.
func (ix *Index) eachCandidateVersion(s *scratch, fn func(v *ver)) {
	lastHi := uint32(0)
	for _, vi := range ix.candidates(s) {
		if vi < lastHi {
			continue
		}
		lo, hi := ix.personRange(vi)
		lastHi = hi
		for j := lo; j < hi; j++ {
			fn(&ix.vers[j])
		}
	}
}

// personScore is a person's best version score.
type personScore struct {
	lo, hi uint32 // the person's versions
	best   float64
}

func (ix *Index) link(rec register.Record, md *Model, s *scratch) Match {
	ix.prepare(rec, &s.p)
	method := MethodProbabilistic
	vis := ix.exactPersons(s)
	if len(vis) > 0 {
		method = s.keyMethod
	} else {
		vis = ix.candidates(s)
	}
	m := Match{Method: MethodNone}
	var best, second personScore
	best.best, second.best = math.Inf(-1), math.Inf(-1)
	lastHi := uint32(0)
	for _, vi := range vis {
		if vi < lastHi {
			continue // this person is scored already
		}
		lo, hi := ix.personRange(vi)
		lastHi = hi
		ps := personScore{lo: lo, hi: hi, best: math.Inf(-1)}
		for j := lo; j < hi; j++ {
			_, w := ix.compare(&s.p, &ix.vers[j], md)
			ps.best = math.Max(ps.best, w)
		}
		m.Candidates++
		switch {
		case ps.best > best.best:
			second, best = best, ps
		case ps.best > second.best:
			second = ps
		}
	}
	if m.Candidates == 0 {
		m.Reason = "no_candidates"
		return m
	}
	m.Weight = best.best
	if m.Candidates > 1 {
		m.Second = second.best
	}
	ix.describe(&m, &s.p, md, best)
	if method == MethodProbabilistic {
		switch {
		case best.best < ix.threshold():
			m.Reason = "weak"
			return m
		case best.best-second.best < ix.opts.Margin:
			m.Reason = "ambiguous"
			return m
		case md.strangers && ix.nameDiffers(&s.p, md, best):
			m.Reason = "name_differs"
			return m
		}
	}
	m.Method = method
	m.PersonID = ix.vers[best.lo].person
	return m
}

// nameDiffers tells whether the row's given name or a surname is wholly
// different from the best version of the person it would link to (not a
// typo, an abbreviation or a missing part: those are close, similar or
// missing) while no birth date agrees to the day. It is asked of batches
// of rows mostly not in the register (Model.strangers), where a sibling,
// a cousin or a namesake of the same sección, scoring high on a rare
// surname and the sección, is far likelier than the person: in a batch of
// our own rows a name typed wrong is still the person, and is linked.
func (ix *Index) nameDiffers(p *prepared, md *Model, ps personScore) bool {
	for j := ps.lo; j < ps.hi; j++ {
		g, w := ix.compare(p, &ix.vers[j], md)
		if w != ps.best {
			continue
		}
		if g.level(fNacimiento) == 1 {
			return false
		}
		for _, f := range []int{fNombre, fPaterno, fMaterno} {
			if g.level(f) == nLevels[f] {
				return true
			}
		}
		return false
	}
	return false
}

// threshold is the least score of a probabilistic link.
func (ix *Index) threshold() float64 {
	return math.Log2(float64(max(ix.people, 2))) + ix.opts.Threshold
}

// describe fills the agreeing versions and the field agreement of the best
// person into m.
func (ix *Index) describe(m *Match, p *prepared, md *Model, ps personScore) {
	m.ValidFrom, m.ValidTo = register.NoDate, 0
	var bestG gamma
	bestW := math.Inf(-1)
	for j := ps.lo; j < ps.hi; j++ {
		v := &ix.vers[j]
		g, w := ix.compare(p, v, md)
		if w > bestW {
			bestW, bestG = w, g
		}
		if w >= ps.best-ix.opts.VersionTolerance {
			m.Versions = append(m.Versions, Span{v.from, v.to})
			m.ValidFrom = min(m.ValidFrom, v.from)
			m.ValidTo = max(m.ValidTo, v.to)
		}
	}
	for f := 0; f < nFields; f++ {
		l := bestG.level(f)
		if l == 0 {
			continue
		}
		m.Agreement = append(m.Agreement, FieldAgreement{fieldNames[f], levelNames[f][l], md.weight(f, l, bestG.level(fSeccion) == 1)})
	}
}
