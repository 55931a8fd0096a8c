// Command huella makes every copy of a register of people traceable and
// answers, with numbers and proof, what a custodian is asked the day a dump
// appears for sale: is it ours, from which cut-off, whose copy, who is exposed.
//
// Each command lives in its own file and registers itself with addCommand;
// Main.Run dispatches. Results go to stdout, diagnostics to stderr as
// "huella: error: ..." and "huella: hint: ...". Exit codes are listed in
// exitcodes.go and printed by "huella help".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand of huella.
type command struct {
	Name     string
	Summary  string // one line for the command list
	Usage    string // synopsis, e.g. "huella load [--as-of DATE] FILE..."
	Help     string // longer description with examples
	NeedsDir bool   // takes --dir
	// Flags declares the command's flags on fs (besides --dir).
	Flags func(fs *flag.FlagSet)
	// Run does the work; args are the positional arguments after flags.
	Run func(ctx context.Context, env *Env, args []string) error
}

var commands = map[string]*command{}

// addCommand registers a command; called from init in each command's file.
func addCommand(c *command) {
	if _, dup := commands[c.Name]; dup {
		panic("huella: command registered twice: " + c.Name)
	}
	commands[c.Name] = c
}

// Env is what a command sees of the process: its streams, the workspace
// directory and whether stderr is a terminal (for progress).
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Dir            string // workspace directory (--dir, $HUELLA_DIR, ./huella-data)
	Interactive    bool   // stderr is a terminal: show progress
	Args           []string
	// Stages ($HUELLA_STAGES set): an analysis prints the wall and CPU
	// time at which each of its stages starts, on stderr.
	Stages bool
}

// Hint prints a hint line on stderr.
func (e *Env) Hint(format string, a ...any) {
	fmt.Fprintf(e.Stderr, "huella: hint: "+format+"\n", a...)
}

// Info prints a diagnostic line on stderr.
func (e *Env) Info(format string, a ...any) {
	fmt.Fprintf(e.Stderr, "huella: "+format+"\n", a...)
}

// Main is the whole program, parameterised for tests.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Interactive    bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Interactive: isTerminal(os.Stderr)}
	// HUELLA_CPUPROFILE=FILE writes a CPU profile of the command (go tool pprof).
	var prof *os.File
	if path := os.Getenv("HUELLA_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			prof = f
		}
	}
	code := m.Run(ctx, os.Args[1:])
	if prof != nil {
		pprof.StopCPUProfile()
		prof.Close()
	}
	// HUELLA_MEMPROFILE=FILE writes where the command allocated
	// (go tool pprof -sample_index=alloc_space).
	if path := os.Getenv("HUELLA_MEMPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			runtime.GC() // the profile holds what the last collection saw
			pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
	stop()
	os.Exit(code)
}

// Run executes one command line and returns the process exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		m.usage(m.Stderr)
		return ExitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help", "-help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				m.commandHelp(m.Stdout, c)
				return ExitOK
			}
		}
		m.usage(m.Stdout)
		return ExitOK
	case "version", "--version":
		fmt.Fprintln(m.Stdout, "huella", Version())
		return ExitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(m.Stderr, "huella: error: unknown command %q\n", name)
		fmt.Fprintf(m.Stderr, "huella: hint: run \"huella help\" for the list of commands\n")
		return ExitUsage
	}
	fs := flag.NewFlagSet("huella "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := ""
	if c.NeedsDir {
		fs.StringVar(&dir, "dir", "", "workspace `DIR` (default $HUELLA_DIR, else ./huella-data)")
	}
	if c.Flags != nil {
		c.Flags(fs)
	}
	if err := fs.Parse(interleave(fs, args[1:])); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			m.commandHelp(m.Stdout, c)
			return ExitOK
		}
		fmt.Fprintf(m.Stderr, "huella: error: %s: %v\n", name, err)
		fmt.Fprintf(m.Stderr, "huella: hint: usage: %s\n", c.Usage)
		return ExitUsage
	}
	if dir == "" {
		dir = m.getenv("HUELLA_DIR")
	}
	if dir == "" {
		dir = "huella-data"
	}
	env := &Env{Stdin: m.Stdin, Stdout: m.Stdout, Stderr: m.Stderr, Dir: dir, Interactive: m.Interactive, Args: args, Stages: m.getenv("HUELLA_STAGES") != ""}
	if err := c.Run(ctx, env, fs.Args()); err != nil {
		return reportError(m.Stderr, name, err)
	}
	return ExitOK
}

func (m *Main) getenv(k string) string {
	if m.Getenv == nil {
		return ""
	}
	return m.Getenv(k)
}

// interleave lets flags follow positional arguments ("load a.csv --as-of D"),
// the way people type them; "--" ends flag parsing.
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			if f := fs.Lookup(name); f != nil {
				if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
					continue
				}
				if i+1 < len(args) {
					flags = append(flags, args[i+1])
					i++
				}
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(append(flags, "--"), pos...)
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprintf(w, "huella %s: leak forensics for registers of people\n\nUsage: huella COMMAND [flags] [args]\n\nCommands:\n", Version())
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintf(w, "  %-10s %s\n", "help", "this text, or \"huella help COMMAND\"")
	fmt.Fprintf(w, "  %-10s %s\n", "version", "print the version")
	fmt.Fprintf(w, "\nEvery command that uses a workspace takes --dir DIR (default $HUELLA_DIR, else ./huella-data).\n\n")
	writeExitCodes(w)
}

func (m *Main) commandHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", c.Usage, c.Summary)
	if c.Help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.Help))
	}
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	if c.NeedsDir {
		fs.String("dir", "", "workspace `DIR` (default $HUELLA_DIR, else ./huella-data)")
	}
	if c.Flags != nil {
		c.Flags(fs)
	}
	fmt.Fprintf(w, "\nFlags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// Version is the module version from the build information.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return v
}
