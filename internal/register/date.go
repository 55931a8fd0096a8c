package register

import (
	"fmt"
	"time"
)

// Date is a calendar day, counted in days since 1970-01-01 (UTC). The zero
// value is 1970-01-01; use NoDate for "absent" (an open validity interval).
// Days are the unit of every instant in huella: a corte, a validity bound and
// a release's as-of are all days.
type Date int32

// NoDate marks an absent date, e.g. the open end of a version still valid.
const NoDate Date = 1<<31 - 1

// ParseDate reads an ISO YYYY-MM-DD date.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, fmt.Errorf("date %q: expected YYYY-MM-DD", s)
	}
	y, ok1 := atoi(s[0:4])
	m, ok2 := atoi(s[5:7])
	d, ok3 := atoi(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, fmt.Errorf("date %q: expected YYYY-MM-DD", s)
	}
	return DateOf(y, m, d)
}

// DateOf is the Date of year y, month m (1-12), day d; it rejects impossible days.
func DateOf(y, m, d int) (Date, error) {
	if m < 1 || m > 12 || d < 1 || d > 31 || y < 1800 || y > 2200 {
		return 0, fmt.Errorf("date %04d-%02d-%02d: out of range", y, m, d)
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return 0, fmt.Errorf("date %04d-%02d-%02d: no such day", y, m, d)
	}
	return Date(t.Unix() / 86400), nil
}

// MustDate is ParseDate for constants in code and tests.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Time is the instant 00:00 UTC of the day.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// YMD splits the date into year, month and day, by Hinnant's days-to-civil
// algorithm (no time.Time: it runs in inner loops of synth and linkage).
func (d Date) YMD() (y, m, day int) {
	z := int(d) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, day
}

// String is the ISO form, or "" for NoDate.
func (d Date) String() string {
	if d == NoDate {
		return ""
	}
	y, m, day := d.YMD()
	var b [10]byte
	put := func(i, v, n int) {
		for k := n - 1; k >= 0; k-- {
			b[i+k] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, m, 2)
	b[7] = '-'
	put(8, day, 2)
	return string(b[:])
}

// AddMonths moves the date by n calendar months (day clamped to the month's end).
func (d Date) AddMonths(n int) Date {
	y, m, day := d.YMD()
	t := time.Date(y, time.Month(m)+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := t.AddDate(0, 1, -1).Day()
	if day > last {
		day = last
	}
	return Date(time.Date(t.Year(), t.Month(), day, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func atoi(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}
