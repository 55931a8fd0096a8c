package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/workspace"
)

// initSteps create the parts of a new workspace (store, ledger, ...); each
// part's command file appends its step from an init function.
var initSteps []struct {
	name string
	run  func(ws *workspace.Workspace) error
}

func addInitStep(name string, run func(ws *workspace.Workspace) error) {
	initSteps = append(initSteps, struct {
		name string
		run  func(ws *workspace.Workspace) error
	}{name, run})
}

func init() {
	var schemaPath string
	addCommand(&command{
		Name:     "init",
		Summary:  "create a workspace: store, secret keys, ledger",
		Usage:    "huella init [--dir DIR] [--schema FILE]",
		NeedsDir: true,
		Help: `Creates the workspace folder with an empty temporal store, a fresh 256-bit
fingerprint key and a ledger signing key (files mode 0600, never printed),
and an empty ledger. The default schema is the INE padrón; --schema loads
another register's description ("huella schema v1" JSON).

Examples:
  huella init --dir ./ws
  HUELLA_DIR=./ws huella init
  huella init --dir ./bank --schema bank-schema.json`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&schemaPath, "schema", "", "register schema `FILE` (default: INE padrón)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usageError("init takes no arguments")
			}
			var schema *register.Schema
			if schemaPath != "" {
				s, err := register.LoadSchema(schemaPath)
				if err != nil {
					return withCode(ExitBadInput, err, "")
				}
				schema = s
			}
			ws, err := workspace.Init(env.Dir, schema)
			if err != nil {
				return err
			}
			defer ws.Close()
			for _, st := range initSteps {
				if err := st.run(ws); err != nil {
					return fmt.Errorf("create %s: %w", st.name, err)
				}
			}
			if err := ws.Finish(); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "initialised workspace %s (schema %s, %d fields)\n", env.Dir, ws.Schema().Name, len(ws.Schema().Fields))
			return nil
		},
	})
}

// openWorkspace opens env.Dir, mapping "not initialised" to its exit code.
func openWorkspace(env *Env) (*workspace.Workspace, error) {
	ws, err := workspace.Open(env.Dir)
	if err != nil {
		return nil, withCode(ExitNoSpace, err, "")
	}
	return ws, nil
}
