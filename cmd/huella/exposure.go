package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/huella/huella/internal/exposure"
	"github.com/huella/huella/internal/server"
)

func init() {
	var jsonOut bool
	addCommand(&command{
		Name:     "exposure",
		Summary:  "publish an analysed leak for the private exposure check",
		Usage:    "huella exposure publish ANALYSIS_ID | huella exposure list [--json]",
		NeedsDir: true,
		Help: `Makes the affected people of an analysed leak checkable by the people
themselves, without anyone sending a CURP (see "huella check" and /check on
"huella serve").

  publish ID  evaluates every CURP of DIR/cases/ID/affected.csv with the
              workspace's exposure key (DIR/keys/exposure.key, an RFC 9497
              OPRF key on ristretto255, made on first use) and writes the
              padded buckets to DIR/exposure/ID.set. The set holds keyed
              values only: without the key nobody can test a CURP against it.
  list        the published leaks: people, prefix bits, bucket size

Examples:
  huella exposure publish a1-0123456789abcdef01234567
  huella exposure list --json`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&jsonOut, "json", false, "list: JSON output")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) == 0 {
				return usageError("exposure needs a subcommand: publish or list")
			}
			switch args[0] {
			case "publish":
				if len(args) != 2 {
					return usageError("usage: huella exposure publish ANALYSIS_ID")
				}
				return exposurePublish(ctx, env, args[1])
			case "list":
				sets, err := exposure.LoadAll(env.Dir)
				if err != nil {
					return err
				}
				if jsonOut {
					type row struct {
						Case       string `json:"case"`
						Published  string `json:"published"`
						People     int    `json:"people"`
						PrefixBits int    `json:"prefix_bits"`
						BucketSize int    `json:"bucket_size"`
					}
					rows := []row{}
					for _, s := range sets {
						rows = append(rows, row{s.Case, s.Published.Format(time.RFC3339), s.People, s.PrefixBits, s.BucketSize})
					}
					b, _ := json.MarshalIndent(rows, "", "  ")
					fmt.Fprintln(env.Stdout, string(b))
					return nil
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CASE\tPUBLISHED\tPEOPLE\tBUCKETS\tBUCKET SIZE")
				for _, s := range sets {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", s.Case, s.Published.Format(time.RFC3339), s.People, s.Buckets(), s.BucketSize)
				}
				return tw.Flush()
			default:
				return usageError("unknown exposure subcommand %q (publish, list)", args[0])
			}
		},
	})
}

func exposurePublish(ctx context.Context, env *Env, id string) error {
	ws, err := openWorkspace(env)
	if err != nil {
		return err
	}
	defer ws.Close()
	if err := exposure.ValidCaseID(id); err != nil {
		return usageError("%v", err)
	}
	curps, err := server.DirCases{Dir: server.CasesDir(env.Dir)}.AffectedCURPs(ctx, id)
	if errors.Is(err, server.ErrNotFound) {
		return withCode(ExitBadInput, fmt.Errorf("no affected.csv for analysis %s", id), "list the cases with: ls "+server.CasesDir(env.Dir))
	}
	if err != nil {
		return err
	}
	key, err := exposure.LoadOrCreateKey(exposure.KeyPath(env.Dir))
	if err != nil {
		return err
	}
	start := time.Now()
	var progress func(int)
	if env.Interactive {
		progress = func(done int) { fmt.Fprintf(env.Stderr, "\rhuella: evaluating %d/%d", done, len(curps)) }
	}
	set, skipped, err := exposure.Publish(key, id, curps, progress)
	if env.Interactive {
		fmt.Fprint(env.Stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	if err := set.Save(env.Dir); err != nil {
		return err
	}
	if skipped > 0 {
		env.Info("%d lines of affected.csv are not CURPs: skipped", skipped)
	}
	fmt.Fprintf(env.Stdout, "published %s: %d people in %d buckets of %d (%.1fs)\n", id, set.People, set.Buckets(), set.BucketSize, time.Since(start).Seconds())
	return nil
}
