package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/huella/huella/internal/fingerprint"
	"github.com/huella/huella/internal/ledger"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/release"
	"github.com/huella/huella/internal/store"
)

func init() {
	var (
		recipient, asOf, out, format, fields, profile string
		recipients, colluders, orderBlock, cutWindow  int
		canaryRate                                    float64
		jsonOut                                       bool
	)
	addCommand(&command{
		Name:     "release",
		Summary:  "write a fingerprinted copy of the register for one recipient, logged in the ledger",
		Usage:    "huella release --recipient NAME --as-of DATE --out FILE [--format csv|jsonl|sql|xlsx] [--fields F1,F2,...|--profile NAME]",
		NeedsDir: true,
		Help: `Writes the register as of DATE for one recipient, streamed, with the
recipient's secret fingerprint, and prints the release id. The identity
fields (CURP, clave, names, birth date, sex, entidad, sección) are the
register's bytes in every row; the marks are in the choice of equivalent
address forms (CALLE/C., COLONIA/COL, S/N/SIN NUMERO, ...), a few canary
persons, the row order and, with --cut-window, the cut instant.

--fields (or a named profile of huella.json) cuts the copy to what the
recipient may receive, in that order; CSV's header is the field names.
The file is written under a temporary name next to FILE and renamed only
once the ledger entry is durable: never an entry without its file, never a
file without its entry. A release interrupted by a crash is finished (or
cleaned up) by the next release of the same workspace into the same folder;
other workspaces' files there, and releases still running, are left alone.
A DATE on which no one in the register is valid is refused.

Examples:
  huella release --recipient "PARTIDO A" --as-of 2018-03-01 --out a.csv
  huella release --recipient MORENA --as-of 2021-06-01 --profile partido --out m.xlsx
  huella release --recipient INEGI --as-of 2021-06-01 --fields curp,entidad,seccion --out i.jsonl --json`,
		Flags: func(fs *flag.FlagSet) {
			d := fingerprint.DefaultParams()
			fs.StringVar(&recipient, "recipient", "", "who receives the copy (`NAME`)")
			fs.StringVar(&asOf, "as-of", "", "cut the register at `DATE` (YYYY-MM-DD)")
			fs.StringVar(&out, "out", "", "write the copy to `FILE` (must not exist)")
			fs.StringVar(&format, "format", "", "csv, jsonl, sql or xlsx (default: from FILE's extension, else csv)")
			fs.StringVar(&fields, "fields", "", "comma-separated `FIELDS` in output order (default: all)")
			fs.StringVar(&profile, "profile", "", "the field list of a named profile in huella.json")
			fs.IntVar(&recipients, "recipients", d.Recipients, "recipients the collusion-resistant code is sized for")
			fs.IntVar(&colluders, "colluders", d.Colluders, "colluders the code resists")
			fs.Float64Var(&canaryRate, "canary-rate", d.CanaryRate, "canary persons per row (at least one per copy; 0: none)")
			fs.IntVar(&orderBlock, "order-block", d.OrderBlock, "rows per block of keyed row order (0: register order)")
			fs.IntVar(&cutWindow, "cut-window", 0, "cut the copy up to `DAYS` before DATE, at a keyed instant")
			fs.BoolVar(&jsonOut, "json", false, "print the result as JSON")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usageError("release takes no arguments (got %q)", strings.Join(args, " "))
			}
			if recipient == "" || asOf == "" || out == "" {
				return usageError("release needs --recipient, --as-of and --out")
			}
			date, err := register.ParseDate(asOf)
			if err != nil {
				return usageError("--as-of: %v", err)
			}
			if format == "" {
				format = formatOf(out)
			}
			if fields != "" && profile != "" {
				return usageError("--fields and --profile exclude each other")
			}
			if canaryRate < 0 || canaryRate > 0.01 || orderBlock < 0 || cutWindow < 0 || recipients < 1 || colluders < 1 {
				return usageError("--canary-rate must be in [0, 0.01]; --order-block, --cut-window ≥ 0; --recipients, --colluders ≥ 1")
			}
			ws, err := openWorkspace(env)
			if err != nil {
				return err
			}
			defer ws.Close()
			var list []string
			switch {
			case profile != "":
				p, ok := ws.Profile(profile)
				if !ok {
					return withCode(ExitUsage, fmt.Errorf("no profile %q in %s", profile, filepath.Join(ws.Dir, "huella.json")), "")
				}
				list = p
			case fields != "":
				for _, f := range strings.Split(fields, ",") {
					list = append(list, strings.TrimSpace(f))
				}
			}
			if _, err := release.Resolve(ws.Schema(), list); err != nil {
				return usageError("%v", err)
			}
			key, err := ws.FingerprintKey()
			if err != nil {
				return err
			}
			// A release streams the store once: a small block cache keeps
			// its memory flat in the register's size.
			st, err := store.OpenWith(ws.StorePath(), ws.Schema(), store.Options{CacheBytes: store.StreamCacheBytes, ReadOnly: true})
			if err != nil {
				return withCode(ExitNoSpace, err, "load the register first: huella load FILE")
			}
			defer st.Close()
			lg, err := ledger.Open(ws.LedgerPath(), ws.LedgerKeyPath())
			if err != nil {
				return err
			}
			defer lg.Close()
			finished, err := release.Recover(filepath.Dir(out), key, func(id string) bool {
				_, _, err := lg.Find(id)
				return err == nil
			})
			if err != nil {
				return err
			}
			for _, f := range finished {
				env.Info("finished release %s, interrupted after it was recorded", f.ID)
				keepReleaseLocation(env, ws.Dir, f.ID, f.Path)
			}
			p := fingerprint.DefaultParams()
			p.Recipients, p.Colluders, p.CanaryRate, p.OrderBlock = recipients, colluders, canaryRate, orderBlock
			o := release.Options{Recipient: recipient, AsOf: date, Out: out, Format: format, Fields: list, Params: p, CutWindow: cutWindow}
			if env.Interactive {
				o.Progress = func(rows int64) { fmt.Fprintf(env.Stderr, "\rhuella: %d rows", rows) }
			}
			res, err := release.Write(ctx, key, ws.Schema(), st, lg, o)
			if env.Interactive {
				fmt.Fprint(env.Stderr, "\r\033[K")
			}
			if errors.Is(err, release.ErrExists) {
				return withCode(ExitUsage, err, "choose another --out: a copy is never overwritten")
			}
			if errors.Is(err, release.ErrNoOne) {
				return withCode(ExitUsage, err, "choose an --as-of within the days the register holds (huella stats)")
			}
			if err != nil && res != nil {
				// Recorded and in place; only a final fsync failed.
				keepReleaseLocation(env, ws.Dir, res.ID, out)
				fmt.Fprintln(env.Stdout, res.ID)
			}
			if err != nil {
				return err
			}
			keepReleaseLocation(env, ws.Dir, res.ID, out)
			if jsonOut {
				b, _ := json.Marshal(map[string]any{
					"id": res.ID, "recipient": recipient, "as_of": res.AsOf.String(), "out": out,
					"format": format, "fields": res.Entry.Fields, "rows": res.Rows, "sha256": res.SHA256,
					"canaries": res.Params.Canaries,
				})
				fmt.Fprintf(env.Stdout, "%s\n", b)
				return nil
			}
			fmt.Fprintln(env.Stdout, res.ID)
			env.Info("released %d rows to %s as of %s: %s (sha256 %s)", res.Rows, recipient, res.AsOf, out, res.SHA256[:16])
			return nil
		},
	})
}

// formatOf guesses the output format from a file name.
func formatOf(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jsonl", ".ndjson", ".json":
		return "jsonl"
	case ".sql":
		return "sql"
	case ".xlsx":
		return "xlsx"
	}
	return "csv"
}
