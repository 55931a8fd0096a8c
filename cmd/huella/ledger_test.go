package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestLedgerExitCodes checks the exit codes of "huella ledger", which the
// scripts can only see as non-zero.
func TestLedgerExitCodes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ws")
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		m := &Main{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
		code := m.Run(context.Background(), args)
		return code, out.String() + errb.String()
	}
	if code, out := run("init", "--dir", dir); code != ExitOK {
		t.Fatalf("init: %d %s", code, out)
	}
	proof := filepath.Join(t.TempDir(), "bad-proof.json")
	os.WriteFile(proof, []byte(`{"format":"huella ledger proof v1","index":"x"}`), 0o644)
	tampered := filepath.Join(t.TempDir(), "tampered-proof.json")
	os.WriteFile(tampered, []byte(`{"format":"huella ledger proof v1","index":0}`), 0o644)

	cases := []struct {
		name string
		args []string
		want int
	}{
		{"verify ok", []string{"ledger", "verify", "--dir", dir}, ExitOK},
		{"list ok", []string{"ledger", "list", "--json", "--dir", dir}, ExitOK},
		{"no subcommand", []string{"ledger", "--dir", dir}, ExitUsage},
		{"unknown entry", []string{"ledger", "prove", "nope", "--dir", dir}, ExitBadInput},
		{"malformed proof", []string{"ledger", "check-proof", proof}, ExitBadInput},
		{"proof that does not verify", []string{"ledger", "check-proof", tampered}, ExitVerify},
		{"no workspace", []string{"ledger", "list", "--dir", filepath.Join(dir, "nope")}, ExitNoSpace},
		{"no ledger folder", []string{"ledger", "verify", "--ledger", filepath.Join(dir, "nope")}, ExitNoSpace},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code, out := run(tc.args...); code != tc.want {
				t.Fatalf("exit %d, want %d\n%s", code, tc.want, out)
			}
		})
	}

	// One flipped byte in the hashes file: exit 4, saying where.
	path := filepath.Join(dir, "ledger", "hashes")
	b, _ := os.ReadFile(path)
	b[3] ^= 1
	os.WriteFile(path, b, 0o644)
	code, out := run("ledger", "verify", "--dir", dir)
	if code != ExitVerify || !bytes.Contains([]byte(out), []byte("ledger/hashes:1:")) {
		t.Fatalf("verify of a flipped byte: exit %d\n%s", code, out)
	}
}
