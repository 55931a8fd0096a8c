package benchspeed

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/huella/huella/internal/register"
)

// Config describes one benchmark run.
type Config struct {
	Huella   string // the huella binary whose commands are measured
	Work     string // folder for the run's files (one subfolder per size)
	People   []int  // register sizes, each measured in turn
	Seed     uint64 // synth seed
	Postgres string // PostgreSQL's binary folder (FindPostgres); "" skips PostgreSQL
	// SampleRuns is how many times the 1,000-row sample is analysed (the
	// median is reported); 0 means 3.
	SampleRuns int
	// DumpRuns is how many times the full dump is analysed and, in turn
	// with it, copied into and joined by PostgreSQL (the median of each is
	// reported); 0 means 3.
	DumpRuns int
	Keep     bool // keep the files of each size
	Command  string
	// Progress, if not nil, is told each step as it starts.
	Progress func(step string)
	// SizeDone, if not nil, is given the run so far after each size, so
	// that a long run can record what it measured before it ends.
	SizeDone func(run *Run)
}

// Measure is one measured step: wall-clock seconds, CPU seconds (user +
// system, all threads) and peak resident memory in MiB (0: not measured).
type Measure struct {
	Wall float64 `json:"wall_s"`
	CPU  float64 `json:"cpu_s"`
	RSS  float64 `json:"peak_rss_mib,omitempty"`
}

// PGMeasure is one PostgreSQL session: psql's wall time, each statement's
// time (psql \timing) and the backend's CPU and peak RSS.
type PGMeasure struct {
	Wall       float64            `json:"wall_s"`
	Statements map[string]float64 `json:"statements_s"`
	BackendCPU float64            `json:"backend_cpu_s"`
	BackendRSS float64            `json:"backend_peak_rss_mib"`
	DiskMB     float64            `json:"disk_mib,omitempty"`
}

// Analysis is one measured `huella analyze` and what it answered.
type Analysis struct {
	Measure
	Runs              []float64 `json:"runs_wall_s,omitempty"`
	Rows              int64     `json:"rows"`
	Verdict           string    `json:"verdict"`
	AttributionStatus string    `json:"attribution_status"`
	Accused           []string  `json:"accused"`
	Error             string    `json:"error,omitempty"` // the analysis failed (e.g. killed when out of memory)
}

// Size is everything measured for one register size.
type Size struct {
	People     int     `json:"people"`
	Rows       int64   `json:"register_rows"` // rows of the snapshot (the register at the cut)
	CopyRows   int64   `json:"copy_rows"`     // rows of the released copy (canaries included)
	CopyMB     float64 `json:"copy_mib"`
	LoadBefore float64 `json:"loadavg_before"`
	LoadAfter  float64 `json:"loadavg_after"`

	Synth    Measure    `json:"synth"`
	Load     Measure    `json:"load"`
	StoreMB  float64    `json:"store_mib"`
	PGLoad   *PGMeasure `json:"pg_load,omitempty"`
	Unmarked Measure    `json:"unmarked"`
	Release  Measure    `json:"release"`
	// Rounds of the release comparison (wall seconds, each round one of
	// each, alternating which goes first); Unmarked and Release are the
	// fastest round of each.
	UnmarkedRounds []float64  `json:"unmarked_rounds_s"`
	ReleaseRounds  []float64  `json:"release_rounds_s"`
	Sample         Analysis   `json:"sample"`
	Dump           Analysis   `json:"dump"`
	PGJoin         *PGMeasure `json:"pg_join,omitempty"`
	PGJoinRuns     []float64  `json:"pg_join_runs_wall_s,omitempty"`
	PGMatched      int64      `json:"pg_matched,omitempty"`
	Floor          Measure    `json:"floor"`
	FloorRows      int64      `json:"floor_rows"`
}

// Machine describes where a run happened.
type Machine struct {
	CPU      string  `json:"cpu"`
	Cores    int     `json:"cores"`
	MemGiB   float64 `json:"mem_gib"`
	Kernel   string  `json:"kernel"`
	Go       string  `json:"go"`
	Postgres string  `json:"postgres,omitempty"`
}

// Run is one invocation of the benchmark: its sizes were measured one
// after the other on the same machine.
type Run struct {
	Start   time.Time `json:"start"`
	Seconds float64   `json:"seconds"`
	Command string    `json:"command"`
	Seed    uint64    `json:"seed"`
	Machine Machine   `json:"machine"`
	Sizes   []Size    `json:"sizes"`
}

// The synthetic register: a short history so that synth's time is mostly
// people, cut on the snapshot day that is loaded and released.
const (
	synthStart = "2018-01-01"
	cutDay     = "2018-02-15"
	sampleRows = 1000
)

// Recipients of the two releases; the leak is the first one's copy.
var recipients = [2]string{"PARTIDO A", "PARTIDO B"}

type runner struct {
	cfg Config
	pg  *Postgres
}

// Execute runs the benchmark for every size of cfg.People. On an error it
// returns the run with the sizes measured before it, and the error.
func Execute(ctx context.Context, cfg Config) (*Run, error) {
	if cfg.SampleRuns <= 0 {
		cfg.SampleRuns = 3
	}
	if cfg.DumpRuns <= 0 {
		cfg.DumpRuns = 3
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if len(cfg.People) == 0 {
		return nil, errors.New("bench speed: no register size")
	}
	r := &runner{cfg: cfg}
	run := &Run{Start: time.Now().UTC(), Command: cfg.Command, Seed: cfg.Seed, Machine: machine()}
	if err := os.MkdirAll(cfg.Work, 0o755); err != nil {
		return nil, err
	}
	if cfg.Postgres != "" {
		// The server runs as another user when this is root: it must enter
		// the folder to create its own and to read the files it COPYs.
		if err := os.Chmod(cfg.Work, 0o755); err != nil {
			return nil, err
		}
		r.progress("starting PostgreSQL")
		pg, err := StartPostgres(ctx, cfg.Postgres, cfg.Work)
		if err != nil {
			return nil, err
		}
		r.pg = pg
		run.Machine.Postgres = pg.Version
		defer pg.Stop()
	}
	for _, n := range cfg.People {
		s, err := r.size(ctx, n)
		if err != nil {
			// The sizes measured so far are kept: the caller may record them.
			run.Seconds = time.Since(run.Start).Seconds()
			return run, fmt.Errorf("bench speed, %d people: %w", n, err)
		}
		run.Sizes = append(run.Sizes, *s)
		run.Seconds = time.Since(run.Start).Seconds()
		if cfg.SizeDone != nil {
			cfg.SizeDone(run)
		}
	}
	return run, nil
}

func (r *runner) progress(format string, a ...any) {
	if r.cfg.Progress != nil {
		r.cfg.Progress(fmt.Sprintf(format, a...))
	}
}

var loadedRows = regexp.MustCompile(`: (\d+) rows:`)

// size measures one register size in cfg.Work/<people>.
func (r *runner) size(ctx context.Context, people int) (*Size, error) {
	dir := filepath.Join(r.cfg.Work, strconv.Itoa(people))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if !r.cfg.Keep {
		defer os.RemoveAll(dir)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	s := &Size{People: people, LoadBefore: loadAvg()}
	ws := filepath.Join(dir, "ws")
	snapDir := filepath.Join(dir, "synth")
	snap := filepath.Join(snapDir, "snapshot-"+cutDay+".csv")

	r.progress("%d people: synth", people)
	m, _, err := r.huella(ctx, "synth", "--people", strconv.Itoa(people), "--seed", strconv.FormatUint(r.cfg.Seed, 10),
		"--start", synthStart, "--end", cutDay, "--snapshots", cutDay, "--out", snapDir)
	if err != nil {
		return nil, err
	}
	s.Synth = m
	os.Remove(filepath.Join(snapDir, "history.csv"))

	if _, _, err := r.huella(ctx, "init", "--dir", ws); err != nil {
		return nil, err
	}
	r.progress("%d people: huella load", people)
	m, out, err := r.huella(ctx, "load", "--dir", ws, snap)
	if err != nil {
		return nil, err
	}
	s.Load = m
	if g := loadedRows.FindSubmatch(out); g != nil {
		s.Rows, _ = strconv.ParseInt(string(g[1]), 10, 64)
	}
	s.StoreMB = duMB(filepath.Join(ws, "store"))

	cols, err := csvHeader(snap)
	if err != nil {
		return nil, err
	}
	if r.pg != nil {
		r.progress("%d people: PostgreSQL COPY + index on curp", people)
		if err := r.pg.CanRead(snap); err != nil {
			return nil, err
		}
		run, err := r.pg.Exec(ctx, "BEGIN", createTable("padron", cols), copyFrom("padron", snap),
			"CREATE INDEX padron_curp ON padron (curp)", "COMMIT")
		if err != nil {
			return nil, err
		}
		s.PGLoad = pgMeasure(run, "", "create", "copy", "index", "commit")
		s.PGLoad.DiskMB = r.pg.DiskMB()
		// Untimed: the register is then "already loaded, indexed", with
		// planner statistics, for the join below.
		if _, err := r.pg.Exec(ctx, "ANALYZE padron"); err != nil {
			return nil, err
		}
	}
	os.Remove(snap)

	// Release vs unmarked write: two rounds, alternating which goes first.
	copies := [2]string{filepath.Join(dir, "copy-a.csv"), filepath.Join(dir, "copy-b.csv")}
	for round := range 2 {
		for k := range 2 {
			if (k == 0) == (round == 0) {
				r.progress("%d people: unmarked write, round %d", people, round+1)
				plain := filepath.Join(dir, "plain.csv")
				c0 := selfCPU()
				t0 := time.Now()
				if _, err := WriteUnmarked(ctx, ws, register.MustDate(cutDay), plain); err != nil {
					return nil, err
				}
				wall := time.Since(t0).Seconds()
				s.UnmarkedRounds = append(s.UnmarkedRounds, wall)
				if round == 0 || wall < s.Unmarked.Wall {
					s.Unmarked = Measure{Wall: wall, CPU: selfCPU() - c0}
				}
				os.Remove(plain)
				continue
			}
			r.progress("%d people: release, round %d", people, round+1)
			m, _, err := r.huella(ctx, "release", "--dir", ws, "--recipient", recipients[round], "--as-of", cutDay, "--out", copies[round], "--json")
			if err != nil {
				return nil, err
			}
			s.ReleaseRounds = append(s.ReleaseRounds, m.Wall)
			if round == 0 || m.Wall < s.Release.Wall {
				s.Release = m
			}
		}
	}
	os.Remove(copies[1])
	leak := copies[0]
	if fi, err := os.Stat(leak); err == nil {
		s.CopyMB = float64(fi.Size()) / (1 << 20)
	}
	sample := filepath.Join(dir, "sample-1000.csv")
	if err := headLines(leak, sample, sampleRows+1); err != nil {
		return nil, err
	}

	var samples []*Analysis
	for i := range r.cfg.SampleRuns {
		r.progress("%d people: analyze a %d-row sample, run %d of %d", people, sampleRows, i+1, r.cfg.SampleRuns)
		a, err := r.analyze(ctx, ws, sample, filepath.Join(dir, "sample.json"))
		if err != nil {
			return nil, err
		}
		samples = append(samples, a)
	}
	s.Sample = medianRun(samples)

	// The full dump and PostgreSQL's COPY + JOIN of it, in turn, DumpRuns
	// times each: the machine's speed drifts by minutes, and each figure
	// is the median run. Each analysis starts with no case folder, as the
	// first analysis of a leak does (the later ones find it in the ledger
	// and do not log it again).
	var dumps []*Analysis
	var joins []*PGMeasure
	for i := range r.cfg.DumpRuns {
		r.progress("%d people: analyze the full dump, run %d of %d", people, i+1, r.cfg.DumpRuns)
		if err := os.RemoveAll(filepath.Join(ws, "cases")); err != nil {
			return nil, err
		}
		a, err := r.analyze(ctx, ws, leak, filepath.Join(dir, "dump.json"))
		if err != nil {
			return nil, err
		}
		dumps = append(dumps, a)
		if a.Error != "" {
			break // one failure is the figure (out of memory, say)
		}
		if r.pg == nil {
			continue
		}
		r.progress("%d people: PostgreSQL COPY of the dump + JOIN on curp, run %d of %d", people, i+1, r.cfg.DumpRuns)
		if err := r.pg.CanRead(leak); err != nil {
			return nil, err
		}
		run, err := r.pg.Exec(ctx, "BEGIN", createTable("leak", cols), copyFrom("leak", leak), "ANALYZE leak", joinQuery(cols), "COMMIT")
		if err != nil {
			return nil, err
		}
		joins = append(joins, pgMeasure(run, "", "create", "copy", "analyze", "join", "commit"))
		if len(run.Rows) == 1 && len(run.Rows[0]) == 2 {
			s.PGMatched, _ = strconv.ParseInt(run.Rows[0][0], 10, 64)
		}
		if _, err := r.pg.Exec(ctx, "DROP TABLE leak"); err != nil {
			return nil, err
		}
	}
	s.Dump = medianRun(dumps)
	s.CopyRows = s.Dump.Rows
	if len(joins) > 0 {
		s.PGJoin = medianOf(joins, func(m *PGMeasure) float64 { return m.Wall })
		for _, m := range joins {
			s.PGJoinRuns = append(s.PGJoinRuns, m.Wall)
		}
		if _, err := r.pg.Exec(ctx, "DROP TABLE padron"); err != nil {
			return nil, err
		}
	}

	r.progress("%d people: floor parse of the dump", people)
	c0 := selfCPU()
	t0 := time.Now()
	fl, err := ParseFloor(ctx, leak, 0)
	if err != nil {
		return nil, err
	}
	s.Floor = Measure{Wall: time.Since(t0).Seconds(), CPU: selfCPU() - c0}
	s.FloorRows = fl.Rows
	if s.CopyRows == 0 {
		s.CopyRows = fl.Rows
	}
	s.LoadAfter = loadAvg()
	return s, nil
}

// huella runs one huella command as a child process and measures it.
func (r *runner) huella(ctx context.Context, args ...string) (Measure, []byte, error) {
	cmd := exec.CommandContext(ctx, r.cfg.Huella, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	m := Measure{Wall: time.Since(t0).Seconds()}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			m.CPU = tv(ru.Utime) + tv(ru.Stime)
			m.RSS = float64(ru.Maxrss) / 1024 // Linux: KiB
		}
	}
	if err != nil {
		return m, nil, fmt.Errorf("huella %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return m, stdout.Bytes(), nil
}

// analyze runs huella analyze on path and reads its JSON report.
func (r *runner) analyze(ctx context.Context, ws, path, jsonOut string) (*Analysis, error) {
	os.Remove(jsonOut)
	m, _, err := r.huella(ctx, "analyze", "--dir", ws, path, "--json", jsonOut)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		// A failed analysis is a figure too (how long, how much memory
		// before it died): recorded, and the run goes on.
		msg := err.Error()
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		return &Analysis{Measure: m, Accused: []string{}, Error: msg}, nil
	}
	b, err := os.ReadFile(jsonOut)
	if err != nil {
		return nil, err
	}
	var rep struct {
		Input struct {
			Rows int64 `json:"rows"`
		} `json:"input"`
		Verdict           string `json:"verdict"`
		AttributionStatus string `json:"attribution_status"`
		Attribution       []struct {
			Recipient string `json:"recipient"`
			Accused   bool   `json:"accused"`
		} `json:"attribution"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("read %s: %w", jsonOut, err)
	}
	a := &Analysis{Measure: m, Rows: rep.Input.Rows, Verdict: rep.Verdict, AttributionStatus: rep.AttributionStatus, Accused: []string{}}
	for _, at := range rep.Attribution {
		if at.Accused {
			a.Accused = append(a.Accused, at.Recipient)
		}
	}
	return a, nil
}

// Correct reports whether an analysis answered what the benchmark's leak
// is: ours, and the first recipient's copy, nobody else accused.
func (a *Analysis) Correct() bool {
	return a.Error == "" && a.Verdict == "ours" && len(a.Accused) == 1 && a.Accused[0] == recipients[0]
}

// medianOf is the median of xs by key (the upper one of an even number).
func medianOf[T any](xs []*T, key func(*T) float64) *T {
	s := slices.Clone(xs)
	slices.SortStableFunc(s, func(a, b *T) int { return cmp.Compare(key(a), key(b)) })
	return s[len(s)/2]
}

// medianRun is the run of median wall time, with every run's wall time
// in Runs (in the order run).
func medianRun(runs []*Analysis) Analysis {
	a := *medianOf(runs, func(a *Analysis) float64 { return a.Wall })
	a.Runs = nil
	for _, r := range runs {
		a.Runs = append(a.Runs, r.Wall)
	}
	return a
}

func pgMeasure(run *SQLRun, names ...string) *PGMeasure {
	m := &PGMeasure{Wall: run.Wall, BackendCPU: run.BackendCPU, BackendRSS: run.BackendHWM, Statements: map[string]float64{}}
	for i, t := range run.Statements {
		if i < len(names) && names[i] != "" {
			m.Statements[names[i]] = t
		}
	}
	return m
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func selfCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return tv(ru.Utime) + tv(ru.Stime)
}

// quoteIdent quotes a column name for SQL.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func createTable(name string, cols []string) string {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = quoteIdent(c) + " text"
	}
	return "CREATE TABLE " + name + " (" + strings.Join(defs, ", ") + ")"
}

func copyFrom(table, path string) string {
	return "COPY " + table + " FROM " + quoteLiteral(path) + " WITH (FORMAT csv, HEADER true)"
}

// joinQuery is what an analyst asks PostgreSQL of a leak: how many of its
// rows have a CURP of the register, and how many agree with it on every
// field.
func joinQuery(cols []string) string {
	eq := make([]string, 0, len(cols))
	for _, c := range cols {
		if c != "curp" {
			eq = append(eq, "l."+quoteIdent(c)+" IS NOT DISTINCT FROM p."+quoteIdent(c))
		}
	}
	return "SELECT count(*), count(*) FILTER (WHERE " + strings.Join(eq, " AND ") + ") FROM leak l JOIN padron p ON p.curp = l.curp"
}

func csvHeader(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("read header of %s: %w", path, err)
	}
	return strings.Split(strings.TrimRight(line, "\r\n"), ","), nil
}

// headLines copies the first n lines of src to dst.
func headLines(src, dst string, n int) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	br := bufio.NewReader(in)
	bw := bufio.NewWriter(out)
	for range n {
		line, err := br.ReadBytes('\n')
		bw.Write(line)
		if err == io.EOF {
			break
		}
		if err != nil {
			out.Close()
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func duMB(dir string) float64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return float64(n) / (1 << 20)
}

func loadAvg() float64 {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				f := strings.Fields(line)
				if len(f) >= 2 {
					kb, _ := strconv.ParseFloat(f[1], 64)
					m.MemGiB = kb / (1 << 20)
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}
