package ident

// Entidad is one of Mexico's 32 federal entities as the registers code it.
type Entidad struct {
	Code       string   // INE code "01".."32" (alphabetical, CDMX as Distrito Federal)
	Name       string   // usual name
	CURPCode   string   // 2-letter birth-state code of the CURP, "AS".."ZS"
	CPPrefixes []string // first two digits of its postal codes
	VotersM    float64  // voters in the padrón, millions, ≈2021
}

// Entidades are the 32 entities in INE order.
var Entidades = []Entidad{
	{"01", "Aguascalientes", "AS", []string{"20"}, 1.0},
	{"02", "Baja California", "BC", []string{"21", "22"}, 2.9},
	{"03", "Baja California Sur", "BS", []string{"23"}, 0.55},
	{"04", "Campeche", "CC", []string{"24"}, 0.7},
	{"05", "Coahuila", "CL", []string{"25", "26", "27"}, 2.3},
	{"06", "Colima", "CM", []string{"28"}, 0.55},
	{"07", "Chiapas", "CS", []string{"29", "30"}, 3.8},
	{"08", "Chihuahua", "CH", []string{"31", "32", "33"}, 2.9},
	{"09", "Ciudad de México", "DF", []string{"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16"}, 7.8},
	{"10", "Durango", "DG", []string{"34", "35"}, 1.3},
	{"11", "Guanajuato", "GT", []string{"36", "37", "38"}, 4.5},
	{"12", "Guerrero", "GR", []string{"39", "40", "41"}, 2.6},
	{"13", "Hidalgo", "HG", []string{"42", "43"}, 2.2},
	{"14", "Jalisco", "JC", []string{"44", "45", "46", "47", "48", "49"}, 6.1},
	{"15", "México", "MC", []string{"50", "51", "52", "53", "54", "55", "56", "57"}, 12.3},
	{"16", "Michoacán", "MN", []string{"58", "59", "60", "61"}, 3.6},
	{"17", "Morelos", "MS", []string{"62"}, 1.5},
	{"18", "Nayarit", "NT", []string{"63"}, 0.9},
	{"19", "Nuevo León", "NL", []string{"64", "65", "66", "67"}, 4.2},
	{"20", "Oaxaca", "OC", []string{"68", "69", "70", "71"}, 3.0},
	{"21", "Puebla", "PL", []string{"72", "73", "74", "75"}, 4.6},
	{"22", "Querétaro", "QT", []string{"76"}, 1.7},
	{"23", "Quintana Roo", "QR", []string{"77"}, 1.3},
	{"24", "San Luis Potosí", "SP", []string{"78", "79"}, 2.0},
	{"25", "Sinaloa", "SL", []string{"80", "81", "82"}, 2.2},
	{"26", "Sonora", "SR", []string{"83", "84", "85"}, 2.2},
	{"27", "Tabasco", "TC", []string{"86"}, 1.7},
	{"28", "Tamaulipas", "TS", []string{"87", "88", "89"}, 2.7},
	{"29", "Tlaxcala", "TL", []string{"90"}, 1.0},
	{"30", "Veracruz", "VZ", []string{"91", "92", "93", "94", "95", "96"}, 5.9},
	{"31", "Yucatán", "YN", []string{"97"}, 1.6},
	{"32", "Zacatecas", "ZS", []string{"98", "99"}, 1.2},
}

// EntidadByCode finds an entity by its INE code "01".."32" (a single digit
// "9" is accepted too).
func EntidadByCode(code string) (Entidad, bool) {
	if len(code) == 1 {
		code = "0" + code
	}
	if len(code) != 2 || !isDigit(code[0]) || !isDigit(code[1]) {
		return Entidad{}, false
	}
	i := int(code[0]-'0')*10 + int(code[1]-'0')
	if i < 1 || i > 32 {
		return Entidad{}, false
	}
	return Entidades[i-1], true
}

// EntidadByCURPCode finds an entity by its CURP birth-state code ("DF");
// "NE" (born abroad) is no entity.
func EntidadByCURPCode(c string) (Entidad, bool) {
	for _, e := range Entidades {
		if e.CURPCode == c {
			return e, true
		}
	}
	return Entidad{}, false
}
