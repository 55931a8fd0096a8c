// Package register owns the nouns of a register of people: its schema (the
// fields, their types and roles), a record (one row of values in schema
// order), a version (a record with its validity interval) and the calendar
// day used for every instant.
//
// A schema is configuration, not code. The default is the INE padrón
// electoral; another register (a health or tax register, a bank's customers)
// is described by a JSON file of the form
//
//	{"format": "huella schema v1",
//	 "name": "padron-ine",
//	 "fields": [
//	   {"name": "curp", "role": "person_key", "kind": "curp", "identity": true},
//	   {"name": "nombre", "role": "name", "identity": true},
//	   {"name": "fecha_nacimiento", "role": "date", "kind": "date", "identity": true},
//	   {"name": "calle", "role": "address"},
//	   ...]}
//
// Roles tell the other packages what a field is for: person keys link leaked
// rows to people, name parts and dates feed probabilistic linkage, address
// parts carry fingerprints, credential fields date a copy. Identity fields are
// never altered in a released copy.
package register

import (
	"encoding/json"
	"fmt"
	"os"
)

// Role is what a field means to huella.
type Role string

// The roles a field can have.
const (
	RolePersonKey  Role = "person_key" // identifies a person: CURP, clave de elector
	RoleName       Role = "name"       // a part of a person's name
	RoleDate       Role = "date"       // a date about the person or the record
	RoleCode       Role = "code"       // a coded value: sex, state, section, postal code
	RoleAddress    Role = "address"    // a part of the address written as people write it
	RoleCredential Role = "credential" // numbers of one issued credential (CIC, OCR, emision)
	RoleOther      Role = "other"
)

// Kind is the syntax of a field's values.
type Kind string

// The kinds of values.
const (
	KindText  Kind = "text"
	KindDate  Kind = "date"  // ISO YYYY-MM-DD
	KindCURP  Kind = "curp"  // 18-character CURP
	KindClave Kind = "clave" // 18-character clave de elector
	KindCode  Kind = "code"  // digits or short letters
)

// Field is one column of a register.
type Field struct {
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	Kind     Kind   `json:"kind,omitempty"`
	Identity bool   `json:"identity,omitempty"` // never altered in a released copy
}

// Schema is the ordered list of a register's fields.
type Schema struct {
	Format string  `json:"format"`
	Name   string  `json:"name"`
	Fields []Field `json:"fields"`
	index  map[string]int
}

// SchemaFormat is the first field of every schema file.
const SchemaFormat = "huella schema v1"

// The INE padrón's column names, a contract other tools rely on.
const (
	FClave         = "clave_elector"
	FCURP          = "curp"
	FNombre        = "nombre"
	FPaterno       = "apellido_paterno"
	FMaterno       = "apellido_materno"
	FNacimiento    = "fecha_nacimiento"
	FSexo          = "sexo"
	FEntidad       = "entidad"
	FMunicipio     = "municipio"
	FSeccion       = "seccion"
	FLocalidad     = "localidad"
	FCalle         = "calle"
	FNumExterior   = "num_exterior"
	FNumInterior   = "num_interior"
	FColonia       = "colonia"
	FCodigoPostal  = "codigo_postal"
	FFechaRegistro = "fecha_registro"
	FEmision       = "emision"
	FCIC           = "cic"
	FOCR           = "ocr"
)

// INE is the default schema: the padrón electoral of Mexico's INE.
func INE() *Schema {
	s := &Schema{Format: SchemaFormat, Name: "padron-ine", Fields: []Field{
		{FClave, RolePersonKey, KindClave, true},
		{FCURP, RolePersonKey, KindCURP, true},
		{FNombre, RoleName, KindText, true},
		{FPaterno, RoleName, KindText, true},
		{FMaterno, RoleName, KindText, true},
		{FNacimiento, RoleDate, KindDate, true},
		{FSexo, RoleCode, KindCode, true},
		{FEntidad, RoleCode, KindCode, true},
		{FMunicipio, RoleCode, KindCode, false},
		{FSeccion, RoleCode, KindCode, true},
		{FLocalidad, RoleCode, KindCode, false},
		{FCalle, RoleAddress, KindText, false},
		{FNumExterior, RoleAddress, KindText, false},
		{FNumInterior, RoleAddress, KindText, false},
		{FColonia, RoleAddress, KindText, false},
		{FCodigoPostal, RoleCode, KindCode, false},
		{FFechaRegistro, RoleDate, KindDate, false},
		{FEmision, RoleCredential, KindCode, false},
		{FCIC, RoleCredential, KindCode, false},
		{FOCR, RoleCredential, KindCode, false},
	}}
	if err := s.init(); err != nil {
		panic(err)
	}
	return s
}

// LoadSchema reads a schema description from a JSON file.
func LoadSchema(path string) (*Schema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	return ParseSchema(b)
}

// ParseSchema decodes and checks a JSON schema description.
func ParseSchema(b []byte) (*Schema, error) {
	var s Schema
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse schema: %w", err)
	}
	if s.Format != SchemaFormat {
		return nil, fmt.Errorf("parse schema: format %q, expected %q", s.Format, SchemaFormat)
	}
	if err := s.init(); err != nil {
		return nil, err
	}
	return &s, nil
}

// MarshalJSON-compatible encoding is the struct itself; init validates.
func (s *Schema) init() error {
	if len(s.Fields) == 0 {
		return fmt.Errorf("schema %q: no fields", s.Name)
	}
	s.index = make(map[string]int, len(s.Fields))
	for i, f := range s.Fields {
		if f.Name == "" {
			return fmt.Errorf("schema %q: field %d has no name", s.Name, i+1)
		}
		if _, dup := s.index[f.Name]; dup {
			return fmt.Errorf("schema %q: field %q twice", s.Name, f.Name)
		}
		switch f.Role {
		case RolePersonKey, RoleName, RoleDate, RoleCode, RoleAddress, RoleCredential, RoleOther:
		default:
			return fmt.Errorf("schema %q: field %q: unknown role %q", s.Name, f.Name, f.Role)
		}
		if f.Kind == "" {
			s.Fields[i].Kind = KindText
		}
		s.index[f.Name] = i
	}
	return nil
}

// Index is the position of the named field, or -1.
func (s *Schema) Index(name string) int {
	if i, ok := s.index[name]; ok {
		return i
	}
	return -1
}

// Names lists the field names in order: the CSV header of a snapshot.
func (s *Schema) Names() []string {
	out := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		out[i] = f.Name
	}
	return out
}

// WithRole lists the indexes of the fields with role r, in schema order.
func (s *Schema) WithRole(r Role) []int {
	var out []int
	for i, f := range s.Fields {
		if f.Role == r {
			out = append(out, i)
		}
	}
	return out
}

// Record is one row of a register: values in schema order, as written by the
// custodian (upper case, ISO dates). Records are compared byte for byte.
type Record []string

// Version is one version of one person: the record and the days it was valid,
// [ValidFrom, ValidTo); ValidTo is NoDate while the version is still valid.
type Version struct {
	PersonID  uint64
	ValidFrom Date
	ValidTo   Date
	Record    Record
}

// ValidAt tells whether the version is the person's record at day t.
func (v *Version) ValidAt(t Date) bool { return v.ValidFrom <= t && t < v.ValidTo }
