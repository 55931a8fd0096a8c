package analysis

import (
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
			Confidence: report.Round6(c.Confidence),
		})
	}
	return out
}

func (m *inferMapping) Columns() []report.Column { return m.columns }

func (m *inferMapping) Record(row []string, dst register.Record) register.Record {
	return m.m.Record(row, dst)
}
