package ingest

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestDoubleEncoded: UTF-8 read as Windows-1252 and written again as UTF-8
// (a spreadsheet re-saving a file: "PEÃ‘A" for "PEÑA", "Ã" and U+0081
// for "Á") is read as first written, quoted records too; UTF-8 written once
// ("PEÑA", "SÃO") is left as it is.
func TestDoubleEncoded(t *testing.T) {
	rows := [][]string{
		{"nombre", "paterno", "calle"},
		{"JOSÉ", "PEÑA", "CALLE ÁLAMO"},
		{"MARÍA", "NÚÑEZ", "\"AV. JUÁREZ, 12\""},
		{"ÍÑIGO", "ORDÓÑEZ", "CALLE PIÑÓN"},
		{"ANA", "LÓPEZ", "CALLE ÉBANO"},
	}
	var once strings.Builder
	for _, r := range rows {
		once.WriteString(strings.Join(r, ",") + "\n")
	}
	// as Windows decodes: a byte Windows-1252 leaves undefined (Á is C3
	// 81) becomes U+0081
	var twice strings.Builder
	for _, c := range []byte(once.String()) {
		if r := []rune(decode1252([]byte{c}))[0]; r != utf8.RuneError {
			twice.WriteRune(r)
		} else {
			twice.WriteRune(rune(c))
		}
	}
	want := [][]string{{"JOSÉ", "PEÑA", "CALLE ÁLAMO"}, {"MARÍA", "NÚÑEZ", "AV. JUÁREZ, 12"}, {"ÍÑIGO", "ORDÓÑEZ", "CALLE PIÑÓN"}, {"ANA", "LÓPEZ", "CALLE ÉBANO"}}

	res := readAll(t, write(t, "twice.csv", []byte(twice.String())), Options{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if !reflect.DeepEqual(res.rows, want) || res.info.Repaired != 4 || res.info.Encoding != "utf-8" {
		t.Errorf("encoded twice: rows %q, %d repaired, encoding %s", res.rows, res.info.Repaired, res.info.Encoding)
	}
	res = readAll(t, write(t, "once.csv", []byte(once.String()+"SÃO,PAULO,CALLE X\n")), Options{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if !reflect.DeepEqual(res.rows[:4], want) || res.rows[4][0] != "SÃO" || res.info.Repaired != 0 {
		t.Errorf("written once: rows %q, %d repaired", res.rows, res.info.Repaired)
	}
}

// TestDoubleEncodedLossy: a file encoded twice by a decoder that wrote
// U+FFFD for the bytes Windows-1252 leaves undefined (Á, Í) is still known
// as encoded twice: the lines it can repair are repaired, the others kept.
func TestDoubleEncodedLossy(t *testing.T) {
	lines := []string{"nombre,paterno,calle",
		"MARÃ\uFFFDA,PÃ‰REZ,CALLE 1", "ÃNGEL,NÃšÑEZ,CALLE 2", "RAÃšL,DÃ\uFFFDAZ,CALLE 3",
		"JOSÃ‰,PEÃ‘A,CALLE 4", "RENÃ‰,MUÃ‘OZ,CALLE 5", "INÃ‰S,OLGUÃ\uFFFDN,CALLE 6", "ANA,LÃ“PEZ,CALLE 7"}
	res := readAll(t, write(t, "lossy.csv", []byte(strings.Join(lines, "\n")+"\n")), Options{})
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.info.Repaired != 3 || res.rows[3][0] != "JOSÉ" || res.rows[6][1] != "LÓPEZ" || res.rows[0][0] != "MARÃ\uFFFDA" {
		t.Errorf("%d repaired, rows %q", res.info.Repaired, res.rows)
	}
}
