// Package analysis is the leak-analysis pipeline: it reads a leaked file's
// rows (already mapped to register fields), links each to a person of the
// register, and answers the four questions of a leak — is it ours, from which
// cut-off, whose copy, who is exposed — as a report.Report.
//
// # Steps
//
//  1. Link. Every row is read once into a compact form: the 32-bit FNV-1a
//     hash of the comparison form of each visible field, its CURP and its
//     clave (the first MaxObservations rows are also kept whole, for
//     attribution). A leak with fewer rows than 1/50 of the store's versions
//     is then linked by lookups (store.ByCURP, then ByClave: every version of
//     every person who ever held the key); a larger one by a single scan of
//     the store, comparing each person's versions with the rows that hold
//     one of the person's keys. When the store's comparison digest is there
//     and is this store's (digest.go: what the scan needs of every version,
//     its comparison hashes computed once by "huella load"), the scan reads
//     it instead of the store, for the same outcome. Among the persons found, the one whose best
//     version agrees on most fields wins. Rows no key linked go to the
//     probabilistic linker (package linkage), built over the whole store
//     only when at least 2% of the rows (and 5) need it and the leak has the
//     fields it blocks on. Reading and scanning are pipelines (pipe.go):
//     mapping, hashing and key look-ups run on every core, and the matcher
//     takes the batches in row (store) order, so the outcome does not depend
//     on scheduling.
//
//  2. Compare. Each visible field of the row is compared with each version
//     of its person in comparison form: ident.Normalize, Ñ→N, addresses in
//     addr.Canonical form (copies change abbreviations on purpose), codes
//     without leading zeros, dates as the ingest/infer step normalised them.
//     A row is exact when some version agrees on every compared field.
//
//  3. Verdict. Distinguishing fields are the ones whose wording is ours and
//     not shared by every register of the same people: addresses, sección,
//     municipio, localidad, postal code, credential numbers, clave de
//     elector, registration date. A matched row is ours when at least 80% of
//     its compared distinguishing fields agree with one version. With N
//     rows, M matched, O ours and D the distinguishing agreement over matched
//     rows, the verdict is not_ours when M < max(3, 1% of N), or D < 50% and
//     M < 30% of N; else same_people_other_source when D < 50% (keys match,
//     our wording does not) or no distinguishing field is visible and no
//     recipient is accused; else ours when O ≥ 90% of N; else partial when
//     O ≥ max(3, 1% of N) (the rest is from elsewhere).
//     A leak is never called ours on keys alone.
//
//  4. Dating. Each exact row adds the union of the validity intervals of its
//     agreeing versions (widened to the previous snapshot when the store holds
//     snapshots only) to a dating.Counter; cutoff is the 95% band, clipped to
//     the span the store knows. Not dated (null) unless the verdict is ours
//     or partial.
//
//  5. Attribution. Every logged release is scored by the Attributor (package
//     fingerprint) on the rows in leak order (the first MaxObservations rows
//     plus every unmatched row, where canaries hide). attribution_status is
//     not_applicable when the verdict is not_ours (no release is scored);
//     accused when any release is accused; otherwise no_release_matches when
//     no release was cut inside the dated band and none scores above half its
//     threshold (the
//     data came from the register through no logged copy: the note names the
//     releases cut nearest the estimate); otherwise inconclusive, with the
//     rows that would suffice and the carriers the leak erased. A release's
//     evidence strength is −log10 of its false-accusation bound, its
//     threshold −log10 ε; the strength of one copy's evidence grows about
//     linearly with its rows, so rows needed ≈ 1.2 · N · threshold/strength.
//
//  6. Exposure. Every matched person (of an ours/partial/same-people leak) is
//     affected, counted by entidad and sección of the version the row agrees
//     with best; their CURPs are the notification list.
//
// # Determinism
//
// Nothing in the report depends on wall-clock time, paths, map order or
// goroutine scheduling: the same leak against the same store and ledger
// gives byte-identical JSON, and analysis_id = report.ID(input SHA-256, store
// state, release ids).
package analysis

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/huella/huella/internal/dating"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/report"
)

// Leak is a leaked file as the analysis reads it.
type Leak struct {
	Name    string          // base name of the file
	Columns []report.Column // how its columns map to register fields
	// Each calls fn with every row's record in schema order, normalised,
	// "" where the leak has no value. The record may be reused by the next
	// call. Each may be called twice (a large leak is read again for the
	// rows no key linked).
	Each func(ctx context.Context, fn func(rec register.Record) error) error
	// Input describes the file once Each has returned (hash, rows, format).
	Input func() report.Input
	// Batches and Map, when both are set, are the first pass of Each in
	// two parts, so that the rows are mapped on every core: Batches calls
	// fn with every row as read, a batch at a time, each batch released
	// by the analysis once it is done with it (its rows' strings are not
	// used after that); Map fills a record in schema order from one row
	// and must be safe for concurrent use.
	Batches func(ctx context.Context, fn func(b RowBatch) error) error
	Map     func(row []string, dst register.Record) register.Record
	// MapHash, when set, is Map for rows that are only hashed: text that
	// the comparison form normalises anyway may be left as read (the
	// comparison hash of a value and of its normal form are the same).
	// Rows kept whole are mapped by Map (instead, or again).
	MapHash func(row []string, dst register.Record) register.Record
	// Some, when set, reads the file again and calls fn with the record of
	// each row (0-based, in file order) for which want is true, mapping
	// only those: the second pass of a large leak wants a few rows. want
	// is false past the last row.
	Some func(ctx context.Context, want func(row int) bool, fn func(row int, rec register.Record) error) error
}

// RowBatch is a batch of rows as read (*ingest.Batch fits).
type RowBatch interface {
	Len() int
	// Row appends the fields of row i to dst[:0]; the strings are valid
	// until Release.
	Row(i int, dst []string) []string
	Release()
}

// Register is what the analysis reads of the store (*store.Store fits).
type Register interface {
	Person(id uint64) ([]register.Version, error)
	ByCURP(curp string) ([]register.Version, error)
	ByClave(clave string) ([]register.Version, error)
}

// Known is what the store knows, from its statistics.
type Known struct {
	People, Versions int64
	First, Last      register.Date
	Snapshots        []register.Date // snapshot instants, when the store holds snapshots only
	Loads            []string        // SHA-256 of each loaded file, in load order
	MaxPerson        uint64          // the highest PersonID, to split a scan into ranges
}

// State is the store's identity for the analysis id.
func (k Known) State() string {
	return fmt.Sprintf("people=%d versions=%d first=%s last=%s loads=%s", k.People, k.Versions, k.First, k.Last, strings.Join(k.Loads, ","))
}

// Linker links rows with no usable key (package linkage), as a batch so
// that the model can be fitted on the batch.
type Linker interface {
	LinkAll(recs []register.Record) []Link
}

// Link is one row's probabilistic linkage.
type Link struct {
	PersonID   uint64 // 0: not linked
	Weight     float64
	Candidates int    // persons compared
	Reason     string // why not linked: "no_candidates", "weak", "ambiguous"
}

// Release is one logged release, as the ledger holds it.
type Release struct {
	ID          string
	Recipient   string
	AsOf        register.Date
	Fields      []string
	Rows        int64
	Fingerprint json.RawMessage
}

// Observation is one leaked row as attribution sees it.
type Observation struct {
	Row      int // 0-based position in the leak
	PersonID uint64
	Leaked   register.Record // normalised, schema order, "" where absent
	CURP     string          // the register's CURP of the person, "" when unmatched
}

// Attributor scores every release against the observations (package
// fingerprint). It returns one report.Attribution per release, in the order
// given, with Recipient, ReleaseID, AsOf, Accused, Score, Threshold,
// FalseAccusationBound and Evidence filled.
type Attributor interface {
	Attribute(releases []Release, obs []Observation) ([]report.Attribution, error)
}

// Config is what one analysis runs against.
type Config struct {
	Schema   *register.Schema
	Register Register
	Known    Known
	// NewLinker builds the probabilistic linker over the whole store; called
	// only when rows lack a usable key. Nil disables probabilistic linkage.
	NewLinker  func(ctx context.Context) (Linker, error)
	Releases   []Release
	Attributor Attributor // nil: no attribution
	// MaxObservations caps the rows, in leak order, kept for attribution
	// (default 200,000; unmatched rows are kept up to the same cap again).
	MaxObservations int
	// MaxRows, when above 0, is the most rows the analysis may hold in
	// memory (RowBytes each): a larger leak stops with a TooManyRowsError
	// while it is read, instead of growing until the system kills it.
	MaxRows int
	// Progress, when set, is called at each stage ("read", "link",
	// "linkage", "attribute") and every 100,000 rows read.
	Progress func(stage string, rows int)
	// Scan streams the versions of a range of people (store.VersionsOf).
	// Leaks of more than LookupRows rows (default: the store's versions / 50,
	// at least 2,000) are linked in one scan of the store, split into ranges
	// of PersonID up to Known.MaxPerson, instead of a lookup per row. Nil:
	// lookups always.
	Scan       ScanFunc
	LookupRows int
	// Digest, when set, is the store's comparison digest (BuildDigest):
	// a scan reads it instead of Scan, for the same outcome; if it turns
	// out damaged, the scan starts again from Scan.
	Digest *Digest
	// Warn, when set, is told what went wrong without changing the
	// outcome (a damaged digest).
	Warn func(msg string)
	// Rows, when set, is written one line per leaked row, in file order
	// (RowsHeader): how it was linked, to whom, and the versions it
	// agrees with.
	Rows io.Writer
}

// ScanFunc streams the versions of the people with lo ≤ PersonID < hi (hi
// 0: no upper bound), by PersonID then ValidFrom, as store.VersionsOf does;
// the version and its record are reused between calls, the record's strings
// are not. The analysis calls it on several goroutines at once, for
// disjoint ranges.
type ScanFunc func(ctx context.Context, lo, hi uint64, fn func(v *register.Version) error) error

// Result is one analysis.
type Result struct {
	Report   *report.Report
	Affected []string // CURPs of the affected people, in the order of their first row in the leak
	// AffectedCSV is report.AffectedCSV(Affected) and AffectedSHA256 its
	// hash, made beside the tally (a national dump's list is 1.7 GB).
	AffectedCSV    []byte
	AffectedSHA256 string
}

// ErrEmpty is returned for a leak with no rows.
var ErrEmpty = errors.New("the file holds no rows")

// LinkBytesPerVersion is the memory name linkage's index takes a version
// of the register (≈172 bytes measured, docs/perf-linkage.md; with room).
const LinkBytesPerVersion = 200

// linkageBytes is the memory an analysis of n rows needs with name
// linkage's index of the whole register, and the budget the caller's row
// cap stands for (0: no cap, no check).
func linkageBytes(n int, cfg Config) (need, budget int64) {
	if cfg.MaxRows <= 0 {
		return 0, 0
	}
	return int64(n)*RowBytes + cfg.Known.Versions*LinkBytesPerVersion, int64(cfg.MaxRows) * RowBytes
}

// RowBytes is the memory a leaked row takes at the analysis's peak, with
// room: the join (its comparison hashes, 4 bytes a visible field, 76 for
// the INE's 19; its CURP and clave, 36; its entries in the join's
// partitions, 48, and pairs, ≈12) or the scan (the partitions replaced by
// its outcome, 48, and its share of the intervals and codes). The live
// heap measured at every collection (GOGC=20, gctrace) peaks at 297 MB for
// a 1M-row dump and 1,769 MB for a 10M-row one: 163 bytes a row; 200
// leaves room for what a row adds between two collections.
const RowBytes = 200

// MaxRowsFor is the most rows an analysis may hold in memory bytes, after
// a fixed 512 MiB for everything that does not grow with the rows.
func MaxRowsFor(memory int64) int {
	const fixed = 512 << 20
	if memory <= fixed {
		return 1
	}
	return int(min((memory-fixed)/RowBytes, math.MaxInt32))
}

// MaxRowsOn is the row budget of a machine (or container) of memory
// bytes: what 85% of it holds (MaxRowsFor), the rest left to the system
// and the page cache.
func MaxRowsOn(memory int64) int { return MaxRowsFor(memory / 100 * 85) }

// TooManyRowsError is a leak with more rows than Config.MaxRows.
type TooManyRowsError struct{ MaxRows int }

func (e *TooManyRowsError) Error() string {
	return fmt.Sprintf("the file has more than %d rows, the most this machine's memory can analyse (≈%d bytes a row held until the rows are linked): split it (by entidad, say) and analyse the parts, or analyse it on a machine with ≈%d GiB of memory per 100 million rows",
		e.MaxRows, RowBytes, (100_000_000*RowBytes+512<<20)>>30+1)
}

// minKeyedOurs is the fewest rows that make a file partly ours when
// fewer than 1% of its rows are our people: rows linked by CURP or clave
// whose version agrees on two or more of our addresses, sections and
// credentials, and on four in five of those compared, one of them written
// by us (a street, a colonia, a CIC or OCR: not the clave, nor a code such
// as the sección another register may use too). They must also be
// half the rows matched, so that a register of the same people written
// its own way, where a row here and there happens to agree, stays
// another source.
const minKeyedOurs = 3

// candidateStrength is the least strength (−log10 of the false-accusation
// bound over every release and carrier) of a release named as the
// strongest candidate when none is accused.
const candidateStrength = 3

// Run analyses one leak.
func Run(ctx context.Context, cfg Config, leak *Leak) (*Result, error) {
	s := cfg.Schema
	cmp := newComparer(s)
	maxObs := cfg.MaxObservations
	if maxObs <= 0 {
		maxObs = 200_000
	}
	// A lookup costs about 30 µs of CPU, a version scanned about 0.5 µs:
	// scan once the leak has more than 1/50 as many rows as the store has
	// versions.
	lookupRows := cfg.LookupRows
	if lookupRows <= 0 {
		lookupRows = max(2000, int(cfg.Known.Versions/50))
	}
	visible := make([]bool, len(s.Fields))
	for _, c := range leak.Columns {
		for _, name := range append([]string{c.Field}, c.Fields...) { // a full name fills three
			if i := s.Index(name); name != "" && i >= 0 {
				visible[i] = true
			}
		}
	}
	anyDist := false
	for f, v := range visible {
		if v && cmp.distinguishing[f] {
			anyDist = true
		}
	}
	mt := newMatcher(s, cmp, visible, cfg.Known.Snapshots)
	progress := func(stage string, rows int) {
		if cfg.Progress != nil {
			cfg.Progress(stage, rows)
		}
	}
	mt.stage = func(stage string) { progress(stage, mt.rows()) }
	progress("read", 0)

	// 1. Read: every row in compact form; the first maxObs rows whole for
	// attribution, and keyless rows whole for probabilistic linkage. Past
	// the first maxObs rows, the rows holding a CURP that a release's
	// canaries almost always carry are kept whole too (canaryRows): when
	// they are all the rows keys do not link, as in a leaked copy, the
	// leak need not be read again for its unlinked rows (step 3).
	var (
		obs        []Observation
		pending    = map[int]register.Record{}
		canaryKeys *keySet
		canaryRows map[int]register.Record
	)
	// The calling goroutine reads the rows (package ingest parses ahead on
	// a goroutine of its own); workers map and hash them; the matcher, the
	// observation window and the keyless rows take them batch by batch in
	// row order.
	width := len(s.Fields)
	n := 0
	var (
		keepRow []string        // a row as read, mapped again to be kept
		keepRec register.Record // its record
	)
	finish := func(b *recBatch) {
		mt.addFinish(b)
		for i := 0; i < b.n; i++ {
			if n > 0 && n%100_000 == 0 {
				progress("read", n)
			}
			if n == maxObs {
				canaryKeys, canaryRows = canaryPrefilter(cfg), map[int]register.Record{}
			}
			if i < len(b.kept) { // prep kept it (row n < maxObs)
				obs = append(obs, Observation{Row: n, Leaked: b.kept[i]})
				b.kept[i] = nil
				n++
				continue
			}
			var keep map[int]register.Record // where row n is kept whole, if it is
			switch {
			case n < maxObs:
			case !b.kc[i].none() && canaryKeys.has(&b.kc[i]) && len(canaryRows) < maxObs:
				keep = canaryRows
			case b.kc[i].none() && b.kk[i].none() && cfg.NewLinker != nil && len(pending) < maxObs:
				keep = pending
			default:
				n++
				continue
			}
			// A record kept is copied (its strings may point into a batch
			// as read, reused once released), and mapped again when prep
			// mapped it for hashing only.
			rec := b.record(i, width)
			if b.in != nil && leak.MapHash != nil {
				keepRow = b.in.Row(i, keepRow)
				keepRec = leak.Map(keepRow, keepRec)
				rec = keepRec
			}
			if keep == nil {
				obs = append(obs, Observation{Row: n, Leaked: cloneRecord(rec)})
			} else {
				keep[n] = cloneRecord(rec)
			}
			n++
		}
	}
	var err error
	read := 0
	tick := func() error {
		if read++; read%4096 == 0 {
			return ctx.Err()
		}
		return nil
	}
	if leak.Batches != nil && leak.Map != nil {
		mapRow := leak.Map
		if leak.MapHash != nil {
			mapRow = leak.MapHash
		}
		rd := newStagePipe(width, func(b *recBatch) {
			// the rows of the observation window are mapped in full and
			// kept here, on every core, not by the finishing goroutine
			// (a fifth of a 1M-row leak)
			b.kept = b.kept[:0]
			if b.first < maxObs {
				b.kept = append(b.kept, make([]register.Record, min(b.n, maxObs-b.first))...)
			}
			for i := 0; i < b.n; i++ {
				dst := b.record(i, width)
				b.row = b.in.Row(i, b.row)
				m := mapRow
				if i < len(b.kept) {
					m = leak.Map
				}
				if rec := m(b.row, dst); len(rec) == 0 || len(dst) == 0 || &rec[0] != &dst[0] {
					copy(dst, rec)
				}
				if i < len(b.kept) {
					b.kept[i] = cloneRecord(dst)
				}
			}
			mt.addPrep(b)
		}, finish)
		put := 0
		err = leak.Batches(ctx, func(in RowBatch) error {
			if err := ctx.Err(); err != nil {
				in.Release()
				return err
			}
			if put += in.Len(); cfg.MaxRows > 0 && put > cfg.MaxRows {
				in.Release()
				return &TooManyRowsError{MaxRows: cfg.MaxRows}
			}
			rd.putBatch(in)
			return nil
		})
		rd.close()
	} else {
		rd := newStagePipe(width, mt.addPrep, finish)
		err = leak.Each(ctx, func(rec register.Record) error {
			if err := tick(); err != nil {
				return err
			}
			if cfg.MaxRows > 0 && read > cfg.MaxRows {
				return &TooManyRowsError{MaxRows: cfg.MaxRows}
			}
			rd.put(rec)
			return nil
		})
		rd.close()
	}
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, ErrEmpty
	}

	// 2. Link on keys.
	progress("link", n)
	claveSkipped := 0
	warned := false
	link := func() error {
		if n <= lookupRows || (cfg.Scan == nil && cfg.Digest == nil) {
			return mt.lookup(ctx, cfg.Register)
		}
		err := mt.scan(ctx, cfg.Scan, cfg.Digest, cfg.Known.MaxPerson)
		if errors.Is(err, ErrDigestDamaged) && cfg.Scan != nil {
			// the store itself is intact: scan it instead
			if cfg.Warn != nil && !warned {
				cfg.Warn(err.Error() + "; the store was read instead")
			}
			err = mt.scan(ctx, cfg.Scan, nil, cfg.Known.MaxPerson)
		} else if err == nil && cfg.Digest == nil && cfg.Warn != nil && !warned {
			cfg.Warn("the store has no current comparison digest: every version was read and hashed (huella digest builds it; full-dump analyses then read it instead)")
		}
		warned = true
		if err == nil {
			claveSkipped, err = mt.claveLookups(ctx, cfg.Register, maxClaveLookups)
		}
		return err
	}
	if err := link(); err != nil {
		return nil, fmt.Errorf("link on keys: %w", err)
	}
	// A column read with little confidence whose values agree with ours on
	// next to no row linked by key, and are mangled (a spreadsheet's
	// scientific notation, JSON text), is left out, and the rows linked
	// again without it: compared, it kept every row from agreeing exactly
	// with any version, and nothing could be dated. A column merely
	// disagreeing stays: disagreeing addresses are what tells another
	// register of the same people from ours.
	var brokenNotes, brokenNames []string
	broken := mt.brokenFields(columnConfidence(leak.Columns, s))
	broken = slices.DeleteFunc(broken, func(b brokenField) bool { return !mangled(obs, mt.vis[b.vis]) })
	if len(broken) > 0 {
		for _, b := range broken {
			f := mt.vis[b.vis]
			visible[f] = false
			mt.dropField(b.vis)
			brokenNames = append(brokenNames, s.Fields[f].Name)
			on := fmt.Sprintf("only %d of the %d", b.agreeing, b.compared)
			if b.agreeing == 0 {
				on = fmt.Sprintf("none of the %d", b.compared)
			}
			brokenNotes = append(brokenNotes, fmt.Sprintf("the column read as %s (confidence %.2f) agrees with our value on %s rows linked by key that show it: it was left out of the comparison and the dating (mangled on its way, by a spreadsheet say, or not that field)",
				s.Fields[f].Name, b.confidence, on))
		}
		anyDist = false
		for f, v := range visible {
			if v && cmp.distinguishing[f] {
				anyDist = true
			}
		}
		progress("link", n)
		if err := link(); err != nil {
			return nil, fmt.Errorf("link on keys: %w", err)
		}
	}

	foreignKeys := mt.unlinkForeignKeys()

	// 3. Unmatched rows past the observation window: read again for their
	// records (canaries hide there; keyed rows may still link without keys),
	// unless the first reading kept them all.
	if n > maxObs && keptUnlinked(mt, pending, canaryRows, maxObs) {
		for r, rec := range canaryRows {
			if mt.out[r].person == 0 {
				pending[r] = rec
			}
		}
	} else if n > maxObs {
		progress("read again", n)
		// up to maxObs more rows, past those the first reading kept
		extra := 0
		want := func(r int) bool {
			if r < maxObs || r >= len(mt.out) || mt.out[r].person != 0 || extra >= maxObs {
				return false
			}
			_, held := pending[r]
			return !held
		}
		keep := func(r int, rec register.Record) error {
			pending[r] = slices.Clone(rec)
			extra++
			return nil
		}
		var err error
		if leak.Some != nil {
			err = leak.Some(ctx, want, keep)
		} else {
			row := 0
			err = leak.Each(ctx, func(rec register.Record) error {
				r := row
				row++
				if !want(r) {
					return nil
				}
				return keep(r, rec)
			})
		}
		if err != nil {
			return nil, fmt.Errorf("read again: %w", err)
		}
	}
	for _, o := range obs {
		if mt.out[o.Row].person == 0 {
			pending[o.Row] = o.Leaked
		}
	}

	// 4. Probabilistic linkage of what keys did not link.
	// The linkage index covers the whole store, so it is built only when
	// enough rows need it (a few canaries or damaged rows do not).
	// The rows it may take are capped (each is held whole): when they
	// were, the rows left out are counted, and the verdict rests on the
	// rows examined rather than calling the others someone else's.
	probRows := 0
	skippedProb := 0
	unresolved := 0              // rows with candidates, none decisive
	unexamined := 0              // rows no key linked that linkage never saw
	weights := map[int]float64{} // probabilistic links' weights, by row
	linkNeed := int64(0)         // linkage not run: the memory it needs
	if len(pending) > 0 && len(pending) < min(max(5, n/50), maxObs) {
		skippedProb = len(pending)
	} else if need, budget := linkageBytes(n, cfg); len(pending) > 0 && cfg.NewLinker != nil && hasLinkFields(s, visible) && budget > 0 && need > budget {
		// The index of every version would not fit beside the rows: no
		// row is linked by name, and none is called someone else's.
		linkNeed = need
		for r := range mt.out {
			if mt.out[r].person == 0 {
				unexamined++
			}
		}
	} else if len(pending) > 0 && cfg.NewLinker != nil && hasLinkFields(s, visible) {
		for r := range mt.out {
			if _, held := pending[r]; !held && mt.out[r].person == 0 {
				unexamined++
			}
		}
		progress("linkage", len(pending))
		lk, err := cfg.NewLinker(ctx)
		if err != nil {
			return nil, fmt.Errorf("build linkage index: %w", err)
		}
		rows := make([]int, 0, len(pending))
		for r := range pending {
			rows = append(rows, r)
		}
		slices.Sort(rows)
		recs := make([]register.Record, len(rows))
		for i, r := range rows {
			recs[i] = pending[r]
			if _, foreign := slices.BinarySearch(foreignKeys, r); foreign {
				// linked by name, not again by the key it holds
				recs[i] = withoutKeys(recs[i], mt.iCURP, mt.iClave)
			}
		}
		links := lk.LinkAll(recs)
		var cs []cand
		var arena []uint32
		for i, r := range rows {
			id := links[i].PersonID
			if id == 0 {
				if links[i].Candidates > 0 && (links[i].Reason == "weak" || links[i].Reason == "ambiguous") {
					unresolved++
				}
				continue
			}
			vs, err := cfg.Register.Person(id)
			if err != nil {
				return nil, fmt.Errorf("row %d: person %d: %w", r+1, id, err)
			}
			cs, arena = cs[:0], arena[:0]
			for i := range vs {
				var c cand
				c, arena = mt.candOf(&vs[i], arena)
				cs = append(cs, c)
			}
			mt.evaluate(r, cs, methodProb)
			if mt.out[r].person != 0 {
				probRows++
				weights[r] = links[i].Weight
			}
		}
	}
	// Rows mixed from several of our versions: agreement field by field.
	widenSkipped, err := mt.widenAgreement(ctx, cfg.Register, maxWiden)
	if err != nil {
		return nil, fmt.Errorf("compare with every version: %w", err)
	}
	// Linking is done: the rows' hashes and claves (≈100 bytes a row) go
	// before the tally and the exposure need their own memory (the CURPs
	// stay: they are the affected people's, see curpOf).
	mt.hashes, mt.clave = nil, keyCol{}

	// The rows are linked: the affected people are counted on a goroutine
	// of their own while the rows are tallied and dated, and used unless
	// the verdict is not ours.
	exposing := make(chan exposure, 1)
	go func() { exposing <- exposureOf(mt, cfg.Known.MaxPerson) }()

	// Unmatched rows outside the window go to attribution too (canaries).
	for r, rec := range pending {
		if r >= maxObs && mt.out[r].person == 0 {
			obs = append(obs, Observation{Row: r, Leaked: rec})
		}
	}
	slices.SortFunc(obs, func(a, b Observation) int { return a.Row - b.Row })
	for i := range obs {
		if o := &mt.out[obs[i].Row]; o.person != 0 {
			obs[i].PersonID, obs[i].CURP = o.person, mt.curpOf(obs[i].Row)
		}
	}
	// Attribution needs only the observations: it runs on a goroutine of
	// its own from here, beside the tally and the exposure, and is used
	// unless the verdict is not ours. Run returns only once it has ended
	// (the attributor may read the store, which the caller closes).
	attributing := make(chan attributed, 1)
	attribute := cfg.Attributor != nil && len(cfg.Releases) > 0
	if attribute {
		var wg sync.WaitGroup
		defer wg.Wait()
		wg.Go(func() {
			atts, err := cfg.Attributor.Attribute(cfg.Releases, obs)
			attributing <- attributed{atts, err}
		})
	}

	progress("tally", n)
	// 5. Tally, in row order. Most rows agree on the same fields: the
	// field counts are kept per distinct pair of masks (compared, agreeing)
	// and added up field by field at the end.
	var (
		m, exactRows, oursRows int // rows matched, exact, ours
		keyedOurs              int // exact and ours, linked by key, ≥ 2 distinguishing values agreeing, one of them written (a street, a credential number)
		byMethod               = map[string]int{}
		perField               = make([]fieldCount, len(s.Fields))
		counter                dating.Counter
		dated                  = make([]int32, 0, len(mt.out)) // rows added to counter (most are)
		methodRows             [len(methodNames)]int
		pairRows               = map[maskPair]int{}
		last                   maskPair
		lastRows               int
		lastA                  agreement
	)
	var one [1]dating.Interval
	for r := range mt.out {
		o := &mt.out[r]
		if o.person == 0 {
			continue
		}
		if p := (maskPair{o.compared, o.agree}); p != last || lastRows == 0 {
			if lastRows > 0 {
				pairRows[last] += lastRows
			}
			last, lastRows, lastA = p, 0, mt.agreementOf(p)
		}
		lastRows++
		a := lastA
		ours := a.distCompared == 0 || float64(a.distAgreeing) >= 0.8*float64(a.distCompared)
		exact := o.ivN > 0
		if exact && ours {
			counter.Add(mt.ivs(r, &one))
			dated = append(dated, int32(r))
		}
		m++
		if exact {
			exactRows++
		}
		if ours && a.distCompared > 0 {
			oursRows++
			// beyond the key and the codes another register may share
			// (sección, municipio): one of our written values at least
			if exact && a.distAgreeing >= 2 && o.agree&o.compared&mt.wordedMask != 0 && (o.method == methodCURP || o.method == methodClave) {
				keyedOurs++
			}
		}
		methodRows[o.method]++
	}
	if lastRows > 0 {
		pairRows[last] += lastRows
	}
	for p, rows := range pairRows {
		for j, f := range mt.vis {
			if bit := uint64(1) << j; p.compared&bit != 0 {
				perField[f].compared += rows
				if p.agree&bit != 0 {
					perField[f].agreeing += rows
				}
			}
		}
	}
	for meth, rows := range methodRows {
		if rows > 0 {
			byMethod[methodNames[meth]] = rows
		}
	}

	in := leak.Input()
	in.Name = leak.Name

	rep := &report.Report{
		Format:  report.Format,
		Input:   in,
		Columns: leak.Columns,
		Store: report.Store{People: cfg.Known.People, Versions: cfg.Known.Versions,
			First: cfg.Known.First.String(), Last: cfg.Known.Last.String()},
		Attribution: []report.Attribution{},
		Limitations: []string{},
	}
	if rep.Columns == nil {
		rep.Columns = []report.Column{}
	}
	relIDs := make([]string, len(cfg.Releases))
	for i, r := range cfg.Releases {
		relIDs[i] = r.ID
	}
	rep.AnalysisID = report.ID(in.SHA256, cfg.Known.State(), relIDs)

	// Match figures.
	totalC, totalA, distC, distA := 0, 0, 0, 0
	for f, fc := range perField {
		if fc.compared == 0 {
			continue
		}
		rep.Match.Fields = append(rep.Match.Fields, report.FieldAgreement{Field: s.Fields[f].Name, Compared: fc.compared, Agreeing: fc.agreeing})
		totalC += fc.compared
		totalA += fc.agreeing
		if cmp.distinguishing[f] {
			distC += fc.compared
			distA += fc.agreeing
		}
	}
	if rep.Match.Fields == nil {
		rep.Match.Fields = []report.FieldAgreement{}
	}
	rep.Match.RowsMatched = m
	rep.Match.RowsExact = exactRows
	rep.Match.MatchRate = report.Round6(float64(m) / float64(n))
	rep.Match.ByMethod = byMethod
	if totalC > 0 {
		rep.Match.FieldAgreement = report.Round6(float64(totalA) / float64(totalC))
	}
	d := 1.0
	if distC > 0 {
		d = float64(distA) / float64(distC)
	}

	// Verdict (before attribution; an accusation can only strengthen it).
	// In a leak without CURP or clave, a row that resembles several people
	// of the register is unresolved, not evidence of another source: it is
	// left out of the share that decides ours against partial, up to 1% of
	// the rows examined (10 at least). Our own copies leave a few in ten
	// thousand so; past that, the rows are from elsewhere and merely share
	// common names with our people (15% of a file from another register
	// left half its rows unresolved, and the file was called ours).
	examined := n - unexamined
	minRows := max(3, int(math.Ceil(0.01*float64(examined))))
	keylessUnresolved := 0
	if !hasKeys(s, visible) {
		keylessUnresolved = min(unresolved, max(10, examined/100))
	}
	fewMatch := m < minRows || (d < 0.5 && float64(m) < 0.3*float64(examined))
	elsewhere := -1 // partial: the rows said to come from elsewhere
	switch {
	case fewMatch && keyedOurs >= minKeyedOurs && d >= 0.5 && 2*keyedOurs >= m:
		// Few rows are our people, but those few are written as we held
		// them (minKeyedOurs): a key, and our wording of a street or a
		// credential number among the values agreeing with one version,
		// which another register of the same people does not show row
		// after row. Part of the file is ours, however small a part.
		rep.Verdict = report.Partial
		elsewhere = examined - oursRows
		rep.VerdictReason = fmt.Sprintf("%d of %d rows are ours, %d of them holding the CURP or clave of one of our people and written as one of our versions, with our wording of streets or credential numbers (%.1f%% of distinguishing fields agree); %s", oursRows, examined, keyedOurs, 100*d, comeFromElsewhere(elsewhere))
	case fewMatch:
		rep.Verdict = report.NotOurs
		rep.VerdictReason = fmt.Sprintf("%d of %d rows match a person of the register", m, n)
		if m >= minRows {
			rep.VerdictReason += fmt.Sprintf(", and their addresses, sections and credentials agree with ours in only %.0f%% of fields", 100*d)
		}
		if !hasKeys(s, visible) {
			if hasLinkFields(s, visible) {
				rep.VerdictReason += "; the file holds no CURP or clave de elector, so rows were linked by " + linkFieldsOf(s, visible) + " only"
			} else {
				rep.VerdictReason += "; the file holds no CURP or clave de elector, and too little to link a row by name (" + linkFieldsOf(s, visible) + "): no row was linked"
			}
			if unresolved > 0 {
				rep.VerdictReason += fmt.Sprintf(" (%s of the register but could not be told apart from others)", strings.Replace(resemble(unresolved), " more", "", 1))
			}
			if !hasLinkFields(s, visible) || unresolved > n/10 {
				rep.VerdictReason += ": read this as \"not linkable\" rather than proof the data is not ours"
			}
		}
	case !anyDist:
		rep.Verdict = report.SamePeopleOtherSource
		rep.VerdictReason = fmt.Sprintf("%d of %d rows match our people, but the file holds only identity fields (names, CURP, birth date), which every register of these people shares", m, n)
	case d < 0.5:
		rep.Verdict = report.SamePeopleOtherSource
		rep.VerdictReason = fmt.Sprintf("%d of %d rows match our people by key, but only %.0f%% of their address, section and credential values agree with any version we held: another register of the same people", m, n, 100*d)
	case float64(oursRows) >= 0.9*float64(examined-keylessUnresolved):
		rep.Verdict = report.Ours
		if exactRows >= oursRows {
			rep.VerdictReason = fmt.Sprintf("%d of %d rows are people of the register, written exactly as we held them (%.1f%% of distinguishing fields agree)", oursRows, n, 100*d)
		} else {
			// typing errors, a field rewritten, versions mixed: ours, but
			// not every row is one of our versions to the letter
			rep.VerdictReason = fmt.Sprintf("%d of %d rows are people of the register, written as we held them (%.1f%% of distinguishing fields agree); %d agree with one of our versions in every field", oursRows, n, 100*d, exactRows)
			if f, rows := mostDisagreeing(rep.Match.Fields); rows > 0 {
				rep.VerdictReason += fmt.Sprintf(", and %s differs from ours in %s", f, plural(rows, "row"))
			}
		}
		if len(brokenNames) > 0 {
			rep.VerdictReason += fmt.Sprintf(", the %s column left out of the comparison (see the limitations)", strings.Join(brokenNames, " and "))
		}
		if keylessUnresolved > 0 {
			rep.VerdictReason += fmt.Sprintf("; %s of the register but could not be told apart from others without a key", resemble(keylessUnresolved))
		}
	case oursRows >= minRows:
		rep.Verdict = report.Partial
		elsewhere = examined - oursRows - keylessUnresolved
		rep.VerdictReason = fmt.Sprintf("%d of %d rows are ours, written as we held them; %s", oursRows, examined, comeFromElsewhere(elsewhere))
		if keylessUnresolved > 0 {
			rep.VerdictReason += fmt.Sprintf(", and %d resemble people of the register but could not be told apart from others without a key", keylessUnresolved)
		}
	default:
		rep.Verdict = report.SamePeopleOtherSource
		rep.VerdictReason = fmt.Sprintf("%d of %d rows match our people, but too few are written as we held them", m, n)
	}
	var readNote string // how the rows no key linked were read, when it limits the verdict
	switch {
	case linkNeed > 0:
		readNote = fmt.Sprintf("; the %d rows that no key linked were not linked by name: its index of the register's %d versions needs, beside the rows, ≈%.1f GiB, more than this machine's memory allows. Read this as not linkable here rather than as proof: split the file, or analyse it on a machine with ≈%.0f GiB", unexamined, cfg.Known.Versions, float64(linkNeed)/(1<<30), math.Ceil(float64(linkNeed)/0.85/(1<<30)))
	case unexamined > 0:
		readNote = fmt.Sprintf("; %d more rows that no key linked were not examined (linkage by name takes a bounded number of rows): the verdict rests on the %d rows examined", unexamined, examined)
	}
	rep.VerdictReason += readNote

	// Dating.
	var est *dating.Estimate
	if rep.Verdict == report.Ours || rep.Verdict == report.Partial || !anyDist {
		e, err := counter.Estimate(dating.Options{First: cfg.Known.First, Last: cfg.Known.Last, Snapshots: cfg.Known.Snapshots})
		if err == nil {
			est = e
		} else if !errors.Is(err, dating.ErrNoRows) {
			return nil, err
		}
	}

	// Attribution.
	// A file called not ours is still searched for a fingerprint: a
	// canary of one copy among another register's rows is part of that
	// copy. Its scores are reported only when they accuse.
	if attribute {
		progress("attribute", len(obs))
		at := <-attributing
		atts, err := at.atts, at.err
		if err != nil {
			return nil, fmt.Errorf("attribution: %w", err)
		}
		for i := range atts {
			atts[i].Score = report.Round6(atts[i].Score)
			atts[i].Threshold = report.Round6(atts[i].Threshold)
			atts[i].Log10Bound = report.Round6(atts[i].Log10Bound)
		}
		if rep.Verdict != report.NotOurs || slices.ContainsFunc(atts, func(a report.Attribution) bool { return a.Accused }) {
			rep.Attribution = atts
		}
	}
	// Canaries are rows of no one in the register: counted among the rows
	// from elsewhere until attribution recognised them.
	if canaries, whose := canariesFound(rep.Attribution); elsewhere > 0 && canaries > 0 && canaries <= elsewhere {
		rep.VerdictReason = strings.Replace(rep.VerdictReason, comeFromElsewhere(elsewhere),
			fmt.Sprintf("%s, and %s", comeFromElsewhere(elsewhere-canaries), canaryRowsText(canaries, whose)), 1)
	}
	accused := rep.Accused()
	if len(accused) > 0 && rep.Verdict == report.NotOurs {
		rep.Verdict = report.Partial
		rep.VerdictReason += fmt.Sprintf("; yet the fingerprint of %s's copy is in the file: part of it left us in that copy", accused[0].Recipient)
		if canaries, whose := canariesFound(rep.Attribution); canaries > 0 {
			rep.VerdictReason += " (" + canaryRowsText(canaries, whose) + ")"
		}
	}
	if len(accused) > 0 && rep.Verdict == report.SamePeopleOtherSource {
		// Another register of the same people carries no recipient's
		// fingerprint: an accusation says the rows left us in that
		// recipient's copy, whatever was rewritten since.
		rep.Verdict = report.Ours
		if anyDist {
			rep.VerdictReason = fmt.Sprintf("%d of %d rows match our people, and the fingerprint of %s's copy proves they came from our register; only %.0f%% of their address, section and credential values agree with a version we held: those were rewritten after the copy left us", m, n, accused[0].Recipient, 100*d) + readNote
		} else {
			rep.VerdictReason += fmt.Sprintf("; the fingerprint of %s's copy proves the rows came from our register", accused[0].Recipient)
		}
	}
	if len(accused) > 0 && est == nil {
		if e, err := counter.Estimate(dating.Options{First: cfg.Known.First, Last: cfg.Known.Last, Snapshots: cfg.Known.Snapshots}); err == nil {
			est = e
		}
	}
	if rep.Verdict != report.Ours && rep.Verdict != report.Partial {
		est = nil
	}
	var otherCut *dating.Estimate // a second cut mixed in
	if est != nil {
		sp := splitCuts(dated, func(r int32, one *[1]dating.Interval) []dating.Interval { return mt.ivs(int(r), one) }, est, cfg.Known)
		est, otherCut = sp.main, sp.other
		rep.Cutoff = cutoffOf(est, cfg.Known.Snapshots)
		if sp.refined {
			rep.Cutoff.RowsDated = len(dated)
			rep.Cutoff.AgreeingFraction = report.Round6(float64(sp.mainRows) / float64(len(dated)))
		}
		if o := sp.other; o != nil {
			rep.Cutoff.OtherCuts = []report.OtherCut{{Earliest: o.Earliest.String(), Latest: o.Latest.String(), Rows: sp.otherRows,
				AgreeingFraction: report.Round6(float64(sp.otherRows) / float64(len(dated))),
				Share:            report.Round6(float64(sp.otherRows) / float64(max(1, sp.otherRows+sp.mainOnly)))}}
			note := fmt.Sprintf("%d rows disagree with that cut and agree with %s: the file mixes copies cut at different instants", sp.otherRows, bandText(o))
			if sp.refined {
				note += "; no single day explains both, and the day most rows agree with lies between the two cuts and dates neither"
			}
			if rep.Cutoff.Note != "" {
				note = rep.Cutoff.Note + "; " + note
			}
			rep.Cutoff.Note = note
		}
		// Whether each release's cut is one of the file's.
		for i := range rep.Attribution {
			a := &rep.Attribution[i]
			if a.AsOf == "" {
				continue
			}
			a.Evidence.CutInstant = a.AsOf
			if d, err := register.ParseDate(a.AsOf); err == nil {
				a.Evidence.CutAgrees = holdsDay(est, d) || sp.other != nil && holdsDay(sp.other, d)
			}
		}
	}
	rep.AttributionStatus, rep.AttributionNote = attributionStatus(rep, cfg.Releases, est, otherCut, visible, s, n)

	// Exposure (counted meanwhile).
	var affected []string
	affectedCSV, affectedSHA := report.AffectedCSV(nil), ""
	progress("exposure", n)
	exp := <-exposing
	if rep.Verdict != report.NotOurs {
		affected, affectedCSV, affectedSHA = exp.curps, exp.csv, exp.sha
		rep.Affected.ByEntidad = map[string]int{}
		rep.Affected.People = len(exp.curps)
		for _, c := range exp.secs {
			ent, sec := mt.codeOf(uint32(c.key>>32)), mt.codeOf(uint32(c.key))
			rep.Affected.ByEntidad[ent] += c.people
			rep.Affected.BySeccion = append(rep.Affected.BySeccion, report.SeccionCount{Entidad: ent, Seccion: sec, People: c.people})
		}
		sort.Slice(rep.Affected.BySeccion, func(i, j int) bool {
			a, b := rep.Affected.BySeccion[i], rep.Affected.BySeccion[j]
			if a.Entidad != b.Entidad {
				return a.Entidad < b.Entidad
			}
			return a.Seccion < b.Seccion
		})
	}
	if rep.Affected.ByEntidad == nil {
		rep.Affected.ByEntidad = map[string]int{}
	}
	if rep.Affected.BySeccion == nil {
		rep.Affected.BySeccion = []report.SeccionCount{}
	}

	rep.Limitations = limitations(rep, cfg, est, anyDist, probRows, unexamined, n, maxObs, linkFieldsOf(s, visible))
	if anyDist {
		onlyCodes := true
		for f, v := range visible {
			if v && cmp.distinguishing[f] && s.Fields[f].Kind != register.KindCode {
				onlyCodes = false
			}
		}
		if onlyCodes {
			rep.Limitations = append(rep.Limitations, "Only coded fields (sección, municipio, localidad, postal code) distinguish our copy here: another register of the same people that uses the same sections would agree with them too.")
		}
	}
	if in.Repaired > 0 {
		rep.Limitations = append(rep.Limitations, fmt.Sprintf("%s UTF-8 encoded twice (\"PEÃ‘A\" for \"PEÑA\", as a spreadsheet re-saving the file does) and %s read as first written.", plural(in.Repaired, "line")+" "+wasWere(in.Repaired), wasWere(in.Repaired)))
	}
	for _, b := range brokenNotes {
		rep.Limitations = append(rep.Limitations, strings.ToUpper(b[:1])+b[1:]+".")
	}
	if widenSkipped > 0 {
		rep.Limitations = append(rep.Limitations, fmt.Sprintf("%d rows linked to our people but written as none of their versions were not compared with each of the person's versions (%d were): a row mixed from several of our versions among them counts as written elsewhere.", widenSkipped, maxWiden))
	}
	if len(foreignKeys) > 0 {
		rep.Limitations = append(rep.Limitations, fmt.Sprintf("%s held the CURP or clave de elector of a person of the register but under half of the person's names and birth date (or neither the given name nor the birth date), and at most one of their street, colonia and credential numbers: not linked by that key (someone else's key: a typo, keys swapped), linked by name where possible.", plural(len(foreignKeys), "row")))
	}
	if claveSkipped > 0 {
		rep.Limitations = append(rep.Limitations, fmt.Sprintf("%d rows whose CURP the register does not know were not looked up by their clave de elector as well: too many for look-ups (most of the file is not ours).", claveSkipped))
	}
	if skippedProb > 0 {
		rep.Limitations = append(rep.Limitations, fmt.Sprintf("%s whose keys the register does not know (canaries of a copy, damaged keys or other people) %s not linked by name: too few to be worth a pass over the whole register.", plural(skippedProb, "row"), wasWere(skippedProb)))
	}
	if affectedSHA == "" {
		affectedSHA = report.SHA256(affectedCSV)
	}
	if cfg.Rows != nil {
		examinedRow := func(r int) bool {
			_, held := pending[r]
			return linkNeed == 0 && (unexamined == 0 || held)
		}
		if err := writeRows(cfg.Rows, mt, weights, examinedRow); err != nil {
			return nil, fmt.Errorf("write the rows: %w", err)
		}
	}
	return &Result{Report: rep, Affected: affected, AffectedCSV: affectedCSV, AffectedSHA256: affectedSHA}, nil
}

// RowsHeader is the header of Config.Rows: the row's number in the file
// (1 the first data row); matched, unmatched, or not_examined (no key
// linked it and name linkage did not take it: see the report's
// limitations); how it was linked (curp, clave, probabilistic); the
// register's CURP of its person; its fields agreeing with the person's
// best version, of those compared; the validity of each version it agrees
// with in every field, FROM/TO (TO empty: still valid), separated by ";";
// and the Fellegi–Sunter weight of a probabilistic link.
const RowsHeader = "row,status,method,curp,agreeing,compared,exact_versions,weight"

// writeRows writes every row's outcome (Config.Rows).
func writeRows(w io.Writer, mt *matcher, weights map[int]float64, examined func(r int) bool) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(RowsHeader + "\n")
	var one [1]dating.Interval
	var line []byte
	for r := range mt.out {
		o := &mt.out[r]
		line = strconv.AppendInt(line[:0], int64(r+1), 10)
		switch {
		case o.person != 0:
			line = append(line, ",matched,"...)
			line = append(line, methodNames[o.method]...)
			line = append(line, ',')
			line = append(line, mt.curpOf(r)...)
			line = append(line, ',')
			line = strconv.AppendInt(line, int64(bits.OnesCount64(o.agree&o.compared)), 10)
			line = append(line, ',')
			line = strconv.AppendInt(line, int64(bits.OnesCount64(o.compared)), 10)
			line = append(line, ',')
			if o.ivN > 0 {
				for i, iv := range mt.ivs(r, &one) {
					if i > 0 {
						line = append(line, ';')
					}
					line = append(line, iv.From.String()...)
					line = append(line, '/')
					line = append(line, iv.To.String()...) // "" when still valid
				}
			}
			line = append(line, ',')
			if wt, ok := weights[r]; ok {
				line = strconv.AppendFloat(line, wt, 'f', 3, 64)
			}
		case examined(r):
			line = append(line, ",unmatched,,,,,,"...)
		default:
			line = append(line, ",not_examined,,,,,,"...)
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// cutSplit is the dating of a file that may mix copies of two cuts.
type cutSplit struct {
	main, other *dating.Estimate // other nil: one cut
	refined     bool             // main is not the day most rows agree with, which dates neither cut
	mainRows    int              // dated rows main's band explains
	otherRows   int              // dated rows only other's band explains
	mainOnly    int              // dated rows only main's band explains
}

// splitCuts looks for a second cut among the dated rows (their intervals
// by ivs) that est, the one cut most rows agree with, does not explain
// (none of a row's intervals meets est's best days), when they are
// max(10, 0.5%) of the rows or more: an exact row of a copy agrees with its
// cut, so a pure copy leaves next to none. In a file mixed from two copies
// the day most rows agree with can be a day nobody cut (a 2018 copy's rows
// of people who left the register on 1 January 2021, with a 2021 copy's
// rows, agree best with 31 December 2020), and the band around it wide, so
// each cut is estimated again on the rows the other's best days do not
// explain, until neither moves (at most 8 rounds). The cut whose band meets
// more of the rows is main. When main's band meets est's best days, est
// itself stays main (it was made on every row).
func splitCuts(dated []int32, ivs func(r int32, one *[1]dating.Interval) []dating.Interval, est *dating.Estimate, k Known) cutSplit {
	opt := dating.Options{First: k.First, Last: k.Last, Snapshots: k.Snapshots}
	var one [1]dating.Interval
	meetsDays := func(r int32, from, to register.Date) bool {
		for _, iv := range ivs(r, &one) {
			if iv.From <= to && (iv.To == register.NoDate || iv.To > from) {
				return true
			}
		}
		return false
	}
	explains := func(r int32, e *dating.Estimate) bool { return meetsDays(r, e.BestFrom, e.BestTo) }
	meets := func(r int32, e *dating.Estimate) bool { return meetsDays(r, e.Earliest, e.Latest) }
	minRows := max(10, len(dated)/200)
	outside := func(e *dating.Estimate) *dating.Estimate { // dates the rows e's best days do not explain
		var c dating.Counter
		for _, r := range dated {
			if !explains(r, e) {
				c.Add(ivs(r, &one))
			}
		}
		if c.Rows() < minRows {
			return nil
		}
		x, err := c.Estimate(opt)
		if err != nil {
			return nil
		}
		return x
	}
	main, other := est, outside(est)
	if other == nil {
		return cutSplit{main: est}
	}
	for range 8 {
		m2 := outside(other)
		if m2 == nil {
			break
		}
		o2 := outside(m2)
		if o2 == nil {
			break
		}
		moved := m2.BestFrom != main.BestFrom || m2.BestTo != main.BestTo || o2.BestFrom != other.BestFrom || o2.BestTo != other.BestTo
		main, other = m2, o2
		if !moved {
			break
		}
	}
	count := func(a, b *dating.Estimate) (inA, onlyB int) {
		for _, r := range dated {
			if meets(r, a) {
				inA++
			} else if meets(r, b) {
				onlyB++
			}
		}
		return inA, onlyB
	}
	mainRows, _ := count(main, other)
	if otherAll, _ := count(other, main); otherAll > mainRows {
		main, other = other, main
	}
	sp := cutSplit{main: main, other: other}
	if main != est && main.Earliest <= est.BestTo && est.BestFrom <= main.Latest {
		sp.main = est
	}
	sp.refined = sp.main != est
	if sp.refined {
		m := *sp.main
		m.Curve = est.Curve // the chart shows every dated row
		sp.main = &m
	}
	sp.mainRows, sp.otherRows = count(sp.main, sp.other)
	_, sp.mainOnly = count(sp.other, sp.main)
	return sp
}

// attributed is what the attributor answered.
type attributed struct {
	atts []report.Attribution
	err  error
}

// hasKeys tells whether the leak shows a CURP or clave de elector column.
func hasKeys(s *register.Schema, visible []bool) bool {
	for _, name := range []string{register.FCURP, register.FClave} {
		if i := s.Index(name); i >= 0 && visible[i] {
			return true
		}
	}
	return false
}

// hasLinkFields tells whether the visible fields can link without a key:
// a surname, a given name or a birth date, and a birth date, the entidad or
// the sección (package linkage blocks on them; without the entidad it probes
// the sección in all 32 states).
func hasLinkFields(s *register.Schema, visible []bool) bool {
	v := func(name string) bool {
		i := s.Index(name)
		return i >= 0 && visible[i]
	}
	return v(register.FPaterno) && (v(register.FNombre) || v(register.FNacimiento)) &&
		(v(register.FNacimiento) || v(register.FEntidad) || v(register.FSeccion))
}

func cutoffOf(e *dating.Estimate, snapshots []register.Date) *report.Cutoff {
	c := &report.Cutoff{
		Earliest: e.Earliest.String(), Latest: e.Latest.String(),
		BestEarliest: e.BestFrom.String(), BestLatest: e.BestTo.String(),
		AgreeingFraction: report.Round6(e.AgreeingFraction),
		RowsDated:        e.Rows,
		Confidence:       0.95,
		OpenStart:        e.OpenStart,
		OpenEnd:          e.OpenEnd,
		SnapshotsOnly:    e.SnapshotsOnly,
	}
	var notes []string
	if e.OpenEnd {
		notes = append(notes, "the band reaches the last instant the store knows ("+e.Latest.String()+"): the copy may be later; load newer data to date it")
	}
	if e.OpenStart {
		notes = append(notes, "the band reaches the first instant the store knows: the copy may be earlier")
	}
	if e.SnapshotsOnly {
		var in []string
		for _, d := range snapshots {
			if d >= e.Earliest && d <= e.Latest {
				in = append(in, d.String())
			}
		}
		switch len(in) {
		case 0:
			notes = append(notes, "the store holds snapshots only: the copy falls between two snapshots")
		case 1:
			notes = append(notes, "the store holds snapshots only: the copy shows the register as the "+in[0]+" snapshot holds it; changes are known only to have happened between snapshots, hence the band")
		default:
			notes = append(notes, "the store holds snapshots only: the cut is known to a snapshot or the span between two")
		}
	}
	if e.Disjoint {
		notes = append(notes, fmt.Sprintf("%d other stretches of days agree with nearly as many rows (the rows are consistent with several cuts)", len(e.Runs)-1))
	}
	c.Note = strings.Join(notes, "; ")
	// The curve for charts: every step within 120 days of the band, at most
	// about 600 others.
	step := max(1, len(e.Curve)/600)
	for i, p := range e.Curve {
		near := p.Day >= e.Earliest-120 && p.Day <= e.Latest+120
		if near || i%step == 0 || i == len(e.Curve)-1 {
			c.Curve = append(c.Curve, report.CurvePoint{Day: p.Day.String(), Count: p.Count})
		}
	}
	if c.Curve == nil {
		c.Curve = []report.CurvePoint{}
	}
	return c
}

// attributionStatus decides the overall status and what to say about it.
//
// est is the file's cut and other a second cut mixed in (nil when none).
func attributionStatus(rep *report.Report, rels []Release, est, other *dating.Estimate, visible []bool, s *register.Schema, n int) (string, string) {
	if acc := rep.Accused(); len(acc) > 0 {
		names := make([]string, len(acc))
		for i, a := range acc {
			names[i] = a.Recipient
		}
		var notes []string
		if len(acc) > 1 {
			// one recipient's copies of two cuts are not collusion
			byWho := map[string][]string{}
			var who []string
			for _, a := range acc {
				if byWho[a.Recipient] == nil {
					who = append(who, a.Recipient)
				}
				byWho[a.Recipient] = append(byWho[a.Recipient], a.AsOf)
			}
			var copies []string
			for _, w := range who {
				if len(byWho[w]) > 1 {
					copies = append(copies, fmt.Sprintf("%s's copies of %s", w, strings.Join(byWho[w], " and ")))
				} else {
					copies = append(copies, w+"'s copy")
				}
			}
			note := strings.Join(copies, ", ") + " were mixed: each is named by its own fingerprint"
			if len(who) > 1 {
				note = strings.Replace(note, " were mixed", " were mixed (collusion)", 1) + "; a copy that gave few rows may stay unnamed"
			}
			notes = append(notes, note)
		}
		// A cut of the file that no release was made at: the rows of that
		// cut came through no logged copy, whoever else is named.
		// A second cut of a few rows may be a recipient's own updates: it
		// is said only when it explains 5% of the rows that tell the two
		// cuts apart (most rows agree with both: people who did not change
		// between them).
		for k, e := range []*dating.Estimate{est, other} {
			if e == nil || slices.ContainsFunc(rels, func(r Release) bool { return holdsDay(e, r.AsOf) }) {
				continue
			}
			if k == 1 && (rep.Cutoff == nil || len(rep.Cutoff.OtherCuts) == 0 || rep.Cutoff.OtherCuts[0].Share < 0.05) {
				continue
			}
			notes = append(notes, fmt.Sprintf("rows dated %s match no logged release's cut: that part of the file came through a copy not in the ledger (an insider or an unlogged channel); releases cut nearest: %s", bandText(e), nearest(rels, e)))
		}
		return report.StatusAccused, strings.Join(notes, "; ")
	}
	if rep.Verdict == report.NotOurs {
		return report.StatusNotApplicable, "the data does not come from the register: no release applies, and none was scored"
	}
	if len(rels) == 0 {
		return report.StatusNoReleaseMatches, "the ledger logs no release: the data left through no logged copy"
	}
	// Releases cut inside the band, and the best score against its threshold.
	inBand := 0
	bestRatio := 0.0
	var best *report.Attribution
	for i, a := range rep.Attribution {
		if a.Evidence.CutAgrees {
			inBand++
		}
		if a.Threshold > 0 && a.Strength()/a.Threshold > bestRatio {
			bestRatio = a.Strength() / a.Threshold
			best = &rep.Attribution[i]
		}
	}
	if est != nil && inBand == 0 && bestRatio < 0.5 {
		return report.StatusNoReleaseMatches, fmt.Sprintf("the data is from the register as of %s, but no logged release was cut then: an insider or an unlogged channel. Releases cut nearest: %s",
			bandText(est), nearest(rels, est))
	}
	// Evidence strength grows about linearly with the rows of one copy. A
	// candidate is named only when its evidence stands out from chance
	// (its bound, over every release and carrier tested, at most 10⁻³):
	// among many releases one always scores best.
	addrVisible := false
	for _, i := range s.WithRole(register.RoleAddress) {
		if visible[i] {
			addrVisible = true
		}
	}
	// every release's marks would name its copy already (a release without
	// an address field has no marks to name it by: it does not count)
	enough, marked := addrVisible, 0
	fieldsOf := map[string][]string{}
	for _, r := range rels {
		fieldsOf[r.ID] = r.Fields
	}
	for _, a := range rep.Attribution {
		if !hasAddress(s, fieldsOf[a.ReleaseID]) {
			continue
		}
		marked++
		if a.Evidence.MarksNeeded == 0 || a.Evidence.Marks < a.Evidence.MarksNeeded {
			enough = false
		}
	}
	enough = enough && marked > 0
	formsErased := slices.ContainsFunc(rep.Attribution, func(a report.Attribution) bool { return a.Evidence.FormsErased })
	var what []string
	switch {
	case bestRatio > 0.05 && bestRatio < 1 && best.Strength() >= candidateStrength:
		need := int(math.Ceil(float64(n) / bestRatio * 1.2))
		what = append(what, fmt.Sprintf("the strongest candidate is %s (%s), at %.0f%% of the evidence needed: about %d rows of the same copy would suffice", best.Recipient, best.ReleaseID, 100*bestRatio, need))
	case formsErased:
		what = append(what, "no release's fingerprint stands out from chance; the file writes every address form one way (canonicalised), which erases the marks they carried: more rows of the same copy could still hold one of its canaries, or show the order it was released in")
	case enough:
		what = append(what, "no release's fingerprint stands out from chance, though the file's address forms hold enough marks to name any logged copy: they agree with none, so they were rewritten, or the rows came through a copy not in the ledger. More rows of the same copy could still hold one of its canaries, or show the order it was released in")
	case !addrVisible:
		what = append(what, "no release's fingerprint stands out from chance; the file has no address column, where most of the fingerprint lives: more rows would help only in the order the copy was released (or rows with their addresses)")
	default:
		what = append(what, "no release's fingerprint stands out from chance; more rows of the same copy would be needed")
	}
	if best != nil {
		what = append(what, best.Evidence.Missing...)
	}
	var erased []string
	if !addrVisible {
		erased = append(erased, "address abbreviations (no address column)")
	} else if formsErased {
		erased = append(erased, "address abbreviations (canonicalised)")
	}
	if len(erased) > 0 {
		what = append(what, "carriers erased: "+strings.Join(erased, ", "))
	}
	return report.StatusInconclusive, "no recipient can be accused without risking an innocent one; " + strings.Join(what, "; ")
}

// hasAddress reports whether a release of fields (none: every field) holds
// an address field, where the marks live.
func hasAddress(s *register.Schema, fields []string) bool {
	if len(fields) == 0 {
		return true
	}
	for _, i := range s.WithRole(register.RoleAddress) {
		if slices.Contains(fields, s.Fields[i].Name) {
			return true
		}
	}
	return false
}

// nearest names the releases whose as-of is closest to the estimate: those
// of the three nearest cuts, all of a cut's together (ten parties given
// copies on one day are equally near; naming three would single them out).
func nearest(rels []Release, est *dating.Estimate) string {
	byDay := map[register.Date][]Release{}
	var days []register.Date
	for _, r := range rels {
		if byDay[r.AsOf] == nil {
			days = append(days, r.AsOf)
		}
		byDay[r.AsOf] = append(byDay[r.AsOf], r)
	}
	dist := func(d register.Date) int {
		switch {
		case d < est.Earliest:
			return int(est.Earliest - d)
		case d > est.Latest:
			return int(d - est.Latest)
		}
		return 0
	}
	slices.SortFunc(days, func(a, b register.Date) int {
		if da, db := dist(a), dist(b); da != db {
			return da - db
		}
		return int(a - b)
	})
	var parts []string
	for _, d := range days[:min(len(days), 3)] {
		rs := byDay[d]
		if len(rs) == 1 {
			parts = append(parts, fmt.Sprintf("%s (%s, %s, %s away)", rs[0].Recipient, rs[0].ID, d, plural(dist(d), "day")))
			continue
		}
		parts = append(parts, fmt.Sprintf("the %d releases of %s (%s away)", len(rs), d, plural(dist(d), "day")))
	}
	return strings.Join(parts, "; ")
}

// bandText is an estimate's band: one day, or the span; open on a side
// the store's knowledge ends at.
func bandText(e *dating.Estimate) string {
	t := e.Earliest.String()
	if e.Latest != e.Earliest {
		t += " … " + e.Latest.String()
	}
	switch {
	case e.OpenStart && e.OpenEnd:
		t += " (or earlier, or later: the store knows no more)"
	case e.OpenStart:
		t += " or earlier (the store knows no earlier data)"
	case e.OpenEnd:
		t += " or later (the store knows no later data)"
	}
	return t
}

func limitations(rep *report.Report, cfg Config, est *dating.Estimate, anyDist bool, probRows, unexamined, n, maxObs int, linkFields string) []string {
	out := []string{
		"The register known to the store runs from " + cfg.Known.First.String() + " to " + cfg.Known.Last.String() + "; nothing is known of it outside that span.",
	}
	if rep.Input.Truncated {
		out = append(out, fmt.Sprintf("The file is truncated (it ends in the middle of a record or of its compression stream): only the %d rows before the cut were analysed.", rep.Input.Rows))
	}
	if rep.Input.Skipped > 0 {
		var what []string
		for _, p := range rep.Input.SkippedParts[:min(len(rep.Input.SkippedParts), 5)] {
			if p.Line > 0 {
				what = append(what, fmt.Sprintf("line %d: %s", p.Line, p.Reason))
			} else {
				what = append(what, p.Reason)
			}
		}
		l := fmt.Sprintf("%d parts of the file were skipped", rep.Input.Skipped)
		if len(what) > 0 {
			l += " (" + strings.Join(what, "; ")
			if rep.Input.Skipped > len(what) {
				l += "; …"
			}
			l += ")"
		}
		out = append(out, l+".")
	}
	if !anyDist {
		out = append(out, "The file holds only identity fields (names, CURP, birth date): they are the same in every register of these people, so they cannot show by themselves that the copy is ours.")
	}
	if probRows > 0 {
		out = append(out, fmt.Sprintf("%s %s linked without a usable key, by probabilistic linkage on %s; such links can be wrong.", plural(probRows, "row"), wasWere(probRows), linkFields))
	}
	if unexamined > 0 {
		out = append(out, fmt.Sprintf("%d rows that no CURP or clave linked were not examined: probabilistic linkage holds at most %d rows past the first %d, in file order, and runs only when its index of the register fits in memory beside the rows. The verdict and the cut-off rest on the rows examined, and the exposure counts only the people matched, so it is a lower bound.", unexamined, 2*maxObs, maxObs))
	}
	if n > maxObs {
		out = append(out, fmt.Sprintf("Attribution read the first %d rows of the file and its unmatched rows.", maxObs))
	}
	if est != nil && est.SnapshotsOnly {
		out = append(out, "The store holds snapshots only: a change is known to have happened between two snapshots, not on which day.")
	}
	switch {
	case rep.Cutoff != nil:
		out = append(out, "The cut-off band assumes each row shows the version of its person valid on one day; a file merged from several cuts shows as several peaks.")
	case rep.Verdict == report.Ours || rep.Verdict == report.Partial:
		out = append(out, "The copy is not dated: no row agrees in every field with one version we held (the disagreeing fields are in the match figures), and only such rows date a copy.")
	}
	out = append(out, "The exposure counts and the notification list cover people of the register matched by the analysis; rows from other sources are not counted.")
	return out
}

// columnConfidence is, by schema field, the least confidence of the
// columns mapped to it.
func columnConfidence(cols []report.Column, s *register.Schema) map[int]float64 {
	conf := map[int]float64{}
	for _, c := range cols {
		f := s.Index(c.Field)
		if f < 0 {
			continue
		}
		if x, ok := conf[f]; !ok || c.Confidence < x {
			conf[f] = c.Confidence
		}
	}
	return conf
}

// linkFieldsOf names the visible fields probabilistic linkage compares.
func linkFieldsOf(s *register.Schema, visible []bool) string {
	v := func(names ...string) bool {
		for _, name := range names {
			if i := s.Index(name); i >= 0 && visible[i] {
				return true
			}
		}
		return false
	}
	var parts []string
	for _, g := range []struct {
		what  string
		names []string
	}{
		{"names", []string{register.FNombre, register.FPaterno, register.FMaterno}},
		{"birth date", []string{register.FNacimiento}},
		{"sex", []string{register.FSexo}},
		{"entidad", []string{register.FEntidad}},
		{"sección", []string{register.FSeccion}},
		{"address", []string{register.FCalle, register.FColonia, register.FCodigoPostal}},
		{"credential", []string{register.FCIC, register.FOCR}},
	} {
		if v(g.names...) {
			parts = append(parts, g.what)
		}
	}
	switch len(parts) {
	case 0:
		return "what the file holds"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// withoutKeys is a copy of rec with its CURP and clave (at iCURP and iClave,
// -1 for none) blank.
func withoutKeys(rec register.Record, iCURP, iClave int) register.Record {
	out := slices.Clone(rec)
	for _, i := range [2]int{iCURP, iClave} {
		if i >= 0 && i < len(out) {
			out[i] = ""
		}
	}
	return out
}

// plural is n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// resemble is "1 more row resembles a person" or "N more rows resemble people".
func resemble(n int) string {
	if n == 1 {
		return "1 more row resembles a person"
	}
	return fmt.Sprintf("%d more rows resemble people", n)
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// comeFromElsewhere says how many rows come from elsewhere.
func comeFromElsewhere(n int) string {
	switch n {
	case 0:
		return "no other row comes from elsewhere"
	case 1:
		return "the other row comes from elsewhere"
	}
	return fmt.Sprintf("the other %d come from elsewhere", n)
}

// canariesFound counts the canary rows attribution found, and whose copies
// planted them ("PARTIDO A's copy", "PARTIDO A's and PARTIDO B's copies").
func canariesFound(atts []report.Attribution) (n int, whose string) {
	var who []string
	for _, a := range atts {
		if a.Evidence.Canaries > 0 {
			n += a.Evidence.Canaries
			who = append(who, a.Recipient+"'s")
		}
	}
	switch len(who) {
	case 0:
		return 0, ""
	case 1:
		return n, who[0] + " copy"
	}
	return n, strings.Join(who[:len(who)-1], ", ") + " and " + who[len(who)-1] + " copies"
}

// mostDisagreeing is the field that disagrees with the matched person's
// version in the most rows, and in how many.
func mostDisagreeing(fields []report.FieldAgreement) (string, int) {
	name, most := "", 0
	for _, f := range fields {
		if off := f.Compared - f.Agreeing; off > most {
			name, most = f.Field, off
		}
	}
	return name, most
}

// canaryRowsText is "1 row is a canary of X's copy (a person only that
// copy holds)", or its plural.
func canaryRowsText(n int, whose string) string {
	only := "that copy holds"
	if strings.HasSuffix(whose, "copies") {
		only = "one of those copies holds"
	}
	if n == 1 {
		return fmt.Sprintf("1 row is a canary of %s (a person only %s)", whose, only)
	}
	return fmt.Sprintf("%d rows are canaries of %s (people only %s)", n, whose, only)
}

// mangled tells whether the values of field f in the first rows are, nine
// in ten, not values at all but what a tool made of them: a number in
// scientific notation (a spreadsheet's 6.65892E+11 for an OCR) or JSON text.
func mangled(obs []Observation, f int) bool {
	seen, bad := 0, 0
	for _, o := range obs[:min(len(obs), 5000)] {
		if f >= len(o.Leaked) || o.Leaked[f] == "" {
			continue
		}
		seen++
		if v := o.Leaked[f]; v[0] == '{' || v[0] == '[' || sciNotation(v) {
			bad++
		}
	}
	return seen > 0 && 10*bad >= 9*seen
}

// sciNotation: d.dddE±dd, as a spreadsheet writes a long number.
func sciNotation(v string) bool {
	i := strings.IndexAny(v, "Ee")
	if i < 1 {
		return false
	}
	mant, exp := v[:i], strings.TrimPrefix(strings.TrimPrefix(v[i+1:], "+"), "-")
	if exp == "" || strings.Trim(exp, "0123456789") != "" {
		return false
	}
	dot := strings.IndexByte(mant, '.')
	return dot != 0 && strings.Trim(strings.Replace(mant, ".", "", 1), "0123456789") == "" && len(strings.Replace(mant, ".", "", 1)) > 0
}

// holdsDay tells whether day d may be the cut e dates: inside its band, or
// past a side the store's knowledge ends at.
func holdsDay(e *dating.Estimate, d register.Date) bool {
	return (d >= e.Earliest || e.OpenStart) && (d <= e.Latest || e.OpenEnd)
}
