// Package attack is the attack suite: what leakers do to a fingerprinted
// copy before it is posted, as transformations of an in-memory table, and
// the file formats a leak is written in. Package benchacc applies them to
// released copies and measures how the analysis fares.
//
// # Tables
//
// A Table is a header and rows of strings, as a released CSV copy reads.
// Every transformation returns a new Table and never modifies its input
// (rows are copied when a value changes), so one copy is attacked many
// times. Randomness comes only from the *rand.Rand passed in: the same seed
// gives the same leak.
//
// # The suite (DESIGN.md, "What leakers do to a copy")
//
//	Sample          n rows drawn without replacement, file order kept
//	KeepColumns     columns dropped, down to the named ones
//	ShuffleRows     rows in random order (erases the keyed row order)
//	ShuffleColumns  columns in random order
//	RenameHeaders   headers as a seller would write them ("CLAVE ELECTOR", ...)
//	DropHeader      no header row (Table.NoHeader)
//	Upper, Lower    letter case
//	StripAccents    Á→A ... and Ñ→N
//	ReformatDates   YYYY-MM-DD written DD/MM/YYYY
//	PadSpaces       spaces doubled, values padded with a space each side
//	CollapseSpaces  values trimmed, runs of spaces to one
//	Dedup           duplicate rows removed
//	SortBy          rows sorted by a column (erases the keyed row order)
//	Expand          every address abbreviation written long (addr.Canonical)
//	Abbreviate      every address long form written as its first abbreviation
//	Append          rows of another register added, shuffled in
//	MixRows         collusion: each row taken from one of several copies
//	MixFields       collusion: each field of a row taken from one of several copies
//	Typos           keyless-linkage errors: transposed and dropped letters,
//	                swapped given names, missing second surname, day/month
//	                swapped
//
// Address abbreviation marks are erased by Expand and Abbreviate, the keyed
// order by ShuffleRows and SortBy; canaries survive every attack that keeps
// enough rows. Write renders a Table as csv, csv-latin1, json, jsonl, sql or
// xlsx.
//
// # Example
//
//	leak := attack.Upper(attack.Sample(copy, 1000, r))
//	err := attack.WriteFile("leak.csv", leak, attack.CSV)
package attack

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"

	"github.com/huella/huella/internal/addr"
	"golang.org/x/text/unicode/norm"
)

// Table is a leaked table in memory.
type Table struct {
	Header   []string
	Rows     [][]string
	NoHeader bool // written without its header row
}

// Col is the index of the column named name, or -1.
func (t *Table) Col(name string) int { return slices.Index(t.Header, name) }

func (t *Table) shallow() *Table {
	return &Table{Header: slices.Clone(t.Header), Rows: slices.Clone(t.Rows), NoHeader: t.NoHeader}
}

// Sample draws n rows without replacement, keeping their order in the file.
// n ≥ len(rows) keeps every row.
func Sample(t *Table, n int, r *rand.Rand) *Table {
	out := t.shallow()
	if n >= len(t.Rows) {
		return out
	}
	idx := r.Perm(len(t.Rows))[:n]
	slices.Sort(idx)
	out.Rows = make([][]string, n)
	for i, j := range idx {
		out.Rows[i] = t.Rows[j]
	}
	return out
}

// KeepColumns keeps the named columns, in the order given; names the table
// lacks are skipped.
func KeepColumns(t *Table, names ...string) *Table {
	var cols []int
	for _, n := range names {
		if i := t.Col(n); i >= 0 {
			cols = append(cols, i)
		}
	}
	return project(t, cols)
}

func project(t *Table, cols []int) *Table {
	out := &Table{NoHeader: t.NoHeader, Header: make([]string, len(cols)), Rows: make([][]string, len(t.Rows))}
	for i, c := range cols {
		out.Header[i] = t.Header[c]
	}
	for r, row := range t.Rows {
		nr := make([]string, len(cols))
		for i, c := range cols {
			nr[i] = row[c]
		}
		out.Rows[r] = nr
	}
	return out
}

// ShuffleRows puts the rows in random order.
func ShuffleRows(t *Table, r *rand.Rand) *Table {
	out := t.shallow()
	r.Shuffle(len(out.Rows), func(i, j int) { out.Rows[i], out.Rows[j] = out.Rows[j], out.Rows[i] })
	return out
}

// ShuffleColumns puts the columns in random order.
func ShuffleColumns(t *Table, r *rand.Rand) *Table {
	return project(t, r.Perm(len(t.Header)))
}

// SellerHeaders are the headers a seller writes instead of the field names.
var SellerHeaders = map[string]string{
	"clave_elector": "CLAVE ELECTOR", "curp": "CURP", "nombre": "NOMBRE(S)", "paterno": "AP PATERNO",
	"materno": "AP MATERNO", "fecha_nacimiento": "FECHA NAC", "sexo": "GENERO", "entidad": "EDO",
	"municipio": "MPIO", "seccion": "SECC", "localidad": "LOC", "calle": "DOMICILIO",
	"num_exterior": "NO EXT", "num_interior": "NO INT", "colonia": "COL", "codigo_postal": "C.P.",
	"fecha_registro": "ALTA", "emision": "EMISION", "cic": "CIC", "ocr": "OCR",
}

// RenameHeaders renames the columns as a seller would (SellerHeaders), or
// to COLn when the name is unknown.
func RenameHeaders(t *Table) *Table {
	out := t.shallow()
	for i, h := range out.Header {
		if nh, ok := SellerHeaders[h]; ok {
			out.Header[i] = nh
		} else {
			out.Header[i] = "COL" + strings.Repeat("I", i+1)
		}
	}
	return out
}

// DropHeader writes the table without its header row.
func DropHeader(t *Table) *Table {
	out := t.shallow()
	out.NoHeader = true
	return out
}

// mapValues applies f to every value.
func mapValues(t *Table, f func(string) string) *Table {
	out := t.shallow()
	for i, row := range out.Rows {
		var nr []string
		for j, v := range row {
			if w := f(v); w != v {
				if nr == nil {
					nr = slices.Clone(row)
				}
				nr[j] = w
			}
		}
		if nr != nil {
			out.Rows[i] = nr
		}
	}
	return out
}

// Upper upper-cases every value.
func Upper(t *Table) *Table { return mapValues(t, strings.ToUpper) }

// Lower lower-cases every value.
func Lower(t *Table) *Table { return mapValues(t, strings.ToLower) }

// StripAccents removes diacritics (Ñ becomes N).
func StripAccents(t *Table) *Table { return mapValues(t, stripAccents) }

func stripAccents(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	d := norm.NFD.String(s)
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, d)
}

// ReformatDates writes every YYYY-MM-DD value as DD/MM/YYYY.
func ReformatDates(t *Table) *Table {
	return mapValues(t, func(v string) string {
		if isISODate(v) {
			return v[8:10] + "/" + v[5:7] + "/" + v[0:4]
		}
		return v
	})
}

func isISODate(v string) bool {
	if len(v) != 10 || v[4] != '-' || v[7] != '-' {
		return false
	}
	for i, c := range []byte(v) {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// CollapseSpaces trims values and collapses runs of spaces to one.
func CollapseSpaces(t *Table) *Table {
	return mapValues(t, func(v string) string { return strings.Join(strings.Fields(v), " ") })
}

// PadSpaces doubles every space and pads values with spaces: what careless
// exports do, and what CollapseSpaces undoes.
func PadSpaces(t *Table) *Table {
	return mapValues(t, func(v string) string {
		if v == "" {
			return v
		}
		return " " + strings.ReplaceAll(v, " ", "  ") + " "
	})
}

// Dedup removes rows equal to an earlier row.
func Dedup(t *Table) *Table {
	out := t.shallow()
	seen := make(map[string]bool, len(t.Rows))
	out.Rows = out.Rows[:0:0]
	for _, row := range t.Rows {
		k := strings.Join(row, "\x00")
		if seen[k] {
			continue
		}
		seen[k] = true
		out.Rows = append(out.Rows, row)
	}
	return out
}

// SortBy sorts the rows by the named column, then by the whole row.
func SortBy(t *Table, col string) *Table {
	out := t.shallow()
	c := t.Col(col)
	slices.SortStableFunc(out.Rows, func(a, b []string) int {
		if c >= 0 {
			if x := cmp.Compare(a[c], b[c]); x != 0 {
				return x
			}
		}
		return slices.Compare(a, b)
	})
	return out
}

// addressColumns are the columns whose abbreviations carry marks.
var addressColumns = []string{"calle", "num_exterior", "num_interior", "colonia"}

// Expand writes every address abbreviation long (addr.Canonical) in the
// address columns.
func Expand(t *Table) *Table { return mapColumns(t, addressColumns, addr.Canonical) }

// Abbreviate writes every address slot as its class's first abbreviation.
func Abbreviate(t *Table) *Table {
	return mapColumns(t, addressColumns, func(v string) string {
		s := addr.Normal(v)
		slots := addr.Forms(s)
		if len(slots) == 0 {
			return v
		}
		spell := make([]int, len(slots))
		for i, sl := range slots {
			spell[i] = firstOfGroup(sl.Class, 1)
		}
		return addr.Set(s, slots, spell)
	})
}

func firstOfGroup(class, group int) int {
	for i := range addr.SpellingCount(class) {
		if g, _ := addr.Spelling(class, i); g == group {
			return i
		}
	}
	return 0
}

func mapColumns(t *Table, names []string, f func(string) string) *Table {
	var cols []int
	for _, n := range names {
		if i := t.Col(n); i >= 0 {
			cols = append(cols, i)
		}
	}
	out := t.shallow()
	for i, row := range out.Rows {
		var nr []string
		for _, c := range cols {
			if w := f(row[c]); w != row[c] {
				if nr == nil {
					nr = slices.Clone(row)
				}
				nr[c] = w
			}
		}
		if nr != nil {
			out.Rows[i] = nr
		}
	}
	return out
}

// Append adds round(frac·rows) rows of other (columns matched by name,
// missing ones empty) at random places, the table's own rows keeping their
// order.
func Append(t, other *Table, frac float64, r *rand.Rand) *Table {
	k := int(frac*float64(len(t.Rows)) + 0.5)
	add := ShuffleRows(Sample(other, k, r), r)
	cols := make([]int, len(t.Header))
	for i, h := range t.Header {
		cols[i] = other.Col(h)
	}
	out := t.shallow()
	out.Rows = make([][]string, 0, len(t.Rows)+len(add.Rows))
	own, extra := t.Rows, add.Rows
	for len(own)+len(extra) > 0 {
		// A random merge: the next row is foreign with probability
		// proportional to the foreign rows left.
		if len(extra) > 0 && r.IntN(len(own)+len(extra)) < len(extra) {
			nr := make([]string, len(cols))
			for i, c := range cols {
				if c >= 0 {
					nr[i] = extra[0][c]
				}
			}
			out.Rows = append(out.Rows, nr)
			extra = extra[1:]
			continue
		}
		out.Rows = append(out.Rows, own[0])
		own = own[1:]
	}
	return out
}

// MixRows is the row-wise collusion of copies (same header, same people):
// n people drawn from the first copy, in its order, each row taken whole from
// a random copy that holds the person (matched on column key, e.g. the
// CURP). Rows of the first copy no other copy holds (its canaries) stay.
func MixRows(copies []*Table, key string, n int, r *rand.Rand) *Table {
	return mix(copies, key, n, r, false)
}

// MixFields is the field-wise collusion: like MixRows, but each field of a
// row is taken from a random copy.
func MixFields(copies []*Table, key string, n int, r *rand.Rand) *Table {
	return mix(copies, key, n, r, true)
}

func mix(copies []*Table, key string, n int, r *rand.Rand, fieldwise bool) *Table {
	base := Sample(copies[0], n, r)
	idx := make([]map[string][]string, len(copies))
	for i, c := range copies {
		k := c.Col(key)
		idx[i] = make(map[string][]string, len(c.Rows))
		for _, row := range c.Rows {
			if k >= 0 {
				idx[i][row[k]] = row
			}
		}
	}
	k := copies[0].Col(key)
	out := base.shallow()
	var have [][]string
	for ri, row := range base.Rows {
		have = append(have[:0], row)
		for i := 1; i < len(copies); i++ {
			if o, ok := idx[i][row[k]]; ok && len(o) == len(row) {
				have = append(have, o)
			}
		}
		if !fieldwise {
			out.Rows[ri] = have[r.IntN(len(have))]
			continue
		}
		nr := make([]string, len(row))
		for j := range nr {
			nr[j] = have[r.IntN(len(have))][j]
		}
		out.Rows[ri] = nr
	}
	return out
}
