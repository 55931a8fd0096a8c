package benchacc

import (
	"math/rand/v2"

	"github.com/huella/huella/internal/attack"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/report"
)

// Kind is who made a leak.
type Kind int

// The kinds of leak.
const (
	Single    Kind = iota // one recipient's copy
	Collude2              // two recipients' copies mixed
	Collude3              // three recipients' copies mixed
	NotOurs               // another register entirely
	MixedCuts             // two recipients' copies of different cuts mixed
)

// Attack is one row group of the table: what is done to the copy.
type Attack struct {
	Name   string
	Kind   Kind
	Format attack.Format
	// Carrier is false when the attack leaves no fingerprint carrier but
	// the rare canary (the 99% target does not apply).
	Carrier bool
	// Expect is the right verdict: ours, partial or not_ours.
	Expect string
	// Apply attacks the leaked rows (already sampled, or mixed for
	// collusion); other is another register's table at the same cut.
	Apply func(t *attack.Table, other *attack.Table, r *rand.Rand) *attack.Table
	// Mix, for collusion, mixes the copies into n rows.
	Mix func(copies []*attack.Table, n int, r *rand.Rand) *attack.Table
}

func same(t, _ *attack.Table, _ *rand.Rand) *attack.Table { return t }

// Suite is the attack suite of DESIGN.md.
func Suite() []Attack {
	ours := func(name string, f attack.Format, apply func(t, o *attack.Table, r *rand.Rand) *attack.Table) Attack {
		return Attack{Name: name, Kind: Single, Format: f, Carrier: true, Expect: report.Ours, Apply: apply}
	}
	t1 := func(f func(*attack.Table) *attack.Table) func(t, o *attack.Table, r *rand.Rand) *attack.Table {
		return func(t, _ *attack.Table, _ *rand.Rand) *attack.Table { return f(t) }
	}
	tr := func(f func(*attack.Table, *rand.Rand) *attack.Table) func(t, o *attack.Table, r *rand.Rand) *attack.Table {
		return func(t, _ *attack.Table, r *rand.Rand) *attack.Table { return f(t, r) }
	}
	s := []Attack{
		ours("as released", attack.CSV, same),
		ours("3 columns: curp, nombre, calle", attack.CSV, t1(func(t *attack.Table) *attack.Table {
			return attack.KeepColumns(t, register.FCURP, register.FNombre, register.FCalle)
		})),
		ours("3 columns: curp, paterno, seccion", attack.CSV, t1(func(t *attack.Table) *attack.Table {
			return attack.KeepColumns(t, register.FCURP, register.FPaterno, register.FSeccion)
		})),
		// What parties receive since 2016: names and sección, no key, no
		// entidad, no address (the workspace's "partido" profile).
		ours("partido fields: names, seccion", attack.CSV, t1(func(t *attack.Table) *attack.Table {
			return attack.KeepColumns(t, register.FNombre, register.FPaterno, register.FMaterno, register.FSeccion)
		})),
		ours("rows shuffled", attack.CSV, tr(attack.ShuffleRows)),
		ours("columns shuffled", attack.CSV, tr(attack.ShuffleColumns)),
		ours("headers renamed", attack.CSV, t1(attack.RenameHeaders)),
		ours("header dropped", attack.CSV, t1(attack.DropHeader)),
		ours("upper case", attack.CSV, t1(attack.Upper)),
		ours("lower case", attack.CSV, t1(attack.Lower)),
		ours("accents stripped", attack.CSV, t1(attack.StripAccents)),
		ours("dates re-formatted", attack.CSV, t1(attack.ReformatDates)),
		ours("spaces doubled and padded", attack.CSV, t1(attack.PadSpaces)),
		ours("spaces collapsed", attack.CSV, t1(func(t *attack.Table) *attack.Table { return attack.CollapseSpaces(attack.PadSpaces(t)) })),
		ours("JSON", attack.JSON, same),
		ours("SQL", attack.SQL, same),
		ours("XLSX", attack.XLSX, same),
		ours("Latin-1", attack.CSVLatin1, same),
		ours("de-duplicated", attack.CSV, t1(attack.Dedup)),
		ours("sorted by paterno", attack.CSV, t1(func(t *attack.Table) *attack.Table { return attack.SortBy(t, register.FPaterno) })),
		ours("abbreviations expanded", attack.CSV, t1(attack.Expand)),
		ours("abbreviations canonicalised", attack.CSV, t1(attack.Abbreviate)),
		ours("seller: renamed, lower, no accents, dates", attack.CSV, t1(func(t *attack.Table) *attack.Table {
			return attack.ReformatDates(attack.StripAccents(attack.Lower(attack.RenameHeaders(t))))
		})),
		{Name: "shuffled + abbreviations expanded", Kind: Single, Format: attack.CSV, Carrier: false, Expect: report.Ours,
			Apply: func(t, _ *attack.Table, r *rand.Rand) *attack.Table { return attack.Expand(attack.ShuffleRows(t, r)) }},
		{Name: "partial: 30% rows appended from another register", Kind: Single, Format: attack.CSV, Carrier: true, Expect: report.Partial,
			Apply: func(t, o *attack.Table, r *rand.Rand) *attack.Table { return attack.Append(t, o, 0.3, r) }},
		{Name: "partial: half from another register", Kind: Single, Format: attack.CSV, Carrier: true, Expect: report.Partial,
			Apply: func(t, o *attack.Table, r *rand.Rand) *attack.Table { return attack.Append(t, o, 1, r) }},
		{Name: "not ours: another register", Kind: NotOurs, Format: attack.CSV, Expect: report.NotOurs, Apply: same},
	}
	for _, k := range []Kind{Collude2, Collude3} {
		n := 2
		if k == Collude3 {
			n = 3
		}
		s = append(s,
			Attack{Name: itoa(n) + " copies mixed row-wise", Kind: k, Format: attack.CSV, Carrier: true, Expect: report.Ours, Apply: same,
				Mix: func(c []*attack.Table, rows int, r *rand.Rand) *attack.Table {
					return attack.MixRows(c, register.FCURP, rows, r)
				}},
			Attack{Name: itoa(n) + " copies mixed field-wise", Kind: k, Format: attack.CSV, Carrier: true, Expect: report.Ours, Apply: same,
				Mix: func(c []*attack.Table, rows int, r *rand.Rand) *attack.Table {
					return attack.MixFields(c, register.FCURP, rows, r)
				}})
	}
	// A copy brought up to date with a later one (or a later one with the
	// people it lost put back): each person's row from one of two copies of
	// different cuts. The file must be dated at the cuts, not between.
	s = append(s, Attack{Name: "2 cuts mixed row-wise", Kind: MixedCuts, Format: attack.CSV, Carrier: true, Expect: report.Ours, Apply: same,
		Mix: func(c []*attack.Table, rows int, r *rand.Rand) *attack.Table {
			return attack.MixRows(c, register.FCURP, rows, r)
		}})
	return s
}

func itoa(n int) string { return string(rune('0' + n)) }
