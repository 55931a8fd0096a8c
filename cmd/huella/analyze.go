package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/huella/huella/internal/analysis"
	"github.com/huella/huella/internal/atomicfile"
	"github.com/huella/huella/internal/cputime"
	"github.com/huella/huella/internal/ingest"
	"github.com/huella/huella/internal/report"
	"github.com/huella/huella/internal/workspace"
)

func init() {
	var jsonOut, htmlOut, affectedOut, rowsOut string
	addCommand(&command{
		Name:     "analyze",
		Summary:  "analyse a leaked file: ours? cut-off? whose copy? who is exposed?",
		Usage:    "huella analyze FILE [--json OUT|-] [--html OUT] [--affected OUT] [--rows OUT]",
		NeedsDir: true,
		Help: `Reads a leaked file as it comes (CSV/TSV/pipe/semicolon, JSON, JSON Lines,
SQL INSERT dumps, XLSX; UTF-8 or Latin-1; .gz, .zip), maps its columns to
the register's fields from their content, links every row to a person of
the register and answers:

  verdict      ours | partial | same_people_other_source | not_ours
  cut-off      the interval of days the copy was cut, with the share of
               rows that agree and a 95% band
  attribution  for every logged release: score, false-accusation bound,
               accused or not; accused | inconclusive | no_release_matches
               (| not_applicable when the file is not ours)
  exposure     people affected, by entidad and sección (of the version a
               row shows; their latest when the row does not tell)

The analysis is appended to the ledger (once per analysis id) and filed as
a case in DIR/cases/<analysis_id>/ (report.json, report.html,
affected.csv). The same file against the same store and ledger gives
byte-identical JSON. affected.csv lists each affected person once, by the
CURP they hold now (a CURP corrected after the copy was cut is listed as
corrected). It holds CURPs (personal data): it is written with mode 0600
and never printed.

A row holding the CURP or clave of a person of the register whose names,
birth date and address it does not share holds someone else's key: it is
not linked by it (a limitation says how many), but by name if it can be.

An analysis holds about 200 bytes a row in memory until its rows are
linked: a file with more rows than 85% of the machine's memory (or of its
container's limit) holds, about 106 million on 24 GiB, is refused while it
is read, with the bad-input exit code, before any case or ledger entry is
made.

With HUELLA_STAGES=1 in the environment, the analysis prints on stderr the
wall and CPU time at which each of its stages starts (read, link, scan,
tally, attribute, exposure, report, done): where a large dump's time goes.

Examples:
  huella analyze leak.csv
  huella analyze dump.sql.gz --json - > report.json
  huella analyze sample.xlsx --html sample.html --affected notify.csv`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&jsonOut, "json", "", "write the JSON report to `OUT` (\"-\": standard output, alone)")
			fs.StringVar(&htmlOut, "html", "", "write the HTML report to `OUT`")
			fs.StringVar(&affectedOut, "affected", "", "write the CURPs of the affected people to `OUT` (mode 0600)")
			fs.StringVar(&rowsOut, "rows", "", "write one line per leaked row to `OUT` (mode 0600): "+analysis.RowsHeader)
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usageError("analyze takes one FILE")
			}
			// A soft memory limit makes the collector keep the heap near what
			// is live instead of doubling it; it grows with the rows read
			// (memoryLimit), so that a dump larger than the limit is not
			// collected over and over (GOMEMLIMIT, when set, wins).
			var lim *memoryLimit
			if os.Getenv("GOMEMLIMIT") == "" {
				lim = newMemoryLimit()
			}
			ws, err := openWorkspace(env)
			if err != nil {
				return err
			}
			defer ws.Close()
			var rows *atomicfile.File
			var rowsW io.Writer // nil unless --rows
			if rowsOut != "" {
				// written beside OUT and renamed into place once whole
				if rows, err = atomicfile.Create(rowsOut, 0o600); err != nil {
					return fmt.Errorf("rows: %w", err)
				}
				defer rows.Abort()
				rowsW = rows
			}
			out, err := runAnalysis(ctx, env, ws, args[0], "", lim.rows, rowsW)
			if err != nil {
				return err
			}
			if rows != nil {
				if err := rows.Commit(); err != nil {
					return fmt.Errorf("rows: %w", err)
				}
			}
			summary := env.Stdout
			if jsonOut == "-" {
				summary = env.Stderr
				if _, err := env.Stdout.Write(out.JSON); err != nil {
					return err
				}
			} else if jsonOut != "" {
				if err := report.WriteFile(jsonOut, out.JSON, 0o644); err != nil {
					return err
				}
			}
			if htmlOut != "" {
				if err := report.WriteFile(htmlOut, out.HTML, 0o644); err != nil {
					return err
				}
			}
			if affectedOut != "" {
				if err := report.WriteFile(affectedOut, out.AffectedCSV, 0o600); err != nil {
					return err
				}
			}
			fmt.Fprint(summary, out.Report.Summary())
			fmt.Fprintf(summary, "  report:      %s\n", htmlPath(out, htmlOut))
			if !out.Appended && out.LedgerIndex >= 0 {
				env.Info("this analysis was already in the ledger (entry %d): not logged twice", out.LedgerIndex)
			}
			return nil
		},
	})
}

func htmlPath(out *analysis.Outcome, htmlOut string) string {
	if htmlOut != "" {
		return htmlOut
	}
	return out.CaseDir + string(os.PathSeparator) + "report.html"
}

// runAnalysis analyses one file in an open workspace, mapping errors to
// exit codes; name overrides the file's name in the report ("" = base name).
// rowsRead, when not nil, is told how many rows have been read, every
// 100,000.
func runAnalysis(ctx context.Context, env *Env, ws *workspace.Workspace, path, name string, rowsRead func(int64), rows io.Writer) (*analysis.Outcome, error) {
	opt := analysis.Options{
		ToolVersion: "huella " + Version(),
		CommandLine: "huella " + strings.Join(env.Args, " "),
		Name:        name,
		Warn:        func(msg string) { env.Info("%s", msg) },
		MaxRows:     maxRows(),
	}
	opt.Rows = rows
	last, stage := "", ""
	start, cpu0 := time.Now(), cputime.Used()
	stageAt := func(s string) {
		if env.Stages && s != stage {
			fmt.Fprintf(env.Stderr, "huella: stage %-10s at %7.3f s wall, %7.3f s CPU\n", s, time.Since(start).Seconds(), (cputime.Used() - cpu0).Seconds())
		}
		stage = s
	}
	if env.Interactive || rowsRead != nil || env.Stages {
		opt.Progress = func(stage string, done, total int64) {
			stageAt(stage)
			if stage == "read" && rowsRead != nil {
				rowsRead(done)
			}
			if env.Interactive && (stage != last || done%500_000 == 0) {
				fmt.Fprintf(env.Stderr, "\rhuella: %-8s %d rows   ", stage, done)
				last = stage
			}
		}
	}
	out, err := analysis.AnalyzeFile(ctx, ws, path, opt)
	if env.Interactive {
		fmt.Fprint(env.Stderr, "\r\033[K")
	}
	stageAt("done")
	if err != nil {
		var pe *ingest.ParseError
		var many *analysis.TooManyRowsError
		if errors.As(err, &pe) || errors.As(err, &many) || errors.Is(err, analysis.ErrEmpty) || errors.Is(err, ingest.ErrTooLarge) || errors.Is(err, os.ErrNotExist) {
			return nil, withCode(ExitBadInput, err, "")
		}
		return nil, err
	}
	return out, nil
}

// caseAnalyzer is the server's Analyzer (internal/server.Analyzer) for the
// workspace at dir: it takes the workspace lock for the analysis, files the
// case and returns its id.
func caseAnalyzer(dir string) func(ctx context.Context, leakPath, name string, progress func(stage string, done, total int64)) (string, error) {
	return func(ctx context.Context, leakPath, name string, progress func(stage string, done, total int64)) (string, error) {
		ws, err := workspace.Open(dir)
		if err != nil {
			return "", err
		}
		defer ws.Close()
		out, err := analysis.AnalyzeFile(ctx, ws, leakPath, analysis.Options{
			Progress: progress, Name: name, ToolVersion: "huella " + Version(), CommandLine: "huella serve (upload " + name + ")",
			MaxRows: maxRows(),
		})
		if err != nil {
			return "", err
		}
		return out.Report.AnalysisID, nil
	}
}

// maxRows is the most rows an analysis may hold in 85% of the machine's
// memory (analysis.MaxRowsFor), 0 (no bound) when it is unknown.
func maxRows() int {
	if total := physicalMemory(); total > 0 {
		return analysis.MaxRowsOn(total)
	}
	return 0
}

// memoryLimit is the soft memory limit of one analysis: 3 GiB, or 512 MiB
// plus 300 bytes for each row read when that is more (the live state of a
// row is ≈200 bytes: its comparison hashes, keys and outcome), at most 85%
// of the machine's memory. A fixed limit below what a large dump keeps live
// would make the collector run without end (a 30M-row dump took 5.7 times
// the CPU of a 10M-row one under a fixed 3 GiB); one far above what is
// live lets the heap double.
type memoryLimit struct{ cur, max int64 }

const (
	memoryBase   = 3 << 30
	memoryFixed  = 512 << 20
	memoryPerRow = 300
)

func newMemoryLimit() *memoryLimit {
	l := &memoryLimit{cur: memoryBase, max: math.MaxInt64}
	if total := physicalMemory(); total > 0 {
		l.max = max(memoryBase, total/100*85)
	}
	debug.SetMemoryLimit(l.cur)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(analysisGCPercent)
	}
	return l
}

// analysisGCPercent is the collector's GOGC under the memory limit: the
// heap of a large dump is mostly tables without pointers that live to the
// end, so collecting it each time it doubles while it grows is wasted
// work; the limit, not GOGC, bounds it. A 10M-row dump, four alternating runs each:
// median wall 26.7 s instead of 29.2 s at the default 100, CPU 45.2 s
// instead of 49.8 s, peak RSS 3.34 GiB instead of 3.18 GiB, the same JSON
// (docs/perf-analysis.md).
const analysisGCPercent = 400

// rows raises the limit for n rows read; a nil limit does nothing.
func (l *memoryLimit) rows(n int64) {
	if l == nil {
		return
	}
	if want := min(memoryFixed+n*memoryPerRow, l.max); want > l.cur {
		l.cur = want
		debug.SetMemoryLimit(want)
	}
}
