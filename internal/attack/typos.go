package attack

import (
	"math/rand/v2"
	"slices"
	"strings"
)

// TypoRates are the chances, per row, of each typing error Typos injects.
// The defaults (DefaultTypoRates) put at least one error in about a third
// of the rows: hand-typed lists, far heavier than a census's keying errors.
type TypoRates struct {
	Transpose    float64 // two adjacent letters of a name swapped
	Drop         float64 // one letter of a name dropped
	SwapGiven    float64 // "JOSE LUIS" written "LUIS JOSE" (compound given names)
	NoMaterno    float64 // second surname missing
	DayMonthSwap float64 // birth date with day and month swapped (day ≤ 12)
}

// DefaultTypoRates are the rates of the keyless-linkage benchmark.
var DefaultTypoRates = TypoRates{Transpose: 0.15, Drop: 0.15, SwapGiven: 0.10, NoMaterno: 0.10, DayMonthSwap: 0.10}

// TypoCount is what Typos did.
type TypoCount struct {
	Rows, RowsChanged                                      int
	Transposed, Dropped, SwappedGiven, NoMaterno, DayMonth int
}

// Typos injects typing errors into the name and birth-date columns
// (nombre, paterno, materno, fecha_nacimiento, by header name): each error
// independently with its rate, at most one letter error per name field.
func Typos(t *Table, rates TypoRates, r *rand.Rand) (*Table, TypoCount) {
	out := t.shallow()
	cNom, cPat, cMat, cNac := t.Col("nombre"), t.Col("paterno"), t.Col("materno"), t.Col("fecha_nacimiento")
	names := []int{}
	for _, c := range []int{cNom, cPat, cMat} {
		if c >= 0 {
			names = append(names, c)
		}
	}
	var n TypoCount
	n.Rows = len(t.Rows)
	for i, row := range t.Rows {
		nr := slices.Clone(row)
		changed := false
		if len(names) > 0 && r.Float64() < rates.Transpose {
			c := names[r.IntN(len(names))]
			if w, ok := transpose(nr[c], r); ok {
				nr[c], changed = w, true
				n.Transposed++
			}
		}
		if len(names) > 0 && r.Float64() < rates.Drop {
			c := names[r.IntN(len(names))]
			if w, ok := dropLetter(nr[c], r); ok {
				nr[c], changed = w, true
				n.Dropped++
			}
		}
		if cNom >= 0 && r.Float64() < rates.SwapGiven {
			if f := strings.Fields(nr[cNom]); len(f) == 2 {
				nr[cNom], changed = f[1]+" "+f[0], true
				n.SwappedGiven++
			}
		}
		if cMat >= 0 && nr[cMat] != "" && r.Float64() < rates.NoMaterno {
			nr[cMat], changed = "", true
			n.NoMaterno++
		}
		if cNac >= 0 && r.Float64() < rates.DayMonthSwap {
			if v := nr[cNac]; isISODate(v) && v[8:10] <= "12" && v[8:10] != v[5:7] {
				nr[cNac], changed = v[:5]+v[8:10]+"-"+v[5:7], true
				n.DayMonth++
			}
		}
		if changed {
			out.Rows[i] = nr
			n.RowsChanged++
		}
	}
	return out, n
}

// transpose swaps two adjacent, different letters of s.
func transpose(s string, r *rand.Rand) (string, bool) {
	b := []byte(s)
	var at []int
	for i := 0; i+1 < len(b); i++ {
		if isLetter(b[i]) && isLetter(b[i+1]) && b[i] != b[i+1] {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return s, false
	}
	i := at[r.IntN(len(at))]
	b[i], b[i+1] = b[i+1], b[i]
	return string(b), true
}

// dropLetter removes one letter of a word of at least four letters.
func dropLetter(s string, r *rand.Rand) (string, bool) {
	var at []int
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			if i-start >= 4 {
				for j := start + 1; j < i; j++ { // keep the initial
					if isLetter(s[j]) {
						at = append(at, j)
					}
				}
			}
			start = i + 1
		}
	}
	if len(at) == 0 {
		return s, false
	}
	i := at[r.IntN(len(at))]
	return s[:i] + s[i+1:], true
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
