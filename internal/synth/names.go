package synth

import (
	"math"
	"strings"
	"sync"

	"github.com/huella/huella/internal/ident"
)

// Source tables are written as people spell the names (accents, Ñ); they are
// normalised with ident.Normalize once, the way the custodian stores them.

// topSurnames are the most frequent surnames with their approximate count in
// the padrón, in thousands (HERNANDEZ 3,530 of ≈89,000: ≈4%).
var topSurnames = []struct {
	name string
	k    float64
}{
	{"HERNÁNDEZ", 3530}, {"GARCÍA", 2600}, {"MARTÍNEZ", 2460}, {"LÓPEZ", 2240}, {"GONZÁLEZ", 2030},
	{"RODRÍGUEZ", 1670}, {"PÉREZ", 1570}, {"SÁNCHEZ", 1490}, {"RAMÍREZ", 1420}, {"CRUZ", 1070},
	{"FLORES", 990}, {"GÓMEZ", 970}, {"MORALES", 770}, {"VÁZQUEZ", 760}, {"REYES", 740},
	{"JIMÉNEZ", 710}, {"TORRES", 700}, {"DÍAZ", 660}, {"GUTIÉRREZ", 650}, {"RUIZ", 590},
	{"MENDOZA", 560}, {"AGUILAR", 540}, {"ORTIZ", 510}, {"MORENO", 500}, {"CASTILLO", 500},
	{"ROMERO", 470}, {"ÁLVAREZ", 460}, {"MÉNDEZ", 450}, {"CHÁVEZ", 440}, {"RIVERA", 420},
	{"JUÁREZ", 420}, {"RAMOS", 410}, {"DOMÍNGUEZ", 400}, {"HERRERA", 390}, {"MEDINA", 380},
	{"CASTRO", 370}, {"VARGAS", 360}, {"GUZMÁN", 350}, {"VELÁZQUEZ", 350}, {"MUÑOZ", 330},
	{"ROJAS", 330}, {"DE LA CRUZ", 320}, {"CONTRERAS", 320}, {"SALAZAR", 310}, {"LUNA", 300},
	{"ORTEGA", 300}, {"SANTIAGO", 300}, {"GUERRERO", 290}, {"BAUTISTA", 280}, {"CORTÉS", 280},
	{"SOTO", 270}, {"ALVARADO", 270}, {"ESPINOZA", 260}, {"LARA", 260}, {"ÁVILA", 260},
	{"RÍOS", 250}, {"CERVANTES", 240}, {"SILVA", 240}, {"DELGADO", 240}, {"VEGA", 240},
	{"MÁRQUEZ", 230}, {"SANTOS", 230}, {"SANDOVAL", 225}, {"FERNÁNDEZ", 220}, {"CARRILLO", 220},
	{"LEÓN", 215}, {"VÁSQUEZ", 210}, {"NAVARRO", 210}, {"ESTRADA", 205}, {"CAMACHO", 200},
	{"DE LA ROSA", 120}, {"DEL ÁNGEL", 90}, {"MC GREGOR", 5}, {"DE LOS SANTOS", 80}, {"PEÑA", 190},
	{"NÚÑEZ", 185}, {"IBARRA", 180}, {"SOLÍS", 178}, {"OROZCO", 175}, {"ACOSTA", 172},
	{"MIRANDA", 170}, {"CABRERA", 168}, {"ROSALES", 165}, {"VALENCIA", 160}, {"ESPINOSA", 158},
	{"PACHECO", 155}, {"CAMPOS", 152}, {"TREJO", 150}, {"VELASCO", 148}, {"SALINAS", 146},
	{"CORONA", 144}, {"FUENTES", 142}, {"ROSAS", 140}, {"MEJÍA", 138}, {"FIGUEROA", 136},
	{"ZÚÑIGA", 134}, {"MOLINA", 132}, {"MALDONADO", 130}, {"CARDENAS", 128}, {"VALDEZ", 126},
}

// moreSurnames continue the list in rough order of frequency; their weights
// decay like a Zipf law from the last top surname.
var moreSurnames = strings.Fields(`
	BECERRA AYALA ROBLES PADILLA AGUIRRE MEZA PIÑA ESCOBAR PONCE BARRERA QUINTERO
	LUGO BENÍTEZ MONTES SALAS OCHOA MARÍN ARELLANO ARIAS SERRANO SOSA GALLEGOS ZAMORA
	VILLANUEVA CARMONA ESPARZA FRANCO BRAVO TAPIA CISNEROS OLVERA CORTEZ RANGEL VILLA
	PINEDA BELTRÁN MATA DUARTE CALDERÓN ANDRADE NAVA GALLARDO PALACIOS TOVAR RIVAS
	ZAVALA ALONSO CUEVAS MONTOYA MERCADO TREVIÑO CERDA VILLALOBOS ESCAMILLA SIERRA
	OSORIO PARRA MACÍAS VERA GALVÁN LOZANO PERALTA CASTAÑEDA VALDÉS MACIAS TELLO
	AMBRIZ BARRAGÁN ZARATE ESQUIVEL ROCHA CAMPOS ALCANTARA OLIVARES MONROY CORREA
	HUERTA GALINDO LEYVA MIRELES ARROYO MATEO MONTIEL ÁNGELES ZAMUDIO HIDALGO CANO
	ALFARO ROBLEDO MANCILLA SEGURA ARREOLA SOLANO PEREA CORTINA MURILLO ALEMÁN AVALOS
	GAYTÁN BUENO PRADO GARZA LEAL VENEGAS ZEPEDA ARANDA DURÁN ÁLVAREZ BONILLA NIETO
	PIMENTEL VILLEGAS CHÁVEZ ENRÍQUEZ MORA GALICIA TOLEDO ALCALÁ ARAGÓN ARGUETA BARAJAS
	BARRIOS BERNAL BLANCO CAMARILLO CANTÚ CARBAJAL CARRASCO CASAS CASTELLANOS CEJA
	CEBALLOS CERÓN COLÍN CORDERO CORNEJO COVARRUBIAS CUELLAR DÁVILA ESCALANTE ESPINO
	FAJARDO FÉLIX FERRER GALVÁN GAMBOA GARIBAY GIL GODÍNEZ GRANADOS GUERRA HARO
	HINOJOSA HURTADO INFANTE ISLAS JAIMES JARAMILLO LANDA LEDESMA LIMÓN LIRA LOERA
	LOYA LUCERO LUJÁN MADRIGAL MAGAÑA MANZANO MARES MARTÍN MATEOS MEDRANO MEJÍA
	MELÉNDEZ MENA MERINO MIRANDA MOCTEZUMA MOLINA MONTAÑO MONTERO MONTERROSA MOYA
	MÚGICA NÁJERA NOLASCO NORIEGA OCAMPO OLGUÍN OLMOS OLVERA OROPEZA ORDAZ OSUNA
	PADRÓN PALMA PAREDES PATIÑO PAZ PEDRAZA PIZANO PLASCENCIA PORRAS POZOS PUENTE
	QUEZADA QUIROZ RENTERÍA REYNA RICO RINCÓN ROA ROBLERO RODARTE ROMÁN ROSARIO RUEDA
	SAAVEDRA SÁENZ SALAS SALCEDO SALGADO SAUCEDO SEGOVIA SERNA SOLÓRZANO SORIANO
	SUÁREZ TAMAYO TEJEDA TERÁN TINOCO TOLENTINO TORRES UGALDE URIBE URBINA VACA VALADEZ
	VALDIVIA VALLE VALLEJO VARELA VÉLEZ VENTURA VIDAL VILLAREAL VILLASEÑOR YÁÑEZ
	ZAPATA ZAVALETA ZEA ZERMEÑO ÁLVARO ARCE ARMENTA BAEZ BÁEZ CHI CANCHÉ CANUL
	CEH COUOH DZUL EK KU MAY PECH POOT TUN UC UICAB XOOL YAM SANTIAGO BAUTISTA
	MATÍAS PASCUAL FELIPE LORENZO MARCOS GASPAR DIEGO JACINTO NICOLÁS ANTONIO
`)

// surnameTail builds rare surnames from syllables: a long Zipf-like tail.
var (
	tailRoots = strings.Fields(`AL BAR CAS DOR ES FER GAL IBAR LAR MAL NAV OL PAR QUIN RAM SAL TOR UR VAL ZAM
		AR BEL COR DEL EN GUER HER LEM MAN OR PIN REN SOL TEL VEN ZU ACE BRI CHA MEL`)
	tailMids = []string{"", "A", "E", "I", "O", "AN", "ER", "IL", "OR", "US"}
	tailEnds = strings.Fields(`ADO AGA ANO ARES EDA EGA ENO ERA IL INO OS UZ EZ AZ IZ ON ES ILLA ERO ANA AL ENTE`)
)

const surnameTailSize = 40 * 10 * 22 // every root × mid × end

// givenFemale and givenMale are given names with rough weights (per
// thousand of women or men); compound names are common.
var givenFemale = []struct {
	name string
	w    float64
}{
	{"MARÍA GUADALUPE", 30}, {"GUADALUPE", 18}, {"MARÍA", 16}, {"JUANA", 12}, {"MARGARITA", 11},
	{"MARÍA DEL CARMEN", 11}, {"VERÓNICA", 10}, {"ELIZABETH", 10}, {"ROSA MARÍA", 9}, {"LETICIA", 9},
	{"MARTHA", 9}, {"ANA MARÍA", 8}, {"ALEJANDRA", 8}, {"YOLANDA", 8}, {"PATRICIA", 8},
	{"GABRIELA", 8}, {"MARÍA ELENA", 7}, {"LAURA", 7}, {"SILVIA", 7}, {"ROSA", 7},
	{"ADRIANA", 7}, {"CLAUDIA", 7}, {"ARACELI", 6}, {"LUCÍA", 6}, {"ANA", 5},
	{"MA. GUADALUPE", 9}, {"MA. DE LOURDES", 5}, {"MARÍA DE LOURDES", 6}, {"MARÍA ISABEL", 5}, {"MA. DEL CARMEN", 5},
	{"MARÍA DE JESÚS", 5}, {"MARÍA JOSÉ", 4}, {"MA. ELENA", 3}, {"ANDREA", 6}, {"FERNANDA", 5},
	{"DANIELA", 6}, {"MARIANA", 5}, {"KARLA", 5}, {"KARINA", 5}, {"JESSICA", 5},
	{"SANDRA", 6}, {"ISABEL", 5}, {"TERESA", 5}, {"JOSEFINA", 5}, {"ANGÉLICA", 5},
	{"MÓNICA", 5}, {"NORMA", 5}, {"ESTHER", 5}, {"ALICIA", 5}, {"ELENA", 4},
	{"BEATRIZ", 4}, {"CAROLINA", 4}, {"CRISTINA", 4}, {"DIANA", 5}, {"ERIKA", 4},
	{"IRMA", 4}, {"GLORIA", 4}, {"SOFÍA", 4}, {"VALERIA", 4}, {"XIMENA", 3},
	{"BRENDA", 4}, {"LILIANA", 4}, {"MIRIAM", 4}, {"NANCY", 4}, {"PAULINA", 3},
	{"REBECA", 3}, {"SUSANA", 3}, {"TANIA", 3}, {"VIRIDIANA", 3}, {"YESENIA", 3},
	{"BLANCA ESTELA", 3}, {"ANA LAURA", 3}, {"LUZ MARÍA", 4}, {"MARÍA LUISA", 4}, {"MARÍA TERESA", 4},
	{"MARÍA ANTONIETA", 2}, {"MARÍA FERNANDA", 4}, {"MARÍA DE LOS ÁNGELES", 4}, {"ANA KAREN", 3}, {"JUANA MARÍA", 2},
	{"CONCEPCIÓN", 3}, {"DOLORES", 3}, {"ESPERANZA", 3}, {"SOCORRO", 3}, {"CATALINA", 3},
	{"REYNA", 2}, {"ROCÍO", 4}, {"AZUCENA", 2}, {"ITZEL", 3}, {"NAYELI", 3},
	{"ALMA DELIA", 2}, {"EVA", 2}, {"OLGA", 2}, {"RAQUEL", 2}, {"RUTH", 2},
	{"EMMA", 1}, {"ELVIA", 2}, {"FABIOLA", 3}, {"GRISELDA", 2}, {"HILDA", 2},
	{"IVONNE", 1}, {"JAQUELINE", 2}, {"LORENA", 3}, {"MAGDALENA", 3}, {"NOEMÍ", 2},
	{"OFELIA", 2}, {"PAOLA", 3}, {"RUBÍ", 1}, {"SARA", 2}, {"TERESITA", 1},
	{"XÓCHITL", 2}, {"ZULEMA", 1}, {"ABIGAIL", 2}, {"ARELI", 1}, {"BERENICE", 2},
	{"CITLALI", 2}, {"DULCE MARÍA", 2}, {"ESTEFANÍA", 2}, {"GUILLERMINA", 2}, {"IRENE", 2},
}

var givenMale = []struct {
	name string
	w    float64
}{
	{"JOSÉ LUIS", 20}, {"JUAN", 19}, {"JOSÉ", 16}, {"MIGUEL ÁNGEL", 15}, {"FRANCISCO", 14},
	{"JESÚS", 13}, {"ANTONIO", 12}, {"ALEJANDRO", 12}, {"PEDRO", 10}, {"JUAN CARLOS", 10},
	{"MANUEL", 10}, {"RICARDO", 9}, {"ROBERTO", 9}, {"FERNANDO", 9}, {"JAVIER", 9},
	{"JORGE", 9}, {"DAVID", 8}, {"MARTÍN", 8}, {"SERGIO", 8}, {"CARLOS", 8},
	{"MIGUEL", 8}, {"RAFAEL", 7}, {"ARTURO", 7}, {"EDUARDO", 7}, {"DANIEL", 7},
	{"JOSÉ ANTONIO", 7}, {"RAÚL", 6}, {"J. JESÚS", 6}, {"JUAN MANUEL", 6}, {"LUIS", 6},
	{"ENRIQUE", 6}, {"ÓSCAR", 6}, {"SALVADOR", 5}, {"MARIO", 5}, {"JOSÉ MANUEL", 5},
	{"JUAN JOSÉ", 4}, {"JOSÉ GUADALUPE", 4}, {"JOSÉ DE JESÚS", 4}, {"J. GUADALUPE", 3}, {"JUAN ANTONIO", 4},
	{"ALBERTO", 5}, {"ANDRÉS", 4}, {"ÁNGEL", 5}, {"ARMANDO", 5}, {"BENJAMÍN", 3},
	{"CÉSAR", 5}, {"DIEGO", 5}, {"EMMANUEL", 4}, {"ERNESTO", 4}, {"GABRIEL", 4},
	{"GERARDO", 5}, {"GUILLERMO", 5}, {"HÉCTOR", 5}, {"HUGO", 4}, {"IGNACIO", 3},
	{"ISRAEL", 4}, {"IVÁN", 4}, {"JAIME", 4}, {"JOAQUÍN", 3}, {"JULIO CÉSAR", 4},
	{"LEONARDO", 3}, {"LUIS ÁNGEL", 3}, {"MARCO ANTONIO", 4}, {"MAURICIO", 3}, {"NOÉ", 2},
	{"OMAR", 4}, {"PABLO", 4}, {"RAMÓN", 4}, {"RAYMUNDO", 2}, {"RODOLFO", 4},
	{"RUBÉN", 4}, {"SAMUEL", 3}, {"SANTIAGO", 3}, {"SAÚL", 3}, {"TOMÁS", 3},
	{"VÍCTOR", 5}, {"VÍCTOR MANUEL", 4}, {"ADRIÁN", 4}, {"AGUSTÍN", 3}, {"ALFREDO", 4},
	{"ÁLVARO", 2}, {"BRYAN", 2}, {"CRISTIAN", 3}, {"EDGAR", 4}, {"EFRAÍN", 2},
	{"ELÍAS", 2}, {"EMILIO", 2}, {"ESTEBAN", 2}, {"FELIPE", 3}, {"FIDEL", 2},
	{"GILBERTO", 3}, {"GONZALO", 2}, {"GUSTAVO", 3}, {"HORACIO", 2}, {"ISMAEL", 2},
	{"JAIR", 2}, {"JONATHAN", 3}, {"JOSÉ ALFREDO", 2}, {"JOSÉ ÁNGEL", 2}, {"JUAN PABLO", 3},
	{"LORENZO", 2}, {"LUIS ALBERTO", 3}, {"LUIS FERNANDO", 3}, {"MOISÉS", 2}, {"NICOLÁS", 2},
	{"ORLANDO", 2}, {"OCTAVIO", 2}, {"RENÉ", 2}, {"REYES", 1}, {"ROGELIO", 3},
	{"SEBASTIÁN", 2}, {"ULISES", 2}, {"URIEL", 2}, {"VICENTE", 3}, {"IÑAKI", 0.3},
}

// Given names follow fashion: modern ones are common among people born
// from 1980, traditional ones among those born before.
var (
	modernNames = strings.Fields(`ANDREA FERNANDA DANIELA MARIANA KARLA KARINA JESSICA DIANA SOFÍA VALERIA XIMENA BRENDA
		PAULINA TANIA VIRIDIANA YESENIA ITZEL NAYELI PAOLA ABIGAIL BERENICE CITLALI ESTEFANÍA ANA_KAREN MARÍA_FERNANDA
		MARÍA_JOSÉ DIEGO EMMANUEL ISRAEL IVÁN OMAR SANTIAGO SEBASTIÁN BRYAN CRISTIAN EDGAR JAIR JONATHAN LUIS_ÁNGEL
		ULISES URIEL JUAN_PABLO LUIS_FERNANDO ADRIÁN`)
	traditionalNames = strings.Fields(`JUANA MARGARITA MARTHA YOLANDA ROSA JOSEFINA TERESA ESTHER IRMA GLORIA CONCEPCIÓN
		DOLORES ESPERANZA SOCORRO CATALINA REYNA OFELIA GUILLERMINA HILDA ELVIA MARÍA_DEL_CARMEN MA._GUADALUPE
		MA._DE_LOURDES MA._DEL_CARMEN MA._ELENA ROSA_MARÍA ANA_MARÍA JUANA_MARÍA LUZ_MARÍA MARÍA_ANTONIETA J._JESÚS
		J._GUADALUPE JOSÉ_GUADALUPE SALVADOR RAMÓN RAYMUNDO ROGELIO GILBERTO FIDEL HORACIO IGNACIO REYES JESÚS PEDRO`)
)

// secondGiven are second names that turn a simple given name into a compound one.
var secondFemale = strings.Fields(`GUADALUPE ISABEL ELENA DEL_CARMEN DE_JESÚS LUISA FERNANDA JOSÉ ALEJANDRA CRISTINA ESTHER
	DE_LOURDES TERESA ANGÉLICA GABRIELA PATRICIA LETICIA YOLANDA DOLORES ELIZABETH`)
var secondMale = strings.Fields(`LUIS ANTONIO MANUEL CARLOS ÁNGEL ALBERTO DE_JESÚS GUADALUPE ALEJANDRO FRANCISCO JAVIER
	EDUARDO ENRIQUE ARMANDO ALFREDO DANIEL RAMÓN GERARDO ADRIÁN`)

// nameTables are the normalised tables and their samplers, built once.
type nameTables struct {
	surnames                   []string // top + more + tail
	surLetters                 []ident.Letters
	femaleLetters, maleLetters []ident.Letters
	nTop                       int // top + more: sampled by the alias table
	topAlias                   *alias
	topMass                    float64 // share of surnames drawn from the explicit lists
	female, male               []string
	femaleAlias, maleAlias     [2]*alias // [0] born before 1980, [1] from 1980
	secondF, secondM           []string
	singleSurnameShare         float64
	compoundShare              float64 // share of simple given names extended with a second
	lnTailSpan, tailK, tailMax float64
}

var (
	tablesOnce sync.Once
	tables     *nameTables
)

func nameTab() *nameTables {
	tablesOnce.Do(func() { tables = buildNames() })
	return tables
}

func buildNames() *nameTables {
	t := &nameTables{singleSurnameShare: 0.011, compoundShare: 0.12}
	seen := map[string]bool{}
	var w []float64
	total := 0.0
	for _, s := range topSurnames {
		n := ident.Normalize(s.name)
		if seen[n] {
			continue
		}
		seen[n] = true
		t.surnames = append(t.surnames, n)
		w = append(w, s.k)
		total += s.k
	}
	last := topSurnames[len(topSurnames)-1].k
	r0 := float64(len(t.surnames))
	for _, s := range moreSurnames {
		n := ident.Normalize(s)
		if seen[n] {
			continue
		}
		seen[n] = true
		k := last * math.Pow(r0/float64(len(t.surnames)+1), 0.9)
		t.surnames = append(t.surnames, n)
		w = append(w, k)
		total += k
	}
	t.nTop = len(t.surnames)
	t.topAlias = newAlias(w)
	// The padrón holds ≈89,000 thousand surnames; the explicit lists cover
	// `total`, the rest comes from the tail.
	const padronK = 89000
	t.topMass = total / padronK
	for i := 0; i < surnameTailSize; i++ {
		// a fixed permutation of the syllable grid, so tail ranks do not sort alphabetically
		j := (i*7919 + 13) % surnameTailSize
		root := tailRoots[j%len(tailRoots)]
		mid := tailMids[j/len(tailRoots)%len(tailMids)]
		end := tailEnds[j/(len(tailRoots)*len(tailMids))]
		t.surnames = append(t.surnames, root+mid+end)
	}
	t.tailK = float64(t.nTop)
	t.tailMax = surnameTailSize
	t.lnTailSpan = math.Log((t.tailMax + t.tailK) / t.tailK)

	for _, g := range givenFemale {
		t.female = append(t.female, ident.Normalize(g.name))
	}
	t.femaleAlias = byCohort(givenFemale)
	for _, g := range givenMale {
		t.male = append(t.male, ident.Normalize(g.name))
	}
	t.maleAlias = byCohort(givenMale)
	for _, x := range t.surnames {
		t.surLetters = append(t.surLetters, ident.SurnameLetters(x))
	}
	for _, x := range t.female {
		t.femaleLetters = append(t.femaleLetters, ident.GivenNameLetters(x))
	}
	for _, x := range t.male {
		t.maleLetters = append(t.maleLetters, ident.GivenNameLetters(x))
	}
	for _, s := range secondFemale {
		t.secondF = append(t.secondF, ident.Normalize(strings.ReplaceAll(s, "_", " ")))
	}
	for _, s := range secondMale {
		t.secondM = append(t.secondM, ident.Normalize(strings.ReplaceAll(s, "_", " ")))
	}
	return t
}

// byCohort builds the samplers of older and younger people: modern names
// are 4 times as common among the young and 5 times rarer among the old,
// traditional names the other way round.
func byCohort(l []struct {
	name string
	w    float64
}) [2]*alias {
	set := func(names []string) map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			m[ident.Normalize(strings.ReplaceAll(n, "_", " "))] = true
		}
		return m
	}
	modern, traditional := set(modernNames), set(traditionalNames)
	old, young := make([]float64, len(l)), make([]float64, len(l))
	for i, x := range l {
		n := ident.Normalize(x.name)
		old[i], young[i] = x.w, x.w
		switch {
		case modern[n]:
			old[i], young[i] = x.w/5, x.w*4
		case traditional[n]:
			old[i], young[i] = x.w*2, x.w/5
		}
	}
	return [2]*alias{newAlias(old), newAlias(young)}
}

// surname draws one surname: from the explicit lists with probability
// topMass, else from the tail with P(rank ≤ r) = ln((r+K)/K)/ln((M+K)/K),
// a continuous Zipf law that starts where the explicit list stops.
func (t *nameTables) surname(r *rng) (string, ident.Letters) {
	var i int
	if r.Float64() < t.topMass {
		i = t.topAlias.draw(r)
	} else {
		x := t.tailK*math.Exp(r.Float64()*t.lnTailSpan) - t.tailK
		i = t.nTop + min(int(x), surnameTailSize-1)
	}
	return t.surnames[i], t.surLetters[i]
}

// given draws a given name for sex 'H' or 'M'; young: born from 1980.
func (t *nameTables) given(r *rng, sex byte, young bool) (string, ident.Letters) {
	c := 0
	if young {
		c = 1
	}
	var n string
	var l ident.Letters
	var second []string
	if sex == 'M' {
		i := t.femaleAlias[c].draw(r)
		n, l, second = t.female[i], t.femaleLetters[i], t.secondF
	} else {
		i := t.maleAlias[c].draw(r)
		n, l, second = t.male[i], t.maleLetters[i], t.secondM
	}
	if !strings.Contains(n, " ") && r.Float64() < t.compoundShare {
		s := second[r.IntN(len(second))]
		if s != n {
			n = n + " " + s
			l = ident.GivenNameLetters(n)
		}
	}
	return n, l
}
