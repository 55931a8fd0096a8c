// Package report owns the outputs of one leak analysis: the JSON report (the
// contract other tools and the web server read), the HTML report for people
// and the short terminal summary, and the case folder that holds them.
//
// # JSON (format "huella analysis v1")
//
//	{"format": "huella analysis v1",
//	 "analysis_id": "a1-<24 hex>",
//	 "input": {"name", "sha256", "rows", "format", "encoding", "compression", "skipped", "truncated"},
//	 "columns": [{"index", "header", "field", "extra", "confidence"}],
//	 "verdict": "ours" | "partial" | "same_people_other_source" | "not_ours",
//	 "verdict_reason": "...",
//	 "match": {"rows_matched", "match_rate", "rows_exact", "field_agreement",
//	           "by_method": {"curp": n, ...}, "fields": [{"field", "compared", "agreeing"}]},
//	 "cutoff": {"earliest", "latest", "best_earliest", "best_latest",
//	            "agreeing_fraction", "rows_dated", "confidence", "open_start",
//	            "open_end", "snapshots_only", "note",
//	            "other_cuts": [{"earliest", "latest", "rows", "agreeing_fraction", "share"}],
//	            "curve": [{"day", "count"}]} | null,
//	 "attribution_status": "accused" | "inconclusive" | "no_release_matches" | "not_applicable",
//	 "attribution_note": "...",
//	 "attribution": [{"recipient", "release_id", "as_of", "accused", "score",
//	                  "threshold", "false_accusation_bound",
//	                  "log10_false_accusation_bound", "evidence": {...}}],
//	 "affected": {"people", "by_entidad": {"09": n, ...},
//	              "by_seccion": [{"entidad", "seccion", "people"}]},
//	 "store": {"people", "versions", "first", "last"},
//	 "limitations": ["..."]}
//
// Dates are ISO YYYY-MM-DD; fractions are rounded to 6 decimals. The JSON
// holds no wall-clock time and no path of the machine that ran it, so the same
// analysis of the same file against the same store and ledger is byte
// identical. analysis_id is "a1-" and the first 24 hex digits of
// SHA-256("huella analysis id v1\n" + input sha256 + "\n" + store state +
// "\n" + each release id considered, one a line) (see ID).
//
// The HTML report adds what must not be in the JSON because it changes when
// the ledger grows: the ledger checkpoint, the inclusion proof of the
// analysis entry, the tool version and the command line (Manifest).
//
// # Case folder
//
//	DIR/cases/<analysis_id>/report.json
//	DIR/cases/<analysis_id>/report.html
//	DIR/cases/<analysis_id>/affected.csv   (curp per line, header "curp"; mode 0600)
package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// Format is the first field of every JSON report.
const Format = "huella analysis v1"

// Verdicts.
const (
	Ours                  = "ours"
	Partial               = "partial"
	SamePeopleOtherSource = "same_people_other_source"
	NotOurs               = "not_ours"
)

// Attribution statuses.
const (
	StatusAccused          = "accused"
	StatusInconclusive     = "inconclusive"
	StatusNoReleaseMatches = "no_release_matches"
	StatusNotApplicable    = "not_applicable" // the leak is not from the register
)

// Report is one analysis.
type Report struct {
	Format            string        `json:"format"`
	AnalysisID        string        `json:"analysis_id"`
	Input             Input         `json:"input"`
	Columns           []Column      `json:"columns"`
	Verdict           string        `json:"verdict"`
	VerdictReason     string        `json:"verdict_reason"`
	Match             Match         `json:"match"`
	Cutoff            *Cutoff       `json:"cutoff"`
	AttributionStatus string        `json:"attribution_status"`
	AttributionNote   string        `json:"attribution_note,omitempty"`
	Attribution       []Attribution `json:"attribution"`
	Affected          Affected      `json:"affected"`
	Store             Store         `json:"store"`
	Limitations       []string      `json:"limitations"`
}

// Input describes the leaked file as read.
type Input struct {
	Name        string `json:"name"` // base name of the file
	SHA256      string `json:"sha256"`
	Rows        int    `json:"rows"`
	Format      string `json:"format"`
	Encoding    string `json:"encoding"`
	Compression string `json:"compression,omitempty"`
	Skipped     int    `json:"skipped"`             // rows the reader could not use
	Truncated   bool   `json:"truncated,omitempty"` // the file ends in the middle of a record or stream
	// Repaired counts lines of UTF-8 encoded twice ("PEÃ‘A" for "PEÑA")
	// read as they were written first.
	Repaired int `json:"repaired_lines,omitempty"`
	// SkippedParts says what was skipped and where, for the first
	// MaxSkippedParts skips (a line of 0: the part is not a line, as a
	// zip entry or a sheet).
	SkippedParts []SkippedPart `json:"skipped_parts,omitempty"`
}

// SkippedPart is one part of the input the reader did not use.
type SkippedPart struct {
	Line   int64  `json:"line,omitempty"`
	Reason string `json:"reason"`
}

// MaxSkippedParts bounds Input.SkippedParts.
const MaxSkippedParts = 20

// Column is one column of the leak and the register field it holds.
type Column struct {
	Index  int    `json:"index"`
	Header string `json:"header"`
	Field  string `json:"field"` // register field, "" when none
	// Fields, for a column holding several fields (a full name, both
	// surnames), lists them all, Field among them.
	Fields     []string `json:"fields,omitempty"`
	Extra      string   `json:"extra,omitempty"` // e.g. "phone", "email": not in the register
	Confidence float64  `json:"confidence"`
}

// Match summarises linkage of the leak's rows to the register.
type Match struct {
	RowsMatched    int              `json:"rows_matched"`
	MatchRate      float64          `json:"match_rate"`
	RowsExact      int              `json:"rows_exact"` // every compared field agrees with a version
	FieldAgreement float64          `json:"field_agreement"`
	ByMethod       map[string]int   `json:"by_method"`
	Fields         []FieldAgreement `json:"fields"`
}

// FieldAgreement counts, for one field, matched rows where the leak has a
// value and how many agree with the matched person's best version.
type FieldAgreement struct {
	Field    string `json:"field"`
	Compared int    `json:"compared"`
	Agreeing int    `json:"agreeing"`
}

// Cutoff is the dated cut-off (package dating).
type Cutoff struct {
	Earliest         string  `json:"earliest"`
	Latest           string  `json:"latest"`
	BestEarliest     string  `json:"best_earliest"`
	BestLatest       string  `json:"best_latest"`
	AgreeingFraction float64 `json:"agreeing_fraction"`
	RowsDated        int     `json:"rows_dated"`
	Confidence       float64 `json:"confidence"`
	OpenStart        bool    `json:"open_start"`
	OpenEnd          bool    `json:"open_end"`
	SnapshotsOnly    bool    `json:"snapshots_only"`
	Note             string  `json:"note,omitempty"`
	// OtherCuts dates the rows that disagree with this cut, when they are
	// many: a file mixed from copies cut at different instants.
	OtherCuts []OtherCut   `json:"other_cuts,omitempty"`
	Curve     []CurvePoint `json:"curve"`
}

// OtherCut is a second cut found among the rows that disagree with the main one.
type OtherCut struct {
	Earliest         string  `json:"earliest"`
	Latest           string  `json:"latest"`
	Rows             int     `json:"rows"`
	AgreeingFraction float64 `json:"agreeing_fraction"`
	// Share is, of the dated rows that tell the two cuts apart (most rows
	// agree with both: people who did not change between them), the share
	// this cut explains: about the share of the file its copy gave.
	Share float64 `json:"share"`
}

// CurvePoint is one step of the agreement curve: from Day on, Count rows agree.
type CurvePoint struct {
	Day   string `json:"day"`
	Count int    `json:"count"`
}

// Attribution is the score of one logged release.
type Attribution struct {
	Recipient string  `json:"recipient"`
	ReleaseID string  `json:"release_id"`
	AsOf      string  `json:"as_of"`
	Accused   bool    `json:"accused"`
	Score     float64 `json:"score"`
	// Threshold is the evidence strength, −log10 of the false-accusation
	// bound, a release must reach to be accused: −log10 ε.
	Threshold            float64 `json:"threshold"`
	FalseAccusationBound float64 `json:"false_accusation_bound"`
	// Log10Bound is log10 of the bound (its strength is −Log10Bound), kept
	// because the bound may fall below float64's range (then
	// FalseAccusationBound reads 0).
	Log10Bound float64  `json:"log10_false_accusation_bound"`
	Evidence   Evidence `json:"evidence"`
}

// Evidence is what each carrier showed for one release.
type Evidence struct {
	Marks       int       `json:"marks"`         // marks seen in the leak
	Agreeing    int       `json:"agreeing"`      // of those, agreeing with this release's codeword
	Canaries    int       `json:"canaries"`      // this release's canary people found
	OrderStat   float64   `json:"order_p_value"` // P(row order this aligned | innocent copy)
	OrderNote   string    `json:"order_note,omitempty"`
	CutInstant  string    `json:"cut_instant,omitempty"` // the release's as-of
	CutAgrees   bool      `json:"cut_agrees"`            // the leak's cut-off band holds it
	Carriers    []Carrier `json:"carriers,omitempty"`
	Missing     []string  `json:"missing,omitempty"`      // what kept carriers silent, what would suffice
	MarksNeeded int       `json:"marks_needed,omitempty"` // not accused: the marks that would name a copy
	FormsErased bool      `json:"forms_erased,omitempty"` // not accused: the address forms are all written one way (canonicalised), their marks erased
	Description string    `json:"description,omitempty"`
}

// Carrier is one fingerprint carrier's evidence.
type Carrier struct {
	Name       string  `json:"name"`
	Bound      float64 `json:"bound"` // P(evidence this strong | innocent copy)
	Log10Bound float64 `json:"log10_bound"`
	Detail     string  `json:"detail"`
}

// Affected counts the people exposed.
type Affected struct {
	People    int            `json:"people"`
	ByEntidad map[string]int `json:"by_entidad"`
	BySeccion []SeccionCount `json:"by_seccion"`
}

// SeccionCount is the number of exposed people in one section of one entidad.
type SeccionCount struct {
	Entidad string `json:"entidad"`
	Seccion string `json:"seccion"`
	People  int    `json:"people"`
}

// Store is the state of the register store the leak was compared with.
type Store struct {
	People   int64  `json:"people"`
	Versions int64  `json:"versions"`
	First    string `json:"first"`
	Last     string `json:"last"`
}

// ID derives the analysis id from what the analysis depends on.
func ID(inputSHA256, storeState string, releaseIDs []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "huella analysis id v1\n%s\n%s\n", inputSHA256, storeState)
	for _, id := range releaseIDs {
		fmt.Fprintf(h, "%s\n", id)
	}
	return "a1-" + hex.EncodeToString(h.Sum(nil))[:24]
}

// Round6 rounds a fraction to 6 decimals, so JSON shows no float noise.
func Round6(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*1e6) / 1e6
}

// JSON encodes the report, indented, with a final newline.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return append(b, '\n'), nil
}

// Decode reads a JSON report.
func Decode(b []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	if r.Format != Format {
		return nil, fmt.Errorf("decode report: format %q, expected %q", r.Format, Format)
	}
	return &r, nil
}

// Accused lists the recipients accused.
func (r *Report) Accused() []Attribution {
	var out []Attribution
	for _, a := range r.Attribution {
		if a.Accused {
			out = append(out, a)
		}
	}
	return out
}

// Summary is the short terminal summary, a few lines.
func (r *Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "analysis %s: %s (%d rows, %s, %s)\n", r.AnalysisID, r.Input.Name, r.Input.Rows, r.Input.Format, r.Input.Encoding)
	fmt.Fprintf(&b, "  verdict:     %s — %s\n", strings.ToUpper(r.Verdict), r.VerdictReason)
	agreement := "n/a"
	if r.Match.RowsMatched > 0 {
		agreement = Percent(r.Match.FieldAgreement)
	}
	fmt.Fprintf(&b, "  matched:     %d of %d rows (%s), field agreement %s\n",
		r.Match.RowsMatched, r.Input.Rows, Percent(r.Match.MatchRate), agreement)
	if c := r.Cutoff; c != nil {
		span := c.Earliest
		if c.Latest != c.Earliest {
			span += " … " + c.Latest
		}
		fmt.Fprintf(&b, "  cut-off:     %s (%.0f%% confidence; %.1f%% of %d dated rows agree)\n", span, 100*c.Confidence, 100*c.AgreeingFraction, c.RowsDated)
		if c.Note != "" {
			fmt.Fprintf(&b, "               %s\n", c.Note)
		}
	} else {
		fmt.Fprintf(&b, "  cut-off:     none (not dated)\n")
	}
	fmt.Fprintf(&b, "  attribution: %s", r.AttributionStatus)
	if acc := r.Accused(); len(acc) > 0 {
		names := make([]string, len(acc))
		for i, a := range acc {
			names[i] = fmt.Sprintf("%s (release %s, as of %s, false-accusation bound %s)", a.Recipient, a.ReleaseID, a.AsOf, BoundText(a.FalseAccusationBound, a.Log10Bound))
		}
		fmt.Fprintf(&b, " — %s", strings.Join(names, "; "))
	}
	b.WriteString("\n")
	if r.AttributionNote != "" {
		fmt.Fprintf(&b, "               %s\n", r.AttributionNote)
	}
	switch e := len(r.Affected.ByEntidad); {
	case r.Affected.People == 0:
		b.WriteString("  exposed:     no one\n")
	case e == 1:
		fmt.Fprintf(&b, "  exposed:     %s in 1 entidad\n", count(r.Affected.People, "person", "people"))
	default:
		fmt.Fprintf(&b, "  exposed:     %s in %d entidades\n", count(r.Affected.People, "person", "people"), e)
	}
	return b.String()
}

// Percent writes a share as a percentage with one decimal, never rounding
// a share that is not nothing to 0.0% nor one that is not all to 100.0%.
func Percent(x float64) string {
	switch {
	case x > 0 && x < 0.0005:
		return "<0.1%"
	case x < 1 && x >= 0.9995:
		return ">99.9%"
	}
	return fmt.Sprintf("%.1f%%", 100*x)
}

// ProofLog10 is the log10 bound written for evidence that is proof by
// itself (a canary of one copy): JSON holds no −∞. Statistical evidence
// never reaches it (a 10⁸-row order statistic gives about −10⁹).
const ProofLog10 = -1e300

// BoundText prints a probability bound, from its log10 when it underflows.
func BoundText(b, log10 float64) string {
	switch {
	case math.IsInf(log10, -1) || log10 <= ProofLog10:
		return "0 (a canary: proof by itself)"
	case b > 0 || log10 == 0:
		return fmt.Sprintf("%.1e", b)
	default:
		return fmt.Sprintf("1e%.0f", math.Floor(log10))
	}
}

// Strength is the evidence strength of an attribution, −log10 of its
// false-accusation bound (∞ for a canary).
func (a Attribution) Strength() float64 { return -a.Log10Bound }
