package main

import (
	"github.com/huella/huella/internal/store"
	"github.com/huella/huella/internal/workspace"
)

// The store's part of "huella init": an empty temporal store.
func init() {
	addInitStep("store", func(ws *workspace.Workspace) error {
		return store.Create(ws.StorePath(), ws.Schema())
	})
}
