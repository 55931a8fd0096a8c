// Package synth makes a synthetic INE padrón electoral with its history: no
// real person is in it, but it looks and changes like the real register, so
// every other part of huella can be built and tested on it.
//
// # What is generated
//
// Config.People people are in the register at Config.Start; people then
// register, come back, move, replace credentials, correct names, die or lose
// their credential until Config.End. Every person is simulated independently
// from a generator seeded with (Config.Seed, person id) — a PCG from
// math/rand/v2 — so the output is the same, byte for byte, for a seed, and
// the people are generated in parallel. Person ids are 1..N for the initial
// register, then the people who appear later.
//
//   - names: surnames from a frequency table with Mexico's shape (HERNANDEZ
//     ≈4% of surnames, then GARCIA, MARTINEZ, LOPEZ, GONZALEZ, ...; a few
//     hundred listed, then a Zipf tail of 8,800 syllable-made surnames);
//     given names by sex with compound ones (MARIA GUADALUPE, JOSE LUIS,
//     MA. DE LOURDES); ≈1.1% have one surname. Values are stored as the
//     custodian stores them: ident.Normalize'd (upper case, no accents, Ñ).
//   - ages 18-100 from the 2020 age pyramid; sex 52% M.
//   - geography: entities in proportion to voters; real municipio counts
//     with Zipf sizes; 4-digit sections numbered within the entity (≈1 per
//     1,300 voters at national scale, contiguous per municipio); localidad
//     0001 for urban sections; colonias, streets and postal codes (entity
//     prefix) derived from the section by hashing, the same for every seed.
//   - addresses as people write them: each person has a habit (a random
//     64-bit style drawn once per person) choosing, for every class of package addr (CALLE/C./C, AVENIDA/AV.,
//     SIN NUMERO/S/N/SN, MANZANA/MZ, COLONIA/COL, ...), the long form or an
//     abbreviation (half and half), so both forms of every class are in
//     natural use. ≈4% DOMICILIO CONOCIDO, ≈7% no number, lots MZ n LT n.
//   - identifiers: CURP and clave de elector derived with package ident from
//     the names, birth date, sex and birth state (80% the entity of residence,
//     19% another, 1% NE). The CURP's homonym character is '0' (or 'A' from
//     2000) and is bumped when the 16-letter body is already taken, so every
//     CURP is unique; the clave's last three digits are a homonym digit
//     (bumped the same way) and two random control digits.
//   - credentials: emision (year), CIC (9 digits before 2014, 10 from 2014)
//     and OCR (section + 9 digits), unique per credential.
//
// # Churn (share of the register per month)
//
// The model, and what TestChurn measures on 50,000 people over 2017-2021:
//
//	event               model                                                       measured
//	new registrations   0.28%: turning 18 (72%) or registering late                 0.27%
//	re-incorporations   half of those removed at expiry come back after             0.14%
//	                    30 + Exp(300) days; people removed before the start 0.06%
//	removals            deaths (Gompertz 0.000149·e^(0.0749·age) a year, ≈0.07%),   0.26%
//	                    suspensions 0.003%, expiry (below)
//	moves               0.33%: new address (55% same municipio, 33% same            0.34%
//	                    entity, 12% another) and a new credential
//	replacements        renewals before expiry, lost credentials 0.05%              0.22%
//	name corrections    0.01%: MA. → MARIA, a clerk's letter (Z/S, V/B, Y/I),       0.01%
//	                    a second given name; new CURP/clave when the letters change
//	records changed                                                                 1.23%
//	register growth                                                                 1.8%/year
//
// A credential issued in year Y is valid through Y+10; 40% of holders renew in
// its last year, the rest are removed on 1 January of Y+11 (INE's expiry
// waves). At the start, credentials are 0-10 years old with density
// ∝ 1.6 − 0.11·age. Re-sectioning: ≈0.8% of sections are split on a fixed
// day in 2015-2025; their odd colonias get a new section number after the
// entity's last (a new version with the same credential; the OCR keeps the
// section of issue), so section numbers also date a copy.
//
// # Output
//
// Generate calls emit with every version of every person, by person id then
// valid_from; a version is valid on [ValidFrom, ValidTo) (days) and ValidTo
// is register.NoDate while it is still valid at the end. The history starts at
// Config.Start: the initial people's first versions start there.
//
// WriteFiles writes DIR/history.csv
//
//	person_id,valid_from,valid_to,clave_elector,curp,nombre,...,ocr
//	1,2017-01-01,2019-05-12,GRHRJN...,GAHJ...,JUAN,GARCIA,HERNANDEZ,...
//	1,2019-05-12,,GRHRJN...
//
// and DIR/snapshot-YYYY-MM-DD.csv for each snapshot date: the register as of
// that day (the versions valid that day, by person id), with the header
// register.INE().Names(). No value contains a comma, a quote or a newline.
package synth

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/huella/huella/internal/register"
)

// Config says what to generate.
type Config struct {
	People     int           // people in the register at Start
	Seed       uint64        // same seed, same files
	Start, End register.Date // the simulated period; End > Start
	Snapshots  []register.Date
}

// DefaultConfig is the CLI's default.
func DefaultConfig() Config {
	return Config{People: 10000, Seed: 1, Start: register.MustDate("2017-01-01"), End: register.MustDate("2021-12-31"),
		Snapshots: []register.Date{register.MustDate("2018-06-30"), register.MustDate("2021-06-30")}}
}

// Check reports what is wrong with a configuration.
func (c Config) Check() error {
	if c.People < 0 {
		return fmt.Errorf("synth: %d people", c.People)
	}
	if c.People > 500_000_000 {
		return fmt.Errorf("synth: %d people is more than this generator's identifiers allow (500M)", c.People)
	}
	if c.End <= c.Start {
		return fmt.Errorf("synth: end %s is not after start %s", c.End, c.Start)
	}
	if y, _, _ := c.Start.YMD(); y < 1995 {
		return fmt.Errorf("synth: start %s before 1995", c.Start)
	}
	if y, _, _ := c.End.YMD(); y > 2090 {
		return fmt.Errorf("synth: end %s after 2090", c.End)
	}
	seen := map[register.Date]bool{}
	for _, d := range c.Snapshots {
		if d < c.Start || d > c.End {
			return fmt.Errorf("synth: snapshot %s outside %s..%s", d, c.Start, c.End)
		}
		if seen[d] {
			return fmt.Errorf("synth: snapshot %s twice", d)
		}
		seen[d] = true
	}
	return nil
}

// Total is the number of people generated: the initial register and those
// who appear during the period.
func (c Config) Total() int { return newGen(c).total }

// batchSize is the number of people a worker generates at once.
const batchSize = 2048

// vmeta locates one rendered version in a batch.
type vmeta struct {
	pid      uint64
	from, to register.Date
	off, end int32
	id       int32 // index into batch.ids
}

type batch struct {
	first, n int
	recs     []byte
	vers     []vmeta
	ids      []identifiers
	done     chan struct{}
}

// fill generates people [first, first+n) into b.
func (g *gen) fill(b *batch, src *rand.PCG, r *rng, p *person) {
	b.recs, b.vers, b.ids = b.recs[:0], b.vers[:0], b.ids[:0]
	span := int(g.end - g.start)
	for i := b.first; i < b.first+b.n; i++ {
		pid := uint64(i + 1)
		src.Seed(g.cfg.Seed, mix(pid))
		kind, t0 := 0, g.start
		if i >= g.cfg.People {
			u := r.Float64()
			if u*float64(g.nNew+g.nReinc) < float64(g.nNew) {
				kind, t0 = 1, g.start+1+register.Date(r.IntN(span))
			} else {
				// people removed before the start come back less as time goes on
				x := 1 - math.Sqrt(1-r.Float64())
				kind, t0 = 2, g.start+1+register.Date(x*float64(span-1))
			}
		}
		p.id = pid
		g.newPerson(p, r, kind, t0)
		base := int32(len(b.ids))
		b.ids = append(b.ids, p.ids...)
		for k := range p.versions {
			v := &p.versions[k]
			off := int32(len(b.recs))
			b.recs = g.render(b.recs, p, &v.st)
			b.vers = append(b.vers, vmeta{pid: pid, from: v.from, to: v.to, off: off, end: int32(len(b.recs)), id: base + int32(v.st.idIdx)})
		}
	}
}

// sequencer keeps CURPs and claves unique, in person order.
type sequencer struct {
	curps  counts
	claves counts
}

func newSequencer(n int) *sequencer {
	return &sequencer{curps: newCounts(n), claves: newCounts(n)}
}

// counts is an open-addressing hash table counting keys by a 32-bit
// fingerprint (5 bytes a slot, ≈11 bytes a person for the CURP and the
// clave). Two different keys with the same fingerprint share a counter,
// which only bumps a homonym character more than needed: people with
// equal keys always get distinct counts, so uniqueness holds.
type counts struct {
	keys []uint32
	vals []uint8
	n    int
}

func newCounts(n int) counts {
	size := 1024
	for size < 2*n {
		size *= 2
	}
	return counts{keys: make([]uint32, size), vals: make([]uint8, size)}
}

// inc returns the count of the key with hash h and adds one (saturating at 255).
func (c *counts) inc(h uint64) uint8 {
	k := uint32(h >> 32)
	if k == 0 {
		k = 1 // 0 marks an empty slot
	}
	if 2*c.n >= len(c.keys) {
		old := *c
		*c = newCounts(len(old.keys))
		for i, ok := range old.keys {
			if ok != 0 {
				c.put(ok, old.vals[i])
			}
		}
	}
	mask := uint32(len(c.keys) - 1)
	for i := k & mask; ; i = (i + 1) & mask {
		switch c.keys[i] {
		case k:
			v := c.vals[i]
			if v < 0xff {
				c.vals[i]++
			}
			return v
		case 0:
			c.keys[i], c.vals[i] = k, 1
			c.n++
			return 0
		}
	}
}

func (c *counts) put(k uint32, v uint8) {
	mask := uint32(len(c.keys) - 1)
	i := k & mask
	for c.keys[i] != 0 {
		i = (i + 1) & mask
	}
	c.keys[i], c.vals[i] = k, v
	c.n++
}

func hashString(s string, salt uint64) uint64 {
	h := salt
	for len(s) >= 8 {
		h = mix(h ^ binary.LittleEndian.Uint64([]byte(s[:8])))
		s = s[8:]
	}
	var tail [8]byte
	copy(tail[:], s)
	return mix(h ^ binary.LittleEndian.Uint64(tail[:]) ^ uint64(len(s))<<56)
}

func (s *sequencer) assign(id *identifiers) {
	salt := uint64(1)
	if id.century2 {
		salt = 2
	}
	c := s.curps.inc(hashString(id.curp16, salt))
	if id.century2 {
		id.homonym = 'A' + byte(c%26)
	} else {
		id.homonym = '0' + byte(c%10)
	}
	id.check = checkDigit(id.curp16, id.homonym)
	n := s.claves.inc(hashString(id.clave15, 3))
	id.claveSeq = uint16(n%10)*100 + (uint16(id.ctrl)+uint16(n/10)*37)%100
}

// checkDigit is ident.CURPCheckDigit for a derived body (A-Z, 0-9, no Ñ).
func checkDigit(body16 string, homonym byte) byte {
	val := func(c byte) int {
		switch {
		case c >= '0' && c <= '9':
			return int(c - '0')
		case c <= 'N':
			return int(c-'A') + 10
		}
		return int(c-'O') + 25
	}
	sum := 0
	for i := 0; i < 16; i++ {
		sum += val(body16[i]) * (18 - i)
	}
	sum += val(homonym) * 2
	return byte('0' + (10-sum%10)%10)
}

// patch writes the sequencer's characters into the batch's records.
func (s *sequencer) patch(b *batch) {
	for i := range b.ids {
		s.assign(&b.ids[i])
	}
	for _, v := range b.vers {
		id := &b.ids[v.id]
		r := b.recs[v.off:v.end]
		r[offClaveSeq] = byte('0' + id.claveSeq/100)
		r[offClaveSeq+1] = byte('0' + id.claveSeq/10%10)
		r[offClaveSeq+2] = byte('0' + id.claveSeq%10)
		r[offHomonym] = id.homonym
		r[offCheck] = id.check
	}
}

// run generates every batch in parallel and hands them to sink in order.
func run(ctx context.Context, cfg Config, sink func(b *batch) error, progress func(done, total int)) error {
	if err := cfg.Check(); err != nil {
		return err
	}
	if !sameOrder() {
		return errors.New("synth: register.INE() field order changed; update synth's renderer")
	}
	g := newGen(cfg)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	inFlight := 2 * workers
	free := make(chan *batch, inFlight)
	for i := 0; i < inFlight; i++ {
		free <- &batch{done: make(chan struct{}, 1)}
	}
	jobs := make(chan *batch)
	ordered := make(chan *batch, inFlight)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := rand.NewPCG(0, 0)
			r := rand.New(src)
			var p person
			for b := range jobs {
				g.fill(b, src, r, &p)
				b.done <- struct{}{}
			}
		}()
	}
	go func() {
		defer close(ordered)
		defer close(jobs)
		for first := 0; first < g.total; first += batchSize {
			var b *batch
			select {
			case b = <-free:
			case <-ctx.Done():
				return
			}
			b.first, b.n = first, min(batchSize, g.total-first)
			ordered <- b // capacity inFlight ≥ batches out of free: never blocks
			select {
			case jobs <- b:
			case <-ctx.Done():
				b.done <- struct{}{} // not generated; the reader stops on ctx
				return
			}
		}
	}()
	seq := newSequencer(g.total)
	var err error
	sunk := 0 // people handed to sink
	for b := range ordered {
		<-b.done
		if err == nil {
			err = ctx.Err()
		}
		if err == nil {
			seq.patch(b)
			err = sink(b)
			sunk += b.n
			if err == nil && progress != nil {
				progress(b.first+b.n, g.total)
			}
			if err != nil {
				cancel()
			}
		}
		free <- b
	}
	wg.Wait()
	if err == nil && sunk < g.total {
		// cancelled before the producer queued another batch: the loop
		// ended without meeting the cancellation
		err = ctx.Err()
	}
	return err
}

// sameOrder checks that the renderer's field order is the INE schema's.
func sameOrder() bool {
	want := []string{register.FClave, register.FCURP, register.FNombre, register.FPaterno, register.FMaterno,
		register.FNacimiento, register.FSexo, register.FEntidad, register.FMunicipio, register.FSeccion,
		register.FLocalidad, register.FCalle, register.FNumExterior, register.FNumInterior, register.FColonia,
		register.FCodigoPostal, register.FFechaRegistro, register.FEmision, register.FCIC, register.FOCR}
	return strings.Join(register.INE().Names(), ",") == strings.Join(want, ",")
}

// Generate calls emit with every version of every person, grouped by person
// (ascending PersonID), then by ValidFrom. Each call gets a new Version.
func Generate(ctx context.Context, cfg Config, emit func(v *register.Version) error) error {
	nf := len(register.INE().Fields)
	return run(ctx, cfg, func(b *batch) error {
		for _, m := range b.vers {
			s := string(b.recs[m.off:m.end])
			rec := make(register.Record, 0, nf)
			for {
				i := strings.IndexByte(s, ',')
				if i < 0 {
					rec = append(rec, s)
					break
				}
				rec = append(rec, s[:i])
				s = s[i+1:]
			}
			if err := emit(&register.Version{PersonID: m.pid, ValidFrom: m.from, ValidTo: m.to, Record: rec}); err != nil {
				return err
			}
		}
		return nil
	}, nil)
}

// HistoryFile and SnapshotFile name the files WriteFiles writes.
const HistoryFile = "history.csv"

// SnapshotFile is the name of the snapshot as of d.
func SnapshotFile(d register.Date) string { return "snapshot-" + d.String() + ".csv" }

// WriteFiles writes history.csv and one snapshot file per snapshot date into
// dir (created if missing). progress, if not nil, is called after each batch
// of people with the people done so far and the total.
func WriteFiles(ctx context.Context, cfg Config, dir string, progress func(done, total int)) (err error) {
	if err := cfg.Check(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	type out struct {
		f *os.File
		w *bufio.Writer
	}
	var outs []out
	defer func() {
		for _, o := range outs {
			if o.f == nil {
				continue
			}
			if err == nil {
				if ferr := o.w.Flush(); ferr != nil {
					err = fmt.Errorf("synth: write %s: %w", o.f.Name(), ferr)
				}
			}
			if cerr := o.f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("synth: close %s: %w", o.f.Name(), cerr)
			}
		}
	}()
	open := func(name, header string) (*bufio.Writer, error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("synth: %w", err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		outs = append(outs, out{f, w})
		_, err = w.WriteString(header + "\n")
		return w, err
	}
	header := strings.Join(register.INE().Names(), ",")
	hist, err := open(HistoryFile, "person_id,valid_from,valid_to,"+header)
	if err != nil {
		return err
	}
	snaps := make([]*bufio.Writer, len(cfg.Snapshots))
	for i, d := range cfg.Snapshots {
		if snaps[i], err = open(SnapshotFile(d), header); err != nil {
			return err
		}
	}
	var line []byte
	return run(ctx, cfg, func(b *batch) error {
		for _, v := range b.vers {
			rec := b.recs[v.off:v.end]
			line = appendInt(line[:0], v.pid)
			line = append(line, ',')
			line = appendDate(line, v.from)
			line = append(line, ',')
			if v.to != register.NoDate {
				line = appendDate(line, v.to)
			}
			line = append(line, ',')
			line = append(line, rec...)
			line = append(line, '\n')
			if _, err := hist.Write(line); err != nil {
				return fmt.Errorf("synth: write %s: %w", HistoryFile, err)
			}
			for i, d := range cfg.Snapshots {
				if v.from <= d && d < v.to {
					snaps[i].Write(rec)
					if err := snaps[i].WriteByte('\n'); err != nil {
						return fmt.Errorf("synth: write %s: %w", SnapshotFile(d), err)
					}
				}
			}
		}
		return nil
	}, progress)
}
