package analysis

import "github.com/huella/huella/internal/register"

// NewAttributor is the fingerprint attributor AnalyzeFile uses, for callers
// that drive Run themselves (package benchacc): key is the workspace's
// fingerprint key; taken tells whether a CURP or clave belongs to a person
// of the register (so a canary is never one).
func NewAttributor(key []byte, schema *register.Schema, taken func(curp, clave string) bool) Attributor {
	return newAttributor(key, schema, taken)
}
