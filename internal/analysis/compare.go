package analysis

import (
	"strings"

	"github.com/huella/huella/internal/addr"
	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// comparer turns field values into the form in which a leaked value and a
// register value are equal exactly when they say the same thing.
type comparer struct {
	schema *register.Schema
	kind   []int // per field: cmpText, cmpAddr, cmpCode, cmpExact
	// distinguishing[f]: the field's wording is ours (addresses, sections,
	// credentials, clave de elector, registration date), not shared by every
	// register of the same people (names, CURP, birth date, sex).
	distinguishing []bool
}

const (
	cmpText = iota
	cmpAddr
	cmpCode
	cmpExact
)

func newComparer(s *register.Schema) *comparer {
	c := &comparer{schema: s, kind: make([]int, len(s.Fields)), distinguishing: make([]bool, len(s.Fields))}
	for i, f := range s.Fields {
		switch {
		case f.Role == register.RoleAddress:
			c.kind[i] = cmpAddr
		case f.Kind == register.KindCode:
			c.kind[i] = cmpCode
		case f.Kind == register.KindDate:
			c.kind[i] = cmpExact
		default:
			c.kind[i] = cmpText
		}
		switch {
		case f.Name == register.FSeccion, f.Kind == register.KindClave:
			c.distinguishing[i] = true
		case f.Name == register.FEntidad:
			c.distinguishing[i] = false
		default:
			c.distinguishing[i] = !f.Identity && f.Role != register.RoleName && f.Role != register.RolePersonKey
		}
	}
	return c
}

// key is the comparison form of value v of field f: normalised (case,
// accents incl. Ñ→N since leakers strip them, spacing), addresses in
// canonical abbreviation form, codes without leading zeros.
func (c *comparer) key(f int, v string) string {
	if v == "" {
		return ""
	}
	switch c.kind[f] {
	case cmpAddr:
		v = addr.Canonical(v)
	case cmpExact:
		return strings.TrimSpace(v)
	default:
		v = ident.Normalize(v)
	}
	v = strings.ReplaceAll(v, "Ñ", "N")
	if c.kind[f] == cmpCode {
		t := strings.TrimLeft(v, "0")
		if t == "" && v != "" {
			t = "0"
		}
		v = t
	}
	return v
}

// hash is the 32-bit FNV-1a hash of key(f, v), computed without building
// the key when it can (no allocation for the usual normalised ASCII value);
// 0 means absent.
func (c *comparer) hash(f int, v string) uint32 {
	if v == "" {
		return 0
	}
	switch c.kind[f] {
	case cmpAddr:
		v = addr.Canonical(v)
	case cmpExact:
		v = strings.TrimSpace(v)
	default:
		if x, ok := hashNormal(v, c.kind[f] == cmpCode); ok {
			return x
		}
		v = ident.Normalize(v)
	}
	i := 0
	if c.kind[f] == cmpCode {
		for i < len(v)-1 && v[i] == '0' {
			i++
		}
	}
	if i == len(v) {
		return 0
	}
	x := uint32(2166136261)
	for ; i < len(v); i++ {
		b := v[i]
		if b == 0xC3 && i+1 < len(v) && v[i+1] == 0x91 && c.kind[f] != cmpExact { // Ñ → N
			b = 'N'
			i++
		}
		x ^= uint32(b)
		x *= 16777619
	}
	if x == 0 {
		return 1
	}
	return x
}

// byteClass: 0 a byte that ident.Normalize keeps as it is, 1 a space,
// 2 anything else (lower case, other white space, non-ASCII).
var byteClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c >= 0x80, 'a' <= c && c <= 'z', c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
			t[c] = 2
		case c == ' ':
			t[c] = 1
		}
	}
	return t
}()

// hashNormal is the hash of a value that is already in normal form (plain
// ASCII, upper case, single inner spaces: what ident.Normalize returns
// unchanged), in one pass; ok false when v is not, and the caller takes the
// general path. Codes skip their leading zeros, as hash does.
func hashNormal(v string, code bool) (x uint32, ok bool) {
	i := 0
	if code {
		for i < len(v)-1 && v[i] == '0' {
			i++
		}
	}
	x = 2166136261
	prevSpace := true
	for j := 0; j < len(v); j++ {
		b := v[j]
		switch byteClass[b] {
		case 2:
			return 0, false
		case 1:
			if prevSpace {
				return 0, false
			}
			prevSpace = true
		default:
			prevSpace = false
		}
		if j >= i {
			x ^= uint32(b)
			x *= 16777619
		}
	}
	if prevSpace { // trailing space (v is not empty)
		return 0, false
	}
	if x == 0 {
		return 1, true
	}
	return x, true
}

// agreement of one leaked row with one version.
type agreement struct {
	compared, agreeing         int // over every visible non-empty field
	distCompared, distAgreeing int // over distinguishing fields
}

type fieldCount struct{ compared, agreeing int }
