package ledger

import (
	"fmt"
	"testing"
)

// BenchmarkAppend: one durable append (journal, three files and the folder
// fsync'd, one Ed25519 signature).
func BenchmarkAppend(b *testing.B) {
	_, _, l := newLedger(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.Append(release(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// benchLedger is a ledger of n entries, written in one go (n appends would
// spend their time in fsync); Verify in the benchmarks checks it is sound.
func benchLedger(b *testing.B, n int) (dir string, l *Ledger) {
	dir, keyPath, l := newLedger(b)
	l.Close()
	es := make([]Entry, n)
	for i := range es {
		es[i] = release(i)
	}
	writeLedger(b, dir, keyPath, es)
	l, err := Open(dir, keyPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return dir, l
}

// BenchmarkVerify: the full check of a ledger (re-hash, recompute, every
// signature, every consistency proof).
func BenchmarkVerify(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			_, l := benchLedger(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := l.Verify(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpen: opening a 1000-entry ledger read-only (parse, check the
// latest checkpoint).
func BenchmarkOpen(b *testing.B) {
	dir, _ := benchLedger(b, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := Open(dir, "")
		if err != nil {
			b.Fatal(err)
		}
		l.Close()
	}
}

// BenchmarkProveAndCheck: an inclusion proof in a 1000-entry ledger, made and
// checked offline.
func BenchmarkProveAndCheck(b *testing.B) {
	_, l := benchLedger(b, 1000)
	key := l.VerifierKey()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := l.Prove(release(i % 1000).ID)
		if err != nil {
			b.Fatal(err)
		}
		if err := VerifyProof(p, key); err != nil {
			b.Fatal(err)
		}
	}
}
