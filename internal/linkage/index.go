package linkage

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"unsafe"

	"github.com/huella/huella/internal/register"
)

// strtab interns strings: id 0 is "", every other string is stored once.
type strtab struct {
	m map[string]uint32
	s []string
}

func newStrtab() *strtab { return &strtab{m: map[string]uint32{"": 0}, s: []string{""}} }

func (t *strtab) intern(s string) uint32 {
	if s == "" {
		return 0
	}
	if id, ok := t.m[s]; ok {
		return id
	}
	s = strings.Clone(s) // do not keep the caller's row buffer alive
	id := uint32(len(t.s))
	t.s = append(t.s, s)
	t.m[s] = id
	return id
}

// ver is what the index keeps of one version: interned comparison forms of
// the fields linkage reads, the person and the validity interval. About 80
// bytes, plus the block and key entries that point to it.
type ver struct {
	person                   uint64
	from, to                 register.Date
	birth                    register.Date
	nombre, paterno, materno uint32 // names table
	calle, colonia           uint32 // addr table
	ent, mun, sec, num, cp   uint32 // codes table
	cic, ocr, emi            uint32 // hash32: credential numbers are unique, interning them would not pay
	sex                      byte
	hasBirth                 bool
}

const verSize = unsafe.Sizeof(ver{})

// fieldPos is where each field linkage reads sits in the schema, -1 if absent.
type fieldPos struct {
	curp, clave, nombre, paterno, materno, nac, sexo, ent, mun, sec,
	calle, num, colonia, cp, cic, ocr, emi int
}

func positions(s *register.Schema) fieldPos {
	return fieldPos{
		curp: s.Index(register.FCURP), clave: s.Index(register.FClave),
		nombre: s.Index(register.FNombre), paterno: s.Index(register.FPaterno),
		materno: s.Index(register.FMaterno), nac: s.Index(register.FNacimiento),
		sexo: s.Index(register.FSexo), ent: s.Index(register.FEntidad),
		mun: s.Index(register.FMunicipio), sec: s.Index(register.FSeccion),
		calle: s.Index(register.FCalle), num: s.Index(register.FNumExterior),
		colonia: s.Index(register.FColonia), cp: s.Index(register.FCodigoPostal),
		cic: s.Index(register.FCIC), ocr: s.Index(register.FOCR), emi: s.Index(register.FEmision),
	}
}

func field(r register.Record, i int) string {
	if i < 0 || i >= len(r) {
		return ""
	}
	return r[i]
}

// Index is an in-memory linkage index over a register's versions. Build it
// with Add for every version, then Freeze; after Freeze it is read-only and
// safe for concurrent Link calls.
type Index struct {
	schema *register.Schema
	pos    fieldPos
	opts   Options

	names, addr, codes *strtab
	rawAddr            map[string]uint32 // raw address spelling → addr id, until Freeze
	sorted             []uint32          // names id → id of its token-sorted form
	nameCount          [3][]uint32       // per name field (nombre, paterno, materno): people holding each id
	logTF              [3][]float32      // log2 of each id's share of people, floored at 1/people
	vers               []ver

	keys   []keyEntry // CURP and clave hashes, sorted
	blocks blockTable
	prior  *Model
	frozen bool
	people int
}

type keyEntry struct {
	h  uint64
	vi uint32
}

// NewIndex starts an empty index for registers of the given schema. The
// fields linkage reads are found by their INE names (register.FCURP,
// register.FNombre, ...); a schema without some of them links on the rest.
func NewIndex(schema *register.Schema) *Index {
	return &Index{
		schema: schema, pos: positions(schema), opts: DefaultOptions(),
		names: newStrtab(), addr: newStrtab(), codes: newStrtab(),
	}
}

// SetOptions replaces the decision and blocking options.
func (ix *Index) SetOptions(o Options) { ix.opts = o }

// Len is the number of versions added.
func (ix *Index) Len() int { return len(ix.vers) }

// People is the number of distinct persons, known after Freeze.
func (ix *Index) People() int { return ix.people }

// Add copies what linkage needs of v into the index. It panics after Freeze.
func (ix *Index) Add(v *register.Version) {
	if ix.frozen {
		panic("linkage: Add after Freeze")
	}
	r, p := v.Record, ix.pos
	x := ver{person: v.PersonID, from: v.ValidFrom, to: v.ValidTo}
	x.nombre = ix.internName(nameKey(field(r, p.nombre)))
	x.paterno = ix.internName(nameKey(field(r, p.paterno)))
	x.materno = ix.internName(nameKey(field(r, p.materno)))
	x.birth, x.hasBirth = parseBirth(field(r, p.nac))
	x.sex = sexKey(field(r, p.sexo))
	x.calle = ix.internAddr(field(r, p.calle))
	x.colonia = ix.internAddr(field(r, p.colonia))
	c := ix.codes
	x.ent = c.intern(codeKey(field(r, p.ent)))
	x.mun = c.intern(codeKey(field(r, p.mun)))
	x.sec = c.intern(codeKey(field(r, p.sec)))
	x.num = c.intern(codeKey(field(r, p.num)))
	x.cp = c.intern(codeKey(field(r, p.cp)))
	x.cic = hash32(codeKey(field(r, p.cic)))
	x.ocr = hash32(codeKey(field(r, p.ocr)))
	x.emi = hash32(codeKey(field(r, p.emi)))
	vi := uint32(len(ix.vers))
	ix.vers = append(ix.vers, x)
	if k := keyOf(field(r, p.curp)); k != 0 {
		ix.keys = append(ix.keys, keyEntry{k ^ curpSalt, vi})
	}
	if k := keyOf(field(r, p.clave)); k != 0 {
		ix.keys = append(ix.keys, keyEntry{k ^ claveSalt, vi})
	}
}

// internAddr interns the comparison form of an address part, remembering
// the raw spelling: the same street is written the same way by thousands of
// rows, and addrKey is the costliest step of Add.
func (ix *Index) internAddr(raw string) uint32 {
	if raw == "" {
		return 0
	}
	if id, ok := ix.rawAddr[raw]; ok {
		return id
	}
	id := ix.addr.intern(addrKey(raw))
	if ix.rawAddr == nil {
		ix.rawAddr = map[string]uint32{}
	}
	ix.rawAddr[strings.Clone(raw)] = id
	return id
}

func (ix *Index) internName(s string) uint32 {
	id := ix.names.intern(s)
	for int(id) >= len(ix.sorted) {
		n := uint32(len(ix.sorted))
		ix.sorted = append(ix.sorted, n)
		for f := range ix.nameCount {
			ix.nameCount[f] = append(ix.nameCount[f], 0)
		}
		if ss := sortedTokens(ix.names.s[n]); ss != ix.names.s[n] {
			ix.sorted[n] = ix.names.intern(ss)
		}
	}
	return id
}

const (
	curpSalt  = 0x9e3779b97f4a7c15
	claveSalt = 0xc2b2ae3d27d4eb4f
)

// keyOf hashes a normalised person key, 0 for an empty one.
func keyOf(s string) uint64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	h := fnv64(strings.ToUpper(s))
	if h == 0 {
		h = 1
	}
	return h
}

// hash32 is a 32-bit hash of s, 0 only for "". Two credential numbers that
// collide compare equal: one chance in 4·10⁹, and only on one field.
func hash32(s string) uint32 {
	if s == "" {
		return 0
	}
	h := fnv64(s)
	if x := uint32(h>>32) ^ uint32(h); x != 0 {
		return x
	}
	return 1
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// Freeze sorts the versions by person, builds the key and block tables,
// counts value frequencies and estimates the u probabilities from random
// pairs of versions. It releases the intern maps.
func (ix *Index) Freeze() {
	if ix.frozen {
		return
	}
	ix.frozen = true
	// Sort by person then validity so a person's versions are adjacent.
	perm := make([]uint32, len(ix.vers))
	for i := range perm {
		perm[i] = uint32(i)
	}
	slices.SortFunc(perm, func(a, b uint32) int {
		va, vb := &ix.vers[a], &ix.vers[b]
		switch {
		case va.person != vb.person:
			if va.person < vb.person {
				return -1
			}
			return 1
		case va.from != vb.from:
			return int(va.from) - int(vb.from)
		}
		return int(a) - int(b)
	})
	inv := make([]uint32, len(perm))
	sorted := make([]ver, len(ix.vers))
	for newI, oldI := range perm {
		sorted[newI] = ix.vers[oldI]
		inv[oldI] = uint32(newI)
	}
	ix.vers = sorted
	perm = nil
	for i := range ix.keys {
		ix.keys[i].vi = inv[ix.keys[i].vi]
	}
	inv = nil
	slices.SortFunc(ix.keys, func(a, b keyEntry) int {
		switch {
		case a.h < b.h:
			return -1
		case a.h > b.h:
			return 1
		}
		return int(a.vi) - int(b.vi)
	})
	ix.keys = slices.Clip(ix.keys)
	// Value frequencies count people, not versions: a person's versions
	// repeat their names, and counting them would make every name look
	// commoner than it is for people with many versions.
	for i := range ix.vers {
		v := &ix.vers[i]
		var prev *ver
		if i > 0 && ix.vers[i-1].person == v.person {
			prev = &ix.vers[i-1]
		} else {
			ix.people++
		}
		for f, id := range [3]uint32{v.nombre, v.paterno, v.materno} {
			if prev == nil || [3]uint32{prev.nombre, prev.paterno, prev.materno}[f] != id {
				ix.nameCount[f][id]++
			}
		}
	}
	for f := range ix.nameCount {
		ix.logTF[f] = make([]float32, len(ix.nameCount[f]))
		for id, c := range ix.nameCount[f] {
			ix.logTF[f][id] = float32(math.Log2(float64(max(c, 1)) / float64(max(ix.people, 1))))
		}
	}
	ix.blocks = ix.buildBlocks()
	ix.prior = ix.priorModel()
	ix.names.m, ix.addr.m, ix.codes.m, ix.rawAddr = nil, nil, nil, nil
}

// personRange is the range of versions of the person holding version vi.
func (ix *Index) personRange(vi uint32) (lo, hi uint32) {
	p := ix.vers[vi].person
	lo, hi = vi, vi+1
	for lo > 0 && ix.vers[lo-1].person == p {
		lo--
	}
	for int(hi) < len(ix.vers) && ix.vers[hi].person == p {
		hi++
	}
	return lo, hi
}

// lookupKey appends the versions whose CURP (or clave) hashes to h.
func (ix *Index) lookupKey(h uint64, out []uint32) []uint32 {
	i, _ := slices.BinarySearchFunc(ix.keys, h, func(e keyEntry, h uint64) int {
		switch {
		case e.h < h:
			return -1
		case e.h > h:
			return 1
		}
		return 0
	})
	for ; i < len(ix.keys) && ix.keys[i].h == h; i++ {
		out = append(out, ix.keys[i].vi)
	}
	return out
}

// MemoryBytes estimates the bytes the frozen index holds: versions, keys,
// blocks and interned strings.
func (ix *Index) MemoryBytes() int64 {
	n := int64(len(ix.vers))*int64(verSize) + int64(len(ix.keys))*16 +
		int64(len(ix.blocks.ent))*8 + int64(len(ix.blocks.dir))*4 +
		int64(len(ix.sorted))*4*4
	for _, t := range []*strtab{ix.names, ix.addr, ix.codes} {
		n += int64(len(t.s)) * 16
		for _, s := range t.s {
			n += int64(len(s))
		}
		if t.m != nil {
			n += int64(len(t.m)) * 48
		}
	}
	return n
}

// randomPairs draws n pairs of versions of different persons,
// deterministically; with group set, both of a pair share group(v) (pairs
// are drawn by picking a version, then another of its group).
func (ix *Index) randomPairs(n int, group func(v *ver) uint64, fn func(a, b *ver)) {
	if ix.people < 2 {
		return
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var members map[uint64][]uint32
	if group != nil {
		members = map[uint64][]uint32{}
		for i := range ix.vers {
			k := group(&ix.vers[i])
			members[k] = append(members[k], uint32(i))
		}
	}
	for done, tries := 0, 0; done < n && tries < 4*n; tries++ {
		a := &ix.vers[rng.IntN(len(ix.vers))]
		var b *ver
		if group == nil {
			b = &ix.vers[rng.IntN(len(ix.vers))]
		} else {
			g := members[group(a)]
			b = &ix.vers[g[rng.IntN(len(g))]]
		}
		if a.person == b.person {
			continue
		}
		fn(a, b)
		done++
	}
}
