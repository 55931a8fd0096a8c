package ledger

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// Proof shows offline that an entry is in the ledger: record Index of the
// tree of size TreeSize whose head Checkpoint signs. Its JSON form is the
// proof file (see the package doc).
type Proof struct {
	Format      string   `json:"format"`       // ProofFormat
	Entry       string   `json:"entry"`        // the entry's canonical line: the exact bytes hashed
	Index       int64    `json:"index"`        // 0-based record number
	TreeSize    int64    `json:"tree_size"`    // size of the tree the checkpoint signs
	Inclusion   []string `json:"inclusion"`    // tlog.RecordProof, base64 hashes
	Checkpoint  string   `json:"checkpoint"`   // signed note text of the tree head
	VerifierKey string   `json:"verifier_key"` // the key that signed it (compare with key.pub)
}

// DecodeEntry returns the entry the proof is about.
func (p *Proof) DecodeEntry() (Entry, error) {
	return decodeEntry([]byte(p.Entry))
}

// Prove returns an inclusion proof of the entry with the given id in the
// tree signed by the latest checkpoint.
func (l *Ledger) Prove(id string) (*Proof, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.st
	n, ok := st.ids[id]
	if !ok {
		return nil, fmt.Errorf("prove %q: %w", id, ErrNotFound)
	}
	t := int64(len(st.entries))
	rp, err := tlog.ProveRecord(t, n, hashReader(st.hashes))
	if err != nil {
		return nil, fmt.Errorf("prove %q: %w", id, err)
	}
	p := &Proof{
		Format:      ProofFormat,
		Entry:       string(st.records[n]),
		Index:       n,
		TreeSize:    t,
		Inclusion:   make([]string, len(rp)),
		Checkpoint:  string(st.cps[t].note),
		VerifierKey: st.vkey,
	}
	for i, h := range rp {
		p.Inclusion[i] = h.String()
	}
	// A proof that does not verify is a bug or a changed ledger: say so now.
	if err := VerifyProof(p, st.vkey); err != nil {
		return nil, fmt.Errorf("prove %q: %w", id, err)
	}
	return p, nil
}

// VerifyProof checks a proof offline. verifierKey is the key the reader
// trusts (the published key.pub line); empty means the key carried in the
// proof, which then proves only that the holder of that key signed it.
func VerifyProof(p *Proof, verifierKey string) error {
	bad := func(format string, a ...any) error {
		return &CorruptError{Path: "proof", Msg: fmt.Sprintf(format, a...)}
	}
	if p == nil {
		return errors.New("verify proof: no proof")
	}
	if p.Format != ProofFormat {
		return bad("format %q, expected %q", truncate(p.Format), ProofFormat)
	}
	key := strings.TrimSpace(verifierKey)
	if key == "" {
		key = p.VerifierKey
	} else if p.VerifierKey != key {
		return bad("signed with key %s, but the trusted key is %s", truncate(p.VerifierKey), truncate(key))
	}
	v, err := parseVerifierKey(key)
	if err != nil {
		return bad("%v", err)
	}
	tree, err := openCheckpoint([]byte(p.Checkpoint), v)
	if err != nil {
		return bad("checkpoint: %v", err)
	}
	if tree.N != p.TreeSize {
		return bad("tree_size %d, but the checkpoint signs size %d", p.TreeSize, tree.N)
	}
	if p.Index < 0 || p.Index >= tree.N {
		return bad("index %d outside the tree of size %d", p.Index, tree.N)
	}
	e, err := decodeEntry([]byte(p.Entry))
	if err != nil {
		return bad("entry: %v", err)
	}
	rp := make(tlog.RecordProof, len(p.Inclusion))
	for i, s := range p.Inclusion {
		if rp[i], err = parseHash(s); err != nil {
			return bad("inclusion[%d]: %v", i, err)
		}
	}
	if err := tlog.CheckRecord(rp, tree.N, tree.Hash, p.Index, tlog.RecordHash([]byte(p.Entry))); err != nil {
		return bad("entry %q is not record %d of the signed tree of size %d: %v", e.ID, p.Index, tree.N, err)
	}
	return nil
}
