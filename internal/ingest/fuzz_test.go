package ingest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
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
