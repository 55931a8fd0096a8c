package main

import (
	"github.com/huella/huella/internal/ledger"
	"github.com/huella/huella/internal/workspace"
)

// The ledger's part of "huella init": a signing key pair and an empty ledger
// with its first signed checkpoint.
func init() {
	addInitStep("ledger", func(ws *workspace.Workspace) error {
		return ledger.Create(ws.LedgerPath(), ws.LedgerKeyPath(), "huella-ledger")
	})
}
