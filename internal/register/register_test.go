package register

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" = error expected
	}{
		{"2018-02-15", "2018-02-15"},
		{"2000-02-29", "2000-02-29"},
		{"1970-01-01", "1970-01-01"},
		{"1900-12-31", "1900-12-31"},
		{"2019-02-29", ""},
		{"2018-13-01", ""},
		{"2018-1-01", ""},
		{"18-02-2015", ""},
		{"2018/02/15", ""},
		{"", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			d, err := ParseDate(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("ParseDate(%q) = %v, want an error", tc.in, d)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.String() != tc.want {
				t.Fatalf("ParseDate(%q).String() = %q", tc.in, d.String())
			}
		})
	}
}

func TestDateArithmetic(t *testing.T) {
	if got := MustDate("1970-01-02"); got != 1 {
		t.Errorf("1970-01-02 = %d days, want 1", got)
	}
	if got := MustDate("2018-01-31").AddMonths(1).String(); got != "2018-02-28" {
		t.Errorf("2018-01-31 + 1 month = %s, want 2018-02-28 (clamped)", got)
	}
	if got := MustDate("2018-11-15").AddMonths(3).String(); got != "2019-02-15" {
		t.Errorf("2018-11-15 + 3 months = %s", got)
	}
	if NoDate.String() != "" {
		t.Errorf("NoDate.String() = %q, want empty", NoDate.String())
	}
	v := Version{ValidFrom: MustDate("2018-01-01"), ValidTo: MustDate("2018-06-01")}
	if !v.ValidAt(MustDate("2018-01-01")) || v.ValidAt(MustDate("2018-06-01")) || v.ValidAt(MustDate("2017-12-31")) {
		t.Error("ValidAt: the interval is [ValidFrom, ValidTo)")
	}
	open := Version{ValidFrom: MustDate("2018-01-01"), ValidTo: NoDate}
	if !open.ValidAt(MustDate("2030-01-01")) {
		t.Error("an open version is valid after its start")
	}
}

// TestYMDMatchesTime checks the fast days-to-civil conversion against
// package time over four centuries, negative days included.
func TestYMDMatchesTime(t *testing.T) {
	for d := MustDate("1800-01-01"); d < MustDate("2200-01-01"); d += 13 {
		y, m, day := d.YMD()
		tm := time.Unix(int64(d)*86400, 0).UTC()
		if y != tm.Year() || m != int(tm.Month()) || day != tm.Day() {
			t.Fatalf("Date(%d).YMD() = %d-%d-%d, time says %s", d, y, m, day, tm.Format("2006-01-02"))
		}
	}
}

func TestINESchema(t *testing.T) {
	s := INE()
	want := "clave_elector,curp,nombre,apellido_paterno,apellido_materno,fecha_nacimiento,sexo,entidad,municipio,seccion,localidad,calle,num_exterior,num_interior,colonia,codigo_postal,fecha_registro,emision,cic,ocr"
	if got := strings.Join(s.Names(), ","); got != want {
		t.Fatalf("INE columns:\n got %s\nwant %s", got, want)
	}
	identity := 0
	for _, f := range s.Fields {
		if f.Identity {
			identity++
		}
	}
	if identity != 9 {
		t.Errorf("INE has %d identity fields, want 9 (curp, clave, three name parts, birth date, sex, entidad, seccion)", identity)
	}
	if s.Index(FCURP) != 1 || s.Index("nope") != -1 {
		t.Error("Index")
	}
	if got := s.WithRole(RolePersonKey); len(got) != 2 {
		t.Errorf("person keys = %v", got)
	}
}

func TestSchemaRoundTripAndErrors(t *testing.T) {
	b, err := json.Marshal(INE())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSchema(b)
	if err != nil {
		t.Fatal(err)
	}
	if s.Index(FOCR) != 19 {
		t.Errorf("round trip lost fields: ocr at %d", s.Index(FOCR))
	}
	bank := `{"format":"huella schema v1","name":"bank","fields":[{"name":"rfc","role":"person_key"},{"name":"name","role":"name","identity":true},{"name":"branch","role":"code"}]}`
	s, err = ParseSchema([]byte(bank))
	if err != nil {
		t.Fatal(err)
	}
	if s.Fields[0].Kind != KindText || s.Index("branch") != 2 {
		t.Errorf("bank schema: %+v", s.Fields)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"format", `{"format":"x","name":"a","fields":[{"name":"a","role":"name"}]}`, "format"},
		{"no fields", `{"format":"huella schema v1","name":"a","fields":[]}`, "no fields"},
		{"dup", `{"format":"huella schema v1","name":"a","fields":[{"name":"a","role":"name"},{"name":"a","role":"name"}]}`, "twice"},
		{"role", `{"format":"huella schema v1","name":"a","fields":[{"name":"a","role":"boss"}]}`, "unknown role"},
		{"json", `{"format":`, "parse schema"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSchema([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2018-02-15", "2000-02-29", "0000-00-00", "9999-99-99", "2018-02-1x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q).String() = %q: not a round trip", s, d.String())
		}
	})
}
