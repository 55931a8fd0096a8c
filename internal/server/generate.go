package server

// The browser half of the exposure check is package exposure compiled to
// WebAssembly. Regenerate after changing internal/exposure; TestWasmUpToDate
// fails when the committed file differs from a fresh build.
//go:generate sh -c "GOOS=js GOARCH=wasm go build -trimpath -buildvcs=false -ldflags=-s -o static/check.wasm ../exposure/wasm && cp \"$(go env GOROOT)/lib/wasm/wasm_exec.js\" static/wasm_exec.js"
