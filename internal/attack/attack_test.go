package attack

import (
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/huella/huella/internal/addr"
	"github.com/huella/huella/internal/ingest"
)

// copyTable is a few obviously synthetic rows in the release's layout.
func copyTable() *Table {
	return &Table{
		Header: []string{"curp", "nombre", "paterno", "materno", "fecha_nacimiento", "calle", "colonia"},
		Rows: [][]string{
			{"AAAA000101HDFXXX01", "JOSE LUIS", "PEÑA", "NUÑEZ", "2000-01-02", "AV. SINTETICA 1", "COL. PRUEBA"},
			{"BBBB000101MDFXXX02", "MARIA", "ZZPRUEBA", "QQSINTETICO", "1990-11-30", "CALLE FICTICIA MZ 5 LT 3", "COLONIA CENTRO"},
			{"CCCC000101HDFXXX03", "ANA  SOFIA", "ÁLVAREZ", "", "1985-03-04", "C. INVENTADA S/N", "FRACC. DEMO"},
			{"BBBB000101MDFXXX02", "MARIA", "ZZPRUEBA", "QQSINTETICO", "1990-11-30", "CALLE FICTICIA MZ 5 LT 3", "COLONIA CENTRO"},
		},
	}
}

func col(t *Table, name string) []string {
	c := t.Col(name)
	var out []string
	for _, r := range t.Rows {
		out = append(out, r[c])
	}
	return out
}

func TestTransformations(t *testing.T) {
	in := copyTable()
	orig := copyTable()
	r := func() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }
	tests := []struct {
		name  string
		out   *Table
		check func(t *testing.T, out *Table)
	}{
		{"sample keeps order", Sample(in, 2, r()), func(t *testing.T, out *Table) {
			if len(out.Rows) != 2 {
				t.Fatalf("%d rows", len(out.Rows))
			}
			i, j := slices.IndexFunc(in.Rows, func(x []string) bool { return &x[0] == &out.Rows[0][0] }), slices.IndexFunc(in.Rows, func(x []string) bool { return &x[0] == &out.Rows[1][0] })
			if i < 0 || j < 0 || i >= j {
				t.Errorf("rows %d, %d: not in file order", i, j)
			}
		}},
		{"sample of more than all", Sample(in, 99, r()), func(t *testing.T, out *Table) {
			if len(out.Rows) != 4 {
				t.Errorf("%d rows", len(out.Rows))
			}
		}},
		{"keep columns", KeepColumns(in, "calle", "curp", "nope"), func(t *testing.T, out *Table) {
			if !slices.Equal(out.Header, []string{"calle", "curp"}) || out.Rows[0][1] != "AAAA000101HDFXXX01" {
				t.Errorf("%v %v", out.Header, out.Rows[0])
			}
		}},
		{"shuffle columns", ShuffleColumns(in, r()), func(t *testing.T, out *Table) {
			for i, row := range out.Rows {
				for j, h := range out.Header {
					if row[j] != in.Rows[i][in.Col(h)] {
						t.Fatalf("row %d column %s moved without its header", i, h)
					}
				}
			}
		}},
		{"rename", RenameHeaders(in), func(t *testing.T, out *Table) {
			if out.Header[0] != "CURP" || out.Header[5] != "DOMICILIO" {
				t.Errorf("%v", out.Header)
			}
		}},
		{"lower", Lower(in), func(t *testing.T, out *Table) {
			if out.Rows[0][2] != "peña" {
				t.Errorf("%q", out.Rows[0][2])
			}
		}},
		{"accents", StripAccents(in), func(t *testing.T, out *Table) {
			if got := col(out, "paterno"); got[0] != "PENA" || got[2] != "ALVAREZ" {
				t.Errorf("%v", got)
			}
		}},
		{"dates", ReformatDates(in), func(t *testing.T, out *Table) {
			if got := col(out, "fecha_nacimiento")[1]; got != "30/11/1990" {
				t.Errorf("%q", got)
			}
		}},
		{"collapse", CollapseSpaces(PadSpaces(in)), func(t *testing.T, out *Table) {
			if got := col(out, "nombre"); got[0] != "JOSE LUIS" || got[2] != "ANA SOFIA" {
				t.Errorf("%q", got)
			}
		}},
		{"pad", PadSpaces(in), func(t *testing.T, out *Table) {
			if got := col(out, "nombre")[0]; got != " JOSE  LUIS " {
				t.Errorf("%q", got)
			}
		}},
		{"dedup", Dedup(in), func(t *testing.T, out *Table) {
			if len(out.Rows) != 3 {
				t.Errorf("%d rows", len(out.Rows))
			}
		}},
		{"sort", SortBy(in, "paterno"), func(t *testing.T, out *Table) {
			if got := col(out, "paterno"); !slices.IsSorted(got) {
				t.Errorf("%v", got)
			}
		}},
		{"expand", Expand(in), func(t *testing.T, out *Table) {
			want := []string{"AVENIDA SINTETICA 1", "CALLE FICTICIA MANZANA 5 LOTE 3", "CALLE INVENTADA SIN NUMERO", "CALLE FICTICIA MANZANA 5 LOTE 3"}
			if got := col(out, "calle"); !slices.Equal(got, want) {
				t.Errorf("%q", got)
			}
		}},
		{"abbreviate", Abbreviate(in), func(t *testing.T, out *Table) {
			for _, v := range append(col(out, "calle"), col(out, "colonia")...) {
				for _, sl := range addr.Forms(v) {
					if g, _ := addr.Spelling(sl.Class, sl.Spelling); g != 1 {
						t.Errorf("%q: %s still long", v, addr.Classes()[sl.Class].Name)
					}
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, tc.out) })
	}
	if !slices.EqualFunc(in.Rows, orig.Rows, slices.Equal) || !slices.Equal(in.Header, orig.Header) {
		t.Error("a transformation modified its input")
	}
}

func TestAppendKeepsOwnOrder(t *testing.T) {
	own := &Table{Header: []string{"a", "b"}}
	for i := range 100 {
		own.Rows = append(own.Rows, []string{"own", string(rune('A' + i%26))})
	}
	other := &Table{Header: []string{"b", "x"}}
	for range 100 {
		other.Rows = append(other.Rows, []string{"other", "x"})
	}
	out := Append(own, other, 0.3, rand.New(rand.NewPCG(3, 4)))
	if len(out.Rows) != 130 {
		t.Fatalf("%d rows", len(out.Rows))
	}
	var kept [][]string
	foreign, firstForeign := 0, -1
	for i, r := range out.Rows {
		if r[0] == "own" {
			kept = append(kept, r)
			continue
		}
		foreign++
		if firstForeign < 0 {
			firstForeign = i
		}
		if r[0] != "" || r[1] != "other" {
			t.Fatalf("foreign row %v: columns not matched by name", r)
		}
	}
	if foreign != 30 || !slices.EqualFunc(kept, own.Rows, slices.Equal) {
		t.Errorf("%d foreign rows; own order kept: %v", foreign, slices.EqualFunc(kept, own.Rows, slices.Equal))
	}
	if firstForeign > 90 {
		t.Errorf("foreign rows only at the end (first at %d)", firstForeign)
	}
}

func TestMix(t *testing.T) {
	a := &Table{Header: []string{"curp", "v", "w"}}
	b := &Table{Header: []string{"curp", "v", "w"}}
	for i := range 200 {
		k := strings.Repeat("K", 1+i%5) + string(rune('A'+i/26%26)) + string(rune('A'+i%26))
		a.Rows = append(a.Rows, []string{k, "a", "a"})
		b.Rows = append(b.Rows, []string{k, "b", "b"})
	}
	a.Rows = append(a.Rows, []string{"CANARY", "a", "a"})
	for _, fieldwise := range []bool{false, true} {
		r := rand.New(rand.NewPCG(5, 6))
		var out *Table
		if fieldwise {
			out = MixFields([]*Table{a, b}, "curp", 1000, r)
		} else {
			out = MixRows([]*Table{a, b}, "curp", 1000, r)
		}
		var fromB, mixed int
		for _, row := range out.Rows {
			if row[1] == "b" {
				fromB++
			}
			if row[1] != row[2] {
				mixed++
			}
			if row[0] == "CANARY" && row[1] != "a" {
				t.Error("a row only the first copy holds came from another")
			}
		}
		if len(out.Rows) != 201 || fromB < 60 || fromB > 140 {
			t.Errorf("fieldwise=%v: %d rows, %d from b", fieldwise, len(out.Rows), fromB)
		}
		if fieldwise != (mixed > 0) {
			t.Errorf("fieldwise=%v: %d rows mix fields", fieldwise, mixed)
		}
	}
}

func TestTypos(t *testing.T) {
	in := &Table{Header: []string{"nombre", "paterno", "materno", "fecha_nacimiento"}}
	for range 2000 {
		in.Rows = append(in.Rows, []string{"JOSE LUIS", "HERNANDEZ", "GARCIA", "1990-05-07"})
	}
	all := TypoRates{Transpose: 1, Drop: 1, SwapGiven: 1, NoMaterno: 1, DayMonthSwap: 1}
	out, n := Typos(in, all, rand.New(rand.NewPCG(7, 8)))
	if n.RowsChanged != 2000 || n.SwappedGiven == 0 || n.NoMaterno != 2000 || n.DayMonth != 2000 || n.Transposed != 2000 || n.Dropped != 2000 {
		t.Errorf("%+v", n)
	}
	if got := out.Rows[0][3]; got != "1990-07-05" {
		t.Errorf("day/month swap: %q", got)
	}
	if out.Rows[0][2] != "" {
		t.Errorf("materno %q", out.Rows[0][2])
	}
	for _, r := range out.Rows {
		l := len(r[0]) + len(r[1])
		if l != len("JOSE LUIS")+len("HERNANDEZ")-1 && l != len("JOSE LUIS")+len("HERNANDEZ") {
			t.Fatalf("letters lost or gained: %v", r)
		}
	}
	_, none := Typos(in, TypoRates{}, rand.New(rand.NewPCG(7, 8)))
	if none.RowsChanged != 0 {
		t.Errorf("no rates, %d rows changed", none.RowsChanged)
	}
	if in.Rows[0][0] != "JOSE LUIS" || in.Rows[0][3] != "1990-05-07" {
		t.Error("Typos modified its input")
	}
}

// TestFormats writes every format and reads it back with package ingest.
func TestFormats(t *testing.T) {
	in := Dedup(copyTable())
	in.Rows = append(in.Rows, []string{"DDDD000101HDFXXX04", "O'BRIEN, \"EL\"", "MUÑOZ", "ΩMEGA", "1970-01-01", "", "COL. X"})
	dir := t.TempDir()
	for _, f := range []Format{CSV, CSVLatin1, JSON, JSONL, SQL, XLSX} {
		t.Run(string(f), func(t *testing.T) {
			for _, noHeader := range []bool{false, true} {
				tab := in
				if noHeader {
					if f != CSV && f != CSVLatin1 && f != XLSX {
						continue
					}
					tab = DropHeader(in)
				}
				path := filepath.Join(dir, string(f)+map[bool]string{true: "-nh", false: ""}[noHeader]+"."+f.Ext())
				if err := WriteFile(path, tab, f); err != nil {
					t.Fatal(err)
				}
				opt := ingest.Options{}
				if noHeader {
					opt.Header = ingest.HeaderAbsent
				}
				rd, err := ingest.Open(path, opt)
				if err != nil {
					t.Fatal(err)
				}
				var got [][]string
				for {
					row, err := rd.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, slices.Clone(row))
				}
				rd.Close()
				if len(got) != len(in.Rows) {
					t.Fatalf("noHeader=%v: %d rows read, %d written", noHeader, len(got), len(in.Rows))
				}
				for i, row := range got {
					want := slices.Clone(in.Rows[i])
					if f == CSVLatin1 {
						want[3] = strings.ReplaceAll(want[3], "Ω", "?")
					}
					if !slices.Equal(row, want) {
						t.Errorf("noHeader=%v row %d: %q, want %q", noHeader, i, row, want)
					}
				}
				if !noHeader && f != SQL && !slices.Equal(rd.Header(), in.Header) {
					t.Errorf("header %q", rd.Header())
				}
			}
		})
	}
}
