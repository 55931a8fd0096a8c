package main

import (
	"context"
	"fmt"
	"time"

	"github.com/huella/huella/internal/analysis"
	"github.com/huella/huella/internal/store"
	"github.com/huella/huella/internal/workspace"
)

func init() {
	addCommand(&command{
		Name:     "digest",
		Summary:  "rebuild the store's comparison digest (each load does it)",
		Usage:    "huella digest [--dir DIR]",
		NeedsDir: true,
		Help: `Rebuilds DIR/store/digest: for every version of the store, the comparison
hashes of its fields, its keys and its entidad and sección, in fixed-size
records (64 bytes + 4 a field). "huella analyze" reads it instead of every
version of the store when a leak is large; it is made for one state of the
store and ignored once the store changes. "huella load" rebuilds it after
every load; this command is for a load made with --no-digest or a digest
that was damaged.

Examples:
  huella digest
  huella digest --dir ./ws`,
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usageError("digest takes no arguments")
			}
			ws, err := openWorkspace(env)
			if err != nil {
				return err
			}
			defer ws.Close()
			st, err := store.OpenWith(ws.StorePath(), ws.Schema(), store.Options{CacheBytes: store.StreamCacheBytes, ReadOnly: true})
			if err != nil {
				return err
			}
			defer st.Close()
			start := time.Now()
			if err := buildDigest(ctx, ws, st); err != nil {
				return err
			}
			d, err := openDigest(ws, st)
			if err != nil {
				return err
			}
			defer d.Close()
			fmt.Fprintf(env.Stdout, "comparison digest: %d versions in %s\n", d.Records(), time.Since(start).Round(time.Millisecond))
			return nil
		},
	})
}

// openDigest opens the store's digest, checking it is this store's.
func openDigest(ws *workspace.Workspace, st *store.Store) (*analysis.Digest, error) {
	k, err := analysis.KnownOf(st)
	if err != nil {
		return nil, err
	}
	return analysis.OpenDigest(analysis.DigestPath(ws.StorePath()), st.Schema(), k)
}
