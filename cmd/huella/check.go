package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/huella/huella/internal/exposure"
	"github.com/huella/huella/internal/exposure/client"
)

func init() {
	var (
		serverURL, curp string
		cases           checkCaseList
		jsonOut         bool
	)
	addCommand(&command{
		Name:    "check",
		Summary: "is a CURP in a published leak? asked without revealing it",
		Usage:   "huella check --server URL --curp CURP [--case ID]... [--json]",
		Help: `Asks a huella server whether a CURP is among the people of its published
leaks, without sending the CURP: it is blinded with a fresh random scalar
(RFC 9497 OPRF, ristretto255), the server evaluates the blinded value with
its key, and the answer is unblinded and looked up here in one padded bucket
per leak. The server learns neither the CURP nor a hash of it.

Without --case every published leak is checked. Exit status 0 whether or not
the CURP is exposed; --json prints {"exposed": true|false, "cases": [...],
"checked": [...]}.

Examples:
  huella check --server http://127.0.0.1:8080 --curp PEGL890909MJCRMS08
  huella check --server https://huella.example --curp PEGL890909MJCRMS08 --case a1-0123 --json`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&serverURL, "server", "", "the huella server's base `URL`")
			fs.StringVar(&curp, "curp", "", "the `CURP` to check (18 characters)")
			cases = nil // a repeatable flag: not carried over from an earlier run in the same process
			fs.Var(&cases, "case", "check only the leak `ID` (repeatable)")
			fs.BoolVar(&jsonOut, "json", false, "print the result as JSON")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 || serverURL == "" || curp == "" {
				return usageError("check needs --server URL and --curp CURP")
			}
			if _, err := exposure.Normalize(curp); err != nil {
				return withCode(ExitBadInput, err, "")
			}
			hc := &http.Client{Timeout: 30 * time.Second}
			res, err := client.Check(ctx, hc, serverURL, curp, cases...)
			if err != nil {
				return err
			}
			if jsonOut {
				b, _ := json.Marshal(res)
				fmt.Fprintln(env.Stdout, string(b))
				return nil
			}
			switch {
			case len(res.Checked) == 0:
				fmt.Fprintln(env.Stdout, "no leak is published on this server")
			case res.Exposed:
				fmt.Fprintf(env.Stdout, "exposed: the CURP is in %d of %d published leaks: %s\n", len(res.Cases), len(res.Checked), strings.Join(res.Cases, ", "))
			default:
				fmt.Fprintf(env.Stdout, "not exposed: the CURP is in none of the %d published leaks\n", len(res.Checked))
			}
			return nil
		},
	})
}

// checkCaseList is a repeatable string flag.
type checkCaseList []string

func (s *checkCaseList) String() string     { return strings.Join(*s, ",") }
func (s *checkCaseList) Set(v string) error { *s = append(*s, v); return nil }
