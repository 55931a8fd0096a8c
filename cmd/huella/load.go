package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/huella/huella/internal/analysis"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/store"
	"github.com/huella/huella/internal/workspace"
)

// finishDigest writes the digest a load streamed when it holds every
// version of the store, and otherwise builds it by a scan of the store.
func finishDigest(ctx context.Context, ws *workspace.Workspace, st *store.Store, stream *analysis.DigestStream, allFresh bool) error {
	if stream == nil {
		return buildDigest(ctx, ws, st)
	}
	if !allFresh {
		stream.Abort()
		return buildDigest(ctx, ws, st)
	}
	k, err := analysis.KnownOf(st)
	if err != nil {
		stream.Abort()
		return err
	}
	return stream.Finish(k)
}

// buildDigest rebuilds the store's comparison digest after a load: the old
// one, stale now, is removed first (the two would need twice the room).
func buildDigest(ctx context.Context, ws *workspace.Workspace, st *store.Store) error {
	path := analysis.DigestPath(ws.StorePath())
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	k, err := analysis.KnownOf(st)
	if err != nil {
		return err
	}
	return analysis.BuildDigest(ctx, ws.Schema(), k, st.VersionsOf, path)
}

func init() {
	var (
		asOf     string
		noDigest bool
	)
	addCommand(&command{
		Name:     "load",
		Summary:  "load snapshots or histories of the register into the store",
		Usage:    "huella load [--dir DIR] [--as-of DATE] FILE...",
		NeedsDir: true,
		Help: `Adds register files to the workspace's temporal store, all of them or none.

A snapshot is the register as of one day: a CSV whose header is the schema's
column names. Its day comes from --as-of or from a "snapshot-YYYY-MM-DD" file
name. It is compared with what the store holds: people are matched by CURP,
then by clave de elector; changed records get a new version from that day,
absent people are closed, unknown ones are new people. Snapshots load in date
order (several files in one command are sorted by day); an older one than the
store's last day is refused.

A history (a CSV with person_id, valid_from, valid_to and the schema's
columns, as "huella synth" writes history.csv) loads every version as it is,
into an empty store.

Every row is checked; a malformed one (wrong number of fields, a bad date,
invalid UTF-8) stops the load with file:line:column and exit code 3, and the
store is left exactly as it was. Invalid CURPs and claves de elector are
counted and reported, never dropped or corrected.

After the load, the store's comparison digest (DIR/store/digest) is rebuilt:
each version's comparison hashes, about 64 + 4 bytes a field per version,
which "huella analyze" reads instead of the whole store when a leak is large.
Without it (--no-digest, or a failed build) analyses give the same answers,
more slowly.

Examples:
  huella load snapshot-2024-01-31.csv snapshot-2024-02-29.csv
  huella load --as-of 2024-03-31 padron-marzo.csv
  huella load --dir ./ws history.csv`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&asOf, "as-of", "", "the snapshot's day `DATE` (YYYY-MM-DD); default: from its file name")
			fs.BoolVar(&noDigest, "no-digest", false, "do not rebuild the store's comparison digest (full-dump analyses then read the store)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) == 0 {
				return usageError("load needs at least one FILE")
			}
			var day register.Date
			if asOf != "" {
				d, err := register.ParseDate(asOf)
				if err != nil {
					return usageError("--as-of: %v", err)
				}
				if len(args) > 1 {
					return usageError("--as-of names the day of one file; load the others by their snapshot-YYYY-MM-DD names")
				}
				day = d
			}
			ws, err := openWorkspace(env)
			if err != nil {
				return err
			}
			defer ws.Close()
			st, err := store.Open(ws.StorePath(), ws.Schema())
			if err != nil {
				return err
			}
			defer st.Close()
			in := make([]store.LoadInput, len(args))
			for i, a := range args {
				in[i] = store.LoadInput{Path: a, AsOf: day}
			}
			var progress func(int64)
			if env.Interactive {
				var rows atomic.Int64
				stop := make(chan struct{})
				done := make(chan struct{})
				go func() {
					defer close(done)
					tick := time.NewTicker(250 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-tick.C:
							fmt.Fprintf(env.Stderr, "\rhuella: loading: %d rows read", rows.Load())
						case <-stop:
							fmt.Fprintf(env.Stderr, "\r\033[K")
							return
						}
					}
				}()
				defer func() { close(stop); <-done }()
				progress = func(n int64) { rows.Store(n) }
			}
			// Into an empty store, the digest is made from the versions the
			// load streams, on the core the load leaves idle.
			var stream *analysis.DigestStream
			if stats, err := st.Stats(); err == nil && stats.Versions == 0 && !noDigest {
				stream, _ = analysis.NewDigestStream(ws.Schema(), analysis.DigestPath(ws.StorePath()))
			}
			opt := store.LoadOptions{Progress: progress}
			if stream != nil {
				opt.Fresh = stream
			}
			start := time.Now()
			out, err := st.LoadWith(ctx, in, opt)
			res := out.Results
			if err != nil {
				if stream != nil {
					stream.Abort()
				}
				var pe *store.ParseError
				if errors.As(err, &pe) || errors.Is(err, store.ErrRefused) {
					hint := "nothing was loaded: the store is as it was"
					if d, derr := openDigest(ws, st); derr != nil {
						// a load before ended before its digest (killed, say)
						hint += "; its comparison digest is missing or stale: run huella digest --dir " + ws.Dir
					} else {
						d.Close()
					}
					return withCode(ExitBadInput, err, hint)
				}
				return err
			}
			for _, r := range res {
				if r.Kind == store.KindHistory {
					fmt.Fprintf(env.Stdout, "%s: history up to %s: %d versions of %d people, %d removed, %d valid on %s; %d invalid CURPs, %d invalid claves\n",
						r.File, r.AsOf, r.Rows, r.New, r.Removed, r.PeopleValid, r.AsOf, r.InvalidCURP, r.InvalidClave)
					continue
				}
				fmt.Fprintf(env.Stdout, "%s: snapshot as of %s: %d rows: %d new, %d returned, %d changed, %d unchanged, %d removed; %d invalid CURPs, %d invalid claves\n",
					r.File, r.AsOf, r.Rows, r.New, r.Returned, r.Changed, r.Unchanged, r.Removed, r.InvalidCURP, r.InvalidClave)
			}
			if env.Interactive {
				env.Info("loaded %d file(s) in %s", len(res), time.Since(start).Round(time.Millisecond))
			}
			if noDigest {
				os.Remove(analysis.DigestPath(ws.StorePath())) // stale now
				return nil
			}
			start = time.Now()
			if err := finishDigest(ctx, ws, st, stream, out.AllFresh); err != nil {
				env.Info("the comparison digest was not built (%v): full-dump analyses will read the store instead, more slowly", err)
			} else if env.Interactive {
				env.Info("comparison digest built in %s", time.Since(start).Round(time.Millisecond))
			}
			return nil
		},
	})
}
