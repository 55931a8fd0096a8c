package report

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CaseDir is where the case of an analysis is kept in a workspace.
func CaseDir(workspace, analysisID string) string {
	return filepath.Join(workspace, "cases", analysisID)
}

// AffectedCSV is the notification list: a "curp" header, then one CURP a
// line, in the order given (callers sort for determinism).
func AffectedCSV(curps []string) []byte {
	n := len("curp\n")
	for _, c := range curps {
		n += len(c) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, "curp\n"...)
	for _, c := range curps {
		b = append(b, c...)
		b = append(b, '\n')
	}
	return b
}

// SHA256 is the hex SHA-256 of b.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// WriteFile writes b to path under a temporary name and renames it into
// place, so a reader never sees half a report. Files holding personal data
// (affected.csv) should get mode 0600. A path that names a device or a pipe
// (/dev/null, /dev/stdout, a FIFO) is written to as it is: renaming over it
// would replace it with a file.
func WriteFile(path string, b []byte, perm os.FileMode) error {
	if err := writeFile(path, b, perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writeFile(path string, b []byte, perm os.FileMode) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return errors.New("a folder, not a file")
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		return writeClose(f, b)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	// the temporary files a killed run left (affected.csv's hold CURPs);
	// the workspace's lock keeps two runs from writing one case at once
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+globEscape(filepath.Base(path))+".tmp*"))
	for _, f := range stale {
		os.Remove(f)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := writeClose(tmp, b); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// globEscape escapes the characters filepath.Match reads as a pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[]\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// writeClose writes b to f and closes it.
func writeClose(f *os.File, b []byte) error {
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
