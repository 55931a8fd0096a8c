package linkage

import (
	"fmt"
	"slices"

	"github.com/huella/huella/internal/register"
)

// The blocking passes. Each pass keys a version by a few fields, so that a
// leaked row is compared only with versions sharing a key with it in at least
// one pass. Every pass leaves out a different field, so that one error of any
// kind in a row still leaves some pass that finds its person:
//
//	pass 0  birth date, sex, entidad          (names damaged)
//	pass 1  birth date, phonetic(paterno)     (given name damaged, person moved)
//	pass 2  birth date, phonetic(given name)  (first surname damaged)
//	pass 3  birth year, sex, phonetic(paterno), phonetic(given name)  (day or month wrong)
//	pass 4  entidad, seccion, phonetic(paterno)                       (birth date wrong or absent)
//	pass 5  entidad, seccion, sex, phonetic(given name)               (birth date and surname wrong)
//
// The given name's code is its first token in the register; a row probes
// each of its tokens, which finds swapped names ("LUIS JOSE" for "JOSE
// LUIS"). Rows whose day and month can be swapped also probe the swapped
// date. Rows without an entidad probe passes 4 and 5 in all 32. Sex splits the two passes with the largest blocks (a common surname
// and a common given name); a row without sex probes both.
const nPasses = 6

// blockTable holds (key, version) entries sorted by key, 32-bit keys packed
// above the version index, with a directory of offsets by the key's top bits.
// A spurious key collision only adds a candidate, which scoring rejects.
type blockTable struct {
	ent []uint64
	dir []uint32
}

const dirBits = 20

func mix(h, x uint64) uint64 {
	h ^= x + 0x9e3779b97f4a7c15 + h<<6 + h>>2
	h ^= h >> 31
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 29
	return h
}

func blockKey(pass int, a, b, c uint64) uint32 {
	h := mix(mix(mix(uint64(pass)+1, a), b), c)
	return uint32(h>>32) ^ uint32(h)
}

// verKeys computes the blocking keys of a version; ok[p] is false when a
// field the pass needs is missing.
func (ix *Index) verKeys(v *ver) (keys [nPasses]uint32, ok [nPasses]bool) {
	pat := uint64(0)
	if v.paterno != 0 {
		pat = uint64(phonetic(ix.names.s[v.paterno]))
	}
	nom := uint64(0)
	if v.nombre != 0 {
		nom = uint64(phonetic(firstToken(ix.names.s[v.nombre])))
	}
	ent, sec := fnv64(ix.codes.s[v.ent]), fnv64(ix.codes.s[v.sec])
	b := uint64(v.birth)
	var year uint64
	if v.hasBirth {
		y, _, _ := v.birth.YMD()
		year = uint64(y)
	}
	set := func(p int, cond bool, a, bb, c uint64) {
		if cond {
			keys[p], ok[p] = blockKey(p, a, bb, c), true
		}
	}
	set(0, v.hasBirth && v.sex != 0 && v.ent != 0, b, uint64(v.sex), ent)
	set(1, v.hasBirth && pat != 0, b, pat, 0)
	set(2, v.hasBirth && nom != 0, b, nom, 0)
	set(3, v.hasBirth && pat != 0 && nom != 0, year, pat, nom<<8|uint64(v.sex))
	set(4, v.ent != 0 && v.sec != 0 && pat != 0, ent, sec, pat)
	set(5, v.ent != 0 && v.sec != 0 && nom != 0, ent, sec, nom<<8|uint64(v.sex))
	return keys, ok
}

func (ix *Index) buildBlocks() blockTable {
	var t blockTable
	t.ent = make([]uint64, 0, len(ix.vers)*nPasses)
	for i := range ix.vers {
		v := &ix.vers[i]
		// A person's versions usually share names and birth date: index a
		// key once per person unless the version changed the keyed fields.
		keys, ok := ix.verKeys(v)
		var prevKeys [nPasses]uint32
		var prevOK [nPasses]bool
		samePerson := i > 0 && ix.vers[i-1].person == v.person
		if samePerson {
			prevKeys, prevOK = ix.verKeys(&ix.vers[i-1])
		}
		for p := 0; p < nPasses; p++ {
			if !ok[p] || samePerson && prevOK[p] && prevKeys[p] == keys[p] {
				continue
			}
			t.ent = append(t.ent, uint64(keys[p])<<32|uint64(i))
		}
	}
	slices.Sort(t.ent)
	t.ent = slices.Clip(t.ent)
	t.dir = make([]uint32, 1<<dirBits+1)
	j := 0
	for b := 0; b <= 1<<dirBits; b++ {
		for j < len(t.ent) && int(t.ent[j]>>(64-dirBits)) < b {
			j++
		}
		t.dir[b] = uint32(j)
	}
	return t
}

// lookup returns the entries with the given key.
func (t *blockTable) lookup(key uint32) []uint64 {
	b := key >> (32 - dirBits)
	lo, hi := int(t.dir[b]), int(t.dir[b+1])
	seg := t.ent[lo:hi]
	k := uint64(key) << 32
	i, _ := slices.BinarySearch(seg, k)
	j := i
	for j < len(seg) && seg[j]>>32 == uint64(key) {
		j++
	}
	return seg[i:j]
}

// rowKeys lists the block keys a prepared row probes (with repeats removed).
func rowKeys(r *prepared) []uint32 {
	out := make([]uint32, 0, 24)
	add := func(p int, a, b, c uint64) {
		out = append(out, blockKey(p, a, b, c))
	}
	pat := uint64(0)
	if r.paterno != "" {
		pat = uint64(phonetic(r.paterno))
	}
	var noms []uint64
	for _, t := range r.nombreTokens[:min(len(r.nombreTokens), maxNameKeys)] {
		noms = append(noms, uint64(phonetic(t)))
	}
	ent, sec := fnv64(r.ent), fnv64(r.sec)
	dates := make([]register.Date, 0, 2)
	if r.hasBirth {
		dates = append(dates, r.birth)
		if s, ok := swapDayMonth(r.birth); ok {
			dates = append(dates, s)
		}
	}
	for _, d := range dates {
		if r.sex != 0 && r.ent != "" {
			add(0, uint64(d), uint64(r.sex), ent)
		}
		if pat != 0 {
			add(1, uint64(d), pat, 0)
		}
		for _, n := range noms {
			add(2, uint64(d), n, 0)
		}
	}
	sexes := []uint64{uint64(r.sex)}
	if r.sex == 0 {
		sexes = []uint64{'H', 'M'}
	}
	if r.hasBirth && pat != 0 {
		y, _, _ := r.birth.YMD()
		for _, n := range noms {
			for _, sx := range sexes {
				add(3, uint64(y), pat, n<<8|sx)
			}
		}
	}
	ents := []uint64{ent}
	if r.ent == "" {
		// A recipient profile without the entidad (names and sección, as
		// parties receive since 2016): sección numbers repeat across states,
		// so probe the sección in each of the 32.
		ents = allEntidades[:]
	}
	if r.sec != "" {
		for _, e := range ents {
			if pat != 0 {
				add(4, e, sec, pat)
			}
			for _, n := range noms {
				for _, sx := range sexes {
					add(5, e, sec, n<<8|sx)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// maxNameKeys is how many of a row's given names make block keys ("MARIA
// DE LOS ANGELES" is four). A row of thirty given names made thirty times
// the keys, each a block to read, and in a file without the entidad 32 of
// each: a 210,000-row leak took four minutes.
const maxNameKeys = 4

// allEntidades are the keys of the 32 entidad codes "01".."32", as
// codeKey writes them.
var allEntidades = func() (a [32]uint64) {
	for i := range a {
		a[i] = fnv64(codeKey(fmt.Sprintf("%02d", i+1)))
	}
	return a
}()
