package fingerprint

import (
	"cmp"
	"encoding/binary"
	"slices"

	"github.com/huella/huella/internal/register"
)

// canaryPIDBase numbers canary i as person canaryPIDBase+i for the keyed
// order and the marks: far above any register's person ids.
const canaryPIDBase = 1 << 62

// Copy arranges one recipient's copy from the register's rows, given in
// ascending person id: it marks each row, inserts the canaries and orders
// each block of OrderBlock rows by OrderKey, passing the rows (in the
// schema's order, all fields) to emit, or, for an encoded copy, their
// encodings to write. Memory holds one block; an encoded copy holds it as
// one byte arena (no pointers for the garbage collector to scan, rows read
// back in order of the arena when they are formatted).
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

	// encoded mode
	encode  func(dst []byte, rec register.Record) []byte
	write   func([]byte) error
	arena   []byte
	eblock  []encodedRow
	scratch register.Record

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

type encodedRow struct {
	key      uint64
	off, end uint32
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

// NewEncodedCopy is NewCopy for a writer that formats rows itself: encode
// appends a marked row's bytes to dst; write receives, block by block in the
// copy's order, the bytes of each row (valid only during the call).
func (m *Marker) NewEncodedCopy(schema *register.Schema, asOf register.Date, taken func(curp, clave string) bool, encode func(dst []byte, rec register.Record) []byte, write func([]byte) error) *Copy {
	c := m.NewCopy(schema, asOf, taken, nil)
	c.encode, c.write = encode, write
	return c
}

// Add appends the register's row of a person. Rows must come in ascending
// person id. rec is not modified nor kept.
func (c *Copy) Add(personID uint64, rec register.Record) error {
	var r register.Record
	if c.encode != nil {
		c.scratch = append(c.scratch[:0], rec...)
		r = c.scratch
	} else {
		r = append(register.Record(nil), rec...)
	}
	c.m.markInPlace(personID, r)
	c.rows++
	o := c.m.order.eval(personBlock(personID))
	if err := c.pushKey(binary.BigEndian.Uint64(o[0:8]), r); err != nil {
		return err
	}
	draw := c.canCan && c.m.params.CanaryRate > 0 && unit64(binary.BigEndian.Uint64(o[8:16])) < c.m.params.CanaryRate
	return c.afterRow(draw, r)
}

// afterRow inserts the canary drawn after a row, whose residence it takes;
// the first row is kept as the donor of the canary Close adds when none was
// drawn.
func (c *Copy) afterRow(draw bool, r register.Record) error {
	if draw || c.last == nil {
		c.last = append(c.last[:0], r...)
	}
	if draw {
		return c.addCanary(c.last)
	}
	return nil
}

// AddEncoded appends a row that MarkRow marked (giving key and canaryAfter)
// and the caller encoded as row, to an encoded copy. marked is the marked
// record (the donor of a canary); neither is kept.
func (c *Copy) AddEncoded(key uint64, row []byte, canaryAfter bool, marked register.Record) error {
	c.rows++
	if err := c.pushEncoded(key, row); err != nil {
		return err
	}
	return c.afterRow(c.canCan && canaryAfter, marked)
}

func (c *Copy) pushEncoded(key uint64, row []byte) error {
	if c.m.params.OrderBlock <= 0 {
		return c.write(row)
	}
	c.grow()
	off := len(c.arena)
	c.arena = append(c.arena, row...)
	c.eblock = append(c.eblock, encodedRow{key, uint32(off), uint32(len(c.arena))})
	if len(c.eblock) >= c.m.params.OrderBlock || len(c.arena) >= 1<<31 {
		return c.flush()
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
	c.m.markInPlace(pid, rec)
	return c.pushKey(c.m.OrderKey(pid), rec)
}

func (c *Copy) pushKey(key uint64, rec register.Record) error {
	if c.encode != nil {
		if c.m.params.OrderBlock <= 0 {
			c.arena = c.encode(c.arena[:0], rec)
			return c.write(c.arena)
		}
		c.grow()
		off := len(c.arena)
		c.arena = c.encode(c.arena, rec)
		c.eblock = append(c.eblock, encodedRow{key, uint32(off), uint32(len(c.arena))})
		if len(c.eblock) >= c.m.params.OrderBlock || len(c.arena) >= 1<<31 {
			return c.flush()
		}
		return nil
	}
	if c.m.params.OrderBlock <= 0 {
		return c.emit(rec)
	}
	c.block = append(c.block, keyedRow{key, rec})
	if len(c.block) >= c.m.params.OrderBlock {
		return c.flush()
	}
	return nil
}

// grow sizes the block arena once for a block of ≈256-byte rows.
func (c *Copy) grow() {
	if c.arena == nil && c.m.params.OrderBlock > 0 {
		c.arena = make([]byte, 0, c.m.params.OrderBlock*256)
		c.eblock = make([]encodedRow, 0, c.m.params.OrderBlock+1)
	}
}

func (c *Copy) flush() error {
	if c.encode != nil {
		slices.SortFunc(c.eblock, func(a, b encodedRow) int { return cmp.Compare(a.key, b.key) })
		for _, r := range c.eblock {
			if err := c.write(c.arena[r.off:r.end]); err != nil {
				return err
			}
		}
		c.eblock = c.eblock[:0]
		c.arena = c.arena[:0]
		return nil
	}
	slices.SortFunc(c.block, func(a, b keyedRow) int { return cmp.Compare(a.key, b.key) })
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
