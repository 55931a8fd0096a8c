package analysis

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/huella/huella/internal/fingerprint"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/report"
)

// FalseAccusationTarget is ε, the largest probability the analysis accepts
// that any innocent recipient is accused (a union bound over every release
// and carrier tested).
const FalseAccusationTarget = 1e-6

func init() {
	newAttributor = func(key []byte, schema *register.Schema, taken func(curp, clave string) bool) Attributor {
		return fpAttributor{key: key, schema: schema, taken: taken}
	}
}

// fpAttributor scores releases with package fingerprint.
type fpAttributor struct {
	key    []byte
	schema *register.Schema
	taken  func(curp, clave string) bool
}

// fpReleases are the releases as package fingerprint takes them.
func fpReleases(rels []Release) ([]fingerprint.Release, error) {
	frs := make([]fingerprint.Release, len(rels))
	for i, r := range rels {
		p := fingerprint.DefaultParams()
		if len(r.Fingerprint) > 0 {
			if err := json.Unmarshal(r.Fingerprint, &p); err != nil {
				return nil, fmt.Errorf("release %s: fingerprint parameters: %w", r.ID, err)
			}
		}
		frs[i] = fingerprint.Release{ID: r.ID, Recipient: r.Recipient, AsOf: r.AsOf, Fields: r.Fields, Rows: r.Rows, Params: p}
	}
	return frs, nil
}

// firstMarks is how many address marks attribution scores first: enough
// to name a copy leaked whole or nearly (a canary or a bound far past the
// threshold). All the observed rows' marks (a few hundred thousand, a
// tenth of a second or more) are scored only when they may name more:
// see moreMarks.
const firstMarks = 20_000

// moreMarks reports whether the first scoring, of firstMarks marks, may
// have missed someone all the marks would name: it met the cap, and either
// no one was accused, or an accused copy's marks agree with the leak at
// under 99.5% (rows of other copies among its own: a colluder who gave
// few rows is named only with many marks).
func moreMarks(ev []fingerprint.Evidence) bool {
	capped, accused := false, false
	for _, e := range ev {
		if e.Marks >= firstMarks {
			capped = true
		}
		if e.Accused {
			accused = true
			if e.Marks > 0 && float64(e.Agreeing) < 0.995*float64(e.Marks) {
				return e.Marks >= firstMarks
			}
		}
	}
	return capped && !accused
}

func (a fpAttributor) CanaryCURPs(rels []Release) ([]string, error) {
	frs, err := fpReleases(rels)
	if err != nil {
		return nil, err
	}
	return fingerprint.CanaryCURPs(a.key, frs), nil
}

func (a fpAttributor) Attribute(rels []Release, obs []Observation) ([]report.Attribution, error) {
	frs, err := fpReleases(rels)
	if err != nil {
		return nil, err
	}
	iCURP := a.schema.Index(register.FCURP)
	fobs := make([]fingerprint.Observation, len(obs))
	for i, o := range obs {
		fobs[i] = fingerprint.Observation{Row: o.Row, PersonID: o.PersonID, Leaked: o.Leaked}
		if iCURP >= 0 && iCURP < len(o.Leaked) {
			fobs[i].CURP = o.Leaked[iCURP]
		}
	}
	opt := fingerprint.Options{Epsilon: FalseAccusationTarget, Schema: a.schema, Taken: a.taken, MaxMarks: firstMarks}
	ev := fingerprint.AttributeWith(a.key, frs, fobs, opt)
	if moreMarks(ev) {
		opt.MaxMarks = 0 // every mark of the observed rows (fingerprint's default)
		ev = fingerprint.AttributeWith(a.key, frs, fobs, opt)
	}
	out := make([]report.Attribution, len(ev))
	for i, e := range ev {
		at := report.Attribution{
			Recipient: e.Recipient, ReleaseID: e.ReleaseID, AsOf: rels[i].AsOf.String(), Accused: e.Accused,
			Score:                finite(e.Score),
			Threshold:            -math.Log10(FalseAccusationTarget),
			FalseAccusationBound: finite(e.FamilyBound),
			Log10Bound:           finite(e.Log10FamilyBound),
			Evidence: report.Evidence{
				Marks: e.Marks, Agreeing: e.Agreeing, Canaries: e.Canaries,
				OrderStat: finite(e.OrderPValue),
				Missing:   e.Missing, MarksNeeded: e.MarksNeeded, FormsErased: e.FormsErased,
			},
		}
		if e.OrderPairs > 0 {
			at.Evidence.OrderNote = fmt.Sprintf("%d ascents in %d adjacent pairs of this copy's order key", e.OrderAscents, e.OrderPairs)
		}
		for _, c := range e.Carriers {
			at.Evidence.Carriers = append(at.Evidence.Carriers, report.Carrier{Name: c.Carrier, Bound: finite(c.Bound), Log10Bound: finite(c.Log10Bound), Detail: c.Detail})
		}
		out[i] = at
	}
	return out, nil
}

// finite maps what JSON cannot hold: −∞ (a canary's log bound: proof by
// itself) to report.ProofLog10, +∞ and NaN to 0.
func finite(x float64) float64 {
	switch {
	case math.IsInf(x, -1):
		return report.ProofLog10
	case math.IsInf(x, 1), math.IsNaN(x):
		return 0
	}
	return x
}
