package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"

	"github.com/huella/huella/internal/exposure"
	"github.com/huella/huella/internal/fingerprint"
	"github.com/huella/huella/internal/ledger"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/release"
	"github.com/huella/huella/internal/server"
	"github.com/huella/huella/internal/store"
	"github.com/huella/huella/internal/workspace"
)

func init() {
	var (
		addr      string
		evalRate  float64
		evalBurst int
		logJSON   bool
		secure    bool
		proxies   string
	)
	addCommand(&command{
		Name:     "serve",
		Summary:  "web UI for cases, releases and the ledger; the public exposure check",
		Usage:    "huella serve [--addr HOST:PORT] [--eval-rate N] [--secure] [--trusted-proxy CIDR[,CIDR]] [--log-json]",
		NeedsDir: true,
		Help: `Serves the workspace over HTTP: the investigators' UI (cases, leak uploads
with their analysis, reports with the map of affected people, notes,
releases, the ledger with verification and inclusion proofs) behind a login,
and the public page /check where anyone can learn whether their CURP is in
a published leak without sending it (oblivious PRF; see "huella check").

Accounts are made with "huella user add". Roles: viewer (reads),
investigator (+ uploads, notes, publishing for /check), custodian
(+ issuing and downloading releases). The Releases page lists every
release of the ledger; one written with "huella release --out FILE" can be
downloaded while FILE is still there with the SHA-256 the ledger recorded.
Sessions survive a restart (DIR/sessions.json keeps only hashes of the
session tokens). GET /healthz answers 200 and
GET /metrics the Prometheus text format. Logs (log/slog, on stderr) never
hold personal data. SIGINT/SIGTERM shut down gracefully.

The server holds no workspace lock while idle: CLI commands keep working
next to it. Serve plain HTTP on loopback, or put a TLS proxy in front and
pass --secure so cookies are marked Secure. Behind a proxy, also pass
--trusted-proxy with its address(es): the login and /check rate limits
then apply to each client (the right-most X-Forwarded-For address that is
not a trusted proxy), not to the proxy, which would make all clients share
one limit and let one client's failed logins lock out everyone. The header
is ignored on connections from any other address.

Examples:
  huella serve
  huella serve --addr 0.0.0.0:8080 --secure --log-json
  huella serve --secure --trusted-proxy 127.0.0.1,::1
  huella serve --dir ./demo/ws --eval-rate 5`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "addr", "127.0.0.1:8080", "listen on `HOST:PORT`")
			fs.Float64Var(&evalRate, "eval-rate", 10, "exposure evaluations per second allowed per client IP (`N`; negative: no limit)")
			fs.IntVar(&evalBurst, "eval-burst", 20, "exposure evaluations a client IP may make at once")
			fs.BoolVar(&logJSON, "log-json", false, "log JSON lines instead of text")
			fs.BoolVar(&secure, "secure", false, "mark cookies Secure (serving behind TLS)")
			fs.StringVar(&proxies, "trusted-proxy", "", "`CIDR[,CIDR]` prefixes (or addresses) of reverse proxies whose X-Forwarded-For names the client")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usageError("serve takes no arguments")
			}
			trusted, err := server.ParseTrustedProxies(proxies)
			if err != nil {
				return usageError("%v", err)
			}
			var h slog.Handler = slog.NewTextHandler(env.Stderr, nil)
			if logJSON {
				h = slog.NewJSONHandler(env.Stderr, nil)
			}
			srv, err := newServer(env.Dir, slog.New(h), func(c *server.Config) {
				c.EvalRate, c.EvalBurst, c.Secure = evalRate, evalBurst, secure
				c.TrustedProxies = trusted
			})
			if err != nil {
				return err
			}
			return srv.ListenAndServe(ctx, addr, func(a net.Addr) {
				env.Info("serving %s on http://%s/ (Ctrl-C to stop)", env.Dir, a)
				if users, _ := server.OpenUsers(env.Dir).List(); len(users) == 0 {
					env.Hint("no accounts yet: huella user add NAME --role custodian")
				}
			})
		},
	})
}

// newServer wires the server to the workspace at dir: cases from
// DIR/cases, the analysis for uploads, the ledger and releases.
func newServer(dir string, log *slog.Logger, mod func(*server.Config)) (*server.Server, error) {
	ws, err := workspace.Open(dir) // checks the workspace; the lock is not kept
	if err != nil {
		return nil, withCode(ExitNoSpace, err, "")
	}
	ws.Close()
	var profiles []string
	for p := range ws.Config.Profiles {
		profiles = append(profiles, p)
	}
	sort.Strings(profiles)
	key, err := exposure.LoadOrCreateKey(exposure.KeyPath(dir))
	if err != nil {
		return nil, err
	}
	cfg := server.Config{
		Dir:      dir,
		Cases:    server.DirCases{Dir: server.CasesDir(dir)},
		Analyze:  caseAnalyzer(dir),
		Ledger:   wsLedger{ws},
		Releases: wsReleases{ws: ws, sums: newFileSums(64 << 20)},
		Key:      key,
		Logger:   log,
		Profiles: profiles,
	}
	if mod != nil {
		mod(&cfg)
	}
	return server.New(cfg)
}

// wsLedger reads the workspace's ledger for the server; each call opens it
// read-only, so the server sees what CLI commands append.
type wsLedger struct{ ws *workspace.Workspace }

func (l wsLedger) open() (*ledger.Ledger, error) { return ledger.Open(l.ws.LedgerPath(), "") }

func serveEntrySummary(e ledger.Entry) string {
	switch e.Kind {
	case ledger.KindRelease:
		return fmt.Sprintf("%s · %s · %d rows · %s", e.Recipient, e.AsOf, e.Rows, e.Format)
	default:
		s := fmt.Sprintf("%d rows", e.Rows)
		var d struct {
			Verdict string `json:"verdict"`
			Name    string `json:"name"`
		}
		if json.Unmarshal(e.Details, &d) == nil && d.Verdict != "" {
			s = d.Verdict + " · " + s
		}
		return s
	}
}

func (l wsLedger) Entries(ctx context.Context) ([]server.LedgerEntry, error) {
	lg, err := l.open()
	if err != nil {
		return nil, err
	}
	defer lg.Close()
	es, err := lg.Entries()
	if err != nil {
		return nil, err
	}
	out := make([]server.LedgerEntry, len(es))
	for i, e := range es {
		line, _ := json.Marshal(e)
		h := sha256.Sum256(line)
		out[i] = server.LedgerEntry{Index: int64(i), ID: e.ID, Kind: e.Kind, Time: e.Time, Summary: serveEntrySummary(e), Hash: hex.EncodeToString(h[:8])}
		if e.SHA256 != "" {
			out[i].Hash = e.SHA256
		}
	}
	return out, nil
}

func (l wsLedger) Verify(ctx context.Context) (string, error) {
	lg, err := l.open()
	if err != nil {
		return "", err
	}
	defer lg.Close()
	if err := lg.Verify(); err != nil {
		return "", err
	}
	return lg.Checkpoint()
}

func (l wsLedger) Prove(ctx context.Context, id string) (string, error) {
	lg, err := l.open()
	if err != nil {
		return "", err
	}
	defer lg.Close()
	p, err := lg.Prove(id)
	if errors.Is(err, ledger.ErrNotFound) {
		return "", fmt.Errorf("%w: %v", server.ErrNotFound, err)
	}
	if err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	return string(b) + "\n", err
}

// Issue writes a release with package release, holding the workspace lock
// like "huella release" does: the copy goes to DIR/releases/<id>.<format>
// and its entry to the ledger.
func (r wsReleases) Issue(ctx context.Context, req server.IssueRequest) (server.Release, error) {
	ws, err := workspace.Open(r.ws.Dir)
	if err != nil {
		return server.Release{}, err
	}
	defer ws.Close()
	var fields []string
	if req.Profile != "" {
		f, ok := ws.Profile(req.Profile)
		if !ok {
			return server.Release{}, fmt.Errorf("unknown profile %q", req.Profile)
		}
		fields = f
	}
	var asOf register.Date
	if req.AsOf != "" {
		d, err := register.ParseDate(req.AsOf)
		if err != nil {
			return server.Release{}, fmt.Errorf("as-of: %w", err)
		}
		asOf = d
	}
	format := req.Format
	if format == "" {
		format = "csv"
	}
	key, err := ws.FingerprintKey()
	if err != nil {
		return server.Release{}, err
	}
	st, err := store.Open(ws.StorePath(), ws.Schema())
	if err != nil {
		return server.Release{}, err
	}
	defer st.Close()
	if req.AsOf == "" {
		stats, err := st.Stats()
		if err != nil {
			return server.Release{}, err
		}
		asOf = stats.Last
	}
	lg, err := ledger.Open(ws.LedgerPath(), ws.LedgerKeyPath())
	if err != nil {
		return server.Release{}, err
	}
	defer lg.Close()
	id, err := release.NewID()
	if err != nil {
		return server.Release{}, err
	}
	if err := os.MkdirAll(serveReleasesDir(ws.Dir), 0o700); err != nil {
		return server.Release{}, err
	}
	res, err := release.Write(ctx, key, ws.Schema(), st, lg, release.Options{
		Recipient: req.Recipient, AsOf: asOf, Format: format, Fields: fields, ID: id,
		Out:    filepath.Join(serveReleasesDir(ws.Dir), id+"."+format),
		Params: fingerprint.DefaultParams(),
	})
	if err != nil {
		return server.Release{}, err
	}
	if err := recordReleaseLocation(ws.Dir, res.ID, filepath.Join(serveReleasesDir(ws.Dir), id+"."+format)); err != nil {
		return server.Release{}, fmt.Errorf("release %s written and logged, but its location was not recorded: %w", res.ID, err)
	}
	return server.Release{ID: res.ID, Recipient: req.Recipient, Profile: req.Profile, AsOf: res.AsOf.String(), Rows: res.Rows, Format: format, File: res.ID + "." + format, State: server.ReleaseAvailable}, nil
}
