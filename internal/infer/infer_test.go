package infer

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/synth"
)

var asOf = register.MustDate("2018-06-01")

func people(seed uint64, n int) []register.Record {
	m := synth.NewMaker(seed)
	out := make([]register.Record, n)
	for i := range out {
		out[i] = append(register.Record(nil), m.Person(asOf)...)
	}
	return out
}

// renames are headers a leaker might write for each field.
var renames = map[string][]string{
	register.FClave:         {"CLAVE", "Clave de Elector", "cve_elector", "CLAVE_INE"},
	register.FCURP:          {"CURP", "curp", "Curp"},
	register.FNombre:        {"NOMBRE(S)", "first_name", "Nombre", "NOMBRES"},
	register.FPaterno:       {"paterno", "APELLIDO PATERNO", "Primer apellido", "AP_PAT"},
	register.FMaterno:       {"materno", "APELLIDO MATERNO", "Segundo apellido", "AP_MAT"},
	register.FNacimiento:    {"FECHA DE NACIMIENTO", "fnac", "dob", "Fecha Nac."},
	register.FSexo:          {"SEXO", "genero", "sex"},
	register.FEntidad:       {"Ent", "ESTADO", "entidad", "state"},
	register.FMunicipio:     {"MUNICIPIO", "mpio", "Mun"},
	register.FSeccion:       {"sección", "SECC", "Seccion"},
	register.FLocalidad:     {"LOCALIDAD", "loc"},
	register.FCalle:         {"CALLE", "domicilio", "street"},
	register.FNumExterior:   {"NUM EXT", "no_ext", "exterior"},
	register.FNumInterior:   {"NUM INT", "no_int", "interior"},
	register.FColonia:       {"COLONIA", "col", "Colonia"},
	register.FCodigoPostal:  {"CP", "C.P.", "codigo postal", "zip"},
	register.FFechaRegistro: {"FECHA REGISTRO", "alta", "fecha_alta"},
	register.FEmision:       {"EMISION", "año emisión"},
	register.FCIC:           {"CIC"},
	register.FOCR:           {"OCR"},
}

var dateFormats = []func(y, m, d int) string{
	func(y, m, d int) string { return fmt.Sprintf("%04d-%02d-%02d", y, m, d) },
	func(y, m, d int) string { return fmt.Sprintf("%02d/%02d/%04d", d, m, y) },
	func(y, m, d int) string { return fmt.Sprintf("%02d/%02d/%04d", m, d, y) },
	func(y, m, d int) string { return fmt.Sprintf("%04d%02d%02d", y, m, d) },
	func(y, m, d int) string { return fmt.Sprintf("%02d-%02d-%02d", d, m, y%100) },
	func(y, m, d int) string { return fmt.Sprintf("%d/%d/%04d", d, m, y) },
	func(y, m, d int) string { return fmt.Sprintf("%04d/%02d/%02d 00:00:00", y, m, d) },
}

// variant is a leaked table made from records the way leakers change them.
type variant struct {
	header []string
	rows   [][]string
	truth  []string // field per column; "phone", "email", "other" for extras
	keys   bool
}

func makeVariant(r *rand.Rand, recs []register.Record, schema *register.Schema) variant {
	var v variant
	var fields []int
	v.keys = r.IntN(3) > 0
	for i, f := range schema.Fields {
		if !v.keys && (f.Name == register.FCURP || f.Name == register.FClave) {
			continue
		}
		if r.IntN(5) == 0 && f.Role != register.RoleName { // drop some columns
			continue
		}
		fields = append(fields, i)
	}
	r.Shuffle(len(fields), func(a, b int) { fields[a], fields[b] = fields[b], fields[a] })
	headerMode := r.IntN(3) // 0 register names, 1 renamed, 2 none
	caseMode := r.IntN(3)   // upper, lower, title
	dateFmt := [2]int{r.IntN(len(dateFormats)), r.IntN(len(dateFormats))}
	sexMode := r.IntN(4)
	entMode := r.IntN(3)
	extras := r.IntN(3) // extra columns: phone, email, id
	for _, i := range fields {
		v.truth = append(v.truth, schema.Fields[i].Name)
	}
	for k := 0; k < extras; k++ {
		v.truth = append(v.truth, []string{ExtraPhone, ExtraEmail, ExtraOther}[k])
	}
	for _, f := range v.truth {
		var h string
		switch {
		case f == ExtraPhone:
			h = "telefono"
		case f == ExtraEmail:
			h = "correo"
		case f == ExtraOther:
			h = "id"
		case headerMode == 0:
			h = f
		default:
			h = renames[f][r.IntN(len(renames[f]))]
		}
		v.header = append(v.header, h)
	}
	if headerMode == 2 {
		v.header = nil
	}
	for n, rec := range recs {
		var row []string
		for _, f := range v.truth {
			var s string
			switch f {
			case ExtraPhone:
				s = fmt.Sprintf("55 %04d %04d", r.IntN(10000), r.IntN(10000))
			case ExtraEmail:
				s = fmt.Sprintf("usuario%d@ejemplo.test", n)
			case ExtraOther:
				s = fmt.Sprint(n + 1)
			default:
				s = rec[schema.Index(f)]
			}
			switch f {
			case register.FNacimiento, register.FFechaRegistro:
				d := register.MustDate(s)
				y, m, dd := d.YMD()
				k := dateFmt[0]
				if f == register.FFechaRegistro {
					k = dateFmt[1]
				}
				s = dateFormats[k](y, m, dd)
			case register.FSexo:
				s = [][2]string{{"H", "M"}, {"HOMBRE", "MUJER"}, {"M", "F"}, {"MASCULINO", "FEMENINO"}}[sexMode][map[string]int{"H": 0, "M": 1}[s]]
			case register.FEntidad:
				e, _ := ident.EntidadByCode(s)
				s = []string{s, strings.TrimLeft(s, "0"), e.Name}[entMode]
			}
			switch caseMode {
			case 1:
				s = strings.ToLower(s)
			case 2:
				s = title(s)
			}
			row = append(row, s)
		}
		v.rows = append(v.rows, row)
	}
	return v
}

func title(s string) string {
	w := strings.Fields(strings.ToLower(s))
	for i, x := range w {
		w[i] = strings.ToUpper(x[:1]) + x[1:]
	}
	return strings.Join(w, " ")
}

func TestInferVariants(t *testing.T) {
	for _, n := range []int{300, 30} {
		t.Run(fmt.Sprintf("%d rows", n), func(t *testing.T) { testVariants(t, n) })
	}
}

func testVariants(t *testing.T, rows int) {
	schema := register.INE()
	recs := people(7, rows)
	r := rand.New(rand.NewPCG(1, 2))
	total, correct, withKeys, withKeysOK := 0, 0, 0, 0
	bare, bareOK := 0, 0 // no header and no keys
	recTotal, recOK := 0, 0
	miss := map[string]int{}
	variants := map[int]int{300: 40, 30: 200}[rows]
	for k := 0; k < variants; k++ {
		v := makeVariant(r, recs, schema)
		m := Infer(schema, v.header, v.rows)
		for j, want := range v.truth {
			got := m.Columns[j].Field
			if got == "" {
				got = m.Columns[j].Extra
			}
			total++
			if v.keys {
				withKeys++
			}
			if v.header == nil && !v.keys {
				bare++
				if got == want {
					bareOK++
				}
			}
			if c := m.Columns[j].Confidence; c < 0 || c > 1 {
				t.Errorf("confidence %v out of [0,1]", c)
			}
			if got == want {
				correct++
				if v.keys {
					withKeysOK++
				}
			} else {
				miss[want+"→"+got]++
			}
		}
		// Normalised records equal the register's on every correctly mapped field.
		for i, row := range v.rows[:min(50, len(v.rows))] {
			rec := m.Record(row, nil)
			for j, want := range v.truth {
				fi := schema.Index(want)
				if fi < 0 || m.Columns[j].Field != want {
					continue
				}
				recTotal++
				if rec[fi] == recs[i][fi] {
					recOK++
				} else if recTotal-recOK < 5 {
					t.Logf("variant %d field %s: %q → %q, register has %q", k, want, row[j], rec[fi], recs[i][fi])
				}
			}
		}
	}
	acc := float64(correct) / float64(total)
	t.Logf("columns mapped right: %d/%d = %.3f (with keys %.3f, with neither header nor keys %d/%d = %.3f); record values equal: %d/%d = %.4f",
		correct, total, acc, float64(withKeysOK)/float64(withKeys), bareOK, bare, float64(bareOK)/float64(bare), recOK, recTotal, float64(recOK)/float64(recTotal))
	t.Logf("mistakes (want→got): %v", miss)
	if want := 0.97 - 0.07*boolf(rows < 100); acc < want {
		t.Errorf("accuracy %.3f below %.2f", acc, want)
	}
	if float64(recOK)/float64(recTotal) < 0.99 {
		t.Errorf("normalised values agree %.4f, below 0.99", float64(recOK)/float64(recTotal))
	}
}

func TestInferCases(t *testing.T) {
	schema := register.INE()
	recs := people(11, 60)
	col := func(f string, conv func(string) string) func(register.Record) string {
		i := schema.Index(f)
		return func(r register.Record) string {
			if conv != nil {
				return conv(r[i])
			}
			return r[i]
		}
	}
	usDate := func(s string) string {
		d := register.MustDate(s)
		y, m, dd := d.YMD()
		return fmt.Sprintf("%02d/%02d/%04d", m, dd, y)
	}
	tests := []struct {
		name    string
		header  []string
		cols    []func(register.Record) string
		want    []string // field or extra per column
		layouts map[int]string
	}{
		{"full name, surnames first", []string{"NOMBRE COMPLETO", "CURP"},
			[]func(register.Record) string{func(r register.Record) string {
				return strings.TrimSpace(r[schema.Index(register.FPaterno)] + " " + r[schema.Index(register.FMaterno)] + " " + r[schema.Index(register.FNombre)])
			}, col(register.FCURP, nil)},
			[]string{register.FNombre, register.FCURP}, map[int]string{0: "full:paterno,materno,nombre"}},
		{"both surnames in one column", []string{"Nombre", "Apellidos"},
			[]func(register.Record) string{col(register.FNombre, nil), func(r register.Record) string {
				return strings.TrimSpace(r[schema.Index(register.FPaterno)] + " " + r[schema.Index(register.FMaterno)])
			}},
			[]string{register.FNombre, register.FPaterno}, map[int]string{1: "full:paterno,materno"}},
		{"a party's copy: names, section, district", []string{"NOMBRE", "PATERNO", "MATERNO", "SECCION", "DISTRITO"},
			[]func(register.Record) string{col(register.FNombre, nil), col(register.FPaterno, nil), col(register.FMaterno, nil),
				col(register.FSeccion, nil), func(r register.Record) string { return fmt.Sprintf("%02d", 1+len(r[2])%20) }},
			[]string{register.FNombre, register.FPaterno, register.FMaterno, register.FSeccion, ExtraOther}, nil},
		{"pandas floats", []string{"seccion", "cp", "entidad"},
			[]func(register.Record) string{col(register.FSeccion, func(s string) string { return strings.TrimLeft(s, "0") + ".0" }),
				col(register.FCodigoPostal, func(s string) string { return strings.TrimLeft(s, "0") + ".0" }),
				col(register.FEntidad, func(s string) string { return strings.TrimLeft(s, "0") + ".0" })},
			[]string{register.FSeccion, register.FCodigoPostal, register.FEntidad}, nil},
		{"no header, US dates, lower case", nil,
			[]func(register.Record) string{col(register.FNacimiento, usDate), col(register.FNombre, strings.ToLower), col(register.FPaterno, strings.ToLower)},
			[]string{register.FNacimiento, register.FNombre, register.FPaterno}, map[int]string{0: "MM/DD/YYYY"}},
		{"col1.. headers, state names, enrichment", []string{"col1", "col2", "col3", "col4"},
			[]func(register.Record) string{col(register.FEntidad, func(s string) string { e, _ := ident.EntidadByCode(s); return e.Name }),
				col(register.FCodigoPostal, nil), func(register.Record) string { return "+52 (55) 1234-5678" },
				func(register.Record) string { return "alguien@ejemplo.test" }},
			[]string{register.FEntidad, register.FCodigoPostal, ExtraPhone, ExtraEmail}, map[int]string{0: "name"}},
		{"clave only, M/F sex", []string{"clave", "genero", "Fecha"},
			[]func(register.Record) string{col(register.FClave, nil), col(register.FSexo, func(s string) string {
				if s == "H" {
					return "M"
				}
				return "F"
			}), col(register.FNacimiento, func(s string) string { return strings.ReplaceAll(s, "-", "") })},
			[]string{register.FClave, register.FSexo, register.FNacimiento}, map[int]string{1: "MF", 2: "YYYYMMDD"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rows [][]string
			for _, r := range recs {
				var row []string
				for _, c := range tc.cols {
					row = append(row, c(r))
				}
				rows = append(rows, row)
			}
			m := Infer(schema, tc.header, rows)
			for j, want := range tc.want {
				c := m.Columns[j]
				got := c.Field
				if got == "" {
					got = c.Extra
				}
				if got != want {
					t.Errorf("column %d: %s (%.2f), want %s", j, got, c.Confidence, want)
				}
				if l, ok := tc.layouts[j]; ok && c.Layout != l {
					t.Errorf("column %d layout %q, want %q", j, c.Layout, l)
				}
			}
			// Records carry the register's values for the mapped fields.
			for i, row := range rows {
				rec := m.Record(row, nil)
				for _, f := range tc.want {
					fi := schema.Index(f)
					if fi < 0 {
						continue
					}
					if rec[fi] != recs[i][fi] {
						t.Fatalf("row %d %s = %q, register %q", i, f, rec[fi], recs[i][fi])
					}
				}
				for j, c := range m.Columns {
					if !strings.HasPrefix(c.Layout, "full:") {
						continue
					}
					for _, f := range []string{register.FNombre, register.FPaterno, register.FMaterno} {
						if fi := schema.Index(f); strings.Contains(c.Layout, strings.TrimPrefix(f, "apellido_")) && rec[fi] != recs[i][fi] {
							t.Fatalf("row %d %s = %q from %q, register %q", i, f, rec[fi], row[j], recs[i][fi])
						}
					}
				}
			}
		})
	}
}

func TestSplitFullName(t *testing.T) {
	tests := []struct {
		in            string
		pmn           bool
		nom, pat, mat string
	}{
		{"JUAN PEREZ LOPEZ", false, "JUAN", "PEREZ", "LOPEZ"},
		{"MARIA DEL CARMEN DE LA CRUZ GARCIA", false, "MARIA DEL CARMEN", "DE LA CRUZ", "GARCIA"},
		{"HERNANDEZ GARCIA JOSE LUIS", true, "JOSE LUIS", "HERNANDEZ", "GARCIA"},
		{"FLORES GUILLERMO", true, "GUILLERMO", "FLORES", ""},
		{"ANA MARIA FLORES", false, "ANA MARIA", "FLORES", ""},
	}
	for _, tc := range tests {
		n, p, m := splitFullName(tc.in, tc.pmn)
		if n != tc.nom || p != tc.pat || m != tc.mat {
			t.Errorf("splitFullName(%q) = %q %q %q", tc.in, n, p, m)
		}
	}
}

func FuzzInfer(f *testing.F) {
	f.Add("CURP,NOMBRE\nPEGL890909MJCRMS08,PRUEBA\n", true)
	f.Add("1/2/03,H,JALISCO,44100\n13/12/1999,M,9,01000\n", false)
	f.Add("JUAN PEREZ LOPEZ,,5\n\xff,a@b.c,55 1234 5678\n", false)
	f.Fuzz(func(t *testing.T, text string, header bool) {
		var rows [][]string
		for _, ln := range strings.Split(text, "\n") {
			rows = append(rows, strings.Split(ln, ","))
		}
		var h []string
		if header && len(rows) > 0 {
			h, rows = rows[0], rows[1:]
		}
		m := Infer(register.INE(), h, rows)
		seen := map[string]bool{}
		for _, c := range m.Columns {
			if c.Confidence < 0 || c.Confidence > 1 || (c.Field == "") == (c.Extra == "") {
				t.Fatalf("bad column %+v", c)
			}
			if c.Field != "" && seen[c.Field] {
				t.Fatalf("field %s mapped twice", c.Field)
			}
			seen[c.Field] = true
		}
		for _, r := range rows {
			if rec := m.Record(r, nil); len(rec) != len(register.INE().Fields) {
				t.Fatalf("record of %d fields", len(rec))
			}
		}
	})
}
