package analysis

import (
	"context"
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
	vis                       []int  // schema index of each visible field
	distMask                  uint64 // bits of vis that are distinguishing fields
	hashes                    []uint32
	curp                      []string // per row: the CURP as leaked, "" none
	clave                     []string
	out                       []rowOut
	snapshots                 []register.Date
	iCURP, iClave, iEnt, iSec int
}

// rowOut is the outcome of one row: the person, the masks of compared and
// agreeing fields against the person's best version, the validity intervals
// of the person's exact versions and where the person lives.
type rowOut struct {
	person             uint64
	agree, compared    uint64
	ivs                []dating.Interval
	curp, ent, seccion string
	method             uint8
}

func newMatcher(s *register.Schema, cmp *comparer, visible []bool, snapshots []register.Date) *matcher {
	m := &matcher{cmp: cmp, snapshots: snapshots,
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

// add records one leaked row.
func (m *matcher) add(rec register.Record) {
	for _, f := range m.vis {
		var v string
		if f < len(rec) {
			v = rec[f]
		}
		m.hashes = append(m.hashes, m.hash(f, v))
	}
	m.curp = append(m.curp, keyOf(rec, m.iCURP))
	m.clave = append(m.clave, keyOf(rec, m.iClave))
}

// keyOf is the lookup key of field i of a leaked row: upper case, 18
// characters, or "" (not a key).
func keyOf(rec register.Record, i int) string {
	k := peekKey(rec, i)
	if k == "" {
		return ""
	}
	return strings.Clone(k)
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

func (m *matcher) rows() int { return len(m.curp) }

func (m *matcher) rowHashes(row int) []uint32 {
	nv := len(m.vis)
	return m.hashes[row*nv : (row+1)*nv]
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
	get := func(i int) string {
		if i < 0 || i >= len(v.Record) {
			return ""
		}
		return strings.Clone(v.Record[i])
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
		curp: best.curp, ent: best.ent, seccion: best.seccion}
	for i := range cands {
		if cands[i].person != best.person {
			continue
		}
		if a, _ := mask(h, cands[i].vh); a == compared {
			o.ivs = append(o.ivs, dating.Widen(dating.Interval{From: cands[i].from, To: cands[i].to}, m.snapshots))
		}
	}
	*cur = o
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
		if k := m.curp[row]; k != "" {
			vs, err := reg.ByCURP(k)
			if err != nil {
				return err
			}
			m.evaluate(row, conv(vs), methodCURP)
		}
		if k := m.clave[row]; m.out[row].person == 0 && k != "" {
			vs, err := reg.ByClave(k)
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
	curpIdx, claveIdx := newKeyIndex(m.rows()), newKeyIndex(0)
	for row := range m.out {
		if k := m.curp[row]; k != "" {
			curpIdx.add(k, row)
		} else if k := m.clave[row]; k != "" {
			claveIdx.add(k, row)
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
	n := 0
	err := versions(ctx, func(v *register.Version) error {
		if n++; n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if v.PersonID != person {
			flush()
			person = v.PersonID
		}
		n0, k0 := len(rowsC), len(rowsK)
		rowsC = curpIdx.rows(peekKey(v.Record, m.iCURP), m.curp, rowsC)
		rowsK = claveIdx.rows(peekKey(v.Record, m.iClave), m.clave, rowsK)
		if len(rowsC) == n0 && len(rowsK) == k0 {
			return nil
		}
		var c cand
		c, arena = m.candOf(v, arena)
		group = append(group, c)
		return nil
	})
	if err != nil {
		return err
	}
	flush()
	return nil
}

// keyIndex finds the rows holding a key.
type keyIndex struct {
	head map[uint64]int32 // key hash → first row + 1
	next []int32          // row → next row + 1 with the same hash, 0 at the end
}

func newKeyIndex(n int) *keyIndex {
	return &keyIndex{head: make(map[uint64]int32, n)}
}

func hash64(k string) uint64 {
	x := uint64(14695981039346656037)
	for i := 0; i < len(k); i++ {
		x ^= uint64(k[i])
		x *= 1099511628211
	}
	return x
}

func (ix *keyIndex) add(k string, row int) {
	for len(ix.next) <= row {
		ix.next = append(ix.next, 0)
	}
	h := hash64(k)
	ix.next[row] = ix.head[h]
	ix.head[h] = int32(row + 1)
}

// rows appends to dst the rows whose key (keys[row]) is k.
func (ix *keyIndex) rows(k string, keys []string, dst []int32) []int32 {
	if k == "" || len(ix.head) == 0 {
		return dst
	}
	for r := ix.head[hash64(k)]; r != 0; r = ix.next[r-1] {
		if keys[r-1] == k {
			dst = append(dst, r-1)
		}
	}
	return dst
}
