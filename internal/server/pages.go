package server

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/huella/huella/internal/exposure"
	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/report"
)

// ---- cases ----

type casesData struct {
	Cases     []*Case
	CanUpload bool
}

func (s *Server) casesPage(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cfg.Cases.List(r.Context())
	if err != nil {
		s.fail(w, r, 500, "err.generic", err)
		return
	}
	s.render(w, r, 200, "cases", "cases.title", casesData{Cases: cs, CanUpload: s.cfg.Analyze != nil})
}

type caseData struct {
	Case      *Case
	Map       template.HTML
	Cutoff    template.HTML
	Entidades []entidadCount
	Statuses  []string
	Published bool
	Flash     string
}

func (d caseData) flash() (string, string) { return d.Flash, "" }

type entidadCount struct {
	Code, Name string
	People     int
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request) {
	c, err := s.cfg.Cases.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.notFoundOr500(w, r, err)
		return
	}
	_, sets, err := s.sets.get()
	if err != nil {
		s.fail(w, r, 500, "err.generic", err)
		return
	}
	d := caseData{Case: c, Statuses: CaseStatuses, Published: sets[c.ID] != nil}
	if r.URL.Query().Get("published") != "" {
		d.Flash = langOf(r).T("case.published")
	}
	counts := map[string]int{}
	for k, v := range c.Report.Affected.ByEntidad {
		if e, ok := entidadOf(k); ok {
			counts[e.Code] += v
		}
	}
	for _, e := range ident.Entidades {
		if counts[e.Code] > 0 {
			d.Entidades = append(d.Entidades, entidadCount{e.Code, e.Name, counts[e.Code]})
		}
	}
	d.Map = mexicoMap(counts, langOf(r))
	d.Cutoff = cutoffChart(c.Report.Cutoff)
	s.render(w, r, 200, "case", "col.case", d)
}

// entidadOf resolves a by_entidad key: INE code, CURP code or name.
func entidadOf(k string) (ident.Entidad, bool) {
	if e, ok := ident.EntidadByCode(k); ok {
		return e, true
	}
	if e, ok := ident.EntidadByCURPCode(strings.ToUpper(k)); ok {
		return e, true
	}
	for _, e := range ident.Entidades {
		if ident.Normalize(e.Name) == ident.Normalize(k) {
			return e, true
		}
	}
	return ident.Entidad{}, false
}

func (s *Server) caseReport(w http.ResponseWriter, r *http.Request) {
	f, err := s.cfg.Cases.ReportHTML(r.Context(), r.PathValue("id"))
	if err != nil {
		s.notFoundOr500(w, r, err)
		return
	}
	defer f.Close()
	// The analysis's report is self-contained and has no script: serve it
	// sandboxed, with inline styles allowed and nothing else.
	// (The page frames it with the iframe sandbox attribute; a CSP sandbox
	// or frame-ancestors 'self' here would refuse the opaque origin.)
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.Copy(w, f)
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request) {
	s.editMeta(w, r, func(m *CaseMeta) error {
		text := strings.TrimSpace(r.PostFormValue("text"))
		if text == "" || len(text) > 10000 {
			return fmt.Errorf("a note has 1 to 10,000 characters")
		}
		m.Notes = append(m.Notes, Note{Author: sessionOf(r).user, Time: time.Now().UTC().Format(time.RFC3339), Text: text})
		return nil
	})
}

func (s *Server) setStatus(w http.ResponseWriter, r *http.Request) {
	s.editMeta(w, r, func(m *CaseMeta) error {
		st := r.PostFormValue("status")
		for _, ok := range CaseStatuses {
			if st == ok {
				m.Status = st
				return nil
			}
		}
		return fmt.Errorf("unknown status %q", st)
	})
}

var metaMu sync.Mutex

func (s *Server) editMeta(w http.ResponseWriter, r *http.Request, edit func(*CaseMeta) error) {
	metaMu.Lock()
	defer metaMu.Unlock()
	id := r.PathValue("id")
	c, err := s.cfg.Cases.Get(r.Context(), id)
	if err != nil {
		s.notFoundOr500(w, r, err)
		return
	}
	m := c.Meta
	if err := edit(&m); err != nil {
		s.fail(w, r, http.StatusBadRequest, "err.generic", err)
		return
	}
	if err := s.cfg.Cases.SaveMeta(r.Context(), id, m); err != nil {
		s.fail(w, r, 500, "err.generic", err)
		return
	}
	http.Redirect(w, r, "/cases/"+id, http.StatusSeeOther)
}

// publish makes the case's affected people checkable on /check.
func (s *Server) publish(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	curps, err := s.cfg.Cases.AffectedCURPs(r.Context(), id)
	if err != nil {
		s.notFoundOr500(w, r, err)
		return
	}
	// About 10,000 CURPs a second on two cores: a national leak takes hours
	// ("huella exposure publish" shows progress); keep the answer waiting.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(12 * time.Hour))
	set, skipped, err := exposure.Publish(s.cfg.Key, id, curps, nil)
	if err != nil {
		s.fail(w, r, 500, "err.generic", err)
		return
	}
	if err := set.Save(s.cfg.Dir); err != nil {
		s.fail(w, r, 500, "err.generic", err)
		return
	}
	s.sets.invalidate()
	s.log.Info("exposure set published", "case", id, "people", set.People, "skipped", skipped, "user", sessionOf(r).user)
	http.Redirect(w, r, "/cases/"+id+"?published=1", http.StatusSeeOther)
}

// ---- uploads and analysis jobs ----

type job struct {
	ID       string `json:"id"`
	Stage    string `json:"stage"`
	Done     int64  `json:"done"`
	Total    int64  `json:"total"`
	Finished bool   `json:"finished"`
	CaseID   string `json:"case_id,omitempty"`
	Error    string `json:"error,omitempty"`
	user     string
	started  time.Time
}

type jobs struct {
	mu sync.Mutex
	m  map[string]*job
}

func (js *jobs) add(user string) *job {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.m == nil {
		js.m = map[string]*job{}
	}
	for k, j := range js.m {
		if j.Finished && time.Since(j.started) > 24*time.Hour {
			delete(js.m, k)
		}
	}
	j := &job{ID: randomToken()[:16], Stage: "queued", user: user, started: time.Now()}
	js.m[j.ID] = j
	return j
}

func (js *jobs) snapshot(id string) (job, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j, ok := js.m[id]
	if !ok {
		return job{}, false
	}
	return *j, true
}

func (js *jobs) update(j *job, f func(*job)) {
	js.mu.Lock()
	f(j)
	js.mu.Unlock()
}

// upload takes the leak file as the raw request body (the page sends it
// with XMLHttpRequest to show upload progress; the file name in the
// X-Filename header), stores it under DIR/uploads/ and starts the analysis.
// It answers {"job": id}; GET /jobs/{id} tells the progress.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Analyze == nil {
		http.Error(w, "this server has no analyser", http.StatusNotImplemented)
		return
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(2 * time.Hour))
	name := filepath.Base(r.Header.Get("X-Filename"))
	if name == "." || name == "/" || name == "" {
		name = "leak"
	}
	dir := filepath.Join(s.cfg.Dir, "uploads")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		s.fail(w, r, 500, "err.generic", err)
		return
	}
	f, err := os.CreateTemp(dir, "upload-*-"+sanitizeName(name))
	if err != nil {
		s.fail(w, r, 500, "err.generic", err)
		return
	}
	n, err := io.Copy(f, http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, fmt.Sprintf("upload larger than %d bytes", s.cfg.MaxUpload), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "upload interrupted", http.StatusBadRequest)
		return
	}
	if n == 0 {
		os.Remove(f.Name())
		http.Error(w, "empty upload", http.StatusBadRequest)
		return
	}
	s.metrics.uploads.Add(1)
	s.metrics.uploadBytes.Add(uint64(n))
	user := sessionOf(r).user
	j := s.jobs.add(user)
	s.log.Info("upload", "user", user, "bytes", n, "job", j.ID)
	go s.runAnalysis(j, f.Name(), name)
	writeJSON(w, http.StatusAccepted, map[string]string{"job": j.ID})
}

func sanitizeName(n string) string {
	var b strings.Builder
	for _, r := range n {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	if b.Len() > 60 {
		return b.String()[:60]
	}
	return b.String()
}

func (s *Server) runAnalysis(j *job, path, name string) {
	defer os.Remove(path)
	s.analyzeMu.Lock()
	defer s.analyzeMu.Unlock()
	start := time.Now()
	id, err := func() (id string, err error) {
		// A bug in the analysis of one odd file must not take the server down.
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("analysis crashed: %v", p)
			}
		}()
		y := s.newYielder()
		return s.cfg.Analyze(s.baseCtx, path, name, func(stage string, done, total int64) {
			s.jobs.update(j, func(j *job) { j.Stage, j.Done, j.Total = stage, done, total })
			y.yield()
		})
	}()
	s.jobs.update(j, func(j *job) {
		j.Finished = true
		if err != nil {
			j.Stage, j.Error = "failed", s.userError(err)
		} else {
			j.Stage, j.CaseID = "done", id
		}
	})
	if err != nil {
		s.log.Warn("analysis failed", "job", j.ID, "err", err)
		return
	}
	s.log.Info("analysis done", "job", j.ID, "case", id, "seconds", math.Round(time.Since(start).Seconds()*10)/10)
}

func (s *Server) jobStatus(w http.ResponseWriter, r *http.Request) {
	j, ok := s.jobs.snapshot(r.PathValue("id"))
	if !ok {
		http.Error(w, "no such job", http.StatusNotFound)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, 200, j)
}

// ---- releases ----

type releasesData struct {
	Available bool
	Releases  []Release
	Profiles  []string
	Flash     string
	Err       string
}

func (d releasesData) flash() (string, string) { return d.Flash, d.Err }

func (s *Server) releasesPage(w http.ResponseWriter, r *http.Request) {
	d := releasesData{Available: s.cfg.Releases != nil, Profiles: s.cfg.Profiles}
	if id := r.URL.Query().Get("issued"); id != "" {
		d.Flash = langOf(r).T("releases.issued") + ": " + id
	}
	if d.Available {
		rs, err := s.cfg.Releases.List(r.Context())
		if err != nil {
			s.fail(w, r, 500, "err.generic", err)
			return
		}
		d.Releases = rs
	}
	s.render(w, r, 200, "releases", "releases.title", d)
}

func (s *Server) issueRelease(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Releases == nil {
		http.Error(w, "releases are not available on this server", http.StatusNotImplemented)
		return
	}
	req := IssueRequest{
		Recipient: strings.TrimSpace(r.PostFormValue("recipient")),
		Profile:   r.PostFormValue("profile"),
		AsOf:      strings.TrimSpace(r.PostFormValue("as_of")),
		Format:    r.PostFormValue("format"),
	}
	if req.Recipient == "" {
		s.fail(w, r, http.StatusBadRequest, "err.generic", errors.New("recipient is required"))
		return
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(time.Hour))
	ctx, cancel := context.WithCancel(s.baseCtx)
	defer cancel()
	rel, err := s.cfg.Releases.Issue(ctx, req)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "err.generic", err)
		return
	}
	s.log.Info("release issued", "id", rel.ID, "recipient", rel.Recipient, "rows", rel.Rows, "user", sessionOf(r).user)
	http.Redirect(w, r, "/releases?issued="+template.URLQueryEscaper(rel.ID), http.StatusSeeOther)
}

func (s *Server) downloadRelease(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Releases == nil {
		http.Error(w, "releases are not available on this server", http.StatusNotImplemented)
		return
	}
	f, rel, err := s.cfg.Releases.Open(r.Context(), r.PathValue("id"))
	if errors.Is(err, ErrChanged) {
		s.log.Warn("release download refused: file changed", "id", r.PathValue("id"), "user", sessionOf(r).user)
		s.fail(w, r, http.StatusConflict, "releases.state.changed", nil)
		return
	}
	if err != nil {
		s.notFoundOr500(w, r, err)
		return
	}
	defer f.Close()
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(2 * time.Hour))
	name := rel.File
	if name == "" {
		name = rel.ID + ".csv"
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", sanitizeName(name)))
	w.Header().Set("Cache-Control", "no-store")
	if rel.Size > 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(rel.Size, 10))
	}
	if _, err := io.Copy(w, f); err != nil {
		// The file changed or failed while being sent: break the
		// connection so that the client sees a broken download.
		s.log.Error("release download failed", "id", rel.ID, "user", sessionOf(r).user, "err", err)
		panic(http.ErrAbortHandler)
	}
	s.log.Info("release downloaded", "id", rel.ID, "user", sessionOf(r).user)
}

// ---- ledger ----

type ledgerData struct {
	Available  bool
	Entries    []LedgerEntry
	Verified   bool
	Checkpoint string
	VerifyErr  string
	Proof      string
	ProofID    string
}

func (s *Server) ledgerPage(w http.ResponseWriter, r *http.Request) {
	s.renderLedger(w, r, ledgerData{})
}

func (s *Server) renderLedger(w http.ResponseWriter, r *http.Request, d ledgerData) {
	d.Available = s.cfg.Ledger != nil
	if d.Available {
		es, err := s.cfg.Ledger.Entries(r.Context())
		if err != nil {
			s.fail(w, r, 500, "err.generic", err)
			return
		}
		d.Entries = es
	}
	s.render(w, r, 200, "ledger", "ledger.title", d)
}

func (s *Server) ledgerVerify(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ledger == nil {
		http.Error(w, "no ledger", http.StatusNotImplemented)
		return
	}
	cp, err := s.cfg.Ledger.Verify(r.Context())
	d := ledgerData{Verified: err == nil, Checkpoint: cp}
	if err != nil {
		d.VerifyErr = s.userError(err)
	}
	s.renderLedger(w, r, d)
}

func (s *Server) ledgerProof(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ledger == nil {
		http.Error(w, "no ledger", http.StatusNotImplemented)
		return
	}
	id := r.PathValue("id")
	p, err := s.cfg.Ledger.Prove(r.Context(), id)
	if err != nil {
		s.notFoundOr500(w, r, err)
		return
	}
	if r.URL.Query().Get("format") == "text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, p)
		return
	}
	s.renderLedger(w, r, ledgerData{Proof: p, ProofID: id})
}

// ---- the map ----

//go:embed mapdata/mexico.json
var mexicoJSON []byte

type svgMap struct {
	ViewBox   string `json:"viewBox"`
	Locations []struct {
		Name string `json:"name"`
		ID   string `json:"id"`
		Path string `json:"path"`
	} `json:"locations"`
}

var mexico = sync.OnceValue(func() svgMap {
	var m svgMap
	if err := json.Unmarshal(mexicoJSON, &m); err != nil {
		panic("server: embedded map: " + err.Error())
	}
	return m
})

// svgIDs maps INE entidad codes to the ids of @svg-maps/mexico.
var svgIDs = map[string]string{
	"01": "agu", "02": "bcn", "03": "bcs", "04": "cam", "05": "coa", "06": "col", "07": "chp", "08": "chh",
	"09": "cmx", "10": "dur", "11": "gua", "12": "gro", "13": "hid", "14": "jal", "15": "mex", "16": "mic",
	"17": "mor", "18": "nay", "19": "nle", "20": "oax", "21": "pue", "22": "que", "23": "roo", "24": "slp",
	"25": "sin", "26": "son", "27": "tab", "28": "tam", "29": "tla", "30": "ver", "31": "yuc", "32": "zac",
}

// mexicoMap draws the states shaded by people (keys: INE codes): white for
// none, then darker red on a square-root scale up to the largest count.
func mexicoMap(counts map[string]int, l Lang) template.HTML {
	m := mexico()
	byID := map[string]int{}
	names := map[string]string{}
	maxN := 0
	for code, n := range counts {
		byID[svgIDs[code]] = n
		maxN = max(maxN, n)
	}
	for _, e := range ident.Entidades {
		names[svgIDs[e.Code]] = e.Name
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="map" viewBox="%s" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, m.ViewBox, template.HTMLEscapeString(l.T("case.map")))
	for _, loc := range m.Locations {
		n := byID[loc.ID]
		fill := "#f4f4f4"
		if n > 0 && maxN > 0 {
			t := math.Sqrt(float64(n) / float64(maxN))
			// from #fde0dd to #a50f15
			rr := int(253 + (165-253)*t)
			gg := int(224 + (15-224)*t)
			bb := int(221 + (21-221)*t)
			fill = fmt.Sprintf("#%02x%02x%02x", rr, gg, bb)
		}
		name := names[loc.ID]
		if name == "" {
			name = loc.Name
		}
		fmt.Fprintf(&b, `<path id="map-%s" d="%s" fill="%s" stroke="#666" stroke-width="0.5" data-people="%d"><title>%s: %s</title></path>`,
			loc.ID, template.HTMLEscapeString(loc.Path), fill, n, template.HTMLEscapeString(name), formatInt(n))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// cutoffChart draws the agreement curve of a report's cut-off: rows that
// agree with a cut on each day (steps), the best band shaded.
func cutoffChart(c *report.Cutoff) template.HTML {
	if c == nil || len(c.Curve) < 2 {
		return ""
	}
	day := func(s string) (float64, bool) {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return 0, false
		}
		return float64(t.Unix() / 86400), true
	}
	var xs []float64
	var ys []int
	maxY := 1
	for _, p := range c.Curve {
		if x, ok := day(p.Day); ok {
			xs = append(xs, x)
			ys = append(ys, p.Count)
			maxY = max(maxY, p.Count)
		}
	}
	if len(xs) < 2 || xs[len(xs)-1] <= xs[0] {
		return ""
	}
	const w, h, pad = 760.0, 180.0, 30.0
	x0, x1 := xs[0], xs[len(xs)-1]
	px := func(x float64) float64 { return pad + (x-x0)/(x1-x0)*(w-2*pad) }
	py := func(y int) float64 { return h - pad - float64(y)/float64(maxY)*(h-2*pad) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="cutoff-chart" viewBox="0 0 %g %g" xmlns="http://www.w3.org/2000/svg" role="img">`, w, h)
	if e, ok1 := day(c.BestEarliest); ok1 {
		if l, ok2 := day(c.BestLatest); ok2 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%g" width="%.1f" height="%g" fill="#fde0dd"/>`, px(max(e, x0)), pad, max(2, px(min(l, x1))-px(max(e, x0))), h-2*pad)
		}
	}
	var d strings.Builder
	for i := range xs {
		if i == 0 {
			fmt.Fprintf(&d, "M%.1f,%.1f", px(xs[i]), py(ys[i]))
			continue
		}
		fmt.Fprintf(&d, " H%.1f V%.1f", px(xs[i]), py(ys[i]))
	}
	fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="#8a1c1c" stroke-width="1.5"/>`, d.String())
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#999"/>`, pad, h-pad, w-pad, h-pad)
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="11">%s</text><text x="%g" y="%g" font-size="11" text-anchor="end">%s</text>`,
		pad, h-8, template.HTMLEscapeString(c.Curve[0].Day), w-pad, h-8, template.HTMLEscapeString(c.Curve[len(c.Curve)-1].Day))
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="11">%d</text></svg>`, pad, pad-6, maxY)
	return template.HTML(b.String())
}

// Analyses of uploads run one at a time (analyzeMu) and, while exposure
// checks are being answered, yield the CPUs at their progress reports: an
// analysis that worked w ≥ 2 ms since its last pause sleeps
// w·(1−AnalysisShare)/AnalysisShare (at most a second) before going on, so
// that it gets about AnalysisShare of its thread's time while the public
// check is busy, and all of it otherwise. This is cooperative: between two
// progress reports (every 100,000 rows in package analysis) the analysis
// runs unchecked.
const AnalysisShare = 0.25

// checksActiveFor is how long after the last evaluation the checks count as
// busy.
const checksActiveFor = time.Second

// markCheck notes that an exposure check is being answered (written only
// when the stored time is stale, to keep the cache line quiet).
func (s *Server) markCheck(now time.Time) {
	ns := now.UnixNano()
	if ns-s.lastCheck.Load() > int64(10*time.Millisecond) {
		s.lastCheck.Store(ns)
	}
}

type yielder struct {
	s      *Server
	mu     sync.Mutex
	since  time.Time
	worked time.Duration // since the last pause
}

// minYield is the least work worth a pause: sleeping for a few
// microseconds would cost the scheduler more than it leaves to the checks.
const minYield = 2 * time.Millisecond

func (s *Server) newYielder() *yielder { return &yielder{s: s, since: time.Now()} }

func (y *yielder) yield() {
	y.mu.Lock()
	defer y.mu.Unlock()
	now := time.Now()
	y.worked += now.Sub(y.since)
	y.since = now
	if y.worked < minYield || now.UnixNano()-y.s.lastCheck.Load() >= int64(checksActiveFor) {
		if y.worked >= minYield {
			y.worked = 0 // checks are quiet: run on
		}
		return
	}
	share := AnalysisShare
	if y.s.analysisShare > 0 {
		share = y.s.analysisShare
	}
	pause := min(time.Duration(float64(y.worked)*(1-share)/share), time.Second)
	time.Sleep(pause)
	y.s.metrics.analysisPause.Add(int64(pause))
	y.worked, y.since = 0, time.Now()
}
