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
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huella/huella/internal/cputime"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/synth"
)

// Benchmarks read a synthetic padrón dump of HUELLA_BENCH_ROWS rows
// (default 1,000,000; about 190 bytes a row: the 20 INE fields of
// synth.Person, i.e. a full copy of a synthetic register) written once per
// run, or kept in HUELLA_BENCH_DIR between runs when that is set:
//
//	HUELLA_BENCH_DIR=/tmp/ingest-bench go test ./internal/ingest -run XXX -bench . -benchtime 3x
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
		if dir := os.Getenv("HUELLA_BENCH_DIR"); dir != "" {
			benchFiles.dir = filepath.Join(dir, strconv.Itoa(n))
			stamp := filepath.Join(benchFiles.dir, "complete")
			if _, err := os.Stat(stamp); err == nil {
				return
			}
			if benchFiles.err = os.MkdirAll(benchFiles.dir, 0o755); benchFiles.err != nil {
				return
			}
			if benchFiles.err = writeBenchFiles(benchFiles.dir, n); benchFiles.err == nil {
				benchFiles.err = os.WriteFile(stamp, nil, 0o644)
			}
			return
		}
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

// ballast holds HUELLA_BENCH_HEAP_MB MiB of pointer-free memory live
// while a benchmark runs, as the analysis holds its compact rows: the
// garbage collector then runs about once per that many MiB allocated, as
// in an analysis, instead of every 4 MiB (a benchmark's heap is tiny, and
// the cost of a row's string is mostly collection cycles).
//
// HUELLA_BENCH_HEAP_ROWS adds that many rows of 20 small strings, as the
// analysis holds its first 200,000 rows whole: a heap the GC must trace,
// so that marking lasts and write barriers are on for longer.
func ballast() any {
	mb, _ := strconv.Atoi(os.Getenv("HUELLA_BENCH_HEAP_MB"))
	b := make([]byte, mb<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	n, _ := strconv.Atoi(os.Getenv("HUELLA_BENCH_HEAP_ROWS"))
	rows := make([][]string, n)
	for i := range rows {
		row := make([]string, 20)
		for j := range row {
			row[j] = strconv.Itoa(i*20 + j)
		}
		rows[i] = row
	}
	return []any{b, rows}
}

// cpuTime is the process's user+system CPU time: on a shared machine
// rows per CPU-second is steadier than rows per wall-second.
func cpuTime() time.Duration { return cputime.Used() }

func reportCPU(b *testing.B, start time.Duration, rows int) {
	cpu := (cpuTime() - start).Seconds()
	b.ReportMetric(float64(rows)*float64(b.N)/cpu, "rows/cpu-s")
	b.ReportMetric(cpu*1e9/float64(rows)/float64(b.N), "cpu-ns/row")
}

// How a benchmark takes the rows.
const (
	viaNext = iota
	viaView
	viaSkip
)

func benchRead(b *testing.B, kind string) { benchReadVia(b, kind, viaNext) }

func benchReadVia(b *testing.B, kind string, via int) { benchReadOpt(b, kind, via, Options{}) }

func benchReadOpt(b *testing.B, kind string, via int, opt Options) {
	p := benchFile(b, kind)
	st, _ := os.Stat(p)
	b.SetBytes(st.Size())
	defer runtime.KeepAlive(ballast())
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		r, err := Open(p, opt)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			var k int64
			var err error
			switch via {
			case viaNext:
				if _, err = r.Next(); err == nil {
					k = 1
				}
			case viaView:
				if _, err = r.NextView(); err == nil {
					k = 1
				}
			case viaSkip:
				k, err = r.Skip(4096)
			}
			n += int(k)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
		if n != benchFiles.rows {
			b.Fatalf("read %d rows, want %d", n, benchFiles.rows)
		}
	}
	b.ReportMetric(float64(benchFiles.rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(benchFiles.rows)/float64(b.N), "ns/row")
	reportCPU(b, cpu0, benchFiles.rows)
}

func BenchmarkCSV(b *testing.B)       { benchRead(b, "plain.csv") }
func BenchmarkCSVQuoted(b *testing.B) { benchRead(b, "quoted.csv") }
func BenchmarkCSVGzip(b *testing.B)   { benchRead(b, "gz.csv.gz") }
func BenchmarkJSONL(b *testing.B)     { benchRead(b, "rows.jsonl") }
func BenchmarkJSONArray(b *testing.B) { benchRead(b, "rows.json") }
func BenchmarkSQL(b *testing.B)       { benchRead(b, "dump.sql") }

// The second-pass ways of reading: views valid until the next call, and
// rows passed over without being made.
func BenchmarkCSVView(b *testing.B)       { benchReadVia(b, "plain.csv", viaView) }
func BenchmarkCSVSkip(b *testing.B)       { benchReadVia(b, "plain.csv", viaSkip) }
func BenchmarkCSVQuotedView(b *testing.B) { benchReadVia(b, "quoted.csv", viaView) }

// BenchmarkCSVSkipNoHash is a second pass as the analysis makes it: rows
// passed over, the file's SHA-256 known from the first pass.
func BenchmarkCSVSkipNoHash(b *testing.B) {
	benchReadOpt(b, "plain.csv", viaSkip, Options{NoHash: true})
}

// BenchmarkCSVOneCore is the CSV path without the parse-ahead goroutine
// (GOMAXPROCS=1 takes it too): the parse alone, on the caller's goroutine.
func BenchmarkCSVOneCore(b *testing.B) {
	noPipeline = true
	defer func() { noPipeline = false }()
	benchRead(b, "plain.csv")
}

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

// BenchmarkScanLine finds the fields of the dump's lines (no file, no
// strings): the SIMD scan used on amd64 against the portable SWAR one.
func BenchmarkScanLine(b *testing.B) {
	data, err := os.ReadFile(benchFile(b, "plain.csv"))
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(data[:min(len(data), 4<<20)], []byte{'\n'})
	lines = lines[1 : len(lines)-1]
	for _, bc := range []struct {
		name string
		scan func([]byte, byte, int, []int) ([]int, bool, bool)
	}{{"scanLine", scanLine}, {"SWAR", scanLineSWAR}} {
		b.Run(bc.name, func(b *testing.B) {
			var ends []int
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				ends, _, _ = bc.scan(lines[i%len(lines)], ',', 0, ends[:0])
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/row")
		})
	}
}
