package synth

import (
	"math"
	"strings"
	"sync"

	"github.com/huella/huella/internal/addr"
	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// The synthetic geography is fixed (it does not depend on the seed), so
// every synthetic register and every canary share it: entity → municipios
// (real counts, Zipf-like sizes) → sections (numbered within the entity,
// ≈1 per 1,300 voters, contiguous per municipio) → localidad, colonias and
// streets (derived by hashing the section), postal codes with the entity's
// prefix (one prefix and block per municipio, one code per colonia).

// municipios per entity, INE order (≈2021).
var municipioCount = [32]int{11, 6, 5, 13, 38, 10, 124, 67, 16, 39, 46, 85, 84, 125, 125, 113,
	36, 20, 51, 570, 217, 18, 11, 58, 20, 72, 17, 43, 60, 212, 106, 58}

const votersPerSection = 1300

var resecFirst = register.MustDate("2015-01-01")

// resection is the day address a's section is split and the number it gets,
// or NoDate when its colonia keeps its section.
func (g *geography) resection(a *address) (register.Date, uint16) {
	ge := &g.ents[a.ent-1]
	if a.col%2 == 0 {
		return register.NoDate, 0
	}
	n, ok := ge.resec[a.sec]
	if !ok {
		return register.NoDate, 0
	}
	return ge.resecDate[a.sec], n
}

type geoEntity struct {
	ent        int // 1..32
	nSec       int
	munAlias   *alias
	munCode    []uint16 // municipio index (by size) → code 1..M
	secFirst   []uint16 // by code: first section number
	secCount   []uint16 // by code: number of sections
	cpPrefixes []string
	// re-sectioning: section → the new section its odd colonias move to, and when
	resec     map[uint16]uint16
	resecDate map[uint16]register.Date
}

type geography struct {
	ents        [32]geoEntity
	entAlias    *alias // residence, in proportion to voters
	colTypes    []int  // addr class ids of settlement types
	colTypeW    *alias
	ruralTypeW  *alias
	streetTypes []int // addr class ids of street types
	streetW     *alias
	cls         map[string]int // addr class name → id
	// class ids used when rendering
	clsDC, clsNumero, clsSN, clsMz, clsLt, clsKM, clsDepto, clsInt, clsEdif, clsColonia, clsCarretera int
}

var (
	geoOnce sync.Once
	geoTab  *geography
)

func geo() *geography {
	geoOnce.Do(func() { geoTab = buildGeo() })
	return geoTab
}

func buildGeo() *geography {
	g := &geography{cls: map[string]int{}}
	for i, c := range addr.Classes() {
		g.cls[c.Name] = i
	}
	for name, f := range map[string]*int{"DOMICILIO CONOCIDO": &g.clsDC, "NUMERO": &g.clsNumero, "SIN NUMERO": &g.clsSN,
		"MANZANA": &g.clsMz, "LOTE": &g.clsLt, "KILOMETRO": &g.clsKM, "DEPARTAMENTO": &g.clsDepto, "INTERIOR": &g.clsInt,
		"EDIFICIO": &g.clsEdif, "COLONIA": &g.clsColonia, "CARRETERA": &g.clsCarretera} {
		id, ok := g.cls[name]
		if !ok {
			panic("synth: addr has no class " + name)
		}
		*f = id
	}
	voters := make([]float64, 32)
	for i, e := range ident.Entidades {
		voters[i] = e.VotersM
		ge := &g.ents[i]
		ge.ent = i + 1
		ge.cpPrefixes = e.CPPrefixes
		ge.nSec = int(math.Round(e.VotersM * 1e6 / votersPerSection))
		m := municipioCount[i]
		expo := 1.1
		if i == 8 { // CDMX alcaldías are of similar size
			expo = 0.4
		}
		w := make([]float64, m)
		sum := 0.0
		for r := range w {
			w[r] = 1 / math.Pow(float64(r+1), expo)
			sum += w[r]
		}
		ge.munAlias = newAlias(w)
		// municipio codes are alphabetical in reality, so unrelated to size
		ge.munCode = make([]uint16, m)
		for r := range ge.munCode {
			ge.munCode[r] = uint16(r + 1)
		}
		for r := m - 1; r > 0; r-- {
			j := int(hash(7, uint64(i), uint64(r)) % uint64(r+1))
			ge.munCode[r], ge.munCode[j] = ge.munCode[j], ge.munCode[r]
		}
		// sections, contiguous by municipio code, at least one each
		share := make([]float64, m+1) // by code
		for r := range w {
			share[ge.munCode[r]] = w[r] / sum
		}
		ge.secFirst = make([]uint16, m+1)
		ge.secCount = make([]uint16, m+1)
		spare := ge.nSec - m
		cum, next := 0.0, 1
		for c := 1; c <= m; c++ {
			cum += share[c]
			end := c + int(math.Round(float64(spare)*cum)) // sections 1..end
			ge.secFirst[c] = uint16(next)
			ge.secCount[c] = uint16(end - next + 1)
			next = end + 1
		}
		// INE re-sections crowded sections: ≈0.8% are split, their odd
		// colonias getting a new number after the entity's last, on a day
		// between 2015 and 2025. Section numbers thus date a copy.
		ge.resec = map[uint16]uint16{}
		ge.resecDate = map[uint16]register.Date{}
		newSec := ge.nSec
		for sec := 1; sec <= ge.nSec && newSec < 9999; sec++ {
			h := hash(17, uint64(i+1), uint64(sec))
			if h%1000 >= 8 || coloniasIn(i+1, uint16(sec)) < 2 {
				continue
			}
			newSec++
			ge.resec[uint16(sec)] = uint16(newSec)
			ge.resecDate[uint16(sec)] = resecFirst + register.Date(h>>20%(11*365))
		}
	}
	g.entAlias = newAlias(voters)
	type tw struct {
		name string
		w    float64
	}
	pick := func(l []tw) ([]int, *alias) {
		var ids []int
		var w []float64
		for _, x := range l {
			id, ok := g.cls[x.name]
			if !ok {
				panic("synth: addr has no class " + x.name)
			}
			ids = append(ids, id)
			w = append(w, x.w)
		}
		return ids, newAlias(w)
	}
	g.colTypes, g.colTypeW = pick([]tw{{"COLONIA", 64}, {"FRACCIONAMIENTO", 12}, {"UNIDAD HABITACIONAL", 5}, {"BARRIO", 8},
		{"EJIDO", 3}, {"CONJUNTO HABITACIONAL", 2}, {"RESIDENCIAL", 3}, {"PUEBLO", 3}})
	_, g.ruralTypeW = pick([]tw{{"COLONIA", 30}, {"FRACCIONAMIENTO", 2}, {"UNIDAD HABITACIONAL", 0.5}, {"BARRIO", 25},
		{"EJIDO", 30}, {"CONJUNTO HABITACIONAL", 0.5}, {"RESIDENCIAL", 0.5}, {"PUEBLO", 12}})
	g.streetTypes, g.streetW = pick([]tw{{"CALLE", 62}, {"AVENIDA", 12}, {"PRIVADA", 6}, {"CERRADA", 4}, {"ANDADOR", 2},
		{"CALLEJON", 2}, {"BOULEVARD", 2}, {"CARRETERA", 1.5}, {"CALZADA", 1.5}, {"PROLONGACION", 2},
		{"CIRCUITO", 2}, {"RETORNO", 1.5}, {"PERIFERICO", 0.5}})
	return g
}

// municipio draws a municipio code and a section of entity ent (1-based).
func (g *geography) municipioSection(r *rng, ent int) (mun, sec uint16) {
	ge := &g.ents[ent-1]
	mun = ge.munCode[ge.munAlias.draw(r)]
	sec = ge.secFirst[mun] + uint16(r.IntN(int(ge.secCount[mun])))
	return mun, sec
}

// rural reports whether a section is rural; rural sections have their own
// localidad, more DOMICILIO CONOCIDO addresses and ejidos.
func rural(ent int, sec uint16) bool { return hash(11, uint64(ent), uint64(sec))%100 < 28 }

// localidad is the section's locality code: 1 (the cabecera) for urban sections.
func localidad(ent int, sec uint16) uint16 {
	if !rural(ent, sec) {
		return 1
	}
	return 2 + uint16(hash(12, uint64(ent), uint64(sec))%400)
}

// coloniasIn is the number of colonias in a section (1-5).
func coloniasIn(ent int, sec uint16) int { return 1 + int(hash(13, uint64(ent), uint64(sec))%5) }

// colonia describes colonia k of a section: its settlement class, name and postal code.
func (g *geography) colonia(ent int, mun, sec uint16, k uint8) (class int, name string, cp int) {
	h := hash(14, uint64(ent), uint64(sec), uint64(k))
	if rural(ent, sec) {
		class = g.colTypes[g.ruralTypeW.drawU(mix(h))]
	} else {
		class = g.colTypes[g.colTypeW.drawU(mix(h))]
	}
	name = coloniaNames[h>>20%uint64(len(coloniaNames))]
	ge := &g.ents[ent-1]
	hm := hash(15, uint64(ent), uint64(mun))
	prefix := ge.cpPrefixes[hm%uint64(len(ge.cpPrefixes))]
	cp = int(prefix[0]-'0')*10000 + int(prefix[1]-'0')*1000 + int((hm>>8)%940+(h>>40)%60)
	return class, name, cp
}

// street describes street j of colonia k: its class and name.
func (g *geography) street(ent int, sec uint16, k, j uint8) (class int, name string) {
	h := hash(16, uint64(ent), uint64(sec), uint64(k), uint64(j))
	class = g.streetTypes[g.streetW.drawU(mix(h))]
	if class == g.clsCarretera {
		if h>>50&1 == 0 {
			return class, "FEDERAL " + itoa(int(h>>20%200)+1)
		}
		return class, "A " + places[h>>24%uint64(len(places))]
	}
	return class, streetNames[h>>20%uint64(len(streetNames))]
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

func normAll(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = ident.Normalize(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

var coloniaNames = normAll(`CENTRO
SAN JUAN
SAN MIGUEL
LA PAZ
EL CARMEN
LAS FLORES
JARDINES DEL VALLE
LOMAS DE SAN MIGUEL
INDEPENDENCIA
REFORMA
EMILIANO ZAPATA
BENITO JUÁREZ
MIGUEL HIDALGO
JOSÉ MARÍA MORELOS
LA ESPERANZA
SANTA MARÍA
GUADALUPE
SAN ANTONIO
VISTA HERMOSA
LOS PINOS
LÁZARO CÁRDENAS
AMPLIACIÓN SAN PEDRO
EL ROSARIO
SANTA CRUZ
SAN FRANCISCO
LAS AMÉRICAS
VALLE VERDE
INFONAVIT LA MESA
EL MIRADOR
LOMA BONITA
LA CAÑADA
PRIMERO DE MAYO
DEL BOSQUE
SAN JOSÉ
LOS ÁLAMOS
VENUSTIANO CARRANZA
REVOLUCIÓN
NIÑOS HÉROES
SANTA ANITA
EL PARAÍSO
LAS PALMAS
MODERNA
OBRERA
LA JOYA
SAN RAFAEL
SANTA ROSA
EL SALITRE
LOS ÁNGELES
NUEVA ESPAÑA
SAN ISIDRO
LAS HUERTAS
LA LOMA
SAN LORENZO
EL LLANO
BUENAVISTA
LA MAGDALENA
SANTA CECILIA
PROGRESO
SOLIDARIDAD
LAS AGUILAS
EL TEPEYAC
SAN BARTOLO
LAS GRANJAS
VILLAS DEL SOL
HACIENDA REAL
PASEOS DEL BOSQUE
LOS OLIVOS
EL PEDREGAL
SAN PABLO
TLATELOLCO
ÁLVARO OBREGÓN
FRANCISCO VILLA
INSURGENTES
LA PRIMAVERA
LAS CUMBRES
EL CERRITO
SAN MARCOS
SANTA TERESA
LA NORIA
RANCHO NUEVO`)

var streetNames = normAll(`HIDALGO
MORELOS
JUÁREZ
BENITO JUÁREZ
5 DE MAYO
16 DE SEPTIEMBRE
20 DE NOVIEMBRE
INDEPENDENCIA
REFORMA
ALLENDE
ALDAMA
GUERRERO
ZARAGOZA
MADERO
FRANCISCO I. MADERO
MIGUEL HIDALGO
VICENTE GUERRERO
EMILIANO ZAPATA
NIÑOS HÉROES
CUAUHTÉMOC
MATAMOROS
ABASOLO
NICOLÁS BRAVO
GALEANA
IGNACIO ZARAGOZA
LÓPEZ MATEOS
LÁZARO CÁRDENAS
REVOLUCIÓN
CONSTITUCIÓN
LIBERTAD
JAZMÍN
ROSAS
GARDENIAS
TULIPANES
BUGAMBILIAS
AZUCENAS
GIRASOLES
LAURELES
FRESNOS
CEDROS
PINOS
ROBLES
SAUCES
ENCINOS
NOGALES
ORQUÍDEAS
AMAPOLAS
DALIAS
MAGNOLIAS
VIOLETAS
NARANJOS
LIMONES
MANGO
OLIVO
PIRUL
MEZQUITE
ORIENTE 1
ORIENTE 3
PONIENTE 2
NORTE 5
SUR 8
PRIMERA
SEGUNDA
TERCERA
CUARTA
QUINTA
SEXTA
PRINCIPAL
DEL TRABAJO
DE LA PAZ
DEL ROSAL
DE LAS TORRES
OCAMPO
IRRIGACIÓN
PROGRESO
OBREGÓN
CARRANZA
VENUSTIANO CARRANZA
FRANCISCO VILLA
SOR JUANA INÉS DE LA CRUZ
AQUILES SERDÁN
JOSÉ MARÍA PINO SUÁREZ
GUADALUPE VICTORIA
ÁLVARO OBREGÓN
ADOLFO LÓPEZ MATEOS
PLUTARCO ELÍAS CALLES
MIGUEL ALEMÁN
RUIZ CORTINES
AGUSTÍN MELGAR
JUAN ESCUTIA
FRANCISCO MÁRQUEZ
VICENTE SUÁREZ
JUAN DE LA BARRERA
FERNANDO MONTES DE OCA
TLALOC
QUETZALCÓATL
NEZAHUALCÓYOTL
MOCTEZUMA
TECNOLÓGICO
UNIVERSIDAD
DEL MAESTRO
LA PRESA
EL MOLINO
DEL RÍO
DEL CANAL
LAGO DE CHAPALA
VOLCÁN POPOCATÉPETL
ORIZABA
PUEBLA
OAXACA
VERACRUZ
SONORA
SINALOA
DURANGO
CAMPECHE`)

var places = normAll(`TOLUCA
PACHUCA
QUERÉTARO
CUERNAVACA
PUEBLA
TEXCOCO
SAN LUIS
GUADALAJARA
MORELIA
CHAPALA
EL SALTO
LA PIEDAD
VALLE DE BRAVO
TULANCINGO
ATLIXCO`)
