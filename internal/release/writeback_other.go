//go:build !linux

package release

import (
	"errors"
	"os"
)

// startWriteback is not supported here: the release relies on its final
// fsync alone.
func startWriteback(f *os.File, off, n int64) error {
	return errors.ErrUnsupported
}
