package main

import (
	"errors"
	"fmt"
	"io"
)

// Exit codes: one table, printed by "huella help".
const (
	ExitOK       = 0 // success
	ExitFailure  = 1 // the command failed (I/O, internal error)
	ExitUsage    = 2 // bad command line
	ExitBadInput = 3 // an input file is malformed: file:line:column in the message
	ExitVerify   = 4 // a verification failed: the ledger or a proof is not consistent
	ExitNoSpace  = 5 // the workspace is missing, locked or not initialised
)

var exitTable = []struct {
	code int
	what string
}{
	{ExitOK, "success"},
	{ExitFailure, "the command failed (I/O or internal error)"},
	{ExitUsage, "bad command line"},
	{ExitBadInput, "malformed input: the message names file:line:column"},
	{ExitVerify, "verification failed: the ledger, a signature or a proof is inconsistent"},
	{ExitNoSpace, "no usable workspace (missing, not initialised, or in use)"},
}

func writeExitCodes(w io.Writer) {
	fmt.Fprintf(w, "Exit codes:\n")
	for _, e := range exitTable {
		fmt.Fprintf(w, "  %d  %s\n", e.code, e.what)
	}
}

// exitError carries an exit code chosen by a command.
type exitError struct {
	code int
	err  error
	hint string
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode marks err to end the process with code, optionally with a hint.
func withCode(code int, err error, hint string) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err, hint: hint}
}

// usageError is a bad command line.
func usageError(format string, a ...any) error {
	return withCode(ExitUsage, fmt.Errorf(format, a...), "")
}

func reportError(w io.Writer, name string, err error) int {
	fmt.Fprintf(w, "huella: error: %s: %v\n", name, err)
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.hint != "" {
			fmt.Fprintf(w, "huella: hint: %s\n", ee.hint)
		}
		return ee.code
	}
	return ExitFailure
}
