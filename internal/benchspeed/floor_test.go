package benchspeed

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSplitFields(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"", []string{""}},
		{"a", []string{"a"}},
		{"a,b,c", []string{"a", "b", "c"}},
		{",,", []string{"", "", ""}},
		{`"a,b",c`, []string{`"a,b"`, "c"}},
		{`"say ""hi"", ok",x`, []string{`"say ""hi"", ok"`, "x"}},
		{`x,"",y`, []string{"x", `""`, "y"}},
		{`"unterminated,a`, []string{`"unterminated,a`}},
		{"a,b\r", []string{"a", "b\r"}},
	} {
		t.Run(tc.line, func(t *testing.T) {
			ends := SplitFields([]byte(tc.line), nil)
			var got []string
			start := 0
			for _, e := range ends {
				got = append(got, tc.line[start:e])
				start = e + 1
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("SplitFields(%q) = %q, want %q", tc.line, got, tc.want)
			}
		})
	}
}

// FuzzSplitFields checks the floor splitter against encoding/csv on every
// line encoding/csv accepts as one record without line ends.
func FuzzSplitFields(f *testing.F) {
	for _, s := range []string{"a,b,c", `"a,b",c`, `"a""b",,`, "", `x,"y"`, "ÁÉ,Ñ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\r\n") {
			return
		}
		r := csv.NewReader(strings.NewReader(line + "\n"))
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		if err != nil || len(recs) != 1 {
			return
		}
		if n := len(SplitFields([]byte(line), nil)); n != len(recs[0]) {
			t.Errorf("SplitFields(%q): %d fields, encoding/csv %d", line, n, len(recs[0]))
		}
	})
}

func TestParseFloor(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		rows    int
		workers int
		trail   bool // last line ends with "\n"
	}{
		{"empty body", 0, 2, true},
		{"one row", 1, 1, true},
		{"no final newline", 10, 2, false},
		{"many blocks", 150_000, 2, true},
		{"many blocks, 3 workers", 150_000, 3, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			b.WriteString("curp,nombre,calle\n")
			for i := range tc.rows {
				fmt.Fprintf(&b, "CURP%014d,\"NOMBRE, %d\",CALLE \"\"%d\"\"", i, i, i%7)
				if i < tc.rows-1 || tc.trail {
					b.WriteByte('\n')
				}
			}
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".csv")
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			st, err := ParseFloor(context.Background(), path, tc.workers)
			if err != nil {
				t.Fatal(err)
			}
			if st.Rows != int64(tc.rows) || st.Fields != 3*int64(tc.rows) || st.Bytes != int64(b.Len()) {
				t.Errorf("got %+v, want %d rows, %d fields, %d bytes", st, tc.rows, 3*tc.rows, b.Len())
			}
		})
	}
	if _, err := ParseFloor(context.Background(), filepath.Join(dir, "missing.csv"), 1); err == nil {
		t.Error("missing file: no error")
	}
}
