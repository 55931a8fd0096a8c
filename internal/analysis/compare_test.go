package analysis

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/huella/huella/internal/ident"
	"github.com/huella/huella/internal/register"
)

// refHash is the definition comparer.hash implements: FNV-1a of the
// comparison form, 0 for an absent value, 1 in place of 0.
func refHash(c *comparer, f int, v string) uint32 {
	k := c.key(f, v)
	if k == "" {
		return 0
	}
	x := uint32(2166136261)
	for i := 0; i < len(k); i++ {
		x ^= uint32(k[i])
		x *= 16777619
	}
	if x == 0 {
		return 1
	}
	return x
}

var hashSeeds = []string{
	"", " ", "0", "000", "007", "0070", "JUAN", "juan", "JUAN  PEREZ", " JUAN", "JUAN ",
	"MUÑOZ", "MUNOZ", "José", "CALLE 5 DE MAYO", "C. 5 DE MAYO", "AV. JUAREZ", "S/N",
	"2018-02-15", " 2018-02-15 ", "A\tB", "0001", "HASS", "CAGJ910208HASSRS06",
	"0 5", "00 5", " 0 ", "0\u00a0", "N\u0303", "n\u0303a", "N \u0303", "ñ", "\u00a0X", "0\u0301", "A\u0301B",
	"ß", "\xc3", "\xc3X", "\xc2\xa0", "ǅ", "ſ", "ı", "\u0345", "€", "Ñ0", "0Ñ", "\x00", "c. muñoz s/n",
}

func TestHashIsKeyHash(t *testing.T) {
	s := register.INE()
	c := newComparer(s)
	for f := range s.Fields {
		for _, v := range hashSeeds {
			t.Run(s.Fields[f].Name+"/"+v, func(t *testing.T) {
				if got, want := c.hash(f, v), refHash(c, f, v); got != want {
					t.Errorf("hash(%s, %q) = %d, key form %q hashes to %d", s.Fields[f].Name, v, got, c.key(f, v), want)
				}
			})
		}
	}
}

// goldenHashes pins comparer.hash: the values were computed by the code
// before the allocation-free paths, and a change would make hashes stored or
// compared across versions disagree.
var goldenHashes = []struct {
	field, value string
	hash         uint32
}{
	{"nombre", "JUAN", 0x5264370f},
	{"nombre", "MA. DE LOURDES", 0x40c58f70},
	{"nombre", "JOSÉ MARÍA", 0x0440ced8},
	{"nombre", "  maría  de la peña ", 0x9b6a79af},
	{"nombre", "N\u0303O", 0x41e68bba},
	{"nombre", "ÑANDÚ", 0x2ba4ce3d},
	{"nombre", "straße", 0x564bb178},
	{"apellido_paterno", "MUÑOZ", 0x2c2783f2},
	{"apellido_paterno", "MUNOZ", 0x2c2783f2},
	{"apellido_paterno", "muñoz", 0x2c2783f2},
	{"apellido_paterno", "Muñoz ", 0x2c2783f2},
	{"apellido_paterno", "HERNANDEZ", 0x3d2c41ac},
	{"apellido_materno", "PEÑA", 0x6eb48e83},
	{"apellido_materno", "", 0x00000000},
	{"calle", "AV. JUAREZ", 0xd0cba73c},
	{"calle", "AVENIDA JUAREZ", 0xd0cba73c},
	{"calle", "av juárez", 0xd0cba73c},
	{"calle", "C 5 DE MAYO", 0x99f15fa0},
	{"calle", "CALLE 5 DE MAYO", 0x99f15fa0},
	{"calle", "U.HAB. TLATELOLCO", 0xdd323b5c},
	{"calle", "PRIV. DE LA PEÑA", 0x22fb3390},
	{"calle", "PRIVADA DE LA PENA", 0x22fb3390},
	{"calle", "CJON. DEL BESO", 0x2a537379},
	{"calle", "HIDALGO C", 0xd374209c},
	{"calle", "DOM. CONOCIDO", 0xfe6b2742},
	{"calle", "C", 0xc60bf9f2},
	{"num_exterior", "S/N", 0x3570e73b},
	{"num_exterior", "SN", 0x3570e73b},
	{"num_exterior", "SIN NUMERO", 0x3570e73b},
	{"num_exterior", "MZ 5 LT 12", 0xf60fd429},
	{"num_exterior", "MZA. 5 LTE. 12", 0xf60fd429},
	{"num_exterior", "123", 0x7238631b},
	{"num_exterior", "KM 3.5", 0x76084865},
	{"num_exterior", "MZ Ñ LT 3", 0xd2df0b27},
	{"num_interior", "INT B", 0x6e82039f},
	{"num_interior", "DEPTO. 4", 0x2dd297df},
	{"num_interior", "A", 0xc40bf6cc},
	{"colonia", "COL CENTRO", 0xbe1691f7},
	{"colonia", "FRACC. LAS FLORES", 0xc76bb9ba},
	{"colonia", "BO. SAN MIGUEL", 0x27b5d5fd},
	{"colonia", "EJIDO EL ÑANDU", 0x28ee9433},
	{"seccion", "0123", 0x7238631b},
	{"seccion", "0000", 0x350ca8af},
	{"seccion", " 0123", 0x7238631b},
	{"seccion", "1234", 0xfdc422fd},
	{"localidad", "0001", 0x340ca71c},
	{"codigo_postal", "06700", 0x2974286a},
	{"sexo", "H", 0xcd0c04f7},
	{"entidad", "09", 0x3c0cb3b4},
	{"fecha_nacimiento", "1989-09-09", 0x5b18b45c},
	{"fecha_nacimiento", " 1989-09-09 ", 0x5b18b45c},
	{"fecha_nacimiento", "09/09/1989", 0x64d30250},
	{"fecha_registro", "2018-02-15", 0x75d95c1c},
	{"clave_elector", "GRHRJN89090909H123", 0xd363191a},
	{"curp", "PEGL890909MJCRMS08", 0xbb3a6464},
	{"emision", "2018", 0xc42c4bf6},
	{"cic", "0123456789", 0xbb86b11c},
	{"ocr", "0123123456789", 0xeffe2a86},
	{"calle", "c. muñoz  s/n", 0x5c9cd005},
	{"calle", "CALLE MUNOZ SIN NUMERO", 0x5c9cd005},
	{"colonia", "U HAB\tEL ROSARIO", 0x2193b6df},
	{"num_exterior", "MNZ. 4 LT. 7 S/N.", 0xf329d8fc},
	{"calle", "AV\u00a0REFORMA", 0xffdb20d9},
	{"calle", "CARRET. MEXICO-PUEBLA KM 3", 0xf01fa838},
	{"nombre", "Ã", 0xc40bf6cc},
	{"seccion", "0Ñ", 0xcb0c01d1},
}

func TestHashGolden(t *testing.T) {
	s := register.INE()
	c := newComparer(s)
	for _, g := range goldenHashes {
		t.Run(g.field+"/"+g.value, func(t *testing.T) {
			f := s.Index(g.field)
			if f < 0 {
				t.Fatalf("no field %s", g.field)
			}
			if got := c.hash(f, g.value); got != g.hash {
				t.Errorf("hash(%s, %q) = %#08x, want %#08x", g.field, g.value, got, g.hash)
			}
		})
	}
}

func FuzzHash(f *testing.F) {
	for _, v := range hashSeeds {
		f.Add(v)
	}
	for _, g := range goldenHashes {
		f.Add(g.value)
	}
	s := register.INE()
	c := newComparer(s)
	f.Fuzz(func(t *testing.T, v string) {
		for i := range s.Fields {
			if got, want := c.hash(i, v), refHash(c, i, v); got != want {
				t.Fatalf("hash(%s, %q) = %d, key form %q hashes to %d", s.Fields[i].Name, v, got, c.key(i, v), want)
			}
		}
	})
}

// hashPieces are the pieces where the fast paths branch: spaces of every
// kind, zeros, accents precomposed and combining, Ñ, address words,
// invalid bytes.
var hashPieces = []string{
	" ", "  ", "\t", "\u00a0", "\u2003", "0", "00", "5", "A", "a", "N", "n", "Ñ", "ñ", "\u0303", "\u0301",
	"É", "é", "ü", "ß", "ſ", "€", "\xc3", "\x91", "\xff", ".", "/", "C.", "AV", "MZ", "LT", "S/N", "SIN",
	"NUMERO", "U", "HAB", "DOM.", "CONOCIDO", "COL", "CALLE", "PEÑA", "MUÑOZ", "juárez",
}

// randomValue is a value of 1 to 6 random pieces.
func randomValue(r *rand.Rand, b *strings.Builder) string {
	b.Reset()
	for range 1 + r.IntN(6) {
		b.WriteString(hashPieces[r.IntN(len(hashPieces))])
		if r.IntN(3) == 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// TestKeyOfNormalForm: a text or address value and its normal form
// (ident.Normalize, as the mapping writes it) have the same comparison
// key, so rows only hashed may be mapped with their text as read
// (Leak.MapHash).
func TestKeyOfNormalForm(t *testing.T) {
	s := register.INE()
	c := newComparer(s)
	r := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	for _, v := range hashSeeds {
		checkKeyOfNormalForm(t, c, s, v)
	}
	for range 20000 {
		checkKeyOfNormalForm(t, c, s, randomValue(r, &b))
	}
}

func checkKeyOfNormalForm(t *testing.T, c *comparer, s *register.Schema, v string) {
	t.Helper()
	for f := range s.Fields {
		if k := c.kind[f]; k != cmpText && k != cmpAddr {
			continue
		}
		if got, want := c.key(f, ident.Normalize(v)), c.key(f, v); got != want {
			t.Fatalf("%s: key of the normal form of %q is %q, of the value %q", s.Fields[f].Name, v, got, want)
		}
	}
}

// TestHashRandom checks hash against the key form on random values made of
// hashPieces.
func TestHashRandom(t *testing.T) {
	s := register.INE()
	c := newComparer(s)
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for range 20000 {
		v := randomValue(r, &b)
		for f := range s.Fields {
			if got, want := c.hash(f, v), refHash(c, f, v); got != want {
				t.Fatalf("hash(%s, %q) = %d, key form %q hashes to %d", s.Fields[f].Name, v, got, c.key(f, v), want)
			}
		}
	}
}

// TestHashAllocs checks that hashing register and leaked values (upper
// case, Ñ or not, every address spelling) does not allocate.
func TestHashAllocs(t *testing.T) {
	s := register.INE()
	c := newComparer(s)
	vals := hashMix(s, 20, false)
	if n := testing.AllocsPerRun(10, func() {
		for _, x := range vals {
			c.hash(x.f, x.v)
		}
	}); n != 0 {
		t.Errorf("%v allocations hashing %d values, want 0", n, len(vals))
	}
}

// TestHashDigits: a value of digits alone is its own canonical address
// form, so hashDigits is the address fields' hash of it; random numbers of
// every length up to 40 digits, with leading zeros, and values that only
// start or end with digits (not taken by hashDigits).
func TestHashDigits(t *testing.T) {
	s := register.INE()
	c := newComparer(s)
	rnd := rand.New(rand.NewPCG(3, 9))
	for _, name := range []string{register.FCalle, register.FNumExterior, register.FNumInterior, register.FColonia} {
		f := s.Index(name)
		for range 20000 {
			b := make([]byte, 1+rnd.IntN(40))
			for i := range b {
				b[i] = byte('0' + rnd.IntN(10))
			}
			v := string(b)
			if _, ok := hashDigits(v); !ok {
				t.Fatalf("%q: not digits", v)
			}
			if got, want := c.hash(f, v), refHash(c, f, v); got != want {
				t.Fatalf("hash(%s, %q) = %d, key form %q hashes to %d", name, v, got, c.key(f, v), want)
			}
			for _, w := range []string{v + "A", "C " + v, v + " ", v + "/N"} {
				if _, ok := hashDigits(w); ok {
					t.Fatalf("%q taken for digits", w)
				}
				if got, want := c.hash(f, w), refHash(c, f, w); got != want {
					t.Fatalf("hash(%s, %q) = %d, key form %q hashes to %d", name, w, got, c.key(f, w), want)
				}
			}
		}
	}
	if _, ok := hashDigits(""); ok {
		t.Error("the empty value taken for digits")
	}
}

// TestAddrMemo: the memo gives the comparer's hash of every address value,
// whether the values repeat (it answers most from its table) or never do
// (it stands aside), through every address field.
func TestAddrMemo(t *testing.T) {
	s := register.INE()
	c := newComparer(s)
	var fields []int
	for _, name := range []string{register.FCalle, register.FNumExterior, register.FNumInterior, register.FColonia} {
		fields = append(fields, s.Index(name))
	}
	rnd := rand.New(rand.NewPCG(11, 12))
	pieces := []string{"C", "C.", "CALLE", "AV", "AV.", "Avenida", "COL.", "COLONIA", "Fracc", "PRIV", "S/N", "SN",
		"MORELOS", "JUÁREZ", "juarez", "5 DE MAYO", "NIÑOS HEROES", "HIDALGO", "12", "B", "INT 3", "  "}
	value := func() string {
		var b strings.Builder
		for range 1 + rnd.IntN(4) {
			b.WriteString(pieces[rnd.IntN(len(pieces))])
			b.WriteByte(' ')
		}
		return b.String()
	}
	vocab := make([]string, 3000)
	for i := range vocab {
		vocab[i] = value()
	}
	var m addrMemo
	hits := 0
	for i := range 3 * addrMemoPeriod {
		f := fields[rnd.IntN(len(fields))]
		v := vocab[rnd.IntN(len(vocab))]
		before := m.hits
		if got, want := m.hash(c, f, v), c.hash(f, v); got != want {
			t.Fatalf("value %d, %s %q: memo %d, comparer %d", i, s.Fields[f].Name, v, got, want)
		}
		if m.hits > before {
			hits++
		}
	}
	if hits < addrMemoPeriod || m.resting > 0 {
		t.Errorf("repeated values: %d hits in %d look-ups, resting %d", hits, 3*addrMemoPeriod, m.resting)
	}
	rested := false
	for i := range 12 * addrMemoPeriod {
		f := fields[rnd.IntN(len(fields))]
		v := fmt.Sprintf("CALLE %d BIS %d", i, rnd.IntN(1000))
		if got, want := m.hash(c, f, v), c.hash(f, v); got != want {
			t.Fatalf("distinct value %d, %q: memo %d, comparer %d", i, v, got, want)
		}
		rested = rested || m.resting > 0
	}
	if !rested {
		t.Error("values that never repeat: the memo never stood aside")
	}
}

// TestValueKeyDistinct: no two of a set of values built to differ little
// (a byte changed at every position, lengths 0 to 24) share a key.
func TestValueKeyDistinct(t *testing.T) {
	seen := map[uint64]string{}
	add := func(v string) {
		k := valueKey(v)
		if k == 0 {
			t.Fatalf("%q: key 0", v)
		}
		if o, ok := seen[k]; ok && o != v {
			t.Fatalf("%q and %q share key %#x", o, v, k)
		}
		seen[k] = v
	}
	base := []byte("CALLE NIÑOS HEROES 5 DE MAYO")
	for n := 0; n <= 24; n++ {
		b := base[:n]
		add(string(b))
		for i := range b {
			for x := 1; x < 256; x++ {
				c := slices.Clone(b)
				c[i] ^= byte(x)
				add(string(c))
			}
		}
	}
	if len(seen) < 70000 {
		t.Errorf("%d values", len(seen))
	}
}

// TestAddrMemoSets: with as many distinct streets and colonias as a
// synthetic register's (≈9,000), nine look-ups in ten after the first
// round hit (95% measured). A table of one slot a set hit 77%: the values
// sharing a slot evicted each other.
func TestAddrMemoSets(t *testing.T) {
	s := register.INE()
	c := newComparer(s)
	calle := s.Index(register.FCalle)
	vocab := make([]string, 9000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("CALLE %d DE LA COLONIA", i)
	}
	var m addrMemo
	for _, v := range vocab {
		m.hash(c, calle, v)
	}
	rnd := rand.New(rand.NewPCG(5, 6))
	hits, n := 0, addrMemoPeriod/2 // within the memo's period: it never rests
	m.n, m.hits = 0, 0
	for range n {
		v := vocab[rnd.IntN(len(vocab))]
		before := m.hits
		if got, want := m.hash(c, calle, v), c.hash(calle, v); got != want {
			t.Fatalf("%q: memo %d, comparer %d", v, got, want)
		}
		if m.hits > before {
			hits++
		}
	}
	if hits < n*90/100 {
		t.Errorf("%d hits in %d look-ups of %d values, want 90%%", hits, n, len(vocab))
	}
}

// TestAddrMemoWholeKey: two values whose keys share the set's bits and
// the low 32 bits (found by a birthday search) are told apart. When the
// memo compared those bits only, the second got the first's hash, and the
// same leak gave other agreements on other cores (each worker holds its
// own memo).
func TestAddrMemoWholeKey(t *testing.T) {
	a, b := "DOMicIlIO cOnOCIDO ", "CALLE ZZ 5876807"
	ka, kb := valueKey(a), valueKey(b)
	if ka>>(64-addrMemoBits) != kb>>(64-addrMemoBits) || uint32(ka) != uint32(kb) || ka == kb {
		t.Fatalf("keys %x and %x: not the partial collision this test needs", ka, kb)
	}
	s := register.INE()
	c := newComparer(s)
	calle := s.Index(register.FCalle)
	if c.hash(calle, a) == c.hash(calle, b) {
		t.Fatal("the two values compare equal")
	}
	var m addrMemo
	m.hash(c, calle, a)
	if got, want := m.hash(c, calle, b), c.hash(calle, b); got != want {
		t.Errorf("%q after %q: memo %d, comparer %d", b, a, got, want)
	}
}
