package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/huella/huella/internal/atomicfile"
	"github.com/huella/huella/internal/ledger"
	"github.com/huella/huella/internal/server"
	"github.com/huella/huella/internal/workspace"
)

// Where the files of releases are, for the web app.
//
// The ledger records every release with the SHA-256 of its file but not
// where the file went (a path means nothing to another machine, and the
// ledger is meant to be shown to others). The workspace keeps that in
// DIR/releases/ID.location, a text file with the file's absolute path:
//
//	huella release location 1
//	/home/custodio/entregas/partido-a.csv
//
// "huella release --out FILE" writes FILE where asked and records it there;
// a release issued from the web app goes to DIR/releases/ID.FORMAT and is
// recorded the same way.
//
// The Releases page lists every release of the ledger. A custodian may
// download one only while its file is there and its SHA-256 is still the
// ledger's: the server hashes the file when listing (cached while its size
// and modification time stay the same; files over 64 MiB in the background,
// shown as being checked until done) and again while sending it,
// withholding the last bytes until the sum matches, so a file changed in
// between yields a broken download, never a complete wrong one. A file that
// is gone is shown as missing, one that differs as changed, and a release
// whose location was never recorded (issued before this existed, or whose
// record failed) as not kept. Copies are not duplicated into the workspace:
// deleting a copy (say, when a recipient's licence ends) leaves none behind.

const releaseLocationHeader = "huella release location 1"

func releaseLocationPath(wsDir, id string) string {
	return filepath.Join(serveReleasesDir(wsDir), id+".location")
}

func serveReleasesDir(dir string) string { return filepath.Join(dir, "releases") }

// recordReleaseLocation writes DIR/releases/ID.location for a release
// written to out.
func recordReleaseLocation(wsDir, id, out string) error {
	if strings.ContainsAny(id, `/\`) || id == "" || strings.HasPrefix(id, ".") {
		return fmt.Errorf("release id %q", id)
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if strings.ContainsAny(abs, "\n\r") {
		return fmt.Errorf("path %q holds a line break", abs)
	}
	if err := os.MkdirAll(serveReleasesDir(wsDir), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(releaseLocationPath(wsDir, id), []byte(releaseLocationHeader+"\n"+abs+"\n"), 0o600)
}

// keepReleaseLocation records where "huella release" wrote a release; a
// failure only costs the web app's download, so it is a hint, not an error.
func keepReleaseLocation(env *Env, wsDir, id, out string) {
	if err := recordReleaseLocation(wsDir, id, out); err != nil {
		env.Hint("the web app will not offer release %s for download: record its location: %v", id, err)
	}
}

// readReleaseLocation returns the path recorded for a release ("" if none).
func readReleaseLocation(wsDir, id string) (string, error) {
	b, err := os.ReadFile(releaseLocationPath(wsDir, id))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	head, rest, _ := strings.Cut(string(b), "\n")
	path, _, _ := strings.Cut(rest, "\n")
	if head != releaseLocationHeader || !filepath.IsAbs(path) {
		return "", fmt.Errorf("%s: line 1: expected %q and an absolute path on line 2", releaseLocationPath(wsDir, id), releaseLocationHeader)
	}
	return path, nil
}

// fileSums caches the SHA-256 of release files by path, valid while the
// file's size and modification time stay the same. Files up to inline
// bytes are hashed while the page waits; bigger ones (a copy of the whole
// padrón is some 15 GB) in the background, one at a time, and are shown as
// being checked meanwhile.
type fileSums struct {
	inline int64
	mu     sync.Mutex
	m      map[string]fileSum
	busy   map[string]bool // being hashed in the background
	one    chan struct{}   // one background hash at a time
}

type fileSum struct {
	size int64
	mod  time.Time
	sum  string
}

func newFileSums(inline int64) *fileSums {
	return &fileSums{inline: inline, m: map[string]fileSum{}, busy: map[string]bool{}, one: make(chan struct{}, 1)}
}

// hash computes the file's SHA-256 and caches it if the file did not change
// meanwhile.
func (c *fileSums) hash(path string, key fileSum) (fileSum, error) {
	f, err := os.Open(path)
	if err != nil {
		return key, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return key, fmt.Errorf("hash %s: %w", path, err)
	}
	key.sum = hex.EncodeToString(h.Sum(nil))
	if fi, err := f.Stat(); err == nil && fi.Size() == key.size && fi.ModTime().Equal(key.mod) {
		c.mu.Lock()
		c.m[path] = key
		c.mu.Unlock()
	}
	return key, nil
}

// check returns the release state of the file at path against the ledger's
// sum want, and its size.
func (c *fileSums) check(path, want string) (string, int64, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return server.ReleaseMissing, 0, nil
	}
	if err != nil {
		return "", 0, err
	}
	if !fi.Mode().IsRegular() {
		return server.ReleaseChanged, 0, nil
	}
	key := fileSum{size: fi.Size(), mod: fi.ModTime()}
	c.mu.Lock()
	got, ok := c.m[path]
	ok = ok && got.size == key.size && got.mod.Equal(key.mod)
	c.mu.Unlock()
	if !ok && key.size > c.inline {
		c.mu.Lock()
		if !c.busy[path] {
			c.busy[path] = true
			go func() {
				c.one <- struct{}{}
				c.hash(path, key)
				<-c.one
				c.mu.Lock()
				delete(c.busy, path)
				c.mu.Unlock()
			}()
		}
		c.mu.Unlock()
		return server.ReleaseChecking, fi.Size(), nil
	}
	if !ok {
		if got, err = c.hash(path, key); err != nil {
			return "", 0, err
		}
	}
	if want == "" || got.sum != want {
		return server.ReleaseChanged, fi.Size(), nil
	}
	return server.ReleaseAvailable, fi.Size(), nil
}

// wsReleases lists the releases the ledger records and finds their files
// (see above).
type wsReleases struct {
	ws   *workspace.Workspace
	sums *fileSums
}

// path returns where the file of release e should be: its recorded
// location, else (issued by an older server) the web app's own copy if it
// is there.
func (r wsReleases) path(e ledger.Entry) (string, error) {
	p, err := readReleaseLocation(r.ws.Dir, e.ID)
	if p != "" || err != nil {
		return p, err
	}
	own := filepath.Join(serveReleasesDir(r.ws.Dir), e.ID+"."+e.Format)
	if _, err := os.Lstat(own); err == nil {
		return own, nil
	}
	return "", nil
}

func (r wsReleases) entries() ([]ledger.Entry, error) {
	lg, err := ledger.Open(r.ws.LedgerPath(), "")
	if err != nil {
		return nil, err
	}
	defer lg.Close()
	return lg.Entries()
}

func (r wsReleases) release(e ledger.Entry) (server.Release, string, error) {
	rel := server.Release{ID: e.ID, Recipient: e.Recipient, AsOf: e.AsOf, Created: e.Time, Rows: e.Rows, Format: e.Format, Profile: strings.Join(e.Fields, ","), State: server.ReleaseNotKept}
	p, err := r.path(e)
	if err != nil || p == "" {
		return rel, "", err
	}
	rel.State, rel.Size, err = r.sums.check(p, e.SHA256)
	if err != nil {
		return rel, "", err
	}
	rel.File = filepath.Base(p)
	return rel, p, nil
}

func (r wsReleases) List(ctx context.Context) ([]server.Release, error) {
	es, err := r.entries()
	if err != nil {
		return nil, err
	}
	var out []server.Release
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Kind != ledger.KindRelease {
			continue
		}
		rel, _, err := r.release(es[i])
		if err != nil {
			return nil, fmt.Errorf("release %s: %w", es[i].ID, err)
		}
		out = append(out, rel)
	}
	return out, nil
}

func (r wsReleases) Open(ctx context.Context, id string) (io.ReadCloser, server.Release, error) {
	es, err := r.entries()
	if err != nil {
		return nil, server.Release{}, err
	}
	for _, e := range es {
		if e.Kind != ledger.KindRelease || e.ID != id {
			continue
		}
		rel, p, err := r.release(e)
		if err != nil {
			return nil, rel, err
		}
		switch rel.State {
		case server.ReleaseAvailable, server.ReleaseChecking:
			// Checking: the download itself is verified (below).
		case server.ReleaseChanged:
			return nil, rel, fmt.Errorf("release %s: %s: %w", id, p, server.ErrChanged)
		default:
			return nil, rel, fmt.Errorf("release %s: the file is %s: %w", id, rel.State, server.ErrNotFound)
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, rel, fmt.Errorf("release %s: %w", id, err)
		}
		want, _ := hex.DecodeString(e.SHA256)
		return &verifiedFile{f: f, left: rel.Size, h: sha256.New(), want: want}, rel, nil
	}
	return nil, server.Release{}, fmt.Errorf("release %s: %w", id, server.ErrNotFound)
}

// verifiedFile reads exactly left bytes of f and returns the last of them
// only if the SHA-256 of all of them is want.
type verifiedFile struct {
	f    *os.File
	left int64
	h    hash.Hash
	want []byte
}

func (v *verifiedFile) Read(p []byte) (int, error) {
	if v.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > v.left {
		p = p[:v.left]
	}
	n, err := v.f.Read(p)
	v.h.Write(p[:n])
	v.left -= int64(n)
	if v.left == 0 {
		if !bytes.Equal(v.h.Sum(nil), v.want) {
			return 0, server.ErrChanged
		}
		return n, io.EOF
	}
	if err == io.EOF {
		return 0, fmt.Errorf("file shorter than when listed: %w", server.ErrChanged)
	}
	return n, err
}

func (v *verifiedFile) Close() error { return v.f.Close() }
