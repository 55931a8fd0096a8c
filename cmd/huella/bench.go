package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/huella/huella/internal/benchacc"
)

// benchSub is a subcommand of "huella bench" (accuracy here; speed may be
// added by another file calling addBench from its init).
type benchSub struct {
	Name    string
	Summary string
	Usage   string
	Help    string
	Flags   func(fs *flag.FlagSet)
	Run     func(ctx context.Context, env *Env, args []string) error
}

var benchSubs = map[string]*benchSub{}

// benchCmd is initialised before any init function runs, so addBench can
// fill in its usage whatever the order of the files.
var benchCmd = &command{
	Name:    "bench",
	Summary: "measure huella: accuracy under the attack suite (and speed, where built)",
	Usage:   "huella bench SUBCOMMAND [flags]",
	Flags: func(fs *flag.FlagSet) {
		// Main.Run parses the flags of every subcommand; the chosen one
		// parses them again in its own flag set (benchRun).
		for _, name := range benchNames() {
			s := benchSubs[name]
			if s.Flags == nil {
				continue
			}
			tmp := flag.NewFlagSet(name, flag.ContinueOnError)
			s.Flags(tmp)
			tmp.VisitAll(func(f *flag.Flag) {
				if fs.Lookup(f.Name) == nil {
					fs.Var(f.Value, f.Name, f.Usage+" ("+name+")")
				}
			})
		}
	},
	Run: benchRun,
}

func init() { addCommand(benchCmd) }

// addBench registers a subcommand of "huella bench".
func addBench(s *benchSub) {
	if _, dup := benchSubs[s.Name]; dup {
		panic("huella: bench subcommand registered twice: " + s.Name)
	}
	benchSubs[s.Name] = s
	var usage, help []string
	for _, n := range benchNames() {
		b := benchSubs[n]
		usage = append(usage, b.Usage)
		help = append(help, fmt.Sprintf("%s — %s\n\n%s", b.Usage, b.Summary, strings.TrimSpace(b.Help)))
	}
	benchCmd.Usage = strings.Join(usage, "\n       ")
	benchCmd.Help = strings.Join(help, "\n\n")
}

func benchNames() []string {
	names := make([]string, 0, len(benchSubs))
	for n := range benchSubs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func benchRun(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usageError("bench needs a subcommand: %s", strings.Join(benchNames(), ", "))
	}
	s, ok := benchSubs[args[0]]
	if !ok {
		return usageError("bench: unknown subcommand %q (have: %s)", args[0], strings.Join(benchNames(), ", "))
	}
	fs := flag.NewFlagSet("huella bench "+s.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if s.Flags != nil {
		s.Flags(fs)
	}
	raw := env.Args
	if len(raw) > 0 && raw[0] == "bench" {
		raw = raw[1:]
	}
	if err := fs.Parse(interleave(fs, raw)); err != nil {
		return usageError("bench %s: %v", s.Name, err)
	}
	rest := fs.Args()
	if i := slices.Index(rest, s.Name); i >= 0 {
		rest = slices.Delete(rest, i, i+1)
	}
	return s.Run(ctx, env, rest)
}

func init() {
	var (
		quick   bool
		seed    uint64
		out     string
		enforce string
		work    string
		workers int
		people  int
		trials  int
		only    string
	)
	addBench(&benchSub{
		Name:    "accuracy",
		Summary: "the attack-suite accuracy table: how often huella is right, inconclusive or wrong",
		Usage:   "huella bench accuracy [--quick] [--seed S] [--out FILE] [--enforce IDS]",
		Help: `Builds a synthetic register (20,000 people; 12,000 with --quick) in a
temporary workspace, releases fingerprinted copies to 20 recipients at four
cuts (2018 … 2021), and leaks them: sub-samples of 100, 300, 1,000, 10,000
rows and whole copies, each under every attack of the suite (columns
dropped, rows and columns shuffled, headers renamed or dropped, case,
accents, dates, spaces, JSON/SQL/XLSX/Latin-1, de-duplication, rows of
another register appended, sorting, abbreviations expanded or
canonicalised, two and three copies mixed row- and field-wise), plus leaks
of another register. Each leak is analysed by the real analysis; the table
counts correct, inconclusive and wrong attributions, innocent recipients
accused, verdicts, and whether the true cut lies in the dated band. Keyless
linkage is measured on leaks with CURP and clave removed and typing errors
injected. Every target of the method is printed with its figure.

A full run takes about two minutes on two cores and writes docs/accuracy.md
(--out); --quick takes under a minute and writes nothing unless --out is
given. --enforce makes the command exit 1 when a listed target is missed or
any innocent recipient is accused ("all" for every target).

Examples:
  go run ./cmd/huella bench accuracy
  huella bench accuracy --quick --enforce wrong,not-ours`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&quick, "quick", false, "a small run for CI (a few minutes)")
			fs.Uint64Var(&seed, "seed", 1, "`SEED` of the register, keys and trials")
			fs.StringVar(&out, "out", "", "write the Markdown report to `FILE` (default docs/accuracy.md for a full run; \"-\" for none)")
			fs.StringVar(&enforce, "enforce", "", "comma-separated target `IDS` that must be met (\"all\": every one)")
			fs.StringVar(&work, "work", "", "working `DIR` (kept); default a temporary folder, removed")
			fs.IntVar(&workers, "workers", 2, "leaks analysed at once")
			fs.IntVar(&people, "people", 0, "people in the synthetic register (default 20,000; 12,000 with --quick)")
			fs.StringVar(&only, "only", "", "run only the attacks whose names contain one of these comma-separated `WORDS` (\"linkage\" for keyless linkage)")
			fs.IntVar(&trials, "trials", 0, "`N` trials in every cell instead of the default counts (smoke tests)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usageError("bench accuracy takes no arguments")
			}
			cfg := benchacc.FullConfig(seed)
			cmdline := fmt.Sprintf("go run ./cmd/huella bench accuracy --seed %d", seed)
			if quick {
				cfg = benchacc.QuickConfig(seed)
				cmdline = fmt.Sprintf("go run ./cmd/huella bench accuracy --quick --seed %d", seed)
				if out == "" {
					out = "-"
				}
			} else if out == "" {
				out = filepath.Join("docs", "accuracy.md")
			}
			cfg.Workers = workers
			if people != 0 {
				if people < 1000 {
					return usageError("--people must be at least 1000")
				}
				cfg.People = people
				cmdline += fmt.Sprintf(" --people %d", people)
			}
			if only != "" {
				cfg.Only = strings.Split(only, ",")
				cmdline += fmt.Sprintf(" --only %q", only)
			}
			if trials != 0 {
				if trials < 0 {
					return usageError("--trials must be positive")
				}
				cfg.SetTrials(trials)
				cmdline += fmt.Sprintf(" --trials %d", trials)
			}
			if work != "" {
				if err := os.MkdirAll(work, 0o755); err != nil {
					return err
				}
				cfg.Dir = work
			}
			last := time.Time{}
			cfg.Progress = func(msg string, done, total int) {
				if !env.Interactive {
					return
				}
				if total == 0 {
					fmt.Fprintf(env.Stderr, "\rhuella: bench: %-70s", msg)
					return
				}
				if time.Since(last) > 500*time.Millisecond || done == total {
					last = time.Now()
					fmt.Fprintf(env.Stderr, "\rhuella: bench: %s %d/%d%-40s", msg, done, total, "")
				}
			}
			res, err := benchacc.Run(ctx, cfg)
			if env.Interactive {
				fmt.Fprintln(env.Stderr)
			}
			if err != nil {
				return err
			}
			res.Build = buildRevision(ctx)
			fmt.Fprintf(env.Stdout, "huella bench accuracy: %s (%s; setup %s)\n\n", cmdline, res.Elapsed.Round(time.Second), res.Setup.Round(time.Second))
			res.WriteTable(env.Stdout)
			if out != "-" {
				if err := os.WriteFile(out, res.Markdown(cmdline), 0o644); err != nil {
					return fmt.Errorf("write %s: %w", out, err)
				}
				env.Info("wrote %s", out)
			}
			return checkTargets(res, enforce)
		},
	})
}

// buildRevision names the commit measured: the build's version control
// stamp, or (go run stamps none) what git says of the current folder; ""
// when neither is known.
func buildRevision(ctx context.Context) string {
	rev, modified := "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if rev == "" {
		out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
		if err != nil {
			return ""
		}
		rev = strings.TrimSpace(string(out))
		st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output()
		modified = err != nil || len(bytes.TrimSpace(st)) > 0
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified {
		return "commit " + rev + " with uncommitted changes"
	}
	return "commit " + rev
}

// checkTargets fails when an innocent was accused or an enforced target is
// missed.
func checkTargets(res *benchacc.Result, enforce string) error {
	if enforce == "" {
		return nil
	}
	want := map[string]bool{}
	for _, id := range strings.Split(enforce, ",") {
		if id = strings.TrimSpace(id); id != "" {
			want[id] = true
		}
	}
	known := map[string]bool{}
	var missed []string
	for _, t := range res.Targets() {
		known[t.ID] = true
		if (want["all"] || want[t.ID] || t.ID == "wrong") && t.Applies && !t.Met {
			missed = append(missed, t.ID+": "+t.Measured)
		}
	}
	for id := range want {
		if id != "all" && !known[id] {
			return usageError("--enforce: unknown target %q", id)
		}
	}
	if len(missed) > 0 {
		return errors.New("targets missed:\n  " + strings.Join(missed, "\n  "))
	}
	return nil
}
