package linkage

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/huella/huella/internal/register"
)

// A small synthetic padrón for linkage tests: Mexican-looking names with a
// heavy head (HERNANDEZ, GARCIA, MARIA, JUAN ...) and a long invented tail,
// households sharing surnames and address, twins, moves and re-issued
// credentials. Every value is invented.

var topSurnames = strings.Fields(`HERNANDEZ GARCIA MARTINEZ LOPEZ GONZALEZ RODRIGUEZ PEREZ SANCHEZ
	RAMIREZ CRUZ FLORES GOMEZ MORALES VAZQUEZ JIMENEZ REYES DIAZ TORRES GUTIERREZ RUIZ MENDOZA
	AGUILAR ORTIZ MORENO CASTILLO ROMERO ALVAREZ MENDEZ CHAVEZ RIVERA JUAREZ RAMOS DOMINGUEZ
	HERRERA MEDINA CASTRO VARGAS GUZMAN VELAZQUEZ MUÑOZ ROJAS CONTRERAS SALAZAR LUNA ORTEGA
	NUÑEZ PEÑA IBAÑEZ CASTAÑEDA SANTIAGO ESTRADA BAUTISTA`)

var maleNames = strings.Fields(`JUAN JOSE JOSE_LUIS MIGUEL_ANGEL FRANCISCO JESUS ANTONIO ALEJANDRO
	PEDRO CARLOS MANUEL RICARDO FERNANDO JORGE ROBERTO LUIS JUAN_CARLOS DAVID MARIO JAVIER
	SERGIO ARTURO RAUL EDUARDO OSCAR RAFAEL JOSE_ANTONIO DANIEL HUGO ENRIQUE`)

var femaleNames = strings.Fields(`MARIA MARIA_GUADALUPE GUADALUPE JUANA MARGARITA VERONICA ROSA_MARIA
	LETICIA PATRICIA ELIZABETH MARIA_DEL_CARMEN ANA LAURA ALEJANDRA GABRIELA SILVIA MARTHA
	ADRIANA CLAUDIA TERESA ANA_MARIA MARIA_ELENA YOLANDA ROSA LUZ_MARIA GLORIA BRENDA KARLA`)

var streets = strings.Fields(`HIDALGO JUAREZ MORELOS INDEPENDENCIA REFORMA ZARAGOZA ALLENDE
	GUERRERO ALDAMA MATAMOROS OBREGON MADERO CARRANZA VICTORIA ABASOLO NICOLAS_BRAVO
	5_DE_MAYO 16_DE_SEPTIEMBRE 20_DE_NOVIEMBRE LAS_FLORES LOS_PINOS EL_ROSARIO SAN_JUAN
	SANTA_CRUZ LA_PAZ BENITO_JUAREZ EMILIANO_ZAPATA FRANCISCO_VILLA CUAUHTEMOC NIÑOS_HEROES`)

var colonias = strings.Fields(`CENTRO OBRERA MODERNA INDUSTRIAL SAN_JOSE SAN_MIGUEL LA_CANDELARIA
	EL_CARMEN LAS_AMERICAS JARDINES LOMAS_DEL_VALLE VISTA_HERMOSA BUENAVISTA SANTA_MARIA`)

var streetTypes = []string{"CALLE ", "AV. ", "PRIV. ", "", "", "CDA. "}

type genRNG struct{ *rand.Rand }

// pick chooses from a Zipf-like head: item i with weight 1/(i+1).
func (g genRNG) pick(xs []string) string {
	for {
		i := g.IntN(len(xs))
		if g.Float64() < 1/float64(i+1)*1.5 {
			return strings.ReplaceAll(xs[i], "_", " ")
		}
	}
}

var syl = strings.Fields(`BA BE CA CO DA DE GA LA LE LI LO MA ME MI MO NA NE NO PA PE RA RE RI RO SA SE TA TE TO VA VE ZA ZU CHA GUE LLA QUI XO TLA`)

// invented is a rare name from syllables, the long tail of the register.
func (g genRNG) invented(n int, suffix string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(syl[g.IntN(len(syl))])
	}
	return b.String() + suffix
}

func (g genRNG) surname() string {
	if g.Float64() < 0.7 {
		return g.pick(topSurnames)
	}
	return g.invented(2+g.IntN(2), []string{"EZ", "ES", "AN", "O", "A"}[g.IntN(5)])
}

func (g genRNG) given(sex byte) string {
	if g.Float64() < 0.75 {
		if sex == 'H' {
			return g.pick(maleNames)
		}
		return g.pick(femaleNames)
	}
	s := g.invented(2+g.IntN(2), "")
	if g.Float64() < 0.2 {
		return g.pick([]string{"MARIA", "JOSE", "JUAN"}) + " " + s
	}
	return s
}

type genPerson struct {
	id                         uint64
	nombre, paterno, materno   string
	birth                      register.Date
	sex                        byte
	ent, mun, sec              int
	calle, num, colonia, cp    string
	curp, clave, cic, ocr, emi string
}

func (p *genPerson) record(s *register.Schema) register.Record {
	r := make(register.Record, len(s.Fields))
	set := func(name, v string) {
		if i := s.Index(name); i >= 0 {
			r[i] = v
		}
	}
	set(register.FCURP, p.curp)
	set(register.FClave, p.clave)
	set(register.FNombre, p.nombre)
	set(register.FPaterno, p.paterno)
	set(register.FMaterno, p.materno)
	set(register.FNacimiento, p.birth.String())
	set(register.FSexo, string(p.sex))
	set(register.FEntidad, fmt.Sprintf("%02d", p.ent))
	set(register.FMunicipio, fmt.Sprintf("%03d", p.mun))
	set(register.FSeccion, fmt.Sprintf("%04d", p.sec))
	set(register.FCalle, p.calle)
	set(register.FNumExterior, p.num)
	set(register.FColonia, p.colonia)
	set(register.FCodigoPostal, p.cp)
	set(register.FCIC, p.cic)
	set(register.FOCR, p.ocr)
	set(register.FEmision, p.emi)
	return r
}

type household struct {
	paterno, materno        string
	ent, mun, sec           int
	calle, num, colonia, cp string
}

func (g genRNG) address(h *household) {
	h.ent = 1 + g.IntN(4) // few states: dense sections, many near-duplicates
	h.mun = 1 + g.IntN(8)
	h.sec = h.mun*100 + g.IntN(40)
	h.calle = streetTypes[g.IntN(len(streetTypes))] + g.pick(streets)
	if g.Float64() < 0.1 {
		h.num = "S/N"
	} else {
		h.num = strconv.Itoa(1 + g.IntN(400))
	}
	h.colonia = g.pick(colonias)
	h.cp = fmt.Sprintf("%02d%03d", 20+h.ent, h.mun*10+g.IntN(10))
}

// genPeople makes n people in households; seed fixes everything.
func genPeople(n int, seed uint64, idBase uint64) []genPerson {
	g := genRNG{rand.New(rand.NewPCG(seed, 77))}
	people := make([]genPerson, 0, n)
	start := register.MustDate("1940-01-01")
	for len(people) < n {
		var h household
		h.paterno, h.materno = g.surname(), g.surname()
		if g.Float64() < 0.02 {
			h.materno = "" // one surname
		}
		g.address(&h)
		size := 1 + g.IntN(4)
		twins := g.Float64() < 0.05
		used := map[string]bool{} // parents do not give two children one name
		for k := 0; k < size && len(people) < n; k++ {
			p := genPerson{id: idBase + uint64(len(people)), paterno: h.paterno, materno: h.materno,
				ent: h.ent, mun: h.mun, sec: h.sec, calle: h.calle, num: h.num, colonia: h.colonia, cp: h.cp}
			p.sex = "HM"[g.IntN(2)]
			p.nombre = g.given(p.sex)
			for used[p.nombre] {
				p.nombre = g.given(p.sex)
			}
			p.birth = start + register.Date(g.IntN(65*365))
			if k == 1 && twins {
				prev := people[len(people)-1]
				p.birth = prev.birth
				for used[p.nombre] {
					p.nombre = g.given(p.sex)
				}
			}
			if k > 0 && !twins && g.Float64() < 0.3 {
				// a spouse: own surnames, same address
				p.paterno, p.materno = g.surname(), g.surname()
			}
			used[p.nombre] = true
			p.curp = fmt.Sprintf("%.4s%s%c%02d%06d", p.paterno+"XXXX", strings.ReplaceAll(p.birth.String()[2:], "-", ""), p.sex, p.ent, p.id%1000000)
			p.clave = fmt.Sprintf("CL%012d%c%03d", p.id, p.sex, g.IntN(1000))
			p.cic = strconv.Itoa(100000000 + g.IntN(900000000))
			p.ocr = strconv.Itoa(1000000 + g.IntN(9000000))
			p.emi = strconv.Itoa(2000 + g.IntN(20))
			people = append(people, p)
		}
	}
	return people
}

// genVersions turns people into versions between 2010 and now: a quarter
// move once, a fifth get a new credential.
func genVersions(people []genPerson, seed uint64, s *register.Schema, emit func(*register.Version)) {
	g := genRNG{rand.New(rand.NewPCG(seed, 99))}
	t0 := register.MustDate("2010-01-01")
	for i := range people {
		p := people[i]
		from := t0 + register.Date(g.IntN(3000))
		cur := p
		for {
			var change int
			switch x := g.Float64(); {
			case x < 0.25:
				change = 1 // move
			case x < 0.45:
				change = 2 // new credential
			}
			to := register.NoDate
			if change != 0 {
				to = from + register.Date(200+g.IntN(2000))
			}
			emit(&register.Version{PersonID: cur.id, ValidFrom: from, ValidTo: to, Record: cur.record(s)})
			if to == register.NoDate {
				break
			}
			from = to
			switch change {
			case 1:
				var h household
				g.address(&h)
				h.ent = cur.ent
				cur.mun, cur.sec, cur.calle, cur.num, cur.colonia, cur.cp = h.mun, h.sec, h.calle, h.num, h.colonia, h.cp
			case 2:
				cur.cic = strconv.Itoa(100000000 + g.IntN(900000000))
				cur.emi = strconv.Itoa(2000 + g.IntN(20))
			}
		}
	}
}

// Typing errors a leak shows; damage applies each with probability q.
const (
	errTranspose = iota
	errDrop
	errSwapGiven
	errNoMaterno
	errSwapDayMonth
	errLower
	errAccents
	errAbbrev
	nErrKinds
)

var errNames = [nErrKinds]string{"transposed letters", "dropped letter", "swapped given names",
	"missing second surname", "day/month swapped", "lower case", "accents stripped", "abbreviations expanded"}

func transpose(g genRNG, s string) string {
	b := []rune(s)
	if len(b) < 2 {
		return s
	}
	for try := 0; try < 10; try++ {
		i := g.IntN(len(b) - 1)
		if b[i] != ' ' && b[i+1] != ' ' && b[i] != b[i+1] {
			b[i], b[i+1] = b[i+1], b[i]
			return string(b)
		}
	}
	return s
}

func drop(g genRNG, s string) string {
	b := []rune(s)
	if len(b) < 3 {
		return s
	}
	i := g.IntN(len(b))
	if b[i] == ' ' {
		return s
	}
	return string(append(b[:i:i], b[i+1:]...))
}

var expand = strings.NewReplacer("AV. ", "AVENIDA ", "PRIV. ", "PRIVADA ", "CDA. ", "CERRADA ", "CALLE ", "C. ", "S/N", "SIN NUMERO")

// damage makes a leaked row of a register record: keys removed (if
// keyless), and each typing error applied with probability q. It returns the
// errors applied.
func damage(g genRNG, s *register.Schema, rec register.Record, keyless bool, q float64) (register.Record, []int) {
	r := append(register.Record(nil), rec...)
	at := func(name string) *string { return &r[s.Index(name)] }
	if keyless {
		*at(register.FCURP), *at(register.FClave) = "", ""
	}
	var applied []int
	for k := 0; k < nErrKinds; k++ {
		if g.Float64() >= q {
			continue
		}
		switch k {
		case errTranspose, errDrop:
			f := at([]string{register.FNombre, register.FPaterno, register.FMaterno}[g.IntN(3)])
			if k == errTranspose {
				*f = transpose(g, *f)
			} else {
				*f = drop(g, *f)
			}
		case errSwapGiven:
			f := at(register.FNombre)
			toks := strings.Fields(*f)
			if len(toks) < 2 {
				continue
			}
			toks[0], toks[len(toks)-1] = toks[len(toks)-1], toks[0]
			*f = strings.Join(toks, " ")
		case errNoMaterno:
			*at(register.FMaterno) = ""
		case errSwapDayMonth:
			f := at(register.FNacimiento)
			if len(*f) == 10 {
				*f = (*f)[:5] + (*f)[8:10] + "-" + (*f)[5:7]
			}
		case errLower:
			for i := range r {
				r[i] = strings.ToLower(r[i])
			}
		case errAccents:
			for i := range r {
				r[i] = strings.NewReplacer("Ñ", "N", "ñ", "n").Replace(r[i])
			}
		case errAbbrev:
			*at(register.FCalle) = expand.Replace(*at(register.FCalle))
			*at(register.FNumExterior) = expand.Replace(*at(register.FNumExterior))
			*at(register.FColonia) = "COL. " + *at(register.FColonia)
		}
		applied = append(applied, k)
	}
	return r, applied
}
