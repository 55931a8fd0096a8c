package ledger

import (
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// maxProblems is how many problems a failed Verify lists.
const maxProblems = 8

// VerifyError lists what Verify found wrong; errors.Is(err, ErrCorrupt) holds.
type VerifyError struct {
	Problems []error // the first maxProblems problems
	Total    int     // how many there were
}

func (e *VerifyError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	s := strings.Join(msgs, "\n")
	if e.Total > len(e.Problems) {
		s += fmt.Sprintf("\n(%d more problems)", e.Total-len(e.Problems))
	}
	return s
}

func (e *VerifyError) Unwrap() []error { return e.Problems }

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *VerifyError) Is(target error) bool { return target == ErrCorrupt }

// Verify re-reads the ledger folder and checks all of it: every file's
// format, every entry against its stored hash, every stored hash recomputed
// from the entries, every checkpoint's signature by key.pub's key and tree
// hash, and the consistency of each checkpoint with the one before. The error
// names the file and line of each problem found.
func (l *Ledger) Verify() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var st *state
	err := l.withLock(false, func() error {
		var err error
		st, err = loadState(l.dir, false)
		return err
	})
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if st.vkey != l.st.vkey {
		return fmt.Errorf("verify: %w", corrupt(l.dir, keyFile, 2, "verifier key changed since the ledger was opened: now %s, was %s", st.vkey, l.st.vkey))
	}
	if l.signer != nil {
		if err := checkSigner(l.dir, st, l.signer); err != nil {
			return fmt.Errorf("verify: %w", err)
		}
	}
	if int64(len(st.entries)) < int64(len(l.st.entries)) {
		return fmt.Errorf("verify: %w", corrupt(l.dir, entriesFile, 0, "%d entries, but %d when the ledger was opened: entries were removed", len(st.entries), len(l.st.entries)))
	}
	if err := verifyState(l.dir, st); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	return nil
}

// verifyState runs the cryptographic checks over a parsed ledger.
func verifyState(dir string, st *state) error {
	verr := &VerifyError{}
	add := func(err error) {
		verr.Total++
		if len(verr.Problems) < maxProblems {
			verr.Problems = append(verr.Problems, err)
		}
	}

	// The stored hashes, recomputed from the entries alone.
	re := make([]tlog.Hash, 0, len(st.hashes))
	for k, rec := range st.records {
		hs, err := tlog.StoredHashes(int64(k), rec, hashReader(re))
		if err != nil {
			return err
		}
		re = append(re, hs...)
	}
	for i := range re {
		if re[i] == st.hashes[i] {
			continue
		}
		level, n := tlog.SplitStoredHashIndex(int64(i))
		if level == 0 {
			add(corrupt(dir, entriesFile, int(n)+2, "entry %d (id %q) hashes to %s, but hashes line %d holds %s: the entry or its hash was altered", n, st.entries[n].ID, re[i], i+2, st.hashes[i]))
		} else {
			add(corrupt(dir, hashesFile, i+2, "stored hash %d (level %d) is %s, but the entries give %s", i, level, st.hashes[i], re[i]))
		}
	}

	// Every checkpoint: signature, tree hash, consistency with the previous.
	for k, cp := range st.cps {
		line := linesPerCheckpoint*k + 2
		if _, err := openCheckpoint(cp.note, st.verifier); err != nil {
			add(corrupt(dir, checkpointsFile, line, "checkpoint %d: %v", k, err))
			continue
		}
		th, err := tlog.TreeHash(int64(k), hashReader(re))
		if err != nil {
			return err
		}
		if th != cp.tree.Hash {
			add(corrupt(dir, checkpointsFile, line+2, "checkpoint %d signs tree hash %s, but the first %d entries hash to %s", k, cp.tree.Hash, k, th))
			continue
		}
		if k <= 1 {
			// ProveTree needs a non-empty old tree; checkpoint 0's hash,
			// the empty tree's, was just checked.
			continue
		}
		prev := st.cps[k-1].tree
		p, err := tlog.ProveTree(int64(k), prev.N, hashReader(re))
		if err == nil {
			err = tlog.CheckTree(p, int64(k), cp.tree.Hash, prev.N, prev.Hash)
		}
		if err != nil {
			add(corrupt(dir, checkpointsFile, line, "checkpoint %d is not consistent with checkpoint %d: %v", k, k-1, err))
		}
	}
	if verr.Total > 0 {
		return verr
	}
	return nil
}

// CheckCheckpoint checks a checkpoint kept outside the ledger (in an
// evidence report, a proof, a newspaper) against it: the note must be signed
// by the ledger's key, and the ledger must still hold the tree it signs. This
// catches what Verify alone cannot: entries cut off the end together with
// their checkpoints, or a ledger rewritten from some point on.
func (l *Ledger) CheckCheckpoint(text string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.st
	tree, err := openCheckpoint([]byte(text), st.verifier)
	if err != nil {
		return &CorruptError{Path: "checkpoint", Msg: err.Error()}
	}
	n := int64(len(st.entries))
	if tree.N > n {
		return corrupt(l.dir, entriesFile, 0, "the ledger holds %d entries, but it once signed a tree of %d: entries were removed", n, tree.N)
	}
	th, err := tlog.TreeHash(tree.N, hashReader(st.hashes))
	if err != nil {
		return err
	}
	if th != tree.Hash {
		return corrupt(l.dir, checkpointsFile, 0, "the ledger's first %d entries hash to %s, but the checkpoint signs %s: the ledger was rewritten", tree.N, th, tree.Hash)
	}
	return nil
}
