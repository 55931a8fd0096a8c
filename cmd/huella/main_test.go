package main

import (
	"context"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts in testdata/script run "huella" in-process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"huella": func() {
			mm := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
			os.Exit(mm.Run(context.Background(), os.Args[1:]))
		},
	})
}

// TestScripts runs the CLI scripts in testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("HUELLA_DIR", e.WorkDir+"/ws")
			return nil
		},
	})
}
