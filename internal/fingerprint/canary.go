package fingerprint

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// CanaryGen names the canary generator of this version (Params.CanaryGen).
// Changing anything in canaryPerson requires a new name and keeping the old
// generator for old releases.
const CanaryGen = "huella-canary-v1"

// maxCanaryAttempts bounds the candidates tried for one canary.
const maxCanaryAttempts = 64

// canarySeed is the seed of attempt a of canary i of a release:
// the first 8 bytes of HMAC-SHA-256(subkey(canary, release), i ‖ a).
func canarySeed(ck []byte, i, a int) uint64 {
	h := hmac.New(sha256.New, ck)
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], uint64(i))
	binary.BigEndian.PutUint64(b[8:16], uint64(a))
	h.Write(b[:])
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

// Canaries regenerates the first n canary persons of a release cut at asOf,
// in the INE schema's order. Canary i is the first attempt a = 0, 1, ... whose
// CURP and clave are not taken (taken nil: attempt 0). A copy writes each
// canary with the address and geography of the real row it follows; the
// fields that identify a canary — curp, clave_elector, names, birth date,
// sex — are those returned here.
func Canaries(key []byte, releaseID string, n int, asOf register.Date, taken func(curp, clave string) bool) []register.Record {
	ck := subkey(key, labelCanary, releaseID)
	out := make([]register.Record, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, canary(ck, i, asOf, taken))
	}
	return out
}

func canary(ck []byte, i int, asOf register.Date, taken func(curp, clave string) bool) register.Record {
	var rec register.Record
	for a := 0; a < maxCanaryAttempts; a++ {
		rec = canaryPerson(canarySeed(ck, i, a), asOf)
		if taken == nil || !taken(rec[ineCURP], rec[ineClave]) {
			return rec
		}
	}
	return rec // 64 collisions in a row do not happen; keep the last
}

// untakenAttempts is how many attempts of a canary canaryCandidates gives
// when it cannot ask the register which were taken: canary i uses its first
// attempt unless a real person holds that CURP or clave, which is rare.
const untakenAttempts = 4

// canaryCandidates are every attempt of canary i up to and including the
// first one not taken now (taken nil: the first untakenAttempts). The copy
// used one of them; which is decided by the register at release time,
// which the analysis may no longer see.
func canaryCandidates(ck []byte, i int, asOf register.Date, taken func(curp, clave string) bool) []register.Record {
	var out []register.Record
	for a := 0; a < maxCanaryAttempts; a++ {
		rec := canaryPerson(canarySeed(ck, i, a), asOf)
		out = append(out, rec)
		if taken == nil && a == untakenAttempts-1 || taken != nil && !taken(rec[ineCURP], rec[ineClave]) {
			break
		}
	}
	return out
}

// Positions of the INE schema's fields (register.INE()).
var (
	ine         = register.INE()
	ineCURP     = ine.Index(register.FCURP)
	ineClave    = ine.Index(register.FClave)
	ineNombre   = ine.Index(register.FNombre)
	inePaterno  = ine.Index(register.FPaterno)
	ineMaterno  = ine.Index(register.FMaterno)
	ineNac      = ine.Index(register.FNacimiento)
	ineSexo     = ine.Index(register.FSexo)
	ineEntidad  = ine.Index(register.FEntidad)
	ineMunic    = ine.Index(register.FMunicipio)
	ineSeccion  = ine.Index(register.FSeccion)
	ineLocal    = ine.Index(register.FLocalidad)
	ineCalle    = ine.Index(register.FCalle)
	ineNumExt   = ine.Index(register.FNumExterior)
	ineNumInt   = ine.Index(register.FNumInterior)
	ineColonia  = ine.Index(register.FColonia)
	ineCP       = ine.Index(register.FCodigoPostal)
	ineRegistro = ine.Index(register.FFechaRegistro)
	ineEmision  = ine.Index(register.FEmision)
	ineCIC      = ine.Index(register.FCIC)
	ineOCR      = ine.Index(register.FOCR)
)

// canaryIdentity are the INE fields a canary brings of its own; every other
// field is copied from the real row it follows in a copy.
var canaryIdentity = []int{ineCURP, ineClave, ineNombre, inePaterno, ineMaterno, ineNac, ineSexo, ineRegistro, ineEmision, ineCIC, ineOCR}

// splitmix is the deterministic expansion of a canary seed (SplitMix64).
type splitmix uint64

func (s *splitmix) next() uint64 {
	*s += 0x9E3779B97F4A7C15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func (s *splitmix) intn(n int) int { return int(s.next() % uint64(n)) }

// weighted picks from a list of (name, weight) by weight.
func (s *splitmix) weighted(list []weightedName) string {
	var tot int
	for _, w := range list {
		tot += w.w
	}
	k := s.intn(tot)
	for _, w := range list {
		if k < w.w {
			return w.name
		}
		k -= w.w
	}
	return list[len(list)-1].name
}

type weightedName struct {
	name string
	w    int
}

// Frequencies are rough relative weights of common Mexican names; canaries
// need to look ordinary, not to be exact.
var (
	surnames = []weightedName{
		{"HERNANDEZ", 353}, {"GARCIA", 260}, {"MARTINEZ", 246}, {"LOPEZ", 224}, {"GONZALEZ", 203},
		{"RODRIGUEZ", 150}, {"PEREZ", 145}, {"SANCHEZ", 140}, {"RAMIREZ", 135}, {"CRUZ", 110},
		{"FLORES", 105}, {"GOMEZ", 100}, {"MORALES", 80}, {"VAZQUEZ", 78}, {"REYES", 76},
		{"JIMENEZ", 74}, {"TORRES", 72}, {"DIAZ", 70}, {"GUTIERREZ", 68}, {"RUIZ", 60},
		{"MENDOZA", 58}, {"AGUILAR", 56}, {"ORTIZ", 54}, {"MORENO", 52}, {"CASTILLO", 50},
		{"ROMERO", 48}, {"ALVAREZ", 46}, {"MENDEZ", 44}, {"CHAVEZ", 42}, {"RIVERA", 40},
		{"JUAREZ", 38}, {"RAMOS", 36}, {"DOMINGUEZ", 34}, {"HERRERA", 32}, {"MEDINA", 30},
		{"CASTRO", 28}, {"VARGAS", 26}, {"GUZMAN", 24}, {"VELAZQUEZ", 22}, {"MUÑOZ", 20},
		{"ROJAS", 20}, {"CONTRERAS", 19}, {"SALAZAR", 18}, {"LUNA", 17}, {"ORTEGA", 16},
		{"SANTIAGO", 15}, {"GUERRERO", 14}, {"ESTRADA", 13}, {"BAUTISTA", 12}, {"CORTES", 11},
	}
	namesM = []weightedName{
		{"JOSE", 120}, {"JUAN", 100}, {"MIGUEL ANGEL", 60}, {"FRANCISCO", 55}, {"JESUS", 50},
		{"ANTONIO", 45}, {"ALEJANDRO", 40}, {"PEDRO", 35}, {"MANUEL", 35}, {"RICARDO", 30},
		{"JOSE LUIS", 45}, {"LUIS", 30}, {"CARLOS", 30}, {"JORGE", 28}, {"FERNANDO", 25},
		{"ROBERTO", 22}, {"DANIEL", 22}, {"EDUARDO", 20}, {"RAFAEL", 20}, {"SERGIO", 18},
		{"MARIO", 18}, {"ARTURO", 17}, {"JAVIER", 17}, {"OSCAR", 15}, {"RAUL", 15},
	}
	namesF = []weightedName{
		{"MARIA GUADALUPE", 90}, {"MARIA", 80}, {"GUADALUPE", 60}, {"JUANA", 45}, {"MARGARITA", 40},
		{"VERONICA", 35}, {"ROSA MARIA", 35}, {"LETICIA", 30}, {"MARIA ELENA", 30}, {"TERESA", 28},
		{"PATRICIA", 28}, {"ELIZABETH", 25}, {"ALEJANDRA", 25}, {"GABRIELA", 22}, {"ANA MARIA", 22},
		{"LAURA", 20}, {"ADRIANA", 20}, {"SILVIA", 18}, {"MARTHA", 18}, {"YOLANDA", 17},
		{"ARACELI", 15}, {"CLAUDIA", 15}, {"ROSA", 15}, {"ALICIA", 14}, {"LETICIA", 12},
	}
)

// canaryPerson is the synthetic person of one seed, as of asOf, in the INE
// schema: a valid CURP (check digit) and clave, consistent birth date, sex
// and birth state, an adult with a registration and a credential.
func canaryPerson(seed uint64, asOf register.Date) register.Record {
	s := splitmix(seed)
	rec := make(register.Record, len(ine.Fields))
	sex := byte('H')
	nombre := s.weighted(namesM)
	if s.intn(2) == 1 {
		sex = 'M'
		nombre = s.weighted(namesF)
	}
	pat := s.weighted(surnames)
	mat := s.weighted(surnames)
	ay, _, _ := asOf.YMD()
	var birth register.Date
	for {
		y := ay - 18 - s.intn(62)
		d, err := register.DateOf(y, 1+s.intn(12), 1+s.intn(28))
		if err == nil && d.AddMonths(18*12) <= asOf {
			birth = d
			break
		}
	}
	// birth entity weighted by voters
	var tot float64
	for _, e := range ident.Entidades {
		tot += e.VotersM
	}
	x := float64(s.next()>>11) / (1 << 53) * tot
	ent := ident.Entidades[len(ident.Entidades)-1]
	entNum := len(ident.Entidades)
	for k, e := range ident.Entidades {
		if x < e.VotersM {
			ent, entNum = e, k+1
			break
		}
		x -= e.VotersM
	}
	names := ident.Names{Nombre: nombre, Paterno: pat, Materno: mat}
	by, _, _ := birth.YMD()
	hom := byte('0' + s.intn(10))
	if by >= 2000 {
		hom = byte('A' + s.intn(26))
	}
	curp, err := ident.CURP(names, birth, sex, ent.CURPCode, hom)
	if err != nil {
		panic(fmt.Sprintf("fingerprint: canary CURP: %v", err)) // names come from the lists above
	}
	rec[ineCURP] = curp
	rec[ineClave] = ident.Clave(names, birth, entNum, sex, s.intn(1000))
	rec[ineNombre], rec[inePaterno], rec[ineMaterno] = nombre, pat, mat
	rec[ineNac] = birth.String()
	rec[ineSexo] = string(sex)
	rec[ineEntidad] = ent.Code
	rec[ineMunic] = fmt.Sprintf("%03d", 1+s.intn(120))
	rec[ineSeccion] = fmt.Sprintf("%04d", 100+s.intn(2900))
	rec[ineLocal] = "0001"
	rec[ineCalle] = "CALLE " + s.weighted(surnames)
	rec[ineNumExt] = strconv.Itoa(1 + s.intn(400))
	rec[ineColonia] = "CENTRO"
	rec[ineCP] = ent.CPPrefixes[s.intn(len(ent.CPPrefixes))] + fmt.Sprintf("%03d", s.intn(1000))
	adult := birth.AddMonths(18 * 12)
	reg := adult + register.Date(s.intn(int(asOf-adult)+1))
	rec[ineRegistro] = reg.String()
	ry, _, _ := reg.YMD()
	em := ry + s.intn(ay-ry+1)
	if em < ay-9 {
		em = ay - s.intn(10)
	}
	rec[ineEmision] = strconv.Itoa(em)
	// CIC: 9 digits up to 2013, 10 from 2014; OCR: the section's 4 digits
	// and 9 more (a copy rewrites the section part with the donor's)
	if em < 2014 {
		rec[ineCIC] = fmt.Sprintf("%09d", s.next()%1_000_000_000)
	} else {
		rec[ineCIC] = fmt.Sprintf("%010d", s.next()%10_000_000_000)
	}
	rec[ineOCR] = rec[ineSeccion] + fmt.Sprintf("%09d", s.next()%1_000_000_000)
	return rec
}

// CanaryCURPs returns the CURPs of the first attempts of every canary of
// the releases, without asking the register which were taken: the CURPs a
// copy's canaries almost always carry. An analysis keeps the leaked rows
// holding one, so that it need not read a large leak a second time for
// its canaries; a canary outside the list is still found by that second
// reading.
func CanaryCURPs(key []byte, releases []Release) []string {
	var out []string
	for _, rel := range releases {
		ck := subkey(key, labelCanary, rel.ID)
		for i := 0; i < rel.Params.Canaries; i++ {
			for _, rec := range canaryCandidates(ck, i, rel.AsOf, nil) {
				out = append(out, rec[ineCURP])
			}
		}
	}
	return out
}
