package analysis

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

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
	wordedMask                uint64     // of those, the ones written, not coded nor the clave: streets, colonias, credential numbers
	identMask                 uint64     // bits of vis that are the names and the birth date
	maybeForeign              int        // outcomes made that looked foreign (an upper bound: some were replaced)
	ownMask                   uint64     // of those, the given name and the birth date
	hashes                    [][]uint32 // chunks of chunkRows rows (no copying as they grow)
	curp                      keyCol     // per row: the CURP as leaked, zero: none
	clave                     keyCol
	out                       []rowOut
	ivArena                   []dating.Interval // backs out[].ivs
	codes                     []string          // entidad and sección codes by id; codes[0] = ""
	codeID                    map[string]uint32
	oddCURP                   map[int32]string // by row: the register's CURP when it is not the row's own
	nowCURP                   map[int32]string // by row: the person's CURP now (their latest version's), when not the one of the version the row was linked to
	snapshots                 []register.Date
	iCURP, iClave, iEnt, iSec int
	seen                      []uint64     // during a scan, a bit per row: an outcome was merged
	stage                     func(string) // told when a scan's join is done ("scan"); may be nil
}

// rowOut is the outcome of one row: the person, the masks of compared and
// agreeing fields against the person's best version, the validity intervals
// of the person's exact versions and where the person lives.
// It holds no pointer, so that ten million of them cost the garbage
// collector nothing: the intervals are a range of the matcher's arena, the
// codes ids in its table of codes. The person's CURP is the row's own
// (m.curp) unless m.oddCURP says otherwise.
type rowOut struct {
	person          uint64
	agree, compared uint64
	// intervals: ivArena[ivOff : ivOff+ivN]; one (the usual row: one
	// version agrees) is held here instead, From in ivOff, To in ivTo, so
	// that reading a row's interval in row order reads the row alone
	ivOff, ivN   uint32
	ivTo         register.Date
	ent, seccion uint32 // ids in codes
	method       uint8
}

// ivs returns the intervals of row r's person's exact versions (in one,
// when the row holds its only interval).
func (m *matcher) ivs(r int, one *[1]dating.Interval) []dating.Interval {
	o := &m.out[r]
	if o.ivN == 1 {
		one[0] = dating.Interval{From: register.Date(int32(o.ivOff)), To: o.ivTo}
		return one[:]
	}
	return m.ivArena[o.ivOff : o.ivOff+o.ivN : o.ivOff+o.ivN]
}

// setIVs gives o the intervals ivs, held in o when there is one, else
// appended to the arena.
func (m *matcher) setIVs(o *rowOut, ivs []dating.Interval) {
	if len(ivs) == 1 {
		o.ivOff, o.ivN, o.ivTo = uint32(int32(ivs[0].From)), 1, ivs[0].To
		return
	}
	start := len(m.ivArena)
	m.ivArena = append(grow(m.ivArena, len(ivs)), ivs...)
	o.ivOff, o.ivN = uint32(start), uint32(len(ivs))
}

// curpOf is the register's CURP of row r's person, "" when none.
func (m *matcher) curpOf(r int) string {
	if c, ok := m.oddCURP[int32(r)]; ok {
		return c
	}
	return m.curp.at(r).String()
}

// setCURP records curp, the register's CURP of the person row r is linked
// to: nothing when it is the row's own (the usual case: linked by it).
func (m *matcher) setCURP(r int32, curp string) {
	if k := toKey18(curp); len(curp) == len(k) && k.eq(m.curp.at(int(r))) {
		delete(m.oddCURP, r)
		return
	}
	if m.oddCURP == nil {
		m.oddCURP = map[int32]string{}
	}
	m.oddCURP[r] = strings.Clone(curp)
}

// setNowCURP records curp as the CURP row r's person has now, "" when it
// is the CURP of the version the row was linked to (the usual case).
func (m *matcher) setNowCURP(r int32, curp string) {
	if curp == "" {
		if len(m.nowCURP) > 0 {
			delete(m.nowCURP, r)
		}
		return
	}
	if m.nowCURP == nil {
		m.nowCURP = map[int32]string{}
	}
	m.nowCURP[r] = strings.Clone(curp)
}

func newMatcher(s *register.Schema, cmp *comparer, visible []bool, snapshots []register.Date) *matcher {
	m := &matcher{cmp: cmp, snapshots: snapshots, codes: []string{""}, codeID: map[string]uint32{},
		iCURP: s.Index(register.FCURP), iClave: s.Index(register.FClave),
		iEnt: s.Index(register.FEntidad), iSec: s.Index(register.FSeccion)}
	for f, v := range visible {
		if v && len(m.vis) < maxVisible {
			if cmp.distinguishing[f] {
				m.distMask |= 1 << len(m.vis)
				if f != m.iClave && s.Fields[f].Kind != register.KindCode {
					m.wordedMask |= 1 << len(m.vis)
				}
			}
			switch s.Fields[f].Name {
			case register.FNombre, register.FNacimiento:
				m.ownMask |= 1 << len(m.vis)
				fallthrough
			case register.FPaterno, register.FMaterno:
				m.identMask |= 1 << len(m.vis)
			}
			m.vis = append(m.vis, f)
		}
	}
	return m
}

// foreign reports whether outcome o links its row by a key it shares
// next to nothing else with (unlinkForeignKeys).
func (m *matcher) foreign(o *rowOut) bool {
	if o.method != methodCURP && o.method != methodClave {
		return false
	}
	shown := bits.OnesCount64(o.compared & m.identMask)
	if shown < 2 || bits.OnesCount64(o.agree&m.wordedMask) > 1 {
		return false
	}
	return 2*bits.OnesCount64(o.agree&m.identMask) < shown ||
		bits.OnesCount64(m.ownMask) == 2 && o.compared&m.ownMask == m.ownMask && o.agree&m.ownMask == 0
}

// unlinkForeignKeys undoes the links made by a CURP or a clave whose row
// shares next to nothing of the person but the key: of the names and the
// birth date it shows (two at least), under half agree, or neither the
// given name nor the birth date when it shows both (a sibling's key); and
// at most one street, colonia or credential number agrees. Such a row
// holds someone else's key (a typo landing on another person, keys
// swapped, a stranger given one of our keys): linked, it would tell a
// person they are exposed whose data is not in the leak, and miss the one
// whose data is. The row is then linked as a row without keys is, if at
// all. When such rows are half the rows linked by key or more, the names
// or dates were read wrong rather than the keys swapped, and nothing is
// undone. It returns the rows undone, in order.
func (m *matcher) unlinkForeignKeys() []int {
	if bits.OnesCount64(m.identMask) < 2 || m.maybeForeign == 0 {
		return nil // no outcome ever made looked foreign: no pass over the rows
	}
	keyed, n := 0, 0
	for r := range m.out {
		if o := &m.out[r]; o.method == methodCURP || o.method == methodClave {
			keyed++
			if m.foreign(o) {
				n++
			}
		}
	}
	if n == 0 || 2*n >= keyed {
		return nil
	}
	undone := make([]int, 0, n)
	for r := range m.out {
		if o := &m.out[r]; m.foreign(o) {
			*o = rowOut{}
			delete(m.oddCURP, int32(r))
			m.setNowCURP(int32(r), "")
			undone = append(undone, r)
		}
	}
	return undone
}

// maxWiden bounds the look-ups of widenAgreement (≈30 µs each).
const maxWiden = 50_000

// widenAgreement looks again at the rows linked to a person but not
// written as one of the person's versions (under four in five of their
// distinguishing fields agree with the best): a field that agrees with any
// version of the person counts as agreeing. A row mixed from several of our
// versions (a 2018 copy whose addresses were taken from a 2021 copy) is
// ours field by field; a register of the same people written its own way
// agrees with none of our versions, widened or not. The rows stay undated
// (no one version agrees in every field). At most max rows are looked up,
// in row order; skipped is how many more there were.
func (m *matcher) widenAgreement(ctx context.Context, reg Register, max int) (skipped int, err error) {
	var arena []uint32
	done := 0
	for row := range m.out {
		o := &m.out[row]
		a := m.agreementOf(maskPair{o.compared, o.agree})
		if o.person == 0 || a.distCompared == 0 || float64(a.distAgreeing) >= 0.8*float64(a.distCompared) {
			continue
		}
		if done == max {
			skipped++
			continue
		}
		if done++; done%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		vs, err := reg.Person(o.person)
		if err != nil {
			return 0, err
		}
		h := m.rowHashes(row)
		for i := range vs {
			var c cand
			c, arena = m.candOf(&vs[i], arena[:0])
			agree, _ := mask(h, c.vh)
			o.agree |= agree & o.compared
		}
	}
	return skipped, nil
}

// brokenField is a visible field (its index in vis) that agrees on next to
// no row linked by key.
type brokenField struct {
	vis                int
	confidence         float64
	agreeing, compared int
}

// brokenFields are the visible fields, other than the keys, read from a
// column mapped with confidence under 0.5 (conf, by schema field), that
// agree with the linked person's best version on under 2% of the rows
// linked by key that show them (20 rows at least): a column mangled on its
// way (a spreadsheet's 6.65892E+11 for an OCR) or taken for a field it is
// not. A column mapped with confidence is never dropped, however much it
// disagrees: disagreeing addresses are what tells another register of the
// same people from ours.
func (m *matcher) brokenFields(conf map[int]float64) []brokenField {
	if !slices.ContainsFunc(m.vis, func(f int) bool { c, ok := conf[f]; return ok && c < 0.5 }) {
		return nil // the usual leak: every column read with confidence
	}
	var agree, compared [maxVisible]int
	for i := range m.out {
		o := &m.out[i]
		if o.method != methodCURP && o.method != methodClave {
			continue
		}
		for c := o.compared; c != 0; c &= c - 1 {
			j := bits.TrailingZeros64(c)
			compared[j]++
			if o.agree&(1<<j) != 0 {
				agree[j]++
			}
		}
	}
	var out []brokenField
	for j, f := range m.vis {
		c, ok := conf[f]
		if !ok || c >= 0.5 || f == m.iCURP || f == m.iClave || compared[j] < 20 || 50*agree[j] >= compared[j] {
			continue
		}
		out = append(out, brokenField{vis: j, confidence: c, agreeing: agree[j], compared: compared[j]})
	}
	return out
}

// dropField forgets visible field j of every row: it is compared no more.
func (m *matcher) dropField(j int) {
	nv := len(m.vis)
	for _, c := range m.hashes {
		for i := j; i < len(c); i += nv {
			c[i] = 0
		}
	}
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
			v := rec[f]
			if v != "" && b.memo != nil && m.cmp.kind[f] == cmpAddr {
				b.hashes = append(b.hashes, b.memo.hash(m.cmp, f, v))
			} else {
				b.hashes = append(b.hashes, m.hash(f, v))
			}
		}
		b.kc = append(b.kc, keyOf(rec, m.iCURP))
		b.kk = append(b.kk, keyOf(rec, m.iClave))
	}
}

// addFinish records the rows of a batch, in order.
func (m *matcher) addFinish(b *recBatch) {
	nv := len(m.vis)
	for i := 0; i < b.n; i++ {
		row := m.curp.n + i
		if row%chunkRows == 0 {
			m.hashes = append(m.hashes, make([]uint32, 0, chunkRows*nv))
		}
		c := &m.hashes[len(m.hashes)-1]
		*c = append(*c, b.hashes[i*nv:(i+1)*nv]...)
	}
	m.curp.append(b.kc)
	m.clave.append(b.kk)
}

// keyCol is a key per row, in chunks of chunkRows keys: it grows without
// copying and holds no room to spare but its last chunk's (a national
// dump's keys would otherwise be copied each time their array doubled,
// and both arrays live while they are).
type keyCol struct {
	chunks [][]key18
	n      int
}

// at is row r's key.
func (c *keyCol) at(r int) *key18 { return &c.chunks[r/chunkRows][r%chunkRows] }

// append adds keys after the last row.
func (c *keyCol) append(keys []key18) {
	for len(keys) > 0 {
		if c.n%chunkRows == 0 {
			c.chunks = append(c.chunks, make([]key18, 0, chunkRows))
		}
		last := &c.chunks[len(c.chunks)-1]
		k := min(len(keys), chunkRows-len(*last))
		*last = append(*last, keys[:k]...)
		keys, c.n = keys[k:], c.n+k
	}
}

// key18 is a CURP or clave de elector (both 18 characters), held without a
// pointer (a million keys cost the garbage collector nothing); the zero
// value means none.
type key18 [18]byte

func (k *key18) none() bool {
	return binary.LittleEndian.Uint64(k[0:8])|binary.LittleEndian.Uint64(k[8:16])|uint64(binary.LittleEndian.Uint16(k[16:18])) == 0
}

// eq is k == o, a word at a time (the compiler calls memequal for arrays).
func (k *key18) eq(o *key18) bool {
	return binary.LittleEndian.Uint64(k[0:8]) == binary.LittleEndian.Uint64(o[0:8]) &&
		binary.LittleEndian.Uint64(k[8:16]) == binary.LittleEndian.Uint64(o[8:16]) &&
		binary.LittleEndian.Uint16(k[16:18]) == binary.LittleEndian.Uint16(o[16:18])
}

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

// grow makes room for n more elements of s, doubling its capacity when
// it must grow: append grows large slices by a quarter, so that a slice of
// ten million keys would be copied twenty times over as it fills.
func grow[T any](s []T, n int) []T {
	if len(s)+n <= cap(s) {
		return s
	}
	return slices.Grow(s, max(n, cap(s)))
}

// chunkRows is the rows per chunk of matcher.hashes.
const chunkRows = 1 << 16

func (m *matcher) rows() int { return m.curp.n }

func (m *matcher) rowHashes(row int) []uint32 {
	nv := len(m.vis)
	c := m.hashes[row/chunkRows]
	row %= chunkRows
	return c[row*nv : (row+1)*nv]
}

// touchRow reads the first and the last of row's hashes (they may lie on
// two cache lines), so that a comparison soon after finds them in the
// cache, and returns something of them.
func (m *matcher) touchRow(row int) uint32 {
	nv := len(m.vis)
	c := m.hashes[row/chunkRows]
	i := row % chunkRows * nv
	return c[i] + c[i+nv-1]
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

// maskPair is a row's outcome as masks over the visible fields.
type maskPair struct{ compared, agree uint64 }

// agreementOf counts the fields of p: a population count of each mask
// (the tally asks at every row whose masks differ from the row before's).
func (m *matcher) agreementOf(p maskPair) agreement {
	agree := p.agree & p.compared
	return agreement{
		compared:     bits.OnesCount64(p.compared),
		agreeing:     bits.OnesCount64(agree),
		distCompared: bits.OnesCount64(p.compared & m.distMask),
		distAgreeing: bits.OnesCount64(agree & m.distMask),
	}
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
	person   uint64
	from, to register.Date
	vh       []uint32 // hashes of the visible fields
	where
}

// where is what a row's outcome keeps of a version besides its person: its
// CURP, entidad and sección.
type where struct {
	ent, sec   uint32 // code ids (matcher.code) of a numeric code; oddCode: entS, secS hold it
	entS, secS string
	curp       string // the CURP as the store holds it, unless curpIsKey
	curpKey    key18  // when curpIsKey: the CURP is this lookup key ("" when zero)
	curpIsKey  bool
}

// curpText is w's CURP, "" when none.
func (w *where) curpText() string {
	if w.curpIsKey {
		return w.curpKey.String()
	}
	return w.curp
}

// sameCURP reports whether w and o hold the same CURP.
func (w *where) sameCURP(o *where) bool {
	if w.curpIsKey && o.curpIsKey {
		return w.curpKey.eq(&o.curpKey)
	}
	return w.curpText() == o.curpText()
}

// laterOf reports whether c is a later version of b's person: on a tie,
// the later version stands for the person (where they live now, when the
// leak does not say which version it shows).
func laterOf(c, b *cand) bool { return c.person == b.person && c.from > b.from }

// nowOf is the CURP the person of cands[best] has now, when their latest
// version among cands holds another than cands[best] does; else "".
func nowOf(cands []cand, best int) string {
	latest := best
	for i := range cands {
		if cands[i].person == cands[best].person && cands[i].from > cands[latest].from {
			latest = i
		}
	}
	if latest == best || cands[latest].sameCURP(&cands[best].where) {
		return ""
	}
	return cands[latest].curpText()
}

// whereOf is the where of a version whose CURP, entidad and sección are
// these (strings not copied).
func whereOf(curp, ent, sec string) where {
	w := where{curp: curp}
	var ok bool
	if w.ent, ok = numericCodeID(ent); !ok {
		w.ent, w.entS = oddCode, ent
	}
	if w.sec, ok = numericCodeID(sec); !ok {
		w.sec, w.secS = oddCode, sec
	}
	return w
}

// place records w as row r's version: the register's CURP (ownCURP: known
// to be the row's own), and returns the ids of its entidad and sección.
func (m *matcher) place(r int32, w *where, ownCURP bool) (ent, sec uint32) {
	switch {
	case !w.curpIsKey:
		m.setCURP(r, w.curp)
	case ownCURP || w.curpKey.eq(m.curp.at(int(r))): // ownCURP spares reading the row's key (a cache miss)
		delete(m.oddCURP, r)
	default:
		m.setCURP(r, w.curpKey.String())
	}
	ent, sec = w.ent, w.sec
	if ent == oddCode {
		ent = m.code(w.entS)
	}
	if sec == oddCode {
		sec = m.code(w.secS)
	}
	return ent, sec
}

func (m *matcher) candOf(v *register.Version, arena []uint32) (cand, []uint32) {
	return m.candAfter(v, nil, nil, arena)
}

// candAfter is candOf for a version that follows prev, of the same person,
// whose hashes are prevH: a value prev holds too is not hashed again.
func (m *matcher) candAfter(v, prev *register.Version, prevH []uint32, arena []uint32) (cand, []uint32) {
	c := cand{person: v.PersonID, from: v.ValidFrom, to: v.ValidTo}
	start := len(arena)
	for j, f := range m.vis {
		var x string
		if f < len(v.Record) {
			x = v.Record[f]
		}
		if prev != nil && f < len(prev.Record) && prev.Record[f] == x {
			arena = append(arena, prevH[j])
			continue
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
	c.where = whereOf(get(m.iCURP), get(m.iEnt), get(m.iSec))
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
		if bestI < 0 || m.better(a, bestAgree) || a == bestAgree && laterOf(&cands[i], &cands[bestI]) {
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
	o := rowOut{person: best.person, agree: bestAgree, compared: compared, method: method}
	o.ent, o.seccion = m.place(int32(row), &best.where, false)
	m.setNowCURP(int32(row), nowOf(cands, bestI))
	if m.foreign(&o) {
		m.maybeForeign++
	}
	var buf [4]dating.Interval
	ivs := buf[:0]
	for i := range cands {
		if cands[i].person != best.person {
			continue
		}
		if a, _ := mask(h, cands[i].vh); a == compared {
			ivs = append(ivs, dating.Widen(dating.Interval{From: cands[i].from, To: cands[i].to}, m.snapshots))
		}
	}
	m.setIVs(&o, ivs)
	*cur = o
}

// code returns the id of an entidad or sección code (0 for ""): a code of
// one to six digits is its own id (numericCode, no look-up: the usual
// case), any other an index in m.codes.
func (m *matcher) code(s string) uint32 {
	if id, ok := numericCodeID(s); ok {
		return id
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

// numericCode marks the id of a code of digits: the bit, the number of
// digits (bits 24–26), the value (bits 0–19).
const numericCode = 1 << 31

// codeOf is the code whose id is id.
func (m *matcher) codeOf(id uint32) string {
	if id&numericCode == 0 {
		return m.codes[id]
	}
	n := int(id >> 24 & 7)
	b := strconv.AppendUint(make([]byte, 0, 8), uint64(id&(1<<20-1)), 10)
	for len(b) < n {
		b = append([]byte{'0'}, b...)
	}
	return string(b)
}

// lookup links every row by store lookups of its CURP, then its clave.
func (m *matcher) lookup(ctx context.Context, reg Register) error {
	m.out = make([]rowOut, m.rows())
	m.oddCURP, m.nowCURP = nil, nil // from a linking before
	lk := looker{m: m, reg: reg}
	for row := range m.out {
		if row%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := lk.link(row, true); err != nil {
			return err
		}
	}
	return nil
}

// maxClaveLookups bounds the clave look-ups after a scan (≈30 µs each).
const maxClaveLookups = 100_000

// claveLookups finishes a scan as lookup would: the rows left unlinked
// that hold a CURP (the scan looked them up by it alone) and a clave are
// looked up by their clave (a damaged CURP, an intact clave). When more
// than max rows would need it, none is looked up and their number is
// returned: a leak that mostly is not ours.
func (m *matcher) claveLookups(ctx context.Context, reg Register, max int) (skipped int, err error) {
	var rows []int
	for row := range m.out {
		if m.out[row].person == 0 && !m.curp.at(row).none() && !m.clave.at(row).none() {
			rows = append(rows, row)
		}
	}
	if len(rows) > max {
		return len(rows), nil
	}
	lk := looker{m: m, reg: reg}
	for i, row := range rows {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		if err := lk.link(row, false); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// looker links rows by store look-ups.
type looker struct {
	m     *matcher
	reg   Register
	cs    []cand
	arena []uint32
}

func (lk *looker) cands(vs []register.Version) []cand {
	lk.cs, lk.arena = lk.cs[:0], lk.arena[:0]
	for i := range vs {
		var c cand
		c, lk.arena = lk.m.candOf(&vs[i], lk.arena)
		lk.cs = append(lk.cs, c)
	}
	return lk.cs
}

// link looks row up by its CURP (when byCURP), then, still unlinked, by
// its clave.
func (lk *looker) link(row int, byCURP bool) error {
	m := lk.m
	if k := m.curp.at(row); byCURP && !k.none() {
		vs, err := lk.reg.ByCURP(k.String())
		if err != nil {
			return err
		}
		m.evaluate(row, lk.cands(vs), methodCURP)
	}
	if k := m.clave.at(row); m.out[row].person == 0 && !k.none() {
		vs, err := lk.reg.ByClave(k.String())
		if err != nil {
			return err
		}
		m.evaluate(row, lk.cands(vs), methodClave)
	}
	return nil
}

// found is the outcome of one row against one person's versions, as a
// scanning goroutine hands it to the merging one.
type found struct {
	row             int32
	method          uint8
	person          uint64
	agree, compared uint64
	ivOff, ivN      int32 // intervals in the batch's ivs
	where                 // the best version's (strings not copied: the store's record strings)
	// ownCURP: the best version's CURP is the row's own, known without
	// reading the row's key (every version of the person holds the CURP
	// the row was found by)
	ownCURP bool
	now     string // the CURP the person has now, when not the best version's (nowOf)
}

// foundBatch is a batch of outcomes with the intervals they refer to.
type foundBatch struct {
	found []found
	ivs   []dating.Interval
}

// scanRanges is the number of ranges of people a scan is split into (work
// for ScanWorkers goroutines, taken in turn so that they end together).
const scanRanges = 16

// scan links every row in one pass over every version of the store. The
// people are split into ranges of PersonID, scanned at once on every core:
// each goroutine reads its range's versions, looks their keys up among the
// leak's rows, and compares the versions of each person whose CURP or clave
// occurs in the leak with those rows; one goroutine merges the outcomes
// into the rows. A row keeps the outcome that agrees best; on a tie, the
// lower PersonID (as lookup does), so the result does not depend on the
// order in which the ranges finish. It reads the store sequentially, so it
// beats lookups once the leak has more than a few percent of the register.
func (m *matcher) scan(ctx context.Context, versions ScanFunc, d *Digest, maxPerson uint64) error {
	m.ivArena, m.oddCURP, m.nowCURP = m.ivArena[:0], nil, nil // from a scan given up
	// Rows by key: a CURP index of the rows holding one, a clave index of
	// the others (usually none).
	nc, nk := 0, 0
	for row := range m.rows() {
		if !m.curp.at(row).none() {
			nc++
		} else if !m.clave.at(row).none() {
			nk++
		}
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	// The rows holding each version's CURP: joined with a digest's records
	// before the scan (join.go), or looked up in a table of the rows as the
	// store's versions come.
	var join *digestJoin
	curpIdx, claveIdx := newKeyIndex(0, &m.curp), newKeyIndex(nk, &m.clave)
	if d != nil && !joinable(d, m.rows()) {
		if versions == nil {
			return fmt.Errorf("a comparison digest of %d versions and a leak of %d rows are more than a scan joins", d.h.Records, m.rows())
		}
		d = nil
	}
	if d != nil {
		var err error
		if join, err = joinDigest(ctx, d, &m.curp, workers); err != nil {
			return err
		}
	} else {
		curpIdx = newKeyIndex(nc, &m.curp)
	}
	// The outcomes are made once the join's partitions (≈48 bytes a row)
	// are garbage: made before, they lived beside them, and the join was
	// the analysis's peak. A collection (≈60 ms at 10M rows: the live heap
	// is tables without pointers) lets them take the partitions' memory
	// instead of fresh pages. 10M, six alternating pairs: peak RSS 3,118 →
	// 2,565 MiB, wall A/B 1.01 (0.83–1.05).
	if join != nil && m.rows() >= 1<<20 {
		runtime.GC()
	}
	if m.stage != nil {
		m.stage("scan")
	}
	m.out = make([]rowOut, m.rows())
	for row := range m.out {
		if !m.curp.at(row).none() {
			if join == nil {
				curpIdx.add(row)
			}
		} else if !m.clave.at(row).none() {
			claveIdx.add(row)
		}
	}

	ranges := scanRanges
	step := maxPerson/uint64(ranges) + 1
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next    atomic.Int32
		errMu   sync.Mutex
		scanErr error
		wg      sync.WaitGroup
	)
	fail := func(err error) {
		errMu.Lock()
		if scanErr == nil {
			scanErr = err
		}
		errMu.Unlock()
		cancel()
	}
	out := make(chan *foundBatch, 2*workers)
	free := make(chan *foundBatch, 3*workers)
	merged := make(chan struct{})
	go func() {
		defer close(merged)
		m.seen = make([]uint64, (len(m.out)+63)/64)
		for b := range out {
			for i := range b.found {
				m.merge(&b.found[i], b.ivs)
			}
			b.found, b.ivs = b.found[:0], b.ivs[:0] // overwritten, not cleared (see stagePipe)
			select {
			case free <- b:
			default:
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := &rangeScan{m: m, d: d, join: join, curpIdx: curpIdx, claveIdx: claveIdx, out: out, free: free}
			for {
				r := int(next.Add(1)) - 1
				if r >= ranges || ctx.Err() != nil {
					break
				}
				lo, hi := uint64(r)*step, uint64(r+1)*step
				if r == ranges-1 {
					hi = 0
				}
				var err error
				if d != nil {
					err = d.scan(ctx, lo, hi, sc.records)
				} else {
					err = versions(ctx, lo, hi, sc.version)
				}
				if err != nil {
					fail(err)
					return
				}
				sc.drain()
				sc.flush()
			}
			sc.send()
		}()
	}
	wg.Wait()
	close(out)
	<-merged
	m.seen = nil
	if scanErr != nil {
		return scanErr
	}
	return ctx.Err()
}

// rangeScan is one goroutine's state while it scans ranges of people.
type rangeScan struct {
	m                 *matcher
	d                 *Digest     // nil: the store's versions
	join              *digestJoin // with d: the rows holding each record's CURP
	curpIdx, claveIdx *keyIndex
	out, free         chan *foundBatch
	batch             *foundBatch
	person            uint64
	metas             []register.Version // the current person's versions, records in recs
	recs              []string
	group             []cand             // the same versions, compared (only when a row holds a key)
	arena             []uint32           // their hashes
	rowsC, rowsK      []int32            // rows holding one of the person's CURPs, claves
	ahead             []register.Version // versions held for drain, records in aheadRecs
	aheadRecs         []string
	aheadKeys         []key18
	sink              uint32 // what touch read, so that its reads are not optimised away
}

// probeAhead is how many versions a scanning goroutine holds before it
// looks their CURPs up: the first memory reads of those look-ups are issued
// together, so that their cache misses overlap instead of following one
// another (the key table of a national dump is far larger than the cache).
const probeAhead = 32

// records takes the next records of the range from a digest (first: the
// index of the first): it does what version, drain and the first half of
// flush do with the store's versions, with the hashes read instead of
// computed.
func (sc *rangeScan) records(first int64, recs []byte) error {
	m := sc.m
	size := sc.d.h.RecordSize
	n := len(recs) / size
	for i0 := 0; i0 < n; i0 += probeAhead {
		i1 := min(n, i0+probeAhead)
		for i := i0; i < i1; i++ {
			if row := sc.join.firstRow(first + int64(i)); row >= 0 {
				sc.sink += m.touchRow(row)
			}
		}
		for i := i0; i < i1; i++ {
			r := digestRec(recs[i*size : (i+1)*size])
			if p := r.pid(); p != sc.person {
				sc.flush()
				sc.person = p
			}
			c := cand{person: sc.person, from: r.from(), to: r.to(),
				where: where{ent: r.ent(), sec: r.sec(), curpKey: *r.curp(), curpIsKey: !r.oddCURP()}}
			if c.ent == oddCode || c.sec == oddCode || !c.curpIsKey {
				o := sc.d.odd[first+int64(i)]
				c.entS, c.secS, c.curp = o.Entidad, o.Seccion, o.CURP
			}
			start := len(sc.arena)
			for _, f := range m.vis {
				sc.arena = append(sc.arena, r.hash(f))
			}
			c.vh = sc.arena[start:len(sc.arena):len(sc.arena)]
			sc.group = append(sc.group, c)
			sc.rowsC = sc.join.rows(first+int64(i), sc.rowsC)
			if sc.claveIdx.n > 0 {
				sc.rowsK = sc.claveIdx.rows(*r.clave(), sc.rowsK)
			}
		}
	}
	return nil
}

// version takes the next version of the range (v and its record are reused
// by the store; the record's strings are kept until the person is done).
func (sc *rangeScan) version(v *register.Version) error {
	sc.ahead = append(sc.ahead, register.Version{PersonID: v.PersonID, ValidFrom: v.ValidFrom, ValidTo: v.ValidTo})
	sc.aheadRecs = append(sc.aheadRecs, v.Record...)
	if len(sc.ahead) == probeAhead {
		sc.drain()
	}
	return nil
}

// drain looks the held versions' keys up and groups them by person.
func (sc *rangeScan) drain() {
	if len(sc.ahead) == 0 {
		return
	}
	m := sc.m
	width := len(sc.aheadRecs) / len(sc.ahead)
	sc.aheadKeys = sc.aheadKeys[:0]
	for i := range sc.ahead {
		k := keyOf(sc.aheadRecs[i*width:(i+1)*width], m.iCURP)
		sc.aheadKeys = append(sc.aheadKeys, k)
		x, row := sc.curpIdx.touch(&k)
		sc.sink += x
		if row >= 0 { // and the hashes the row will be compared by
			sc.sink += m.touchRow(row)
		}
	}
	for i := range sc.ahead {
		v := &sc.ahead[i]
		if v.PersonID != sc.person {
			sc.flush()
			sc.person = v.PersonID
		}
		rec := sc.aheadRecs[i*width : (i+1)*width]
		sc.metas = append(sc.metas, *v)
		sc.recs = append(sc.recs, rec...)
		sc.rowsC = sc.curpIdx.rows(sc.aheadKeys[i], sc.rowsC)
		if sc.claveIdx.n > 0 { // usually none: every row has its CURP
			sc.rowsK = sc.claveIdx.rows(keyOf(rec, m.iClave), sc.rowsK)
		}
	}
	sc.ahead, sc.aheadRecs = sc.ahead[:0], sc.aheadRecs[:0]
}

// flush compares the current person's versions (every one, as a lookup
// by key finds them) with the rows holding one of its keys, and queues the
// outcomes.
func (sc *rangeScan) flush() {
	if len(sc.rowsC)+len(sc.rowsK) > 0 {
		m := sc.m
		width := len(sc.recs) / max(1, len(sc.metas))
		for i := range sc.metas { // from the store; a digest's are in group already
			v := &sc.metas[i]
			v.Record = sc.recs[i*width : (i+1)*width : (i+1)*width]
			var c cand
			if i == 0 {
				c, sc.arena = m.candOf(v, sc.arena)
			} else { // most values are the previous version's
				c, sc.arena = m.candAfter(v, &sc.metas[i-1], sc.group[i-1].vh, sc.arena)
			}
			sc.group = append(sc.group, c)
		}
		// With a digest, the rows in rowsC hold the lookup key of one of
		// the person's records (the join compared them): when every record
		// holds the same one, as it is in their CURP, it is each row's own.
		own := sc.d != nil
		for i := range sc.group {
			if c := &sc.group[i]; !c.curpIsKey || !c.curpKey.eq(&sc.group[0].curpKey) {
				own = false
			}
		}
		slices.Sort(sc.rowsC)
		for i, r := range sc.rowsC {
			if i == 0 || r != sc.rowsC[i-1] {
				sc.evaluate(r, methodCURP, own)
			}
		}
		slices.Sort(sc.rowsK)
		for i, r := range sc.rowsK {
			if i == 0 || r != sc.rowsK[i-1] {
				sc.evaluate(r, methodClave, false)
			}
		}
	}
	sc.metas, sc.recs = sc.metas[:0], sc.recs[:0]
	sc.group, sc.arena, sc.rowsC, sc.rowsK = sc.group[:0], sc.arena[:0], sc.rowsC[:0], sc.rowsK[:0]
}

// evaluate finds the version of the current person that agrees best with
// row r and queues the outcome (ownCURP: see found).
func (sc *rangeScan) evaluate(r int32, method uint8, ownCURP bool) {
	m := sc.m
	h := m.rowHashes(int(r))
	bestI := -1
	var bestAgree, compared uint64
	var agreeBuf [8]uint64 // each version's mask, kept for the intervals below
	agrees := agreeBuf[:0]
	for i := range sc.group {
		a, c := mask(h, sc.group[i].vh)
		compared = c
		agrees = append(agrees, a)
		if bestI < 0 || m.better(a, bestAgree) || a == bestAgree && laterOf(&sc.group[i], &sc.group[bestI]) {
			bestI, bestAgree = i, a
		}
	}
	if compared == 0 {
		return
	}
	if sc.batch == nil {
		sc.batch = recycled(sc.free)
	}
	b := sc.batch
	best := &sc.group[bestI]
	f := found{row: r, method: method, person: best.person, agree: bestAgree, compared: compared,
		where: best.where, ivOff: int32(len(b.ivs)), ownCURP: ownCURP}
	if !ownCURP {
		f.now = nowOf(sc.group, bestI)
	}
	for i, a := range agrees {
		if a == compared {
			b.ivs = append(b.ivs, dating.Widen(dating.Interval{From: sc.group[i].from, To: sc.group[i].to}, m.snapshots))
		}
	}
	f.ivN = int32(len(b.ivs)) - f.ivOff
	b.found = append(b.found, f)
	if len(b.found) >= 4096 {
		sc.send()
	}
}

// send hands the queued outcomes to the merging goroutine.
func (sc *rangeScan) send() {
	if sc.batch != nil && len(sc.batch.found) > 0 {
		sc.out <- sc.batch
		sc.batch = nil
	}
}

// merge keeps outcome f for its row when no person was linked yet, or f
// agrees better, or as well with a lower PersonID.
//
// Most rows get one outcome: the row's bit in seen (a bitmap small enough
// for the cache) says so without reading the row's outcome, which is then
// written without being read (a read of a random row of ten million misses
// the cache; a write does not wait for it).
func (m *matcher) merge(f *found, ivs []dating.Interval) {
	cur := &m.out[f.row]
	if w, bit := f.row>>6, uint64(1)<<(f.row&63); m.seen[w]&bit == 0 {
		m.seen[w] |= bit
	} else if !m.better(f.agree, cur.agree) && (m.better(cur.agree, f.agree) || cur.person < f.person) {
		return
	}
	o := rowOut{person: f.person, agree: f.agree, compared: f.compared, method: f.method}
	o.ent, o.seccion = m.place(f.row, &f.where, f.ownCURP)
	m.setNowCURP(f.row, f.now)
	if m.foreign(&o) {
		m.maybeForeign++
	}
	m.setIVs(&o, ivs[f.ivOff:f.ivOff+f.ivN])
	*cur = o
}

// keyIndex finds the rows holding a key: an open-addressing table of rows
// (linear probing, at most half full), each slot with 32 bits of the key's
// hash so that most probes never touch the keys. Rows sharing a key occupy
// several slots of the same probe sequence.
type keyIndex struct {
	slots []keySlot
	mask  uint64
	n     int     // rows indexed
	keys  *keyCol // by row
	// more holds, by the first row of a key, the other rows holding it: a
	// key takes one slot however many rows hold it (rows sharing a key in
	// the slots of one probe sequence made adding them quadratic in their
	// number)
	more map[int32][]int32
}

type keySlot struct {
	tag uint32
	row int32 // row + 1; 0: empty
}

func newKeyIndex(n int, keys *keyCol) *keyIndex {
	size := 16
	for size < 2*n {
		size *= 2
	}
	return &keyIndex{slots: make([]keySlot, size), mask: uint64(size - 1), keys: keys}
}

// hashSeed keys hash64 for this process. The keys are a leak's: with a
// fixed hash, CURPs crafted to share a partition and a run of slots made
// the join quadratic (210,836 distinct keys in a 4 MB file took 34 s
// against 0.6 s). Nothing the analysis writes depends on where a key
// lands: the same file gives the same report whatever the seed.
var hashSeed = func() uint64 {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		panic("analysis: no random seed: " + err.Error())
	}
	return binary.LittleEndian.Uint64(b[:])
}()

// hash64 mixes the 18 bytes of a key (the multiply-xorshift of
// SplitMix64 over its three words), keyed by hashSeed.
func hash64(k *key18) uint64 {
	a := binary.LittleEndian.Uint64(k[0:8]) ^ hashSeed
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
	k := ix.keys.at(row)
	h := hash64(k)
	tag := uint32(h >> 32)
	ix.n++
	for i := h & ix.mask; ; i = (i + 1) & ix.mask {
		s := ix.slots[i]
		if s.row == 0 {
			ix.slots[i] = keySlot{tag: tag, row: int32(row + 1)}
			return
		}
		if s.tag == tag && ix.keys.at(int(s.row-1)).eq(k) {
			if ix.more == nil {
				ix.more = map[int32][]int32{}
			}
			ix.more[s.row-1] = append(ix.more[s.row-1], int32(row))
			return
		}
	}
}

// touch reads the memory a look-up of k reads first (its slot, and the
// key of the row there), and returns something of it, and that row (-1:
// none, or not k's).
func (ix *keyIndex) touch(k *key18) (uint32, int) {
	if ix.n == 0 {
		return 0, -1
	}
	h := hash64(k)
	s := ix.slots[h&ix.mask]
	if s.row != 0 && s.tag == uint32(h>>32) {
		return uint32(ix.keys.at(int(s.row - 1))[0]), int(s.row - 1)
	}
	return s.tag, -1
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
		if s.tag == tag && ix.keys.at(int(s.row-1)).eq(&k) {
			return append(append(dst, s.row-1), ix.more[s.row-1]...)
		}
	}
}
