package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/synth"
)

// The demo's story: the 2021 sale of "the 2021 padrón", which was a 2018 copy.
var (
	demoParties = []string{"PARTIDO AZUL", "PARTIDO ROJO", "PARTIDO VERDE", "PARTIDO NARANJA", "PARTIDO MORADO",
		"PARTIDO AMARILLO", "PARTIDO GRIS", "PARTIDO ROSA", "PARTIDO CAFE", "PARTIDO CELESTE"}
	demoCuts   = []string{"2018-02-15", "2021-02-15"}
	demoLeaker = "PARTIDO NARANJA"
	// demoHeaders are the leak's renamed headers, as a seller would write them.
	demoHeaders = map[string]string{
		register.FClave: "CLAVE ELECTOR", register.FCURP: "CURP", register.FNombre: "NOMBRE(S)",
		register.FPaterno: "PATERNO", register.FMaterno: "MATERNO", register.FNacimiento: "FECHA NAC",
		register.FSexo: "SEXO", register.FEntidad: "EDO", register.FMunicipio: "MUN", register.FSeccion: "SECC",
		register.FLocalidad: "LOC", register.FCalle: "CALLE", register.FNumExterior: "NUM EXT",
		register.FNumInterior: "NUM INT", register.FColonia: "COLONIA", register.FCodigoPostal: "CP",
		register.FFechaRegistro: "F REGISTRO", register.FEmision: "EMISION", register.FCIC: "CIC", register.FOCR: "OCR",
	}
)

func init() {
	var people, seed int
	var work string
	addCommand(&command{
		Name:    "demo",
		Summary: "the 2021 leak story, end to end, on a synthetic padrón in a temporary workspace",
		Usage:   "huella demo [--people N] [--seed S] [--work DIR]",
		Help: `Runs the seed story at small scale, in under a minute: a synthetic padrón
2017–2021 is made and loaded; fingerprinted copies go to ten parties at a
2018 cut and a 2021 cut, each logged in the ledger; one party's 2018 copy
leaks as a 1,000-row "proof sample" (upper-cased, accents stripped, headers
renamed, sold as "2021") and as a full dump (.csv.gz); both are analysed and
the summaries printed, with the path of each HTML report.

Everything is synthetic. The workspace is kept (its path is printed) so
the reports, the ledger and the copies can be inspected, or served with
"huella serve --dir DIR/ws".

Examples:
  go run ./cmd/huella demo
  huella demo --people 100000 --work ./demo`,
		Flags: func(fs *flag.FlagSet) {
			fs.IntVar(&people, "people", 20000, "people in the synthetic padrón")
			fs.IntVar(&seed, "seed", 2021, "synthetic data seed")
			fs.StringVar(&work, "work", "", "folder for the demo (default: a new temporary folder)")
		},
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 0 {
				return usageError("demo takes no arguments")
			}
			if people < 100 {
				return usageError("--people must be at least 100")
			}
			return runDemo(ctx, env, people, seed, work)
		},
	})
}

func runDemo(ctx context.Context, env *Env, people, seed int, work string) error {
	start := time.Now()
	if work == "" {
		d, err := os.MkdirTemp("", "huella-demo-")
		if err != nil {
			return err
		}
		work = d
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	ws := filepath.Join(work, "ws")
	out := env.Stdout
	step := func(format string, a ...any) {
		fmt.Fprintf(out, format+"  (%.1f s)\n", append(a, time.Since(start).Seconds())...)
	}
	fmt.Fprintf(out, "huella demo: a register leaks, sold as \"the 2021 padrón\" (everything here is synthetic)\n")
	fmt.Fprintf(out, "workspace: %s\n\n", ws)

	// sub runs another huella command in-process.
	sub := func(args ...string) error {
		if _, ok := commands[args[0]]; !ok {
			return fmt.Errorf("demo needs the %q command, which this build lacks", args[0])
		}
		var buf bytes.Buffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: &buf, Stderr: &buf, Getenv: func(string) string { return "" }}
		if code := m.Run(ctx, args); code != ExitOK {
			return fmt.Errorf("huella %s: exit %d:\n%s", strings.Join(args, " "), code, strings.TrimSpace(buf.String()))
		}
		return nil
	}

	synthDir := filepath.Join(work, "synth")
	cfg := synth.Config{People: people, Seed: uint64(seed), Start: register.MustDate("2017-01-01"), End: register.MustDate("2021-12-31")}
	if err := synth.WriteFiles(ctx, cfg, synthDir, nil); err != nil {
		return err
	}
	step("1. synthetic padrón: %d people with their changes 2017-01-01 … 2021-12-31", people)
	if err := sub("init", "--dir", ws); err != nil {
		return err
	}
	if err := sub("load", "--dir", ws, filepath.Join(synthDir, "history.csv")); err != nil {
		return err
	}
	step("2. workspace created, change history loaded into the temporal store")

	relDir := filepath.Join(work, "releases")
	if err := os.MkdirAll(relDir, 0o755); err != nil {
		return err
	}
	leakedCopy := ""
	for _, cut := range demoCuts {
		for _, p := range demoParties {
			f := filepath.Join(relDir, slug(p)+"-"+cut[:4]+".csv")
			if err := sub("release", "--dir", ws, "--recipient", p, "--as-of", cut, "--out", f, "--format", "csv"); err != nil {
				return err
			}
			if p == demoLeaker && cut == demoCuts[0] {
				leakedCopy = f
			}
		}
	}
	step("3. %d fingerprinted copies released and logged: %d parties × cuts %s", len(demoParties)*len(demoCuts), len(demoParties), strings.Join(demoCuts, ", "))

	leakDir := filepath.Join(work, "leak")
	sample := filepath.Join(leakDir, "muestra-padron-ine-2021.csv")
	dump := filepath.Join(leakDir, "padron-ine-2021-completo.csv.gz")
	n, err := writeDemoLeaks(leakedCopy, sample, dump, 1000)
	if err != nil {
		return err
	}
	step("4. leaked: %s's %s copy, as a 1,000-row proof sample (upper-cased, accents stripped,\n   headers renamed) and as a full dump of %d rows, both labelled \"2021\"", demoLeaker, demoCuts[0][:4], n)

	wsp, err := openWorkspace(&Env{Dir: ws})
	if err != nil {
		return err
	}
	defer wsp.Close()
	var cases []string
	for i, f := range []string{sample, dump} {
		aenv := &Env{Stdout: io.Discard, Stderr: env.Stderr, Dir: ws, Args: []string{"analyze", f}}
		o, err := runAnalysis(ctx, aenv, wsp, f, "", nil, nil)
		if err != nil {
			return err
		}
		cases = append(cases, o.Report.AnalysisID)
		fmt.Fprintln(out)
		step("%d. huella analyze %s", 5+i, filepath.Base(f))
		fmt.Fprint(out, o.Report.Summary())
		fmt.Fprintf(out, "  report:      %s\n", filepath.Join(o.CaseDir, "report.html"))
	}
	// The people in the leak can now ask, privately, whether they are in it.
	fmt.Fprintln(out)
	wsp.Close()
	for _, id := range cases {
		if err := exposurePublish(ctx, &Env{Stdout: io.Discard, Stderr: env.Stderr, Dir: ws}, id); err != nil {
			return fmt.Errorf("demo: publish exposure check for %s: %w", id, err)
		}
	}
	step("7. both leaks published for the private exposure check (OPRF; the server never sees a CURP)")
	fmt.Fprintf(out, "\nThe seller said 2021; the content says %s, and whose copy it was.\n", demoCuts[0][:4])
	fmt.Fprintf(out, "Explore: huella ledger list --dir %s\n", ws)
	fmt.Fprintf(out, "Web app: huella user add ana --role custodian --dir %s   (password on stdin)\n", ws)
	fmt.Fprintf(out, "         huella serve --dir %s   then open http://127.0.0.1:8080/ and /check\n", ws)
	return nil
}

func slug(s string) string {
	return strings.ToLower(strings.ReplaceAll(ident.Normalize(s), " ", "-"))
}

// writeDemoLeaks turns a released CSV copy into what a seller posts: the
// first `rows` rows as a proof sample and the whole copy as a gzip dump,
// upper-cased, accents (and Ñ) stripped, headers renamed. It returns the
// dump's rows.
func writeDemoLeaks(copyPath, samplePath, dumpPath string, rows int) (int, error) {
	if copyPath == "" {
		return 0, errors.New("demo: no copy to leak")
	}
	if err := os.MkdirAll(filepath.Dir(samplePath), 0o755); err != nil {
		return 0, err
	}
	in, err := os.Open(copyPath)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	r := csv.NewReader(in)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return 0, fmt.Errorf("demo: read %s: %w", copyPath, err)
	}
	renamed := make([]string, len(header))
	for i, h := range header {
		if nh, ok := demoHeaders[h]; ok {
			renamed[i] = nh
		} else {
			renamed[i] = strings.ToUpper(h)
		}
	}
	sf, err := os.Create(samplePath)
	if err != nil {
		return 0, err
	}
	defer sf.Close()
	df, err := os.Create(dumpPath)
	if err != nil {
		return 0, err
	}
	defer df.Close()
	zw := gzip.NewWriter(df)
	sw, dw := csv.NewWriter(sf), csv.NewWriter(zw)
	sw.Write(renamed)
	dw.Write(renamed)
	n := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("demo: read %s: %w", copyPath, err)
		}
		for i, v := range rec {
			rec[i] = strings.ReplaceAll(ident.Normalize(v), "Ñ", "N")
		}
		if n < rows {
			sw.Write(rec)
		}
		dw.Write(rec)
		n++
	}
	sw.Flush()
	dw.Flush()
	if err := sw.Error(); err != nil {
		return 0, err
	}
	if err := dw.Error(); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	if err := sf.Close(); err != nil {
		return 0, err
	}
	return n, df.Close()
}
