package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/synth"
)

// Benchmarks read a synthetic padrón dump of HUELLA_BENCH_ROWS rows
// (default 1,000,000; about 170 bytes a row) written once per run:
//
//	go test ./internal/ingest -run XXX -bench . -benchtime 3x
var benchFiles struct {
	once sync.Once
	dir  string
	rows int
	err  error
}

func benchFile(b *testing.B, kind string) string {
	benchFiles.once.Do(func() {
		n := 1_000_000
		if s := os.Getenv("HUELLA_BENCH_ROWS"); s != "" {
			n, _ = strconv.Atoi(s)
		}
		benchFiles.rows = n
		benchFiles.dir, benchFiles.err = os.MkdirTemp("", "ingest-bench")
		if benchFiles.err != nil {
			return
		}
		benchFiles.err = writeBenchFiles(benchFiles.dir, n)
	})
	if benchFiles.err != nil {
		b.Fatal(benchFiles.err)
	}
	return filepath.Join(benchFiles.dir, kind)
}

func writeBenchFiles(dir string, n int) error {
	m := synth.NewMaker(42)
	asOf := register.MustDate("2018-06-01")
	names := register.INE().Names()
	files := map[string]*bufio.Writer{}
	var closers []io.Closer
	for _, k := range []string{"plain.csv", "quoted.csv", "gz.csv.gz", "rows.jsonl", "rows.json", "dump.sql"} {
		f, err := os.Create(filepath.Join(dir, k))
		if err != nil {
			return err
		}
		var w io.Writer = f
		if strings.HasSuffix(k, ".gz") {
			z := gzip.NewWriter(f)
			closers = append(closers, z)
			w = z
		}
		closers = append(closers, f)
		files[k] = bufio.NewWriterSize(w, 1<<20)
	}
	files["plain.csv"].WriteString(strings.Join(names, ",") + "\n")
	files["gz.csv.gz"].WriteString(strings.Join(names, ",") + "\n")
	files["quoted.csv"].WriteString(`"` + strings.Join(names, `","`) + "\"\n")
	files["dump.sql"].WriteString("CREATE TABLE padron (" + strings.Join(names, " text, ") + " text);\n")
	for i := 0; i < n; i++ {
		rec := m.Person(asOf)
		line := strings.Join(rec, ",")
		files["plain.csv"].WriteString(line + "\n")
		files["gz.csv.gz"].WriteString(line + "\n")
		files["quoted.csv"].WriteString(`"` + strings.Join(rec, `","`) + "\"\n")
		j := files["rows.jsonl"]
		j.WriteByte('{')
		for k, v := range rec {
			if k > 0 {
				j.WriteByte(',')
			}
			fmt.Fprintf(j, "%q:%q", names[k], v)
		}
		j.WriteString("}\n")
		a := files["rows.json"]
		if i == 0 {
			a.WriteString("[\n")
		} else {
			a.WriteString(",\n")
		}
		a.WriteByte('{')
		for k, v := range rec {
			if k > 0 {
				a.WriteByte(',')
			}
			fmt.Fprintf(a, "%q:%q", names[k], v)
		}
		a.WriteByte('}')
		s := files["dump.sql"]
		if i%1000 == 0 {
			if i > 0 {
				s.WriteString(";\n")
			}
			s.WriteString("INSERT INTO padron VALUES ")
		} else {
			s.WriteByte(',')
		}
		s.WriteString("('" + strings.Join(rec, "','") + "')")
	}
	files["dump.sql"].WriteString(";\n")
	files["rows.json"].WriteString("\n]\n")
	for _, w := range files {
		if err := w.Flush(); err != nil {
			return err
		}
	}
	for _, c := range closers {
		if err := c.Close(); err != nil {
			return err
		}
	}
	return nil
}

// cpuTime is the process's user+system CPU time: on a shared machine
// rows per CPU-second is steadier than rows per wall-second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration, rows int) {
	b.ReportMetric(float64(rows)*float64(b.N)/(cpuTime()-start).Seconds(), "rows/cpu-s")
}

func benchRead(b *testing.B, kind string) {
	p := benchFile(b, kind)
	st, _ := os.Stat(p)
	b.SetBytes(st.Size())
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		r, err := Open(p, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		r.Close()
		if n != benchFiles.rows {
			b.Fatalf("read %d rows, want %d", n, benchFiles.rows)
		}
	}
	b.ReportMetric(float64(benchFiles.rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	reportCPU(b, cpu0, benchFiles.rows)
}

func BenchmarkCSV(b *testing.B)       { benchRead(b, "plain.csv") }
func BenchmarkCSVQuoted(b *testing.B) { benchRead(b, "quoted.csv") }
func BenchmarkCSVGzip(b *testing.B)   { benchRead(b, "gz.csv.gz") }
func BenchmarkJSONL(b *testing.B)     { benchRead(b, "rows.jsonl") }
func BenchmarkJSONArray(b *testing.B) { benchRead(b, "rows.json") }
func BenchmarkSQL(b *testing.B)       { benchRead(b, "dump.sql") }

// BenchmarkEncodingCSV is the standard library's reader on the same file
// (ReuseRecord on), for comparison.
func BenchmarkEncodingCSV(b *testing.B) {
	p := benchFile(b, "plain.csv")
	st, _ := os.Stat(p)
	b.SetBytes(st.Size())
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		f, _ := os.Open(p)
		cr := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
		cr.ReuseRecord = true
		n := 0
		for {
			_, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		f.Close()
	}
	b.ReportMetric(float64(benchFiles.rows+1)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	reportCPU(b, cpu0, benchFiles.rows+1)
}

// BenchmarkSplitFloor is the floor: lines cut at commas with no strings
// made, no checks.
func BenchmarkSplitFloor(b *testing.B) {
	p := benchFile(b, "plain.csv")
	st, _ := os.Stat(p)
	b.SetBytes(st.Size())
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		f, _ := os.Open(p)
		br := bufio.NewReaderSize(f, 1<<20)
		fields := 0
		for {
			line, err := br.ReadSlice('\n')
			if len(line) == 0 && err != nil {
				break
			}
			fields += bytes.Count(line, []byte{','}) + 1
		}
		f.Close()
		if fields == 0 {
			b.Fatal("no fields")
		}
	}
	b.ReportMetric(float64(benchFiles.rows+1)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	reportCPU(b, cpu0, benchFiles.rows+1)
}
