package ingest

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/huella/huella/internal/infer"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/synth"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// TestLeakFormats writes one synthetic leak (renamed headers, shuffled and
// dropped columns, reformatted dates, accents as people write them) in
// every format, reads it back, infers its columns and checks that every
// row normalises to the register's record.
func TestLeakFormats(t *testing.T) {
	schema := register.INE()
	m := synth.NewMaker(3)
	asOf := register.MustDate("2018-06-01")
	var recs []register.Record
	for i := 0; i < 200; i++ {
		recs = append(recs, append(register.Record(nil), m.Person(asOf)...))
	}
	// The leak's columns: field, header, and how the value is written.
	iso2dmy := func(s string) string { return s[8:10] + "/" + s[5:7] + "/" + s[0:4] }
	cols := []struct {
		field, header string
		conv          func(string) string
	}{
		{register.FPaterno, "Apellido Paterno", strings.ToLower},
		{register.FNombre, "NOMBRE(S)", nil},
		{register.FMaterno, "Apellido Materno", nil},
		{register.FCURP, "C.U.R.P.", nil},
		{register.FNacimiento, "Fecha de nacimiento", iso2dmy},
		{register.FSexo, "Sexo", func(s string) string { return map[string]string{"H": "HOMBRE", "M": "MUJER"}[s] }},
		{register.FEntidad, "Ent", nil},
		{register.FSeccion, "Sección", func(s string) string { return strings.TrimLeft(s, "0") }},
		{register.FCalle, "Domicilio", nil},
		{register.FColonia, "Colonia", func(s string) string { return strings.Replace(s, "COLONIA", "Colonia", 1) }},
		{register.FCodigoPostal, "CP", nil},
		{"", "Teléfono", nil},
	}
	header := make([]string, len(cols))
	rows := make([][]string, len(recs))
	for j, c := range cols {
		header[j] = c.header
	}
	for i, r := range recs {
		for _, c := range cols {
			v := fmt.Sprintf("55%08d", i*7919%100000000)
			if c.field != "" {
				v = r[schema.Index(c.field)]
			}
			if c.conv != nil {
				v = c.conv(v)
			}
			rows[i] = append(rows[i], v)
		}
	}
	sqlQuote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

	files := map[string][]byte{}
	var b strings.Builder
	b.WriteString(strings.Join(header, ";") + "\n")
	for _, r := range rows {
		b.WriteString(strings.Join(r, ";") + "\n")
	}
	files["semicolon.csv"] = []byte(b.String())
	files["latin1.csv.gz"] = gz(mustLatin1(t, b.String()))
	files["leak.zip"] = zipped("padron/leak.txt", []byte(strings.ReplaceAll(b.String(), ";", "\t")))
	b.Reset()
	for _, r := range rows { // headerless CSV
		b.WriteString(strings.Join(r, ",") + "\n")
	}
	files["noheader.csv"] = []byte(b.String())
	b.Reset()
	b.WriteString("[\n")
	for i, r := range rows {
		b.WriteString("{")
		for j, v := range r {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%q:%q", header[j], v)
		}
		b.WriteString("}")
		if i < len(rows)-1 {
			b.WriteString(",\n")
		}
	}
	b.WriteString("\n]\n")
	files["leak.json"] = []byte(b.String())
	b.Reset()
	b.WriteString("-- MySQL dump\nINSERT INTO `padron` (`" + strings.Join(header, "`,`") + "`) VALUES ")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(",")
		}
		q := make([]string, len(r))
		for j, v := range r {
			q[j] = "'" + strings.ReplaceAll(v, "'", "\\'") + "'"
		}
		b.WriteString("(" + strings.Join(q, ",") + ")")
	}
	b.WriteString(";\n")
	files["mysql.sql"] = []byte(b.String())
	b.Reset()
	b.WriteString("-- PostgreSQL database dump\nCREATE TABLE public.padron (\n")
	for j, h := range header {
		sep := ","
		if j == len(header)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "    %q text%s\n", h, sep)
	}
	b.WriteString(");\n")
	for _, r := range rows {
		q := make([]string, len(r))
		for j, v := range r {
			q[j] = sqlQuote(v)
		}
		b.WriteString("INSERT INTO public.padron VALUES (" + strings.Join(q, ", ") + ");\n")
	}
	files["pg.sql"] = []byte(b.String())
	x := excelize.NewFile()
	sheet := x.GetSheetName(0)
	setRows(x, sheet, append([][]string{header}, rows...))
	var xb bytes.Buffer
	x.Write(&xb)
	files["leak.xlsx"] = xb.Bytes()

	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			r, err := Open(write(t, name, data), Options{SampleRows: 100})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			mp := infer.Infer(schema, r.Header(), r.Sample())
			for j, c := range cols {
				got := mp.Columns[j]
				if c.field == "" {
					if got.Extra != infer.ExtraPhone {
						t.Errorf("column %q: %+v, want phone", c.header, got)
					}
					continue
				}
				if got.Field != c.field {
					t.Errorf("column %q: %s (%.2f), want %s", c.header, got.Field, got.Confidence, c.field)
				}
			}
			var rec register.Record
			n := 0
			for {
				row, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				rec = mp.Record(row, rec)
				for _, c := range cols {
					if c.field == "" {
						continue
					}
					fi := schema.Index(c.field)
					if rec[fi] != recs[n][fi] {
						t.Fatalf("row %d %s = %q, register %q", n+1, c.field, rec[fi], recs[n][fi])
					}
				}
				n++
			}
			if n != len(recs) {
				t.Errorf("read %d rows, want %d (skips %v)", n, len(recs), r.Info().Skipped)
			}
		})
	}
}

func mustLatin1(t *testing.T, s string) []byte {
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
