package store

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/huella/huella/internal/register"
)

// FuzzReadSnapshot feeds arbitrary bytes to the snapshot reader: it must
// never panic, must fail only with a positioned *ParseError, and every row
// it accepts must be valid and survive a CSV round trip.
func FuzzReadSnapshot(f *testing.F) {
	schema := register.INE()
	header := strings.Join(schema.Names(), ",")
	recs := genPeople(3, 11)
	good := header + "\n"
	for _, r := range recs {
		good += strings.Join(r, ",") + "\n"
	}
	f.Add([]byte(good))
	f.Add([]byte(strings.Replace(good, "\n", "\r\n", -1)))
	f.Add([]byte("\ufeff" + good))
	f.Add([]byte(header + "\n" + `"A,B",` + strings.Join(recs[0][1:], ",") + "\n"))
	f.Add([]byte(header + "\n" + strings.Join(recs[0][:19], ",") + "\n"))
	f.Add([]byte(header + "\n" + strings.Replace(strings.Join(recs[0], ","), recs[0][5], "1990-02-30", 1) + "\n"))
	f.Add([]byte(header + "\n" + strings.Replace(strings.Join(recs[0], ","), "COL CENTRO", "COL \xffCENTRO", 1) + "\n"))
	f.Add([]byte("person_id,valid_from,valid_to," + header + "\n7,2024-01-01,," + strings.Join(recs[0], ",") + "\n"))
	f.Add([]byte("person_id,valid_from,valid_to," + header + "\n7,2024-01-01,2023-01-01," + strings.Join(recs[0], ",") + "\n"))
	f.Add([]byte(""))
	f.Add([]byte("curp\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := newReader(bytes.NewReader(data), "fuzz.csv", schema)
		var rows [][]string
		for err == nil {
			var r *row
			r, err = rd.next()
			if err != nil {
				break
			}
			if len(r.Rec) != len(schema.Fields) {
				t.Fatalf("row with %d fields", len(r.Rec))
			}
			for i, v := range r.Rec {
				if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
					t.Fatalf("accepted invalid text %q", v)
				}
				if schema.Fields[i].Kind == register.KindDate && v != "" {
					if _, err := register.ParseDate(v); err != nil {
						t.Fatalf("accepted bad date %q", v)
					}
				}
			}
			if rd.kind == KindHistory && r.To <= r.From {
				t.Fatalf("accepted empty interval [%s, %s)", r.From, r.To)
			}
			rows = append(rows, append([]string(nil), r.Rec...))
		}
		if err == io.EOF {
			err = nil
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "fuzz.csv" || pe.Line < 1 || pe.Column < 0 {
				t.Fatalf("error %v (%T) is not a positioned ParseError", err, err)
			}
			return
		}
		if rd.kind != KindSnapshot {
			return
		}
		// Round trip: what was accepted reads back the same.
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write(schema.Names())
		w.WriteAll(rows)
		rd2, err := newReader(&buf, "again.csv", schema)
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			r, err := rd2.next()
			if err != nil {
				t.Fatalf("round trip row %d: %v", i, err)
			}
			for j := range rows[i] {
				if r.Rec[j] != rows[i][j] {
					t.Fatalf("round trip row %d field %d: %q != %q", i, j, r.Rec[j], rows[i][j])
				}
			}
		}
	})
}

// FuzzCSV checks the CSV splitter against encoding/csv: where encoding/csv
// reads records without error, the splitter reads the same ones.
func FuzzCSV(f *testing.F) {
	f.Add([]byte("a,b,c\n1,2,3\n"))
	f.Add([]byte("a,\"b,\"\"x\"\"\",c\r\n\n\"multi\nline\",2,3"))
	f.Add([]byte("a,b\"c\n"))
	f.Add([]byte("\"a\"b,c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 0 && data[len(data)-1] == '\r' {
			return // encoding/csv drops a final CR without LF; the splitter keeps it
		}
		std := csv.NewReader(bytes.NewReader(data))
		std.FieldsPerRecord = -1
		want, werr := std.ReadAll()
		cr := newCSVReader(bytes.NewReader(data))
		var got [][]string
		var gerr error
		for {
			rec, err := cr.read()
			if err == io.EOF {
				break
			}
			if err != nil {
				gerr = err
				break
			}
			got = append(got, append([]string(nil), rec...))
			if cr.pos[0].line < 1 || cr.pos[0].col != 1 {
				t.Fatalf("first field at %+v", cr.pos[0])
			}
		}
		if werr != nil {
			return
		}
		if gerr != nil {
			t.Fatalf("encoding/csv reads %q, splitter fails: %v", data, gerr)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d records, encoding/csv %d", data, len(got), len(want))
		}
		for i := range want {
			if strings.Join(got[i], "\x00") != strings.Join(want[i], "\x00") {
				t.Fatalf("%q: record %d %q, encoding/csv %q", data, i, got[i], want[i])
			}
		}
	})
}
