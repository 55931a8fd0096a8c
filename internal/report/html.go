package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"

	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// Manifest is the evidence that belongs to the HTML report but not to the
// JSON contract: it changes as the ledger grows or with the machine.
type Manifest struct {
	InputSHA256    string
	Outputs        []Output // files written and their SHA-256 (report.json, affected.csv, ...)
	Checkpoint     string   // the ledger's signed checkpoint (note text)
	LedgerIndex    int64    // index of the analysis entry in the ledger, -1 if none
	InclusionProof string   // the analysis entry's inclusion proof, as text
	ToolVersion    string
	CommandLine    string
}

// Output is one file written by the analysis.
type Output struct {
	Name   string
	SHA256 string
}

//go:embed report.html.tmpl
var tmplFS embed.FS

var htmlTmpl = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"pct":      Percent,
	"upper":    strings.ToUpper,
	"sci":      func(x float64) string { return fmt.Sprintf("%.1e", x) },
	"bound":    BoundText,
	"f2":       func(x float64) string { return fmt.Sprintf("%.2f", x) },
	"count":    count,
	"span":     span,
	"cutPlace": cutPlace,
	"orderP":   orderP,
}).ParseFS(tmplFS, "report.html.tmpl"))

// htmlData is what the template sees.
type htmlData struct {
	R           *Report
	M           Manifest
	VerdictText string
	VerdictCSS  string
	CutoffSVG   template.HTML
	CutoffZoom  template.HTML
	ScoresSVG   template.HTML
	EntidadSVG  template.HTML
	Entidades   []entidadRow
	Strongest   string // the release with the strongest evidence: its details are shown
	CutoffText  string // the chart's caption: which days the rows agree with
	Sections    []SeccionCount
}

type entidadRow struct {
	Code, Name string
	People     int
}

// HTML renders the report for people: self-contained, no script, no CDN.
func (r *Report) HTML(m Manifest) ([]byte, error) {
	d := htmlData{R: r, M: m}
	switch r.Verdict {
	case Ours:
		d.VerdictText, d.VerdictCSS = "The leaked data is ours", "ours"
	case Partial:
		d.VerdictText, d.VerdictCSS = "Part of the leaked data is ours; the rest comes from elsewhere", "partial"
	case SamePeopleOtherSource:
		// Identity fields alone, or addresses written another way, cannot
		// tell our copy from another register of the same people.
		d.VerdictText, d.VerdictCSS = "Same people as our register: not shown to be our copy", "other"
	default:
		d.VerdictText, d.VerdictCSS = "Not ours", "notours"
	}
	if r.Cutoff != nil {
		d.CutoffText = cutoffText(r.Cutoff)
		d.CutoffSVG = cutoffSVG(r.Cutoff, r.Attribution, 0, 0)
		if e, err := register.ParseDate(r.Cutoff.Earliest); err == nil {
			if l, err := register.ParseDate(r.Cutoff.Latest); err == nil {
				pad := max(30, 2*(l-e))
				d.CutoffZoom = cutoffSVG(r.Cutoff, r.Attribution, e-pad, l+pad+1)
			}
		}
	}
	d.ScoresSVG = scoresSVG(r.Attribution)
	best := 0.0
	for _, a := range r.Attribution {
		if a.Strength() > best {
			best, d.Strongest = a.Strength(), a.ReleaseID
		}
	}
	for code, n := range r.Affected.ByEntidad {
		name := code
		if e, ok := ident.EntidadByCode(code); ok {
			name = e.Name
		}
		d.Entidades = append(d.Entidades, entidadRow{code, name, n})
	}
	slices.SortFunc(d.Entidades, func(a, b entidadRow) int {
		if a.People != b.People {
			return b.People - a.People
		}
		return strings.Compare(a.Code, b.Code)
	})
	d.EntidadSVG = entidadSVG(d.Entidades)
	d.Sections = topSections(r.Affected.BySeccion, 20)
	var buf bytes.Buffer
	if err := htmlTmpl.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("render html report: %w", err)
	}
	return buf.Bytes(), nil
}

// topSections is the n sections with the most people, most first, ties in
// the order given: a stable sort's first n, without sorting a national
// leak's seventy thousand sections.
func topSections(all []SeccionCount, n int) []SeccionCount {
	if n <= 0 {
		return nil
	}
	top := make([]SeccionCount, 0, n+1)
	for _, s := range all {
		if len(top) == n && s.People <= top[n-1].People {
			continue
		}
		i := len(top)
		for i > 0 && top[i-1].People < s.People {
			i--
		}
		top = slices.Insert(top, i, s)
		if len(top) > n {
			top = top[:n]
		}
	}
	return top
}

// count prints n with its noun, singular or plural: "1 row", "2 rows".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// span prints the days from a to b, one date when they are the same day.
func span(a, b string) string {
	if a == b || b == "" {
		return a
	}
	return a + " … " + b
}

// within reports whether ISO date d lies in [from, to].
func within(d, from, to string) bool { return from <= d && d <= to }

// cutPlace says where a release's instant lies against the leak's cuts:
// in the main band, in another cut mixed into the file, or in neither.
func cutPlace(c *Cutoff, e Evidence) string {
	switch {
	case c == nil && e.CutAgrees:
		return "(inside the cut-off band)"
	case c == nil:
		return "(outside the band)"
	case within(e.CutInstant, c.Earliest, c.Latest):
		return "(inside the cut-off band)"
	}
	for _, o := range c.OtherCuts {
		if within(e.CutInstant, o.Earliest, o.Latest) {
			return "(the other cut mixed in)"
		}
	}
	return "(outside the band)"
}

// orderP prints the row-order p-value; one that underflowed to 0 is
// printed from the row_order carrier's log10 bound, as it is not 0.
func orderP(a Attribution) string {
	p := a.Evidence.OrderStat
	if p > 0 {
		return fmt.Sprintf("%.1e", p)
	}
	for _, c := range a.Evidence.Carriers {
		if c.Name == "row_order" && c.Log10Bound < 0 {
			return BoundText(c.Bound, c.Log10Bound)
		}
	}
	return "<1e-308"
}

// cutoffText is the caption under the cut-off chart. A file mixed from two
// cuts may agree best with a day between them that dates neither copy
// (some rows changed before the later cut, others after the earlier one):
// then the caption names the curve's peak apart from the cuts, each with
// its rows, and does not call the band what most rows agree with.
func cutoffText(c *Cutoff) string {
	best := "Most rows agree with " + span(c.BestEarliest, c.BestLatest) + "."
	if len(c.OtherCuts) == 0 {
		return best
	}
	which, where := "another cut", "outside every cut: it dates no copy"
	if len(c.OtherCuts) == 1 {
		which, where = "the other cut", "outside both cuts: it dates neither copy"
	}
	var others []string
	for _, o := range c.OtherCuts {
		others = append(others, fmt.Sprintf("%s agree with %s, %s", count(o.Rows, "row", "rows"), which, span(o.Earliest, o.Latest)))
	}
	other := strings.Join(others, "; ") + ": the file mixes copies cut at different instants."
	from, to, n, ok := curvePeak(c.Curve)
	if !ok || overlaps(from, to, c.Earliest, c.Latest) {
		return best + " " + other
	}
	main := int(math.Round(float64(c.RowsDated) * c.AgreeingFraction))
	peak := "from " + from + " on"
	if to != "" {
		peak = span(from, to)
	}
	for _, o := range c.OtherCuts {
		if overlaps(from, to, o.Earliest, o.Latest) {
			where = "outside the cut-off band"
		}
	}
	return fmt.Sprintf("The curve peaks at %s (%s), %s. %s agree with the cut-off band, %s; %s",
		peak, count(n, "row", "rows"), where, count(main, "row", "rows"), span(c.Earliest, c.Latest), other)
}

// overlaps reports whether days [from, to] (to "": no end) meet [a, b].
func overlaps(from, to, a, b string) bool { return from <= b && (to == "" || to >= a) }

// curvePeak is the first step of the curve with the most rows: its first
// day, its last ("" when it runs to the end) and its count.
func curvePeak(curve []CurvePoint) (from, to string, n int, ok bool) {
	i := -1
	for j, p := range curve {
		if i < 0 || p.Count > curve[i].Count {
			i = j
		}
	}
	if i < 0 {
		return "", "", 0, false
	}
	if i+1 < len(curve) {
		if d, err := register.ParseDate(curve[i+1].Day); err == nil {
			to = (d - 1).String()
		}
	}
	return curve[i].Day, to, curve[i].Count, true
}

const svgW, svgH, padL, padR, padT, padB = 760.0, 220.0, 50.0, 10.0, 10.0, 40.0

// cutoffSVG draws the agreement curve as steps, the 95% band shaded and the
// release instants as ticks, over the whole curve or over days [from, to).
func cutoffSVG(c *Cutoff, atts []Attribution, from, to register.Date) template.HTML {
	if len(c.Curve) == 0 {
		return ""
	}
	day := func(s string) float64 {
		d, err := register.ParseDate(s)
		if err != nil {
			return 0
		}
		return float64(d)
	}
	x0 := day(c.Curve[0].Day)
	x1 := x0 + 1
	for _, p := range c.Curve {
		x1 = math.Max(x1, day(p.Day)+1)
	}
	// extend to the band's end so the last step is visible
	x1 = math.Max(x1, day(c.Latest)+1)
	if x1-x0 < 30 {
		x1 = x0 + 30
	}
	zoom := to > from
	if zoom {
		x0, x1 = math.Max(x0, float64(from)), math.Min(x1, float64(to))
	}
	// The steps inside the window, starting with the one in force at x0.
	var pts []CurvePoint
	for i, p := range c.Curve {
		dd := day(p.Day)
		if dd > x1 {
			break
		}
		if dd <= x0 {
			if i+1 < len(c.Curve) && day(c.Curve[i+1].Day) <= x0 {
				continue
			}
			p.Day = register.Date(x0).String()
		}
		pts = append(pts, p)
	}
	if len(pts) == 0 {
		return ""
	}
	maxC, minC := 1, pts[0].Count
	for _, p := range pts {
		maxC = max(maxC, p.Count)
		minC = min(minC, p.Count)
	}
	if !zoom {
		minC = 0
	} else if minC == maxC {
		minC = max(0, maxC-1)
	}
	X := func(d float64) float64 { return padL + (d-x0)/(x1-x0)*(svgW-padL-padR) }
	Y := func(n int) float64 {
		return padT + (1-float64(n-minC)/float64(maxC-minC))*(svgH-padT-padB)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-label="rows agreeing with each possible cut-off day">`, svgW, svgH)
	// band
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#fde68a"/>`,
		X(day(c.Earliest)), padT, math.Max(1.5, X(day(c.Latest)+1)-X(day(c.Earliest))), svgH-padT-padB)
	// steps
	var path strings.Builder
	for i, p := range pts {
		x := X(day(p.Day))
		if i == 0 {
			fmt.Fprintf(&path, "M%.1f %.1f", x, Y(p.Count))
		} else {
			fmt.Fprintf(&path, " H%.1f V%.1f", x, Y(p.Count))
		}
	}
	fmt.Fprintf(&path, " H%.1f", X(x1))
	fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="#1d4ed8" stroke-width="1.5"/>`, path.String())
	// axes
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333"/>`, padL, svgH-padB, svgW-padR, svgH-padB)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end">%d</text>`, padL-4, Y(maxC)+4, maxC)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end">%d</text>`, padL-4, Y(minC), minC)
	// year ticks, or month ticks on a zoomed chart
	y0, _, _ := register.Date(x0).YMD()
	y1, _, _ := register.Date(x1).YMD()
	for y := y0; y <= y1+1; y++ {
		months := []int{1}
		if zoom {
			months = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
		}
		for _, m := range months {
			d, err := register.DateOf(y, m, 1)
			if err != nil || float64(d) < x0 || float64(d) > x1 {
				continue
			}
			label := fmt.Sprint(y)
			if zoom {
				label = d.String()[:7]
			}
			x := X(float64(d))
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999"/><text x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%s</text>`,
				x, svgH-padB, x, svgH-padB+5, x, svgH-padB+18, label)
		}
	}
	// release instants
	seen := map[string]bool{}
	for _, a := range atts {
		if a.AsOf == "" || seen[a.AsOf] {
			continue
		}
		seen[a.AsOf] = true
		d := day(a.AsOf)
		if d < x0 || d > x1 {
			continue
		}
		x := X(d)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#b91c1c" stroke-dasharray="3 3"/><text x="%.1f" y="%.1f" font-size="10" fill="#b91c1c" text-anchor="middle">release %s</text>`,
			x, padT, x, svgH-padB, x, svgH-4, template.HTMLEscapeString(a.AsOf))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// scoresSVG draws one bar per release: its evidence strength (−log10 of
// the false-accusation bound, capped at 30) against the accusation
// threshold −log10 ε.
func scoresSVG(atts []Attribution) template.HTML {
	if len(atts) == 0 {
		return ""
	}
	const capS = 30.0
	maxS := 1.0
	for _, a := range atts {
		maxS = math.Max(maxS, math.Max(math.Min(a.Strength(), capS), a.Threshold))
	}
	rowH := 22.0
	h := rowH*float64(len(atts)) + 24
	left, width := 230.0, svgW-250
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-label="evidence strength of each release">`, svgW, h)
	for i, a := range atts {
		y := 5 + float64(i)*rowH
		s := math.Max(0, math.Min(a.Strength(), capS))
		w := s / maxS * width
		color := "#94a3b8"
		if a.Accused {
			color = "#b91c1c"
		}
		label := fmt.Sprintf("%s · %s", a.Recipient, a.AsOf)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end">%s</text>`, left-6, y+14, template.HTMLEscapeString(label))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, left, y+3, math.Max(w, 0.5), rowH-8, color)
		if a.Threshold > 0 {
			tx := left + a.Threshold/maxS*width
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#111" stroke-width="2"/>`, tx, y+1, tx, y+rowH-3)
		}
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="#555">bar: −log10 of the false-accusation bound (capped at %.0f); black tick: accusation threshold −log10 ε</text>`, left, h-4, capS)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func entidadSVG(rows []entidadRow) template.HTML {
	if len(rows) == 0 {
		return ""
	}
	maxN := max(1, rows[0].People)
	rowH := 18.0
	h := rowH*float64(len(rows)) + 6
	left, width := 180.0, svgW-250
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-label="people exposed by entidad">`, svgW, h)
	for i, r := range rows {
		y := 3 + float64(i)*rowH
		w := float64(r.People) / float64(maxN) * width
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end">%s %s</text>`, left-6, y+12, r.Code, template.HTMLEscapeString(r.Name))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#0f766e"/>`, left, y+2, math.Max(w, 0.5), rowH-5)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11">%d</text>`, left+w+4, y+12, r.People)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
