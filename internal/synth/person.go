package synth

import (
	"math"
	"strings"

	"github.com/huella/huella/internal/addr"
	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// Monthly rates of the register's churn (share of the register per month,
// after INE's statistics of October 2022) and the rules of credentials.
const (
	daysPerMonth = 30.44
	daysPerYear  = 365.25

	rateNew      = 0.0028  // first registrations (turning 18 or first time)
	rateReincPre = 0.0006  // re-incorporations of people removed before the start
	rateMove     = 0.0033  // address changes (with a new credential)
	rateLost     = 0.0005  // credential replacements for loss, theft, damage
	rateCorrect  = 0.0001  // name corrections (new CURP/clave when the letters change)
	rateSuspend  = 0.00003 // suspended political rights
	pRenew       = 0.4     // renew before the credential expires (else removed at expiry)
	pReturn      = 0.5     // a removed-at-expiry person comes back
	returnGap    = 300.0   // mean days before coming back (plus 30)
	validYears   = 10      // a credential issued in year Y is valid through Y+10
)

// Kinds of number in the exterior-number field.
const (
	numPlain  = iota // "123"
	numNumero        // "NO. 123" (NUMERO class)
	numSN            // "S/N"
	numMzLt          // "MZ 3 LT 12"
	numKM            // "KM 12" on a carretera
	numDC            // calle "DOMICILIO CONOCIDO", no number
)

// Kinds of interior number.
const (
	intNone = iota
	intLetter
	intNumber
	intDepto
	intInterior
	intEdifDepto
)

// address is a home in the synthetic geography; its text is rendered with
// the person's style (abbreviated or full spellings).
type address struct {
	ent         uint8
	mun, sec    uint16
	loc         uint16
	col, street uint8
	kind        uint8
	mz, lt      uint8
	num         uint16
	intKind     uint8
	intLetter   byte
	intVal      uint16
	newSec      uint16 // the section number after a re-sectioning, 0 before
}

// section is the number of the section the address is in today.
func (a *address) section() uint16 {
	if a.newSec != 0 {
		return a.newSec
	}
	return a.sec
}

// settle applies the re-sectioning of a's section if it happened by day t,
// and returns the one still to come (NoDate if none).
func (g *gen) settle(a *address, t register.Date) (register.Date, uint16) {
	if a.newSec != 0 {
		return register.NoDate, 0
	}
	d, n := g.geo.resection(a)
	if d == register.NoDate {
		return d, 0
	}
	if d <= t {
		a.newSec = n
		return register.NoDate, 0
	}
	return d, n
}

// state is the content of one version of a person.
type state struct {
	n        ident.Names
	letters  [3]ident.Letters // of Paterno, Materno, Nombre
	birth    register.Date
	sex      byte
	birthEnt uint8 // 0: born abroad (NE)
	a        address
	registro register.Date
	emision  int16
	credIdx  uint8  // credential number of this person: CIC and OCR derive from it
	ocrSec   uint16 // the section printed in the OCR: the one when the credential was issued
	idIdx    uint8  // index into the person's identifiers (changes with a name correction)
}

type version struct {
	from, to register.Date
	st       state
}

// identifiers are one name set's CURP and clave bodies; the homonym
// character, the check digit and the clave's last digits are assigned in
// person order by the sequencer, which keeps both unique.
type identifiers struct {
	curp16   string
	clave15  string
	century2 bool  // born from 2000: the homonym is a letter
	ctrl     uint8 // the clave's two control digits
	homonym  byte
	check    byte
	claveSeq uint16
}

type person struct {
	id       uint64
	style    uint64
	versions []version
	ids      []identifiers
	buf      []byte // scratch of the worker that reuses this person
}

// gen holds what the whole generation shares (read-only).
type gen struct {
	cfg        Config
	total      int
	nNew       int
	nReinc     int
	names      *nameTables
	geo        *geography
	ages       *alias
	start, end register.Date
	padron     register.Date // 1990-09-01: the padrón was rebuilt in 1990-91
	carretera  int
}

// ageGroups are the shares of Mexico's adult population by age group
// (census 2020, rounded), the voters' age pyramid.
var ageGroups = []struct {
	from, to int // years, inclusive
	share    float64
}{
	{18, 19, 4.0}, {20, 24, 10.9}, {25, 29, 10.4}, {30, 34, 9.9}, {35, 39, 9.6}, {40, 44, 9.2},
	{45, 49, 8.4}, {50, 54, 7.6}, {55, 59, 6.3}, {60, 64, 5.0}, {65, 69, 3.8}, {70, 74, 2.7},
	{75, 79, 1.8}, {80, 84, 1.1}, {85, 89, 0.55}, {90, 94, 0.2}, {95, 100, 0.07},
}

func newGen(cfg Config) *gen {
	g := &gen{cfg: cfg, names: nameTab(), geo: geo(), start: cfg.Start, end: cfg.End}
	months := float64(cfg.End-cfg.Start) / daysPerMonth
	g.nNew = int(math.Round(float64(cfg.People) * rateNew * months))
	g.nReinc = int(math.Round(float64(cfg.People) * rateReincPre * months))
	g.total = cfg.People + g.nNew + g.nReinc
	w := make([]float64, 0, 83)
	for _, grp := range ageGroups {
		n := grp.to - grp.from + 1
		for a := grp.from; a <= grp.to; a++ {
			w = append(w, grp.share/float64(n))
		}
	}
	g.ages = newAlias(w)
	g.padron = register.MustDate("1990-09-01")
	g.carretera = g.geo.cls["CARRETERA"]
	return g
}

// years is a duration of y years in days.
func years(y float64) register.Date { return register.Date(math.Round(y * daysPerYear)) }

// ageAt is the age in whole years at t of someone born on b.
func ageAt(b, t register.Date) int {
	by, bm, bd := b.YMD()
	ty, tm, td := t.YMD()
	a := ty - by
	if tm < bm || tm == bm && td < bd {
		a--
	}
	return a
}

// drawBirth draws a birth date for someone of the pyramid's ages at t, at least minAge.
func (g *gen) drawBirth(r *rng, t register.Date, minAge int) register.Date {
	for {
		age := 18 + g.ages.draw(r)
		if age < minAge {
			continue
		}
		b := t - years(float64(age)) - register.Date(r.IntN(365))
		if ageAt(b, t) >= 18 {
			return b
		}
	}
}

// drawNames draws a name; ≈1% have a single surname.
func (g *gen) drawNames(r *rng, st *state) {
	st.n.Nombre, st.letters[2] = g.names.given(r, st.sex, st.birth >= y1980)
	st.n.Paterno, st.letters[0] = g.names.surname(r)
	st.n.Materno, st.letters[1] = "", ident.SurnameLetters("")
	if r.Float64() >= g.names.singleSurnameShare {
		st.n.Materno, st.letters[1] = g.names.surname(r)
	}
}

// drawBirthEnt: mostly the state of residence, some born elsewhere, a few abroad.
func (g *gen) drawBirthEnt(r *rng, ent uint8) uint8 {
	u := r.Float64()
	switch {
	case u < 0.80:
		return ent
	case u < 0.99:
		return uint8(1 + g.geo.entAlias.draw(r))
	}
	return 0
}

// drawAddress draws a home in entity ent (1-32), in municipio mun when mun > 0.
func (g *gen) drawAddress(r *rng, ent uint8, mun uint16) address {
	var a address
	a.ent = ent
	if mun > 0 {
		ge := &g.geo.ents[ent-1]
		a.mun = mun
		a.sec = ge.secFirst[mun] + uint16(r.IntN(int(ge.secCount[mun])))
	} else {
		a.mun, a.sec = g.geo.municipioSection(r, int(ent))
	}
	a.loc = localidad(int(ent), a.sec)
	a.col = uint8(r.IntN(coloniasIn(int(ent), a.sec)))
	a.street = uint8(r.IntN(10))
	isRural := rural(int(ent), a.sec)
	u := r.Float64()
	dc, sn, mzlt := 0.012, 0.06, 0.05
	if isRural {
		dc, sn, mzlt = 0.12, 0.12, 0.02
	}
	if ent == 15 { // the Estado de México's periphery is built in lots
		mzlt = 0.16
	}
	stClass, _ := g.geo.street(int(ent), a.sec, a.col, a.street)
	switch {
	case u < dc:
		a.kind = numDC
	case u < dc+sn:
		a.kind = numSN
	case u < dc+sn+mzlt:
		a.kind = numMzLt
		a.mz = uint8(1 + r.IntN(80))
		a.lt = uint8(1 + r.IntN(60))
	case stClass == g.carretera && r.IntN(2) == 0:
		a.kind = numKM
		a.num = uint16(1 + r.IntN(120))
	default:
		a.kind = numPlain
		if r.IntN(100) < 4 {
			a.kind = numNumero
		}
		// house numbers: density ∝ 1/(n+19) on 1..≈4000, most below a few hundred
		a.num = uint16(20*math.Exp(r.Float64()*math.Log(200))) - 19
	}
	if a.kind != numDC {
		switch v := r.IntN(100); {
		case v < 80:
		case v < 87:
			a.intKind, a.intLetter = intLetter, byte('A'+r.IntN(4))
		case v < 91:
			a.intKind, a.intVal = intNumber, uint16(1+r.IntN(12))
		case v < 96:
			a.intKind, a.intVal = intDepto, uint16(100*(1+r.IntN(5))+1+r.IntN(8))
		case v < 99:
			a.intKind, a.intVal = intInterior, uint16(1+r.IntN(20))
		default:
			a.intKind, a.intLetter, a.intVal = intEdifDepto, byte('A'+r.IntN(8)), uint16(100*(1+r.IntN(4))+1+r.IntN(6))
		}
	}
	return a
}

// move draws a new home: mostly in the same municipio or entity.
func (g *gen) move(r *rng, old address) address {
	switch u := r.Float64(); {
	case u < 0.55:
		return g.drawAddress(r, old.ent, old.mun)
	case u < 0.88:
		return g.drawAddress(r, old.ent, 0)
	}
	return g.drawAddress(r, uint8(1+g.geo.entAlias.draw(r)), 0)
}

// emisionDraw draws how many years ago the credential held at t was issued:
// density 1.6 − 0.11·a over [0, 10] (recent credentials are more common,
// because moves and replacements renew them).
func emisionAge(r *rng) float64 {
	// inverse CDF of f(a) ∝ 1.6 − 0.11a on [0,10]: F(a) = (1.6a − 0.055a²)/10.5
	u := r.Float64() * 10.5
	return (1.6 - math.Sqrt(1.6*1.6-4*0.055*u)) / (2 * 0.055)
}

// registro draws the first registration date of someone born on b, before limit.
func (g *gen) registro(r *rng, b, limit register.Date) register.Date {
	t18 := b + years(18)
	var d register.Date
	if t18 < g.padron {
		d = g.padron + register.Date(r.ExpFloat64()*400)
	} else {
		d = t18 + register.Date(r.ExpFloat64()*450)
	}
	if d >= limit {
		d = limit - 1 - register.Date(r.IntN(60))
	}
	if d < t18 {
		d = t18
	}
	return d
}

// newPerson fills p with a person first seen at t0 and simulates its life
// until the end. kind: 0 initial (in the register at the start), 1 new
// registration at t0, 2 re-incorporation at t0 of someone removed before.
func (g *gen) newPerson(p *person, r *rng, kind int, t0 register.Date) {
	p.versions = p.versions[:0]
	p.ids = p.ids[:0]
	p.style = r.Uint64()
	var st state
	st.sex = 'H'
	if r.Float64() < 0.52 {
		st.sex = 'M'
	}
	ent := uint8(1 + g.geo.entAlias.draw(r))
	st.a = g.drawAddress(r, ent, 0)
	g.settle(&st.a, t0)
	st.birthEnt = g.drawBirthEnt(r, ent)
	ty, _, _ := t0.YMD()
	switch kind {
	case 0:
		st.birth = g.drawBirth(r, t0, 18)
		st.registro = g.registro(r, st.birth, t0)
		ey, _, _ := register.Date(t0 - years(emisionAge(r))).YMD()
		ry, _, _ := st.registro.YMD()
		if ey < ry {
			ey = ry
		}
		if ey < ty-validYears {
			ey = ty - validYears
		}
		st.emision = int16(ey)
	case 1:
		if r.Float64() < 0.72 {
			st.birth = t0 - years(18) - register.Date(r.IntN(120))
		} else {
			st.birth = t0 - years(18.3+r.Float64()*17)
		}
		for ageAt(st.birth, t0) < 18 { // leap days
			st.birth--
		}
		st.registro = t0
		st.emision = int16(ty)
	case 2:
		st.birth = g.drawBirth(r, t0, 30)
		st.registro = g.registro(r, st.birth, t0-years(11))
		st.emision = int16(ty)
	}
	g.drawNames(r, &st)
	p.setIdentifiers(&st, r)
	st.ocrSec = st.a.section()
	if d, _ := g.geo.resection(&st.a); st.a.newSec != 0 && d > yearStart(st.emision) {
		st.ocrSec = st.a.sec // issued before the re-sectioning
	}
	p.versions = append(p.versions, version{from: t0, to: register.NoDate, st: st})
	g.live(p, r, t0)
}

// setIdentifiers registers st's name set in p.ids (reusing an equal one).
func (p *person) setIdentifiers(st *state, r *rng) {
	birthState := "NE"
	claveEnt := int(st.a.ent)
	if st.birthEnt > 0 {
		birthState = ident.Entidades[st.birthEnt-1].CURPCode
		claveEnt = int(st.birthEnt)
	}
	pat, mat, nom := st.letters[0], st.letters[1], st.letters[2]
	var err error
	p.buf, err = ident.AppendCURP16(p.buf[:0], pat, mat, nom, st.birth, st.sex, birthState)
	if err != nil {
		panic("synth: " + err.Error()) // the tables hold only valid names and dates
	}
	for i := range p.ids {
		if p.ids[i].curp16 == string(p.buf) {
			st.idIdx = uint8(i)
			return
		}
	}
	p.buf = ident.AppendClave(p.buf, pat, mat, nom, st.birth, claveEnt, st.sex, 0)
	both := string(p.buf)
	p.ids = append(p.ids, identifiers{curp16: both[:16], clave15: both[16:31], century2: st.birth >= y2000, ctrl: uint8(r.IntN(100))})
	st.idIdx = uint8(len(p.ids) - 1)
}

var (
	y1980 = register.MustDate("1980-01-01")
	y2000 = register.MustDate("2000-01-01")
)

// expiry is the day a credential issued in year y stops being valid.
func expiry(y int16) register.Date {
	d, _ := register.DateOf(int(y)+validYears+1, 1, 1)
	return d
}

// plan decides what happens to the current credential: renewed on a day
// in its last year, or the person is removed when it expires.
func (g *gen) plan(r *rng, emision int16, cur register.Date) (at register.Date, renew bool) {
	e := expiry(emision)
	if r.Float64() >= pRenew {
		return e, false
	}
	lo := e - 365
	if lo <= cur {
		lo = cur + 1
	}
	if lo >= e {
		return e, false
	}
	return lo + register.Date(r.IntN(int(e-lo))), true
}

// change starts a new version at t with st (or rewrites the version that
// started the same day).
func (p *person) change(t register.Date, st state) {
	last := &p.versions[len(p.versions)-1]
	if last.to == register.NoDate && last.from == t {
		last.st = st
		return
	}
	if last.to == register.NoDate {
		last.to = t
	}
	p.versions = append(p.versions, version{from: t, to: register.NoDate, st: st})
}

// newCredential is st with a credential issued on day t (at st's address).
func newCredential(st state, t register.Date) state {
	y, _, _ := t.YMD()
	st.emision = int16(y)
	st.credIdx++
	st.ocrSec = st.a.section()
	return st
}

// yearStart is 1 January of year y.
func yearStart(y int16) register.Date {
	d, _ := register.DateOf(int(y), 1, 1)
	return d
}

// live simulates events from cur to the end: competing exponential hazards
// for moves, replacements, corrections, suspensions and death (Gompertz,
// by age), plus the scheduled renewal or expiry of the credential.
func (g *gen) live(p *person, r *rng, cur register.Date) {
	st := p.versions[len(p.versions)-1].st
	sched, renew := g.plan(r, st.emision, cur)
	resecAt, resecNum := g.settle(&st.a, cur)
	const perDay = 1 / daysPerMonth
	for {
		age := float64(cur-st.birth) / daysPerYear
		death := 0.000149 * math.Exp(0.0749*age)
		if death > 0.4 {
			death = 0.4
		}
		death /= daysPerYear
		base := (rateMove + rateLost + rateCorrect + rateSuspend) * perDay
		lambda := base + death
		tEv := float64(cur) + 1 + r.ExpFloat64()/lambda
		if resecAt <= sched && float64(resecAt) <= tEv {
			// INE renumbers the section; the credential (and its OCR) stays
			if resecAt > g.end {
				return
			}
			cur = resecAt
			st.a.newSec = resecNum
			p.change(cur, st)
			resecAt = register.NoDate
			continue
		}
		if float64(sched) <= tEv {
			if sched > g.end {
				return
			}
			cur = sched
			if renew {
				st = newCredential(st, cur)
				p.change(cur, st)
				sched, renew = g.plan(r, st.emision, cur)
				continue
			}
			p.versions[len(p.versions)-1].to = cur // removed at expiry
			if r.Float64() >= pReturn {
				return
			}
			back := cur + 30 + register.Date(r.ExpFloat64()*returnGap)
			if back > g.end {
				return
			}
			cur = back
			if r.Float64() < 0.3 {
				st.a = g.move(r, st.a)
			}
			resecAt, resecNum = g.settle(&st.a, cur)
			st = newCredential(st, cur)
			p.versions = append(p.versions, version{from: cur, to: register.NoDate, st: st})
			sched, renew = g.plan(r, st.emision, cur)
			continue
		}
		t := register.Date(tEv)
		if t > g.end {
			return
		}
		cur = t
		u := r.Float64() * lambda
		switch {
		case u < death+rateSuspend*perDay: // death or suspension: removed
			p.versions[len(p.versions)-1].to = cur
			return
		case u < death+(rateSuspend+rateMove)*perDay:
			st.a = g.move(r, st.a)
			resecAt, resecNum = g.settle(&st.a, cur)
			st = newCredential(st, cur)
		case u < death+(rateSuspend+rateMove+rateLost)*perDay:
			st = newCredential(st, cur)
		default:
			st = newCredential(st, cur)
			st.n = g.correct(r, st.n)
			st.letters = [3]ident.Letters{ident.SurnameLetters(st.n.Paterno), ident.SurnameLetters(st.n.Materno), ident.GivenNameLetters(st.n.Nombre)}
			p.setIdentifiers(&st, r)
		}
		p.change(cur, st)
		sched, renew = g.plan(r, st.emision, cur)
	}
}

// typoPairs are the letters clerks confuse; a correction swaps one.
var typoPairs = [][2]string{{"Z", "S"}, {"S", "Z"}, {"V", "B"}, {"B", "V"}, {"Y", "I"}, {"LL", "Y"}, {"G", "J"}}

// correct is n after a name correction: an abbreviated given name written
// in full, a clerk's letter fixed in the first surname, or a second given name added.
func (g *gen) correct(r *rng, n ident.Names) ident.Names {
	switch {
	case strings.HasPrefix(n.Nombre, "MA. "):
		n.Nombre = "MARIA " + n.Nombre[4:]
		return n
	case strings.HasPrefix(n.Nombre, "J. "):
		n.Nombre = "JOSE " + n.Nombre[3:]
		return n
	}
	if r.IntN(2) == 0 {
		for _, tp := range typoPairs {
			if i := strings.LastIndex(n.Paterno, tp[0]); i > 0 {
				n.Paterno = n.Paterno[:i] + tp[1] + n.Paterno[i+len(tp[0]):]
				return n
			}
		}
	}
	if !strings.Contains(n.Nombre, " ") {
		second := g.names.secondM
		if strings.HasSuffix(n.Nombre, "A") {
			second = g.names.secondF
		}
		n.Nombre += " " + second[r.IntN(len(second))]
		return n
	}
	n.Nombre = n.Nombre[:strings.IndexByte(n.Nombre, ' ')]
	return n
}

// spelling is the person's habitual spelling of address class c: half the
// people write the long form, half an abbreviation (mostly the first two).
func spelling(style uint64, c int) string {
	cl := &addr.Classes()[c]
	h := mix(style ^ uint64(c)*0x9e3779b97f4a7c15)
	g := int(h & 1)
	if cl.Name == "DOMICILIO CONOCIDO" && h>>1%4 != 0 {
		g = 0 // people mostly write it in full
	}
	sp := cl.Groups[g]
	switch v := h >> 8 % 10; {
	case len(sp) == 1 || v < 6:
		return sp[0]
	case v < 9 || len(sp) == 2:
		return sp[1]
	default:
		return sp[2+int(h>>16)%(len(sp)-2)]
	}
}
