// Package workspace owns the layout of a huella workspace folder and its
// secrets. A workspace is
//
//	DIR/huella.json             config: "huella workspace v1", schema, field profiles
//	DIR/init.unfinished         while init runs (Open refuses the workspace; init makes it again)
//	DIR/keys/fingerprint.key    256-bit fingerprint key, hex, mode 0600
//	DIR/keys/ledger.key         the ledger's signing key (sumdb note format), mode 0600
//	DIR/store/                  the temporal store (package store)
//	DIR/store/digest            its comparison digest, rebuilt by each load (package analysis)
//	DIR/ledger/                 the release ledger (package ledger), copyable on its own
//	DIR/lock                    flock held by every command that writes
//	DIR/cases/ID/               each analysis: report.json, report.html, affected.csv (package report)
//	DIR/exposure/               published exposure sets (package exposure)
//	DIR/releases/ID.location    where "huella release" wrote a copy (for download from the web)
//	DIR/users.json              web accounts, argon2id hashes (package server)
//	DIR/sessions.json           web sessions: SHA-256 of each token, expiry; mode 0600
//
// Keys are never printed, never written into a copy and never into the ledger.
package workspace

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/huella/huella/internal/atomicfile"

	"github.com/huella/huella/internal/register"
)

// ConfigFormat is the first field of huella.json.
const ConfigFormat = "huella workspace v1"

// ErrNotInitialised is returned by Open when DIR holds no workspace.
var ErrNotInitialised = errors.New("not a huella workspace")

// Config is huella.json.
type Config struct {
	Format  string           `json:"format"`
	Created string           `json:"created"`
	Schema  *register.Schema `json:"schema"`
	// Profiles name the field lists a class of recipient may receive,
	// e.g. "partido": [nombre, apellido_paterno, apellido_materno, seccion].
	Profiles map[string][]string `json:"profiles,omitempty"`
}

// Workspace is an open workspace.
type Workspace struct {
	Dir    string
	Config Config
	lock   *os.File
}

// Paths inside a workspace.
func (w *Workspace) StorePath() string     { return filepath.Join(w.Dir, "store") }
func (w *Workspace) LedgerPath() string    { return filepath.Join(w.Dir, "ledger") }
func (w *Workspace) LedgerKeyPath() string { return filepath.Join(w.Dir, "keys", "ledger.key") }
func (w *Workspace) FingerprintKeyPath() string {
	return filepath.Join(w.Dir, "keys", "fingerprint.key")
}
func (w *Workspace) Schema() *register.Schema { return w.Config.Schema }

// Init creates a new workspace in dir (which must not hold one), with a fresh
// fingerprint key. The store and ledger are created by their packages.
func Init(dir string, schema *register.Schema) (*Workspace, error) {
	if schema == nil {
		schema = register.INE()
	}
	if _, err := os.Stat(filepath.Join(dir, "huella.json")); err == nil {
		if _, err := os.Stat(filepath.Join(dir, initMarker)); err != nil {
			return nil, fmt.Errorf("init %s: a workspace is already there", dir)
		}
		// An init that did not finish: nothing was loaded, released or
		// logged in it; its parts are made again.
		w := &Workspace{Dir: dir}
		for _, p := range []string{w.StorePath(), w.LedgerPath(), w.LedgerKeyPath(), filepath.Join(dir, "huella.json")} {
			if err := os.RemoveAll(p); err != nil {
				return nil, fmt.Errorf("init %s: the unfinished init before: %w", dir, err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o700); err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	if err := atomicfile.Write(filepath.Join(dir, initMarker), nil, 0o644); err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("init %s: fingerprint key: %w", dir, err)
	}
	w := &Workspace{Dir: dir, Config: Config{
		Format:  ConfigFormat,
		Created: time.Now().UTC().Format(time.RFC3339),
		Schema:  schema,
		Profiles: map[string][]string{
			"partido": {register.FNombre, register.FPaterno, register.FMaterno, register.FSeccion},
		},
	}}
	if err := atomicfile.Write(w.FingerprintKeyPath(), []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	if err := w.SaveConfig(); err != nil {
		return nil, err
	}
	return w, nil
}

// initMarker is the file that says an init has not finished: Init makes
// it first, Finish removes it last. Open refuses a workspace holding it,
// and Init makes such a workspace again.
const initMarker = "init.unfinished"

// Finish ends an init: the workspace's parts are made (the store and the
// ledger, by their packages), and Open may open it.
func (w *Workspace) Finish() error {
	if err := os.Remove(filepath.Join(w.Dir, initMarker)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("init %s: %w", w.Dir, err)
	}
	if err := atomicfile.SyncDir(w.Dir); err != nil {
		return fmt.Errorf("init %s: %w", w.Dir, err)
	}
	return nil
}

// Open opens an existing workspace and takes its lock, waiting for another
// huella process that holds it (so two releases at once both land, in order).
func Open(dir string) (*Workspace, error) {
	b, err := os.ReadFile(filepath.Join(dir, "huella.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w (run \"huella init --dir %s\")", dir, ErrNotInitialised, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open workspace: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, initMarker)); err == nil {
		return nil, fmt.Errorf("open %s: %w: its init was interrupted (run \"huella init --dir %s\" again)", dir, ErrNotInitialised, dir)
	}
	w := &Workspace{Dir: dir}
	if err := json.Unmarshal(b, &w.Config); err != nil {
		return nil, fmt.Errorf("open workspace: %s: %w", filepath.Join(dir, "huella.json"), err)
	}
	if w.Config.Format != ConfigFormat {
		return nil, fmt.Errorf("open workspace: %s: format %q, expected %q", filepath.Join(dir, "huella.json"), w.Config.Format, ConfigFormat)
	}
	if w.Config.Schema == nil {
		w.Config.Schema = register.INE()
	} else {
		sb, _ := json.Marshal(w.Config.Schema)
		s, err := register.ParseSchema(sb)
		if err != nil {
			return nil, fmt.Errorf("open workspace: %w", err)
		}
		w.Config.Schema = s
	}
	if err := w.takeLock(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Workspace) takeLock() error {
	f, err := os.OpenFile(filepath.Join(w.Dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("lock workspace: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return fmt.Errorf("lock workspace: %w", err)
	}
	w.lock = f
	return nil
}

// Close releases the workspace lock.
func (w *Workspace) Close() error {
	if w.lock == nil {
		return nil
	}
	err := w.lock.Close()
	w.lock = nil
	return err
}

// FingerprintKey reads the 256-bit fingerprint key.
func (w *Workspace) FingerprintKey() ([]byte, error) {
	b, err := os.ReadFile(w.FingerprintKeyPath())
	if err != nil {
		return nil, fmt.Errorf("read fingerprint key: %w", err)
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) != 32 {
		return nil, fmt.Errorf("read fingerprint key %s: not 64 hex digits", w.FingerprintKeyPath())
	}
	return k, nil
}

// Profile is the field list of a named profile.
func (w *Workspace) Profile(name string) ([]string, bool) {
	f, ok := w.Config.Profiles[name]
	return f, ok
}

// SaveConfig writes huella.json atomically.
func (w *Workspace) SaveConfig() error {
	b, err := json.MarshalIndent(&w.Config, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(w.Dir, "huella.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}
