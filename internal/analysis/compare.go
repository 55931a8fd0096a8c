package analysis

import (
	"math/bits"
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

// FNV-1a, 32 bits.
const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

// hash is the 32-bit FNV-1a hash of key(f, v), computed without building
// the key when it can: no allocation for a value in normal form (names and
// addresses with or without Ñ), nor for text and codes with lower case,
// accents or extra spaces in Latin script; 0 means absent.
func (c *comparer) hash(f int, v string) uint32 {
	if v == "" {
		return 0
	}
	switch c.kind[f] {
	case cmpAddr:
		if x, ok := hashDigits(v); ok { // a house number, most often
			return x
		}
		var buf [128]byte
		return hashKey(addr.AppendCanonical(buf[:0], v))
	case cmpExact:
		v = strings.TrimSpace(v)
		x := uint32(fnvOffset)
		for i := 0; i < len(v); i++ {
			x ^= uint32(v[i])
			x *= fnvPrime
		}
		return present(x, v != "")
	}
	code := c.kind[f] == cmpCode
	if x, ok := hashText(v, code); ok {
		return x
	}
	v = ident.Normalize(v)
	i := 0
	if code {
		for i < len(v)-1 && v[i] == '0' {
			i++
		}
	}
	return hashKey([]byte(v[i:]))
}

// addrMemo holds the comparison hashes of the address values one worker
// hashed last: a table of sets of addrMemoWays slots, keyed by a 64-bit
// hash of the value as read. Canonicalising an address costs ≈150 ns;
// streets and colonias repeat (a register's names are few against its
// people), and a value met again costs its 64-bit hash and one look-up. A
// value is found by its whole 64-bit key: a value taken for another needs
// the two keys equal (2⁻⁶⁴ a pair). With a part of the key only (32 bits
// and the set's 12), a value could be taken for another held in the memo,
// and whether it was held depended on which worker had hashed what: the
// same leak gave other agreements on other cores.
//
// A set holds the last addrMemoWays values that fell into it: with one
// slot a set, the values sharing a slot (two in five at a leak's ≈9,000
// streets and colonias) kept evicting each other, and a look-up in three
// missed.
//
// Values that seldom repeat (a street written with its number, say) would
// pay the look-up on top of the canonical form: the memo counts its hits
// over each period of addrMemoPeriod values, and after a period of fewer
// than a quarter hits it stands aside for eight periods, then tries again.
type addrMemo struct {
	sets    [addrMemoSets][addrMemoWays]addrMemoSlot
	n, hits int // values and hits in this period
	resting int // values still to go straight to the comparer
}

// addrMemoSlot: the value's key and its hash; 0 in key: empty.
type addrMemoSlot struct {
	key uint64
	x   uint32
}

// 256 KiB a worker, near its core; a set is a cache line.
const (
	addrMemoBits   = 12
	addrMemoSets   = 1 << addrMemoBits
	addrMemoWays   = 4
	addrMemoPeriod = 1 << 16
)

// hash is c.hash(f, v) for an address field f and a value v.
func (m *addrMemo) hash(c *comparer, f int, v string) uint32 {
	if x, ok := hashDigits(v); ok { // cheaper than the look-up
		return x
	}
	if m.resting > 0 {
		m.resting--
		return c.hash(f, v)
	}
	if m.n++; m.n == addrMemoPeriod {
		if m.hits < addrMemoPeriod/4 {
			m.resting = 8 * addrMemoPeriod
		}
		m.n, m.hits = 0, 0
	}
	k := valueKey(v) // never 0
	set := &m.sets[k>>(64-addrMemoBits)]
	for i := range set {
		if set[i].key == k {
			m.hits++
			return set[i].x
		}
	}
	x := c.hash(f, v)
	copy(set[1:], set[:addrMemoWays-1]) // the oldest leaves
	set[0] = addrMemoSlot{k, x}
	return x
}

// valueKey is a 64-bit hash of v, never 0: eight bytes at a time through
// a 128-bit multiply (wyhash's mixing). The field is not part of it: an
// address value's comparison hash is the same in every address field.
func valueKey(v string) uint64 {
	const k0, k1 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db
	h := uint64(len(v)) ^ k0
	for len(v) >= 8 {
		w := uint64(v[0]) | uint64(v[1])<<8 | uint64(v[2])<<16 | uint64(v[3])<<24 |
			uint64(v[4])<<32 | uint64(v[5])<<40 | uint64(v[6])<<48 | uint64(v[7])<<56
		hi, lo := bits.Mul64(h^w, k1)
		h = hi ^ lo
		v = v[8:]
	}
	var w uint64
	for i := len(v) - 1; i >= 0; i-- {
		w = w<<8 | uint64(v[i])
	}
	hi, lo := bits.Mul64(h^w^k1, k0^uint64(len(v)))
	return (hi ^ lo) | 1
}

// hashDigits is hashKey(v) when v is digits alone, which are their own
// canonical address form (addr.AppendCanonical: a number is no spelling of
// a class; TestHashDigits); ok is false for any other value.
func hashDigits(v string) (x uint32, ok bool) {
	x = fnvOffset
	for i := 0; i < len(v); i++ {
		if v[i]-'0' > 9 {
			return 0, false
		}
		x ^= uint32(v[i])
		x *= fnvPrime
	}
	return present(x, len(v) > 0), len(v) > 0
}

// hashKey is the hash of a normal value k with Ñ written N.
func hashKey(k []byte) uint32 {
	x := uint32(fnvOffset)
	for i := 0; i < len(k); i++ {
		b := k[i]
		if b == 0xC3 && i+1 < len(k) && k[i+1] == 0x91 { // Ñ → N
			b = 'N'
			i++
		}
		x ^= uint32(b)
		x *= fnvPrime
	}
	return present(x, len(k) > 0)
}

// present is x for a present value, 1 in place of 0 (which means absent).
func present(x uint32, ok bool) uint32 {
	switch {
	case !ok:
		return 0
	case x == 0:
		return 1
	}
	return x
}

// textFold[r], for a rune r below U+0800 (ASCII and the two-byte runes:
// Latin-1, Latin Extended, combining marks), is what key does with r in a
// text or code value: drop it, make it a space (collapsed and trimmed), or
// write enc[:n] (upper case, accents stripped, Ñ as N); foldSlow for the
// combining tilde, which ident.Normalize joins to a preceding N. The table
// is computed from ident.Normalize itself, so hashText cannot drift from it.
var textFold = func() (t [0x800]fold) {
	for r := rune(0); r < 0x800; r++ {
		e := &t[r]
		out := ident.Normalize("A" + string(r) + "B")
		mid := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(out, "A"), "B"), "Ñ", "N")
		switch {
		case r == '\u0303':
			e.kind = foldSlow
		case out == "A B":
			e.kind = foldSpace
		case out == "AB":
			e.kind = foldDrop
		case len(out) < 2 || out[0] != 'A' || out[len(out)-1] != 'B' || len(mid) > len(e.enc) || strings.Contains(mid, " "):
			e.kind = foldSlow
		default:
			e.n = uint8(copy(e.enc[:], mid))
		}
	}
	return t
}()

type fold struct {
	kind uint8
	n    uint8
	enc  [3]byte
}

// Kinds of fold.
const (
	foldWrite = iota
	foldSpace
	foldDrop
	foldSlow
)

// asciiFold[c] is textFold's output for the ASCII byte c, foldSpaceByte for
// a space, and foldMulti for the bytes from 0x80 on (a rune to decode).
var asciiFold = func() (t [256]byte) {
	for c := range 256 {
		switch {
		case c >= 0x80:
			t[c] = foldMulti
		case textFold[c].kind == foldSpace:
			t[c] = foldSpaceByte
		case textFold[c].kind != foldWrite || textFold[c].n != 1 || textFold[c].enc[0] >= 0x80:
			panic("analysis: ASCII byte that does not fold to one ASCII byte")
		default:
			t[c] = textFold[c].enc[0]
		}
	}
	return t
}()

const (
	foldSpaceByte = 0xFF
	foldMulti     = 0xFE
)

// asciiBytes[c] == c: one-byte slices of textFold's output.
var asciiBytes = func() (t [128]byte) {
	for c := range t {
		t[c] = byte(c)
	}
	return t
}()

// hashText is the hash of key(f, v) for a text or code field, in one pass
// over v without building the key: ident.Normalize's rules (from textFold),
// Ñ as N, and for a code its leading zeros skipped. ok is false for a value
// with a rune from U+0800 on, invalid UTF-8 or a combining tilde, where the
// caller builds the key.
func hashText(v string, code bool) (x uint32, ok bool) {
	x = fnvOffset
	wrote := false   // the normal form is not empty
	pending := false // a space to hash before the next byte written
	skip := code     // at a code's leading zeros
	i := 0
	if code {
		// the zeros that start v start its normal form: skip them here,
		// and the bytes after them take the fast path below
		for i < len(v) && v[i] == '0' {
			i++
		}
		wrote = i > 0
		skip = i == len(v) || asciiFold[v[i]] >= 0x80 // a space or a rune may be followed by more zeros
	}
	for ; i < len(v); i++ {
		o := asciiFold[v[i]]
		if o < 0x80 && !pending && !skip { // most bytes
			x ^= uint32(o)
			x *= fnvPrime
			wrote = true
			continue
		}
		var out []byte
		switch {
		case o == foldSpaceByte:
			if wrote && i+1 < len(v) && asciiFold[v[i+1]] < 0x80 {
				// one space between two words, the usual case: hash it
				// now, and the next byte takes the fast path
				x ^= ' '
				x *= fnvPrime
				pending, skip = false, false
			} else {
				pending = wrote
			}
			continue
		case o < 0x80:
			out = asciiBytes[o : o+1]
		default:
			c := v[i]
			if c < 0xC2 || c > 0xDF || i+1 == len(v) || v[i+1]&0xC0 != 0x80 {
				return 0, false
			}
			e := &textFold[rune(c&0x1F)<<6|rune(v[i+1]&0x3F)]
			i++
			switch e.kind {
			case foldSpace:
				pending = wrote
				continue
			case foldDrop:
				continue
			case foldSlow:
				return 0, false
			}
			out = e.enc[:e.n]
		}
		if pending {
			x ^= ' '
			x *= fnvPrime
			pending, skip = false, false
		}
		wrote = true
		for _, b := range out {
			if skip {
				if b == '0' {
					continue
				}
				skip = false
			}
			x ^= uint32(b)
			x *= fnvPrime
		}
	}
	if skip && wrote { // a code of zeros: key "0"
		x ^= '0'
		x *= fnvPrime
	}
	return present(x, wrote), true
}

// agreement of one leaked row with one version.
type agreement struct {
	compared, agreeing         int // over every visible non-empty field
	distCompared, distAgreeing int // over distinguishing fields
}

type fieldCount struct{ compared, agreeing int }
