package analysis

import (
	"math"
	"strings"
)

// firstRows returns, in row order, the first row linked to each person:
// the affected people, each once, in the order the leak shows them. The
// rows are read in order (reading them in person order would miss the
// cache at every row of a national dump); the people already met are a
// bitmap by PersonID when the leak is large against the register (maxPerson,
// the store's largest PersonID: a bit a person), else a set.
func firstRows(m *matcher, maxPerson uint64) []int32 {
	var rows []int32
	if maxPerson > 0 && maxPerson < math.MaxInt32 && uint64(len(m.out)) >= maxPerson/64 {
		seen := make([]uint64, maxPerson/64+1)
		dense := true
		for r := range m.out {
			p := m.out[r].person
			if p == 0 {
				continue
			}
			if p > maxPerson {
				dense = false
				break
			}
			if w, bit := &seen[p/64], uint64(1)<<(p%64); *w&bit == 0 {
				*w |= bit
				rows = append(grow(rows, 1), int32(r))
			}
		}
		if dense {
			return rows
		}
		rows = rows[:0]
	}
	seen := map[uint64]struct{}{}
	for r := range m.out {
		p := m.out[r].person
		if p == 0 {
			continue
		}
		if _, ok := seen[p]; !ok {
			seen[p] = struct{}{}
			rows = append(rows, int32(r))
		}
	}
	return rows
}

// curpsOf returns the register's CURPs of the people of rows, skipping
// the people without one. The usual CURPs (the rows' own, 18 bytes) are
// written into one string that the returned ones share: ten million small
// strings would cost ten million allocations and as many pointers for the
// collector to follow.
func (m *matcher) curpsOf(rows []int32) []string {
	var b strings.Builder
	b.Grow(len(rows) * len(key18{}))
	const odd = math.MaxUint32
	ends := make([]uint32, 0, len(rows)) // end of each CURP in b; odd: in oddCURP
	for _, r := range rows {
		if _, ok := m.oddCURP[r]; ok {
			ends = append(ends, odd)
			continue
		}
		if k := &m.curp[r]; !k.none() {
			b.Write(k[:])
		}
		ends = append(ends, uint32(b.Len()))
	}
	all := b.String()
	out := make([]string, 0, len(rows))
	start := uint32(0)
	for i, end := range ends {
		var c string
		if end == odd {
			c = m.oddCURP[rows[i]]
		} else {
			c, start = all[start:end], end
		}
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}
