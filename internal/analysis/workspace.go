package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/huella/huella/internal/ingest"
	"github.com/huella/huella/internal/ledger"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/report"
	"github.com/huella/huella/internal/store"
	"github.com/huella/huella/internal/workspace"
)

// Options tune AnalyzeFile.
type Options struct {
	// Progress reports a stage ("read", "link", "attribute", "report") and
	// done/total units (total 0 when unknown).
	Progress    func(stage string, done, total int64)
	ToolVersion string // for the evidence manifest
	CommandLine string // for the evidence manifest
	// MaxObservations, MaxRows: see Config.
	MaxObservations int
	MaxRows         int
	// NoLedger skips appending the analysis to the ledger (for dry runs).
	NoLedger bool
	// Name is the file's name as the user knows it (an upload's name);
	// default the base name of the path.
	Name string
	// Warn, when set, is told of a problem that does not change the
	// outcome (see Config.Warn).
	Warn func(msg string)
	// Rows, when set, is written one line per leaked row (see Config.Rows).
	Rows io.Writer
}

// Outcome is an analysis filed as a case.
type Outcome struct {
	Report      *report.Report
	JSON, HTML  []byte
	AffectedCSV []byte
	Affected    []string
	CaseDir     string // DIR/cases/<analysis_id>
	LedgerIndex int64  // index of the analysis entry, -1 when not logged
	Appended    bool   // false when the ledger already held this analysis
}

// AnalyzeFile analyses the leaked file at path against the workspace's store
// and ledger, appends the analysis to the ledger (once: an analysis already
// logged under its id is not logged again), and writes the case folder
// DIR/cases/<analysis_id>/ (report.json, report.html, affected.csv). The
// caller holds the workspace (and its lock).
func AnalyzeFile(ctx context.Context, ws *workspace.Workspace, path string, opt Options) (*Outcome, error) {
	progress := func(stage string, done, total int64) {
		if opt.Progress != nil {
			opt.Progress(stage, done, total)
		}
	}
	schema := ws.Schema()
	progress("open", 0, 0)
	// One analysis reads each block of the store about once (a scan, or
	// look-ups of people spread over it): a small block cache; and it only
	// reads: opened read-only, the store makes and syncs no log.
	st, err := store.OpenWith(ws.StorePath(), schema, store.Options{CacheBytes: store.StreamCacheBytes, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	known, err := KnownOf(st)
	if err != nil {
		return nil, err
	}
	// The store's comparison digest, when it is this store's: a full dump
	// is compared with it instead of every version of the store.
	var digest *Digest
	if d, err := OpenDigest(DigestPath(ws.StorePath()), schema, known); err == nil {
		digest = d
		defer d.Close()
	}
	progress("ledger", 0, 0)
	var lg *ledger.Ledger
	if opt.NoLedger {
		lg, err = ledger.Open(ws.LedgerPath(), "")
	} else {
		lg, err = ledger.Open(ws.LedgerPath(), ws.LedgerKeyPath())
	}
	if err != nil {
		return nil, err
	}
	defer lg.Close()
	entries, err := lg.Entries()
	if err != nil {
		return nil, err
	}
	rels, err := ReleasesOf(entries)
	if err != nil {
		return nil, err
	}
	key, err := ws.FingerprintKey()
	if err != nil {
		return nil, err
	}

	leak, closeLeak, err := OpenLeak(path, schema)
	if err != nil {
		return nil, err
	}
	defer closeLeak()
	if opt.Name != "" {
		leak.Name = opt.Name
	}

	var (
		probeMu sync.Mutex
		probe   *store.KeyProbe
	)
	defer func() {
		if probe != nil {
			probe.Close()
		}
	}()
	cfg := Config{
		Schema:   schema,
		Register: st,
		Known:    known,
		NewLinker: func(ctx context.Context) (Linker, error) {
			progress("index", 0, known.Versions)
			return newStoreLinker(ctx, st, schema)
		},
		Releases: rels,
		Attributor: newAttributor(key, schema, func(curp, clave string) bool {
			// whether a canary's keys were taken: a question per canary
			// of every release, on one iterator
			probeMu.Lock()
			defer probeMu.Unlock()
			if probe == nil {
				p, err := st.NewKeyProbe()
				if err != nil {
					return false
				}
				probe = p
			}
			held, err := probe.Held(curp, clave)
			return err == nil && held
		}),
		MaxObservations: opt.MaxObservations,
		MaxRows:         opt.MaxRows,
		Progress:        func(stage string, rows int) { progress(stage, int64(rows), 0) },
		Scan:            st.VersionsOf,
		Digest:          digest,
		Warn:            opt.Warn,
		Rows:            opt.Rows,
	}
	res, err := Run(ctx, cfg, leak)
	if errors.Is(err, ErrEmpty) {
		return nil, fmt.Errorf("%s: %w (a header alone, or every line skipped)", path, err)
	}
	if err != nil {
		return nil, err
	}
	progress("report", 0, 0)
	out := &Outcome{Report: res.Report, Affected: res.Affected, LedgerIndex: -1}
	if out.JSON, err = res.Report.JSON(); err != nil {
		return nil, err
	}
	out.AffectedCSV = res.AffectedCSV
	reportSHA := report.SHA256(out.JSON)

	// Log the analysis, once.
	id := res.Report.AnalysisID
	if _, idx, err := lg.Find(id); err == nil {
		out.LedgerIndex = idx
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return nil, err
	} else if !opt.NoLedger {
		idx, err := lg.Append(AnalysisEntry(res.Report, reportSHA))
		if err != nil {
			return nil, fmt.Errorf("log the analysis: %w", err)
		}
		out.LedgerIndex, out.Appended = idx, true
	}
	man := report.Manifest{
		InputSHA256: res.Report.Input.SHA256,
		Outputs: []report.Output{
			{Name: "report.json", SHA256: reportSHA},
			{Name: "affected.csv", SHA256: res.AffectedSHA256},
		},
		LedgerIndex: out.LedgerIndex,
		ToolVersion: opt.ToolVersion,
		CommandLine: opt.CommandLine,
	}
	if cp, err := lg.Checkpoint(); err == nil {
		man.Checkpoint = cp
	}
	if out.LedgerIndex >= 0 {
		if p, err := lg.Prove(id); err == nil {
			b, _ := json.MarshalIndent(p, "", "  ")
			man.InclusionProof = string(b)
		}
	}
	if out.HTML, err = res.Report.HTML(man); err != nil {
		return nil, err
	}
	out.CaseDir = report.CaseDir(ws.Dir, id)
	for _, f := range []struct {
		name string
		b    []byte
		perm os.FileMode
	}{{"report.json", out.JSON, 0o644}, {"report.html", out.HTML, 0o644}, {"affected.csv", out.AffectedCSV, 0o600}} {
		if err := report.WriteFile(filepath.Join(out.CaseDir, f.name), f.b, f.perm); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AnalysisEntry is the ledger entry of an analysis: its id, the input's
// hash and size, and in details the answers and the report's hash.
func AnalysisEntry(r *report.Report, reportSHA256 string) ledger.Entry {
	type details struct {
		Verdict           string   `json:"verdict"`
		CutoffEarliest    string   `json:"cutoff_earliest,omitempty"`
		CutoffLatest      string   `json:"cutoff_latest,omitempty"`
		AttributionStatus string   `json:"attribution_status"`
		Accused           []string `json:"accused,omitempty"` // release ids
		Affected          int      `json:"affected"`
		ReportSHA256      string   `json:"report_sha256"`
	}
	d := details{Verdict: r.Verdict, AttributionStatus: r.AttributionStatus, Affected: r.Affected.People, ReportSHA256: reportSHA256}
	if r.Cutoff != nil {
		d.CutoffEarliest, d.CutoffLatest = r.Cutoff.Earliest, r.Cutoff.Latest
	}
	for _, a := range r.Accused() {
		d.Accused = append(d.Accused, a.ReleaseID)
	}
	b, _ := json.Marshal(d)
	return ledger.Entry{
		ID:      r.AnalysisID,
		Kind:    ledger.KindAnalysis,
		Format:  r.Input.Format,
		Rows:    int64(r.Input.Rows),
		SHA256:  r.Input.SHA256,
		Details: b,
	}
}

// KnownOf reads what the store knows from its statistics.
func KnownOf(st *store.Store) (Known, error) {
	s, err := st.Stats()
	if err != nil {
		return Known{}, err
	}
	k := Known{People: s.People, Versions: s.Versions, First: s.First, Last: s.Last}
	if k.MaxPerson, err = st.MaxPersonID(); err != nil {
		return Known{}, err
	}
	snapshotsOnly := len(s.Loads) > 0
	for _, l := range s.Loads {
		k.Loads = append(k.Loads, l.SHA256)
		if l.Kind != store.KindSnapshot {
			snapshotsOnly = false
		}
	}
	if snapshotsOnly {
		for _, l := range s.Loads {
			k.Snapshots = append(k.Snapshots, l.AsOf)
		}
		slices.Sort(k.Snapshots)
		k.Snapshots = slices.Compact(k.Snapshots)
	}
	if k.First == register.NoDate {
		return k, errors.New("the store is empty: load the register first (huella load)")
	}
	return k, nil
}

// ReleasesOf lists the release entries of a ledger, in ledger order.
func ReleasesOf(entries []ledger.Entry) ([]Release, error) {
	var out []Release
	for _, e := range entries {
		if e.Kind != ledger.KindRelease {
			continue
		}
		r := Release{ID: e.ID, Recipient: e.Recipient, Fields: e.Fields, Rows: e.Rows, Fingerprint: e.Fingerprint}
		if e.AsOf != "" {
			d, err := register.ParseDate(e.AsOf)
			if err != nil {
				return nil, fmt.Errorf("ledger entry %s: as-of: %w", e.ID, err)
			}
			r.AsOf = d
		}
		out = append(out, r)
	}
	return out, nil
}

// OpenLeak opens a leaked file: ingest reads it, infer maps its columns.
func OpenLeak(path string, schema *register.Schema) (*Leak, func(), error) {
	r, err := ingest.Open(path, ingest.Options{})
	if err != nil {
		return nil, nil, err
	}
	mp := newMapping(schema, r.Header(), r.Sample())
	var mapHash func([]string, register.Record) register.Record
	if im, ok := mp.(*inferMapping); ok {
		mapHash = im.rawMap(schema)
	}
	used := false
	leak := &Leak{
		Name:    filepath.Base(path),
		Columns: mp.Columns(),
		Each: func(ctx context.Context, fn func(register.Record) error) error {
			rd := r
			if used {
				// A second pass reads the file afresh.
				again, err := ingest.Open(path, ingest.Options{})
				if err != nil {
					return err
				}
				defer again.Close()
				rd = again
			}
			used = true
			rec := make(register.Record, len(schema.Fields))
			for {
				row, err := rd.Next()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				rec = mp.Record(row, rec)
				if err := fn(rec); err != nil {
					return err
				}
			}
		},
		Batches: func(ctx context.Context, fn func(RowBatch) error) error {
			if used {
				return errors.New("the rows were read already")
			}
			used = true
			for {
				b, err := r.NextBatch()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				if err := fn(b); err != nil {
					return err
				}
			}
		},
		Map:     mp.Record,
		MapHash: mapHash,
		Some: func(ctx context.Context, want func(int) bool, fn func(int, register.Record) error) error {
			// The file was hashed on the first pass; rows not wanted are
			// skipped without being made (ingest.Reader.Skip).
			again, err := ingest.Open(path, ingest.Options{NoHash: true})
			if err != nil {
				return err
			}
			defer again.Close()
			rec := make(register.Record, len(schema.Fields))
			for i := 0; ; {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				k := 0
				for k < 65536 && !want(i+k) {
					k++
				}
				if k > 0 {
					done, err := again.Skip(int64(k))
					if err == io.EOF {
						return nil
					}
					if err != nil {
						return err
					}
					i += int(done)
					continue
				}
				row, err := again.Next()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				rec = mp.Record(row, rec)
				if err := fn(i, rec); err != nil {
					return err
				}
				i++
			}
		},
		Input: func() report.Input {
			info := r.Info()
			in := report.Input{
				Name: filepath.Base(path), SHA256: info.SHA256, Rows: int(info.Rows),
				Format: info.Format, Encoding: info.Encoding, Compression: info.Compression,
				Skipped: int(info.SkippedCount), Truncated: info.Truncated, Repaired: int(info.Repaired),
			}
			for _, sk := range info.Skipped[:min(len(info.Skipped), report.MaxSkippedParts)] {
				in.SkippedParts = append(in.SkippedParts, report.SkippedPart{Line: sk.Line, Reason: sk.Reason})
			}
			return in
		},
	}
	return leak, func() { r.Close() }, nil
}
