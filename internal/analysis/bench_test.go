package analysis

// Benchmarks of the whole analysis (docs/perf-analysis.md):
//
//	HUELLA_BENCH_PEOPLE=1000000 HUELLA_BENCH_DIR=/tmp/hb1m \
//	  go test ./internal/analysis -run '^$' -bench . -benchtime 3x
//
// The first run builds the workspace in HUELLA_BENCH_DIR (synthetic padrón
// 2017–2021 of HUELLA_BENCH_PEOPLE people, its history loaded, two
// fingerprinted copies cut 2018-02-15 and 2021-02-15, a 1,000-row sample of
// the 2018 copy); later runs reuse it.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/huella/huella/internal/cputime"
	"github.com/huella/huella/internal/fingerprint"
	"github.com/huella/huella/internal/ledger"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/release"
	"github.com/huella/huella/internal/store"
	"github.com/huella/huella/internal/synth"
	"github.com/huella/huella/internal/workspace"
)

type benchWorld struct {
	dir, ws, copy2018, sample string
	people                    int
}

func benchSetup(b *testing.B) *benchWorld {
	b.Helper()
	people := 50_000
	if s := os.Getenv("HUELLA_BENCH_PEOPLE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		people = n
	}
	dir := os.Getenv("HUELLA_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), fmt.Sprintf("huella-bench-analysis-%d", people))
	}
	w := &benchWorld{dir: dir, ws: filepath.Join(dir, "ws"), people: people,
		copy2018: filepath.Join(dir, "copy-2018.csv"), sample: filepath.Join(dir, "sample-1000.csv")}
	if _, err := os.Stat(w.sample); err == nil {
		return w
	}
	ctx := context.Background()
	os.RemoveAll(dir)
	syn := filepath.Join(dir, "synth")
	cfg := synth.Config{People: people, Seed: 7, Start: register.MustDate("2017-01-01"), End: register.MustDate("2021-12-31")}
	if err := synth.WriteFiles(ctx, cfg, syn, nil); err != nil {
		b.Fatal(err)
	}
	ws, err := workspace.Init(w.ws, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	if err := store.Create(ws.StorePath(), ws.Schema()); err != nil {
		b.Fatal(err)
	}
	if err := ledger.Create(ws.LedgerPath(), ws.LedgerKeyPath(), "huella-bench"); err != nil {
		b.Fatal(err)
	}
	if err := ws.Finish(); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ws.StorePath(), ws.Schema())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Load(ctx, []store.LoadInput{{Path: filepath.Join(syn, "history.csv")}}, nil); err != nil {
		b.Fatal(err)
	}
	lg, err := ledger.Open(ws.LedgerPath(), ws.LedgerKeyPath())
	if err != nil {
		b.Fatal(err)
	}
	defer lg.Close()
	key, err := ws.FingerprintKey()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ who, asOf, out string }{
		{"PARTIDO A", "2018-02-15", w.copy2018},
		{"PARTIDO B", "2021-02-15", filepath.Join(dir, "copy-2021.csv")},
	} {
		_, err := release.Write(ctx, key, ws.Schema(), st, lg, release.Options{
			Recipient: c.who, AsOf: register.MustDate(c.asOf), Out: c.out, Params: fingerprint.DefaultParams()})
		if err != nil {
			b.Fatal(err)
		}
	}
	os.RemoveAll(syn)
	// The proof sample: the copy's header and first 1,000 rows.
	data, err := os.ReadFile(w.copy2018)
	if err != nil {
		b.Fatal(err)
	}
	end, lines := 0, 0
	for end < len(data) && lines < 1001 {
		if data[end] == '\n' {
			lines++
		}
		end++
	}
	if err := os.WriteFile(w.sample, data[:end], 0o644); err != nil {
		b.Fatal(err)
	}
	return w
}

func benchAnalyze(b *testing.B, w *benchWorld, path string) {
	ws, err := workspace.Open(w.ws)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	b.ResetTimer()
	c0 := cpuTime()
	var rows int
	for range b.N {
		opt := Options{NoLedger: true}
		if os.Getenv("HUELLA_BENCH_STAGES") != "" {
			// Stage boundaries on stderr: where the wall and CPU time go.
			t0, c0, last := time.Now(), cpuTime(), ""
			opt.Progress = func(stage string, done, total int64) {
				if stage != last {
					fmt.Fprintf(os.Stderr, "%8.3fs %8.3f cpu-s %s\n", time.Since(t0).Seconds(), cpuTime()-c0, stage)
					last = stage
				}
			}
		}
		out, err := AnalyzeFile(context.Background(), ws, path, opt)
		if err != nil {
			b.Fatal(err)
		}
		if out.Report.Verdict != "ours" || len(out.Report.Accused()) != 1 {
			b.Fatalf("verdict %s, accused %d", out.Report.Verdict, len(out.Report.Accused()))
		}
		rows = out.Report.Input.Rows
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric((cpuTime()-c0)/float64(b.N), "cpu-s/op")
}

// cpuTime is the process's user+system CPU seconds: on a shared machine it
// is steadier than wall time.
func cpuTime() float64 { return cputime.Used().Seconds() }

// BenchmarkAnalyzeSample1000 is the whole analysis of a 1,000-row proof
// sample: open store and ledger, read, infer, link, date, attribute
// against every release, report (HTML included), case files.
func BenchmarkAnalyzeSample1000(b *testing.B) {
	w := benchSetup(b)
	benchAnalyze(b, w, w.sample)
}

// BenchmarkAnalyzeDump is the whole analysis of the full 2018 copy.
func BenchmarkAnalyzeDump(b *testing.B) {
	w := benchSetup(b)
	benchAnalyze(b, w, w.copy2018)
}

// BenchmarkParseFloor is the floor for the dump: a hand-rolled split of the
// same file into fields, nothing else.
func BenchmarkParseFloor(b *testing.B) {
	w := benchSetup(b)
	b.ResetTimer()
	rows := 0
	for range b.N {
		f, err := os.Open(w.copy2018)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		fields := 0
		rows = 0
		for sc.Scan() {
			line := sc.Bytes()
			fields += bytes.Count(line, []byte{','}) + 1
			rows++
		}
		f.Close()
		if fields == 0 {
			b.Fatal("no fields")
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
