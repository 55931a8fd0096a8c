package fingerprint

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/huella/huella/internal/addr"
	"github.com/huella/huella/internal/register"
)

// ParamsFormat names the version of the scheme in Params.
const ParamsFormat = "huella fingerprint v1"

// Params are a release's fingerprint parameters, recorded in its ledger entry
// as JSON. They hold no secret: with the workspace key they let the analysis
// recompute every mark of the copy.
type Params struct {
	Format     string  `json:"format"`      // ParamsFormat
	Recipients int     `json:"recipients"`  // n: recipients the code is sized for
	Colluders  int     `json:"colluders"`   // c: colluders it resists; sets the cutoff t = 1/(300c)
	Epsilon    float64 `json:"epsilon"`     // ε: false-accusation probability aimed at
	CanaryRate float64 `json:"canary_rate"` // canaries per real row (at least one per copy)
	OrderBlock int     `json:"order_block"` // rows per keyed-order block (0: no keyed order)
	// Classes records, per address class seen in the register's form
	// counts, the share of its long form and the mixing probability λ.
	Classes map[string]ClassMix `json:"classes,omitempty"`
	// Canaries is the number of canary persons the copy holds (set when the
	// copy is complete).
	Canaries int `json:"canaries"`
	// CanaryGen names the generator of canary persons, so a later version of
	// huella regenerates the same people.
	CanaryGen string `json:"canary_gen,omitempty"`
}

// ClassMix is how one address class's two groups are mixed in a copy.
type ClassMix struct {
	LongShare float64 `json:"long_share"` // share of group 0 (long form) in the register
	Lambda    float64 `json:"lambda"`     // λ: P(bit 1 → majority group | p > ½)
}

// DefaultParams are the parameters of a release when nothing else is said:
// 20 recipients, 3 colluders, ε = 10⁻⁶, one canary per 10,000 rows, blocks of
// 65,536 rows.
func DefaultParams() Params {
	return Params{Format: ParamsFormat, Recipients: 20, Colluders: 3, Epsilon: 1e-6, CanaryRate: 1e-4, OrderBlock: 1 << 16}
}

func (p *Params) fill() {
	d := DefaultParams()
	if p.Format == "" {
		p.Format = d.Format
	}
	if p.Recipients <= 0 {
		p.Recipients = d.Recipients
	}
	if p.Colluders <= 0 {
		p.Colluders = d.Colluders
	}
	if p.Epsilon <= 0 {
		p.Epsilon = d.Epsilon
	}
	if p.CanaryRate < 0 {
		p.CanaryRate = 0
	}
}

// FormStats counts, per address class, how often the register writes each
// spelling; the marker mixes forms so that a copy keeps these shares.
type FormStats struct {
	counts [][]int64 // class → spelling index → count
}

// NewFormStats is an empty count.
func NewFormStats() *FormStats {
	cl := addr.Classes()
	s := &FormStats{counts: make([][]int64, len(cl))}
	for c := range cl {
		s.counts[c] = make([]int64, addr.SpellingCount(c))
	}
	return s
}

// AddValue counts the slots of one address value.
func (s *FormStats) AddValue(v string) {
	var buf [8]addr.Slot
	for _, sl := range addr.AppendForms(buf[:0], v) {
		s.counts[sl.Class][sl.Spelling]++
	}
}

// Add counts the slots of the markable fields of a record.
func (s *FormStats) Add(schema *register.Schema, rec register.Record) {
	for i, f := range schema.Fields {
		if markable(f) && i < len(rec) {
			s.AddValue(rec[i])
		}
	}
}

// Count is how often spelling i of class c was seen.
func (s *FormStats) Count(c, i int) int64 { return s.counts[c][i] }

// groupCount is the number of slots of class c in group g.
func (s *FormStats) groupCount(c, g int) int64 {
	var n int64
	for i, k := range s.counts[c] {
		if gg, _ := addr.Spelling(c, i); gg == g {
			n += k
		}
	}
	return n
}

// markable tells whether a field carries address marks: an address part
// that is not identity data.
func markable(f register.Field) bool { return f.Role == register.RoleAddress && !f.Identity }

// classMix is the marker's per-class state.
type classMix struct {
	majority int          // group that is the majority in the register
	lambda   float64      // λ
	cum      [2][]float64 // cumulative within-group spelling shares, to pick a spelling
}

// Marker marks one release's copy. It is safe for use by one goroutine.
type Marker struct {
	params    Params
	shape     codeShape
	pos, bits prf
	order     prf
	canaryKey []byte
	fields    []markField // markable fields of the copy
	mix       []classMix
	slots     []addr.Slot // scratch
	spell     []int       // scratch
}

type markField struct {
	index int
	id    uint32
}

// NewMarker prepares the marks of release releaseID, whose copy holds the
// named fields of schema (nil or empty: all fields). stats are the register's
// form counts (nil: no counts, every λ from a share of ½). The returned
// marker's Params() records the mixing it uses.
func NewMarker(key []byte, releaseID string, schema *register.Schema, fields []string, p Params, stats *FormStats) *Marker {
	p.fill()
	m := &Marker{
		shape: newShape(p.Colluders),
		pos:   newPRF(key, labelPosition, ""),
		bits:  newPRF(key, labelBit, releaseID),
		order: newPRF(key, labelOrder, releaseID),

		canaryKey: subkey(key, labelCanary, releaseID),
	}
	if len(fields) == 0 {
		fields = schema.Names()
	}
	for _, name := range fields {
		i := schema.Index(name)
		if i >= 0 && markable(schema.Fields[i]) {
			m.fields = append(m.fields, markField{i, fieldID(name)})
		}
	}
	cl := addr.Classes()
	m.mix = make([]classMix, len(cl))
	p.Classes = map[string]ClassMix{}
	for c := range cl {
		q := 0.5
		var g [2]int64
		if stats != nil {
			g[0], g[1] = stats.groupCount(c, 0), stats.groupCount(c, 1)
			if g[0]+g[1] > 0 {
				q = float64(g[0]) / float64(g[0]+g[1])
			}
		}
		maj, qmaj := 0, q
		if q < 0.5 {
			maj, qmaj = 1, 1-q
		}
		cm := classMix{majority: maj, lambda: m.shape.lambdaFor(qmaj)}
		for gr := 0; gr < 2; gr++ {
			n := len(cl[c].Groups[gr])
			cum := make([]float64, n)
			var tot float64
			for k := 0; k < n; k++ {
				idx := k
				if gr == 1 {
					idx += len(cl[c].Groups[0])
				}
				w := 0.0
				if stats != nil {
					w = float64(stats.counts[c][idx])
				}
				tot += w
				cum[k] = tot
			}
			if tot == 0 { // no habit known: the preferred spelling
				for k := range cum {
					cum[k] = 1
				}
				tot = 1
			}
			for k := range cum {
				cum[k] /= tot
			}
			cm.cum[gr] = cum
		}
		m.mix[c] = cm
		if g[0]+g[1] > 0 {
			p.Classes[cl[c].Name] = ClassMix{LongShare: round6(q), Lambda: round6(cm.lambda)}
		}
	}
	// the recorded λ is what the analysis will use: use exactly it here too
	for c := range cl {
		if cmx, ok := p.Classes[cl[c].Name]; ok {
			m.mix[c].lambda = cmx.Lambda
		}
	}
	m.params = p
	return m
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// Params are the parameters the marker uses (Canaries still 0: the copy
// sets it).
func (m *Marker) Params() Params { return m.params }

// oneIsMajority tells whether bit 1 is written as the class's majority group
// at a position: (p > ½) == (v < λ).
func oneIsMajority(d posDraw, lambda float64) bool { return (d.p > 0.5) == (d.v < lambda) }

// groupOf is the group that writes bit x at a position.
func groupOf(x int, d posDraw, cm *classMix) int {
	if (x == 1) == oneIsMajority(d, cm.lambda) {
		return cm.majority
	}
	return 1 - cm.majority
}

// symbolOf is the bit a group stands for at a position.
func symbolOf(group int, d posDraw, cm *classMix) int {
	if (group == cm.majority) == oneIsMajority(d, cm.lambda) {
		return 1
	}
	return 0
}

// Mark returns the copy's version of one person's record: every slot of a
// markable field written in the group of the copy's bit at that position.
// Other fields, identity fields above all, are the register's bytes. It
// returns rec itself when nothing changes, else a new record; rec is never
// modified.
func (m *Marker) Mark(personID uint64, rec register.Record) register.Record {
	return m.mark(personID, rec, false)
}

// markInPlace marks rec itself.
func (m *Marker) markInPlace(personID uint64, rec register.Record) { m.mark(personID, rec, true) }

func (m *Marker) mark(personID uint64, rec register.Record, inPlace bool) register.Record {
	out, copied := rec, inPlace
	for _, f := range m.fields {
		if f.index >= len(rec) {
			continue
		}
		v := rec[f.index]
		if v == "" {
			continue
		}
		// The register stores normal values (ident.Normalize); a value that
		// is not is scanned as it is: its slots are whole upper-case words,
		// and Set rewrites only their bytes.
		m.slots = addr.AppendForms(m.slots[:0], v)
		if len(m.slots) == 0 {
			continue
		}
		m.spell = m.spell[:0]
		for k, sl := range m.slots {
			d := m.shape.draw(m.pos, personID, f.id, k)
			x := bit(m.bits, personID, f.id, k, d.p)
			cm := &m.mix[sl.Class]
			g := groupOf(x, d, cm)
			sp := sl.Spelling
			if g != sl.Group {
				sp = pickSpelling(sl.Class, g, cm, d.w)
			}
			m.spell = append(m.spell, sp)
		}
		nv := addr.Set(v, m.slots, m.spell)
		if nv != v {
			if !copied {
				out = append(register.Record(nil), rec...)
				copied = true
			}
			out[f.index] = nv
		}
	}
	return out
}

// pickSpelling chooses a spelling of group g by the register's habit.
func pickSpelling(class, g int, cm *classMix, w float64) int {
	cum := cm.cum[g]
	k := 0
	for k < len(cum)-1 && w >= cum[k] {
		k++
	}
	if g == 1 {
		k += len(addr.Classes()[class].Groups[0])
	}
	return k
}

// Clone is a marker with the same marks and its own scratch space, for
// another goroutine.
func (m *Marker) Clone() *Marker {
	c := *m
	c.pos = prf{m.pos.b, new([32]byte)}
	c.bits = prf{m.bits.b, new([32]byte)}
	c.order = prf{m.order.b, new([32]byte)}
	c.slots, c.spell = nil, nil
	return &c
}

// MarkRow marks rec in place and returns the person's order key and whether
// the copy inserts a canary after the row: the per-row work of a Copy,
// for callers that spread it over goroutines (one Clone each) and hand the
// results, in register order, to Copy.AddEncoded.
func (m *Marker) MarkRow(personID uint64, rec register.Record) (key uint64, canaryAfter bool) {
	m.markInPlace(personID, rec)
	o := m.order.eval(personBlock(personID))
	return binary.BigEndian.Uint64(o[0:8]), m.params.CanaryRate > 0 && unit64(binary.BigEndian.Uint64(o[8:16])) < m.params.CanaryRate
}

// OrderKey is the copy's sort key of a person inside an order block.
func (m *Marker) OrderKey(personID uint64) uint64 {
	o := m.order.eval(personBlock(personID))
	return binary.BigEndian.Uint64(o[0:8])
}

func (m *Marker) String() string {
	return fmt.Sprintf("marker(%d markable fields)", len(m.fields))
}
