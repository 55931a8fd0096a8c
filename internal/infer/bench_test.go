package infer

import (
	"fmt"
	"strings"
	"testing"

	"github.com/huella/huella/internal/cputime"
	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// go test ./internal/infer -run XXX -bench .
func BenchmarkInfer1000(b *testing.B) {
	schema := register.INE()
	recs := people(5, 1000)
	rows := make([][]string, len(recs))
	for i, r := range recs {
		rows[i] = []string(r)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Infer(schema, schema.Names(), rows)
	}
}

// BenchmarkRecord maps one 20-column row of a leaked table (synthetic
// people, cycling over 1,000 rows): "copy" is the register's own copy, as
// a full dump leaks (upper case, ISO dates, zero-padded codes: every value
// already normal); "reworked" is the same rows after a spreadsheet and a
// leaker (title case with accents, DD/MM/YYYY, leading zeros lost, state
// names, HOMBRE/MUJER).
//
//	go test ./internal/infer -run '^$' -bench Record -benchmem -count 3
func BenchmarkRecord(b *testing.B) {
	schema := register.INE()
	recs := people(5, 1000)
	copyRows := make([][]string, len(recs))
	reworked := make([][]string, len(recs))
	for i, r := range recs {
		copyRows[i] = []string(r)
		row := make([]string, len(r))
		for j, v := range r {
			switch f := schema.Fields[j].Name; f {
			case register.FNacimiento, register.FFechaRegistro:
				y, m, d := register.MustDate(v).YMD()
				v = fmt.Sprintf("%02d/%02d/%04d", d, m, y)
			case register.FSexo:
				v = map[string]string{"H": "HOMBRE", "M": "MUJER"}[v]
			case register.FEntidad:
				e, _ := ident.EntidadByCode(v)
				v = e.Name
			case register.FMunicipio, register.FSeccion, register.FLocalidad, register.FCodigoPostal:
				v = strings.TrimLeft(v, "0")
			case register.FNombre, register.FPaterno, register.FMaterno, register.FCalle, register.FColonia:
				v = strings.NewReplacer("MARIA", "María", "JOSE", "José", "N", "ñ").Replace(title(v))
			}
			row[j] = v
		}
		reworked[i] = row
	}
	// raw: the names' and the address's text left as read (RecordRaw, as
	// an analysis maps rows it only hashes)
	raw := make([]bool, len(schema.Fields))
	for _, f := range []string{register.FNombre, register.FPaterno, register.FMaterno, register.FCalle,
		register.FNumExterior, register.FNumInterior, register.FColonia} {
		raw[schema.Index(f)] = true
	}
	for _, bc := range []struct {
		name string
		rows [][]string
		raw  []bool
	}{{"copy", copyRows, nil}, {"reworked", reworked, nil}, {"copy-raw", copyRows, raw}, {"reworked-raw", reworked, raw}} {
		b.Run(bc.name, func(b *testing.B) {
			m := Infer(schema, nil, bc.rows)
			var rec register.Record
			i := 0
			c0 := cpuTime()
			for b.Loop() {
				rec = m.RecordRaw(bc.rows[i%len(bc.rows)], rec, bc.raw)
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric((cpuTime()-c0)*1e9/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user+system CPU seconds: on a shared machine it
// is steadier than wall time.
func cpuTime() float64 { return cputime.Used().Seconds() }
