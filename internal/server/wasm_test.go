package server

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestWasmUpToDate rebuilds the browser's exposure client the way
// "go generate" does and checks the committed static/check.wasm and
// wasm_exec.js are exactly what the current sources and toolchain produce.
// Set HUELLA_SKIP_WASM_CHECK=1 to skip it (it compiles for js/wasm).
func TestWasmUpToDate(t *testing.T) {
	if testing.Short() || os.Getenv("HUELLA_SKIP_WASM_CHECK") != "" {
		t.Skip("skipping the wasm rebuild in -short mode")
	}
	out := filepath.Join(t.TempDir(), "check.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s", "-o", out, "../exposure/wasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build wasm: %v\n%s", err, b)
	}
	fresh, _ := os.ReadFile(out)
	committed, _ := os.ReadFile("static/check.wasm")
	if !bytes.Equal(fresh, committed) {
		t.Errorf("static/check.wasm (%d bytes) differs from a fresh build (%d bytes): run go generate ./internal/server", len(committed), len(fresh))
	}
	goroot := runtime.GOROOT()
	if b, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		goroot = strings.TrimSpace(string(b))
	}
	want, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile("static/wasm_exec.js")
	if !bytes.Equal(got, want) {
		t.Error("static/wasm_exec.js differs from the toolchain's: run go generate ./internal/server")
	}
}
