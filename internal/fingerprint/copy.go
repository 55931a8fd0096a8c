package fingerprint

import (
	"sort"

	"github.com/huella/huella/internal/register"
)

// canaryPIDBase numbers canary i as person canaryPIDBase+i for the keyed
// order and the marks: far above any register's person ids.
const canaryPIDBase = 1 << 62

// Copy arranges one recipient's copy from the register's rows, given in
// ascending person id: it marks each row, inserts the canaries and orders
// each block of OrderBlock rows by OrderKey, passing the rows (in the
// schema's order, all fields) to emit. Memory holds one block.
type Copy struct {
	m        *Marker
	schema   *register.Schema
	asOf     register.Date
	taken    func(curp, clave string) bool
	emit     func(register.Record) error
	block    []keyedRow
	rows     int
	canaries int
	last     register.Record
	// fromINE[i] is the INE index of schema field i (-1: none); own[i] tells
	// whether a canary brings field i itself (else it copies the donor's).
	fromINE []int
	own     []bool
	canCan  bool
}

type keyedRow struct {
	key uint64
	rec register.Record
}

// NewCopy starts a copy cut at asOf. taken reports a CURP or clave that
// belongs to a real person (canaries never use one); it may be nil in tests.
func (m *Marker) NewCopy(schema *register.Schema, asOf register.Date, taken func(curp, clave string) bool, emit func(register.Record) error) *Copy {
	c := &Copy{m: m, schema: schema, asOf: asOf, taken: taken, emit: emit}
	c.fromINE = make([]int, len(schema.Fields))
	c.own = make([]bool, len(schema.Fields))
	for i, f := range schema.Fields {
		c.fromINE[i] = ine.Index(f.Name)
	}
	for _, k := range canaryIdentity {
		if j := schema.Index(ine.Fields[k].Name); j >= 0 {
			c.own[j] = true
		}
	}
	// canaries need the fields that recognise them
	c.canCan = schema.Index(register.FCURP) >= 0 && schema.Index(register.FNombre) >= 0 && schema.Index(register.FPaterno) >= 0
	return c
}

// Add appends the register's row of a person. Rows must come in ascending
// person id. rec is copied.
func (c *Copy) Add(personID uint64, rec register.Record) error {
	r := append(register.Record(nil), rec...)
	c.last = r
	c.rows++
	if err := c.push(personID, c.m.Mark(personID, r)); err != nil {
		return err
	}
	if c.canCan && c.m.canaryAfter(personID) {
		return c.addCanary(r)
	}
	return nil
}

func (c *Copy) addCanary(donor register.Record) error {
	ck := c.m.canaryKey
	i := c.canaries
	cr := canary(ck, i, c.asOf, c.taken)
	rec := make(register.Record, len(c.schema.Fields))
	for j := range rec {
		switch {
		case c.own[j]:
			rec[j] = cr[c.fromINE[j]]
		case j < len(donor):
			rec[j] = donor[j]
		}
	}
	// the OCR starts with the section the canary lives in: the donor's
	if o, sec := c.schema.Index(register.FOCR), c.schema.Index(register.FSeccion); o >= 0 && sec >= 0 && len(rec[o]) == 13 && len(rec[sec]) == 4 {
		rec[o] = rec[sec] + rec[o][4:]
	}
	c.canaries++
	pid := uint64(canaryPIDBase + i)
	return c.push(pid, c.m.Mark(pid, rec))
}

func (c *Copy) push(pid uint64, rec register.Record) error {
	if c.m.params.OrderBlock <= 0 {
		return c.emit(rec)
	}
	c.block = append(c.block, keyedRow{c.m.OrderKey(pid), rec})
	if len(c.block) >= c.m.params.OrderBlock {
		return c.flush()
	}
	return nil
}

func (c *Copy) flush() error {
	sort.Slice(c.block, func(i, j int) bool { return c.block[i].key < c.block[j].key })
	for i := range c.block {
		if err := c.emit(c.block[i].rec); err != nil {
			return err
		}
		c.block[i].rec = nil
	}
	c.block = c.block[:0]
	return nil
}

// Close ends the copy: it adds a canary if none was drawn (a copy holds at
// least one when CanaryRate > 0 and the schema can hold canaries) and emits
// the last block.
func (c *Copy) Close() error {
	if c.canCan && c.canaries == 0 && c.rows > 0 && c.m.params.CanaryRate > 0 {
		if err := c.addCanary(c.last); err != nil {
			return err
		}
	}
	return c.flush()
}

// Rows is the number of rows emitted or pending, canaries included.
func (c *Copy) Rows() int { return c.rows + c.canaries }

// Params are the marker's parameters with the number of canaries the copy
// holds: what the ledger records.
func (c *Copy) Params() Params {
	p := c.m.params
	p.Canaries = c.canaries
	if c.canaries > 0 {
		p.CanaryGen = CanaryGen
	}
	return p
}
