package analysis

import (
	"strings"

	"github.com/huella/huella/internal/infer"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/report"
)

func init() { newMapping = InferMapping }

// inferMapping is package infer's mapping of a leak's columns.
type inferMapping struct {
	columns []report.Column
	m       *infer.Mapping
}

// InferMapping maps a leak's columns to register fields from their content
// (package infer).
func InferMapping(schema *register.Schema, header []string, sample [][]string) Mapping {
	m := infer.Infer(schema, header, sample)
	out := &inferMapping{m: m, columns: []report.Column{}}
	for _, c := range m.Columns {
		out.columns = append(out.columns, report.Column{
			Index: c.Index, Header: c.Header, Field: c.Field, Extra: c.Extra,
			Fields: fieldsOfLayout(c.Layout), Confidence: report.Round6(c.Confidence),
		})
	}
	return out
}

// fieldsOfLayout lists the fields a column of full names or of both
// surnames fills (its layout "full:nombre,paterno,materno", "full:paterno,materno"
// ...), nil for any other column.
func fieldsOfLayout(layout string) []string {
	parts, ok := strings.CutPrefix(layout, "full:")
	if !ok {
		return nil
	}
	var fields []string
	for _, p := range strings.Split(parts, ",") {
		switch p {
		case "nombre":
			fields = append(fields, register.FNombre)
		case "paterno":
			fields = append(fields, register.FPaterno)
		case "materno":
			fields = append(fields, register.FMaterno)
		}
	}
	return fields
}

func (m *inferMapping) Columns() []report.Column { return m.columns }

func (m *inferMapping) Record(row []string, dst register.Record) register.Record {
	return m.m.Record(row, dst)
}

// rawMap is Record with the text that comparison normalises anyway left as
// read (Leak.MapHash).
func (m *inferMapping) rawMap(schema *register.Schema) func(row []string, dst register.Record) register.Record {
	cmp := newComparer(schema)
	raw := make([]bool, len(schema.Fields))
	for f, k := range cmp.kind {
		raw[f] = k == cmpText || k == cmpAddr
	}
	return func(row []string, dst register.Record) register.Record { return m.m.RecordRaw(row, dst, raw) }
}
