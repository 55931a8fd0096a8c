// Package infer maps the columns of a leaked table to the fields of a
// register schema from their content, with the header only as a hint, and
// turns leaked rows into normalised records of the schema.
//
// # Method
//
// Every column of the sample gets a content score in [0,1] for each field
// of the INE schema (and for the extras phone and e-mail):
//
//	curp, clave_elector   share of values passing ident.ValidateCURP / ValidateClave
//	                      (0.8 × the share with the right shape when check digits fail)
//	dates                 share parsing under the column's best layout among
//	                      YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY (chosen only when a first
//	                      part > 12 says so), YYYYMMDD, DDMMYYYY, DD-MM-YY, ...
//	                      (any of - / . as separator, an optional time after)
//	sexo                  share in {H, M, F, V, HOMBRE, MUJER, MASCULINO, FEMENINO, ...}
//	entidad               share of 1–32 codes (0.8) or state names/abbreviations (1.0)
//	municipio, seccion,   share of integers in range, raised by zero padding to
//	localidad, cp         3/4/4/5 digits; localidad is mostly "0001"
//	cic, ocr, emision     9–10 digits, 13 digits, a year 1990–2035
//	names                 share whose first word is a frequent given name / surname
//	                      (names.go); a column of ≥3 words mixing both is a full name
//	address               share starting with a street / colonia word (internal/addr)
//
// then agreement between columns sharpens them: a date equal to the CURP's
// (or clave's) birth date is fecha_nacimiento, name initials agreeing with
// the CURP's letters 1, 3 and 4 tell paterno, materno and nombre, a sex
// column agreeing with CURP letter 11 fixes H/M against M/F, postal-code
// prefixes agreeing with a state column confirm both, and the OCR's first
// four digits equal to a column confirm seccion. Of two date columns the
// earlier in most rows is the birth date. A header that names a field
// (any language, accents and case ignored: "NOMBRE(S)", "first_name",
// "paterno", "CP", "sección", "Ent") adds 0.3. Columns are then assigned
// one to one, greedily by score (a score under 0.3 assigns nothing); the
// confidence is the score. A column left over is an extra: phone, email or
// other (a phone or e-mail column suggests the data was enriched elsewhere).
//
// # Example
//
//	m := infer.Infer(register.INE(), r.Header(), r.Sample())
//	for _, c := range m.Columns { fmt.Println(c.Index, c.Header, c.Field, c.Confidence) }
//	rec := m.Record(row, nil) // schema order: dates ISO, entidad "01".."32", sexo H/M
//
// # Cost of Record
//
// Record runs on every cell of a leaked dump, so each column's conversion
// (kind, date order, pivot, code width, M/F) is fixed once by Infer, and a
// value already written as the register writes it (upper case, ISO date,
// zero-padded code) comes back as the same string: no copy, no
// allocation. Dates and padded codes are substrings of tables built on
// first use (every day of 1900–2035 in ISO form, 0.5 MB; every number of
// up to five digits zero-padded, 0.5 MB), so converting them allocates
// nothing either; name parts are substrings of the normalised name. Only
// a text value that needs rewriting (case, accents, spaces) allocates,
// once. A Mapping is read-only after Infer: Record is safe for concurrent
// use. record_old_test.go keeps the previous converters and the tests
// compare the two on random rows.
package infer

import (
	"sort"
	"strings"

	"github.com/huella/huella/internal/addr"
	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// Extra kinds of a column that maps to no field.
const (
	ExtraPhone = "phone"
	ExtraEmail = "email"
	ExtraOther = "other"
)

// Column is what one leaked column was taken to be.
type Column struct {
	Index      int     `json:"index"`
	Header     string  `json:"header"`
	Field      string  `json:"field"`           // a schema field, "" for an extra
	Extra      string  `json:"extra,omitempty"` // phone|email|other when Field is ""
	Confidence float64 `json:"confidence"`
	Layout     string  `json:"layout,omitempty"` // dates: e.g. "DD/MM/YYYY"; sexo: "HM"|"MF"; entidad: "code"|"name"; full names: "full:nombre,paterno,materno"
}

// Mapping is the inferred mapping of a leaked table onto a schema.
type Mapping struct {
	Columns []Column
	schema  *register.Schema
	plan    []step // one per mapped column
	shared  bool   // two steps write the same field: the later column wins, so Record writes in order
}

// Field reports the column mapped to a schema field, or -1.
func (m *Mapping) Field(name string) int {
	for _, c := range m.Columns {
		if c.Field == name {
			return c.Index
		}
		if strings.HasPrefix(c.Layout, "full:") && strings.Contains(c.Layout, strings.TrimPrefix(name, "apellido_")) {
			return c.Index
		}
	}
	return -1
}

// cand is a possible assignment.
type cand struct {
	col   int
	field string
	score float64
}

// Infer maps the columns of a table (header may be nil) from its sample.
func Infer(schema *register.Schema, header []string, sample [][]string) *Mapping {
	width := len(header)
	for _, r := range sample {
		width = max(width, len(r))
	}
	cols := make([]*colInfo, width)
	for j := range cols {
		h := ""
		if j < len(header) {
			h = header[j]
		}
		cols[j] = analyse(j, h, sample)
	}
	agree(cols, sample)
	for _, c := range cols {
		// Three words or more in most cells, mixing given names and
		// surnames: whole names, whatever the parts' own scores.
		for _, f := range []string{fullName, bothSur} {
			if c.score[f] >= 0.5 {
				c.score[f] = max(c.score[f], c.score[register.FNombre]+0.05, c.score[register.FPaterno]+0.05, c.score[register.FMaterno]+0.05)
			}
		}
	}

	var cands []cand
	for _, c := range cols {
		for f, s := range c.score {
			if schema.Index(f) < 0 && (f != fullName && f != bothSur || schema.Index(register.FNombre) < 0 || schema.Index(register.FPaterno) < 0) {
				continue
			}
			// Scores are not capped before sorting: the header's 0.3
			// still tells two columns that both reach 1 from content.
			if c.hint == f {
				s = max(s+0.3, 0.3)
			}
			if s >= 0.3 {
				cands = append(cands, cand{c.index, f, s})
			}
		}
		// A header naming a schema field not scored from content (another
		// register's schema) still maps.
		if c.hint != "" && schema.Index(c.hint) >= 0 {
			if _, ok := c.score[c.hint]; !ok {
				cands = append(cands, cand{c.index, c.hint, 0.3})
			}
		}
	}
	order := map[string]int{}
	for i, f := range schema.Fields {
		order[f.Name] = i
	}
	sort.SliceStable(cands, func(a, b int) bool {
		if cands[a].score != cands[b].score {
			return cands[a].score > cands[b].score
		}
		if cands[a].col != cands[b].col {
			return cands[a].col < cands[b].col
		}
		return order[cands[a].field] < order[cands[b].field]
	})
	m := &Mapping{schema: schema, Columns: make([]Column, width)}
	taken := map[string]bool{}
	done := make([]bool, width)
	for _, cd := range cands {
		if done[cd.col] || taken[cd.field] {
			continue
		}
		c := cols[cd.col]
		// A column of phone numbers or e-mails (by content, or named so)
		// stays an extra unless its header names the field.
		ex := 0.0
		switch {
		case c.hint == ExtraPhone || c.hint == ExtraEmail:
			ex = 0.3 + max(c.phone, c.email)
		case c.hint == ExtraOther: // a column named for something the schema lacks
			ex = 0.8
		case max(c.phone, c.email) >= 0.95:
			ex = max(c.phone, c.email)
		}
		if cd.score < ex && c.hint != cd.field {
			continue
		}
		if cd.field == fullName {
			if taken[register.FNombre] || taken[register.FPaterno] {
				continue
			}
			taken[register.FNombre], taken[register.FPaterno], taken[register.FMaterno] = true, true, true
			done[cd.col] = true
			layout := "full:nombre,paterno,materno"
			if c.pmn {
				layout = "full:paterno,materno,nombre"
			}
			m.Columns[cd.col] = Column{Index: cd.col, Header: c.header, Field: register.FNombre, Confidence: round(min(1, cd.score)), Layout: layout}
			m.plan = append(m.plan, step{col: cd.col, kind: convFull, full: []int{schema.Index(register.FNombre), schema.Index(register.FPaterno), schema.Index(register.FMaterno)}, pmn: c.pmn})
			continue
		}
		if cd.field == bothSur {
			if taken[register.FPaterno] || taken[register.FMaterno] {
				continue
			}
			taken[register.FPaterno], taken[register.FMaterno] = true, true
			done[cd.col] = true
			m.Columns[cd.col] = Column{Index: cd.col, Header: c.header, Field: register.FPaterno, Confidence: round(min(1, cd.score)), Layout: "full:paterno,materno"}
			m.plan = append(m.plan, step{col: cd.col, kind: convSurnames, full: []int{-1, schema.Index(register.FPaterno), schema.Index(register.FMaterno)}})
			continue
		}
		taken[cd.field] = true
		done[cd.col] = true
		m.Columns[cd.col] = Column{Index: cd.col, Header: c.header, Field: cd.field, Confidence: round(min(1, cd.score)), Layout: c.layout(cd.field)}
		m.plan = append(m.plan, c.step(schema.Index(cd.field), cd.field))
	}
	for j, c := range cols {
		if done[j] {
			continue
		}
		col := Column{Index: j, Header: c.header, Extra: ExtraOther, Confidence: 0.5}
		switch {
		case c.hint == ExtraEmail || c.email >= 0.5:
			col.Extra, col.Confidence = ExtraEmail, max(c.email, 0.6)
		case c.hint == ExtraPhone || c.phone >= 0.5:
			col.Extra, col.Confidence = ExtraPhone, max(c.phone, 0.6)
		}
		m.Columns[j] = col
	}
	sort.Slice(m.plan, func(a, b int) bool { return m.plan[a].col < m.plan[b].col })
	m.shared = sharesField(m.plan)
	return m
}

func round(x float64) float64 {
	return float64(int(x*1000+0.5)) / 1000
}

// Pseudo-fields of columns holding several name parts.
const (
	fullName = "_nombre_completo" // given names and both surnames
	bothSur  = "_apellidos"       // both surnames
)

// colInfo is what is known of one column.
type colInfo struct {
	index  int
	header string
	hint   string   // field (or extra kind, or fullName) named by the header
	cells  []string // normalised cell per sample row ("" when missing)
	vals   []string // the non-empty cells
	score  map[string]float64
	date   dateStats // best date layout
	sexMF  bool      // sexo written M/F (M = male)
	entNm  bool      // entidad written as names
	pmn    bool      // full names written surnames first
	phone  float64
	email  float64
	empty  float64 // share of empty cells
}

func analyse(j int, header string, sample [][]string) *colInfo {
	c := &colInfo{index: j, header: header, hint: hintOf(header), score: map[string]float64{}}
	c.cells = make([]string, len(sample))
	for i, r := range sample {
		if j < len(r) {
			v := trimFloatZero(ident.Normalize(r[j]))
			c.cells[i] = v
			if v != "" {
				c.vals = append(c.vals, v)
			}
		}
	}
	if len(sample) > 0 {
		c.empty = 1 - float64(len(c.vals))/float64(len(sample))
	}
	if len(c.vals) == 0 {
		return c
	}
	v := c.vals
	set := func(f string, s float64) {
		if s > 0 {
			c.score[f] = s
		}
	}
	// Identifiers.
	set(register.FCURP, max(share(v, func(s string) bool { return ident.ValidateCURP(s) == nil }),
		0.8*share(v, curpShaped)))
	set(register.FClave, max(share(v, func(s string) bool { return ident.ValidateClave(s) == nil }),
		0.8*share(v, claveShaped)))
	// Dates.
	c.date = bestDateLayout(v)
	if c.date.share > 0 {
		// Which of the two dates is decided in agree; both start equal.
		set(register.FNacimiento, c.date.share*0.9)
		set(register.FFechaRegistro, c.date.share*0.85)
		if c.date.medianYear < 1990 {
			c.score[register.FNacimiento] = min(1, c.date.share)
		} else if c.date.medianYear >= 1995 {
			c.score[register.FFechaRegistro] = min(1, c.date.share*0.95)
		}
	}
	// Codes.
	sx := share(v, func(s string) bool { return sexWord(s) != 0 })
	if sx > 0 && distinct(v, 8) <= 6 {
		set(register.FSexo, sx)
		c.sexMF = contains(v, "F") && !contains(v, "H")
	}
	entCode := share(v, func(s string) bool { n, ok := intIn(s, 1, 32); return ok && len(s) <= 2 && n > 0 })
	entName := share(v, func(s string) bool { _, ok := entidadNames[s]; return ok })
	if entName > entCode && entName > 0.5 {
		set(register.FEntidad, entName)
		c.entNm = true
	} else if distinct(v, 40) <= 32 {
		set(register.FEntidad, entCode*0.75)
	}
	padded := func(n int) float64 {
		return share(v, func(s string) bool { return len(s) == n && s[0] == '0' })
	}
	mun := share(v, func(s string) bool { _, ok := intIn(s, 1, 570); return ok && len(s) <= 3 })
	set(register.FMunicipio, mun*0.6+0.3*boolf(padded(3) > 0.3 && mun > 0.9))
	sec := share(v, func(s string) bool { _, ok := intIn(s, 1, 9999); return ok && len(s) <= 4 })
	mode := modeShare(v)
	pad4 := 0.0
	if padded(4) > 0.2 || share(v, func(s string) bool { return len(s) == 4 }) > 0.9 {
		pad4 = 0.2
	}
	set(register.FSeccion, sec*0.55+pad4*boolf(sec > 0.9)-0.3*boolf(mode > 0.3))
	set(register.FLocalidad, sec*0.45+pad4*boolf(sec > 0.9)+0.3*boolf(mode > 0.3 && sec > 0.9))
	cp := share(v, func(s string) bool {
		n, ok := intIn(s, 1000, 99999)
		return ok && (len(s) == 5 || len(s) == 4 && n >= 1000)
	})
	set(register.FCodigoPostal, cp*0.75+0.1*boolf(share(v, func(s string) bool { return len(s) == 5 }) > 0.9))
	set(register.FEmision, 0.8*share(v, func(s string) bool { _, ok := intIn(s, 1990, 2035); return ok && len(s) == 4 }))
	cic := share(v, func(s string) bool { return digitsLen(s, 9, 10) })
	if cic > 0 && share(v, func(s string) bool { return len(s) == 10 && s[0] != '0' }) > 0.98 {
		cic *= 0.6 // could as well be phone numbers
	}
	set(register.FCIC, cic*0.9)
	set(register.FOCR, 0.9*share(v, func(s string) bool { return digitsLen(s, 12, 13) }))
	c.phone = share(v, isPhone)
	c.email = share(v, func(s string) bool { i := strings.IndexByte(s, '@'); return i > 0 && strings.IndexByte(s[i:], '.') > 0 })
	// Names and addresses.
	textual := share(v, isNameText)
	if textual > 0.8 {
		given := share(v, func(s string) bool { return isGiven(firstWord(s)) })
		sur := share(v, func(s string) bool { return surnames[firstWord(strip(s))] })
		set(register.FNombre, given*1.1)
		set(register.FPaterno, sur*1.05)
		set(register.FMaterno, sur*1.0)
		multi := share(v, func(s string) bool { return strings.Count(s, " ") >= 2 })
		if multi > 0.6 {
			npm := share(v, func(s string) bool { return isGiven(firstWord(s)) && surnames[lastWord(s)] })
			pmn := share(v, func(s string) bool { return surnames[firstWord(s)] && isGiven(lastWord(s)) })
			c.pmn = pmn > npm
			set(fullName, max(npm, pmn)*1.2+0.1)
		}
		two := share(v, func(s string) bool {
			p := nameParts(s)
			return len(p) == 2 && surnames[firstWord(strip(p[0]))] && !isGiven(p[1])
		})
		if two > 0.5 {
			set(bothSur, two*1.15)
		}
	}
	street, colonia, number, interior := 0, 0, 0, 0
	for _, s := range v {
		switch addrKind(s) {
		case "street":
			street++
		case "colonia":
			colonia++
		case "number":
			number++
		case "interior":
			interior++
		}
	}
	n := float64(len(v))
	set(register.FCalle, float64(street)/n)
	plainText := share(v, func(s string) bool { return isNameText(s) && !surnames[firstWord(s)] && !givenNames[firstWord(s)] })
	set(register.FColonia, float64(colonia)/n+0.35*plainText)
	// Exterior numbers: plain numbers (not zero-padded), S/N, MZ/LT, KM.
	plainNum := share(v, func(s string) bool { _, ok := intIn(s, 1, 99999); return ok && s[0] != '0' })
	set(register.FNumExterior, float64(number)/n+0.5*plainNum)
	if c.empty > 0.3 {
		short := share(v, func(s string) bool { return len(s) <= 30 })
		set(register.FNumInterior, float64(interior)/n+0.4*boolf(short > 0.95))
	}
	return c
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func share(v []string, pred func(string) bool) float64 {
	if len(v) == 0 {
		return 0
	}
	n := 0
	for _, s := range v {
		if pred(s) {
			n++
		}
	}
	return float64(n) / float64(len(v))
}

func contains(v []string, x string) bool {
	for _, s := range v {
		if s == x {
			return true
		}
	}
	return false
}

// distinct counts distinct values, stopping past limit.
func distinct(v []string, limit int) int {
	seen := map[string]bool{}
	for _, s := range v {
		seen[s] = true
		if len(seen) > limit {
			break
		}
	}
	return len(seen)
}

func modeShare(v []string) float64 {
	count := map[string]int{}
	best := 0
	for _, s := range v {
		count[s]++
		best = max(best, count[s])
	}
	return float64(best) / float64(len(v))
}

func intIn(s string, lo, hi int) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n >= lo && n <= hi
}

func digitsLen(s string, lo, hi int) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isPhone(s string) bool {
	d := 0
	seps := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			d++
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '+' || r == '.':
			seps = true
		default:
			return false
		}
	}
	if d == 10 || (d == 12 && strings.Contains(s, "52")) || (d == 13 && strings.Contains(s, "521")) {
		return seps || s[0] != '0'
	}
	return false
}

// curpShaped: AAAA999999[HM]AAAAA[A-Z0-9]9 without the check digit rule.
func curpShaped(s string) bool {
	if len(s) != 18 {
		return false
	}
	for i := 0; i < 18; i++ {
		c := s[i]
		letter := c >= 'A' && c <= 'Z'
		digit := c >= '0' && c <= '9'
		switch {
		case i < 4 || i >= 11 && i < 16:
			if !letter {
				return false
			}
		case i < 10 || i == 17:
			if !digit {
				return false
			}
		case i == 10:
			if c != 'H' && c != 'M' {
				return false
			}
		case i == 16:
			if !letter && !digit {
				return false
			}
		}
	}
	return true
}

func claveShaped(s string) bool {
	if len(s) != 18 {
		return false
	}
	for i := 0; i < 18; i++ {
		c := s[i]
		switch {
		case i < 6:
			if c < 'A' || c > 'Z' {
				return false
			}
		case i == 14:
			if c != 'H' && c != 'M' {
				return false
			}
		default:
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}

// isNameText: letters, spaces, dots and apostrophes only.
func isNameText(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r == ' ' || r == '.' || r == '\'' || r == 'Ñ' || r == '-') {
			return false
		}
	}
	return len(s) > 1
}

// strip drops leading particles ("DE LA CRUZ" → "CRUZ").
func strip(s string) string {
	for {
		w := firstWord(s)
		if !isParticle(w) || len(w) == len(s) {
			return s
		}
		s = s[len(w)+1:]
	}
}

// isGiven tells a frequent given name, abbreviations included ("MA.", "J.").
func isGiven(w string) bool { return givenNames[strings.TrimSuffix(w, ".")] }

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}

func lastWord(s string) string {
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		return s[i+1:]
	}
	return s
}

// addrKind classifies an address value by its first recognised word.
func addrKind(s string) string {
	slots := addr.Forms(s)
	if len(slots) == 0 {
		if s == "SN" || s == "S/N" {
			return "number"
		}
		if len(s) == 1 && s[0] >= 'A' && s[0] <= 'Z' {
			return "interior"
		}
		return ""
	}
	sl := slots[0]
	if sl.Start != 0 {
		return ""
	}
	switch addr.Classes()[sl.Class].Name {
	case "CALLE", "AVENIDA", "PRIVADA", "CERRADA", "BOULEVARD", "CARRETERA", "ANDADOR", "CALLEJON",
		"CALZADA", "PROLONGACION", "CIRCUITO", "RETORNO", "PERIFERICO", "DOMICILIO CONOCIDO":
		return "street"
	case "COLONIA", "FRACCIONAMIENTO", "UNIDAD HABITACIONAL", "CONJUNTO HABITACIONAL", "BARRIO", "EJIDO", "RESIDENCIAL", "PUEBLO":
		return "colonia"
	case "MANZANA", "LOTE", "KILOMETRO", "NUMERO", "SIN NUMERO":
		return "number"
	case "DEPARTAMENTO", "EDIFICIO", "INTERIOR":
		return "interior"
	}
	return ""
}

// entidadNames maps names, abbreviations and CURP codes to INE codes.
var entidadNames = map[string]string{}

func init() {
	for _, e := range ident.Entidades {
		entidadNames[ident.Normalize(e.Name)] = e.Code
		entidadNames[e.CURPCode] = e.Code
	}
	for code, names := range map[string]string{
		"01": "AGS AGUASCALIENTES", "02": "BC B.C. BAJA_CALIFORNIA_NORTE", "03": "BCS B.C.S.", "04": "CAMP",
		"05": "COAH COAHUILA_DE_ZARAGOZA", "06": "COL", "07": "CHIS", "08": "CHIH",
		"09": "CDMX DF D.F. DISTRITO_FEDERAL CIUDAD_DE_MEXICO", "10": "DGO", "11": "GTO", "12": "GRO",
		"13": "HGO", "14": "JAL", "15": "MEX EDOMEX EDO_MEX EDO._MEX. ESTADO_DE_MEXICO MEXICO", "16": "MICH MICHOACAN_DE_OCAMPO",
		"17": "MOR", "18": "NAY", "19": "NL N.L.", "20": "OAX", "21": "PUE", "22": "QRO", "23": "QROO Q._ROO Q.ROO",
		"24": "SLP S.L.P.", "25": "SIN", "26": "SON", "27": "TAB", "28": "TAMPS TAMS", "29": "TLAX", "30": "VER VERACRUZ_DE_IGNACIO_DE_LA_LLAVE",
		"31": "YUC", "32": "ZAC",
	} {
		for _, n := range strings.Fields(names) {
			entidadNames[strings.ReplaceAll(n, "_", " ")] = code
		}
	}
}

// agree sharpens scores with agreement between columns of the same rows.
func agree(cols []*colInfo, sample [][]string) {
	best := func(f string, min float64) *colInfo {
		var b *colInfo
		for _, c := range cols {
			if c.score[f] >= min && (b == nil || c.score[f] > b.score[f]) {
				b = c
			}
		}
		return b
	}
	// The key whose letters tell names, birth date and sex.
	type keyPos struct{ pat, mat, nom, date, sex int }
	var key *colInfo
	var kp keyPos
	if k := best(register.FCURP, 0.5); k != nil {
		key, kp = k, keyPos{0, 2, 3, 4, 10}
	} else if k := best(register.FClave, 0.5); k != nil {
		key, kp = k, keyPos{0, 2, 4, 6, 14}
	}
	rowAgree := func(c *colInfo, pred func(cell, key string) bool) float64 {
		n, ok := 0, 0
		for i, cell := range c.cells {
			k := key.cells[i]
			if len(k) != 18 || cell == "" {
				continue
			}
			n++
			if pred(cell, k) {
				ok++
			}
		}
		if n == 0 {
			return 0
		}
		return float64(ok) / float64(n)
	}
	var dates []*colInfo
	for _, c := range cols {
		if c.date.share >= 0.5 {
			dates = append(dates, c)
		}
	}
	if key != nil {
		for _, c := range cols {
			if c == key {
				continue
			}
			if c.date.share >= 0.5 {
				a := rowAgree(c, func(cell, k string) bool {
					d, ok := c.date.parse(cell, 10)
					return ok && d[2:4]+d[5:7]+d[8:10] == k[kp.date:kp.date+6]
				})
				if a > 0.5 {
					c.score[register.FNacimiento] = min(1, a+0.1)
					c.score[register.FFechaRegistro] *= 0.3
				} else if len(dates) > 1 {
					c.score[register.FNacimiento] *= 0.5
				}
			}
			if _, ok := c.score[register.FSexo]; ok {
				hm := rowAgree(c, func(cell, k string) bool { return sexOf(cell, false) == k[kp.sex] })
				mf := rowAgree(c, func(cell, k string) bool { return sexOf(cell, true) == k[kp.sex] })
				c.sexMF = mf > hm
				c.score[register.FSexo] = min(1, max(hm, mf)+0.05)
			}
			if isNameCol(c) {
				initial := func(pos int) float64 {
					return rowAgree(c, func(cell, k string) bool { return initialOf(cell) == k[pos] })
				}
				p, m := initial(kp.pat), initial(kp.mat)
				var n float64
				if key.score[register.FClave] > key.score[register.FCURP] {
					// The clave's letters 1, 3, 5: initials of paterno, materno, nombre.
					n = rowAgree(c, func(cell, k string) bool { return nameInitials(cell)[0] == k[4] || nameInitials(cell)[1] == k[4] })
				} else {
					n = rowAgree(c, func(cell, k string) bool { return nameInitials(cell)[0] == k[3] || nameInitials(cell)[1] == k[3] })
				}
				// Equal initials make two agreements high at once; the
				// column's own evidence breaks the tie.
				adj := func(f string, a float64) {
					if a > 0.6 {
						c.score[f] = min(1, 0.6*a+0.4*c.score[f]+0.3)
					} else {
						c.score[f] *= 0.5
					}
				}
				adj(register.FPaterno, p)
				adj(register.FMaterno, m)
				adj(register.FNombre, n)
			}
		}
	}
	// Two dates: the earlier in most rows is the birth date.
	if len(dates) == 2 {
		a, b := dates[0], dates[1]
		earlier, n := 0, 0
		for i := range a.cells {
			da, ok1 := a.date.parse(a.cells[i], 30)
			db, ok2 := b.date.parse(b.cells[i], 30)
			if ok1 && ok2 {
				n++
				if da < db {
					earlier++
				}
			}
		}
		if n > 0 {
			birth, reg := a, b
			if earlier*2 < n {
				birth, reg = b, a
			}
			if key == nil || birth.score[register.FNacimiento] >= reg.score[register.FNacimiento] {
				birth.score[register.FNacimiento] = max(birth.score[register.FNacimiento], birth.date.share)
				birth.score[register.FFechaRegistro] *= 0.5
				reg.score[register.FFechaRegistro] = max(reg.score[register.FFechaRegistro], reg.date.share)
				reg.score[register.FNacimiento] *= 0.5
			}
		}
	}
	// Surname columns without a key: the first is paterno, the next materno
	// (the usual order), and materno is more often empty.
	if key == nil {
		var sur []*colInfo
		for _, c := range cols {
			if c.score[register.FPaterno] >= 0.3 && c.score[register.FPaterno] > c.score[register.FNombre] {
				sur = append(sur, c)
			}
		}
		if len(sur) >= 2 {
			p, m := sur[0], sur[1]
			bonus := 0.1
			if m.empty+0.005 < p.empty {
				// People with one surname leave materno empty.
				p, m = m, p
				bonus = 0.15
			}
			p.score[register.FPaterno] += bonus
			p.score[register.FMaterno] -= bonus
			m.score[register.FMaterno] += bonus
			m.score[register.FPaterno] -= bonus
		}
	}
	// Postal codes and states agree on the prefix.
	for _, cp := range cols {
		if cp.score[register.FCodigoPostal] < 0.5 {
			continue
		}
		for _, e := range cols {
			if e == cp || e.score[register.FEntidad] < 0.3 {
				continue
			}
			n, ok := 0, 0
			for i := range e.cells {
				code := entidadCode(e.cells[i])
				p := cp.cells[i]
				if code == "" || len(p) < 4 {
					continue
				}
				if len(p) == 4 {
					p = "0" + p
				}
				n++
				if ent, found := ident.EntidadByCode(code); found {
					for _, pre := range ent.CPPrefixes {
						if p[:2] == pre {
							ok++
							break
						}
					}
				}
			}
			if n > 0 && float64(ok)/float64(n) > 0.6 {
				a := float64(ok) / float64(n)
				e.score[register.FEntidad] = max(e.score[register.FEntidad], a)
				cp.score[register.FCodigoPostal] = max(cp.score[register.FCodigoPostal], a)
			}
		}
	}
	// The OCR starts with the section number.
	if ocr := best(register.FOCR, 0.5); ocr != nil {
		for _, c := range cols {
			if c == ocr || c.score[register.FSeccion] <= 0 && c.score[register.FLocalidad] <= 0 {
				continue
			}
			n, ok := 0, 0
			for i, s := range c.cells {
				o := ocr.cells[i]
				if s == "" || len(o) < 13 {
					continue
				}
				n++
				if pad(s, 4) == o[:4] {
					ok++
				}
			}
			if n > 0 && float64(ok)/float64(n) > 0.8 {
				c.score[register.FSeccion] = 1
			}
		}
	}
}

func isNameCol(c *colInfo) bool {
	return c.score[register.FNombre] > 0 || c.score[register.FPaterno] > 0 ||
		(len(c.vals) > 0 && share(c.vals, isNameText) > 0.8 && c.score[register.FSexo] == 0 && c.score[register.FEntidad] == 0)
}

// initialOf is the initial the CURP takes from a surname: the first letter
// after particles, Ñ as X, X for none.
func initialOf(s string) byte {
	s = strip(s)
	if s == "" {
		return 'X'
	}
	if strings.HasPrefix(s, "Ñ") {
		return 'X'
	}
	return s[0]
}

// nameInitials are the initials of the first two words of a given name
// (the CURP uses the second after MARIA/JOSE).
func nameInitials(s string) [2]byte {
	var out [2]byte
	w := strings.Fields(s)
	k := 0
	for _, x := range w {
		if isParticle(x) {
			continue
		}
		if k < 2 {
			out[k] = x[0]
			k++
		}
	}
	return out
}

// hints maps normalised headers to fields (or extras, or fullName).
var hints = map[string]string{}

func init() {
	for f, words := range map[string]string{
		register.FCURP:          "curp curps",
		register.FClave:         "clave claveelector claveine cveelector cveelec claveelec elector ife claveife voterkey voterid clavedeelector",
		register.FNombre:        "nombre nombres name names firstname givenname givennames given nom prenom vorname primernombre nombrespila",
		register.FPaterno:       "paterno apellidopaterno appaterno ap apat apepat apellido apellido1 primerapellido lastname surname familyname fathersurname apellidop",
		register.FMaterno:       "materno apellidomaterno apmaterno am amat apemat apellido2 segundoapellido mothersurname secondsurname secondlastname apellidom",
		register.FNacimiento:    "fechanacimiento fechadenacimiento fnac fechanac nacimiento dob birthdate birthday dateofbirth fnacimiento fecnac birth",
		register.FSexo:          "sexo sex genero gender sx",
		register.FEntidad:       "entidad estado edo ent state entidadfederativa cveentidad cveent identidad province",
		register.FMunicipio:     "municipio mun mpio municipality cvemunicipio cvemun delegacion alcaldia county",
		register.FSeccion:       "seccion secc sec section seccionelectoral cveseccion",
		register.FLocalidad:     "localidad loc locality cvelocalidad",
		register.FCalle:         "calle street domicilio direccion address dir via",
		register.FNumExterior:   "numext numexterior exterior noext numero num no ext number nexterior numeroexterior",
		register.FNumInterior:   "numint numinterior interior noint int ninterior numerointerior",
		register.FColonia:       "colonia col neighborhood barrio asentamiento suburb",
		register.FCodigoPostal:  "cp codigopostal zip zipcode postal postalcode cpostal codpostal plz",
		register.FFechaRegistro: "fecharegistro fechaalta alta registro fechainscripcion registrationdate fechaderegistro fecreg fregistro",
		register.FEmision:       "emision anoemision issue issued yearissued emisioncredencial",
		register.FCIC:           "cic",
		register.FOCR:           "ocr",
		ExtraPhone:              "telefono tel phone celular cel movil mobile whatsapp telefonos tel1 telefono1 phonenumber",
		ExtraEmail:              "email correo mail correoelectronico emailaddress",
		ExtraOther:              "distrito district distritofederal distritolocal id folio consecutivo rowid index idx edad age ocupacion occupation profesion observaciones notas notes fuente source",
		fullName:                "nombrecompleto fullname nombreyapellidos apellidosynombre apellidosynombres nombrecompl",
		bothSur:                 "apellidos surnames lastnames apellidospaternoymaterno",
	} {
		for _, w := range strings.Fields(words) {
			hints[w] = f
		}
	}
}

// hintOf is the field a header names, by exact word or by a telling part.
func hintOf(h string) string {
	k := headerKey(h)
	if k == "" {
		return ""
	}
	if f, ok := hints[k]; ok {
		return f
	}
	for _, p := range []struct{ part, field string }{
		{"curp", register.FCURP}, {"paterno", register.FPaterno}, {"materno", register.FMaterno},
		{"completo", fullName}, {"nacim", register.FNacimiento}, {"birth", register.FNacimiento},
		{"postal", register.FCodigoPostal}, {"seccion", register.FSeccion}, {"municip", register.FMunicipio},
		{"colonia", register.FColonia}, {"localidad", register.FLocalidad}, {"registro", register.FFechaRegistro},
		{"emision", register.FEmision}, {"claveelec", register.FClave}, {"telef", ExtraPhone}, {"phone", ExtraPhone},
		{"mail", ExtraEmail}, {"correo", ExtraEmail}, {"nombre", register.FNombre}, {"calle", register.FCalle},
		{"exterior", register.FNumExterior}, {"interior", register.FNumInterior}, {"sexo", register.FSexo},
		{"entidad", register.FEntidad}, {"estado", register.FEntidad},
	} {
		if strings.Contains(k, p.part) {
			return p.field
		}
	}
	return ""
}

func headerKey(h string) string {
	n := ident.Normalize(h)
	var b strings.Builder
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == 0xC3 && i+1 < len(n) && n[i+1] == 0x91: // Ñ
			b.WriteByte('n')
			i++
		}
	}
	return b.String()
}

// layout names how a field is written in the column.
func (c *colInfo) layout(field string) string {
	switch field {
	case register.FNacimiento, register.FFechaRegistro:
		return c.date.layout()
	case register.FSexo:
		if c.sexMF {
			return "MF"
		}
		return "HM"
	case register.FEntidad:
		if c.entNm {
			return "name"
		}
		return "code"
	}
	return ""
}
