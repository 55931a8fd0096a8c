// Package addr owns the equivalent spellings of Mexican address words: the
// street types (CALLE / C., AVENIDA / AV., ...), settlement types (COLONIA /
// COL., FRACCIONAMIENTO / FRACC., ...), the parts of a number (MANZANA / MZ,
// LOTE / LT, ...) and the trailing phrases (SIN NUMERO / S/N, DOMICILIO
// CONOCIDO / DOM. CONOCIDO). Two spellings of one class mean the same thing,
// so a released copy may use either: package fingerprint hides its marks in
// that choice, and the analysis compares addresses with Canonical, which
// ignores it.
//
// # Classes, groups and spellings
//
// A class has two groups of spellings, the long form (group 0, e.g. "CALLE")
// and the abbreviation (group 1, e.g. "C.", "C"). The group is the binary
// symbol a slot carries; the spelling inside a group is free (a leaker who
// strips dots turns "C." into "C", which is still group 1). Every spelling is
// upper-case ASCII, so a slot survives upper-casing and accent stripping; a
// spelling may span several words ("UNIDAD HABITACIONAL", "U HAB").
//
// # Where a class is recognised
//
// To never change the meaning of a value, a spelling is a slot only where it
// cannot be anything else:
//
//	prefix     the first word(s) of the value, followed by at least one more
//	           word: street and settlement types ("AV. JUAREZ", "COL CENTRO";
//	           the one-word value "C" is a street named C, not a slot)
//	number     a word followed by a number-like word (one with a digit, or a
//	           single letter): "MZ 5", "LOTE 12", "INT B", "KM 3.5"
//	trailing   the last word(s) of the value: "S/N", "HIDALGO SIN NUMERO",
//	           "DOMICILIO CONOCIDO"
//
// Values are compared after ident.Normalize (upper case, accents stripped,
// single spaces). Words are separated by single spaces; a spelling matches
// whole words only. For every value s and every choice of groups g,
// Forms(Set(s, g)) has the same classes in the same order as Forms(s), with
// the groups g (tested by FuzzSetRoundTrip).
//
// # Example
//
//	Forms("AV. JUAREZ MZ 5 LT 12 S/N")
//	  → [AVENIDA group 1 "AV."] [MANZANA group 1 "MZ"] [LOTE group 1 "LT"] [SIN NUMERO group 1 "S/N"]
//	Set("AV. JUAREZ MZ 5 LT 12 S/N", slots, [0 1 0 0], ...)
//	  → "AVENIDA JUAREZ MZ 5 LOTE 12 SIN NUMERO"
//	Canonical("av juárez mz. 5") == Canonical("AVENIDA JUAREZ MANZANA 5")
//	  == "AVENIDA JUAREZ MANZANA 5"
//
// AppendCanonical appends the same form to a caller's buffer, without
// allocating for a value already in normal form: the analysis hashes the
// canonical form of every address it compares.
package addr

import (
	"math/bits"
	"strings"

	"github.com/huella/huella/internal/ident"
)

// Where is the place in a value where a class is recognised.
type Where uint8

// The places a class can be recognised.
const (
	Prefix   Where = iota // first word(s), followed by at least one word
	Number                // followed by a number-like word
	Trailing              // last word(s) of the value
)

// Class is one set of equivalent spellings.
type Class struct {
	Name   string      // canonical spelling: Groups[0][0]
	Where  Where       // where it is recognised
	Groups [2][]string // group 0 long forms, group 1 abbreviations; [g][0] is the preferred spelling
}

// classes is the table of equivalent forms. Order is part of the format:
// a class's index is its id in FormStats and in fingerprint parameters.
var classes = []Class{
	{"CALLE", Prefix, [2][]string{{"CALLE"}, {"C.", "C"}}},
	{"AVENIDA", Prefix, [2][]string{{"AVENIDA"}, {"AV.", "AV", "AVE.", "AVE", "AVDA.", "AVDA"}}},
	{"PRIVADA", Prefix, [2][]string{{"PRIVADA"}, {"PRIV.", "PRIV", "PVDA."}}},
	{"CERRADA", Prefix, [2][]string{{"CERRADA"}, {"CDA.", "CDA", "CERR."}}},
	{"BOULEVARD", Prefix, [2][]string{{"BOULEVARD", "BOULEVAR", "BULEVAR"}, {"BLVD.", "BLVD", "BLV."}}},
	{"CARRETERA", Prefix, [2][]string{{"CARRETERA"}, {"CARR.", "CARR", "CARRET."}}},
	{"ANDADOR", Prefix, [2][]string{{"ANDADOR"}, {"AND.", "AND"}}},
	{"CALLEJON", Prefix, [2][]string{{"CALLEJON"}, {"CJON.", "CJON", "CALLEJ."}}},
	{"CALZADA", Prefix, [2][]string{{"CALZADA"}, {"CALZ.", "CALZ"}}},
	{"PROLONGACION", Prefix, [2][]string{{"PROLONGACION"}, {"PROL.", "PROL"}}},
	{"CIRCUITO", Prefix, [2][]string{{"CIRCUITO"}, {"CTO.", "CTO", "CIRC."}}},
	{"RETORNO", Prefix, [2][]string{{"RETORNO"}, {"RET.", "RET"}}},
	{"PERIFERICO", Prefix, [2][]string{{"PERIFERICO"}, {"PERIF.", "PERIF"}}},
	{"COLONIA", Prefix, [2][]string{{"COLONIA"}, {"COL.", "COL"}}},
	{"FRACCIONAMIENTO", Prefix, [2][]string{{"FRACCIONAMIENTO"}, {"FRACC.", "FRACC", "FRAC.", "FRAC"}}},
	{"UNIDAD HABITACIONAL", Prefix, [2][]string{{"UNIDAD HABITACIONAL"}, {"U HAB", "U. HAB.", "U.HAB.", "UNIDAD HAB.", "UHAB"}}},
	{"CONJUNTO HABITACIONAL", Prefix, [2][]string{{"CONJUNTO HABITACIONAL"}, {"CONJ. HAB.", "CONJ HAB"}}},
	{"BARRIO", Prefix, [2][]string{{"BARRIO"}, {"BO.", "BO", "BARR."}}},
	{"EJIDO", Prefix, [2][]string{{"EJIDO"}, {"EJ.", "EJ"}}},
	{"RESIDENCIAL", Prefix, [2][]string{{"RESIDENCIAL"}, {"RESID.", "RES."}}},
	{"PUEBLO", Prefix, [2][]string{{"PUEBLO"}, {"PBLO.", "PBLO"}}},
	{"MANZANA", Number, [2][]string{{"MANZANA"}, {"MZ.", "MZ", "MZA.", "MZA", "MNZ."}}},
	{"LOTE", Number, [2][]string{{"LOTE"}, {"LT.", "LT", "LTE.", "LTE"}}},
	{"DEPARTAMENTO", Number, [2][]string{{"DEPARTAMENTO"}, {"DEPTO.", "DEPTO", "DEP."}}},
	{"EDIFICIO", Number, [2][]string{{"EDIFICIO"}, {"EDIF.", "EDIF", "ED."}}},
	{"INTERIOR", Number, [2][]string{{"INTERIOR"}, {"INT.", "INT"}}},
	{"KILOMETRO", Number, [2][]string{{"KILOMETRO"}, {"KM.", "KM"}}},
	{"NUMERO", Number, [2][]string{{"NUMERO"}, {"NUM.", "NUM", "NO."}}},
	{"SIN NUMERO", Trailing, [2][]string{{"SIN NUMERO"}, {"S/N", "SN", "S/N.", "S.N.", "SIN NUM.", "S/NUM"}}},
	{"DOMICILIO CONOCIDO", Trailing, [2][]string{{"DOMICILIO CONOCIDO"}, {"DOM. CONOCIDO", "DOM CONOCIDO", "DOMICILIO CON."}}},
}

// Classes is the table of equivalent forms, indexed by class id. Callers
// must not modify it.
func Classes() []Class { return classes }

// spelling is one spelling of one class, split in words.
type spelling struct {
	class, group, index int // index: position among the class's spellings (group 0 first)
	where               Where
	words               []string
}

// byFirst maps a first word to the spellings starting with it, longest first.
var byFirst = map[string][]spelling{}

// maxTrailing is the most words of a Trailing spelling.
var maxTrailing int

// spellingCount[c] is the number of spellings of class c (both groups).
var spellingCount []int

func init() {
	spellingCount = make([]int, len(classes))
	for ci, c := range classes {
		if c.Name != c.Groups[0][0] {
			panic("addr: class name must be its first long spelling: " + c.Name)
		}
		k := 0
		for g := 0; g < 2; g++ {
			for _, sp := range c.Groups[g] {
				w := strings.Split(sp, " ")
				if c.Where == Number && len(w) > 1 {
					// candidate looks at the word after the first only
					panic("addr: a Number spelling must be one word: " + sp)
				}
				byFirst[w[0]] = append(byFirst[w[0]], spelling{ci, g, k, c.Where, w})
				firstLen[c.Where][w[0][0]] |= 1 << min(len(w[0]), 63)
				if c.Where == Trailing && len(w) > maxTrailing {
					maxTrailing = len(w)
				}
				k++
			}
		}
		spellingCount[ci] = k
	}
	for f, list := range byFirst {
		// longest match first, so "UNIDAD HABITACIONAL" wins over a shorter spelling
		for i := 1; i < len(list); i++ {
			for j := i; j > 0 && len(list[j].words) > len(list[j-1].words); j-- {
				list[j], list[j-1] = list[j-1], list[j]
			}
		}
		byFirst[f] = list
		// the lookup table, in the same order
		p := pack(f, 0, len(f))
		i := wordHash(p, len(f))
		for firstWords[i].word != "" {
			i = (i + 1) & (len(firstWords) - 1)
		}
		firstWords[i] = firstWord{p, f, list}
	}
}

// firstWord is an entry of firstWords.
type firstWord struct {
	packed uint64 // pack(word, 0, len(word))
	word   string
	spell  []spelling // the spellings starting with word, longest first
}

// firstWords is an open-addressing hash table (linear probing, wordHash) of
// the first words of all spellings: match looks a word up here, after the
// firstLen test, instead of comparing it with every spelling.
var firstWords [1 << firstWordsBits]firstWord

const firstWordsBits = 9

// pack is the first (up to) 8 bytes of the word s[i:j] as a little-endian
// word, zero above the word: one load, where comparing strings would call
// memequal.
func pack(s string, i, j int) uint64 {
	var x uint64
	if i+8 <= len(s) {
		x = le64(s[i : i+8])
	} else {
		x = loadTail(s, i)
	}
	if n := j - i; n < 8 {
		x &= 1<<(8*n) - 1
	}
	return x
}

// wordHash is the firstWords index of a word of n bytes that packs to p
// (a collision costs a probe, never a wrong match).
func wordHash(p uint64, n int) int {
	return int((p ^ uint64(n)) * 0x9E3779B97F4A7C15 >> (64 - firstWordsBits))
}

// spellingsAt lists the spellings whose first word is s[i:j], longest
// first. The caller has checked firstLen.
func spellingsAt(s string, i, j int) []spelling {
	p, n := pack(s, i, j), j-i
	for h := wordHash(p, n); ; h = (h + 1) & (len(firstWords) - 1) {
		e := &firstWords[h]
		if e.word == "" {
			return nil
		}
		if e.packed == p && len(e.word) == n && (n <= 8 || e.word[8:] == s[i+8:j]) {
			return e.spell
		}
	}
}

// SpellingCount is the number of spellings of class c, both groups; a
// spelling's index counts group 0's spellings first.
func SpellingCount(c int) int { return spellingCount[c] }

// Spelling is the text of spelling index i of class c.
func Spelling(c, i int) (group int, text string) {
	g0 := classes[c].Groups[0]
	if i < len(g0) {
		return 0, g0[i]
	}
	return 1, classes[c].Groups[1][i-len(g0)]
}

// Slot is one recognised spelling in a value: the bytes s[Start:End] of the
// normalised value spell class Class in group Group (spelling Spelling).
type Slot struct {
	Start, End int
	Class      int
	Group      int
	Spelling   int
}

// Forms lists the slots of s in order. s is normalised first (ident.Normalize)
// unless it already is; slot offsets index into the normalised value, which
// Normal returns.
func Forms(s string) []Slot {
	return AppendForms(nil, Normal(s))
}

// Normal is ident.Normalize(s); it allocates only when s is not normal.
func Normal(s string) string { return ident.Normalize(s) }

// maxWords bounds the words of a value with slots; a longer value has none
// (addresses are short).
const maxWords = 24

// firstLen[where][c] has bit l set when the first word of some spelling
// recognised at where starts with byte c and has l bytes: a cheap test
// before the table lookup.
var firstLen [3][256]uint64

// AppendForms appends the slots of the normalised value s to dst. It does not
// allocate when s has no slot and dst has room.
func AppendForms(dst []Slot, s string) []Slot {
	var w words
	w.split(s)
	for k := 0; k < w.n; k++ {
		if !w.candidate(s, k) {
			continue
		}
		if sp := w.match(s, k); sp != nil {
			dst = append(dst, Slot{Start: int(w.starts[k]), End: int(w.ends[k+len(sp.words)-1]), Class: sp.class, Group: sp.group, Spelling: sp.index})
			k += len(sp.words) - 1
		}
	}
	return dst
}

// AppendCanonical appends Canonical(s) to dst. It does not allocate when s
// is in normal form (upper case, single spaces; Ñ allowed: how the register
// and most leaks write addresses) and dst has room, so a caller hashing
// canonical forms can build them in a buffer on its stack:
//
//	var buf [128]byte
//	key := addr.AppendCanonical(buf[:0], v)
func AppendCanonical(dst []byte, s string) []byte {
	var w words
	if !w.splitNormal(s) {
		s = Normal(s)
		w.split(s)
	}
	last := 0
	for k := 0; k < w.n; k++ {
		if !w.candidate(s, k) {
			continue
		}
		if sp := w.match(s, k); sp != nil {
			if sp.index != 0 {
				dst = append(dst, s[last:w.starts[k]]...)
				dst = append(dst, classes[sp.class].Name...)
				last = int(w.ends[k+len(sp.words)-1])
			}
			k += len(sp.words) - 1
		}
	}
	return append(dst, s[last:]...)
}

// words holds the word boundaries of a value: word k is
// s[starts[k]:ends[k]], and bit k of num is set when it is number-like.
// A value with more than maxWords words has no slots and n == 0.
type words struct {
	n            int
	num          uint32
	starts, ends [maxWords + 2]int32 // two spare entries for splitNormal's blind writes
}

// split finds the words of s, separated by runs of spaces.
func (w *words) split(s string) {
	w.num = 0 // w may hold a failed splitNormal
	n := 0
	for i := 0; i < len(s) && n < maxWords; {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			break
		}
		j := i
		for j < len(s) && s[j] != ' ' {
			j++
		}
		w.starts[n], w.ends[n] = int32(i), int32(j)
		if numberLike(s[i:j]) {
			w.num |= 1 << n
		}
		n++
		i = j
	}
	if n == maxWords && strings.TrimRight(s[w.ends[n-1]:], " ") != "" {
		n = 0 // too many words to be an address part: no slots
	}
	w.n = n
}

// splitNormal is split for a value already in normal form (upper-case
// ASCII or Ñ, single inner spaces, none at either end: what Normal returns
// unchanged); it reports false, with w undefined, when s is not in that
// form. A value of up to 64 bytes (every address part) is read eight bytes
// at a time into bit masks of its spaces, digits and other bytes, and
// the words are found from the space mask: no branch per byte, where a
// mispredicted branch at each word boundary would cost most.
func (w *words) splitNormal(s string) bool {
	if len(s) > 64 || s == "" {
		return w.splitNormalLong(s)
	}
	var space, digit, bad, high uint64
	for i := 0; i < len(s); i += 8 {
		var x uint64
		if i+8 <= len(s) {
			x = le64(s[i : i+8])
		} else {
			x = loadTail(s, i)
		}
		// per byte, bit 7 set for the bytes of each kind (SWAR: a byte b <
		// 0x80 plus 0x80−k has bit 7 set exactly when b ≥ k, and no carry
		// crosses into the next byte); written here, not in a function,
		// because it is too big for the inliner
		h := x & highs
		a := x &^ h // the ASCII bytes; the others count as 0
		t := a ^ (' ' * lanes)
		sp := ^((t&(0x7F*lanes) + 0x7F*lanes) | t | 0x7F*lanes) // t's zero bytes
		dg := (a + (0x80-'0')*lanes) &^ (a + (0x80-'9'-1)*lanes)
		lo := (a + (0x80-'a')*lanes) &^ (a + (0x80-'z'-1)*lanes)
		ws := (a + (0x80-'\t')*lanes) &^ (a + (0x80-'\r'-1)*lanes)
		space |= movemask(sp&^h) << i
		digit |= movemask(dg&^h) << i
		bad |= (lo | ws) &^ h & highs
		high |= h
	}
	if bad != 0 || high != 0 && !onlyEnye(s) {
		return false
	}
	last := uint64(1) << (len(s) - 1)
	if space&1 != 0 || space&last != 0 || space&(space>>1) != 0 {
		return false // leading, trailing or doubled space
	}
	if len(s) >= 2*maxWords-1 && bits.OnesCount64(space) >= maxWords {
		w.n = 0 // too many words to be an address part: no slots
		return true
	}
	n, start := 0, 0
	for m := space; ; m &= m - 1 { // a word ends at each space, the last at len(s)
		end, mask := len(s), ^uint64(0)
		if m != 0 {
			end = bits.TrailingZeros64(m)
			mask = 1<<end - 1
		}
		w.starts[n], w.ends[n] = int32(start), int32(end)
		if digit&mask>>start != 0 || end-start == 1 && 'A' <= s[start] && s[start] <= 'Z' {
			w.num |= 1 << n
		}
		n++
		if m == 0 {
			break
		}
		start = end + 1
	}
	w.n = n
	return true
}

// SWAR constants.
const (
	lanes = 0x0101010101010101
	highs = 0x80 * lanes
)

// loadTail is the bytes from s[i] to the end of s (fewer than 8) as a
// little-endian word, padded with 'A', which is neither a space nor a digit.
func loadTail(s string, i int) uint64 {
	pad := uint64('A' * lanes)
	if len(s) >= 8 { // the last 8 bytes, shifted down
		k := uint(i + 8 - len(s)) // bytes past the end, 1-7
		return le64(s[len(s)-8:])>>(8*k) | pad<<(64-8*k)
	}
	x := pad
	for j := len(s) - 1; j >= i; j-- { // a short value: at most 7 bytes
		x = x<<8 | uint64(s[j])
	}
	return x
}

// le64 is the first 8 bytes of b as a little-endian word (one load).
func le64(b string) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// movemask gathers bit 7 of each byte of x into the low 8 bits.
func movemask(x uint64) uint64 {
	return ((x >> 7) & lanes) * 0x0102040810204080 >> 56
}

// splitNormalLong is splitNormal for a value of more than 64 bytes.
func (w *words) splitNormalLong(s string) bool {
	prevSpace := true // a space first would be leading
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
		case c >= 0x80:
			if c != 0xC3 || i+1 == len(s) || s[i+1] != 0x91 {
				return false
			}
			i++
			prevSpace = false
		case 'a' <= c && c <= 'z', '\t' <= c && c <= '\r':
			return false
		default:
			prevSpace = false
		}
	}
	if prevSpace && s != "" {
		return false // trailing space
	}
	w.split(s)
	return true
}

// onlyEnye reports whether every byte of s from 0x80 on is part of an Ñ.
func onlyEnye(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x80 {
			continue
		}
		if s[i] != 0xC3 || i+1 == len(s) || s[i+1] != 0x91 {
			return false
		}
		i++
	}
	return true
}

// candidate is a cheap test that a slot may start at word k of s: the
// word has the first byte and the length of the first word of a spelling
// recognised where the word is (the first word, before a number-like word,
// among the last maxTrailing words).
func (w *words) candidate(s string, k int) bool {
	c, l := s[w.starts[k]], min(w.ends[k]-w.starts[k], 63)
	var lens uint64
	if k == 0 {
		lens = firstLen[Prefix][c]
	}
	if k+1 < w.n && w.num&(1<<(k+1)) != 0 {
		lens |= firstLen[Number][c]
	}
	if k >= w.n-maxTrailing {
		lens |= firstLen[Trailing][c]
	}
	return lens&(1<<l) != 0
}

// match finds the spelling recognised at word k of s, if any.
func (w *words) match(s string, k int) *spelling {
	n := w.n
	list := spellingsAt(s, int(w.starts[k]), int(w.ends[k]))
	for j := range list {
		sp := &list[j]
		nw := len(sp.words)
		if k+nw > n {
			continue
		}
		same := true
		for i := 1; i < nw; i++ {
			if s[w.starts[k+i]:w.ends[k+i]] != sp.words[i] {
				same = false
				break
			}
		}
		if !same {
			continue
		}
		switch sp.where {
		case Prefix:
			if k != 0 || k+nw >= n {
				continue
			}
		case Number:
			if k+nw >= n || w.num&(1<<(k+nw)) == 0 {
				continue
			}
		case Trailing:
			if k+nw != n {
				continue
			}
		}
		return sp
	}
	return nil
}

// numberLike reports whether w is a house number, a lot number or a letter:
// it holds a digit, or it is one letter.
func numberLike(w string) bool {
	if len(w) == 1 {
		return w[0] >= 'A' && w[0] <= 'Z' || w[0] >= '0' && w[0] <= '9'
	}
	for i := 0; i < len(w); i++ {
		if w[i] >= '0' && w[i] <= '9' {
			return true
		}
	}
	return false
}

// Set rewrites the slots of the normalised value s: slot i takes spelling
// spell[i] of its class (an index as in Spelling). It returns s itself when
// nothing changes.
func Set(s string, slots []Slot, spell []int) string {
	changed := false
	extra := 0
	for i, sl := range slots {
		if spell[i] != sl.Spelling {
			changed = true
			_, t := Spelling(sl.Class, spell[i])
			extra += len(t) - (sl.End - sl.Start)
		}
	}
	if !changed {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + extra)
	last := 0
	for i, sl := range slots {
		if spell[i] == sl.Spelling {
			continue
		}
		b.WriteString(s[last:sl.Start])
		_, t := Spelling(sl.Class, spell[i])
		b.WriteString(t)
		last = sl.End
	}
	b.WriteString(s[last:])
	return b.String()
}

// Canonical is s normalised with every slot written in its class's canonical
// spelling (the first long form): two addresses that differ only in the
// choice of equivalent forms have the same canonical form. It allocates only
// when the result differs from s.
func Canonical(s string) string {
	var buf [128]byte
	c := AppendCanonical(buf[:0], s)
	if string(c) == s {
		return s
	}
	return string(c)
}
