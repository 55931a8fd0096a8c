// Package atomicfile writes whole files so that a crash leaves either the old
// file or the new one, never a torn one: the data goes to a temporary file in
// the same folder, is fsynced, renamed over the target, and the folder is
// fsynced so the rename itself is durable.
package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces path with data, atomically and durably, with mode perm.
func Write(path string, data []byte, perm fs.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Commit()
}

// File is a file written in full before it replaces path (Commit); until
// then path is untouched, and Abort drops what was written.
type File struct {
	tmp  *os.File
	path string
	done bool
}

// Create starts writing the file that will replace path, with mode perm.
func Create(path string, perm fs.FileMode) (*File, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return &File{tmp: tmp, path: path}, nil
}

func (f *File) Write(p []byte) (int, error) { return f.tmp.Write(p) }

// Commit makes what was written the file at path, durably.
func (f *File) Commit() error {
	if f.done {
		return os.ErrClosed
	}
	f.done = true
	defer os.Remove(f.tmp.Name()) // after a failure; gone once renamed
	if err := f.tmp.Sync(); err != nil {
		f.tmp.Close()
		return err
	}
	if err := f.tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.tmp.Name(), f.path); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(f.path))
}

// Abort drops what was written, unless Commit came first.
func (f *File) Abort() {
	if !f.done {
		f.done = true
		f.tmp.Close()
		os.Remove(f.tmp.Name())
	}
}

// SyncDir fsyncs a folder so that renames and creations in it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
