package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"text/tabwriter"

	"github.com/huella/huella/internal/ledger"
)

func init() {
	var (
		jsonOut   bool
		ledgerDir string
		outPath   string
		keyPath   string
		cpPaths   stringList
	)
	addCommand(&command{
		Name:     "ledger",
		Summary:  "list, verify and prove entries of the release ledger",
		Usage:    "huella ledger list [--json] | verify [--checkpoint FILE] | prove ID [--out FILE] | check-proof FILE [--key FILE]",
		NeedsDir: true,
		Help: `The ledger (DIR/ledger) is an append-only Merkle log (golang.org/x/mod
sumdb/tlog) of every release and analysis, with every tree head signed by
the workspace's ledger key (Ed25519, sumdb/note). The folder can be copied
and checked on its own; its key.pub is the key to publish.

  list         the entries: index, id, kind, recipient, as-of, rows, time,
               SHA-256 of the file; --json for all fields as a JSON array
  verify       re-hashes every entry, recomputes the tree, checks every
               checkpoint's signature and that each extends the one before;
               exit 4 and what is wrong if anything is. --checkpoint FILE
               also checks a checkpoint kept elsewhere (a proof file, or the
               note from "verify"): the ledger must still hold the tree it
               signs, which shows entries cut off the end or rewritten
  prove ID     an inclusion proof of entry ID in the latest signed tree, as
               JSON (to stdout, or --out FILE)
  check-proof  checks a proof file offline. It carries the key that signed
               it: compare that key with the published key.pub, or pass
               --key key.pub to check against it

list, verify and prove take --ledger DIR to work on a copied ledger folder
without a workspace (read-only).

Examples:
  huella ledger list
  huella ledger list --json
  huella ledger verify
  huella ledger verify --ledger /media/usb/ledger
  huella ledger verify --checkpoint proof-2024.json
  huella ledger prove r-20261127-0001 --out proof.json
  huella ledger check-proof proof.json --key key.pub`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&jsonOut, "json", false, "list: print the entries as a JSON array")
			fs.StringVar(&ledgerDir, "ledger", "", "list, verify, prove: a ledger folder `DIR` on its own, without a workspace")
			fs.StringVar(&outPath, "out", "", "prove: write the proof to `FILE` instead of stdout")
			fs.StringVar(&keyPath, "key", "", "check-proof: the trusted verifier key `FILE` (key.pub)")
			cpPaths = nil
			fs.Var(&cpPaths, "checkpoint", "verify: also check a checkpoint kept elsewhere (a note, or a proof file) in `FILE`; repeatable")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) == 0 {
				return usageError("ledger needs a subcommand: list, verify, prove or check-proof")
			}
			sub, args := args[0], args[1:]
			switch sub {
			case "list":
				if len(args) != 0 {
					return usageError("ledger list takes no arguments")
				}
				return ledgerList(env, ledgerDir, jsonOut)
			case "verify":
				if len(args) != 0 {
					return usageError("ledger verify takes no arguments")
				}
				return ledgerVerify(env, ledgerDir, cpPaths)
			case "prove":
				if len(args) != 1 {
					return usageError("ledger prove takes one entry ID")
				}
				return ledgerProve(env, ledgerDir, args[0], outPath)
			case "check-proof":
				if len(args) != 1 {
					return usageError("ledger check-proof takes one proof FILE")
				}
				return ledgerCheckProof(env, args[0], keyPath)
			}
			return usageError("unknown ledger subcommand %q (list, verify, prove, check-proof)", sub)
		},
	})
}

// ledgerError maps the ledger's errors to exit codes.
func ledgerError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ledger.ErrCorrupt):
		return withCode(ExitVerify, err, "the ledger's files were altered or damaged; keep a copy of the folder as it is")
	case errors.Is(err, ledger.ErrNoLedger):
		return withCode(ExitNoSpace, err, "")
	}
	return err
}

// openLedger opens a ledger folder given with --ledger (read-only), or the
// workspace's ledger, with the signer key if writable and the key is there
// (which also rolls back an interrupted append).
func openLedger(env *Env, dir string, writable bool) (*ledger.Ledger, func(), error) {
	if dir != "" {
		l, err := ledger.Open(dir, "")
		if err != nil {
			return nil, nil, ledgerError(err)
		}
		return l, func() { l.Close() }, nil
	}
	l, _, done, err := openLedgerPath(env, writable)
	return l, done, err
}

// openLedgerPath is openLedger, also returning the ledger's folder.
func openLedgerPath(env *Env, writable bool) (*ledger.Ledger, string, func(), error) {
	ws, err := openWorkspace(env)
	if err != nil {
		return nil, "", nil, err
	}
	key := ""
	if writable {
		if _, err := os.Stat(ws.LedgerKeyPath()); err == nil {
			key = ws.LedgerKeyPath()
		} else if errors.Is(err, fs.ErrNotExist) {
			env.Info("no ledger key at %s: checking without it", ws.LedgerKeyPath())
		}
	}
	l, err := ledger.Open(ws.LedgerPath(), key)
	if err != nil {
		ws.Close()
		return nil, "", nil, ledgerError(err)
	}
	return l, ws.LedgerPath(), func() { l.Close(); ws.Close() }, nil
}

// ledgerListItem is one entry of "ledger list --json": the entry with its
// index, and the keys the contract names always present.
type ledgerListItem struct {
	Index       int64           `json:"index"`
	ID          string          `json:"id"`
	Kind        string          `json:"kind"`
	Time        string          `json:"time"`
	Recipient   string          `json:"recipient"`
	AsOf        string          `json:"as_of"`
	Fields      []string        `json:"fields,omitempty"`
	Format      string          `json:"format,omitempty"`
	Rows        int64           `json:"rows"`
	SHA256      string          `json:"sha256"`
	Fingerprint json.RawMessage `json:"fingerprint,omitempty"`
	Details     json.RawMessage `json:"details,omitempty"`
}

func ledgerList(env *Env, dir string, jsonOut bool) error {
	l, done, err := openLedger(env, dir, false)
	if err != nil {
		return err
	}
	defer done()
	es, err := l.Entries()
	if err != nil {
		return ledgerError(err)
	}
	if jsonOut {
		items := make([]ledgerListItem, len(es))
		for i, e := range es {
			items[i] = ledgerListItem{Index: int64(i), ID: e.ID, Kind: e.Kind, Time: e.Time,
				Recipient: e.Recipient, AsOf: e.AsOf, Fields: e.Fields, Format: e.Format, Rows: e.Rows,
				SHA256: e.SHA256, Fingerprint: e.Fingerprint, Details: e.Details}
		}
		b, err := json.MarshalIndent(items, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(env.Stdout, "%s\n", b)
		return err
	}
	if len(es) == 0 {
		env.Info("the ledger has no entries yet")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tID\tKIND\tRECIPIENT\tAS OF\tROWS\tTIME\tSHA-256")
	for i, e := range es {
		sha := e.SHA256
		if len(sha) > 16 {
			sha = sha[:16] + "…"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", i, e.ID, e.Kind, dash(e.Recipient), dash(e.AsOf), e.Rows, e.Time, dash(sha))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return fmt.Sprint(*s) }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// readCheckpoint reads a checkpoint note from a file holding the note itself
// or a proof (whose checkpoint is taken).
func readCheckpoint(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read checkpoint: %w", err)
	}
	var p ledger.Proof
	if json.Unmarshal(b, &p) == nil && p.Checkpoint != "" {
		return p.Checkpoint, nil
	}
	return string(b), nil
}

func ledgerVerify(env *Env, dir string, checkpoints []string) error {
	var (
		l    *ledger.Ledger
		done func()
		err  error
	)
	if dir != "" {
		l, done, err = openLedger(env, dir, false)
		if err != nil {
			return err
		}
	} else {
		l, dir, done, err = openLedgerPath(env, true)
		if err != nil {
			return err
		}
	}
	defer done()
	if err := l.Verify(); err != nil {
		return ledgerError(err)
	}
	for _, path := range checkpoints {
		text, err := readCheckpoint(path)
		if err != nil {
			return err
		}
		if err := l.CheckCheckpoint(text); err != nil {
			return withCode(ExitVerify, fmt.Errorf("%s: %w", path, err), "the ledger no longer holds a tree it once signed")
		}
		env.Info("%s: the ledger still holds the tree this checkpoint signs", path)
	}
	cp, err := l.Checkpoint()
	if err != nil {
		return err
	}
	n := l.Size()
	fmt.Fprintf(env.Stdout, "ledger %s ok: %d entries, %d signed checkpoints, all consistent\n", dir, n, n+1)
	fmt.Fprintf(env.Stdout, "verifier key: %s\n", l.VerifierKey())
	fmt.Fprintf(env.Stdout, "latest checkpoint:\n%s", cp)
	return nil
}

func ledgerProve(env *Env, dir, id, out string) error {
	l, done, err := openLedger(env, dir, false)
	if err != nil {
		return err
	}
	defer done()
	p, err := l.Prove(id)
	if errors.Is(err, ledger.ErrNotFound) {
		return withCode(ExitBadInput, err, `"huella ledger list" shows the ids`)
	}
	if err != nil {
		return ledgerError(err)
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if out == "" {
		_, err = env.Stdout.Write(b)
		return err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return fmt.Errorf("write proof: %w", err)
	}
	env.Info("proof that %s is entry %d of the ledger's %d, signed by %s, written to %s", id, p.Index, p.TreeSize, p.VerifierKey, out)
	return nil
}

func ledgerCheckProof(env *Env, path, keyFile string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read proof: %w", err)
	}
	var p ledger.Proof
	if err := json.Unmarshal(b, &p); err != nil {
		return withCode(ExitBadInput, fmt.Errorf("%s: not a proof file: %w", path, err), "")
	}
	key := ""
	if keyFile != "" {
		kb, err := os.ReadFile(keyFile)
		if err != nil {
			return fmt.Errorf("read key: %w", err)
		}
		if key, err = ledger.ParseVerifierKey(kb); err != nil {
			return withCode(ExitBadInput, fmt.Errorf("%s: %w", keyFile, err), "")
		}
	}
	if err := ledger.VerifyProof(&p, key); err != nil {
		return withCode(ExitVerify, fmt.Errorf("%s: %w", path, err), "")
	}
	e, _ := p.DecodeEntry()
	fmt.Fprintf(env.Stdout, "proof ok: entry %s (%s", e.ID, e.Kind)
	if e.Recipient != "" {
		fmt.Fprintf(env.Stdout, ", recipient %s", e.Recipient)
	}
	if e.AsOf != "" {
		fmt.Fprintf(env.Stdout, ", as of %s", e.AsOf)
	}
	fmt.Fprintf(env.Stdout, ", %d rows, %s) is record %d of the ledger tree of size %d\n", e.Rows, e.Time, p.Index, p.TreeSize)
	if e.SHA256 != "" {
		fmt.Fprintf(env.Stdout, "sha256: %s\n", e.SHA256)
	}
	fmt.Fprintf(env.Stdout, "signed by: %s\n", p.VerifierKey)
	if keyFile == "" {
		env.Hint("the proof was checked against the key it carries: compare it with the ledger's published key.pub, or pass --key key.pub")
	}
	return nil
}
