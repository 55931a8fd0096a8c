package ingest

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// readBatches reads every row with NextBatch (after first rows read with
// Next), holding up to hold batches at once before releasing the oldest,
// and overwriting what a released batch's rows pointed to cannot change
// the rows copied before.
func readBatches(t *testing.T, path string, opt Options, first, hold int) ([][]string, Info, int) {
	t.Helper()
	r, err := Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows [][]string
	for range first {
		row, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, slices.Clone(row))
	}
	var held []*Batch
	var row []string
	flat := 0 // batches handed over in the parse-ahead goroutine's form
	for {
		b, err := r.NextBatch()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.Len() == 0 {
			t.Fatal("an empty batch")
		}
		if b.flat != nil {
			flat++
		}
		for i := range b.Len() {
			row = b.Row(i, row)
			c := make([]string, len(row))
			for k, v := range row {
				c[k] = strings.Clone(v)
			}
			rows = append(rows, c)
		}
		held = append(held, b)
		if len(held) > hold {
			held[0].Release()
			held = held[1:]
		}
	}
	for _, b := range held {
		b.Release()
	}
	return rows, r.Info(), flat
}

func TestNextBatchMatchesNext(t *testing.T) {
	var csv strings.Builder
	csv.WriteString("curp,nombre,calle,seccion\n")
	for i := range 5000 {
		switch {
		case i%997 == 5:
			csv.WriteString("short,row\n") // skipped: another width
		case i%13 == 0:
			fmt.Fprintf(&csv, "K%05d,\"APELLIDO, NOMBRE %d\",,%04d\n", i, i, i%300)
		default:
			fmt.Fprintf(&csv, "K%05d,NOMBRE %d,CALLE %d S/N,%04d\n", i, i, i%50, i%300)
		}
	}
	var jsonl strings.Builder
	for i := range 1500 {
		fmt.Fprintf(&jsonl, "{\"curp\":\"K%05d\",\"nombre\":\"N %d\"}\n", i, i)
	}
	paths := map[string]string{
		"csv":   write(t, "rows.csv", []byte(csv.String())),
		"jsonl": write(t, "rows.jsonl", []byte(jsonl.String())),
	}
	for _, c := range []struct {
		name        string
		opt         Options
		first, hold int
	}{
		{"csv", Options{}, 0, 0},
		{"csv", Options{}, 0, 20},
		{"csv", Options{}, 1700, 3},
		{"csv", Options{MaxRows: 2345}, 10, 2},
		{"csv", Options{SampleRows: 10}, 0, 1},
		{"jsonl", Options{}, 0, 2},
		{"jsonl", Options{MaxRows: 700}, 3, 0},
	} {
		t.Run(fmt.Sprintf("%s-%d-%d-%d", c.name, c.opt.MaxRows, c.first, c.hold), func(t *testing.T) {
			res := readAll(t, paths[c.name], c.opt)
			if res.err != nil {
				t.Fatal(res.err)
			}
			want, wantInfo := res.rows, res.info
			got, gotInfo, flat := readBatches(t, paths[c.name], c.opt, c.first, c.hold)
			if c.name == "csv" && runtime.GOMAXPROCS(0) > 1 && flat == 0 {
				t.Fatal("no batch came in flat form")
			}
			if len(want) < 100 {
				t.Fatalf("only %d rows", len(want))
			}
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("NextBatch read %d rows, Next %d, or other values", len(got), len(want))
			}
			// (with MaxRows, the rows skipped depend on how far the
			// parse-ahead goroutine got)
			if gotInfo.Rows != wantInfo.Rows || (c.opt.MaxRows == 0 && gotInfo.SkippedCount != wantInfo.SkippedCount) || gotInfo.SHA256 != wantInfo.SHA256 {
				t.Fatalf("info: NextBatch %d rows, %d skipped, %s; Next %d, %d, %s", gotInfo.Rows, gotInfo.SkippedCount, gotInfo.SHA256,
					wantInfo.Rows, wantInfo.SkippedCount, wantInfo.SHA256)
			}
		})
	}
}
