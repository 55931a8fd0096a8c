package ingest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// Obviously synthetic rows (names from a test alphabet, CURP-shaped keys).
var (
	testHeader = []string{"CURP", "NOMBRE", "APELLIDO PATERNO", "FECHA", "SECCION"}
	testRows   = [][]string{
		{"PEGL890909MJCRMS08", "PRUEBA", "UNO", "1989-09-09", "0123"},
		{"SABC560626MDFLRN01", "MUESTRA", "DOS", "1956-06-26", "0456"},
		{"BEML920313HMCLNS09", "EJEMPLO", "TRES", "1992-03-13", "1789"},
	}
)

func join(rows [][]string, d string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, d))
		b.WriteString("\n")
	}
	return b.String()
}

func write(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zipped(name string, b []byte) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	w.Create("__MACOSX/._x")
	f, _ := w.Create(name)
	f.Write(b)
	w.Close()
	return buf.Bytes()
}

type result struct {
	header []string
	rows   [][]string
	info   Info
	err    error
}

func readAll(t testing.TB, path string, opt Options) result {
	t.Helper()
	r, err := Open(path, opt)
	if err != nil {
		return result{err: err}
	}
	defer r.Close()
	res := result{header: r.Header()}
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			res.err = err
			break
		}
		res.rows = append(res.rows, append([]string(nil), row...))
	}
	res.info = r.Info()
	return res
}

func TestFormats(t *testing.T) {
	withHeader := append([][]string{testHeader}, testRows...)
	latin := func(s string) []byte {
		b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	data := []byte(join(withHeader, ","))
	tw.WriteHeader(&tar.Header{Name: "leak.csv", Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
	tw.Write(data)
	tw.Close()

	tests := []struct {
		name, file  string
		data        []byte
		format, enc string
		compression string
		header      []string
		rows        [][]string
	}{
		{"csv header", "a.csv", []byte(join(withHeader, ",")), "csv", "utf-8", "none", testHeader, testRows},
		{"preamble", "p.csv", []byte("Padron electoral\nextraido el 2018-01-01\n\n" + join(withHeader, ",")), "csv", "utf-8", "none", testHeader, testRows},
		{"csv no header", "a.csv", []byte(join(testRows, ",")), "csv", "utf-8", "none", nil, testRows},
		{"tsv", "a.txt", []byte(join(withHeader, "\t")), "tsv", "utf-8", "none", testHeader, testRows},
		{"pipe crlf", "a.txt", []byte(strings.ReplaceAll(join(withHeader, "|"), "\n", "\r\n")), "pipe", "utf-8", "none", testHeader, testRows},
		{"semicolon", "a", []byte(join(withHeader, ";")), "semicolon", "utf-8", "none", testHeader, testRows},
		{"bom", "a.csv", append([]byte{0xEF, 0xBB, 0xBF}, join(withHeader, ",")...), "csv", "utf-8", "none", testHeader, testRows},
		{"gzip by magic", "leak.dat", gz([]byte(join(withHeader, ","))), "csv", "utf-8", "gzip", testHeader, testRows},
		{"zip", "leak.zip", zipped("dir/leak.csv", []byte(join(withHeader, ","))), "csv", "utf-8", "zip", testHeader, testRows},
		{"tar.gz", "leak.tgz", gz(tarBuf.Bytes()), "csv", "utf-8", "tar+gzip", testHeader, testRows},
		{"quoted", "q.csv", []byte("nombre,calle,seccion\n\"PRUEBA, UNO\",\"CALLE \"\"A\"\"\nINTERIOR 2\",0001\nMUESTRA,\"C. B\",0002\n"),
			"csv", "utf-8", "none", []string{"nombre", "calle", "seccion"},
			[][]string{{"PRUEBA, UNO", "CALLE \"A\"\nINTERIOR 2", "0001"}, {"MUESTRA", "C. B", "0002"}}},
		{"latin1", "l.csv", latin("nombre;sección\nPEÑA ÁLVAREZ;0001\nMUÑOZ;0002\n"), "semicolon", "windows-1252", "none",
			[]string{"nombre", "sección"}, [][]string{{"PEÑA ÁLVAREZ", "0001"}, {"MUÑOZ", "0002"}}},
		{"json objects", "a.json", []byte(`[{"curp":"PEGL890909MJCRMS08","n":1,"x":null},{"curp":"SABC560626MDFLRN01","n":2.5,"y":{"a":[1, 2]}}]`),
			"json", "utf-8", "none", []string{"curp", "n", "x", "y.a"}, // a nested object's members: dotted columns
			[][]string{{"PEGL890909MJCRMS08", "1", "", ""}, {"SABC560626MDFLRN01", "2.5", "", "[1,2]"}}},
		{"json arrays", "a.json", []byte("[\n [\"CURP\",\"NOMBRE\",\"APELLIDO PATERNO\",\"FECHA\",\"SECCION\"],\n" +
			"[\"PEGL890909MJCRMS08\",\"PRUEBA\",\"UNO\",\"1989-09-09\",\"0123\"],[\"SABC560626MDFLRN01\",\"MUESTRA\",\"DOS\",\"1956-06-26\",\"0456\"],\n" +
			"[\"BEML920313HMCLNS09\",\"EJEMPLO\",\"TRES\",\"1992-03-13\",\"1789\"]]"), "json", "utf-8", "none", testHeader, testRows},
		{"json wrapper", "a.json", []byte(`{"meta": "x", "rows": [{"a":"1","b":"\u00d1"}]}`), "json", "utf-8", "none",
			[]string{"a", "b"}, [][]string{{"1", "Ñ"}}},
		{"json pretty stream", "a.json", []byte("{\n \"a\": \"1\",\n \"b\": \"2\"\n}\n{\n \"b\": \"4\", \"a\": \"3\"\n}\n"), "json", "utf-8", "none",
			[]string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}},
		{"jsonl", "a.jsonl", []byte("{\"a\":\"1\",\"b\":\"x\"}\n\n{\"b\":\"y\",\"a\":\"2\"}\n"), "jsonl", "utf-8", "none",
			[]string{"a", "b"}, [][]string{{"1", "x"}, {"2", "y"}}},
		{"mysql", "d.sql", []byte("-- MySQL dump 10.13\n/*!40101 SET NAMES utf8 */;\nDROP TABLE IF EXISTS `padron`;\n" +
			"CREATE TABLE `padron` (\n  `curp` varchar(18) NOT NULL,\n  `nombre` varchar(50) DEFAULT NULL,\n  `seccion` int(11),\n  PRIMARY KEY (`curp`)\n) ENGINE=InnoDB;\n" +
			"LOCK TABLES `padron` WRITE;\nINSERT INTO `padron` VALUES ('PEGL890909MJCRMS08','O\\'PRUEBA',123),('SABC560626MDFLRN01','DOS\\\\TRES',NULL);\n" +
			"INSERT INTO `padron` VALUES ('BEML920313HMCLNS09','A;B''C',7);\nUNLOCK TABLES;\n"),
			"sql", "utf-8", "none", []string{"curp", "nombre", "seccion"},
			[][]string{{"PEGL890909MJCRMS08", "O'PRUEBA", "123"}, {"SABC560626MDFLRN01", `DOS\TRES`, ""}, {"BEML920313HMCLNS09", "A;B'C", "7"}}},
		{"postgres insert", "d.sql", []byte("--\n-- PostgreSQL database dump\n--\nSET standard_conforming_strings = on;\n" +
			"INSERT INTO public.\"padron\" (\"curp\", \"nombre\") VALUES ('PEGL890909MJCRMS08', 'O''PRUEBA\\N');\n" +
			"INSERT INTO public.otra (a) VALUES (1);\nINSERT INTO public.\"padron\" (\"curp\", \"nombre\") VALUES\n ('SABC560626MDFLRN01', E'DOS\\tTRES'::text);\n"),
			"sql", "utf-8", "none", []string{"curp", "nombre"},
			[][]string{{"PEGL890909MJCRMS08", `O'PRUEBA\N`}, {"SABC560626MDFLRN01", "DOS\tTRES"}}},
		{"postgres copy", "d.sql", []byte("SET client_encoding = 'UTF8';\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n" +
			"COPY public.padron (curp, nombre, seccion) FROM stdin;\nPEGL890909MJCRMS08\tPRUEBA\\tUNO\t\\N\nSABC560626MDFLRN01\tDOS\t0456\n\\.\n\nALTER TABLE x OWNER TO y;\n"),
			"sql", "utf-8", "none", []string{"curp", "nombre", "seccion"},
			[][]string{{"PEGL890909MJCRMS08", "PRUEBA\tUNO", ""}, {"SABC560626MDFLRN01", "DOS", "0456"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, tc.file, tc.data)
			res := readAll(t, p, Options{})
			if res.err != nil {
				t.Fatalf("read: %v", res.err)
			}
			// A one-row sample: the rest goes through the pipeline.
			if res1 := readAll(t, p, Options{SampleRows: 1}); !reflect.DeepEqual(res1.rows, res.rows) || !reflect.DeepEqual(res1.header, res.header) {
				t.Errorf("with a 1-row sample: header %q rows %q", res1.header, res1.rows)
			}
			if res.info.Format != tc.format || res.info.Encoding != tc.enc || res.info.Compression != tc.compression {
				t.Errorf("format/encoding/compression = %s/%s/%s, want %s/%s/%s", res.info.Format, res.info.Encoding, res.info.Compression, tc.format, tc.enc, tc.compression)
			}
			if !reflect.DeepEqual(res.header, tc.header) {
				t.Errorf("header = %q, want %q", res.header, tc.header)
			}
			if !reflect.DeepEqual(res.rows, tc.rows) {
				t.Errorf("rows = %q\nwant %q", res.rows, tc.rows)
			}
			if res.info.Rows != int64(len(tc.rows)) {
				t.Errorf("Info.Rows = %d, want %d", res.info.Rows, len(tc.rows))
			}
			sum := sha256.Sum256(tc.data)
			if res.info.SHA256 != hex.EncodeToString(sum[:]) || res.info.Bytes != int64(len(tc.data)) {
				t.Errorf("SHA256/Bytes = %s/%d, want the raw file's", res.info.SHA256, res.info.Bytes)
			}
		})
	}
}

func TestXLSX(t *testing.T) {
	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	setRows(f, sheet, append([][]string{testHeader}, testRows...))
	// A true date cell in Excel's short-date style reads as ISO.
	f.SetCellValue(sheet, "F1", "FECHA REGISTRO")
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	for i := 2; i <= 4; i++ {
		cell := fmt.Sprintf("F%d", i)
		f.SetCellFormula(sheet, cell, "")
		f.SetCellValue(sheet, cell, 43000+i) // 2017-09-1x
		f.SetCellStyle(sheet, cell, cell, style)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, file string }{{"plain", "leak.xlsx"}, {"gzipped", "leak.bin"}} {
		t.Run(tc.name, func(t *testing.T) {
			data := buf.Bytes()
			if tc.name == "gzipped" {
				data = gz(data)
			}
			res := readAll(t, write(t, tc.file, data), Options{})
			if res.err != nil {
				t.Fatal(res.err)
			}
			want := append(append([]string(nil), testHeader...), "FECHA REGISTRO")
			if res.info.Format != "xlsx" || !reflect.DeepEqual(res.header, want) {
				t.Fatalf("format %s header %q", res.info.Format, res.header)
			}
			if len(res.rows) != 3 || !reflect.DeepEqual(res.rows[0][:5], testRows[0]) {
				t.Fatalf("rows = %q", res.rows)
			}
			if got := res.rows[0][5]; got != "2017-09-24" {
				t.Errorf("date cell = %q, want 2017-09-24", got)
			}
		})
	}
}

func TestHeaderDetection(t *testing.T) {
	tests := []struct {
		name  string
		first []string
		rows  [][]string
		want  bool
	}{
		{"words over codes", []string{"clave", "seccion"}, [][]string{{"PRBUNO89090914H100", "0123"}, {"MSTDOS56062609M200", "0456"}}, true},
		{"data row", []string{"PRBUNO89090914H100", "0123"}, [][]string{{"MSTDOS56062609M200", "0456"}}, false},
		{"all text, known words", []string{"nombre", "paterno", "materno"}, [][]string{{"PRUEBA", "UNO", "DOS"}}, true},
		{"all text data", []string{"PRUEBA", "UNO", "DOS"}, [][]string{{"MUESTRA", "TRES", "CUATRO"}}, false},
		{"foreign header over dates", []string{"Geburtsdatum", "Wahlbezirk"}, [][]string{{"1990-01-01", "12"}, {"1980-02-02", "13"}}, true},
		{"col1 col2", []string{"col1", "col2"}, [][]string{{"PRUEBA", "12"}, {"MUESTRA", "13"}}, true},
		{"value repeated", []string{"MUESTRA", "12"}, [][]string{{"MUESTRA", "12"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := LooksLikeHeader(tc.first, tc.rows); got != tc.want {
				t.Errorf("LooksLikeHeader = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSampleAndLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,valor\n")
	for i := 0; i < 2500; i++ {
		fmt.Fprintf(&b, "%d,V%d\n", i, i)
	}
	p := write(t, "n.csv", []byte(b.String()))
	r, err := Open(p, Options{SampleRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(r.Sample()) != 100 || r.Sample()[99][0] != "99" {
		t.Fatalf("sample: %d rows", len(r.Sample()))
	}
	n := 0
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if row[0] != fmt.Sprint(n) {
			t.Fatalf("row %d = %q", n, row)
		}
		n++
	}
	if n != 2500 || r.Info().Rows != 2500 {
		t.Fatalf("read %d rows, Info.Rows %d", n, r.Info().Rows)
	}
	res := readAll(t, p, Options{MaxRows: 10, SampleRows: 5})
	if len(res.rows) != 10 || res.rows[9][0] != "9" {
		t.Fatalf("MaxRows: %d rows", len(res.rows))
	}
}

func TestBadInput(t *testing.T) {
	good := join(append([][]string{testHeader}, testRows...), ",")
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zw.Write([]byte(good))
	for i := 0; i < 100000; i++ {
		zw.Write([]byte(strings.Join(testRows[0], ",") + "\n"))
	}
	zw.Close()
	long := good + strings.Repeat("X", 3<<20) + "\n" + strings.Join(testRows[0], ",") + "\n"
	gzGood := gz([]byte(good + good[len(strings.Join(testHeader, ","))+1:]))

	tests := []struct {
		name    string
		data    []byte
		opt     Options
		wantErr string // substring of the error; "" for a read that succeeds
		rows    int
		skipped string // substring of a skip reason
		trunc   bool
	}{
		{"empty", nil, Options{}, "empty input", 0, "", false},
		{"binary", bytes.Repeat([]byte{0, 1, 2, 3, 0xff, 0x90}, 1000), Options{}, "supported encoding", 0, "", false},
		{"binary ascii-ish", bytes.Repeat([]byte("ab\x00\x01\x02cd"), 1000), Options{}, "binary data", 0, "", false},
		{"long line", []byte(long), Options{}, "", 4, "longer than", false},
		{"zip bomb", bomb.Bytes(), Options{MaxDecompressed: 1 << 20}, "zip-bomb", -1, "", false},
		{"truncated gzip", gzGood[:len(gzGood)-12], Options{}, "", -1, "truncated", true},
		{"ragged rows", []byte(good + "A,B\n" + strings.Join(testRows[0], ",") + "\n"), Options{}, "", 4, "expected 5 fields, found 2", false},
		{"unclosed quote", []byte(good + "\"PEGL890909MJCRMS08,A,B,C,D\n"), Options{}, "", 3, "not closed", true},
		{"stray quote", []byte(good + "\"PEGL890909MJCRMS08,A,B,C,D\n" + strings.Repeat(strings.Join(testRows[0], ",")+"\n", 300)), Options{}, "", 303, "not closed", false},
		{"nul line", []byte(good + "A\x00B,C,D,E,F\n"), Options{}, "", 3, "binary data", false},
		{"truncated json", []byte(`[{"a":"1"},{"a":"2"},{"a":"`), Options{}, "", 2, "truncated", true},
		{"bad json", []byte(`[{"a":"1"},{"a" "2"}]`), Options{}, "invalid JSON", 1, "", false},
		{"bad jsonl line", []byte("{\"a\":\"1\"}\n{\"a\":\n{\"a\":\"3\"}\n"), Options{}, "", 2, "invalid JSON line", false},
		{"bad sql statement", []byte("INSERT INTO t (a,b) VALUES ('1','2');\nINSERT INTO t (a,b) VALUES ('3' '4');\nINSERT INTO t (a,b) VALUES ('5','6');\n"), Options{}, "", 2, "malformed SQL", false},
		{"truncated sql", []byte("INSERT INTO t (a,b) VALUES ('1','2'),('3','"), Options{}, "", 1, "truncated", true},
		{"long json value", []byte(`[{"a":"1"},{"a":"` + strings.Repeat("x", 2<<20) + `"}]`), Options{MaxLineBytes: 1 << 20}, "longer than", 1, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, "in", tc.data)
			res := readAll(t, p, tc.opt)
			small := tc.opt
			small.SampleRows = 1
			if res1 := readAll(t, p, small); len(res1.rows) != len(res.rows) || (res1.err == nil) != (res.err == nil) ||
				res1.info.SkippedCount != res.info.SkippedCount || res1.info.Truncated != res.info.Truncated {
				t.Errorf("with a 1-row sample: %d rows, err %v, skips %v; without: %d rows, err %v, skips %v",
					len(res1.rows), res1.err, res1.info.Skipped, len(res.rows), res.err, res.info.Skipped)
			}
			if tc.wantErr != "" {
				if res.err == nil || !strings.Contains(res.err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", res.err, tc.wantErr)
				}
				var pe *ParseError
				if !errors.As(res.err, &pe) && !errors.Is(res.err, ErrTooLarge) {
					t.Errorf("err %T is not positioned", res.err)
				}
			} else if res.err != nil {
				t.Fatalf("err = %v", res.err)
			}
			if tc.rows >= 0 && len(res.rows) != tc.rows {
				t.Errorf("rows = %d, want %d", len(res.rows), tc.rows)
			}
			if tc.skipped != "" {
				found := false
				for _, s := range res.info.Skipped {
					found = found || strings.Contains(s.Reason, tc.skipped)
				}
				if !found {
					t.Errorf("skips %v lack %q", res.info.Skipped, tc.skipped)
				}
			}
			if res.info.Truncated != tc.trunc && res.err == nil {
				t.Errorf("Truncated = %v, want %v", res.info.Truncated, tc.trunc)
			}
		})
	}
}

func TestParseErrorFormat(t *testing.T) {
	res := readAll(t, write(t, "bad.json", []byte("[\n{\"a\":\"1\"},\n{\"a\" \"2\"}]")), Options{})
	var pe *ParseError
	if !errors.As(res.err, &pe) {
		t.Fatalf("err = %v", res.err)
	}
	if pe.Line != 3 || !strings.HasPrefix(pe.Error(), pe.File+":3:") {
		t.Errorf("error %q, want line 3", pe.Error())
	}
}

func TestMixedEncodingLines(t *testing.T) {
	// A UTF-8 file with one Windows-1252 line appended elsewhere.
	data := append([]byte("nombre,seccion\nPEÑA,0001\n"), []byte("MU\xd1OZ,0002\n")...)
	res := readAll(t, write(t, "m.csv", data), Options{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.info.Encoding != "utf-8" || res.rows[1][0] != "MUÑOZ" || res.info.Redecoded != 1 {
		t.Errorf("encoding %s rows %q redecoded %d", res.info.Encoding, res.rows, res.info.Redecoded)
	}
}

// TestBoundedMemory reads a gzip holding one 96 MiB line between good rows
// and checks that the reader allocates a small multiple of MaxLineBytes,
// not the line.
func TestBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses 96 MiB")
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write([]byte(join(append([][]string{testHeader}, testRows...), ",")))
	chunk := bytes.Repeat([]byte("A"), 1<<20)
	for i := 0; i < 96; i++ {
		zw.Write(chunk)
	}
	zw.Write([]byte("\n" + strings.Join(testRows[0], ",") + "\n"))
	zw.Close()
	p := write(t, "bomb.csv.gz", buf.Bytes())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := readAll(t, p, Options{})
	runtime.ReadMemStats(&after)
	if res.err != nil || len(res.rows) != 4 || res.info.SkippedCount != 1 {
		t.Fatalf("err %v rows %d skips %v", res.err, len(res.rows), res.info.Skipped)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("allocated %d MiB reading a 96 MiB line", alloc>>20)
	}
}

// TestLargestPart: of a zip's data entries, the largest is read (a read-me
// before the register does not take its place), and of a workbook's
// sheets the one declaring the most rows (a cover sheet before it does
// not); what is left out is recorded as skipped, by name.
func TestLargestPart(t *testing.T) {
	var big strings.Builder
	big.WriteString(strings.Join(testHeader, ",") + "\n")
	for range 20 {
		for _, r := range testRows {
			big.WriteString(strings.Join(r, ",") + "\n")
		}
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for _, e := range []struct{ name, body string }{{"LEEME.txt", "archivo,fecha\npadron,2018\n"}, {"padron.csv", big.String()}, {"notas.csv", "a,b\n1,2\n"}} {
		w, _ := zw.Create(e.name)
		w.Write([]byte(e.body))
	}
	zw.Close()

	x := excelize.NewFile()
	x.SetSheetName(x.GetSheetName(0), "Portada")
	x.SetSheetRow("Portada", "A1", &[]any{"Entrega", "Fecha"})
	x.SetSheetRow("Portada", "A2", &[]any{"Partido", "2018"})
	x.NewSheet("Padron")
	setRows(x, "Padron", append([][]string{testHeader}, testRows...))
	var xbuf bytes.Buffer
	if err := x.Write(&xbuf); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		data    []byte
		rows    int
		skipped []string
	}{
		{"zip", zbuf.Bytes(), 20 * len(testRows), []string{`"LEEME.txt" is not read (reading "padron.csv"`, `"notas.csv" is not read`}},
		{"xlsx", xbuf.Bytes(), len(testRows), []string{`sheet "Portada" is not read (reading "Padron")`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, write(t, "leak."+tc.name, tc.data), Options{})
			if res.err != nil {
				t.Fatal(res.err)
			}
			if !reflect.DeepEqual(res.header, testHeader) || len(res.rows) != tc.rows {
				t.Fatalf("header %q, %d rows; want the register's %d", res.header, len(res.rows), tc.rows)
			}
			var reasons []string
			for _, s := range res.info.Skipped {
				reasons = append(reasons, s.Reason)
			}
			for _, want := range tc.skipped {
				if !strings.Contains(strings.Join(reasons, "\n"), want) {
					t.Errorf("skips %q lack %q", reasons, want)
				}
			}
		})
	}
}

// TestSQLLargestTable: of a dump's tables, the one with the most rows is
// read, though a small catalogue comes first (dump tools write tables in
// name order), in MySQL's style, in PostgreSQL's COPY blocks and with an
// INSERT that runs over many lines; the catalogue is recorded as skipped.
func TestSQLLargestTable(t *testing.T) {
	var mysql, pg, multi strings.Builder
	mysql.WriteString("CREATE TABLE `estados` (`id` int, `nombre` varchar(40));\nINSERT INTO `estados` VALUES (1,'AGUASCALIENTES'),(2,'BAJA CALIFORNIA');\n")
	mysql.WriteString("CREATE TABLE `padron` (`curp` varchar(18), `nombre` varchar(40), `paterno` varchar(40), `fecha` date, `seccion` varchar(4));\n")
	pg.WriteString("COPY public.estados (id, nombre) FROM stdin;\n1\tAGUASCALIENTES\n2\tBAJA CALIFORNIA\n\\.\n")
	pg.WriteString("COPY public.padron (curp, nombre, paterno, fecha, seccion) FROM stdin;\n")
	multi.WriteString("INSERT INTO \"estados\" VALUES (1,'AGUASCALIENTES'),(2,'BAJA CALIFORNIA'),(3,'BAJA CALIFORNIA SUR');\n")
	multi.WriteString("INSERT INTO \"padron\" (curp, nombre, paterno, fecha, seccion) VALUES\n")
	for i := range 4 {
		for j, r := range testRows {
			mysql.WriteString("INSERT INTO `padron` VALUES ('" + strings.Join(r, "','") + "');\n")
			pg.WriteString(strings.Join(r, "\t") + "\n")
			sep := ",\n"
			if i == 3 && j == len(testRows)-1 {
				sep = ";\n"
			}
			multi.WriteString("('" + strings.Join(r, "','") + "')" + sep)
		}
	}
	pg.WriteString("\\.\n")
	for _, tc := range []struct{ name, file, dump string }{
		{"mysql", "dump.sql", mysql.String()},
		{"postgres", "dump.sql", pg.String()},
		{"multi-line", "dump.sql", multi.String()},
		{"gzip", "dump.sql.gz", string(gz([]byte(mysql.String())))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, write(t, tc.file, []byte(tc.dump)), Options{})
			if res.err != nil {
				t.Fatal(res.err)
			}
			if res.info.Table != "padron" || len(res.rows) != 4*len(testRows) || !reflect.DeepEqual(res.rows[0], testRows[0]) {
				t.Fatalf("table %q, %d rows (first %q); want padron's %d", res.info.Table, len(res.rows), res.rows, 4*len(testRows))
			}
			var reasons []string
			for _, s := range res.info.Skipped {
				reasons = append(reasons, s.Reason)
			}
			if want := `rows of table "estados" are not read (reading "padron"`; !strings.Contains(strings.Join(reasons, "\n"), want) {
				t.Errorf("skips %q lack %q", reasons, want)
			}
		})
	}
}

// TestSQLJoinedTables: a register split into tables of the same columns
// (one a state) is read as one table, in the dump's order, whichever of them
// is the largest, and though a table of other columns has more bytes than
// any one of them; a table of other columns is not joined.
func TestSQLJoinedTables(t *testing.T) {
	quote := func(r []string) string { return "('" + strings.Join(r, "','") + "')" }
	var mysql, pg, listed strings.Builder
	mysql.WriteString("CREATE TABLE `bitacora` (\n  `id` int NOT NULL,\n  `evento` text,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\n")
	mysql.WriteString("INSERT INTO `bitacora` VALUES ")
	for i := range 3 {
		if i > 0 {
			mysql.WriteString(",")
		}
		mysql.WriteString("(" + strconv.Itoa(i) + ",'consulta del padron por el usuario de sistemas')")
	}
	mysql.WriteString(";\n")
	parts := [][][]string{testRows[:1], testRows[1:], testRows[:1]} // the second the largest
	var want [][]string
	for i, rows := range parts {
		name := "padron_0" + strconv.Itoa(i+1)
		mysql.WriteString("CREATE TABLE `" + name + "` (\n")
		for _, h := range testHeader {
			mysql.WriteString("  `" + h + "` varchar(40) DEFAULT NULL,\n")
		}
		mysql.WriteString("  KEY `idx` (`" + testHeader[0] + "`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n")
		pg.WriteString("COPY public." + name + " (\"" + strings.Join(testHeader, "\", \"") + "\") FROM stdin;\n")
		listed.WriteString("INSERT INTO " + name + " (\"" + strings.Join(testHeader, "\",\"") + "\") VALUES ")
		for j, r := range rows {
			mysql.WriteString("INSERT INTO `" + name + "` VALUES " + quote(r) + ";\n")
			pg.WriteString(strings.Join(r, "\t") + "\n")
			if j > 0 {
				listed.WriteString(",")
			}
			listed.WriteString(quote(r))
		}
		pg.WriteString("\\.\n")
		listed.WriteString(";\n")
		want = append(want, rows...)
	}
	for _, tc := range []struct{ name, dump string }{
		{"mysqldump", mysql.String()},
		{"postgres", pg.String()},
		{"insert column lists", listed.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, write(t, "dump.sql", []byte(tc.dump)), Options{})
			if res.err != nil {
				t.Fatal(res.err)
			}
			if res.info.Table != "padron_01, padron_02, padron_03" || !reflect.DeepEqual(res.rows, want) || !reflect.DeepEqual(res.header, testHeader) {
				t.Fatalf("tables %q, header %q, %d rows; want the three padron tables' %d", res.info.Table, res.header, len(res.rows), len(want))
			}
		})
	}
	t.Run("other columns", func(t *testing.T) {
		// padron_03 has a column more: read alone is padron_02, the largest
		dump := strings.Replace(mysql.String(), "CREATE TABLE `padron_03` (\n", "CREATE TABLE `padron_03` (\n  `extra` int,\n", 1)
		res := readAll(t, write(t, "dump.sql", []byte(dump)), Options{})
		if res.err != nil {
			t.Fatal(res.err)
		}
		if res.info.Table != "padron_01, padron_02" || len(res.rows) != len(testRows) {
			t.Fatalf("tables %q, %d rows", res.info.Table, len(res.rows))
		}
	})
}

// TestZipOfGzip: a gzipped file inside a zip archive is decompressed too.
func TestZipOfGzip(t *testing.T) {
	csv := join(append([][]string{testHeader}, testRows...), ",")
	res := readAll(t, write(t, "leak.zip", zipped("padron.csv.gz", gz([]byte(csv)))), Options{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.info.Compression != "zip+gzip" || !reflect.DeepEqual(res.header, testHeader) || len(res.rows) != len(testRows) {
		t.Fatalf("compression %q, header %q, %d rows", res.info.Compression, res.header, len(res.rows))
	}
}

// TestXLSXLongRow: a spreadsheet row longer than MaxLineBytes is skipped
// and recorded, as a long line of text is.
func TestXLSXLongRow(t *testing.T) {
	x := excelize.NewFile()
	sheet := x.GetSheetName(0)
	rows := append([][]string{testHeader}, testRows...)
	rows = append(rows[:2], append([][]string{{"PEGL890909MJCRMS08", strings.Repeat("X", 5000), "UNO", "1989-09-09", "0123"}}, rows[2:]...)...)
	setRows(x, sheet, rows)
	res := readWorkbook(t, x, Options{MaxLineBytes: 1000})
	if len(res.rows) != len(testRows) || len(res.info.Skipped) != 1 || res.info.Skipped[0].Line != 3 || !strings.Contains(res.info.Skipped[0].Reason, "longer than 1000 bytes") {
		t.Fatalf("%d rows, skips %v", len(res.rows), res.info.Skipped)
	}
}

// setRows writes rows into a sheet from A1 down.
// readWorkbook writes x to a file and reads it whole.
func readWorkbook(t *testing.T, x *excelize.File, opt Options) result {
	t.Helper()
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	res := readAll(t, write(t, "leak.xlsx", buf.Bytes()), opt)
	if res.err != nil {
		t.Fatal(res.err)
	}
	return res
}

func setRows(x *excelize.File, sheet string, rows [][]string) {
	for i, row := range rows {
		cells := make([]any, len(row))
		for j, v := range row {
			cells[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		x.SetSheetRow(sheet, cell, &cells)
	}
}

// TestZipLargestThatFits: an entry declaring more than MaxDecompressed
// bytes (a bomb beside the data) does not take the data's place.
func TestZipLargestThatFits(t *testing.T) {
	csv := join(append([][]string{testHeader}, testRows...), ",")
	readsAsTest(t, "leak.zip", zipOf(archived{"padron.csv", []byte(csv)}, archived{"bomba.csv", []byte(strings.Repeat("0,", 4000))}),
		Options{MaxDecompressed: int64(len(csv) + 10)})
}

// TestZipOfParts: an archive of a register split in files with the same
// header (a state a file, one gzipped) reads as one table, the header
// once; a file with another header is left out and recorded.
func TestZipOfParts(t *testing.T) {
	head := strings.Join(testHeader, ",") + "\r\n"
	res := readsAsTest(t, "leak.zip", zipOf(
		archived{"padron-01.csv", []byte(head + strings.Join(testRows[0], ",") + "\r\n")},
		archived{"padron-02.csv.gz", gz([]byte(head + strings.Join(testRows[1], ",")))}, // no line end at the end
		archived{"notas.csv", []byte("archivo,fecha\r\npadron,2018\r\n")},
		archived{"padron-03.csv", []byte(head + strings.Join(testRows[2], ",") + "\r\n")},
	), Options{})
	if !strings.Contains(res.info.Compression, "3 parts") || len(res.info.Skipped) != 1 || !strings.Contains(res.info.Skipped[0].Reason, `"notas.csv" is not read`) {
		t.Errorf("compression %q, skips %v", res.info.Compression, res.info.Skipped)
	}
}

// TestXLSXSheetsOfParts: a workbook of a register split a state a sheet,
// each with the header, reads as one table in the workbook's order, the
// header once; a cover sheet is left out and recorded.
func TestXLSXSheetsOfParts(t *testing.T) {
	x := excelize.NewFile()
	x.SetSheetName(x.GetSheetName(0), "Portada")
	setRows(x, "Portada", [][]string{{"Entrega", "Fecha"}, {"Partido", "2018"}})
	x.NewSheet("Ags")
	setRows(x, "Ags", [][]string{testHeader, testRows[0]})
	x.NewSheet("BC")
	setRows(x, "BC", [][]string{testHeader, testRows[1], testRows[2]})
	res := readWorkbook(t, x, Options{})
	if !reflect.DeepEqual(res.header, testHeader) || !reflect.DeepEqual(res.rows, testRows) {
		t.Fatalf("header %q, rows %q", res.header, res.rows)
	}
	if len(res.info.Skipped) != 1 || !strings.Contains(res.info.Skipped[0].Reason, `sheet "Portada" is not read`) {
		t.Errorf("skips %v", res.info.Skipped)
	}
}

// TestXLSXSheetsWithoutHeader: a register split over sheets with its
// header on the first sheet only (or on none) reads as one table; a notes
// sheet of as many columns but no data does not join.
func TestXLSXSheetsWithoutHeader(t *testing.T) {
	for _, withHeader := range []bool{true, false} {
		x := excelize.NewFile()
		first := testRows[:1]
		if withHeader {
			first = append([][]string{testHeader}, first...)
		}
		x.SetSheetName(x.GetSheetName(0), "Hoja1")
		setRows(x, "Hoja1", first)
		x.NewSheet("Hoja2")
		setRows(x, "Hoja2", testRows[1:])
		x.NewSheet("Notas")
		setRows(x, "Notas", [][]string{{"Entrega", "al", "partido", "en", "marzo"}, {"sin", "datos", "de", "nadie", "más"}})
		res := readWorkbook(t, x, Options{})
		if !reflect.DeepEqual(res.rows, testRows) || withHeader && !reflect.DeepEqual(res.header, testHeader) {
			t.Errorf("header on the first sheet %v: header %q, rows %q", withHeader, res.header, res.rows)
		}
	}
}

// TestZipOfTextParts: JSON Lines and SQL parts join end to end too (an
// SQL dump split in files, its statements in any of them).
func TestZipOfTextParts(t *testing.T) {
	var jl, sql []string
	for _, r := range testRows {
		var kv []string
		for i, h := range testHeader {
			kv = append(kv, fmt.Sprintf("%q:%q", h, r[i]))
		}
		jl = append(jl, "{"+strings.Join(kv, ",")+"}\n")
		sql = append(sql, "INSERT INTO padron VALUES ('"+strings.Join(r, "','")+"');\n")
	}
	create := "CREATE TABLE padron (CURP text, NOMBRE text, \"APELLIDO PATERNO\" text, FECHA text, SECCION text);\n"
	for _, tc := range []struct {
		name  string
		parts []string
	}{
		{"jsonl", []string{jl[0], jl[1] + jl[2]}},
		{"sql", []string{create + sql[0], "-- part 2\n" + sql[1] + sql[2]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var entries []archived
			for i, p := range tc.parts {
				entries = append(entries, archived{fmt.Sprintf("parte-%d.%s", i+1, tc.name), []byte(p)})
			}
			readsAsTest(t, "leak.zip", zipOf(entries...), Options{})
		})
	}
}

type archived struct {
	name string
	body []byte
}

// zipOf is a zip archive of the entries, in order.
func zipOf(entries ...archived) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, _ := zw.Create(e.name)
		w.Write(e.body)
	}
	zw.Close()
	return buf.Bytes()
}

// readsAsTest reads data as the file name and fails unless it reads as
// testHeader and testRows.
func readsAsTest(t *testing.T, name string, data []byte, opt Options) result {
	t.Helper()
	res := readAll(t, write(t, name, data), opt)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if !reflect.DeepEqual(res.header, testHeader) || !reflect.DeepEqual(res.rows, testRows) {
		t.Fatalf("header %q, rows %q", res.header, res.rows)
	}
	return res
}
