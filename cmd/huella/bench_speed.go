package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/huella/huella/internal/benchspeed"
)

func init() {
	var (
		people              sizesFlag
		work, doc, pgBin    string
		seed                uint64
		keep, noPG, jsonOut bool
		docOnly             bool
		sampleRuns          int
		dumpRuns            int
	)
	addBench(&benchSub{
		Name:    "speed",
		Summary: "the head-to-head speed table: huella against PostgreSQL and a bare CSV parse",
		Usage:   "huella bench speed [--people N]... [--doc FILE] [--no-postgres] [--work DIR] [--keep] [--json] [--doc-only]",
		Help: `For each register size N (default 1,000,000 people) it makes a synthetic
register, then measures, each step a child process of this huella binary
(wall time, CPU time, peak RSS):

  synth      huella synth, people/s                        goal ≥ 300,000/s
  load       huella load of the snapshot vs PostgreSQL COPY of the same
             file into a table + an index on curp          goal huella at least as fast
  release    a fingerprinted release vs writing the same rows unmarked,
             in the same run                               goal ≤ 1.5×, memory flat
  analysis   a 1,000-row sample, end to end                goal ≤ 1 s at 10M
             the full dump vs (a) PostgreSQL COPY of the leak + JOIN on
             curp against the loaded, indexed register and (b) a
             hand-rolled CSV parse of the file             goals ≥ 3× (a), ≤ 4× (b)
             peak RSS                                      goal < 4 GiB at 10M
  scaling    time per row from the smallest to the largest size, and the
             extrapolated time of a 91M-row dump vs a 93M register
                                                           goal ≤ 3 min on 2 cores

PostgreSQL 15 is started by the command: initdb in the work folder,
127.0.0.1 on a free port, as the postgres user when run as root; stopped
and removed at the end. Without it, install it (apt-get install -y
postgresql) or pass --no-postgres.

It prints the table and rewrites --doc (default docs/performance.md, "-"
for none), keeping the newest measurement of each size and merging the
parts' docs/perf-*.md. A 1M run takes a few minutes on two cores; 10M
about ten times that, with about 15 GB of free disk.

Examples:
  huella bench speed --people 100000 --doc -
  huella bench speed --people 1000000 --people 10000000`,
		Flags: func(fs *flag.FlagSet) {
			people = nil
			fs.Var(&people, "people", "register size `N` (default 1,000,000; repeat the flag for several sizes, measured in turn)")
			fs.Uint64Var(&seed, "seed", 1, "`SEED` of the synthetic register")
			fs.StringVar(&doc, "doc", filepath.Join("docs", "performance.md"), "rewrite `FILE` with the table (\"-\": print only)")
			fs.StringVar(&work, "work", "", "work `DIR` (default: a new temporary folder, removed)")
			fs.BoolVar(&keep, "keep", false, "keep each size's files in the work folder")
			fs.BoolVar(&noPG, "no-postgres", false, "skip the PostgreSQL comparisons")
			fs.StringVar(&pgBin, "postgres", "", "PostgreSQL 15 binaries `DIR` (default /usr/lib/postgresql/15/bin)")
			fs.IntVar(&sampleRuns, "sample-runs", 3, "analyses of the 1,000-row sample (the median is reported)")
			fs.IntVar(&dumpRuns, "dump-runs", 3, "analyses of the full dump, each followed by PostgreSQL's COPY + JOIN of it (the median of each is reported)")
			fs.BoolVar(&jsonOut, "json", false, "print the measurements as JSON instead of the table")
			fs.BoolVar(&docOnly, "doc-only", false, "measure nothing: rewrite --doc from the measurements it holds and the current docs/perf-*.md")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usageError("bench speed takes no arguments")
			}
			if docOnly {
				res, err := rewriteSpeedDoc(env, doc, nil)
				if err == nil {
					fmt.Fprint(env.Stdout, benchspeed.Table(res))
				}
				return err
			}
			sizes := []int(people)
			if len(sizes) == 0 {
				sizes = []int{1_000_000}
			}
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("bench speed: find the huella binary: %w", err)
			}
			cfg := benchspeed.Config{Huella: exe, People: sizes, Seed: seed, Keep: keep, SampleRuns: sampleRuns, DumpRuns: dumpRuns,
				Command: "huella " + strings.Join(env.Args, " ")}
			if !noPG {
				bin, err := benchspeed.FindPostgres(pgBin)
				if err != nil {
					return withCode(ExitFailure, err, benchspeed.PostgresInstallHint)
				}
				cfg.Postgres = bin
			}
			if work == "" {
				d, err := os.MkdirTemp("", "huella-bench-speed-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(d)
				work = d
			}
			cfg.Work = work
			start := time.Now()
			cfg.Progress = func(step string) {
				env.Info("bench speed: %s (%s)", step, time.Since(start).Round(time.Second))
			}
			// The document is rewritten after each size, so that a long run
			// stopped later keeps what it measured.
			var results benchspeed.Results
			var docErr error
			cfg.SizeDone = func(run *benchspeed.Run) {
				results = benchspeed.Results{Runs: []benchspeed.Run{*run}}
				if doc != "-" && docErr == nil {
					results, docErr = rewriteSpeedDoc(env, doc, run)
				}
			}
			run, err := benchspeed.Execute(ctx, cfg)
			if err != nil {
				return err
			}
			if docErr != nil {
				return docErr
			}
			if jsonOut {
				b, _ := json.MarshalIndent(run, "", "  ")
				fmt.Fprintf(env.Stdout, "%s\n", b)
				return nil
			}
			fmt.Fprint(env.Stdout, benchspeed.Table(results))
			return nil
		},
	})
}

// rewriteSpeedDoc merges run (if any) into the measurements kept in doc,
// rewrites doc with the parts' docs/perf-*.md beside it, and returns the
// merged measurements.
func rewriteSpeedDoc(env *Env, doc string, run *benchspeed.Run) (benchspeed.Results, error) {
	var results benchspeed.Results
	old, err := os.ReadFile(doc)
	switch {
	case err == nil:
		results, err = benchspeed.ParseResults(old)
		if err != nil && run == nil {
			return results, withCode(ExitBadInput, fmt.Errorf("%s: %w", doc, err), "")
		}
		if err != nil {
			env.Info("%s: %v: its earlier measurements are dropped", doc, err)
		}
	case run == nil:
		return results, err
	}
	if run != nil {
		results = results.Merge(*run)
	}
	parts, err := benchspeed.ReadPerfDocs(filepath.Dir(doc))
	if err != nil {
		return results, err
	}
	if err := os.WriteFile(doc, []byte(benchspeed.Render(results, parts)), 0o644); err != nil {
		return results, fmt.Errorf("write %s: %w", doc, err)
	}
	env.Info("wrote %s", doc)
	return results, nil
}

// sizesFlag collects the sizes of a repeated --people flag. (The flags of
// every bench subcommand share one first parse, where --people is an
// integer: so several sizes are several flags, not a list.)
type sizesFlag []int

func (s *sizesFlag) String() string { return fmt.Sprint([]int(*s)) }

func (s *sizesFlag) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1000 {
		return fmt.Errorf("%q is not a number of people ≥ 1000", v)
	}
	*s = append(*s, n)
	return nil
}
