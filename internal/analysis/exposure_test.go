package analysis

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/huella/huella/internal/report"
)

// TestFirstRows checks the affected people on a made-up outcome: each
// person once, at its first row, in row order, the same whether the people
// met are a bitmap or a set, and CURPs from the rows or from oddCURP.
func TestFirstRows(t *testing.T) {
	persons := []uint64{7, 0, 3, 7, 64, 3, 0, 1, 64, 128, 1}
	m := &matcher{out: make([]rowOut, len(persons))}
	m.curp.append(make([]key18, len(persons)))
	for r, p := range persons {
		m.out[r].person = p
		if p != 0 && p != 128 { // person 128's row holds no CURP
			*m.curp.at(r) = toKey18(fmt.Sprintf("CURP%014d", p))
		}
	}
	m.setCURP(4, "ODDCURP") // the register's CURP of person 64, not the row's
	want := []int32{0, 2, 4, 7, 9}
	wantCURPs := []string{"CURP00000000000007", "CURP00000000000003", "ODDCURP", "CURP00000000000001"}
	for _, tc := range []struct {
		name      string
		maxPerson uint64
	}{
		{"bitmap", 128},
		{"set: the register is far larger", 1 << 20},
		{"set: a person above the register's largest", 100},
		{"set: largest unknown", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := firstRows(m, tc.maxPerson)
			if !slices.Equal(rows, want) {
				t.Fatalf("rows %v, want %v", rows, want)
			}
			got, csv := m.curpsOf(rows)
			if !slices.Equal(got, wantCURPs) {
				t.Errorf("CURPs %q, want %q", got, wantCURPs)
			}
			if want := report.AffectedCSV(wantCURPs); !bytes.Equal(csv, want) {
				t.Errorf("list %q, want %q", csv, want)
			}
		})
	}
}

// countSections counts as a map would, in key order, through the table's
// growth.
func TestCountSections(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, sections := range []int{1, 3, 700, 5000} {
		mt := &matcher{out: make([]rowOut, 40_000)}
		want := map[uint64]int{}
		var rows []int32
		for i := range mt.out {
			if r.IntN(10) == 0 {
				continue // not a first row
			}
			k := r.IntN(sections)
			o := &mt.out[i]
			o.ent, o.seccion = uint32(k%33), uint32(k)|numericCode
			if k%97 == 1 {
				o.ent = oddCode
			}
			rows = append(rows, int32(i))
			want[uint64(o.ent)<<32|uint64(o.seccion)]++
		}
		got := countSections(mt, rows)
		if len(got) != len(want) {
			t.Fatalf("%d sections: %d counted, want %d", sections, len(got), len(want))
		}
		for i, c := range got {
			if i > 0 && got[i-1].key >= c.key {
				t.Fatalf("%d sections: not in key order at %d", sections, i)
			}
			if want[c.key] != c.people {
				t.Fatalf("%d sections: key %#x: %d people, want %d", sections, c.key, c.people, want[c.key])
			}
		}
	}
}
