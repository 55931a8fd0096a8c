package linkage

import (
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/huella/huella/internal/register"
)

// The compared fields. Each comparison yields a level: 0 when either side is
// missing (no evidence), 1 for full agreement, higher for weaker agreement.
const (
	fNombre = iota
	fPaterno
	fMaterno
	fNacimiento
	fSexo
	fEntidad
	fSeccion // compared only when entidad agrees: its u is P(level | same entidad)
	fDomicilio
	fColonia
	fCP
	fCredencial
	nFields
)

const maxLevels = 5 // level 0 (missing) and up to four levels

var fieldNames = [nFields]string{"nombre", "apellido_paterno", "apellido_materno",
	"fecha_nacimiento", "sexo", "entidad", "seccion", "domicilio", "colonia", "codigo_postal", "credencial"}

// levels per field, level 0 (missing) not counted.
var nLevels = [nFields]int{4, 4, 4, 4, 2, 2, 3, 4, 2, 2, 2}

var levelNames = [nFields][maxLevels]string{
	fNombre:     {"missing", "exact", "close", "similar", "different"},
	fPaterno:    {"missing", "exact", "close", "similar", "different"},
	fMaterno:    {"missing", "exact", "close", "similar", "different"},
	fNacimiento: {"missing", "exact", "day_month_swapped", "one_part_differs", "different"},
	fSexo:       {"missing", "agree", "different"},
	fEntidad:    {"missing", "agree", "different"},
	fSeccion:    {"missing", "seccion", "municipio_only", "different"},
	fDomicilio:  {"missing", "exact", "similar", "number_differs", "different"},
	fColonia:    {"missing", "agree", "different"},
	fCP:         {"missing", "agree", "different"},
	fCredencial: {"missing", "agree", "different"},
}

// sameSeccionFields have a second u: P(level | different persons of the
// same sección). Street, colonia and postal code largely follow from the
// sección; counting them at their national u as well would count the same
// evidence twice.
var sameSeccionFields = [nFields]bool{fDomicilio: true, fColonia: true, fCP: true}

// priorM are the m probabilities before EM: P(level | same person), from
// the typing-error rates leaks show (one name in 10 to 20 with a typo, a few
// percent of dates garbled, a quarter of people moved since the copy).
var priorM = [nFields][maxLevels]float64{
	fNombre:     {0, 0.88, 0.06, 0.04, 0.02},
	fPaterno:    {0, 0.90, 0.06, 0.02, 0.02},
	fMaterno:    {0, 0.88, 0.06, 0.02, 0.04},
	fNacimiento: {0, 0.92, 0.03, 0.03, 0.02},
	fSexo:       {0, 0.99, 0.01},
	fEntidad:    {0, 0.97, 0.03},
	fSeccion:    {0, 0.85, 0.07, 0.08},
	fDomicilio:  {0, 0.75, 0.10, 0.05, 0.10},
	fColonia:    {0, 0.85, 0.15},
	fCP:         {0, 0.88, 0.12},
	fCredencial: {0, 0.85, 0.15},
}

// Model holds the Fellegi–Sunter parameters: for each field and level,
// m = P(level | same person) and u = P(level | different persons), and the
// weight log2(m/u) a level adds to a pair's score; USame and WSame are u and
// the weight of the sameSeccionFields when the pair shares the sección.
type Model struct {
	M, U, W, USame, WSame [nFields][maxLevels]float64
	LogM                  [nFields][maxLevels]float64 // log2 m
	// Lambda is, after EM, the share of rows whose person was among their
	// candidates (π in em).
	Lambda float64
	// EM tells whether the m values were estimated by EM on a batch (true)
	// or are the priors.
	EM         bool
	Iterations int
	Pairs      int // candidate pairs EM ran on
	// Refused says why EM's estimate was not used ("" when it was, or when
	// EM did not run).
	Refused string
	// strangers: EM was refused because the batch's rows are mostly
	// people not in the register (LinkWith then refuses links that rest
	// on a wholly different name: nameDiffers).
	strangers bool
}

func refuse(prior *Model, why string) *Model {
	md := *prior
	md.Refused = why
	return &md
}

// setWeights computes W = log2(m/u), then makes the weights of a field
// non-increasing from full agreement down: a level is never worth more
// than a closer one (u of a rare level, such as a street similar but not
// equal, is measured on few random pairs and would otherwise overshoot).
func (m *Model) setWeights() {
	for f := 0; f < nFields; f++ {
		for l := 1; l <= nLevels[f]; l++ {
			m.LogM[f][l] = math.Log2(m.M[f][l])
			m.W[f][l] = math.Log2(m.M[f][l] / m.U[f][l])
			m.WSame[f][l] = math.Log2(m.M[f][l] / m.USame[f][l])
			if l > 1 {
				m.W[f][l] = math.Min(m.W[f][l], m.W[f][l-1])
				m.WSame[f][l] = math.Min(m.WSame[f][l], m.WSame[f][l-1])
			}
		}
	}
}

// FieldWeights describes the model for reports: per field, per level name,
// the m, u and weight; the sameSeccionFields once more with the u and weight
// among people of the same sección (Level suffixed "|same_seccion").
func (m *Model) FieldWeights() []LevelWeight {
	var out []LevelWeight
	for f := 0; f < nFields; f++ {
		for l := 1; l <= nLevels[f]; l++ {
			out = append(out, LevelWeight{fieldNames[f], levelNames[f][l], m.M[f][l], m.U[f][l], m.W[f][l]})
		}
		if sameSeccionFields[f] {
			for l := 1; l <= nLevels[f]; l++ {
				out = append(out, LevelWeight{fieldNames[f], levelNames[f][l] + "|same_seccion", m.M[f][l], m.USame[f][l], m.WSame[f][l]})
			}
		}
	}
	return out
}

// LevelWeight is one row of a model's description.
type LevelWeight struct {
	Field, Level string
	M, U, Weight float64
}

// uPairs is how many random pairs estimate u, for each of the three
// populations: any two people, two of the same entidad, two of the same
// sección (five per person in registers under 20,000 people).
const uPairs = 100000

// priorModel estimates u from random pairs of versions of different people
// (for exact agreement of names and birth dates: u = Σ f_v² over people,
// the chance two random people share a value, which needs no sampling), and
// takes m from priorM. The sección's u is measured on pairs of the same
// entidad, since it is compared only then; the sameSeccionFields' second u
// on pairs of the same sección.
func (ix *Index) priorModel() *Model {
	md := &Model{M: priorM, Lambda: 0.9}
	var cnt, cntEnt, cntSec [nFields][maxLevels]float64
	var a prepared
	tally := func(c *[nFields][maxLevels]float64) func(x, y *ver) {
		return func(x, y *ver) {
			ix.prepareVer(x, &a)
			g, _ := ix.compare(&a, y, nil)
			for f := 0; f < nFields; f++ {
				c[f][g.level(f)]++
			}
		}
	}
	np := min(uPairs, max(20000, 5*ix.people))
	ix.randomPairs(np, nil, tally(&cnt))
	ix.randomPairs(np, func(v *ver) uint64 { return uint64(v.ent) }, tally(&cntEnt))
	ix.randomPairs(np, func(v *ver) uint64 { return uint64(v.ent)<<32 | uint64(v.sec) }, tally(&cntSec))
	n := float64(ix.people)
	sumSq := func(counts []uint32) float64 {
		s := 0.0
		for id, c := range counts {
			if id != 0 {
				f := float64(c) / n
				s += f * f
			}
		}
		return s
	}
	births := map[register.Date]uint32{}
	for i := range ix.vers {
		v := &ix.vers[i]
		if v.hasBirth && (i == 0 || ix.vers[i-1].person != v.person) {
			births[v.birth]++
		}
	}
	birthSq := 0.0
	for _, d := range slices.Sorted(maps.Keys(births)) { // in order: the same sum every run
		f := float64(births[d]) / n
		birthSq += f * f
	}
	exact := [nFields]float64{
		fNombre:     sumSq(ix.nameCount[0]),
		fPaterno:    sumSq(ix.nameCount[1]),
		fMaterno:    sumSq(ix.nameCount[2]),
		fNacimiento: birthSq,
	}
	estimate := func(c *[nFields][maxLevels]float64, f int) [maxLevels]float64 {
		var u [maxLevels]float64
		total := 0.0
		for l := 1; l <= nLevels[f]; l++ {
			total += c[f][l]
		}
		for l := 1; l <= nLevels[f]; l++ {
			v := (c[f][l] + 0.5) / (total + 0.5*float64(nLevels[f]))
			if total == 0 {
				v = 1 / float64(nLevels[f])
			}
			if l == 1 && exact[f] > 0 {
				v = exact[f]
			}
			u[l] = math.Max(v, 1e-9)
		}
		return u
	}
	for f := 0; f < nFields; f++ {
		switch f {
		case fSeccion:
			md.U[f] = estimate(&cntEnt, f)
		default:
			md.U[f] = estimate(&cnt, f)
		}
		md.USame[f] = md.U[f]
		if sameSeccionFields[f] {
			md.USame[f] = estimate(&cntSec, f)
		}
	}
	md.setWeights()
	return md
}

// weight is the weight of level l of field f, given whether the pair
// shares the sección.
func (m *Model) weight(f, l int, sameSeccion bool) float64 {
	if sameSeccion {
		return m.WSame[f][l]
	}
	return m.W[f][l]
}

// gamma packs a comparison vector: 4 bits per field.
type gamma uint64

func (g gamma) level(f int) int { return int(g>>(4*f)) & 15 }

func (g *gamma) set(f, l int) { *g |= gamma(l) << (4 * f) }

// prepared is a leaked row (or a version) in comparison form.
type prepared struct {
	curp, clave            string
	nombre, nombreSorted   string
	nombreTokens           []string
	paterno, materno       string
	birth                  register.Date
	hasBirth               bool
	sex                    byte
	ent, mun, sec, num, cp string
	calle, colonia         string
	cic, ocr, emi          uint32 // hash32
	calleSorted            string

	// memo caches levels by (field, interned id) for this row: candidates
	// share names and streets (HERNANDEZ thousands of times), and
	// Jaro–Winkler is the costliest step. nil disables it.
	memo *memoTable
}

const (
	memoNombre = iota
	memoPaterno
	memoMaterno
	memoCalle
	memoColonia
)

// memoTable is a small open-addressing cache, emptied in O(1) by bumping
// its generation. When it fills up, levels are computed without caching.
type memoTable struct {
	gen  uint32
	used int
	slot [1024]memoSlot
}

type memoSlot struct {
	key   uint64
	gen   uint32
	level uint8
}

func (t *memoTable) reset() {
	t.gen++
	t.used = 0
}

// memoized returns the cached level of (kind, id) or computes and stores it.
func (p *prepared) memoized(kind int, id uint32, compute func() int) int {
	t := p.memo
	if t == nil {
		return compute()
	}
	k := uint64(kind)<<32 | uint64(id)
	h := (k * 0x9e3779b97f4a7c15) >> 54 // 10 bits
	for i := uint64(0); i < 16; i++ {
		s := &t.slot[(h+i)&1023]
		if s.gen != t.gen {
			if t.used >= 700 {
				break
			}
			l := compute()
			*s = memoSlot{k, t.gen, uint8(l)}
			t.used++
			return l
		}
		if s.key == k {
			return int(s.level)
		}
	}
	return compute()
}

func (ix *Index) prepare(r register.Record, p *prepared) {
	ps := ix.pos
	memo := p.memo
	if memo == nil {
		memo = new(memoTable)
	}
	memo.reset()
	*p = prepared{memo: memo}
	p.curp = strings.ToUpper(strings.TrimSpace(field(r, ps.curp)))
	p.clave = strings.ToUpper(strings.TrimSpace(field(r, ps.clave)))
	p.nombre = nameKey(field(r, ps.nombre))
	p.nombreSorted = sortedTokens(p.nombre)
	p.nombreTokens = strings.Fields(p.nombre)
	p.paterno = nameKey(field(r, ps.paterno))
	p.materno = nameKey(field(r, ps.materno))
	p.birth, p.hasBirth = parseBirth(field(r, ps.nac))
	p.sex = sexKey(field(r, ps.sexo))
	p.ent = codeKey(field(r, ps.ent))
	p.mun = codeKey(field(r, ps.mun))
	p.sec = codeKey(field(r, ps.sec))
	p.num = codeKey(field(r, ps.num))
	p.cp = codeKey(field(r, ps.cp))
	p.calle = addrKey(field(r, ps.calle))
	p.calleSorted = sortedTokens(p.calle)
	p.colonia = addrKey(field(r, ps.colonia))
	p.cic = hash32(codeKey(field(r, ps.cic)))
	p.ocr = hash32(codeKey(field(r, ps.ocr)))
	p.emi = hash32(codeKey(field(r, ps.emi)))
}

// prepareVer fills p from an indexed version (for u estimation).
func (ix *Index) prepareVer(v *ver, p *prepared) {
	n, c, a := ix.names.s, ix.codes.s, ix.addr.s
	*p = prepared{
		nombre: n[v.nombre], nombreSorted: n[ix.sorted[v.nombre]], paterno: n[v.paterno],
		materno: n[v.materno], birth: v.birth, hasBirth: v.hasBirth, sex: v.sex,
		ent: c[v.ent], mun: c[v.mun], sec: c[v.sec], num: c[v.num], cp: c[v.cp],
		calle: a[v.calle], calleSorted: sortedTokens(a[v.calle]), colonia: a[v.colonia], cic: v.cic, ocr: v.ocr, emi: v.emi,
	}
}

// nameLevel compares a name of the row with an indexed name.
func (ix *Index) nameLevel(s, sSorted string, id uint32) int {
	if s == "" || id == 0 {
		return 0
	}
	c := ix.names.s[id]
	if s == c {
		return 1
	}
	cs := ix.names.s[ix.sorted[id]]
	if sSorted == cs {
		return 1
	}
	jw := jaroWinkler(s, c)
	// Sorted tokens catch swapped names with a typo ("LUIS JOES"), but
	// only between names of as many tokens: sorting "MARIA GUADALUPE"
	// makes it start like "GUADALUPE", a different name.
	if (sSorted != s || cs != c) && strings.Count(s, " ") == strings.Count(c, " ") {
		jw = math.Max(jw, jaroWinkler(sSorted, cs))
	}
	switch {
	case jw >= 0.94:
		return 2
	case jw >= 0.88, tokensWithin(s, c):
		return 3
	}
	return 4
}

func dateLevel(a, b register.Date) int {
	if a == b {
		return 1
	}
	if s, ok := swapDayMonth(a); ok && s == b {
		return 2
	}
	ya, ma, da := a.YMD()
	yb, mb, db := b.YMD()
	same := 0
	if ya == yb {
		same++
	}
	if ma == mb {
		same++
	}
	if da == db {
		same++
	}
	if same == 2 {
		return 3
	}
	return 4
}

// compare computes the comparison vector of a prepared row and a version,
// and with a model its weight: Σ log2(m/u) over present fields, where an
// exact agreement on a name uses the value's own frequency in the register
// instead of u (term-frequency adjustment: agreeing on HERNANDEZ is worth
// less than agreeing on a rare surname).
func (ix *Index) compare(p *prepared, v *ver, md *Model) (gamma, float64) {
	var g gamma
	var l [nFields]int
	l[fNombre] = p.memoized(memoNombre, v.nombre, func() int { return ix.nameLevel(p.nombre, p.nombreSorted, v.nombre) })
	l[fPaterno] = p.memoized(memoPaterno, v.paterno, func() int { return ix.nameLevel(p.paterno, p.paterno, v.paterno) })
	l[fMaterno] = p.memoized(memoMaterno, v.materno, func() int { return ix.nameLevel(p.materno, p.materno, v.materno) })
	if p.hasBirth && v.hasBirth {
		l[fNacimiento] = dateLevel(p.birth, v.birth)
	}
	if p.sex != 0 && v.sex != 0 {
		l[fSexo] = 2
		if p.sex == v.sex {
			l[fSexo] = 1
		}
	}
	c := ix.codes.s
	if p.ent != "" && v.ent != 0 {
		l[fEntidad] = 2
		if p.ent == c[v.ent] {
			l[fEntidad] = 1
		}
	}
	// Sección numbers repeat across states: compare them within the row's
	// entidad, or, when the row has none (a names-and-sección profile), as
	// they are; the margin over the second-best person guards the rest.
	if l[fEntidad] == 1 || p.ent == "" {
		secBoth := p.sec != "" && v.sec != 0
		munBoth := p.mun != "" && v.mun != 0
		switch {
		case secBoth && p.sec == c[v.sec]:
			l[fSeccion] = 1
		case munBoth && p.mun == c[v.mun]:
			l[fSeccion] = 2
		case secBoth || munBoth:
			l[fSeccion] = 3
		}
	}
	if p.calle != "" && v.calle != 0 {
		street := p.memoized(memoCalle, v.calle, func() int {
			vc := ix.addr.s[v.calle]
			switch {
			case p.calle == vc:
				return 1
			case jaroWinkler(p.calle, vc) >= 0.9 || p.calleSorted == sortedTokens(vc):
				return 2
			}
			return 3
		})
		numDiffers := p.num != "" && v.num != 0 && p.num != c[v.num]
		switch {
		case street == 3:
			l[fDomicilio] = 4
		case numDiffers:
			l[fDomicilio] = 3
		default:
			l[fDomicilio] = street
		}
	}
	if p.colonia != "" && v.colonia != 0 {
		l[fColonia] = p.memoized(memoColonia, v.colonia, func() int {
			vc := ix.addr.s[v.colonia]
			if p.colonia == vc || jaroWinkler(p.colonia, vc) >= 0.9 {
				return 1
			}
			return 2
		})
	}
	if p.cp != "" && v.cp != 0 {
		l[fCP] = 2
		if p.cp == c[v.cp] {
			l[fCP] = 1
		}
	}
	agree, differ := 0, 0
	for _, pair := range [3][2]uint32{{p.cic, v.cic}, {p.ocr, v.ocr}, {p.emi, v.emi}} {
		if pair[0] != 0 && pair[1] != 0 {
			if pair[0] == pair[1] {
				agree++
			} else {
				differ++
			}
		}
	}
	if agree+differ > 0 {
		l[fCredencial] = 1
		if differ > 0 {
			l[fCredencial] = 2
		}
	}
	w := 0.0
	for f := 0; f < nFields; f++ {
		g.set(f, l[f])
		if md == nil || l[f] == 0 {
			continue
		}
		w += md.weight(f, l[f], l[fSeccion] == 1)
	}
	if md != nil {
		for f, id := range [3]uint32{v.nombre, v.paterno, v.materno} {
			if l[f] == 0 || l[f] > 3 {
				continue
			}
			// The value's own frequency replaces u. A close or similar
			// name is a typo of the register's value, and a typo of a
			// common name is as weak evidence as the common name: its
			// weight is capped the same way.
			tfW := md.LogM[f][l[f]] - float64(ix.logTF[f][id])
			if l[f] == 1 {
				w += tfW - md.W[f][1]
			} else if tfW < md.W[f][l[f]] {
				w += tfW - md.W[f][l[f]]
			}
		}
	}
	return g, w
}

// batchPairs holds the comparison vectors of a batch's candidate pairs, row
// by row and compressed: pats holds each distinct vector once; the
// candidates of row i are the (pattern, count) entries ent[off[i]:off[i+1]].
type batchPairs struct {
	pats  []gamma
	index map[gamma]int32
	ent   []patCount
	off   []int
	pairs int
}

type patCount struct {
	pat   int32
	count float64
}

func (b *batchPairs) addRow(gs map[gamma]int) {
	if len(b.off) == 0 {
		b.off = append(b.off, 0)
		b.index = map[gamma]int32{}
	}
	keys := make([]gamma, 0, len(gs))
	for g := range gs {
		keys = append(keys, g)
	}
	slices.Sort(keys) // the same batch gives the same sums, bit for bit
	for _, g := range keys {
		n := gs[g]
		k, ok := b.index[g]
		if !ok {
			k = int32(len(b.pats))
			b.pats = append(b.pats, g)
			b.index[g] = k
		}
		b.ent = append(b.ent, patCount{k, float64(n)})
		b.pairs += n
	}
	b.off = append(b.off, len(b.ent))
}

// em estimates m from a batch's candidate pairs by EM, keeping u at its
// random-pair estimate. The latent variable is which candidate, if any, is
// the row's own version: a row has at most one (Winkler's one-to-one
// constraint, applied per row), so candidates compete for the row's single
// match instead of each being a match on its own. With likelihood ratio
// L(γ) = Π_f m_f(γ_f)/u_f(γ_f) over non-missing fields, and π the share of
// rows whose person is among their candidates:
//
//	E: p_ij = (π/n_i)·L(γ_ij) / ((1−π) + (π/n_i)·Σ_k L(γ_ik))
//	M: m_f(ℓ) = Σ_{ij: γ_ij,f=ℓ} p_ij / Σ_{ij: γ_ij,f≠0} p_ij;   π = Σ_ij p_ij / rows
//
// (Without the constraint, u fixed at random-pair values makes every
// blocked candidate look like a match: they agree on the blocked fields far
// more often than random pairs do.) Missing fields contribute to neither
// sum. m is smoothed by one pseudo-pair of the prior and floored at a
// quarter of the prior. The result is refused (the prior kept, with the
// reason in Refused) when it is degenerate: fewer than 50 rows, π at a
// bound, or a name whose full agreement came out barely more likely among
// matches than among non-matches, or less than half as likely as the prior
// says (EM then found another latent class, such as "same household", or
// the batch's rows are mostly people not in the register).
func em(prior *Model, b *batchPairs) *Model {
	rows := max(len(b.off)-1, 0)
	if rows < 50 {
		return refuse(prior, "fewer than 50 rows to estimate from")
	}
	md := *prior
	md.EM, md.Pairs = true, b.pairs
	pi := 0.9
	patLR := make([]float64, len(b.pats)) // log L(γ) per distinct vector
	lr := make([]float64, 0, 64)
	for it := 1; it <= 40; it++ {
		var logLR, logLRSame [nFields][maxLevels]float64
		for f := 0; f < nFields; f++ {
			for l := 1; l <= nLevels[f]; l++ {
				logLR[f][l] = math.Log(md.M[f][l] / md.U[f][l])
				logLRSame[f][l] = math.Log(md.M[f][l] / md.USame[f][l])
			}
		}
		for k, g := range b.pats {
			t := &logLR
			if g.level(fSeccion) == 1 {
				t = &logLRSame
			}
			x := 0.0
			for f := 0; f < nFields; f++ {
				x += t[f][g.level(f)]
			}
			patLR[k] = x
		}
		post := make([]float64, len(b.pats)) // Σ posterior per distinct vector
		matched := 0.0
		for i := 0; i < rows; i++ {
			es := b.ent[b.off[i]:b.off[i+1]]
			n := 0.0
			top := math.Inf(-1)
			for _, e := range es {
				n += e.count
				top = math.Max(top, patLR[e.pat])
			}
			if n == 0 {
				continue
			}
			// scaled by the largest log-ratio to stay finite
			lr = lr[:0]
			sum := 0.0
			for _, e := range es {
				x := math.Exp(patLR[e.pat] - top)
				lr = append(lr, x)
				sum += e.count * x
			}
			prior := pi / n
			z := (1-pi)*math.Exp(-top) + prior*sum
			for k, e := range es {
				p := prior * lr[k] / z * e.count
				matched += p
				post[e.pat] += p
			}
		}
		var num [nFields][maxLevels]float64
		var den [nFields]float64
		for k, g := range b.pats {
			for f := 0; f < nFields; f++ {
				if l := g.level(f); l != 0 {
					num[f][l] += post[k]
					den[f] += post[k]
				}
			}
		}
		delta := 0.0
		for f := 0; f < nFields; f++ {
			if den[f] < 1 {
				continue // no evidence: keep the prior
			}
			for l := 1; l <= nLevels[f]; l++ {
				v := (num[f][l] + prior.M[f][l]) / (den[f] + 1)
				v = math.Max(v, prior.M[f][l]/4)
				delta = math.Max(delta, math.Abs(v-md.M[f][l]))
				md.M[f][l] = v
			}
			// renormalise after the floor
			t := 0.0
			for l := 1; l <= nLevels[f]; l++ {
				t += md.M[f][l]
			}
			for l := 1; l <= nLevels[f]; l++ {
				md.M[f][l] /= t
			}
		}
		newPi := math.Min(math.Max(matched/float64(rows), 1e-6), 1-1e-6)
		delta = math.Max(delta, math.Abs(newPi-pi))
		pi = newPi
		md.Iterations = it
		if delta < 1e-4 {
			break
		}
	}
	md.Lambda = pi
	if pi <= 1e-6 {
		return refuse(prior, "no row found its person among its candidates")
	}
	for _, f := range []int{fNombre, fPaterno} {
		if md.M[f][1] <= 10*md.U[f][1] {
			return refuse(prior, fieldNames[f]+": full agreement not typical of matches")
		}
		// A batch of rows mostly from elsewhere: its "matches" are
		// candidates sharing a birth date and a surname (siblings, twins,
		// namesakes), among whom the given name mostly differs. Weights
		// learnt from them would let such pairs link.
		if md.M[f][1] < prior.M[f][1]/2 {
			r := refuse(prior, fieldNames[f]+": full agreement rare among the estimated matches (the rows are mostly other people)")
			r.strangers = true
			return r
		}
	}
	md.setWeights()
	return &md
}
