package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// drain opens data as a file and reads every row, checking the invariants
// that hold for any input: no panic, rows of the expected width, bounded
// skips, positioned errors.
func drain(t *testing.T, dir string, data []byte, opt Options) [][]string {
	p := filepath.Join(dir, "in")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	opt.MaxLineBytes = 4096
	if opt.SampleRows == 0 {
		opt.SampleRows = 20
	}
	r, err := Open(p, opt)
	if err != nil {
		return nil
	}
	defer r.Close()
	if len(r.Sample()) > opt.SampleRows {
		t.Fatalf("sample of %d rows", len(r.Sample()))
	}
	var rows [][]string
	for i := 0; i < 100000; i++ {
		row, err := r.Next()
		if err != nil {
			break
		}
		if w := len(r.Header()); w > 0 && len(row) != w && r.Info().Format != "sql" {
			t.Fatalf("row of %d fields under a header of %d", len(row), w)
		}
		rows = append(rows, append([]string(nil), row...))
	}
	info := r.Info()
	if len(info.Skipped) > maxSkipsListed || int64(len(info.Skipped)) > info.SkippedCount {
		t.Fatalf("skips: %d listed, %d counted", len(info.Skipped), info.SkippedCount)
	}
	return rows
}

var seedTexts = []string{
	"a,b,c\n1,2,3\n4,5,6\n",
	"CURP|NOMBRE\nPEGL890909MJCRMS08|PRUEBA\n",
	"\"x\"\"y\",z\n\"multi\nline\",2\n",
	"\"open,1\n2,3\n",
	"a;b\r\n1;2\r\n",
	"\xef\xbb\xbfa\tb\n\xd1,\xe9\n",
	"[{\"a\":1},{\"b\":[1,{\"c\":null}]}]",
	"[[1,2],[3,4]]",
	"{\"a\":\"1\"}\n{\"a\":\"2\"}\n",
	"{\"rows\":[{\"a\":\"1\"}]}",
	"INSERT INTO `t` VALUES ('a\\'b',1),('c',NULL);\n",
	"COPY t (a, b) FROM stdin;\nx\t\\N\n\\.\n",
	"CREATE TABLE t (a int, b text, PRIMARY KEY (a));\nINSERT INTO t VALUES (1, E'x\\ty');",
	"-- c\n/* x */ SET a = $$;$$; INSERT INTO \"s\".\"t\" (\"a\") VALUES ('1''2');",
	"\x1f\x8b\x08\x00",
	"PK\x03\x04",
}

func FuzzSniff(f *testing.F) {
	for _, s := range seedTexts {
		f.Add([]byte(s))
	}
	f.Add(gz([]byte("a,b\n1,2\n")))
	f.Add(zipped("x.csv", []byte("a,b\n1,2\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		drain(t, t.TempDir(), data, Options{})
	})
}

func FuzzCSV(f *testing.F) {
	for _, s := range seedTexts[:6] {
		f.Add([]byte(s), byte(','))
	}
	f.Add([]byte("a|b\n\"1|x\"|2\n"), byte('|'))
	f.Fuzz(func(t *testing.T, data []byte, d byte) {
		format, ok := formatOf[d]
		if !ok {
			format = "csv"
			d = ','
		}
		rows := drain(t, t.TempDir(), data, Options{Format: format, Header: HeaderAbsent})
		// Where encoding/csv reads a clean rectangular table, so must we.
		if !utf8.Valid(data) || bytes.ContainsAny(data, "\r\x00") || len(data) > 2000 || bytes.HasPrefix(data, []byte{0xef, 0xbb, 0xbf}) {
			return
		}
		cr := csv.NewReader(bytes.NewReader(data))
		cr.Comma = rune(d)
		want, err := cr.ReadAll()
		if err != nil || len(want) == 0 || len(want[0]) < 2 || binaryShare(data) > 0 {
			return
		}
		for _, r := range want {
			for _, v := range r {
				if strings.TrimSpace(v) != v || strings.Contains(v, "\n") {
					return // spaces and quoted newlines are read leniently
				}
			}
		}
		if !reflect.DeepEqual(rows, want) {
			t.Fatalf("rows %q, encoding/csv %q", rows, want)
		}
	})
}

func FuzzJSON(f *testing.F) {
	for _, s := range seedTexts[6:10] {
		f.Add([]byte(s))
	}
	f.Add([]byte(`[{"a":"\u00f1","b":1e5},{"a":true}]`))
	f.Add([]byte(`{"a":"x\"y","b":-1.5e3,"c":null,"d":true,"a":"z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		drain(t, t.TempDir(), data, Options{Format: "json"})
		drain(t, t.TempDir(), data, Options{Format: "jsonl"})
		// The fast path for flat objects agrees with encoding/json.
		fast := &jsonRows{skips: &skipper{}}
		slow := &jsonRows{skips: &skipper{}}
		line := func() int64 { return 1 }
		row, ok := fast.flatObject(data, line)
		if !ok {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("flatObject read %q, the decoder does not (%v)", data, err)
		}
		want, err := slow.object(dec, line)
		if err != nil || dec.More() {
			t.Fatalf("flatObject read %q, the decoder does not (%v)", data, err)
		}
		if !reflect.DeepEqual(row, want) || !reflect.DeepEqual(fast.names, slow.names) {
			t.Fatalf("flatObject %q: %q %q, decoder %q %q", data, fast.names, row, slow.names, want)
		}
	})
}

func FuzzSQL(f *testing.F) {
	for _, s := range seedTexts[10:14] {
		f.Add([]byte(s))
	}
	f.Add([]byte("INSERT INTO t VALUES (_utf8mb4'x', X'00', 0x1F, now(), -1.5e3);"))
	f.Fuzz(func(t *testing.T, data []byte) {
		drain(t, t.TempDir(), data, Options{Format: "sql"})
	})
}

// The fuzzers also run their seeds as tests; make sure each seed reads.
func TestSeedsRead(t *testing.T) {
	for _, s := range seedTexts[:14] {
		rows := drain(t, t.TempDir(), []byte(s), Options{})
		if len(rows) == 0 {
			t.Errorf("seed %q: no rows", s)
		}
	}
}

// FuzzXLSX: a workbook whose first sheet is any XML, inside an intact
// zip so that the fuzzer reaches the sheet reader, and any bytes read as
// a workbook: no panic, rows of the header's width, bounded skips.
func FuzzXLSX(f *testing.F) {
	book := xlsxBook(f, [][]string{{"CURP", "NOMBRE", "FECHA"}, {"PEGL890909MJCRMS08", "PRUEBA", "2018-02-15"}})
	const sheet = "xl/worksheets/sheet1.xml"
	f.Add(zipEntry(f, book, sheet))
	f.Add([]byte(`<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c><c r="C1" t="s"><v>9</v></c></row><row r="1048577"><c r="XFE1"><v>1e999</v></c></row></sheetData></worksheet>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		drain(t, t.TempDir(), withZipEntry(t, book, sheet, data), Options{Format: "xlsx"})
		drain(t, t.TempDir(), data, Options{Format: "xlsx"})
	})
}

// xlsxBook is a workbook of rows written by excelize.
func xlsxBook(tb testing.TB, rows [][]string) []byte {
	x := excelize.NewFile()
	defer x.Close()
	for i, row := range rows {
		cells := make([]any, len(row))
		for j, v := range row {
			cells[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow(x.GetSheetName(0), cell, &cells); err != nil {
			tb.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// zipEntry is the content of the entry name of the zip archive b.
func zipEntry(tb testing.TB, b []byte, name string) []byte {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		tb.Fatal(err)
	}
	rc, err := zr.Open(name)
	if err != nil {
		tb.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// withZipEntry is the zip archive b with the entry name's content replaced.
func withZipEntry(tb testing.TB, b []byte, name string, data []byte) []byte {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range zr.File {
		w, err := zw.Create(e.Name)
		if err != nil {
			tb.Fatal(err)
		}
		if e.Name == name {
			w.Write(data)
			continue
		}
		rc, err := e.Open()
		if err != nil {
			tb.Fatal(err)
		}
		io.Copy(w, rc)
		rc.Close()
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestXLSXRebuilt: FuzzXLSX's zip, rebuilt around the sheet as written,
// reads as the workbook (the fuzzer's inputs reach the sheet reader).
func TestXLSXRebuilt(t *testing.T) {
	book := xlsxBook(t, [][]string{{"CURP", "NOMBRE"}, {"PEGL890909MJCRMS08", "PRUEBA"}, {"GOMC800101HDFRRR09", "OTRA"}})
	const sheet = "xl/worksheets/sheet1.xml"
	rows := drain(t, t.TempDir(), withZipEntry(t, book, sheet, zipEntry(t, book, sheet)), Options{Format: "xlsx"})
	if want := [][]string{{"PEGL890909MJCRMS08", "PRUEBA"}, {"GOMC800101HDFRRR09", "OTRA"}}; !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows %q, want %q", rows, want)
	}
}

// TestXLSXMutated reads 300 workbooks whose sheet XML has a few random
// bytes changed, inside an intact zip and as it is, with drain's checks
// (no panic, rows of the header's width, bounded skips): the part of
// FuzzXLSX that runs in every test run.
func TestXLSXMutated(t *testing.T) {
	book := xlsxBook(t, [][]string{{"CURP", "NOMBRE", "FECHA"}, {"PEGL890909MJCRMS08", "PRUEBA", "2018-02-15"}})
	const sheet = "xl/worksheets/sheet1.xml"
	seed := zipEntry(t, book, sheet)
	r := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	for range 300 {
		x := slices.Clone(seed)
		for range 1 + r.IntN(4) {
			x[r.IntN(len(x))] = byte(r.IntN(256))
		}
		drain(t, dir, withZipEntry(t, book, sheet, x), Options{Format: "xlsx"})
		drain(t, dir, x, Options{Format: "xlsx"})
	}
}
