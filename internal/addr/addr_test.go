package addr

import (
	"strings"
	"testing"
)

type slotWant struct {
	class string
	group int
	text  string
}

func TestForms(t *testing.T) {
	tests := []struct {
		in   string
		want []slotWant
	}{
		{"AV. JUAREZ MZ 5 LT 12 S/N", []slotWant{{"AVENIDA", 1, "AV."}, {"MANZANA", 1, "MZ"}, {"LOTE", 1, "LT"}, {"SIN NUMERO", 1, "S/N"}}},
		{"CALLE 5 DE MAYO", []slotWant{{"CALLE", 0, "CALLE"}}},
		{"C 5 DE MAYO", []slotWant{{"CALLE", 1, "C"}}},
		{"C", nil},         // a street named C
		{"CALLE", nil},     // a street named CALLE
		{"HIDALGO C", nil}, // C not first
		{"COL CENTRO", []slotWant{{"COLONIA", 1, "COL"}}},
		{"UNIDAD HABITACIONAL EL ROSARIO", []slotWant{{"UNIDAD HABITACIONAL", 0, "UNIDAD HABITACIONAL"}}},
		{"U HAB EL ROSARIO", []slotWant{{"UNIDAD HABITACIONAL", 1, "U HAB"}}},
		{"LOTE BRAVO", nil}, // a place, not a lot
		{"MZ A LT 3", []slotWant{{"MANZANA", 1, "MZ"}, {"LOTE", 1, "LT"}}},
		{"MZ LT 3", []slotWant{{"LOTE", 1, "LT"}}},
		{"SIN NUMERO", []slotWant{{"SIN NUMERO", 0, "SIN NUMERO"}}},
		{"SN", []slotWant{{"SIN NUMERO", 1, "SN"}}},
		{"SN JUAN", nil}, // SAN JUAN, not sin numero
		{"DOMICILIO CONOCIDO", []slotWant{{"DOMICILIO CONOCIDO", 0, "DOMICILIO CONOCIDO"}}},
		{"CALLEJON DEL BESO", []slotWant{{"CALLEJON", 0, "CALLEJON"}}},
		{"av. juárez", []slotWant{{"AVENIDA", 1, "AV."}}},
		{"  Callejón   del beso ", []slotWant{{"CALLEJON", 0, "CALLEJON"}}},
		{"", nil},
		{"123", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n := Normal(tt.in)
			got := Forms(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("Forms(%q) = %d slots %v, want %d", tt.in, len(got), got, len(tt.want))
			}
			for i, g := range got {
				w := tt.want[i]
				if classes[g.Class].Name != w.class || g.Group != w.group || n[g.Start:g.End] != w.text {
					t.Errorf("slot %d = %s/%d %q, want %s/%d %q", i, classes[g.Class].Name, g.Group, n[g.Start:g.End], w.class, w.group, w.text)
				}
				if gg, txt := Spelling(g.Class, g.Spelling); gg != g.Group || txt != n[g.Start:g.End] {
					t.Errorf("slot %d spelling %d = %d %q", i, g.Spelling, gg, txt)
				}
			}
		})
	}
}

func TestSetAndCanonical(t *testing.T) {
	s := "AV. JUAREZ MZ 5 LT 12 S/N"
	slots := Forms(s)
	// long forms for slots 0 and 3, keep 1 and 2
	spell := []int{0, slots[1].Spelling, 0, 0}
	got := Set(s, slots, spell)
	if want := "AVENIDA JUAREZ MZ 5 LOTE 12 SIN NUMERO"; got != want {
		t.Fatalf("Set = %q, want %q", got, want)
	}
	if Set(s, slots, []int{slots[0].Spelling, slots[1].Spelling, slots[2].Spelling, slots[3].Spelling}) != s {
		t.Error("Set with the same spellings changed the value")
	}
	pairs := [][2]string{
		{"av juárez mz. 5", "AVENIDA JUAREZ MANZANA 5"},
		{"C. HIDALGO S/N", "calle hidalgo sin numero"},
		{"COL. CENTRO", "COLONIA CENTRO"},
		{"u.hab. tlatelolco", "UNIDAD HABITACIONAL TLATELOLCO"},
	}
	for _, p := range pairs {
		if a, b := Canonical(p[0]), Canonical(p[1]); a != b {
			t.Errorf("Canonical(%q) = %q, Canonical(%q) = %q: want equal", p[0], a, p[1], b)
		}
	}
	if Canonical("C. HIDALGO") == Canonical("CALLE JUAREZ") {
		t.Error("different streets canonicalise equal")
	}
}

func TestTable(t *testing.T) {
	seen := map[string]string{}
	for _, c := range classes {
		for g := 0; g < 2; g++ {
			if len(c.Groups[g]) == 0 {
				t.Errorf("class %s: group %d empty", c.Name, g)
			}
			for _, sp := range c.Groups[g] {
				if sp != Normal(sp) || strings.ToUpper(sp) != sp {
					t.Errorf("class %s: spelling %q not normal upper-case", c.Name, sp)
				}
				if prev, dup := seen[sp]; dup {
					t.Errorf("spelling %q in %s and %s", sp, prev, c.Name)
				}
				seen[sp] = c.Name
				// each spelling alone in its place is recognised as itself
				v := sp
				switch c.Where {
				case Prefix:
					v = sp + " X1"
				case Number:
					v = sp + " 7"
				case Trailing:
					v = "X1 " + sp
				}
				f := Forms(v)
				if len(f) != 1 || f[0].Class != indexOf(c.Name) || f[0].Group != g {
					t.Errorf("Forms(%q) = %v", v, f)
				}
			}
		}
	}
}

func indexOf(name string) int {
	for i, c := range classes {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// setAll rewrites every slot of s to spelling choice k (mod the class's count).
func setAll(s string, choose func(i int, sl Slot) int) (string, []Slot, []int) {
	slots := Forms(s)
	spell := make([]int, len(slots))
	for i, sl := range slots {
		spell[i] = choose(i, sl) % SpellingCount(sl.Class)
	}
	return Set(Normal(s), slots, spell), slots, spell
}

func checkRoundTrip(t *testing.T, s string, seed int) {
	out, slots, spell := setAll(s, func(i int, sl Slot) int { return seed*7 + i*3 + sl.Spelling })
	again := Forms(out)
	if len(again) != len(slots) {
		t.Fatalf("Forms(Set(%q)) = %q has %d slots, want %d", s, out, len(again), len(slots))
	}
	for i := range slots {
		g, _ := Spelling(slots[i].Class, spell[i])
		if again[i].Class != slots[i].Class || again[i].Group != g || again[i].Spelling != spell[i] {
			t.Fatalf("Forms(Set(%q)) = %q: slot %d is %v, want class %d spelling %d", s, out, i, again[i], slots[i].Class, spell[i])
		}
	}
	if Canonical(out) != Canonical(s) {
		t.Fatalf("Canonical(%q) = %q != Canonical(%q) = %q", out, Canonical(out), s, Canonical(s))
	}
}

func TestSetRoundTrip(t *testing.T) {
	for _, s := range []string{"AV. JUAREZ MZ 5 LT 12 S/N", "U HAB EL ROSARIO", "SIN NUM. 5", "HIDALGO SIN NUM.", "MZ MZ 5", "C S/N", "DOM. CONOCIDO"} {
		for seed := 0; seed < 8; seed++ {
			checkRoundTrip(t, s, seed)
		}
	}
}

func FuzzSetRoundTrip(f *testing.F) {
	for _, s := range []string{"AV. JUAREZ MZ 5 LT 12 S/N", "CALLE 5 DE MAYO", "U HAB X", "MZ A LT 3 INT B", "COL CENTRO", "SIN NUMERO", "x"} {
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, s string, seed int) {
		if seed < 0 {
			seed = -seed
		}
		checkRoundTrip(t, s, seed%97)
	})
}

func BenchmarkForms(b *testing.B) {
	vals := []string{"AV. JUAREZ", "MZ 5 LT 12", "COL CENTRO", "HIDALGO", "123", "S/N"}
	var buf [8]Slot
	for i := 0; i < b.N; i++ {
		_ = AppendForms(buf[:0], vals[i%len(vals)])
	}
}
