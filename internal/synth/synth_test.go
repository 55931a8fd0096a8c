package synth

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/huella/huella/internal/addr"
	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// sample is one generated register shared by the property tests: 50,000
// people over five years.
var (
	sampleOnce sync.Once
	sampleCfg  Config
	sampleVers []*register.Version
	sampleErr  error
)

func sample(t *testing.T) (Config, []*register.Version) {
	t.Helper()
	sampleOnce.Do(func() {
		sampleCfg = DefaultConfig()
		sampleCfg.People = 50_000
		sampleCfg.Seed = 42
		sampleErr = Generate(context.Background(), sampleCfg, func(v *register.Version) error {
			sampleVers = append(sampleVers, v)
			return nil
		})
	})
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	return sampleCfg, sampleVers
}

var schema = register.INE()

func field(v *register.Version, name string) string { return v.Record[schema.Index(name)] }

// asOf is the register on day d: the versions valid that day.
func asOf(vers []*register.Version, d register.Date) []*register.Version {
	var out []*register.Version
	for _, v := range vers {
		if v.ValidAt(d) {
			out = append(out, v)
		}
	}
	return out
}

func TestConfigCheck(t *testing.T) {
	d := register.MustDate
	tests := []struct {
		name string
		mod  func(c *Config)
		ok   bool
	}{
		{"default", func(c *Config) {}, true},
		{"no people", func(c *Config) { c.People = 0 }, true},
		{"negative", func(c *Config) { c.People = -1 }, false},
		{"end before start", func(c *Config) { c.End = c.Start }, false},
		{"snapshot outside", func(c *Config) { c.Snapshots = []register.Date{d("2022-01-01")} }, false},
		{"snapshot twice", func(c *Config) { c.Snapshots = []register.Date{d("2018-01-01"), d("2018-01-01")} }, false},
		{"too early", func(c *Config) { c.Start = d("1980-01-01") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mod(&c)
			if err := c.Check(); (err == nil) != tt.ok {
				t.Errorf("Check() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	cfg := DefaultConfig()
	cfg.People = 3000
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	for i, dir := range dirs {
		c := cfg
		if i == 2 {
			c.Seed = 2
		}
		if err := WriteFiles(context.Background(), c, dir, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{HistoryFile, SnapshotFile(cfg.Snapshots[0]), SnapshotFile(cfg.Snapshots[1])} {
		a, _ := os.ReadFile(filepath.Join(dirs[0], name))
		b, _ := os.ReadFile(filepath.Join(dirs[1], name))
		c, _ := os.ReadFile(filepath.Join(dirs[2], name))
		if len(a) < 100000 {
			t.Errorf("%s: only %d bytes", name, len(a))
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
		if bytes.Equal(a, c) {
			t.Errorf("%s is the same for seeds 1 and 2", name)
		}
	}
}

// TestFilesMatchHistory checks the files: headers, and each snapshot equals
// the history's versions valid that day; the history equals Generate's.
func TestFilesMatchHistory(t *testing.T) {
	cfg := DefaultConfig()
	cfg.People = 4000
	cfg.Snapshots = append(cfg.Snapshots, cfg.Start, cfg.End)
	dir := t.TempDir()
	var calls, last int
	err := WriteFiles(context.Background(), cfg, dir, func(done, total int) {
		calls++
		if done < last || done > total || total != cfg.Total() {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last != cfg.Total() {
		t.Errorf("progress: %d calls, last %d of %d", calls, last, cfg.Total())
	}
	header := strings.Join(register.INE().Names(), ",")
	hist := readLines(t, filepath.Join(dir, HistoryFile))
	if hist[0] != "person_id,valid_from,valid_to,"+header {
		t.Fatalf("history header %q", hist[0])
	}
	var gen []string
	if err := Generate(context.Background(), cfg, func(v *register.Version) error {
		to := ""
		if v.ValidTo != register.NoDate {
			to = v.ValidTo.String()
		}
		gen = append(gen, fmt.Sprintf("%d,%s,%s,%s", v.PersonID, v.ValidFrom, to, strings.Join(v.Record, ",")))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(gen, "\n") != strings.Join(hist[1:], "\n") {
		t.Fatalf("history.csv (%d rows) differs from Generate (%d versions)", len(hist)-1, len(gen))
	}
	for _, d := range cfg.Snapshots {
		snap := readLines(t, filepath.Join(dir, SnapshotFile(d)))
		if snap[0] != header {
			t.Errorf("%s header %q", d, snap[0])
		}
		var want []string
		for _, line := range hist[1:] {
			f := strings.SplitN(line, ",", 4)
			from := register.MustDate(f[1])
			to := register.NoDate
			if f[2] != "" {
				to = register.MustDate(f[2])
			}
			if from <= d && d < to {
				want = append(want, f[3])
			}
		}
		if strings.Join(want, "\n") != strings.Join(snap[1:], "\n") {
			t.Errorf("snapshot %s (%d rows) is not the history as of that day (%d rows)", d, len(snap)-1, len(want))
		}
		if d == cfg.Start && len(want) != cfg.People {
			t.Errorf("register at the start has %d people, want %d", len(want), cfg.People)
		}
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	return strings.Split(s, "\n")
}

func TestHistoryConsistent(t *testing.T) {
	cfg, vers := sample(t)
	if len(vers) < cfg.People {
		t.Fatalf("%d versions for %d people", len(vers), cfg.People)
	}
	people := 0
	for i, v := range vers {
		if v.ValidFrom >= v.ValidTo {
			t.Fatalf("person %d: empty interval [%s, %s)", v.PersonID, v.ValidFrom, v.ValidTo)
		}
		if v.ValidFrom < cfg.Start || v.ValidFrom > cfg.End || (v.ValidTo != register.NoDate && v.ValidTo > cfg.End) {
			t.Fatalf("person %d: [%s, %s) outside the period", v.PersonID, v.ValidFrom, v.ValidTo)
		}
		if i == 0 || vers[i-1].PersonID != v.PersonID {
			people++
			if i > 0 && vers[i-1].PersonID > v.PersonID {
				t.Fatalf("person %d after %d", v.PersonID, vers[i-1].PersonID)
			}
			if int(v.PersonID) <= cfg.People && v.ValidFrom != cfg.Start {
				t.Fatalf("initial person %d starts %s", v.PersonID, v.ValidFrom)
			}
			continue
		}
		prev := vers[i-1]
		if prev.ValidTo == register.NoDate || prev.ValidTo > v.ValidFrom {
			t.Fatalf("person %d: versions overlap: [%s, %s) and [%s, ...)", v.PersonID, prev.ValidFrom, prev.ValidTo, v.ValidFrom)
		}
		if prev.ValidTo == v.ValidFrom && strings.Join(prev.Record, ",") == strings.Join(v.Record, ",") {
			t.Fatalf("person %d: a new version at %s with no change", v.PersonID, v.ValidFrom)
		}
	}
	if people != cfg.Total() {
		t.Errorf("%d people, want %d", people, cfg.Total())
	}
	if n0, n1 := len(asOf(vers, cfg.Start)), len(asOf(vers, cfg.End)); n0 != cfg.People || n1 <= n0 || n1 > n0*11/10 {
		t.Errorf("register: %d people at the start, %d at the end", n0, n1)
	}
}

// TestRecordsValid checks every value of every version: formats, identifiers
// consistent with the names and dates, codes consistent with each other.
func TestRecordsValid(t *testing.T) {
	_, vers := sample(t)
	idx := func(n string) int { return schema.Index(n) }
	for _, v := range vers {
		r := v.Record
		if len(r) != len(schema.Fields) {
			t.Fatalf("%d fields: %q", len(r), r)
		}
		fail := func(format string, a ...any) {
			t.Helper()
			t.Fatalf("person %d %s: %s\n%s", v.PersonID, v.ValidFrom, fmt.Sprintf(format, a...), strings.Join(r, ","))
		}
		for i, x := range r {
			if strings.ContainsAny(x, ",\"\n\r") || ident.Normalize(x) != x {
				fail("field %s %q is not a normal CSV-safe value", schema.Fields[i].Name, x)
			}
		}
		curp, clave := r[idx(register.FCURP)], r[idx(register.FClave)]
		if err := ident.ValidateCURP(curp); err != nil {
			fail("%v", err)
		}
		if err := ident.ValidateClave(clave); err != nil {
			fail("%v", err)
		}
		birth, err := register.ParseDate(r[idx(register.FNacimiento)])
		if err != nil {
			fail("%v", err)
		}
		sex := r[idx(register.FSexo)]
		n := ident.Names{Nombre: r[idx(register.FNombre)], Paterno: r[idx(register.FPaterno)], Materno: r[idx(register.FMaterno)]}
		c16, err := ident.CURP16(n, birth, sex[0], curp[11:13])
		if err != nil || c16 != curp[:16] {
			fail("CURP %s, derived %s (%v)", curp, c16, err)
		}
		ent := r[idx(register.FEntidad)]
		e, ok := ident.EntidadByCode(ent)
		if !ok {
			fail("entidad %q", ent)
		}
		claveEnt := ent
		if be, ok := ident.EntidadByCURPCode(curp[11:13]); ok {
			claveEnt = be.Code
		}
		if curp[11:13] == "NE" {
			claveEnt = clave[12:14] // the entity at registration, not necessarily today's
		}
		ce, _ := strconv.Atoi(claveEnt)
		if want := ident.Clave(n, birth, ce, sex[0], 0)[:15]; clave[:15] != want {
			fail("clave %s, derived %s", clave, want)
		}
		if age := ageAt(birth, v.ValidFrom); age < 18 || age > 110 {
			fail("age %d", age)
		}
		mun, _ := strconv.Atoi(r[idx(register.FMunicipio)])
		if len(r[idx(register.FMunicipio)]) != 3 || mun < 1 || mun > municipioCount[ce0(ent)] {
			fail("municipio %q", r[idx(register.FMunicipio)])
		}
		sec := r[idx(register.FSeccion)]
		if len(sec) != 4 || !digits(sec) || len(r[idx(register.FLocalidad)]) != 4 {
			fail("seccion/localidad")
		}
		cp := r[idx(register.FCodigoPostal)]
		okCP := len(cp) == 5 && digits(cp)
		prefixOK := false
		for _, p := range e.CPPrefixes {
			prefixOK = prefixOK || strings.HasPrefix(cp, p)
		}
		if !okCP || !prefixOK {
			fail("codigo postal %q for entidad %s", cp, ent)
		}
		reg, err := register.ParseDate(r[idx(register.FFechaRegistro)])
		if err != nil || reg > v.ValidFrom || ageAt(birth, reg) < 18 {
			fail("fecha_registro %q", r[idx(register.FFechaRegistro)])
		}
		em, err := strconv.Atoi(r[idx(register.FEmision)])
		ry, _, _ := reg.YMD()
		fy, _, _ := v.ValidFrom.YMD()
		if err != nil || em < ry || em > fy || expiry(int16(em)) <= v.ValidFrom {
			fail("emision %q (registered %d, version from %d)", r[idx(register.FEmision)], ry, fy)
		}
		cicLen := 10
		if em < 2014 {
			cicLen = 9
		}
		if c := r[idx(register.FCIC)]; len(c) != cicLen || !digits(c) {
			fail("cic %q for emision %d", c, em)
		}
		o := r[idx(register.FOCR)]
		o4, _ := strconv.Atoi(o[:min(4, len(o))])
		secN, _ := strconv.Atoi(sec)
		if len(o) != 13 || !digits(o) || o4 != secN && geo().ents[ce0(ent)].resec[uint16(o4)] != uint16(secN) {
			fail("ocr %q: its section is neither the version's nor the one before its re-sectioning", o)
		}
	}
}

func ce0(ent string) int { n, _ := strconv.Atoi(ent); return n - 1 }

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// TestIdentifiersUnique: a CURP, a clave, a CIC and an OCR belong to one person.
func TestIdentifiersUnique(t *testing.T) {
	_, vers := sample(t)
	for _, f := range []string{register.FCURP, register.FClave, register.FCIC, register.FOCR} {
		owner := map[string]uint64{}
		for _, v := range vers {
			x := field(v, f)
			if p, ok := owner[x]; ok && p != v.PersonID {
				t.Errorf("%s %s held by persons %d and %d", f, x, p, v.PersonID)
				break
			}
			owner[x] = v.PersonID
		}
	}
}

// share counts the values of field f in the register as of d.
func share(vers []*register.Version, f string) (map[string]int, int) {
	m := map[string]int{}
	for _, v := range vers {
		m[field(v, f)]++
	}
	return m, len(vers)
}

func TestNames(t *testing.T) {
	cfg, all := sample(t)
	reg := asOf(all, cfg.End)
	pat, n := share(reg, register.FPaterno)
	mat, _ := share(reg, register.FMaterno)
	if s := float64(pat["HERNANDEZ"]) / float64(n); s < 0.033 || s > 0.047 {
		t.Errorf("HERNANDEZ is %.2f%% of first surnames, want ≈4%%", 100*s)
	}
	type kv struct {
		k string
		n int
	}
	var top []kv
	for k, c := range pat {
		top = append(top, kv{k, c + mat[k]})
	}
	sort.Slice(top, func(i, j int) bool { return top[i].n > top[j].n || top[i].n == top[j].n && top[i].k < top[j].k })
	if top[0].k != "HERNANDEZ" {
		t.Errorf("top surname %s", top[0].k)
	}
	top12 := map[string]bool{}
	for _, x := range top[:12] {
		top12[x.k] = true
	}
	for _, s := range []string{"GARCIA", "MARTINEZ", "LOPEZ", "GONZALEZ", "RODRIGUEZ", "PEREZ", "SANCHEZ"} {
		if !top12[s] {
			t.Errorf("%s not among the 12 most frequent surnames %v", s, top[:12])
		}
	}
	if len(pat) < 2000 {
		t.Errorf("only %d distinct first surnames: no long tail", len(pat))
	}
	if s := float64(mat[""]) / float64(n); s < 0.006 || s > 0.016 {
		t.Errorf("%.2f%% single surname, want ≈1%%", 100*s)
	}
	nom, _ := share(reg, register.FNombre)
	for _, g := range []string{"MARIA GUADALUPE", "JOSE LUIS", "JUAN CARLOS", "MA. DE LOURDES", "JUAN"} {
		if nom[g] == 0 {
			t.Errorf("no %s", g)
		}
	}
	full := map[string]int{}
	maxFull := 0
	for _, v := range reg {
		k := field(v, register.FNombre) + " " + field(v, register.FPaterno) + " " + field(v, register.FMaterno)
		full[k]++
		maxFull = max(maxFull, full[k])
	}
	if maxFull < 3 {
		t.Errorf("the most repeated full name occurs %d times; a real roll repeats names", maxFull)
	}
	sex, _ := share(reg, register.FSexo)
	if s := float64(sex["M"]) / float64(n); s < 0.5 || s > 0.54 {
		t.Errorf("%.1f%% women", 100*s)
	}
}

func TestAgesAndPlaces(t *testing.T) {
	cfg, all := sample(t)
	reg := asOf(all, cfg.Start)
	young, old := 0, 0
	for _, v := range reg {
		b := register.MustDate(field(v, register.FNacimiento))
		switch a := ageAt(b, cfg.Start); {
		case a < 30:
			young++
		case a >= 60:
			old++
		}
	}
	n := float64(len(reg))
	if s := float64(young) / n; s < 0.22 || s > 0.30 {
		t.Errorf("%.1f%% aged 18-29, want ≈25%%", 100*s)
	}
	if s := float64(old) / n; s < 0.12 || s > 0.18 {
		t.Errorf("%.1f%% aged 60+, want ≈15%%", 100*s)
	}
	ents, _ := share(reg, register.FEntidad)
	total := 0.0
	for _, e := range ident.Entidades {
		total += e.VotersM
	}
	for _, e := range ident.Entidades {
		want := e.VotersM / total
		got := float64(ents[e.Code]) / n
		if got < want*0.8-0.002 || got > want*1.2+0.002 {
			t.Errorf("%s: %.2f%% of voters, want %.2f%%", e.Name, 100*got, 100*want)
		}
	}
	// birth state: mostly the state of residence, a few abroad
	same, abroad := 0, 0
	for _, v := range reg {
		c := field(v, register.FCURP)[11:13]
		if e, ok := ident.EntidadByCode(field(v, register.FEntidad)); ok && e.CURPCode == c {
			same++
		}
		if c == "NE" {
			abroad++
		}
	}
	if s := float64(same) / n; s < 0.75 || s > 0.88 {
		t.Errorf("%.1f%% born in their state", 100*s)
	}
	if s := float64(abroad) / n; s < 0.005 || s > 0.02 {
		t.Errorf("%.1f%% born abroad", 100*s)
	}
	// sections: 4 digits, within the entity's count
	secs := map[string]bool{}
	for _, v := range reg {
		secs[field(v, register.FEntidad)+field(v, register.FSeccion)] = true
	}
	if len(secs) < 15000 {
		t.Errorf("only %d distinct sections for %d people", len(secs), len(reg))
	}
}

// TestAddresses: DOMICILIO CONOCIDO ≈4%, and both forms of every class in use.
func TestAddresses(t *testing.T) {
	cfg, all := sample(t)
	reg := asOf(all, cfg.End)
	var groups [][2]int = make([][2]int, len(addr.Classes()))
	dc := 0
	var slots []addr.Slot
	for _, v := range reg {
		for _, f := range []string{register.FCalle, register.FNumExterior, register.FNumInterior, register.FColonia} {
			slots = addr.AppendForms(slots[:0], field(v, f))
			for _, s := range slots {
				groups[s.Class][s.Group]++
				if addr.Classes()[s.Class].Name == "DOMICILIO CONOCIDO" {
					dc++
				}
			}
		}
	}
	if s := float64(dc) / float64(len(reg)); s < 0.03 || s > 0.055 {
		t.Errorf("%.2f%% DOMICILIO CONOCIDO, want ≈4%%", 100*s)
	}
	used := 0
	for c, g := range groups {
		name := addr.Classes()[c].Name
		if g[0]+g[1] == 0 {
			continue
		}
		used++
		lo := 0.25
		if name == "DOMICILIO CONOCIDO" {
			lo = 0.1
		}
		if g[0]+g[1] >= 100 && (float64(g[0]) < lo*float64(g[0]+g[1]) || float64(g[1]) < lo*float64(g[0]+g[1])) {
			t.Errorf("%s: %d long, %d abbreviated: both forms should be in natural use", name, g[0], g[1])
		}
		if g[0] == 0 || g[1] == 0 {
			t.Errorf("%s: %d long, %d abbreviated", name, g[0], g[1])
		}
	}
	if used < 25 {
		t.Errorf("only %d address classes in use", used)
	}
	// a person keeps a habit: the same class is written the same way in all their fields
	cp, _ := share(reg, register.FCodigoPostal)
	if len(cp) < 2000 {
		t.Errorf("only %d postal codes", len(cp))
	}
}

// TestChurn measures the monthly rates of the history against INE's.
func TestChurn(t *testing.T) {
	cfg, all := sample(t)
	var newR, reinc, removed, moved, replaced, corrected, changed float64
	months := 0.0
	// register size per day, for rates: average of start and end
	n0, n1 := float64(len(asOf(all, cfg.Start))), float64(len(asOf(all, cfg.End)))
	size := (n0 + n1) / 2
	months = float64(cfg.End-cfg.Start) / daysPerMonth
	for i, v := range all {
		first := i == 0 || all[i-1].PersonID != v.PersonID
		switch {
		case first && v.ValidFrom > cfg.Start:
			if field(v, register.FFechaRegistro) == v.ValidFrom.String() {
				newR++
			} else {
				reinc++
			}
			changed++
		case !first && all[i-1].ValidTo < v.ValidFrom:
			reinc++
			changed++
		case !first:
			p := all[i-1]
			changed++
			switch {
			case field(p, register.FCalle) != field(v, register.FCalle) || field(p, register.FSeccion) != field(v, register.FSeccion) ||
				field(p, register.FColonia) != field(v, register.FColonia) || field(p, register.FNumExterior) != field(v, register.FNumExterior):
				moved++
			case field(p, register.FCURP) != field(v, register.FCURP) || field(p, register.FNombre) != field(v, register.FNombre) ||
				field(p, register.FPaterno) != field(v, register.FPaterno):
				corrected++
			default:
				replaced++
			}
		}
		if v.ValidTo != register.NoDate && (i+1 == len(all) || all[i+1].PersonID != v.PersonID || all[i+1].ValidFrom != v.ValidTo) {
			removed++
			changed++
		}
	}
	rate := func(x float64) float64 { return 100 * x / size / months }
	t.Logf("per month: new %.3f%% reinc %.3f%% removed %.3f%% moved %.3f%% replaced %.3f%% corrected %.4f%% changed %.2f%%; register %d → %d",
		rate(newR), rate(reinc), rate(removed), rate(moved), rate(replaced), rate(corrected), rate(changed), int(n0), int(n1))
	check := func(name string, x, lo, hi float64) {
		if r := rate(x); r < lo || r > hi {
			t.Errorf("%s: %.3f%% per month, want %.2f-%.2f%%", name, r, lo, hi)
		}
	}
	check("new registrations", newR, 0.22, 0.34)
	check("re-incorporations", reinc, 0.12, 0.28)
	check("removals", removed, 0.15, 0.40)
	check("address changes", moved, 0.28, 0.50)
	check("credential replacements", replaced, 0.1, 0.35)
	check("name corrections", corrected, 0.003, 0.03)
	check("records changed", changed, 1.0, 1.6)
	if growth := (n1/n0 - 1) / (months / 12); growth < 0.005 || growth > 0.03 {
		t.Errorf("register grows %.2f%% a year, want ≈1.8%%", 100*growth)
	}
}

func TestMaker(t *testing.T) {
	d := register.MustDate("2020-03-15")
	m1, m2 := NewMaker(7), NewMaker(7)
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		r := m1.Person(d)
		if strings.Join(r, ",") != strings.Join(m2.Person(d), ",") {
			t.Fatal("Maker is not deterministic")
		}
		if len(r) != len(schema.Fields) {
			t.Fatalf("%d fields", len(r))
		}
		curp := r[schema.Index(register.FCURP)]
		if err := ident.ValidateCURP(curp); err != nil {
			t.Fatal(err)
		}
		if err := ident.ValidateClave(r[schema.Index(register.FClave)]); err != nil {
			t.Fatal(err)
		}
		if seen[curp] {
			t.Fatalf("CURP %s twice", curp)
		}
		seen[curp] = true
		b := register.MustDate(r[schema.Index(register.FNacimiento)])
		reg := register.MustDate(r[schema.Index(register.FFechaRegistro)])
		em, _ := strconv.Atoi(r[schema.Index(register.FEmision)])
		if ageAt(b, d) < 18 || reg > d || em > 2020 || expiry(int16(em)) <= d {
			t.Fatalf("not a valid person on %s: %v", d, r)
		}
	}
	if strings.Join(NewMaker(8).Person(d), ",") == strings.Join(NewMaker(7).Person(d), ",") {
		t.Error("seeds 7 and 8 make the same person")
	}
}

func TestCancel(t *testing.T) {
	cfg := DefaultConfig()
	cfg.People = 100_000
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := Generate(ctx, cfg, func(v *register.Version) error {
		n++
		if n == 10 {
			cancel()
		}
		return nil
	})
	if err == nil {
		t.Fatal("no error after cancel")
	}
	stop := fmt.Errorf("stop")
	if err := Generate(context.Background(), cfg, func(v *register.Version) error { return stop }); err != stop {
		t.Fatalf("emit error not returned: %v", err)
	}
}

func TestCheckDigit(t *testing.T) {
	for _, c := range []string{"SABC560626MDFLRN01", "HEGG560427MVZRRL04", "BEML920313HMCLNS09", "BOXW310820HNERXN09"} {
		if got := checkDigit(c[:16], c[16]); got != c[17] {
			t.Errorf("checkDigit(%s) = %c", c, got)
		}
	}
}

// TestCounts: equal keys get distinct counts, also across table growth.
func TestCounts(t *testing.T) {
	c := newCounts(0)
	want := map[uint64]uint8{}
	for i := 0; i < 20000; i++ {
		h := mix(uint64(i % 7000))
		if got := c.inc(h); got != want[h] {
			t.Fatalf("key %d: count %d, want %d", i%7000, got, want[h])
		}
		want[h]++
	}
	if len(c.keys) < 2*7000 {
		t.Errorf("table did not grow: %d slots", len(c.keys))
	}
}

// TestResectioning: some sections are renumbered during the period; the
// people in them get a new version with the new number and the same credential.
func TestResectioning(t *testing.T) {
	_, all := sample(t)
	n := 0
	for i := 1; i < len(all); i++ {
		p, v := all[i-1], all[i]
		if p.PersonID != v.PersonID || p.ValidTo != v.ValidFrom || field(p, register.FSeccion) == field(v, register.FSeccion) {
			continue
		}
		if field(p, register.FCIC) != field(v, register.FCIC) {
			continue // a move
		}
		n++
		ent := ce0(field(v, register.FEntidad))
		old, _ := strconv.Atoi(field(p, register.FSeccion))
		nw, _ := strconv.Atoi(field(v, register.FSeccion))
		ge := geo().ents[ent]
		if ge.resec[uint16(old)] != uint16(nw) || nw <= ge.nSec || v.ValidFrom != ge.resecDate[uint16(old)] {
			t.Errorf("person %d: section %d → %d on %s is no re-sectioning", v.PersonID, old, nw, v.ValidFrom)
		}
		for _, f := range []string{register.FCalle, register.FColonia, register.FCodigoPostal, register.FOCR, register.FEmision} {
			if field(p, f) != field(v, f) {
				t.Errorf("person %d: re-sectioning changed %s", v.PersonID, f)
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d re-sectioned versions in the sample", n)
	}
}

func TestNameTables(t *testing.T) {
	if n := len(tailRoots) * len(tailMids) * len(tailEnds); n != surnameTailSize {
		t.Fatalf("surnameTailSize %d, tables make %d", surnameTailSize, n)
	}
	nt := nameTab()
	seen := map[string]bool{}
	for _, s := range nt.surnames[nt.nTop:] {
		seen[s] = true
	}
	if len(seen) < surnameTailSize*9/10 {
		t.Errorf("only %d distinct tail surnames", len(seen))
	}
	for _, tab := range [][]string{nt.surnames, nt.female, nt.male, nt.secondF, nt.secondM, coloniaNames, streetNames, places} {
		for _, s := range tab {
			if s == "" || ident.Normalize(s) != s || strings.ContainsAny(s, ",\"") {
				t.Errorf("table value %q is not a normal CSV-safe value", s)
			}
		}
	}
	if nt.topMass < 0.6 || nt.topMass > 0.9 {
		t.Errorf("the listed surnames cover %.0f%% of the padrón", 100*nt.topMass)
	}
}

// TestNameFashion: the fashion lists name real table entries, and young
// people carry modern names more often than old people.
func TestNameFashion(t *testing.T) {
	nt := nameTab()
	in := map[string]bool{}
	for _, n := range append(append([]string{}, nt.female...), nt.male...) {
		in[n] = true
	}
	modern := map[string]bool{}
	for _, l := range [][]string{modernNames, traditionalNames} {
		for _, n := range l {
			n = ident.Normalize(strings.ReplaceAll(n, "_", " "))
			if !in[n] {
				t.Errorf("fashion list names %q, not in the given-name tables", n)
			}
		}
	}
	for _, n := range modernNames {
		modern[ident.Normalize(strings.ReplaceAll(n, "_", " "))] = true
	}
	cfg, all := sample(t)
	var young, youngModern, old, oldModern int
	for _, v := range asOf(all, cfg.Start) {
		b := register.MustDate(field(v, register.FNacimiento))
		m := modern[field(v, register.FNombre)]
		if b >= y1980 {
			young++
			if m {
				youngModern++
			}
		} else {
			old++
			if m {
				oldModern++
			}
		}
	}
	ys, os := float64(youngModern)/float64(young), float64(oldModern)/float64(old)
	if ys < 4*os {
		t.Errorf("modern names: %.1f%% of the young, %.1f%% of the old", 100*ys, 100*os)
	}
}
