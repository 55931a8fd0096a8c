//go:build js && wasm

// Command wasm is the browser side of the exposure check, compiled to
// WebAssembly and served by the web server as /static/check.wasm. It uses
// the very code of package exposure, so the browser blinds and finalizes
// exactly as "huella check" does. It registers four functions on the
// global object:
//
//	huellaBlind(curp) → {handle, blinded (base64)} | {error}
//	huellaFinalize(handle, evaluated (base64)) → {output (hex)} | {error}
//	huellaBucket(output, prefixBits) → bucket index
//	huellaContains(bucket (base64), output) → bool
//
// The CURP and the blind never leave this module; the page sends only the
// blinded element and the bucket index.
package main

import (
	"encoding/base64"
	"encoding/hex"
	"syscall/js"

	"github.com/huella/huella/internal/exposure"
)

var (
	pending = map[int]*exposure.Blinded{}
	next    = 1
)

func errObj(err error) any { return map[string]any{"error": err.Error()} }

func main() {
	js.Global().Set("huellaBlind", js.FuncOf(func(this js.Value, args []js.Value) any {
		x, err := exposure.Normalize(args[0].String())
		if err != nil {
			return errObj(err)
		}
		b, err := exposure.Blind(x)
		if err != nil {
			return errObj(err)
		}
		h := next
		next++
		pending[h] = b
		return map[string]any{"handle": h, "blinded": base64.StdEncoding.EncodeToString(b.Request)}
	}))
	js.Global().Set("huellaFinalize", js.FuncOf(func(this js.Value, args []js.Value) any {
		h := args[0].Int()
		b := pending[h]
		delete(pending, h)
		if b == nil {
			return map[string]any{"error": "unknown handle"}
		}
		ev, err := base64.StdEncoding.DecodeString(args[1].String())
		if err != nil {
			return errObj(err)
		}
		outs, err := b.Finalize(ev)
		if err != nil {
			return errObj(err)
		}
		return map[string]any{"output": hex.EncodeToString(outs[0])}
	}))
	js.Global().Set("huellaBucket", js.FuncOf(func(this js.Value, args []js.Value) any {
		out, err := hex.DecodeString(args[0].String())
		if err != nil || len(out) != exposure.OutputSize {
			return -1
		}
		return exposure.BucketIndex(out, args[1].Int())
	}))
	js.Global().Set("huellaContains", js.FuncOf(func(this js.Value, args []js.Value) any {
		bucket, err1 := base64.StdEncoding.DecodeString(args[0].String())
		out, err2 := hex.DecodeString(args[1].String())
		if err1 != nil || err2 != nil || len(out) != exposure.OutputSize {
			return false
		}
		return exposure.Contains(bucket, exposure.Tag(out))
	}))
	js.Global().Call("dispatchEvent", js.Global().Get("Event").New("huella-ready"))
	select {}
}
