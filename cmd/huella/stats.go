package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/huella/huella/internal/analysis"
	"github.com/huella/huella/internal/store"
	"github.com/huella/huella/internal/workspace"
)

// statsJSON is the contract of "huella stats --json".
type statsJSON struct {
	People   int64           `json:"people"`
	Versions int64           `json:"versions"`
	Loads    []loadStatsJSON `json:"loads"`
	First    string          `json:"first"`
	Last     string          `json:"last"`
	// Digest is the store's comparison digest: "current" (full-dump
	// analyses read it), "stale" (made for another state of the store:
	// huella digest rebuilds it), "missing".
	Digest digestJSON `json:"digest"`
}

type digestJSON struct {
	State    string `json:"state"`
	Versions int64  `json:"versions,omitempty"`
	Bytes    int64  `json:"bytes,omitempty"`
}

// digestStatus says whether the store's digest is there and current.
func digestStatus(ws *workspace.Workspace, st *store.Store) digestJSON {
	path := analysis.DigestPath(ws.StorePath())
	fi, err := os.Stat(path)
	if err != nil {
		return digestJSON{State: "missing"}
	}
	d, err := openDigest(ws, st)
	if err != nil {
		return digestJSON{State: "stale", Bytes: fi.Size()}
	}
	defer d.Close()
	return digestJSON{State: "current", Versions: d.Records(), Bytes: fi.Size()}
}

type loadStatsJSON struct {
	File        string `json:"file"`
	Kind        string `json:"kind"`
	AsOf        string `json:"as_of"`
	Rows        int64  `json:"rows"`
	PeopleValid int64  `json:"people_valid"`
	SHA256      string `json:"sha256"`
}

func init() {
	var asJSON bool
	addCommand(&command{
		Name:     "stats",
		Summary:  "people and versions in the store, per file loaded",
		Usage:    "huella stats [--dir DIR] [--json]",
		NeedsDir: true,
		Help: `Prints how many people and versions the store holds, the span of days it
knows, and for each loaded file its day, kind, rows and the people valid on
that day. Reads counts kept by every load; no scan.

Examples:
  huella stats
  huella stats --json | jq .people`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print JSON: {people, versions, loads: [{file, kind, as_of, rows, people_valid, sha256}], first, last, digest: {state, versions, bytes}}")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usageError("stats takes no arguments")
			}
			ws, err := openWorkspace(env)
			if err != nil {
				return err
			}
			defer ws.Close()
			// Read-only: stats changes nothing, so it neither needs the
			// disk space a writable open may take nor disturbs a load.
			st, err := store.OpenWith(ws.StorePath(), ws.Schema(), store.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			defer st.Close()
			s, err := st.Stats()
			if err != nil {
				return err
			}
			out := statsJSON{People: s.People, Versions: s.Versions, First: s.First.String(), Last: s.Last.String(), Loads: []loadStatsJSON{},
				Digest: digestJSON{State: "missing"}}
			if s.Versions > 0 {
				out.Digest = digestStatus(ws, st)
			}
			for _, l := range s.Loads {
				out.Loads = append(out.Loads, loadStatsJSON{l.File, l.Kind, l.AsOf.String(), l.Rows, l.PeopleValid, l.SHA256})
			}
			if asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			fmt.Fprintf(env.Stdout, "people:   %d\nversions: %d\n", out.People, out.Versions)
			if len(out.Loads) == 0 {
				fmt.Fprintf(env.Stdout, "nothing loaded yet\n")
				return nil
			}
			fmt.Fprintf(env.Stdout, "span:     %s to %s\n", out.First, out.Last)
			switch out.Digest.State {
			case "current":
				fmt.Fprintf(env.Stdout, "digest:   current (%d versions, %d bytes)\n\n", out.Digest.Versions, out.Digest.Bytes)
			case "stale":
				fmt.Fprintf(env.Stdout, "digest:   stale: made for another state of the store (huella digest rebuilds it)\n\n")
			default:
				fmt.Fprintf(env.Stdout, "digest:   missing: full-dump analyses read the store (huella digest builds it)\n\n")
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "as of\tkind\trows\tpeople valid\tfile\n")
			for _, l := range out.Loads {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", l.AsOf, l.Kind, l.Rows, l.PeopleValid, l.File)
			}
			return tw.Flush()
		},
	})
}
