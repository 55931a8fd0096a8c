package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/synth"
)

func init() {
	def := synth.DefaultConfig()
	var (
		people     int
		seed       uint64
		start, end string
		snapshots  string
		out        string
	)
	dates := func(ds []register.Date) string {
		s := make([]string, len(ds))
		for i, d := range ds {
			s[i] = d.String()
		}
		return strings.Join(s, ",")
	}
	addCommand(&command{
		Name:    "synth",
		Summary: "generate a synthetic padrón and its change history (no real personal data)",
		Usage:   "huella synth [--people N] [--seed S] [--start DATE] [--end DATE] [--snapshots D1,D2,...] [--out DIR]",
		Help: `Writes a synthetic INE padrón electoral: N people in the register on
--start, then five years (by default) of new registrations, returns, moves,
credential replacements, name corrections, deaths and expiries at INE's
monthly rates. Names follow Mexico's frequencies, CURPs and claves are valid
and unique, addresses are written the way people write them.

Files in --out:
  history.csv                 every version of every person:
                              person_id,valid_from,valid_to,<schema fields>
                              (valid_to empty: still valid at --end)
  snapshot-YYYY-MM-DD.csv     the register as of each --snapshots date

The same seed gives the same files, byte for byte.

Examples:
  huella synth
  huella synth --people 1000000 --seed 7 --out ./padron
  huella synth --people 5000 --start 2015-01-01 --end 2016-12-31 --snapshots 2015-02-15,2016-06-30
  huella synth --out ./s && huella load ./s/history.csv`,
		Flags: func(fs *flag.FlagSet) {
			fs.IntVar(&people, "people", def.People, "`N` people in the register at the start")
			fs.Uint64Var(&seed, "seed", def.Seed, "random `SEED`: the same seed gives the same files")
			fs.StringVar(&start, "start", def.Start.String(), "first `DATE` of the history (YYYY-MM-DD)")
			fs.StringVar(&end, "end", def.End.String(), "last `DATE` of the history")
			fs.StringVar(&snapshots, "snapshots", dates(def.Snapshots), "comma-separated `DATES` of snapshot files (\"\" for none)")
			fs.StringVar(&out, "out", "./synth-out", "output `DIR`")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usageError("synth takes no arguments, only flags")
			}
			cfg := synth.Config{People: people, Seed: seed}
			var err error
			if cfg.Start, err = register.ParseDate(start); err != nil {
				return usageError("--start: %v", err)
			}
			if cfg.End, err = register.ParseDate(end); err != nil {
				return usageError("--end: %v", err)
			}
			for _, s := range strings.Split(snapshots, ",") {
				if s = strings.TrimSpace(s); s == "" {
					continue
				}
				d, err := register.ParseDate(s)
				if err != nil {
					return usageError("--snapshots: %v", err)
				}
				cfg.Snapshots = append(cfg.Snapshots, d)
			}
			if err := cfg.Check(); err != nil {
				return usageError("%v", err)
			}
			var progress func(done, total int)
			if env.Interactive {
				var done, total atomic.Int64
				stop, finished := make(chan struct{}), make(chan struct{})
				go func() {
					defer close(finished)
					tick := time.NewTicker(250 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-tick.C:
							if t := total.Load(); t > 0 {
								fmt.Fprintf(env.Stderr, "\rhuella: synth: %d of %d people (%d%%)", done.Load(), t, 100*done.Load()/t)
							}
						case <-stop:
							fmt.Fprintf(env.Stderr, "\r\033[K")
							return
						}
					}
				}()
				defer func() { close(stop); <-finished }()
				progress = func(d, t int) { done.Store(int64(d)); total.Store(int64(t)) }
			}
			began := time.Now()
			if err := synth.WriteFiles(ctx, cfg, out, progress); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "wrote %s: %d people (%d at %s), seed %d\n",
				filepath.Join(out, synth.HistoryFile), cfg.Total(), cfg.People, cfg.Start, cfg.Seed)
			for _, d := range cfg.Snapshots {
				fmt.Fprintf(env.Stdout, "wrote %s: the register as of %s\n", filepath.Join(out, synth.SnapshotFile(d)), d)
			}
			if env.Interactive {
				env.Info("synth: %s", time.Since(began).Round(time.Millisecond))
			}
			return nil
		},
	})
}
