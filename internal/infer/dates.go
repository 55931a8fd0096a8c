package infer

import (
	"sort"
	"strings"
	"sync"
)

// dateStats is a column's date layout: the order of day, month and year,
// the separator (0 for compact digits), the year's digits, and how many
// values it reads.
type dateStats struct {
	order      string    // "YMD", "DMY" or "MDY"
	ord        dateOrder // the same, as positions, computed once
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

// dateOrder is where year, month and day stand among the three parts of
// a date: "DMY" is {y: 2, m: 1, d: 0}.
type dateOrder struct{ y, m, d int8 }

var orderYMD = dateOrder{0, 1, 2}

func orderOf(order string) dateOrder {
	var o dateOrder
	for i, c := range order {
		switch c {
		case 'Y':
			o.y = int8(i)
		case 'M':
			o.m = int8(i)
		case 'D':
			o.d = int8(i)
		}
	}
	return o
}

// Byte classes of date values.
const (
	dateOther = iota
	dateDigit
	dateSep // - / .
)

var dateClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = dateDigit
	}
	t['-'], t['/'], t['.'] = dateSep, dateSep, dateSep
	return t
}()

// splitDate cuts a date value into its three numbers as written, dropping
// a time after a space or 'T'.
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
	for i := 0; i < len(s); i++ {
		switch dateClass[s[i]] {
		case dateDigit:
			continue
		case dateOther:
			return p, 0, false
		}
		if sep == 0 {
			sep = s[i]
		} else if s[i] != sep {
			return p, 0, false
		}
		if k == 2 || i == start {
			return p, 0, false
		}
		p[k] = s[start:i]
		k++
		start = i + 1
	}
	if start == len(s) {
		return p, 0, false
	}
	p[k] = s[start:]
	k++
	if k == 3 {
		return p, sep, true
	}
	if k == 1 { // compact digits: split by order later
		return p, 0, true
	}
	return p, 0, false
}

// ymd reads a split date in an order; pivot: a two-digit year yy ≤ pivot
// is 20yy, else 19yy.
func ymd(p [3]string, sep byte, order dateOrder, pivot int) (y, m, d, ydig int, ok bool) {
	if sep == 0 {
		s := p[0]
		switch {
		case len(s) == 8 && order == orderYMD:
			p = [3]string{s[:4], s[4:6], s[6:]}
		case len(s) == 8, len(s) == 6:
			p = [3]string{s[:2], s[2:4], s[4:]}
		default:
			return 0, 0, 0, 0, false
		}
	}
	ys, ms, ds := p[order.y], p[order.m], p[order.d]
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
	if y < firstYear || y > lastYear || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, 0, 0, 0, false
	}
	return y, m, d, ydig, true
}

// The years a date value may have.
const firstYear, lastYear = 1900, 2035

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// isoDates holds every day from firstYear to lastYear in ISO form, back to
// back, and where each month starts in it: a parsed date is a substring of
// it, so converting a date allocates nothing.
var isoDates = sync.OnceValue(func() *isoTable {
	t := &isoTable{}
	b := make([]byte, 0, (lastYear-firstYear+1)*366*10)
	for y := firstYear; y <= lastYear; y++ {
		for m := 1; m <= 12; m++ {
			t.month[y-firstYear][m] = int32(len(b))
			for d := 1; d <= daysIn(y, m); d++ {
				b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
					byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
			}
		}
	}
	t.text = string(b)
	return t
})

type isoTable struct {
	text  string
	month [lastYear - firstYear + 1][13]int32
}

// isoDate is "YYYY-MM-DD" for a date ymd accepted.
func isoDate(y, m, d int) string {
	t := isoDates()
	i := int(t.month[y-firstYear][m]) + (d-1)*10
	return t.text[i : i+10]
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
		ord := orderOf(order)
		ok, ydig := 0, 0
		var sep byte
		var years []int
		for _, s := range v {
			p, sp, good := splitDate(s)
			if !good {
				continue
			}
			y, _, _, yd, good := ymd(p, sp, ord, 30)
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
			best = dateStats{order: order, ord: ord, sep: sep, yearDigits: ydig, share: share, medianYear: years[len(years)/2]}
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
	y, m, day, _, ok := ymd(p, sep, d.ord, pivot)
	if !ok {
		return "", false
	}
	return isoDate(y, m, day), true
}
