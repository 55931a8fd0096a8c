package ident

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/huella/huella/internal/register"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"HERNANDEZ", "HERNANDEZ"},
		{"  maría  de la Peña ", "MARIA DE LA PEÑA"},
		{"José\tLuis\n", "JOSE LUIS"},
		{"GÜERO", "GUERO"},
		{"Núñez", "NUÑEZ"},
		{"N\u0303u\u0301n\u0303ez", "ÑUÑEZ"}, // decomposed input
		{"ÁÉÍÓÚ àèìòù âêîôû äëïöü ç", "AEIOU AEIOU AEIOU AEIOU C"},
		{"C.\u00a0REFORMA  #12", "C. REFORMA #12"},
		{"ñ", "Ñ"},
		{"Ǹ", "N"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Normalize(got); again != got {
				t.Errorf("Normalize not idempotent: %q → %q", got, again)
			}
		})
	}
}

func TestCURPCheckDigit(t *testing.T) {
	for _, c := range []string{"SABC560626MDFLRN01", "HEGG560427MVZRRL04", "BEML920313HMCLNS09", "PEGL890909MJCRMS08", "BOXW310820HNERXN09"} {
		t.Run(c, func(t *testing.T) {
			d, err := CURPCheckDigit(c[:17])
			if err != nil {
				t.Fatal(err)
			}
			if d != c[17] {
				t.Errorf("check digit %c, want %c", d, c[17])
			}
		})
	}
	if _, err := CURPCheckDigit("PEGL890909MJCRMS"); err == nil {
		t.Error("16 characters accepted")
	}
	if _, err := CURPCheckDigit("PEGL890909MJCRMS-"); err == nil {
		t.Error("'-' accepted")
	}
	// Ñ has value 24, between N (23) and O (25).
	a, _ := CURPCheckDigit("AAAAAAAAAAAAAAAAN")
	b, _ := CURPCheckDigit("AAAAAAAAAAAAAAAAÑ")
	c, _ := CURPCheckDigit("AAAAAAAAAAAAAAAAO")
	if (int(b)-int(a)+10)%10 != 8 || (int(c)-int(b)+10)%10 != 8 {
		t.Errorf("Ñ not valued 24: N→%c Ñ→%c O→%c", a, b, c)
	}
}

func TestValidateCURP(t *testing.T) {
	tests := []struct {
		curp    string
		wantErr string // "" = valid
	}{
		{"SABC560626MDFLRN01", ""},
		{"HEGG560427MVZRRL04", ""},
		{"BEML920313HMCLNS09", ""},
		{"PEGL890909MJCRMS08", ""},
		{"BOXW310820HNERXN09", ""},
		{"BOXW310820HNERXN08", "position 18"},
		{"BACA890909MJCRMS05", "inconvenient"},
		{"PEGL891313MJCRMS06", "position 5"},
		{"PEGL890909QJCRMS08", "position 11"},
		{"PEGL890909MQQRMS02", "position 12"},
		{"PEGL890909MJCRMS0", "17 characters"},
		{"pegl890909mjcrms08", "position 1"},
		{"PEGL8909O9MJCRMS08", "position 9"},
		{"PEGL890909MJCAMS08", "position 14"},
		{"PEGL890909MJCRMS0X", "position 18"},
		{"PEGL890909MJCRMS-8", "position 17"},
		{"PÑGL890909MJCRMS08", "non-ASCII"},
		{"", "0 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.curp, func(t *testing.T) {
			err := ValidateCURP(tt.curp)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("ValidateCURP(%q) = %v, want valid", tt.curp, err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("ValidateCURP(%q) valid, want error %q", tt.curp, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("ValidateCURP(%q) = %v, want it to mention %q", tt.curp, err, tt.wantErr)
			}
		})
	}
	// A leap day: valid in 2000 (homonym letter), invalid in 1900 (digit).
	leap2000, _ := CURP(Names{"ANA", "PEREZ", "LOPEZ"}, register.MustDate("2000-02-29"), 'M', "DF", 'A')
	if err := ValidateCURP(leap2000); err != nil {
		t.Errorf("2000-02-29: %v", err)
	}
	first17 := leap2000[:16] + "0"
	d, _ := CURPCheckDigit(first17)
	if err := ValidateCURP(first17 + string(d)); err == nil {
		t.Errorf("%s (1900-02-29) accepted", first17+string(d))
	}
}

func TestCURP(t *testing.T) {
	tests := []struct {
		n       Names
		birth   string
		sex     byte
		state   string
		homonym byte
		want    string
	}{
		{Names{"LUCIA", "PEREZ", "GARCIA"}, "1989-09-09", 'M', "JC", '0', "PEGL890909MJCRRC0"},
		{Names{"MARIA GUADALUPE", "HERNANDEZ", "GOMEZ"}, "1956-04-27", 'M', "VZ", '0', "HEGG560427MVZRMD0"},
		{Names{"MA. DE LOURDES", "SANCHEZ", "BARRAGAN"}, "1956-06-26", 'M', "DF", '0', "SABL560626MDFNRR0"},
		{Names{"JOSE LUIS", "DE LA CRUZ", "MC GREGOR"}, "1992-03-13", 'H', "MC", '0', "CUGL920313HMCRRS0"},
		{Names{"J. JESUS", "DEL CASTILLO", ""}, "2001-01-15", 'H', "NE", 'A', "CAXJ010115HNESXS"},
		{Names{"WENCESLAO", "BO", ""}, "1931-08-20", 'H', "NE", '0', "BOXW310820HNERXN0"[:11] + "NEXXN0"},
		{Names{"IÑAKI", "ÑUÑEZ", "PEÑA"}, "1980-05-05", 'H', "CH", '0', "XUPI800505HCHXXX0"},
		{Names{"ANA", "BACA", "CASTRO"}, "1989-09-09", 'M', "JC", '1', "BXCA890909MJCCSN1"},
		{Names{"maría josé", "gonzález", "ruíz"}, "2003-12-31", 'M', "QT", 'B', "GORJ031231MQTNZS" + "B"},
	}
	for _, tt := range tests {
		t.Run(tt.n.Nombre+" "+tt.n.Paterno, func(t *testing.T) {
			got, err := CURP(tt.n, register.MustDate(tt.birth), tt.sex, tt.state, tt.homonym)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("CURP = %s, want prefix %s", got, tt.want)
			}
			if err := ValidateCURP(got); err != nil {
				t.Errorf("derived CURP invalid: %v", err)
			}
			p16, _ := CURP16(tt.n, register.MustDate(tt.birth), tt.sex, tt.state)
			if p16 != got[:16] {
				t.Errorf("CURP16 = %s, CURP = %s", p16, got)
			}
		})
	}
}

func TestCURPErrors(t *testing.T) {
	b := register.MustDate("1990-01-01")
	tests := []struct {
		name  string
		n     Names
		birth register.Date
		sex   byte
		state string
		hom   byte
	}{
		{"no surname", Names{"ANA", "", "LOPEZ"}, b, 'M', "DF", '0'},
		{"no name", Names{"", "PEREZ", "LOPEZ"}, b, 'M', "DF", '0'},
		{"sex", Names{"ANA", "PEREZ", "LOPEZ"}, b, 'F', "DF", '0'},
		{"state", Names{"ANA", "PEREZ", "LOPEZ"}, b, 'M', "XX", '0'},
		{"letter before 2000", Names{"ANA", "PEREZ", "LOPEZ"}, b, 'M', "DF", 'A'},
		{"digit from 2000", Names{"ANA", "PEREZ", "LOPEZ"}, register.MustDate("2004-01-01"), 'M', "DF", '0'},
		{"year", Names{"ANA", "PEREZ", "LOPEZ"}, register.MustDate("1899-01-01"), 'M', "DF", '0'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, err := CURP(tt.n, tt.birth, tt.sex, tt.state, tt.hom); err == nil {
				t.Errorf("CURP = %s, want error", c)
			}
		})
	}
}

func TestClave(t *testing.T) {
	tests := []struct {
		n     Names
		birth string
		ent   int
		sex   byte
		seq   int
		want  string
	}{
		{Names{"JUAN", "PEREZ", "LOPEZ"}, "1980-05-17", 9, 'H', 123, "PRLPJN800517" + "09H123"},
		{Names{"MARIA GUADALUPE", "ALVAREZ", ""}, "2001-11-02", 15, 'M', 7, "ALXXGD011102" + "15M007"},
		{Names{"JOSE", "DE LA O", "NUÑEZ"}, "1950-02-28", 32, 'H', 999, "OXNXJS500228" + "32H999"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := Clave(tt.n, register.MustDate(tt.birth), tt.ent, tt.sex, tt.seq)
			if got != tt.want {
				t.Errorf("Clave = %s, want %s", got, tt.want)
			}
			if err := ValidateClave(got); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestValidateClave(t *testing.T) {
	tests := []struct{ s, wantErr string }{
		{"PRLPJN80051709H123", ""},
		{"PRLPJN00022909H123", ""}, // 2000-02-29
		{"PRLPJN80051733H123", "position 13"},
		{"PRLPJN80051700H123", "position 13"},
		{"PRLPJN80133109H123", "position 7"},
		{"PRLPJN80023009H123", "position 7"},
		{"PRLPJN80051709X123", "position 15"},
		{"PRLPJ180051709H123", "position 6"},
		{"PRLPJN80051709H12A", "position 18"},
		{"PRLPJN80051709H12", "17 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			err := ValidateClave(tt.s)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestEntidades(t *testing.T) {
	if len(Entidades) != 32 {
		t.Fatalf("%d entities", len(Entidades))
	}
	seenCP := map[string]string{}
	total := 0.0
	for i, e := range Entidades {
		if want := string([]byte{byte('0' + (i+1)/10), byte('0' + (i+1)%10)}); e.Code != want {
			t.Errorf("entity %d code %s", i+1, e.Code)
		}
		got, ok := EntidadByCode(e.Code)
		if !ok || got.Name != e.Name {
			t.Errorf("EntidadByCode(%s) = %v, %v", e.Code, got.Name, ok)
		}
		got, ok = EntidadByCURPCode(e.CURPCode)
		if !ok || got.Code != e.Code {
			t.Errorf("EntidadByCURPCode(%s) = %v, %v", e.CURPCode, got.Code, ok)
		}
		for _, p := range e.CPPrefixes {
			if other, dup := seenCP[p]; dup {
				t.Errorf("postal prefix %s in %s and %s", p, other, e.Name)
			}
			seenCP[p] = e.Name
		}
		total += e.VotersM
	}
	if len(seenCP) != 96 { // 01-16 and 20-99; 17-19 are unassigned
		t.Errorf("%d postal prefixes, want 96 (01-16, 20-99)", len(seenCP))
	}
	if total < 85 || total > 100 {
		t.Errorf("total voters %.1fM", total)
	}
	for code, name := range map[string]string{"09": "Ciudad de México", "15": "México", "32": "Zacatecas", "9": "Ciudad de México"} {
		if e, ok := EntidadByCode(code); !ok || e.Name != name {
			t.Errorf("EntidadByCode(%s) = %s", code, e.Name)
		}
	}
	for _, bad := range []string{"00", "33", "NE", "", "1x"} {
		if _, ok := EntidadByCode(bad); ok {
			t.Errorf("EntidadByCode(%q) found", bad)
		}
	}
	if _, ok := EntidadByCURPCode("NE"); ok {
		t.Error("NE is an entity")
	}
}

func FuzzValidateCURP(f *testing.F) {
	for _, s := range []string{"SABC560626MDFLRN01", "BOXW310820HNERXN08", "PÑGL890909MJCRMS08", "", "ÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑÑ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateCURP(s)
		if err == nil {
			d, derr := CURPCheckDigit(s[:17])
			if derr != nil || d != s[17] {
				t.Errorf("valid CURP %q with bad check digit", s)
			}
		}
		_ = ValidateClave(s)
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"  maría  de la Peña ", "N\u0303", "N \u0303", "\xff\xfe", "ǅ ß ﬃ", "Ǹ\u0303", "\u0303N"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if again := Normalize(n); again != n {
			t.Errorf("Normalize(%q) = %q, again %q", s, n, again)
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Errorf("Normalize(%q) = %q: spaces not collapsed", s, n)
		}
		if utf8.ValidString(s) && !utf8.ValidString(n) {
			t.Errorf("Normalize(%q) = %q: invalid UTF-8", s, n)
		}
	})
}

// FuzzCURP: whatever the names, a derived CURP is valid and its clave too.
func FuzzCURP(f *testing.F) {
	f.Add("MA. DE LOURDES", "DE LA CRUZ", "", int32(-5000), true)
	f.Add("ñoño", "Ñuñez", "Ü", int32(12000), false)
	f.Add("ANA", "BACA", "CASTRO", int32(7190), false)
	f.Add("J.", "Y", "DE", int32(0), true)
	f.Fuzz(func(t *testing.T, nombre, paterno, materno string, day int32, male bool) {
		birth := register.Date(day%60000 - 20000) // 1915 … 2079
		sex := byte('M')
		if male {
			sex = 'H'
		}
		n := Names{nombre, paterno, materno}
		y, _, _ := birth.YMD()
		hom := byte('0')
		if y >= 2000 {
			hom = 'A'
		}
		c, err := CURP(n, birth, sex, "DF", hom)
		if err != nil {
			return
		}
		if err := ValidateCURP(c); err != nil {
			t.Fatalf("CURP(%q) = %s: %v", n, c, err)
		}
		if err := ValidateClave(Clave(n, birth, 9, sex, 7)); err != nil {
			t.Fatalf("Clave(%q): %v", n, err)
		}
	})
}
