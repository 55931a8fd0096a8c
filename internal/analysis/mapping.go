package analysis

import (
	"context"
	"strings"

	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/report"
	"github.com/huella/huella/internal/store"
)

// Mapping maps a leak's columns to register fields (package infer makes
// the real one, from content).
type Mapping interface {
	Columns() []report.Column
	// Record fills dst (schema order, "" where absent) from one row. It is
	// safe for concurrent use.
	Record(row []string, dst register.Record) register.Record
}

// newMapping, newAttributor and newStoreLinker are package infer's,
// package fingerprint's and package linkage's, set by infer.go,
// attribute.go and linker.go; without them a mapping by header names, no
// attribution and no probabilistic linkage.
var (
	newStoreLinker = func(ctx context.Context, st *store.Store, schema *register.Schema) (Linker, error) {
		return noLinker{}, nil
	}
	newMapping    = HeaderMapping
	newAttributor = func(key []byte, schema *register.Schema, taken func(curp, clave string) bool) Attributor { return nil }
)

// headerMapping maps columns whose header is a field's name.
type headerMapping struct {
	cols   []report.Column
	fields []int // per column: schema index or -1
}

// HeaderMapping maps the columns whose header (normalised, spaces as
// underscores) names a register field; values are normalised with
// ident.Normalize. It is the fallback when content inference is not
// available.
func HeaderMapping(schema *register.Schema, header []string, sample [][]string) Mapping {
	m := &headerMapping{cols: []report.Column{}}
	for i, h := range header {
		name := strings.ToLower(strings.ReplaceAll(ident.Normalize(h), " ", "_"))
		f := schema.Index(name)
		m.fields = append(m.fields, f)
		c := report.Column{Index: i, Header: h}
		if f >= 0 {
			c.Field, c.Confidence = name, 1
		}
		m.cols = append(m.cols, c)
	}
	return m
}

func (m *headerMapping) Columns() []report.Column { return m.cols }

func (m *headerMapping) Record(row []string, dst register.Record) register.Record {
	for i := range dst {
		dst[i] = ""
	}
	for i, v := range row {
		if i < len(m.fields) && m.fields[i] >= 0 && m.fields[i] < len(dst) {
			dst[m.fields[i]] = ident.Normalize(v)
		}
	}
	return dst
}

// noLinker links nothing: the fallback without package linkage.
type noLinker struct{}

func (noLinker) LinkAll(recs []register.Record) []Link { return make([]Link, len(recs)) }
