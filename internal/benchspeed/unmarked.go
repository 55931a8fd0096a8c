package benchspeed

import (
	"bufio"
	"context"
	"fmt"
	"os"

	"github.com/huella/huella/internal/release"

	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/store"
	"github.com/huella/huella/internal/workspace"
)

// WriteUnmarked writes the register of the workspace at dir as of asOf to
// out, every field in schema order, as the plain CSV a release writes
// (same header, same quoting) but with no mark, no canary, no keyed order,
// no hash and no ledger entry: the baseline a release is compared with.
// Like a release it takes the workspace lock, opens the store, streams the
// rows through a 1 MiB buffer and fsyncs the file. It returns the rows
// written.
func WriteUnmarked(ctx context.Context, dir string, asOf register.Date, out string) (int64, error) {
	ws, err := workspace.Open(dir)
	if err != nil {
		return 0, err
	}
	defer ws.Close()
	schema := ws.Schema()
	st, err := store.OpenWith(ws.StorePath(), schema, store.Options{CacheBytes: store.StreamCacheBytes, ReadOnly: true}) // as huella release
	if err != nil {
		return 0, err
	}
	defer st.Close()
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("unmarked copy: %w", err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var buf []byte
	for i, name := range schema.Names() {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = release.AppendCSV(buf, name)
	}
	w.Write(append(buf, '\n'))
	var rows int64
	err = st.AsOf(ctx, asOf, func(v *register.Version) error {
		buf = buf[:0]
		for i, s := range v.Record {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = release.AppendCSV(buf, s)
		}
		rows++
		_, err := w.Write(append(buf, '\n'))
		return err
	})
	if err != nil {
		return rows, fmt.Errorf("unmarked copy: %w", err)
	}
	if err := w.Flush(); err != nil {
		return rows, fmt.Errorf("unmarked copy: %w", err)
	}
	if err := f.Sync(); err != nil {
		return rows, fmt.Errorf("unmarked copy: %w", err)
	}
	return rows, f.Close()
}
