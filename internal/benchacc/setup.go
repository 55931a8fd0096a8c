package benchacc

import (
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"

	"github.com/huella/huella/internal/analysis"
	"github.com/huella/huella/internal/attack"
	"github.com/huella/huella/internal/fingerprint"
	"github.com/huella/huella/internal/ledger"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/release"
	"github.com/huella/huella/internal/store"
	"github.com/huella/huella/internal/synth"
	"github.com/huella/huella/internal/workspace"
)

// Cuts are the instants the recipients' copies are cut at: the recipients
// are dealt round-robin over them.
var Cuts = []register.Date{
	register.MustDate("2018-02-15"), register.MustDate("2019-02-15"),
	register.MustDate("2020-02-15"), register.MustDate("2021-02-15"),
}

// world is what every trial reads: the workspace, its releases as tables,
// and another register of other people.
type world struct {
	schema *register.Schema
	st     *store.Store
	ws     *workspace.Workspace
	known  analysis.Known
	rels   []analysis.Release
	attr   analysis.Attributor
	copies []*attack.Table // per release, as released
	other  []*attack.Table // another register, per cut
	cutOf  []int           // release → cut index
	byCut  [][]int         // cut → releases
	dir    string
	seed   uint64

	linkOnce sync.Once
	linker   analysis.Linker
	linkErr  error
	linkMu   sync.Mutex
}

// build makes the synthetic register, loads it, releases one copy per
// recipient and reads the copies back.
func build(ctx context.Context, cfg Config, dir string, progress func(string)) (*world, error) {
	w := &world{schema: register.INE(), dir: dir, seed: cfg.Seed}
	scfg := synth.Config{People: cfg.People, Seed: cfg.Seed, Start: register.MustDate("2017-01-01"), End: register.MustDate("2021-12-31")}
	synthDir := filepath.Join(dir, "synth")
	progress(fmt.Sprintf("synthetic register: %d people, seed %d", cfg.People, cfg.Seed))
	if err := synth.WriteFiles(ctx, scfg, synthDir, nil); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	ws, err := workspace.Init(filepath.Join(dir, "ws"), w.schema)
	if err != nil {
		return nil, err
	}
	w.ws = ws
	// A key from the seed, so that the run is reproducible.
	key := make([]byte, 32)
	kr := rand.New(rand.NewPCG(cfg.Seed, 0x6b6579))
	for i := 0; i < 32; i += 8 {
		binary.LittleEndian.PutUint64(key[i:], kr.Uint64())
	}
	if err := os.WriteFile(ws.FingerprintKeyPath(), []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := store.Create(ws.StorePath(), w.schema); err != nil {
		return nil, err
	}
	if err := ledger.Create(ws.LedgerPath(), ws.LedgerKeyPath(), "huella-bench"); err != nil {
		return nil, err
	}
	if err := ws.Finish(); err != nil {
		return nil, err
	}
	st, err := store.Open(ws.StorePath(), w.schema)
	if err != nil {
		return nil, err
	}
	w.st = st
	progress("loading the history into the store")
	if _, err := st.Load(ctx, []store.LoadInput{{Path: filepath.Join(synthDir, synth.HistoryFile)}}, nil); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if w.known, err = analysis.KnownOf(st); err != nil {
		return nil, err
	}
	lg, err := ledger.Open(ws.LedgerPath(), ws.LedgerKeyPath())
	if err != nil {
		return nil, err
	}
	defer lg.Close()
	relDir := filepath.Join(dir, "releases")
	if err := os.MkdirAll(relDir, 0o755); err != nil {
		return nil, err
	}
	w.byCut = make([][]int, len(Cuts))
	for i := range cfg.Recipients {
		c := i % len(Cuts)
		out := filepath.Join(relDir, fmt.Sprintf("r%02d.csv", i))
		progress(fmt.Sprintf("release %d/%d (cut %s)", i+1, cfg.Recipients, Cuts[c]))
		id := fmt.Sprintf("rel-%016x", kr.Uint64())
		_, err := release.Write(ctx, key, w.schema, st, lg, release.Options{
			Recipient: fmt.Sprintf("PARTIDO %02d", i+1), AsOf: Cuts[c], Out: out, Format: "csv",
			Params: fingerprint.DefaultParams(), ID: id,
		})
		if err != nil {
			return nil, err
		}
		t, err := readCSV(out)
		if err != nil {
			return nil, err
		}
		w.copies = append(w.copies, t)
		w.cutOf = append(w.cutOf, c)
		w.byCut[c] = append(w.byCut[c], i)
	}
	entries, err := lg.Entries()
	if err != nil {
		return nil, err
	}
	if w.rels, err = analysis.ReleasesOf(entries); err != nil {
		return nil, err
	}
	w.attr = analysis.NewAttributor(key, w.schema, func(curp, clave string) bool {
		if vs, err := st.ByCURP(curp); err == nil && len(vs) > 0 {
			return true
		}
		vs, err := st.ByClave(clave)
		return err == nil && len(vs) > 0
	})

	// Another register: other people (another seed), as of each cut.
	progress("another register (seed+1) for not-ours and appended rows")
	ocfg := scfg
	ocfg.Seed = cfg.Seed + 1
	ocfg.People = max(2000, cfg.People/2)
	w.other = make([]*attack.Table, len(Cuts))
	for c := range Cuts {
		w.other[c] = &attack.Table{Header: w.schema.Names()}
	}
	err = synth.Generate(ctx, ocfg, func(v *register.Version) error {
		for c, t := range Cuts {
			if v.ValidFrom <= t && (v.ValidTo == register.NoDate || t < v.ValidTo) {
				w.other[c].Rows = append(w.other[c].Rows, v.Record)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

func (w *world) close() {
	if w.st != nil {
		w.st.Close()
	}
	if w.ws != nil {
		w.ws.Close()
	}
}

func readCSV(path string) (*attack.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	t := &attack.Table{}
	if t.Header, err = r.Read(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for {
		row, err := r.Read()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		t.Rows = append(t.Rows, row)
	}
}

// analyze runs the real analysis (ingest, infer, link, date, attribute) on
// the leaked file at path.
func (w *world) analyze(ctx context.Context, path string) (*analysis.Result, error) {
	leak, closeLeak, err := analysis.OpenLeak(path, w.schema)
	if err != nil {
		return nil, err
	}
	defer closeLeak()
	cfg := analysis.Config{
		Schema:     w.schema,
		Register:   w.st,
		Known:      w.known,
		NewLinker:  w.newLinker,
		Releases:   w.rels,
		Attributor: w.attr,
		Scan:       w.st.VersionsOf,
	}
	return analysis.Run(ctx, cfg, leak)
}

// newLinker builds the store's linkage index once per run; trials share it
// (one at a time).
func (w *world) newLinker(ctx context.Context) (analysis.Linker, error) {
	w.linkOnce.Do(func() { w.linker, w.linkErr = analysis.NewStoreLinker(ctx, w.st, w.schema) })
	if w.linkErr != nil {
		return nil, w.linkErr
	}
	return lockedLinker{w}, nil
}

type lockedLinker struct{ w *world }

func (l lockedLinker) LinkAll(recs []register.Record) []analysis.Link {
	l.w.linkMu.Lock()
	defer l.w.linkMu.Unlock()
	return l.w.linker.LinkAll(recs)
}
