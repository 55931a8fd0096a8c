package analysis

import (
	"context"
	"encoding/binary"
	"math/bits"
	"slices"
	"strings"

	"github.com/huella/huella/internal/dating"
	"github.com/huella/huella/internal/register"
)

// Linking methods, as counted in match.by_method.
const (
	methodNone uint8 = iota
	methodCURP
	methodClave
	methodProb
)

var methodNames = [...]string{"none", "curp", "clave", "probabilistic"}

// maxVisible is the most fields a leak is compared on (a bit mask each).
const maxVisible = 64

// matcher holds every leaked row in compact form while the rows are linked:
// per row the 32-bit hashes of the comparison forms of its visible fields,
// its keys, and the outcome. About 4·v + 100 bytes a row for v visible
// fields, whatever the register's size.
type matcher struct {
	cmp                       *comparer
	vis                       []int      // schema index of each visible field
	distMask                  uint64     // bits of vis that are distinguishing fields
	hashes                    [][]uint32 // chunks of chunkRows rows (no copying as they grow)
	curp                      []key18    // per row: the CURP as leaked, zero: none
	clave                     []key18
	out                       []rowOut
	ivArena                   []dating.Interval // backs out[].ivs
	codes                     []string          // entidad and sección codes by id; codes[0] = ""
	codeID                    map[string]uint32
	oddCURP                   map[int32]string // register CURPs that are not 18 bytes, by row
	snapshots                 []register.Date
	iCURP, iClave, iEnt, iSec int
}

// rowOut is the outcome of one row: the person, the masks of compared and
// agreeing fields against the person's best version, the validity intervals
// of the person's exact versions and where the person lives.
// It holds no pointer, so that ten million of them cost the garbage
// collector nothing: the intervals are a range of the matcher's arena, the
// codes ids in its table of codes, the CURP its 18 bytes.
type rowOut struct {
	person          uint64
	agree, compared uint64
	ivOff, ivN      uint32 // intervals: ivArena[ivOff : ivOff+ivN]
	ent, seccion    uint32 // ids in codes
	curp            key18  // zero: see oddCURP
	method          uint8
}

// ivs returns the intervals of row r's person's exact versions.
func (m *matcher) ivs(r int) []dating.Interval {
	o := &m.out[r]
	return m.ivArena[o.ivOff : o.ivOff+o.ivN : o.ivOff+o.ivN]
}

// curpOf is the register's CURP of row r's person, "" when none.
func (m *matcher) curpOf(r int) string {
	if k := &m.out[r].curp; !k.none() {
		return k.String()
	}
	return m.oddCURP[int32(r)]
}

func newMatcher(s *register.Schema, cmp *comparer, visible []bool, snapshots []register.Date) *matcher {
	m := &matcher{cmp: cmp, snapshots: snapshots, codes: []string{""}, codeID: map[string]uint32{},
		iCURP: s.Index(register.FCURP), iClave: s.Index(register.FClave),
		iEnt: s.Index(register.FEntidad), iSec: s.Index(register.FSeccion)}
	for f, v := range visible {
		if v && len(m.vis) < maxVisible {
			if cmp.distinguishing[f] {
				m.distMask |= 1 << len(m.vis)
			}
			m.vis = append(m.vis, f)
		}
	}
	return m
}

// hash is the 32-bit FNV-1a hash of the comparison form of value v of
// field f; 0 means absent.
func (m *matcher) hash(f int, v string) uint32 {
	if v == "" {
		return 0
	}
	return m.cmp.hash(f, v)
}

// addPrep hashes the rows of a batch (any goroutine).
func (m *matcher) addPrep(b *recBatch) {
	b.hashes, b.kc, b.kk = b.hashes[:0], b.kc[:0], b.kk[:0]
	width := len(m.cmp.kind)
	for i := 0; i < b.n; i++ {
		rec := b.record(i, width)
		for _, f := range m.vis {
			b.hashes = append(b.hashes, m.hash(f, rec[f]))
		}
		b.kc = append(b.kc, keyOf(rec, m.iCURP))
		b.kk = append(b.kk, keyOf(rec, m.iClave))
	}
}

// addFinish records the rows of a batch, in order.
func (m *matcher) addFinish(b *recBatch) {
	nv := len(m.vis)
	for i := 0; i < b.n; i++ {
		row := len(m.curp) + i
		if row%chunkRows == 0 {
			m.hashes = append(m.hashes, make([]uint32, 0, chunkRows*nv))
		}
		c := &m.hashes[len(m.hashes)-1]
		*c = append(*c, b.hashes[i*nv:(i+1)*nv]...)
	}
	m.curp = append(m.curp, b.kc...)
	m.clave = append(m.clave, b.kk...)
}

// key18 is a CURP or clave de elector (both 18 characters), held without a
// pointer (a million keys cost the garbage collector nothing); the zero
// value means none.
type key18 [18]byte

func (k *key18) none() bool { return *k == key18{} }

func (k *key18) String() string {
	if k.none() {
		return ""
	}
	return string(k[:])
}

// toKey18 is k (18 bytes, as peekKey returns it) as a key18.
func toKey18(k string) (out key18) {
	if len(k) == len(out) {
		copy(out[:], k)
	}
	return out
}

// keyOf is the lookup key of field i of a leaked row: upper case, 18
// characters, or zero (not a key).
func keyOf(rec register.Record, i int) key18 {
	return toKey18(peekKey(rec, i))
}

// peekKey is keyOf without copying: valid while rec is.
func peekKey(rec register.Record, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	k := strings.TrimSpace(rec[i])
	if len(k) != 18 {
		return ""
	}
	for j := 0; j < len(k); j++ {
		if c := k[j]; c >= 'a' && c <= 'z' {
			return strings.ToUpper(k)
		}
	}
	return k
}

// chunkRows is the rows per chunk of matcher.hashes.
const chunkRows = 1 << 16

func (m *matcher) rows() int { return len(m.curp) }

func (m *matcher) rowHashes(row int) []uint32 {
	nv := len(m.vis)
	c := m.hashes[row/chunkRows]
	row %= chunkRows
	return c[row*nv : (row+1)*nv]
}

// mask compares a row's hashes with a version's hashes.
func mask(h, vh []uint32) (agree, compared uint64) {
	for j, x := range h {
		if x == 0 {
			continue
		}
		compared |= 1 << j
		if vh[j] == x {
			agree |= 1 << j
		}
	}
	return agree, compared
}

// better orders agreement masks: more agreeing fields, then more agreeing
// distinguishing fields.
func (m *matcher) better(a, b uint64) bool {
	ca, cb := bits.OnesCount64(a), bits.OnesCount64(b)
	if ca != cb {
		return ca > cb
	}
	return bits.OnesCount64(a&m.distMask) > bits.OnesCount64(b&m.distMask)
}

// cand is one version of a candidate person, reduced to what matching needs.
type cand struct {
	person             uint64
	from, to           register.Date
	vh                 []uint32 // hashes of the visible fields
	curp, ent, seccion string
}

func (m *matcher) candOf(v *register.Version, arena []uint32) (cand, []uint32) {
	c := cand{person: v.PersonID, from: v.ValidFrom, to: v.ValidTo}
	start := len(arena)
	for _, f := range m.vis {
		var x string
		if f < len(v.Record) {
			x = v.Record[f]
		}
		arena = append(arena, m.hash(f, x))
	}
	c.vh = arena[start:len(arena):len(arena)]
	get := func(i int) string { // not copied: evaluate copies the best's
		if i < 0 || i >= len(v.Record) {
			return ""
		}
		return v.Record[i]
	}
	c.curp, c.ent, c.seccion = get(m.iCURP), get(m.iEnt), get(m.iSec)
	return c, arena
}

// evaluate links a row to the best of the candidate persons' versions,
// keeping the row's earlier outcome unless this one agrees better.
func (m *matcher) evaluate(row int, cands []cand, method uint8) {
	if len(cands) == 0 {
		return
	}
	h := m.rowHashes(row)
	bestI := -1
	var bestAgree, compared uint64
	for i := range cands {
		a, c := mask(h, cands[i].vh)
		compared = c
		if bestI < 0 || m.better(a, bestAgree) {
			bestI, bestAgree = i, a
		}
	}
	if compared == 0 {
		return
	}
	cur := &m.out[row]
	if cur.person != 0 && !m.better(bestAgree, cur.agree) {
		return
	}
	best := &cands[bestI]
	o := rowOut{person: best.person, agree: bestAgree, compared: compared, method: method,
		ent: m.code(best.ent), seccion: m.code(best.seccion)}
	if len(best.curp) == len(o.curp) {
		o.curp = toKey18(best.curp)
	} else if best.curp != "" {
		if m.oddCURP == nil {
			m.oddCURP = map[int32]string{}
		}
		m.oddCURP[int32(row)] = strings.Clone(best.curp)
	}
	// The intervals of every row live in one arena.
	start := len(m.ivArena)
	for i := range cands {
		if cands[i].person != best.person {
			continue
		}
		if a, _ := mask(h, cands[i].vh); a == compared {
			m.ivArena = append(m.ivArena, dating.Widen(dating.Interval{From: cands[i].from, To: cands[i].to}, m.snapshots))
		}
	}
	o.ivOff, o.ivN = uint32(start), uint32(len(m.ivArena)-start)
	*cur = o
}

// code returns the id of an entidad or sección code in m.codes (0 for "").
func (m *matcher) code(s string) uint32 {
	if s == "" {
		return 0
	}
	if id, ok := m.codeID[s]; ok {
		return id
	}
	id := uint32(len(m.codes))
	s = strings.Clone(s)
	m.codes = append(m.codes, s)
	m.codeID[s] = id
	return id
}

// lookup links every row by store lookups of its CURP, then its clave.
func (m *matcher) lookup(ctx context.Context, reg Register) error {
	m.out = make([]rowOut, m.rows())
	var cs []cand
	var arena []uint32
	conv := func(vs []register.Version) []cand {
		cs, arena = cs[:0], arena[:0]
		for i := range vs {
			var c cand
			c, arena = m.candOf(&vs[i], arena)
			cs = append(cs, c)
		}
		return cs
	}
	for row := range m.out {
		if row%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if k := &m.curp[row]; !k.none() {
			vs, err := reg.ByCURP(k.String())
			if err != nil {
				return err
			}
			m.evaluate(row, conv(vs), methodCURP)
		}
		if k := &m.clave[row]; m.out[row].person == 0 && !k.none() {
			vs, err := reg.ByClave(k.String())
			if err != nil {
				return err
			}
			m.evaluate(row, conv(vs), methodClave)
		}
	}
	return nil
}

// scan links every row in one pass over every version of the store: the
// versions of each person whose CURP or clave occurs in the leak are
// compared with those rows. It reads the store sequentially, so it beats
// lookups once the leak has more than a few percent of the register.
func (m *matcher) scan(ctx context.Context, versions func(ctx context.Context, fn func(v *register.Version) error) error) error {
	m.out = make([]rowOut, m.rows())
	// Rows by key: a map from the key's 64-bit hash to the first row, and
	// a chain of the rows sharing it (no string keys, no slice per key).
	nc, nk := 0, 0
	for row := range m.out {
		if !m.curp[row].none() {
			nc++
		} else if !m.clave[row].none() {
			nk++
		}
	}
	curpIdx, claveIdx := newKeyIndex(nc, m.curp), newKeyIndex(nk, m.clave)
	for row := range m.out {
		if !m.curp[row].none() {
			curpIdx.add(row)
		} else if !m.clave[row].none() {
			claveIdx.add(row)
		}
	}
	var (
		group  []cand
		arena  []uint32
		rowsC  []int32
		rowsK  []int32
		person uint64
	)
	flush := func() {
		if len(group) == 0 {
			return
		}
		slices.Sort(rowsC)
		for i, r := range rowsC {
			if i == 0 || r != rowsC[i-1] {
				m.evaluate(int(r), group, methodCURP)
			}
		}
		slices.Sort(rowsK)
		for i, r := range rowsK {
			if (i == 0 || r != rowsK[i-1]) && m.out[r].person == 0 {
				m.evaluate(int(r), group, methodClave)
			}
		}
		group, arena, rowsC, rowsK = group[:0], arena[:0], rowsC[:0], rowsK[:0]
	}
	// The store's goroutine iterates and decodes; workers look the keys up
	// and hash the versions in the leak; one goroutine compares, version
	// by version in store order.
	width := len(m.cmp.kind)
	prep := func(b *recBatch) {
		b.rows, b.cands, b.arena = b.rows[:0], b.cands[:0], b.arena[:0]
		if len(b.rc) < b.n {
			b.rc, b.rk, b.candOf = make([]int32, pipeBatch), make([]int32, pipeBatch), make([]int32, pipeBatch)
		}
		for i := 0; i < b.n; i++ {
			v := b.meta[i]
			v.Record = b.record(i, width)
			n0 := len(b.rows)
			b.rows = curpIdx.rows(keyOf(v.Record, m.iCURP), b.rows)
			b.rc[i] = int32(len(b.rows))
			if claveIdx.n > 0 { // usually none: every row has its CURP
				b.rows = claveIdx.rows(keyOf(v.Record, m.iClave), b.rows)
			}
			b.rk[i] = int32(len(b.rows))
			b.candOf[i] = -1
			if len(b.rows) == n0 {
				continue
			}
			var c cand
			c, b.arena = m.candOf(&v, b.arena)
			b.candOf[i] = int32(len(b.cands))
			b.cands = append(b.cands, c)
		}
	}
	finish := func(b *recBatch) {
		start := int32(0)
		for i := 0; i < b.n; i++ {
			if pid := b.meta[i].PersonID; pid != person {
				flush()
				person = pid
			}
			rc, rk := b.rc[i], b.rk[i]
			rowsC = append(rowsC, b.rows[start:rc]...)
			rowsK = append(rowsK, b.rows[rc:rk]...)
			start = rk
			if j := b.candOf[i]; j >= 0 {
				c := b.cands[j]
				n0 := len(arena)
				arena = append(arena, c.vh...)
				c.vh = arena[n0:len(arena):len(arena)]
				group = append(group, c)
			}
		}
	}
	vp := newStagePipe(width, prep, finish)
	n := 0
	err := versions(ctx, func(v *register.Version) error {
		if n++; n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		vp.putVersion(v)
		return nil
	})
	vp.close()
	if err != nil {
		return err
	}
	flush()
	return nil
}

// keyIndex finds the rows holding a key: an open-addressing table of rows
// (linear probing, at most half full), each slot with 32 bits of the key's
// hash so that most probes never touch the keys. Rows sharing a key occupy
// several slots of the same probe sequence.
type keyIndex struct {
	slots []keySlot
	mask  uint64
	n     int     // rows indexed
	keys  []key18 // by row
}

type keySlot struct {
	tag uint32
	row int32 // row + 1; 0: empty
}

func newKeyIndex(n int, keys []key18) *keyIndex {
	size := 16
	for size < 2*n {
		size *= 2
	}
	return &keyIndex{slots: make([]keySlot, size), mask: uint64(size - 1), keys: keys}
}

// hash64 mixes the 18 bytes of a key (the multiply-xorshift of
// SplitMix64 over its three words).
func hash64(k *key18) uint64 {
	a := binary.LittleEndian.Uint64(k[0:8])
	b := binary.LittleEndian.Uint64(k[8:16])
	c := uint64(binary.LittleEndian.Uint16(k[16:18]))
	x := a*0x9E3779B97F4A7C15 ^ b
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x ^= c
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}

// add indexes row under its key (keys[row], not zero).
func (ix *keyIndex) add(row int) {
	h := hash64(&ix.keys[row])
	for i := h & ix.mask; ; i = (i + 1) & ix.mask {
		if ix.slots[i].row == 0 {
			ix.slots[i] = keySlot{tag: uint32(h >> 32), row: int32(row + 1)}
			ix.n++
			return
		}
	}
}

// rows appends to dst the rows whose key is k.
func (ix *keyIndex) rows(k key18, dst []int32) []int32 {
	if k.none() {
		return dst
	}
	h := hash64(&k)
	tag := uint32(h >> 32)
	for i := h & ix.mask; ; i = (i + 1) & ix.mask {
		s := ix.slots[i]
		if s.row == 0 {
			return dst
		}
		if s.tag == tag && ix.keys[s.row-1] == k {
			dst = append(dst, s.row-1)
		}
	}
}
