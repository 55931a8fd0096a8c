package infer

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// mutate changes a value the ways a leak or a typist does: case, accents,
// spaces, a spreadsheet's ".0" or lost zeros, a stray byte, a cut.
func mutate(r *rand.Rand, s string) string {
	switch r.IntN(12) {
	case 0:
		return strings.ToLower(s)
	case 1:
		return "  " + s + " "
	case 2:
		return strings.ReplaceAll(s, " ", "\t ")
	case 3:
		return strings.TrimLeft(s, "0")
	case 4:
		return s + ".0"
	case 5:
		return strings.NewReplacer("A", "Á", "E", "É", "N", "Ñ", "U", "Ü").Replace(s)
	case 6:
		if len(s) > 0 {
			i := r.IntN(len(s))
			return s[:i] + string(rune(r.IntN(0x250))) + s[i+1:]
		}
	case 7:
		if len(s) > 1 {
			return s[:r.IntN(len(s))]
		}
	case 8:
		return s + " 00:00:00"
	case 9:
		return strings.ReplaceAll(s, "-", "/")
	case 10:
		return "\xff" + s
	}
	return s
}

// TestRecordEqualsOld maps leaked tables of every shape makeVariant makes
// (and whole-name columns), and checks that Record gives, for the rows
// and for mutated rows, the same record as the code before the speed work.
func TestRecordEqualsOld(t *testing.T) {
	schema := register.INE()
	recs := people(11, 200)
	r := rand.New(rand.NewPCG(3, 4))
	var tables [][][]string
	var headers [][]string
	for range 60 {
		v := makeVariant(r, recs, schema)
		tables, headers = append(tables, v.rows), append(headers, v.header)
	}
	for _, pmn := range []bool{false, true} { // whole names, surnames first or last
		var rows [][]string
		for _, rec := range recs {
			nom, pat, mat := rec[schema.Index(register.FNombre)], rec[schema.Index(register.FPaterno)], rec[schema.Index(register.FMaterno)]
			full := strings.TrimSpace(nom + " " + pat + " " + mat)
			if pmn {
				full = strings.TrimSpace(pat + " " + mat + " " + nom)
			}
			rows = append(rows, []string{rec[0], full, rec[schema.Index(register.FNacimiento)]})
		}
		tables, headers = append(tables, rows), append(headers, []string{"clave", "nombre completo", "fnac"})
	}
	var rows [][]string // both surnames in one column
	for _, rec := range recs {
		sur := strings.TrimSpace(rec[schema.Index(register.FPaterno)] + " " + rec[schema.Index(register.FMaterno)])
		rows = append(rows, []string{rec[0], rec[schema.Index(register.FNombre)], sur})
	}
	tables, headers = append(tables, rows), append(headers, []string{"clave", "nombre", "apellidos"})
	kinds := map[convKind]bool{}
	for k, rows := range tables {
		m := Infer(schema, headers[k], rows)
		for _, s := range m.plan {
			kinds[s.kind] = true
		}
		var got register.Record
		for i, row := range rows {
			for try := range 3 {
				if try > 0 {
					row = append([]string(nil), row...)
					for j := range row {
						row[j] = mutate(r, row[j])
					}
				}
				got = m.Record(row, got)
				want := m.oldRecord(row, nil)
				if !slices.Equal(got, want) {
					t.Fatalf("table %d row %d %q:\n got %q\nwant %q", k, i, row, got, want)
				}
			}
		}
	}
	for k := convText; k <= convSurnames; k++ {
		if !kinds[k] {
			t.Errorf("no table mapped a column with conversion %d", k)
		}
	}
}

// testSteps are one step of every kind: dates in every layout and pivot,
// sexo both ways, codes, keys, names.
func testSteps() []struct {
	name string
	s    step
} {
	var out []struct {
		name string
		s    step
	}
	add := func(name string, s step) {
		out = append(out, struct {
			name string
			s    step
		}{name, s})
	}
	for _, sample := range [][]string{{"1991-02-08"}, {"08/02/1991"}, {"02/28/1991"}, {"19910208"}, {"08021991"}, {"08-02-91"}, {"2/28/91"}, {}} {
		d := dateStats{}
		if len(sample) > 0 {
			d = bestDateLayout(sample)
		}
		add(register.FNacimiento, step{kind: convDate, date: d, pivot: 8})
		add(register.FFechaRegistro, step{kind: convDate, date: d, pivot: 35})
	}
	add(register.FSexo, step{kind: convSexo})
	add(register.FSexo, step{kind: convSexo, mf: true})
	add(register.FEntidad, step{kind: convEntidad})
	add(register.FCIC, step{kind: convCIC})
	add(register.FMunicipio, step{kind: convPad, width: 3})
	add(register.FSeccion, step{kind: convPad, width: 4})
	add(register.FCodigoPostal, step{kind: convPad, width: 5})
	add(register.FOCR, step{kind: convPad, width: 13})
	add(register.FEmision, step{kind: convEmision})
	add(register.FCURP, step{kind: convKey})
	add(register.FNombre, step{kind: convText})
	return out
}

var convertSeeds = []string{"", " ", "1991-02-08", "1991-02-30", "2000-02-29", "1900-02-29", "08/02/1991", "8/2/91", "02/28/1991",
	"19910208", "08021991", "1991-02-08 00:00:00", "1991-02-08T10:00", "1991/02/08", "1991.02.08", "9999-99-99", "0000-00-00",
	"H", "M", "F", "mujer", " Hombre ", "VARON", "9", "09", "009", "9.0", "32", "33", "JALISCO", "Ciudad de México", "D.F.",
	"1", "01", "001", "0233", "233", "233.0", "2007", "02007", "1234567890123", "12345", "2015", "2015-01-18", "1899",
	"CAGJ910208HASSRS06", "cagj 910208 hassrs06", "Peña Nieto", "DE LA CRUZ GARCIA", "\xff\xfe", "١٢٣", "12\u00a034"}

// FuzzConvertEqualsOld compares every step's conversion of a random value
// with the old converter, and the name splits with the old ones.
func FuzzConvertEqualsOld(f *testing.F) {
	for _, s := range convertSeeds {
		f.Add(s)
	}
	steps := testSteps()
	f.Fuzz(func(t *testing.T, v string) {
		for _, ts := range steps {
			got := ts.s.convert(v)
			want := oldConverter(ts.name, ts.s.date, ts.s.mf)(v)
			if got != want {
				t.Fatalf("%s %s: convert(%q) = %q, old %q", ts.name, ts.s.date.layout(), v, got, want)
			}
		}
		for _, d := range steps[:16] {
			for _, pivot := range []int{10, 30} {
				g, gok := d.s.date.parse(v, pivot)
				w, wok := d.s.date.oldParse(v, pivot)
				if g != w || gok != wok {
					t.Fatalf("%s parse(%q, %d) = %q %v, old %q %v", d.s.date.layout(), v, pivot, g, gok, w, wok)
				}
			}
		}
		n := strings.Join(strings.Fields(v), " ") // the name splits take normalised names
		for _, pmn := range []bool{false, true} {
			a, b, c := splitFullName(n, pmn)
			x, y, z := oldSplitFullName(n, pmn)
			if a != x || b != y || c != z {
				t.Fatalf("splitFullName(%q, %v) = %q %q %q, old %q %q %q", n, pmn, a, b, c, x, y, z)
			}
		}
		if g, w := nameParts(n), oldNameParts(n); !slices.Equal(g, w) {
			t.Fatalf("nameParts(%q) = %q, old %q", n, g, w)
		}
		if g, w := pad(v, 4), oldPad(v, 4); g != w {
			t.Fatalf("pad(%q) = %q, old %q", v, g, w)
		}
	})
}

func TestConvertEqualsOld(t *testing.T) {
	// Every day 1899–2036 in several layouts through every date step.
	steps := testSteps()
	for day := register.MustDate("1899-12-25"); day < register.MustDate("2036-01-05"); day += 3 {
		y, m, d := day.YMD()
		for _, v := range []string{day.String(), fmt.Sprintf("%02d/%02d/%04d", d, m, y), fmt.Sprintf("%02d%02d%02d", y%100, m, d),
			fmt.Sprintf("%d/%d/%02d", m, d, y%100), fmt.Sprintf("%04d%02d%02d", y, m, d)} {
			for _, ts := range steps[:16] {
				if got, want := ts.s.convert(v), oldConverter(ts.name, ts.s.date, ts.s.mf)(v); got != want {
					t.Fatalf("%s %s: convert(%q) = %q, old %q", ts.name, ts.s.date.layout(), v, got, want)
				}
			}
		}
	}
	for n := 0; n < 100_000; n += 7 {
		for _, v := range []string{fmt.Sprint(n), fmt.Sprintf("%d.0", n), fmt.Sprintf("%06d", n)} {
			for _, ts := range steps[16:] {
				if got, want := ts.s.convert(v), oldConverter(ts.name, ts.s.date, ts.s.mf)(v); got != want {
					t.Fatalf("%s: convert(%q) = %q, old %q", ts.name, v, got, want)
				}
			}
		}
	}
}

func TestIsDigits(t *testing.T) {
	for n := 0; n <= 20; n++ {
		for i := -1; i < n; i++ {
			for _, c := range []byte{'/', ':', 'A', 0x80 | '5', 0xB0, ' '} {
				b := []byte(strings.Repeat("7", n))
				if i >= 0 {
					b[i] = c
				}
				want := n > 0 && i < 0
				if got := isDigits(string(b)); got != want {
					t.Errorf("isDigits(%q) = %v", b, got)
				}
			}
		}
	}
}

// TestIsUpperAlnum: every byte value at every position of keys of every
// length to 20, against the byte-by-byte definition; and convKey keeps
// such a key as it is, which is what ident.Normalize makes of it.
func TestIsUpperAlnum(t *testing.T) {
	ok := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' }
	for n := 0; n <= 20; n++ {
		for i := -1; i < n; i++ {
			for c := 0; c < 256; c++ {
				b := []byte(strings.Repeat("Z9A0", 5)[:n])
				if i >= 0 {
					b[i] = byte(c)
				}
				want := n > 0
				for _, x := range b {
					want = want && ok(x)
				}
				if got := isUpperAlnum(string(b)); got != want {
					t.Fatalf("isUpperAlnum(%q) = %v", b, got)
				}
				if want && ident.Normalize(string(b)) != string(b) {
					t.Fatalf("%q is not its own normal form", b)
				}
			}
		}
	}
	s := &step{kind: convKey}
	for _, tc := range [][2]string{{"GOMC800101HDFRRR09", "GOMC800101HDFRRR09"}, {"gomc800101hdfrrr09", "GOMC800101HDFRRR09"},
		{" GOMC 800101 HDFRRR09 ", "GOMC800101HDFRRR09"}, {"GÓMC800101HDFRRR09", "GOMC800101HDFRRR09"}, {"", ""}} {
		if got := s.convert(tc[0]); got != tc[1] {
			t.Errorf("convert(%q) = %q, want %q", tc[0], got, tc[1])
		}
	}
}

// TestRecordConcurrent: workers share one Mapping (run with -race).
func TestRecordConcurrent(t *testing.T) {
	schema := register.INE()
	recs := people(13, 200)
	rows := make([][]string, len(recs))
	for i, r := range recs {
		rows[i] = slices.Clone([]string(r))
		rows[i][schema.Index(register.FSeccion)] = strings.TrimLeft(r[schema.Index(register.FSeccion)], "0")
	}
	m := Infer(schema, nil, rows)
	done := make(chan error)
	for w := range 4 {
		go func() {
			var rec register.Record
			for i := w; i < len(rows); i += 2 {
				rec = m.Record(rows[i], rec)
				if !slices.Equal(rec, recs[i]) {
					done <- fmt.Errorf("row %d: %q, register %q", i, rec, recs[i])
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestRecordSharedField: a materno column and a whole-name column both
// write materno; the later column's value stands, as before, whether or
// not the values need rewriting.
func TestRecordSharedField(t *testing.T) {
	schema := register.INE()
	nom, pat, mat := schema.Index(register.FNombre), schema.Index(register.FPaterno), schema.Index(register.FMaterno)
	for _, plan := range [][]step{
		{{col: 0, field: mat}, {col: 1, kind: convFull, full: []int{nom, pat, mat}}},
		{{col: 0, kind: convFull, full: []int{nom, pat, mat}}, {col: 1, field: mat}},
	} {
		m := &Mapping{schema: schema, plan: plan, shared: sharesField(plan)}
		if !m.shared {
			t.Fatal("sharesField missed materno written twice")
		}
		for _, row := range [][]string{
			{"LOPEZ", "JUAN PEREZ GARCIA"}, {"lópez", "Juan Pérez García"}, {"LOPEZ", "Juan Pérez García"},
			{"lópez", "JUAN PEREZ GARCIA"}, {"JUAN PEREZ GARCIA", "lópez"}, {"Juan Pérez García", "LOPEZ"},
		} {
			if got, want := m.Record(row, nil), m.oldRecord(row, nil); !slices.Equal(got, want) {
				t.Errorf("%q: %q, old %q", row, got, want)
			}
		}
	}
}

// RecordRaw is Record except for the text of the raw fields, left as read.
func TestRecordRaw(t *testing.T) {
	schema := register.INE()
	recs := people(11, 300)
	rows := make([][]string, len(recs))
	for i, r := range recs {
		row := slices.Clone([]string(r))
		row[schema.Index(register.FNombre)] = " " + strings.ToLower(row[schema.Index(register.FNombre)])
		row[schema.Index(register.FCalle)] = strings.ReplaceAll(row[schema.Index(register.FCalle)], " ", "  ")
		rows[i] = row
	}
	m := Infer(schema, schema.Names(), rows)
	raw := make([]bool, len(schema.Fields))
	raw[schema.Index(register.FNombre)], raw[schema.Index(register.FCalle)] = true, true
	for i, row := range rows {
		whole := m.Record(row, nil)
		got := m.RecordRaw(row, nil, raw)
		for f := range schema.Fields {
			want := whole[f]
			if raw[f] {
				want = row[f]
			}
			if got[f] != want {
				t.Fatalf("row %d, %s: %q, want %q", i, schema.Fields[f].Name, got[f], want)
			}
		}
		if whole[schema.Index(register.FNombre)] == row[schema.Index(register.FNombre)] {
			t.Fatalf("row %d: Record left %q as read", i, whole[schema.Index(register.FNombre)])
		}
	}
}
