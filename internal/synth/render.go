package synth

import (
	"github.com/huella/huella/internal/register"
)

// appendNum appends v zero-padded to w digits.
func appendNum(b []byte, v uint64, w int) []byte {
	var tmp [20]byte
	for i := w - 1; i >= 0; i-- {
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, tmp[:w]...)
}

// appendInt appends v in decimal without padding.
func appendInt(b []byte, v uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// appendDate appends the ISO form of d.
func appendDate(b []byte, d register.Date) []byte {
	y, m, day := d.YMD()
	b = appendNum(b, uint64(y), 4)
	b = append(b, '-')
	b = appendNum(b, uint64(m), 2)
	b = append(b, '-')
	return appendNum(b, uint64(day), 2)
}

// Offsets of the patched characters in a rendered record (INE schema order:
// clave_elector first, curp second).
const (
	offClaveSeq = 15      // 3 digits
	offHomonym  = 19 + 16 // CURP position 17
	offCheck    = 19 + 17 // CURP position 18
)

// credential numbers: CIC (9 digits up to 2013, 10 from 2014) and OCR (the
// section's 4 digits + 9 digits) derive from (person id, credential number)
// through affine bijections, so they are unique in a register of up to
// 10⁹/16 people and look unrelated to each other.
func cic(pid uint64, idx uint8, emision int16) (uint64, int) {
	n := pid<<4 | uint64(idx)
	if emision < 2014 {
		return (n%1_000_000_000*7_368_787 + 104_729) % 1_000_000_000, 9
	}
	return (n%10_000_000_000*1_368_787_213 + 1_299_709) % 10_000_000_000, 10
}

func ocr(pid uint64, idx uint8) uint64 {
	n := pid<<4 | uint64(idx)
	return (n%1_000_000_000*613_651_349 + 15_485_863) % 1_000_000_000
}

// render appends the CSV form of version st of person p (INE schema order,
// no quoting needed: no value holds a comma, quote or newline). The CURP's
// last two characters and the clave's last three digits are placeholders
// the sequencer patches.
func (g *gen) render(b []byte, p *person, st *state) []byte {
	id := &p.ids[st.idIdx]
	b = append(b, id.clave15...)
	b = append(b, "000,"...)
	b = append(b, id.curp16...)
	b = append(b, "00,"...)
	b = append(b, st.n.Nombre...)
	b = append(b, ',')
	b = append(b, st.n.Paterno...)
	b = append(b, ',')
	b = append(b, st.n.Materno...)
	b = append(b, ',')
	b = appendDate(b, st.birth)
	b = append(b, ',', st.sex, ',')
	a := &st.a
	b = appendNum(b, uint64(a.ent), 2)
	b = append(b, ',')
	b = appendNum(b, uint64(a.mun), 3)
	b = append(b, ',')
	b = appendNum(b, uint64(a.section()), 4)
	b = append(b, ',')
	b = appendNum(b, uint64(a.loc), 4)
	b = append(b, ',')
	b = g.appendAddress(b, p.style, a)
	b = append(b, ',')
	b = appendDate(b, st.registro)
	b = append(b, ',')
	b = appendNum(b, uint64(st.emision), 4)
	b = append(b, ',')
	c, w := cic(p.id, st.credIdx, st.emision)
	b = appendNum(b, c, w)
	b = append(b, ',')
	b = appendNum(b, uint64(st.ocrSec), 4)
	b = appendNum(b, ocr(p.id, st.credIdx), 9)
	return b
}

// appendAddress appends calle,num_exterior,num_interior,colonia,codigo_postal.
func (g *gen) appendAddress(b []byte, style uint64, a *address) []byte {
	ent := int(a.ent)
	colClass, colName, cp := g.geo.colonia(ent, a.mun, a.sec, a.col)
	// calle
	if a.kind == numDC {
		b = append(b, spelling(style, g.geo.clsDC)...)
	} else {
		stClass, stName := g.geo.street(ent, a.sec, a.col, a.street)
		b = append(b, spelling(style, stClass)...)
		b = append(b, ' ')
		b = append(b, stName...)
	}
	b = append(b, ',')
	// num_exterior
	switch a.kind {
	case numPlain:
		b = appendInt(b, uint64(a.num))
	case numNumero:
		b = append(b, spelling(style, g.geo.clsNumero)...)
		b = append(b, ' ')
		b = appendInt(b, uint64(a.num))
	case numSN:
		b = append(b, spelling(style, g.geo.clsSN)...)
	case numMzLt:
		b = append(b, spelling(style, g.geo.clsMz)...)
		b = append(b, ' ')
		b = appendInt(b, uint64(a.mz))
		b = append(b, ' ')
		b = append(b, spelling(style, g.geo.clsLt)...)
		b = append(b, ' ')
		b = appendInt(b, uint64(a.lt))
	case numKM:
		b = append(b, spelling(style, g.geo.clsKM)...)
		b = append(b, ' ')
		b = appendInt(b, uint64(a.num))
	case numDC:
		if style>>60&3 == 0 {
			b = append(b, spelling(style, g.geo.clsSN)...)
		}
	}
	b = append(b, ',')
	// num_interior
	switch a.intKind {
	case intLetter:
		b = append(b, a.intLetter)
	case intNumber:
		b = appendInt(b, uint64(a.intVal))
	case intDepto:
		b = append(b, spelling(style, g.geo.clsDepto)...)
		b = append(b, ' ')
		b = appendInt(b, uint64(a.intVal))
	case intInterior:
		b = append(b, spelling(style, g.geo.clsInt)...)
		b = append(b, ' ')
		b = appendInt(b, uint64(a.intVal))
	case intEdifDepto:
		b = append(b, spelling(style, g.geo.clsEdif)...)
		b = append(b, ' ', a.intLetter, ' ')
		b = append(b, spelling(style, g.geo.clsDepto)...)
		b = append(b, ' ')
		b = appendInt(b, uint64(a.intVal))
	}
	b = append(b, ',')
	// colonia: some people leave out "COLONIA"
	if !(colClass == g.geo.clsColonia && mix(style^0xc01)%100 < 20) {
		b = append(b, spelling(style, colClass)...)
		b = append(b, ' ')
	}
	b = append(b, colName...)
	b = append(b, ',')
	return appendNum(b, uint64(cp), 5)
}
