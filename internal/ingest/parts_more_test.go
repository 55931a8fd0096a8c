package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestZipOfSplitParts: an archive of a register cut by lines (split -l:
// the header in the first piece only, or in none) reads as one table
// whichever piece is the largest, the later pieces' first lines read as
// data; a header repeated at the top of a piece is dropped; an entry of
// another table (other fields) is left out and recorded.
func TestZipOfSplitParts(t *testing.T) {
	head := strings.Join(testHeader, ",") + "\n"
	line := func(i int) string { return strings.Join(testRows[i], ",") + "\n" }
	notes := archived{"notas.csv", []byte("archivo,fecha\npadron,2018\n")}
	for _, tc := range []struct {
		name    string
		entries []archived
		header  []string
	}{
		{"header in the first", []archived{
			{"padron-1.csv", []byte(head + line(0))},
			{"padron-2.csv", []byte(line(1) + line(2))}, // the largest
			notes,
		}, testHeader},
		{"no header", []archived{
			{"padron-1.csv", []byte(line(0))},
			notes,
			{"padron-2.csv", []byte(line(1))},
			{"padron-3.csv", []byte(line(2))},
		}, nil},
		{"split's names", []archived{
			{"xaa", []byte("\xef\xbb\xbf" + head + line(0))},
			{"xab", gz([]byte(line(1) + line(2)))},
			{"LEEME", []byte("Este archivo contiene el padrón.\nPrecio: 500 USD, pago en BTC.\n")},
		}, testHeader},
		{"another table as wide", []archived{
			{"padron-1.csv", []byte(head + line(0) + line(1) + line(2))},
			{"otra.csv", []byte("telefono,correo,nota,origen,alta\n55123,a@b.mx,x,y,z\n")}, // a header of its own: not joined
		}, testHeader},
		{"repeated header", []archived{
			{"padron-1.csv", []byte(head + line(0))},
			{"padron-2.csv", []byte("\xef\xbb\xbf" + head + line(1) + line(2))},
			notes,
		}, testHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, sample := range []int{0, 1} {
				res := readAll(t, write(t, "leak.zip", zipOf(tc.entries...)), Options{SampleRows: sample})
				if res.err != nil {
					t.Fatal(res.err)
				}
				if !reflect.DeepEqual(res.header, tc.header) || !reflect.DeepEqual(res.rows, testRows) {
					t.Fatalf("header %q, rows %q (compression %q, skips %v)", res.header, res.rows, res.info.Compression, res.info.Skipped)
				}
				if len(res.info.Skipped) != 1 || !strings.Contains(res.info.Skipped[0].Reason, "is not read (reading") {
					t.Errorf("skips %v, want the entry left out", res.info.Skipped)
				}
			}
		})
	}
}

// TestNoTable: prose (a read-me, a sales pitch), alone or the only entry
// of a zip, is no table: an error naming the file, with no position;
// one-column registers (CURPs), a one-row file and a title over a small
// table still read.
func TestNoTable(t *testing.T) {
	prose := []byte("Este archivo contiene el padrón.\nPrecio: 500 USD, pago en BTC.\n")
	wrapped := []byte("PADRON ELECTORAL 2018\n\nEste archivo contiene el padrón electoral completo del estado de\n" +
		"Jalisco con nombres domicilios y claves de elector de todos los ciudadanos\n" +
		"inscritos hasta la fecha del corte sin omitir a ninguno de ellos\n")
	for _, tc := range []struct{ name, file string }{{"prose", "leeme.txt"}, {"zip", "leak.zip"}, {"wrapped", "leeme.txt"}} {
		t.Run(tc.name, func(t *testing.T) {
			data := prose
			switch tc.name {
			case "zip":
				data = zipped("LEEME.txt", prose)
			case "wrapped":
				data = wrapped
			}
			p := write(t, tc.file, data)
			res := readAll(t, p, Options{})
			var pe *ParseError
			if !errors.As(res.err, &pe) || res.err.Error() != p+": no table found: expected delimited rows, JSON, SQL or a spreadsheet" {
				t.Fatalf("err = %v (rows %q), want %s: no table found", res.err, res.rows, p)
			}
		})
	}
	curps := [][]string{{"PEGL890909MJCRMS08"}, {"SABC560626MDFLRN01"}, {"BEML920313HMCLNS09"}}
	for _, tc := range []struct {
		name   string
		data   string
		header []string
		rows   [][]string
	}{
		{"curps", join(curps, ","), nil, curps},
		{"curps with a header", "CURP\n" + join(curps, ","), []string{"CURP"}, curps},
		{"one row", join(testRows[:1], ","), nil, testRows[:1]},
		{"names", "PEREZ LOPEZ MARIA DE LOS ANGELES\nGARCIA J. PEDRO\n", nil, [][]string{{"PEREZ LOPEZ MARIA DE LOS ANGELES"}, {"GARCIA J. PEDRO"}}},
		{"titled", "Padrón electoral del estado, entregado el 1 de enero.\n" + join(testRows[:2], ","), nil, testRows[:2]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, write(t, "in.txt", []byte(tc.data)), Options{})
			if res.err != nil {
				t.Fatal(res.err)
			}
			if !reflect.DeepEqual(res.header, tc.header) || !reflect.DeepEqual(res.rows, tc.rows) {
				t.Fatalf("header %q rows %q", res.header, res.rows)
			}
		})
	}
}

// TestArchiveErrors: a zip cut short says so and names the file without a
// meaningless position; the zip-bomb guard says what a user can do, not
// which Go field to raise.
func TestArchiveErrors(t *testing.T) {
	whole := zipped("padron.csv", []byte(join(append([][]string{testHeader}, testRows...), ",")))
	p := write(t, "trunc.zip", whole[:len(whole)/2])
	res := readAll(t, p, Options{})
	var pe *ParseError
	if !errors.As(res.err, &pe) || !strings.HasPrefix(res.err.Error(), p+": ") || strings.Contains(res.err.Error(), ":0:") ||
		!strings.Contains(res.err.Error(), "damaged or truncated") {
		t.Errorf("truncated zip: err = %v", res.err)
	}

	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zw.Write([]byte(strings.Join(testHeader, ",") + "\n"))
	for range 100000 {
		zw.Write([]byte(strings.Join(testRows[0], ",") + "\n"))
	}
	zw.Close()
	res = readAll(t, write(t, "bomb.csv.gz", bomb.Bytes()), Options{MaxDecompressed: 1 << 20})
	if !errors.Is(res.err, ErrTooLarge) || strings.Contains(res.err.Error(), "Options") || !strings.Contains(res.err.Error(), "decompress it") {
		t.Errorf("bomb: err = %v", res.err)
	}
}

// TestSQLWordBeforeString: a bare word before a string in a tuple is
// malformed: the tuple is skipped and recorded, the statement's other
// tuples read; literals that put a word before a string still read, a
// typed literal or an introduced string (mysqldump's _binary 'x') as its
// string.
func TestSQLWordBeforeString(t *testing.T) {
	for _, tc := range []struct {
		name, dump string
		rows       [][]string
		skipped    string
	}{
		{"a statement a tuple", "INSERT INTO t (a,b) VALUES ('1','2');\nINSERT INTO t (a,b) VALUES (garbage 'A','B');\nINSERT INTO t (a,b) VALUES ('5','6');\n",
			[][]string{{"1", "2"}, {"5", "6"}}, `malformed SQL at column 37: unquoted word before a string (7 characters)`},
		{"extended insert", "INSERT INTO t (a,b) VALUES ('1','2'),('3', 12 'x(' ),('5','6');\n",
			[][]string{{"1", "2"}, {"5", "6"}}, `malformed SQL at column 47: unquoted word before a string (2 characters)`},
		{"literals", "INSERT INTO t (a,b) VALUES (NULL, 12),(TRUE, -1.5e3),(_utf8mb4'x', N'y'),(_binary 'z', E'a\\tb'::text),(CONCAT('p', 'q'), X'1F');\n",
			[][]string{{"", "12"}, {"TRUE", "-1.5e3"}, {"x", "y"}, {"z", "a\tb"}, {"CONCAT(p, q)", "X1F"}}, ""},
		{"typed literals", "INSERT INTO t (a,b) VALUES (DATE '2018-01-01', TIMESTAMP WITH TIME ZONE '2018-01-01 00:00:00+00');\n",
			[][]string{{"2018-01-01", "2018-01-01 00:00:00+00"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, write(t, "d.sql", []byte(tc.dump)), Options{})
			if res.err != nil {
				t.Fatal(res.err)
			}
			if !reflect.DeepEqual(res.rows, tc.rows) {
				t.Errorf("rows %q, want %q", res.rows, tc.rows)
			}
			switch {
			case tc.skipped == "" && len(res.info.Skipped) > 0:
				t.Errorf("skips %v", res.info.Skipped)
			case tc.skipped != "" && (len(res.info.Skipped) != 1 || res.info.Skipped[0].Reason != tc.skipped):
				t.Errorf("skips %v, want one: %s", res.info.Skipped, tc.skipped)
			}
		})
	}
}

// TestSQLCreateWithComment: a CREATE TABLE whose ";" a comment follows
// does not hide from the survey the INSERT after it (mysqldump writes a
// table's rows as one INSERT line: the register was left uncounted, and a
// catalogue was read instead).
func TestSQLCreateWithComment(t *testing.T) {
	var b strings.Builder
	b.WriteString("CREATE TABLE `estados` (`id` int, `nombre` varchar(40));\n")
	b.WriteString("INSERT INTO `estados` VALUES (1,'AGUASCALIENTES'),(2,'BAJA CALIFORNIA');\n")
	b.WriteString("CREATE TABLE `padron` (`curp` varchar(18), `nombre` varchar(40), `paterno` varchar(40), `fecha` date, `seccion` varchar(4)); -- el registro\n")
	var tuples []string
	for _, r := range testRows {
		tuples = append(tuples, "('"+strings.Join(r, "','")+"')")
	}
	b.WriteString("INSERT INTO `padron` VALUES " + strings.Join(tuples, ",") + ";\n")
	res := readAll(t, write(t, "dump.sql", []byte(b.String())), Options{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.info.Table != "padron" || !reflect.DeepEqual(res.rows, testRows) {
		t.Fatalf("table %q, rows %q", res.info.Table, res.rows)
	}
}

// TestSQLStatementsMidLine: two INSERTs on each line, a small table's
// first: the register's rows, in the second, are the most, and read.
func TestSQLStatementsMidLine(t *testing.T) {
	var b strings.Builder
	b.WriteString("CREATE TABLE notas (id int, nota text);\n")
	b.WriteString("CREATE TABLE `padron` (`curp` varchar(18), `nombre` varchar(40), `paterno` varchar(40), `fecha` date, `seccion` varchar(4));\n")
	for _, r := range testRows {
		b.WriteString("INSERT INTO notas VALUES (1,'x'); insert into `padron` VALUES ('" + strings.Join(r, "','") + "');\n")
	}
	res := readAll(t, write(t, "dump.sql", []byte(b.String())), Options{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.info.Table != "padron" || !reflect.DeepEqual(res.rows, testRows) {
		t.Fatalf("table %q, rows %q", res.info.Table, res.rows)
	}
}
