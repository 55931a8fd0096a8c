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
