package store

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// A small synthetic register for tests and benchmarks (no real data): every
// person i has a unique, valid CURP and clave de elector derived from i.

var (
	genSurnames = []string{"HERNANDEZ", "GARCIA", "MARTINEZ", "LOPEZ", "GONZALEZ", "RODRIGUEZ", "PEREZ", "SANCHEZ", "RAMIREZ", "CRUZ", "FLORES", "GOMEZ"}
	genNames    = []string{"JUAN", "MARIA GUADALUPE", "JOSE LUIS", "ROSA", "JUAN CARLOS", "ANA", "PEDRO", "LAURA", "MIGUEL", "SOFIA"}
	genStreets  = []string{"CALLE", "C.", "AV", "AVENIDA", "PRIV", "CDA", "BLVD"}
	consonants  = "BCDFGHJKLMNPQRSTVWXYZ"
	curpStates  = []string{"AS", "BC", "BS", "CC", "CL", "CM", "CS", "CH", "DF", "DG", "GT", "GR", "HG", "JC", "MC", "MN", "MS", "NT", "NL", "OC", "PL", "QT", "QR", "SP", "SL", "SR", "TC", "TS", "TL", "VZ", "YN", "ZS"}
)

const genDays = 27000 // birth days from 1926-01-01, all before 2000

// genRecord is synthetic person i of a register drawn with rng.
func genRecord(rng *rand.Rand, i int) register.Record {
	pat := genSurnames[rng.IntN(len(genSurnames))]
	mat := genSurnames[rng.IntN(len(genSurnames))]
	nom := genNames[rng.IntN(len(genNames))]
	birth := register.MustDate("1926-01-01") + register.Date(i%genDays)
	q := i / genDays
	y, m, d := birth.YMD()
	ent := 1 + rng.IntN(32)
	sex := "HM"[rng.IntN(2)]
	// CURP: four safe letters, birth date, sex, state, three consonants and
	// a homonym digit taken from q (unique per i), check digit.
	first4 := []byte{pat[0], 'A', mat[0], nom[0]}
	if ident.IsInconvenient(string(first4)) {
		first4[1] = 'X'
	}
	c17 := fmt.Sprintf("%s%02d%02d%02d%c%s%c%c%c%d", first4, y%100, m, d, sex, curpStates[ent-1],
		consonants[q%21], consonants[q/21%21], consonants[q/441%21], q/9261%10)
	cd, err := ident.CURPCheckDigit(c17)
	if err != nil {
		panic(err)
	}
	curp := c17 + string(cd)
	var letters [6]byte
	for k, v := 0, q; k < 6; k++ {
		letters[k] = byte('A' + v%26)
		v /= 26
	}
	clave := fmt.Sprintf("%s%02d%02d%02d%02d%c%03d", letters[:], y%100, m, d, ent, sex, rng.IntN(1000))
	seccion := strconv.Itoa(100 + rng.IntN(3000))
	return register.Record{
		clave, curp, nom, pat, mat, birth.String(), string(sex), fmt.Sprintf("%02d", ent),
		strconv.Itoa(1 + rng.IntN(120)), seccion, strconv.Itoa(1 + rng.IntN(50)),
		genStreets[rng.IntN(len(genStreets))] + " " + genSurnames[rng.IntN(len(genSurnames))],
		strconv.Itoa(1 + rng.IntN(300)), "", "COL CENTRO", fmt.Sprintf("%05d", 10000+rng.IntN(89999)),
		"2015-03-02", strconv.Itoa(1 + rng.IntN(5)), fmt.Sprintf("%09d", rng.IntN(1e9)), fmt.Sprintf("%013d", rng.Int64N(1e13)),
	}
}

// genPeople is n synthetic people, 0..n-1.
func genPeople(n int, seed uint64) []register.Record {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]register.Record, n)
	for i := range out {
		out[i] = genRecord(rng, i)
	}
	return out
}

// churned is one step of a register's life: who changed, left, arrived.
type churned struct {
	recs                      []register.Record
	ids                       []int // person number of each record
	changed, removed, created int
}

// churn moves a register forward: about 1% change address, 0.5% leave,
// 0.5% arrive (numbered from next).
func churn(recs []register.Record, ids []int, next int, seed uint64) churned {
	rng := rand.New(rand.NewPCG(seed, 2))
	var c churned
	for i, r := range recs {
		switch x := rng.IntN(1000); {
		case x < 5:
			c.removed++
			continue
		case x < 15:
			r = append(register.Record(nil), r...)
			r[11] = "CALLE NUEVA " + strconv.Itoa(rng.IntN(1000))
			c.changed++
		}
		c.recs = append(c.recs, r)
		c.ids = append(c.ids, ids[i])
	}
	for k := 0; k < len(recs)/200; k++ {
		c.recs = append(c.recs, genRecord(rng, next+k))
		c.ids = append(c.ids, next+k)
		c.created++
	}
	return c
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// writeCSV writes a header and rows with encoding/csv.
func writeCSV(tb testing.TB, path string, header []string, rows [][]string) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	w.Write(header)
	for _, r := range rows {
		w.Write(r)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		tb.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

func writeSnapshot(tb testing.TB, path string, recs []register.Record) {
	rows := make([][]string, len(recs))
	for i, r := range recs {
		rows[i] = r
	}
	writeCSV(tb, path, register.INE().Names(), rows)
}

// writeHistory writes versions as a history file, with the given person ids.
func writeHistory(tb testing.TB, path string, vs []register.Version) {
	rows := make([][]string, len(vs))
	for i, v := range vs {
		rows[i] = append([]string{strconv.FormatUint(v.PersonID, 10), v.ValidFrom.String(), v.ValidTo.String()}, v.Record...)
	}
	writeCSV(tb, path, append([]string{"person_id", "valid_from", "valid_to"}, register.INE().Names()...), rows)
}
