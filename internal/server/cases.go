package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/huella/huella/internal/atomicfile"

	"github.com/huella/huella/internal/exposure"
	"github.com/huella/huella/internal/report"
)

// CaseMeta is what investigators add to a case: a status and notes. It lives
// in DIR/cases/ID/investigation.json, owned by the server.
type CaseMeta struct {
	Status string `json:"status"` // open, confirmed, closed
	Notes  []Note `json:"notes"`
}

// Note is one investigator's note.
type Note struct {
	Author string `json:"author"`
	Time   string `json:"time"`
	Text   string `json:"text"`
}

// CaseStatuses are the statuses a case can have.
var CaseStatuses = []string{"open", "confirmed", "closed"}

// Case is one analysed leak.
type Case struct {
	ID       string
	Created  time.Time
	Report   *report.Report
	Meta     CaseMeta
	HasHTML  bool // report.html exists
	Affected bool // affected.csv exists (can be published for exposure checks)
}

// Cases is the store of analysed leaks.
type Cases interface {
	List(ctx context.Context) ([]*Case, error)
	Get(ctx context.Context, id string) (*Case, error)
	// ReportHTML opens the analysis's own HTML report.
	ReportHTML(ctx context.Context, id string) (io.ReadCloser, error)
	// AffectedCURPs reads the CURPs of the affected people.
	AffectedCURPs(ctx context.Context, id string) ([]string, error)
	SaveMeta(ctx context.Context, id string, m CaseMeta) error
}

// ErrNotFound is returned for an unknown case, release or entry.
var ErrNotFound = errors.New("not found")

// DirCases reads cases from DIR/cases/<id>/.
type DirCases struct{ Dir string }

// CasesDir is where a workspace keeps its analyses.
func CasesDir(ws string) string { return filepath.Join(ws, "cases") }

func (d DirCases) caseDir(id string) (string, error) {
	if err := exposure.ValidCaseID(id); err != nil {
		return "", fmt.Errorf("case %q: %w", id, ErrNotFound)
	}
	return filepath.Join(d.Dir, id), nil
}

// List returns the cases, newest first.
func (d DirCases) List(ctx context.Context) ([]*Case, error) {
	ents, err := os.ReadDir(d.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	var out []*Case
	for _, e := range ents {
		if !e.IsDir() || exposure.ValidCaseID(e.Name()) != nil {
			continue
		}
		c, err := d.Get(ctx, e.Name())
		if errors.Is(err, ErrNotFound) {
			continue // an analysis still being written
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// ParseReport reads report.json (format report.Format).
func ParseReport(b []byte) (*report.Report, error) {
	r := &report.Report{}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, err
	}
	if r.Format != report.Format {
		return nil, fmt.Errorf("format %q, expected %q", r.Format, report.Format)
	}
	return r, nil
}

// Get reads one case.
func (d DirCases) Get(ctx context.Context, id string) (*Case, error) {
	dir, err := d.caseDir(id)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, "report.json")
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("case %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", id, err)
	}
	fi, _ := os.Stat(p)
	r, err := ParseReport(b)
	if err != nil {
		return nil, fmt.Errorf("case %s: %s: %w", id, p, err)
	}
	c := &Case{ID: id, Report: r, Created: fi.ModTime(), Meta: CaseMeta{Status: "open"}}
	if mb, err := os.ReadFile(filepath.Join(dir, "investigation.json")); err == nil {
		if err := json.Unmarshal(mb, &c.Meta); err != nil {
			return nil, fmt.Errorf("case %s: investigation.json: %w", id, err)
		}
	}
	_, err = os.Stat(filepath.Join(dir, "report.html"))
	c.HasHTML = err == nil
	_, err = os.Stat(filepath.Join(dir, "affected.csv"))
	c.Affected = err == nil
	return c, nil
}

func (d DirCases) ReportHTML(ctx context.Context, id string) (io.ReadCloser, error) {
	dir, err := d.caseDir(id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(dir, "report.html"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("case %s report: %w", id, ErrNotFound)
	}
	return f, err
}

// AffectedCURPs reads affected.csv: one CURP per line, or CSV whose first
// column is the CURP; a header line without a valid CURP is skipped.
func (d DirCases) AffectedCURPs(ctx context.Context, id string) ([]string, error) {
	dir, err := d.caseDir(id)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "affected.csv"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("case %s affected people: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for i, line := range strings.Split(string(b), "\n") {
		f, _, _ := strings.Cut(strings.TrimSpace(line), ",")
		f = strings.Trim(f, `"`)
		if f == "" {
			continue
		}
		if _, err := exposure.Normalize(f); err != nil && i == 0 {
			continue // header
		}
		out = append(out, f)
	}
	return out, nil
}

func (d DirCases) SaveMeta(ctx context.Context, id string, m CaseMeta) error {
	dir, err := d.caseDir(id)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "report.json")); err != nil {
		return fmt.Errorf("case %s: %w", id, ErrNotFound)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, "investigation.json"), append(b, '\n'), 0o644)
}

// Analyzer analyses an uploaded leak file and files it as a case under
// DIR/cases/<id>/, returning the id. progress reports a stage name and
// done/total units (total 0 when unknown). name is the uploaded file's name.
type Analyzer func(ctx context.Context, leakPath, name string, progress func(stage string, done, total int64)) (caseID string, err error)

// Release is one issued copy, as the ledger records it, and whether this
// workspace can still hand out its file.
type Release struct {
	ID        string `json:"id"`
	Recipient string `json:"recipient"`
	Profile   string `json:"profile,omitempty"`
	AsOf      string `json:"as_of,omitempty"`
	Created   string `json:"created,omitempty"`
	Rows      int64  `json:"rows"`
	Format    string `json:"format,omitempty"`
	File      string `json:"file,omitempty"` // base name of the copy
	// State is one of the ReleaseXxx states; only ReleaseAvailable and
	// ReleaseChecking are offered for download.
	State string `json:"state"`
	// Size is the file's length in bytes when it is available (0: unknown).
	Size int64 `json:"size,omitempty"`
}

// Release states.
const (
	ReleaseAvailable = "available" // the file is there and its SHA-256 is the ledger's
	ReleaseMissing   = "missing"   // the file was recorded but is gone
	ReleaseChanged   = "changed"   // the file is there but no longer matches the ledger
	ReleaseNotKept   = "not-kept"  // the workspace does not know where the file went
	// ReleaseChecking: the file is there and being hashed; it may be
	// downloaded (the download is verified as it is sent).
	ReleaseChecking = "checking"
)

// ErrChanged is returned by Releases.Open (or by the reader it returns) when
// a release's file no longer matches the SHA-256 in the ledger.
var ErrChanged = errors.New("file does not match the ledger's SHA-256")

// IssueRequest asks for a new release.
type IssueRequest struct {
	Recipient string
	Profile   string
	AsOf      string // YYYY-MM-DD, "" for now
	Format    string // csv, ...
}

// Releases lists, issues and opens releases.
type Releases interface {
	// List returns every release the ledger records, newest first, each
	// with its State.
	List(ctx context.Context) ([]Release, error)
	Issue(ctx context.Context, req IssueRequest) (Release, error)
	// Open opens an available release's file (errors wrapping ErrNotFound
	// or ErrChanged otherwise). The reader must fail rather than return a
	// file's last bytes if they turn out not to match the ledger; with
	// Release.Size set, the server sends that Content-Length, so a failed
	// download is a truncated one, never a complete wrong file.
	Open(ctx context.Context, id string) (io.ReadCloser, Release, error)
}

// LedgerEntry is one entry of the release ledger.
type LedgerEntry struct {
	Index   int64  `json:"index"`
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Time    string `json:"time"`
	Summary string `json:"summary"`
	Hash    string `json:"hash"`
}

// Ledger reads the ledger.
type Ledger interface {
	Entries(ctx context.Context) ([]LedgerEntry, error)
	// Verify checks the whole log and returns the signed checkpoint text.
	Verify(ctx context.Context) (checkpoint string, err error)
	// Prove returns the inclusion proof of the entry with this id, as text.
	Prove(ctx context.Context, id string) (string, error)
}
