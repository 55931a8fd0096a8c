package main
import (
	_ "github.com/cockroachdb/pebble"
	_ "golang.org/x/mod/sumdb/tlog"
	_ "golang.org/x/mod/sumdb/note"
	_ "github.com/cloudflare/circl/oprf"
	_ "github.com/xuri/excelize/v2"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "golang.org/x/text/encoding/charmap"
	_ "golang.org/x/term"
	_ "golang.org/x/crypto/argon2"
)
func main(){}
