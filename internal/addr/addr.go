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
package addr

import (
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
				byFirst[w[0]] = append(byFirst[w[0]], spelling{ci, g, k, w})
				firstLen[w[0][0]] |= 1 << min(len(w[0]), 63)
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
		b, l := f[0], min(len(f), maxFirst)
		byShape[b][l] = append(byShape[b][l], list...)
	}
}

// maxFirst caps the length index of byShape.
const maxFirst = 31

// byShape[c][l] lists the spellings whose first word starts with byte c and
// is l bytes long (maxFirst: that long or longer), longest spelling first
// within one first word: match looks here instead of hashing every word.
var byShape [256][maxFirst + 1][]spelling

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

// firstLen[c] has bit l set when some spelling's first word starts with
// byte c and has l bytes: a cheap test before the map lookup.
var firstLen [256]uint64

// AppendForms appends the slots of the normalised value s to dst. It does not
// allocate when s has no slot and dst has room.
func AppendForms(dst []Slot, s string) []Slot {
	if s == "" {
		return dst
	}
	// word boundaries
	var starts, ends [maxWords]int
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
		starts[n], ends[n] = i, j
		n++
		i = j
	}
	if n == maxWords && strings.TrimRight(s[ends[n-1]:], " ") != "" {
		return dst // too many words to be an address part: no slots
	}
	for k := 0; k < n; {
		// a slot starts at the first word, before a number-like word or
		// among the last maxTrailing words: skip the lookup elsewhere
		if k != 0 && k < n-maxTrailing && !numberLike(s[starts[k+1]:ends[k+1]]) {
			k++
			continue
		}
		sp, ok := match(s, starts[:n], ends[:n], k)
		if !ok {
			k++
			continue
		}
		dst = append(dst, Slot{Start: starts[k], End: ends[k+len(sp.words)-1], Class: sp.class, Group: sp.group, Spelling: sp.index})
		k += len(sp.words)
	}
	return dst
}

// match finds the spelling recognised at word k, if any.
func match(s string, starts, ends []int, k int) (spelling, bool) {
	n := len(starts)
	if firstLen[s[starts[k]]]&(1<<min(ends[k]-starts[k], 63)) == 0 {
		return spelling{}, false
	}
	first := s[starts[k]:ends[k]]
	for _, sp := range byShape[first[0]][min(len(first), maxFirst)] {
		w := len(sp.words)
		if k+w > n || sp.words[0] != first {
			continue
		}
		same := true
		for i := 1; i < w; i++ {
			if s[starts[k+i]:ends[k+i]] != sp.words[i] {
				same = false
				break
			}
		}
		if !same {
			continue
		}
		switch classes[sp.class].Where {
		case Prefix:
			if k != 0 || k+w >= n {
				continue
			}
		case Number:
			if k+w >= n || !numberLike(s[starts[k+w]:ends[k+w]]) {
				continue
			}
		case Trailing:
			if k+w != n {
				continue
			}
		}
		return sp, true
	}
	return spelling{}, false
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
// choice of equivalent forms have the same canonical form.
func Canonical(s string) string {
	s = Normal(s)
	var buf [8]Slot
	slots := AppendForms(buf[:0], s)
	if len(slots) == 0 {
		return s
	}
	spell := make([]int, len(slots))
	return Set(s, slots, spell)
}
