// Package archtest holds no code: its test checks that imports between
// huella's internal packages point down only (register at the bottom, the
// server at the top), the way restic enforces its layers.
package archtest
