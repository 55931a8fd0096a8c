package analysis

import (
	"cmp"
	"math"
	"slices"
	"unsafe"

	"github.com/huella/huella/internal/report"
)

// exposure is who a leak exposes: the CURPs of the people its rows were
// linked to, in the order of their first row, and the people per
// (entidad, sección).
type exposure struct {
	curps []string
	secs  []secCount
	csv   []byte // the notification list (report.AffectedCSV) of curps
	sha   string // its SHA-256
}

func exposureOf(mt *matcher, maxPerson uint64) exposure {
	rows := firstRows(mt, maxPerson)
	// People counted per (entidad, sección) ids in a small table of their
	// own (a few thousand sections: it stays in the cache), beside the
	// CURP list; the sections are then sorted, not the people.
	var e exposure
	counted := make(chan struct{})
	go func() {
		e.secs = countSections(mt, rows)
		close(counted)
	}()
	e.curps, e.csv = mt.curpsOf(rows)
	e.sha = report.SHA256(e.csv)
	<-counted
	return e
}

// firstRows returns, in row order, the first row linked to each person:
// the affected people, each once, in the order the leak shows them. The
// rows are read in order (reading them in person order would miss the
// cache at every row of a national dump); the people already met are a
// bitmap by PersonID when the leak is large against the register (maxPerson,
// the store's largest PersonID: a bit a person), else a set.
func firstRows(m *matcher, maxPerson uint64) []int32 {
	rows := make([]int32, 0, len(m.out)) // at most a row each: no copying as it grows
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
				rows = append(rows, int32(r))
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

// curpsOf returns the register's CURPs of the people of rows (the CURP each
// has now: nowCURP), skipping
// the people without one, and the notification list of them
// (report.AffectedCSV): the CURPs are views of the list, which must not be
// changed. Ten million small strings would cost ten million allocations
// and as many pointers for the collector to follow, and the list a copy of
// them all.
func (m *matcher) curpsOf(rows []int32) ([]string, []byte) {
	const header = "curp\n"
	csv := make([]byte, 0, len(header)+len(rows)*(len(key18{})+1))
	csv = append(csv, header...)
	ends := make([]int, 0, len(rows)) // end of each CURP in csv
	for _, r := range rows {
		if c, now := m.nowCURP[r]; now {
			csv = append(csv, c...)
		} else if c, odd := m.oddCURP[r]; odd {
			if c == "" {
				continue
			}
			csv = append(csv, c...)
		} else if k := m.curp.at(int(r)); !k.none() {
			csv = append(csv, k[:]...)
		} else {
			continue
		}
		csv = append(csv, '\n')
		ends = append(ends, len(csv)-1)
	}
	// csv is complete (it grew only if odd CURPs are longer than keys):
	// the views are taken from its final array
	out := make([]string, len(ends))
	start := len(header)
	for i, end := range ends {
		out[i] = unsafe.String(&csv[start], end-start)
		start = end + 1
	}
	return out, csv
}

// secCount is the people of one (entidad, sección): key is their code ids,
// entidad's in the high half.
type secCount struct {
	key    uint64
	people int
}

// countSections counts the people of rows (each a person's first row) by
// the (entidad, sección) of their outcome, in an open-addressing table
// that grows with the sections (not the people), and returns the counts in
// key order.
func countSections(mt *matcher, rows []int32) []secCount {
	slots := make([]secCount, 1024) // key+1 in key: 0 is an empty slot
	n := 0
	for _, r := range rows {
		st := &mt.out[r]
		k := uint64(st.ent)<<32 | uint64(st.seccion)
		for i := mix64(k) & uint64(len(slots)-1); ; i = (i + 1) & uint64(len(slots)-1) {
			if s := &slots[i]; s.key == k+1 {
				s.people++
				break
			} else if s.key == 0 {
				*s = secCount{key: k + 1, people: 1}
				if n++; 2*n > len(slots) {
					slots = regrow(slots)
				}
				break
			}
		}
	}
	out := make([]secCount, 0, n)
	for _, s := range slots {
		if s.key != 0 {
			out = append(out, secCount{key: s.key - 1, people: s.people})
		}
	}
	slices.SortFunc(out, func(a, b secCount) int { return cmp.Compare(a.key, b.key) })
	return out
}

// regrow doubles an open-addressing table of countSections.
func regrow(slots []secCount) []secCount {
	next := make([]secCount, 2*len(slots))
	for _, s := range slots {
		if s.key == 0 {
			continue
		}
		i := mix64(s.key-1) & uint64(len(next)-1)
		for next[i].key != 0 {
			i = (i + 1) & uint64(len(next)-1)
		}
		next[i] = s
	}
	return next
}

// mix64 is SplitMix64's finaliser.
func mix64(x uint64) uint64 {
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}
