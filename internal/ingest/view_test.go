package ingest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// viewTable is a synthetic table with everything the delimited reader
// treats specially: quoted fields with delimiters, doubled quotes and line
// breaks, CRLF, rows of another width, trailing empty fields, blank lines,
// Windows-1252 lines in a UTF-8 file, NUL bytes, overlong lines. It is
// large enough (≈700 KiB) for rows to span the 256 KiB read buffer and
// the parse-ahead batches.
func viewTable(rows int) []byte {
	rng := rand.New(rand.NewPCG(7, 11))
	var b bytes.Buffer
	b.WriteString("CURP,NOMBRE,PATERNO,MATERNO,SECCION,CALLE\n")
	for i := 0; i < rows; i++ {
		name := []string{"PRUEBA", "MUESTRA", "EJEMPLO", "ÑANDÚ"}[rng.IntN(4)]
		calle := fmt.Sprintf("CALLE %d", rng.IntN(900))
		switch rng.IntN(40) {
		case 0:
			calle = fmt.Sprintf("\"CALLE %d, INT \"\"B\"\"\"", i)
		case 1:
			calle = fmt.Sprintf("\"CALLE %d\nENTRE CALLES\r\nX Y Z\"", i)
		case 2:
			b.WriteString("SOLO,TRES,CAMPOS\n")
		case 3:
			b.WriteString("\n")
		case 4:
			name = "\xd1AND\xda" // Windows-1252 in a UTF-8 file
		case 5:
			b.WriteString("BIN\x00ARIO,1,2,3,4,5\n")
		case 6:
			b.WriteString(strings.Repeat("LARGA", 1000) + "\n")
		case 7:
			calle += "," // a trailing empty field
		case 8:
			calle = "\"ABIERTA" // closed two rows later, inside the limits
		}
		eol := "\n"
		if i%7 == 0 {
			eol = "\r\n"
		}
		fmt.Fprintf(&b, "PEGL%06dMJCRMS08,%s,UNO,DOS,%04d,%s%s", i, name, rng.IntN(5000), calle, eol)
	}
	return b.Bytes()
}

// readAllVia reads every row of the file at p, taking rows with next
// (Next, NextView or a mix with Skip), and returns them with Info.
func readAllVia(t *testing.T, p string, opt Options, via string) ([][]string, Info) {
	t.Helper()
	r, err := Open(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows [][]string
	for i := 0; ; i++ {
		var row []string
		var err error
		switch {
		case via == "next":
			row, err = r.Next()
			row = append([]string(nil), row...)
		case via == "view":
			var v [][]byte
			v, err = r.NextView()
			row = Strings(v, nil)
		case via == "skip" && i%3 == 1:
			// Skip a varying number of rows, marked nil.
			var k int64
			k, err = r.Skip(int64(i % 700))
			for ; k > 0; k-- {
				rows = append(rows, nil)
			}
			if err == nil {
				continue
			}
		default: // mixed
			if i%2 == 0 {
				row, err = r.Next()
				row = append([]string(nil), row...)
			} else {
				var v [][]byte
				v, err = r.NextView()
				row = Strings(v, nil)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	return rows, r.Info()
}

func TestNextViewAndSkip(t *testing.T) {
	p := write(t, "t.csv", viewTable(6000))
	for _, pipe := range []bool{true, false} {
		noPipeline = !pipe
		want, wantInfo := readAllVia(t, p, Options{MaxLineBytes: 4096}, "next")
		for _, via := range []string{"view", "skip", "mixed"} {
			t.Run(fmt.Sprintf("pipeline=%v/%s", pipe, via), func(t *testing.T) {
				got, info := readAllVia(t, p, Options{MaxLineBytes: 4096}, via)
				if len(got) != len(want) {
					t.Fatalf("%d rows, Next gives %d", len(got), len(want))
				}
				for i := range want {
					if got[i] != nil && !reflect.DeepEqual(got[i], want[i]) {
						t.Fatalf("row %d: %q, Next gives %q", i, got[i], want[i])
					}
				}
				if !reflect.DeepEqual(info, wantInfo) {
					t.Fatalf("info %+v, with Next %+v", info, wantInfo)
				}
			})
		}
	}
	noPipeline = false
	// The table's rows are what the old reader makes of them.
	rows, info := readAllVia(t, p, Options{MaxLineBytes: 4096}, "next")
	if info.Rows < 4500 || info.SkippedCount < 100 || info.Redecoded == 0 || int64(len(rows)) != info.Rows {
		t.Fatalf("table read as %d rows, %d skipped, %d redecoded", info.Rows, info.SkippedCount, info.Redecoded)
	}
	for i, row := range rows {
		if len(row) != 6 || !strings.HasPrefix(row[0], "PEGL") {
			t.Fatalf("row %d: %q", i, row)
		}
	}
}

// The strings from Next stay as they were while later rows are read: the
// parse-ahead batches are reused, the row strings never are.
func TestNextStringsKept(t *testing.T) {
	p := write(t, "t.csv", viewTable(6000))
	want, _ := readAllVia(t, p, Options{MaxLineBytes: 4096}, "next")
	r, err := Open(p, Options{MaxLineBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var kept [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, append([]string(nil), row...))
		r.NextView() // moves on; must not touch what Next gave
		if _, err := r.Skip(1); err != nil && err != io.EOF {
			t.Fatal(err)
		}
	}
	for i, row := range kept {
		if !reflect.DeepEqual(row, want[3*i]) {
			t.Fatalf("kept row %d changed: %q, want %q", i, row, want[3*i])
		}
	}
}

func TestSkipAndMaxRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "%d,x\n", i)
	}
	p := write(t, "t.csv", []byte(b.String()))
	tests := []struct {
		name    string
		max     int64
		skip    int64
		skipped int64
		next    string // first field of the row after, "" for io.EOF
	}{
		{"within the sample", 0, 10, 10, "10"},
		{"past the sample", 0, 2500, 2500, "2500"},
		{"all", 0, 5000, 3000, ""},
		{"bounded by MaxRows", 100, 200, 100, ""},
		{"zero", 0, 0, 0, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(p, Options{MaxRows: tt.max})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			k, err := r.Skip(tt.skip)
			if k != tt.skipped || (k < tt.skip) != (err == io.EOF) {
				t.Fatalf("Skip(%d) = %d, %v; want %d", tt.skip, k, err, tt.skipped)
			}
			row, err := r.Next()
			if tt.next == "" {
				if err != io.EOF {
					t.Fatalf("after Skip: %q, %v; want io.EOF", row, err)
				}
			} else if err != nil || row[0] != tt.next {
				t.Fatalf("after Skip: %q, %v; want %s", row, err, tt.next)
			}
			if got := r.Info().Rows; got != tt.skipped+int64(len(tt.next)/max(len(tt.next), 1)) {
				t.Fatalf("Info.Rows %d", got)
			}
		})
	}
}

// NextView works for every format (rows of strings are copied).
func TestNextViewFormats(t *testing.T) {
	inputs := map[string]string{
		"jsonl": "{\"a\":\"1\",\"b\":\"x\"}\n{\"a\":\"2\",\"b\":\"y\"}\n",
		"sql":   "INSERT INTO t (a, b) VALUES ('1','x'),('2','y');\n",
		"tsv":   "a\tb\n1\tx\n2\ty\n",
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			p := write(t, "in."+name, []byte(in))
			want, _ := readAllVia(t, p, Options{}, "next")
			got, _ := readAllVia(t, p, Options{}, "view")
			if !reflect.DeepEqual(got, want) || len(want) != 2 {
				t.Fatalf("views %q, Next %q", got, want)
			}
		})
	}
}

func TestScanLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("ab,,;\t|\"\x00\xc3\xb1")
	for i := 0; i < 5000; i++ {
		line := make([]byte, rng.IntN(2200))
		for j := range line {
			line[j] = alphabet[rng.IntN(len(alphabet))]
			if rng.IntN(4) > 0 {
				line[j] = 'a' + byte(j%26)
			}
		}
		checkScanLine(t, line, ",;\t|"[i%4], i%5)
	}
}

func FuzzScanLine(f *testing.F) {
	f.Add([]byte("a,b,,c"), byte(','), 0)
	f.Add([]byte(strings.Repeat("0123456789abcde,", 70)+"\""), byte(','), 3)
	f.Fuzz(func(t *testing.T, line []byte, delim byte, base int) {
		if _, ok := formatOf[delim]; !ok {
			delim = ','
		}
		checkScanLine(t, line, delim, base&0xffff)
	})
}

// checkScanLine compares scanLine and scanLineSWAR with a byte loop.
func checkScanLine(t *testing.T, line []byte, delim byte, base int) {
	t.Helper()
	var want []int
	special, high := false, false
	for i, c := range line {
		if c == delim {
			want = append(want, base+i)
		}
		special = special || c == '"' || c == 0
		high = high || c >= 0x80
	}
	want = append(want, base+len(line))
	for name, scan := range map[string]func([]byte, byte, int, []int) ([]int, bool, bool){"scanLine": scanLine, "scanLineSWAR": scanLineSWAR} {
		ends, s, h := scan(line, delim, base, []int{-1})
		if !reflect.DeepEqual(ends[1:], want) || ends[0] != -1 || s != special || h != high {
			t.Fatalf("%s(%q, %q): %v %v %v; want %v %v %v", name, line, delim, ends[1:], s, h, want, special, high)
		}
	}
}

func TestNoHash(t *testing.T) {
	p := write(t, "t.csv", viewTable(3000))
	want, info := readAllVia(t, p, Options{MaxLineBytes: 4096}, "next")
	got, info2 := readAllVia(t, p, Options{MaxLineBytes: 4096, NoHash: true}, "skip")
	if info.SHA256 == "" || info2.SHA256 != "" || info2.Rows != info.Rows || len(got) != len(want) {
		t.Fatalf("NoHash: sha256 %q, %d rows; with the hash %q, %d rows", info2.SHA256, info2.Rows, info.SHA256, info.Rows)
	}
}
