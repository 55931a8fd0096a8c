package synth

import (
	"math/rand/v2"
	"strings"

	"github.com/huella/huella/internal/register"
)

// Maker makes single synthetic people, one after another, e.g. canary
// records or "another register" for tests. Its people follow the same
// tables as Generate's, with a credential valid at the requested day. A
// Maker's CURPs are unique among its own people; they are not checked
// against any register. Not safe for concurrent use.
type Maker struct {
	g    *gen
	r    *rng
	seq  *sequencer
	p    person
	next uint64
	buf  []byte
	// shift moves the homonym away from the register's usual first choice
	// ('0', 'A'), so canaries rarely share a CURP with a register person.
	shiftDigit, shiftLetter byte
}

// NewMaker returns a Maker whose people depend only on seed.
func NewMaker(seed uint64) *Maker {
	g := newGen(Config{People: 1, Seed: seed, Start: register.MustDate("2000-01-01"), End: register.MustDate("2000-01-02")})
	return &Maker{
		g:   g,
		r:   rand.New(rand.NewPCG(seed, 0x6d616b6572)),
		seq: newSequencer(0),
		// Credential numbers from a person-id range no register of this
		// generator reaches (ids < 500M), different per seed.
		next:        1<<29 + mix(seed)%(1<<24)<<4,
		shiftDigit:  byte(1 + mix(seed^1)%9),
		shiftLetter: byte(1 + mix(seed^2)%25),
	}
}

// Person is a full, valid INE-schema record of a new synthetic person as
// the register would hold it on day asOf (aged 18 or more, credential valid,
// registered before asOf).
func (m *Maker) Person(asOf register.Date) register.Record {
	g := m.g
	g.start, g.end = asOf, asOf // no events: the person as first seen
	m.next++
	m.p.id = m.next
	g.newPerson(&m.p, m.r, 0, asOf)
	id := &m.p.ids[0]
	m.seq.assign(id)
	if id.century2 {
		id.homonym = 'A' + (id.homonym-'A'+m.shiftLetter)%26
	} else {
		id.homonym = '0' + (id.homonym-'0'+m.shiftDigit)%10
	}
	id.check = checkDigit(id.curp16, id.homonym)
	st := &m.p.versions[0].st
	m.buf = g.render(m.buf[:0], &m.p, st)
	r := m.buf
	r[offClaveSeq] = byte('0' + id.claveSeq/100)
	r[offClaveSeq+1] = byte('0' + id.claveSeq/10%10)
	r[offClaveSeq+2] = byte('0' + id.claveSeq%10)
	r[offHomonym] = id.homonym
	r[offCheck] = id.check
	return register.Record(strings.Split(string(r), ","))
}
