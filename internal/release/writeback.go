package release

import "os"

// writebackChunk is how much a release writes before asking the kernel to
// start writing it to disk.
const writebackChunk = 8 << 20

// writeback is the output file as the release writes it: every
// writebackChunk bytes it starts the kernel's write-back of the chunk
// (sync_file_range SYNC_FILE_RANGE_WRITE, which does not wait), so that the
// final fsync finds little left to write and the disk works while the
// release computes. Where the call is not supported it does nothing; the
// fsync at the end is what makes the file durable either way.
type writeback struct {
	f       *os.File
	off     int64 // bytes written
	started int64 // bytes handed to write-back
	off2    bool  // the call failed once: stop trying
}

func (w *writeback) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if !w.off2 && w.off-w.started >= writebackChunk {
		if startWriteback(w.f, w.started, w.off-w.started) != nil {
			w.off2 = true
		}
		w.started = w.off
	}
	return n, err
}
