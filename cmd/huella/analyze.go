package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/huella/huella/internal/analysis"
	"github.com/huella/huella/internal/ingest"
	"github.com/huella/huella/internal/report"
	"github.com/huella/huella/internal/workspace"
)

func init() {
	var jsonOut, htmlOut, affectedOut string
	addCommand(&command{
		Name:     "analyze",
		Summary:  "analyse a leaked file: ours? cut-off? whose copy? who is exposed?",
		Usage:    "huella analyze FILE [--json OUT|-] [--html OUT] [--affected OUT]",
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
  exposure     people affected, by entidad and sección

The analysis is appended to the ledger (once per analysis id) and filed as
a case in DIR/cases/<analysis_id>/ (report.json, report.html,
affected.csv). The same file against the same store and ledger gives
byte-identical JSON. affected.csv holds CURPs (personal data): it is
written with mode 0600 and never printed.

Examples:
  huella analyze leak.csv
  huella analyze dump.sql.gz --json - > report.json
  huella analyze sample.xlsx --html sample.html --affected notify.csv`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&jsonOut, "json", "", "write the JSON report to `OUT` (\"-\": standard output, alone)")
			fs.StringVar(&htmlOut, "html", "", "write the HTML report to `OUT`")
			fs.StringVar(&affectedOut, "affected", "", "write the CURPs of the affected people to `OUT` (mode 0600)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return usageError("analyze takes one FILE")
			}
			// A full national dump holds ≈2.4 GB of live row outcomes; a soft
			// memory limit makes the collector keep the heap near that instead
			// of doubling it (GOMEMLIMIT, when set, wins).
			if os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(3 << 30)
			}
			ws, err := openWorkspace(env)
			if err != nil {
				return err
			}
			defer ws.Close()
			out, err := runAnalysis(ctx, env, ws, args[0], "")
			if err != nil {
				return err
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
func runAnalysis(ctx context.Context, env *Env, ws *workspace.Workspace, path, name string) (*analysis.Outcome, error) {
	opt := analysis.Options{
		ToolVersion: "huella " + Version(),
		CommandLine: "huella " + strings.Join(env.Args, " "),
		Name:        name,
	}
	if env.Interactive {
		last := ""
		opt.Progress = func(stage string, done, total int64) {
			if stage != last || done%500_000 == 0 {
				fmt.Fprintf(env.Stderr, "\rhuella: %-8s %d rows   ", stage, done)
				last = stage
			}
		}
	}
	out, err := analysis.AnalyzeFile(ctx, ws, path, opt)
	if env.Interactive && opt.Progress != nil {
		fmt.Fprint(env.Stderr, "\r\033[K")
	}
	if err != nil {
		var pe *ingest.ParseError
		if errors.As(err, &pe) || errors.Is(err, analysis.ErrEmpty) || errors.Is(err, ingest.ErrTooLarge) || errors.Is(err, os.ErrNotExist) {
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
		})
		if err != nil {
			return "", err
		}
		return out.Report.AnalysisID, nil
	}
}
