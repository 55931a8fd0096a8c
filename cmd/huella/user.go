package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/huella/huella/internal/server"
)

func init() {
	var role string
	addCommand(&command{
		Name:     "user",
		Summary:  "accounts of the web UI: add (or reset), remove and list",
		Usage:    "huella user add NAME --role viewer|investigator|custodian < password | huella user remove NAME | huella user list",
		NeedsDir: true,
		Help: `Accounts live in DIR/users.json (mode 0600) with argon2id password hashes.
A running "huella serve" follows a change from the account's next request:
a new password or a removed account ends its sessions, a new role applies.

  add NAME     creates the account, or replaces its password and role; the
               password is the first line of standard input (at least 8
               characters), so it never appears in the shell history
  remove NAME  deletes the account and ends its sessions
  list         names, roles and creation times

Roles: viewer reads cases, releases and the ledger; investigator also
uploads leaks, writes notes and publishes a case for the exposure check;
custodian also issues and downloads releases.

Examples:
  huella user add ana --role custodian
  printf '%s\n' "$PASSWORD" | huella user add luis --role investigator
  huella user remove luis
  huella user list`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&role, "role", "", "add: `ROLE` of the account (viewer, investigator, custodian)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) == 0 {
				return usageError("user needs a subcommand: add, remove or list")
			}
			ws, err := openWorkspace(env)
			if err != nil {
				return err
			}
			ws.Close()
			users := server.OpenUsers(env.Dir)
			switch args[0] {
			case "add":
				if len(args) != 2 {
					return usageError("usage: huella user add NAME --role ROLE")
				}
				r, err := server.ParseRole(role)
				if err != nil {
					return usageError("%v", err)
				}
				if env.Interactive {
					fmt.Fprintf(env.Stderr, "password for %s: ", args[1])
				}
				line, err := bufio.NewReader(env.Stdin).ReadString('\n')
				if err != nil && line == "" {
					return withCode(ExitBadInput, fmt.Errorf("no password on standard input"), "pipe the password: printf '%s\\n' \"$PW\" | huella user add NAME --role ROLE")
				}
				pw := strings.TrimRight(line, "\r\n")
				if err := users.Set(args[1], r, pw); err != nil {
					return withCode(ExitBadInput, err, "")
				}
				fmt.Fprintf(env.Stdout, "user %s (%s) saved\n", args[1], r)
				return nil
			case "remove":
				if len(args) != 2 {
					return usageError("usage: huella user remove NAME")
				}
				found, err := users.Remove(args[1])
				if err != nil {
					return err
				}
				if !found {
					return withCode(ExitBadInput, fmt.Errorf("no user %s", args[1]), "huella user list shows the accounts")
				}
				fmt.Fprintf(env.Stdout, "user %s removed\n", args[1])
				return nil
			case "list":
				if len(args) != 1 {
					return usageError("user list takes no arguments")
				}
				list, err := users.List()
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tROLE\tCREATED")
				for _, u := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, u.Role, u.Created)
				}
				return tw.Flush()
			default:
				return usageError("unknown user subcommand %q (add, remove, list)", args[0])
			}
		},
	})
}
