package infer

import (
	"sort"
	"strings"

	"github.com/huella/huella/internal/register"
)

// dateStats is a column's date layout: the order of day, month and year,
// the separator (0 for compact digits), the year's digits, and how many
// values it reads.
type dateStats struct {
	order      string // "YMD", "DMY" or "MDY"
	sep        byte
	yearDigits int
	share      float64
	medianYear int
}

// layout is the human form, e.g. "DD/MM/YYYY".
func (d dateStats) layout() string {
	if d.order == "" {
		return ""
	}
	y := strings.Repeat("Y", d.yearDigits)
	var parts []string
	for _, c := range d.order {
		switch c {
		case 'Y':
			parts = append(parts, y)
		case 'M':
			parts = append(parts, "MM")
		case 'D':
			parts = append(parts, "DD")
		}
	}
	sep := ""
	if d.sep != 0 {
		sep = string(d.sep)
	}
	return strings.Join(parts, sep)
}

// split cuts a date value into its three numbers as written, dropping a
// time after a space or 'T'.
func splitDate(s string) (p [3]string, sep byte, ok bool) {
	if len(s) > 10 {
		if i := strings.IndexAny(s, " T"); i >= 6 {
			s = s[:i]
		}
	}
	if len(s) < 6 || len(s) > 10 {
		return p, 0, false
	}
	k, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '-' || s[i] == '/' || s[i] == '.' {
			if i < len(s) {
				if sep == 0 {
					sep = s[i]
				} else if s[i] != sep {
					return p, 0, false
				}
			}
			if k == 3 || i == start {
				return p, 0, false
			}
			p[k] = s[start:i]
			k++
			start = i + 1
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return p, 0, false
		}
	}
	if k == 3 {
		return p, sep, true
	}
	if k == 1 && sep == 0 { // compact digits: split by order later
		return p, 0, true
	}
	return p, 0, false
}

// ymd reads a split date in an order; pivot: a two-digit year yy ≤ pivot
// is 20yy, else 19yy.
func ymd(p [3]string, sep byte, order string, pivot int) (y, m, d, ydig int, ok bool) {
	if sep == 0 {
		s := p[0]
		var q [3]string
		switch {
		case len(s) == 8 && order == "YMD":
			q = [3]string{s[:4], s[4:6], s[6:]}
		case len(s) == 8:
			q = [3]string{s[:2], s[2:4], s[4:]}
		case len(s) == 6 && order == "YMD":
			q = [3]string{s[:2], s[2:4], s[4:]}
		case len(s) == 6:
			q = [3]string{s[:2], s[2:4], s[4:]}
		default:
			return 0, 0, 0, 0, false
		}
		p = q
	}
	var ys, ms, ds string
	for i, c := range order {
		switch c {
		case 'Y':
			ys = p[i]
		case 'M':
			ms = p[i]
		case 'D':
			ds = p[i]
		}
	}
	if len(ms) > 2 || len(ds) > 2 || (len(ys) != 4 && len(ys) != 2) {
		return 0, 0, 0, 0, false
	}
	y, m, d = atoi(ys), atoi(ms), atoi(ds)
	ydig = len(ys)
	if ydig == 2 {
		if y <= pivot {
			y += 2000
		} else {
			y += 1900
		}
	}
	if y < 1900 || y > 2035 || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, 0, 0, false
	}
	if _, err := register.DateOf(y, m, d); err != nil {
		return 0, 0, 0, 0, false
	}
	return y, m, d, ydig, true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// bestDateLayout finds the order under which most values read as dates;
// day-first wins a tie with month-first (the Mexican habit), and
// month-first is taken only when values say so (a first part over 12).
func bestDateLayout(v []string) dateStats {
	var best dateStats
	for _, order := range []string{"YMD", "DMY", "MDY"} {
		ok, ydig := 0, 0
		var sep byte
		var years []int
		for _, s := range v {
			p, sp, good := splitDate(s)
			if !good {
				continue
			}
			y, _, _, yd, good := ymd(p, sp, order, 30)
			if !good {
				continue
			}
			ok++
			sep, ydig = sp, yd
			if len(years) < 2000 {
				years = append(years, y)
			}
		}
		share := float64(ok) / float64(len(v))
		if share > best.share+1e-9 {
			sort.Ints(years)
			best = dateStats{order: order, sep: sep, yearDigits: ydig, share: share, medianYear: years[len(years)/2]}
		}
	}
	return best
}

// parse reads a value of the column as an ISO date.
func (d dateStats) parse(s string, pivot int) (string, bool) {
	if d.order == "" {
		return "", false
	}
	p, sep, ok := splitDate(s)
	if !ok {
		return "", false
	}
	y, m, day, _, ok := ymd(p, sep, d.order, pivot)
	if !ok {
		return "", false
	}
	b := []byte("0000-00-00")
	put := func(i, v, n int) {
		for k := n - 1; k >= 0; k-- {
			b[i+k] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	put(5, m, 2)
	put(8, day, 2)
	if string(b) == s { // already ISO: no copy
		return s, true
	}
	return string(b), true
}
