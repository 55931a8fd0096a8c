package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// nestedRows are JSON Lines of a register that nests a person's name,
// address and registration in objects of their own, as some exports do.
var nestedRows = []string{
	`{"curp":"PEGL890909MJCRMS08","nombre":{"nombre":"PRUEBA","paterno":"UNO","materno":"RUIZ"},"domicilio":{"calle":"CALLE PINOS","num_exterior":"21","colonia":"CENTRO"},"registro":{"fecha":"1995-10-10","emision":"2012"}}`,
	// a key missing (materno), a nested key first seen here, a null object
	`{"curp":"SABC560626MDFLRN01","nombre":{"nombre":"MUESTRA","paterno":"DOS"},"domicilio":{"calle":"AV. \"B\"","num_exterior":7,"colonia":"NORTE","cp":{"codigo":"01000"}},"registro":null}`,
	// an array stays compact JSON text; keys in another order
	`{"registro":{"emision":"2018","fecha":"2001-01-31"},"curp":"BEML920313HMCLNS09","nombre":{"paterno":"TRES","nombre":"EJEMPLO"},"telefonos":["555 1234", "555 9876"]}`,
}

var (
	nestedHeader = []string{"curp", "nombre.nombre", "nombre.paterno", "nombre.materno",
		"domicilio.calle", "domicilio.num_exterior", "domicilio.colonia", "registro.fecha", "registro.emision",
		"domicilio.cp.codigo", "registro", "telefonos"}
	nestedWant = [][]string{
		{"PEGL890909MJCRMS08", "PRUEBA", "UNO", "RUIZ", "CALLE PINOS", "21", "CENTRO", "1995-10-10", "2012", "", "", ""},
		{"SABC560626MDFLRN01", "MUESTRA", "DOS", "", `AV. "B"`, "7", "NORTE", "", "", "01000", "", ""},
		{"BEML920313HMCLNS09", "EJEMPLO", "TRES", "", "", "", "", "2001-01-31", "2018", "", "", `["555 1234","555 9876"]`},
	}
)

// TestJSONNestedObjects: members of nested objects are columns of their
// own, named with dots, in the order first seen, whatever the JSON shape.
func TestJSONNestedObjects(t *testing.T) {
	lines := strings.Join(nestedRows, "\n") + "\n"
	wrapper := "{\"data\": [\n" + strings.Join(nestedRows, ",\n") + "\n]}\n"
	var indented bytes.Buffer
	if err := json.Indent(&indented, []byte("["+strings.Join(nestedRows, ",")+"]"), "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty := strings.Replace(indented.String(), `"num_exterior": 7,`, `"num_exterior": 7`+"\n  ,", 1) // a number before a newline
	tests := []struct {
		name, file, data, format string
	}{
		{"jsonl", "a.jsonl", lines, "jsonl"},
		{"array", "a.json", "[" + strings.Join(nestedRows, ",") + "]", "json"},
		{"wrapper", "a.json", wrapper, "json"},
		{"stream", "a.json", strings.Join(nestedRows, " "), "json"},
		{"pretty", "a.json", pretty, "json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, write(t, tc.file, []byte(tc.data)), Options{})
			if res.err != nil {
				t.Fatal(res.err)
			}
			if res.info.Format != tc.format {
				t.Errorf("format %s, want %s", res.info.Format, tc.format)
			}
			if !reflect.DeepEqual(res.header, nestedHeader) {
				t.Errorf("header %q\nwant   %q", res.header, nestedHeader)
			}
			if !reflect.DeepEqual(res.rows, nestedWant) {
				t.Errorf("rows %q\nwant %q", res.rows, nestedWant)
			}
		})
	}
	// Past the sample (and the 100 rows read for the header), a nested
	// key the sample lacks is ignored and said.
	late := strings.Repeat(nestedRows[0]+"\n", 101) + nestedRows[1] + "\n"
	res := readAll(t, write(t, "a.jsonl", []byte(late)), Options{SampleRows: 1})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if want := nestedHeader[:9]; !reflect.DeepEqual(res.header, want) || len(res.rows) != 102 {
		t.Errorf("key past the sample: header %q, %d rows, want %q, 102 rows", res.header, len(res.rows), want)
	}
	if len(res.info.Skipped) != 2 || !strings.Contains(res.info.Skipped[0].Reason, `"domicilio.cp.codigo"`) || res.info.Skipped[0].Line != 102 {
		t.Errorf("key past the sample: skips %v, want domicilio.cp.codigo and registro on line 102", res.info.Skipped)
	}
}

// TestJSONPrettyNumbers: in a pretty-printed array, a number ending its
// line is read without the line end (the fast path agreed with
// encoding/json only on one-line objects).
func TestJSONPrettyNumbers(t *testing.T) {
	res := readAll(t, write(t, "p.json", []byte("[\n  {\n    \"a\": \"x\",\n    \"n\": 12\r\n  }\n]\n")), Options{})
	if res.err != nil || !reflect.DeepEqual(res.rows, [][]string{{"x", "12"}}) {
		t.Errorf("rows %q, err %v, want [[x 12]]", res.rows, res.err)
	}
}

// TestJSONFlatAgrees: the fast path reads as encoding/json does where
// FuzzJSON found it did not (bytes that are not UTF-8 in a name), and on
// nested objects.
func TestJSONFlatAgrees(t *testing.T) {
	for _, data := range []string{
		"{\"\x87\":\"\x82\"}",
		"{\"a\":\"PE\xd1A\",\"b\":\"PEÑA\"}",
		nestedRows[0],
		`{"a":{"b":{},"c":{"d":null}},"a":{"b":"x"},"a.b":"y"}`,
	} {
		fast := &jsonRows{skips: &skipper{}}
		slow := &jsonRows{skips: &skipper{}}
		line := func() int64 { return 1 }
		row, ok := fast.flatObject([]byte(data), line)
		if !ok {
			t.Errorf("flatObject %q: not read", data)
			continue
		}
		dec := json.NewDecoder(strings.NewReader(data))
		dec.Token()
		want, err := slow.object(dec, line)
		if err != nil || !reflect.DeepEqual(row, want) || !reflect.DeepEqual(fast.names, slow.names) {
			t.Errorf("flatObject %q: %q %q, decoder %q %q (%v)", data, fast.names, row, slow.names, want, err)
		}
	}
}

// TestJSONNestedBounds: flattening stays bounded: an object nested
// deeper than a few levels is one column of compact JSON, and keys past the
// header's cap are ignored and said, however they come.
func TestJSONNestedBounds(t *testing.T) {
	const levels = 100
	deep := `{"v":1}`
	for i := 0; i < levels; i++ {
		deep = `{"a":` + deep + `}`
	}
	res := readAll(t, write(t, "deep.jsonl", []byte(deep+"\n"+deep+"\n")), Options{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(res.header) != 1 || len(res.rows) != 2 {
		t.Fatalf("deep object: header %q, %d rows, want one column", res.header, len(res.rows))
	}
	name, val := res.header[0], res.rows[0][0]
	if n := strings.Count(name, "a"); n < 8 || n == levels || name != strings.Repeat("a.", n-1)+"a" ||
		val != strings.Repeat(`{"a":`, levels-n)+`{"v":1}`+strings.Repeat("}", levels-n) {
		t.Errorf("deep object: column %q = %q, want a.a.a... and the rest as JSON", name, val)
	}

	const keys = 30000
	var wide strings.Builder
	wide.WriteString(`{"curp":"PEGL890909MJCRMS08","x":{`)
	for i := 0; i < keys; i++ {
		if i > 0 {
			wide.WriteByte(',')
		}
		fmt.Fprintf(&wide, `"k%d":%d`, i, i)
	}
	wide.WriteString("}}")
	for _, tc := range []struct{ name, file, data string }{
		{"jsonl", "w.jsonl", wide.String() + "\n" + `{"curp":"SABC560626MDFLRN01"}` + "\n"},
		{"array", "w.json", "[" + wide.String() + `,{"curp":"SABC560626MDFLRN01"}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := readAll(t, write(t, tc.file, []byte(tc.data)), Options{})
			if res.err != nil {
				t.Fatal(res.err)
			}
			if len(res.header) < 2 || res.header[1] != "x.k0" || len(res.header) > keys/2 || len(res.rows) != 2 || res.rows[1][0] != "SABC560626MDFLRN01" {
				t.Fatalf("%d columns (%.3q...), %d rows, want x.k0... capped and 2 rows", len(res.header), res.header, len(res.rows))
			}
			if res.info.SkippedCount == 0 || !strings.Contains(res.info.Skipped[0].Reason, "ignored") {
				t.Errorf("skips %v, want the ignored keys said", res.info.Skipped)
			}
		})
	}
}

// TestJSONLLongFirstLine: a first line too long to keep is skipped and
// said like any other line, and the file still reads as JSON Lines; so
// does a first line longer than the sniffer's window but short enough to
// keep (a bad line after it is skipped, not an error for the whole file).
func TestJSONLLongFirstLine(t *testing.T) {
	const rest = `{"curp":"SABC560626MDFLRN01","nota":""}` + "\n" +
		`{"curp":"bad line"` + "\n" +
		`{"curp":"BEML920313HMCLNS09","nota":"x"}` + "\n"
	first := func(n int) string {
		return `{"curp":"PEGL890909MJCRMS08","nota":"` + strings.Repeat("C", n) + `"}` + "\n"
	}
	two := []string{"SABC560626MDFLRN01", "BEML920313HMCLNS09"}
	three := append([]string{"PEGL890909MJCRMS08"}, two...)
	tests := []struct {
		name  string
		data  string
		opt   Options
		rows  []string // the CURP of each row
		skips []int64  // the lines skipped
	}{
		{"too long", first(2<<20) + rest, Options{}, two, []int64{1, 3}},
		{"too long, small limit", first(100<<10) + rest, Options{MaxLineBytes: 4096}, two, []int64{1, 3}},
		{"too long, blank lines after", first(2<<20) + "\n \n" + rest, Options{}, two, []int64{1, 5}},
		{"past the window", first(200<<10) + rest, Options{}, three, []int64{3}},
		{"past the window, CRLF", strings.ReplaceAll(first(200<<10)+rest, "\n", "\r\n"), Options{}, three, []int64{3}},
		{"past the window, blank lines before", "\n\n" + first(200<<10) + rest, Options{}, three, []int64{5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, "leak.jsonl", []byte(tc.data))
			for _, sample := range []int{0, 1} {
				opt := tc.opt
				opt.SampleRows = sample
				res := readAll(t, p, opt)
				if res.err != nil {
					t.Fatalf("sample %d: %v", sample, res.err)
				}
				if res.info.Format != "jsonl" || !reflect.DeepEqual(res.header, []string{"curp", "nota"}) {
					t.Errorf("sample %d: format %s header %q, want jsonl [curp nota]", sample, res.info.Format, res.header)
				}
				var curps []string
				for _, row := range res.rows {
					curps = append(curps, row[0])
				}
				if !reflect.DeepEqual(curps, tc.rows) {
					t.Errorf("sample %d: rows %q, want %q", sample, curps, tc.rows)
				}
				var lines []int64
				for _, s := range res.info.Skipped {
					lines = append(lines, s.Line)
				}
				if !reflect.DeepEqual(lines, tc.skips) {
					t.Errorf("sample %d: skips %v, want lines %v", sample, res.info.Skipped, tc.skips)
				}
			}
		})
	}
	// Not JSON Lines: one long object alone on its line, or spread over
	// lines, is still an error.
	for _, data := range []string{
		`{"meta":"` + strings.Repeat("C", 2<<20) + `","rows":[{"a":"1"}]}` + "\n",
		"{\n \"nota\": \"" + strings.Repeat("C", 2<<20) + "\"\n}\n" + rest,
	} {
		res := readAll(t, write(t, "leak.json", []byte(data)), Options{})
		var pe *ParseError
		if !errors.As(res.err, &pe) || !strings.Contains(pe.Error(), "longer than") {
			t.Errorf("%.20q...: err %v, want a value too long", data, res.err)
		}
	}
}

// TestJSONErrorPosition: a syntax error in a pretty-printed JSON array is
// reported at the line and column of the offending byte, however far
// into the file (and past the newlines the reader keeps).
func TestJSONErrorPosition(t *testing.T) {
	tests := []struct {
		name string
		at   int    // the line where bad replaces an object's second member
		bad  string // '@' marks the offending byte (and is removed)
	}{
		{"missing colon", 5000, `    "localidad" @"0001"`},
		{"missing colon, line 100", 100, `    "localidad" @"0001"`},
		{"bad literal", 400, `    "localidad": tru@x`},
		{"control byte in a string", 1200, "    \"localidad\": \"00@\x01\""},
		{"missing comma", 800, "    \"localidad\": \"0001\"\n  }\n  @{\n    \"localidad\": \"0002\""},
		{"past the newlines kept", 200000, `    "localidad" @"0001"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// An array of objects of 4 lines each: line 4i+4 is the second
			// member of object i.
			var b strings.Builder
			b.WriteString("[\n")
			for i := 0; 4*i < tc.at+40; i++ {
				if i > 0 {
					b.WriteString(",\n")
				}
				b.WriteString("  {\n    \"curp\": \"PEGL890909MJCRMS08\",\n")
				if 4*i+4 == tc.at {
					b.WriteString(strings.Replace(tc.bad, "@", "", 1))
				} else {
					fmt.Fprintf(&b, "    \"localidad\": \"%04d\"", i%10000)
				}
				b.WriteString("\n  }")
			}
			b.WriteString("\n]\n")
			k := strings.Index(tc.bad, "@")
			line := int64(tc.at + strings.Count(tc.bad[:k], "\n"))
			col := k - strings.LastIndex(tc.bad[:k], "\n")

			res := readAll(t, write(t, "bad.json", []byte(b.String())), Options{})
			var pe *ParseError
			if !errors.As(res.err, &pe) {
				t.Fatalf("err %v, want a ParseError", res.err)
			}
			if pe.Line != line || pe.Column != col {
				t.Errorf("error at %d:%d, want %d:%d (%v)", pe.Line, pe.Column, line, col, pe)
			}
		})
	}
	// On the first line, columns count from 1 too.
	res := readAll(t, write(t, "bad.json", []byte(`[{"a":"1"},{"a" "2"}]`)), Options{})
	var pe *ParseError
	if !errors.As(res.err, &pe) || pe.Line != 1 || pe.Column != 17 {
		t.Errorf("err %v, want bad.json:1:17", res.err)
	}
}

// BenchmarkJSONFlatObject: the fast path on one line of JSON Lines (the
// 20 fields of a register row), without the file around it.
func BenchmarkJSONFlatObject(b *testing.B) {
	line := []byte(`{"CURP":"PEGL890909MJCRMS08","NOMBRE":"PRUEBA","PATERNO":"UNO","MATERNO":"RUIZ","FECHA_NAC":"1989-09-09",` +
		`"SEXO":"M","CALLE":"CALLE PINOS","NUM_EXT":"21","NUM_INT":"","COLONIA":"CENTRO","CP":"01000","ENTIDAD":14,` +
		`"MUNICIPIO":39,"SECCION":"0123","LOCALIDAD":"0001","EMISION":2012,"VIGENCIA":2022,"CLAVE":"PRUNRU89090914M100","OCR":"1234567890123","REGISTRO":"1995-10-10"}`)
	j := &jsonRows{skips: &skipper{}}
	line1 := func() int64 { return 1 }
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, ok := j.flatObject(line, line1); !ok {
			b.Fatal("not read")
		}
	}
}
