package ledger

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// File names inside a ledger folder.
const (
	keyFile         = "key.pub"
	entriesFile     = "entries"
	hashesFile      = "hashes"
	checkpointsFile = "checkpoints"
	pendingFile     = "pending"
)

// Format lines: the first line of each file.
const (
	keyFormat         = "huella ledger key v1"
	entriesFormat     = "huella ledger entries v1"
	hashesFormat      = "huella ledger hashes v1"
	checkpointsFormat = "huella ledger checkpoints v1"
	pendingFormat     = "huella ledger pending v1"
	// ProofFormat is the "format" field of a proof.
	ProofFormat = "huella ledger proof v1"
)

// Entry kinds.
const (
	KindRelease  = "release"
	KindAnalysis = "analysis"
)

// linesPerCheckpoint is the number of lines of one checkpoint note: three
// lines of tree text, a blank line, one signature line.
const linesPerCheckpoint = 5

// ErrCorrupt is matched (errors.Is) by every error that says the ledger's
// files are inconsistent, as opposed to an I/O error.
var ErrCorrupt = errors.New("ledger is not consistent")

// CorruptError says where a ledger (or a proof) is inconsistent.
type CorruptError struct {
	Path string // the file, e.g. "ws/ledger/entries"
	Line int    // 1-based line, 0 when the problem is not in one line
	Msg  string
}

func (e *CorruptError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

func corrupt(dir, file string, line int, format string, a ...any) error {
	path := file
	if dir != "" {
		path = filepath.Join(dir, file)
	}
	return &CorruptError{Path: path, Line: line, Msg: fmt.Sprintf(format, a...)}
}

// splitLines splits a file into its lines. Every line must end in "\n" and be
// valid UTF-8 without control bytes other than the newline.
func splitLines(data []byte) (lines []string, badLine int, msg string) {
	if len(data) == 0 {
		return nil, 1, "empty file"
	}
	if data[len(data)-1] != '\n' {
		return nil, bytes.Count(data, []byte("\n")) + 1, "last line does not end in a newline"
	}
	lines = strings.Split(string(data[:len(data)-1]), "\n")
	for i, l := range lines {
		if !utf8.ValidString(l) {
			return nil, i + 1, "not valid UTF-8"
		}
		for j := 0; j < len(l); j++ {
			if l[j] < 0x20 {
				return nil, i + 1, fmt.Sprintf("control byte 0x%02x at column %d", l[j], j+1)
			}
		}
	}
	return lines, 0, ""
}

// readLines splits a file and checks its format line.
func readLines(dir, file string, data []byte, format string) ([]string, error) {
	lines, bad, msg := splitLines(data)
	if bad > 0 {
		return nil, corrupt(dir, file, bad, "%s", msg)
	}
	if lines[0] != format {
		return nil, corrupt(dir, file, 1, "format line is %q, expected %q", truncate(lines[0]), format)
	}
	return lines[1:], nil
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// encodeKeyFile is the content of key.pub.
func encodeKeyFile(vkey string) []byte {
	return []byte(keyFormat + "\n" + vkey + "\n")
}

// parseKeyFile reads key.pub and returns the verifier key and its verifier.
func parseKeyFile(dir string, data []byte) (string, note.Verifier, error) {
	lines, err := readLines(dir, keyFile, data, keyFormat)
	if err != nil {
		return "", nil, err
	}
	if len(lines) != 1 {
		return "", nil, corrupt(dir, keyFile, 2, "expected exactly one key line after the format line, found %d lines", len(lines))
	}
	v, err := parseVerifierKey(lines[0])
	if err != nil {
		return "", nil, corrupt(dir, keyFile, 2, "%v", err)
	}
	return lines[0], v, nil
}

// ParseVerifierKey reads a verifier key as published: a key.pub file, or
// the bare key line "NAME+HASH+KEY". It returns the key line, checked.
func ParseVerifierKey(data []byte) (string, error) {
	if bytes.HasPrefix(data, []byte(keyFormat+"\n")) {
		vkey, _, err := parseKeyFile("", data)
		return vkey, err
	}
	vkey := strings.TrimSpace(string(data))
	if _, err := parseVerifierKey(vkey); err != nil {
		return "", err
	}
	return vkey, nil
}

// parseVerifierKey parses a note verifier key and insists on its canonical
// spelling (note.NewVerifier alone accepts upper-case hex and stray bits in
// the base64 padding).
func parseVerifierKey(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("verifier key %q: %w", truncate(vkey), err)
	}
	name, rest, _ := strings.Cut(vkey, "+")
	_, key64, _ := strings.Cut(rest, "+")
	key, err := base64.StdEncoding.Strict().DecodeString(key64)
	if err != nil {
		return nil, fmt.Errorf("verifier key %q: not canonical base64", truncate(vkey))
	}
	canon := fmt.Sprintf("%s+%08x+%s", name, v.KeyHash(), base64.StdEncoding.EncodeToString(key))
	if canon != vkey {
		return nil, fmt.Errorf("verifier key %q is not in canonical form", truncate(vkey))
	}
	return v, nil
}

// encodeEntry is the canonical line of an entry (without the newline).
func encodeEntry(e *Entry) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode entry %q: %w", e.ID, err)
	}
	return b, nil
}

// decodeEntry parses one entry line and checks that it is canonical and
// well-formed.
func decodeEntry(line []byte) (Entry, error) {
	var e Entry
	if err := json.Unmarshal(line, &e); err != nil {
		return Entry{}, fmt.Errorf("not a JSON entry: %v", err)
	}
	canon, err := encodeEntry(&e)
	if err != nil {
		return Entry{}, err
	}
	if !bytes.Equal(canon, line) {
		return Entry{}, fmt.Errorf("entry %q is not in canonical form (fields out of order, unknown, or re-spelled)", truncate(e.ID))
	}
	if err := checkEntry(&e); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// checkEntry checks the fields every entry must have.
func checkEntry(e *Entry) error {
	if e.ID == "" {
		return errors.New("entry has no id")
	}
	if e.Kind != KindRelease && e.Kind != KindAnalysis {
		return fmt.Errorf("entry %q: kind %q, expected %q or %q", e.ID, e.Kind, KindRelease, KindAnalysis)
	}
	t, err := time.Parse(time.RFC3339, e.Time)
	if err != nil || !strings.HasSuffix(e.Time, "Z") || t.IsZero() {
		return fmt.Errorf("entry %q: time %q is not RFC 3339 in UTC", e.ID, e.Time)
	}
	if e.Rows < 0 {
		return fmt.Errorf("entry %q: rows %d < 0", e.ID, e.Rows)
	}
	return nil
}

// parseEntries parses the entries file into entries and their record bytes.
func parseEntries(dir string, data []byte) ([]Entry, [][]byte, error) {
	lines, err := readLines(dir, entriesFile, data, entriesFormat)
	if err != nil {
		return nil, nil, err
	}
	entries := make([]Entry, len(lines))
	records := make([][]byte, len(lines))
	ids := make(map[string]int, len(lines))
	for i, l := range lines {
		e, err := decodeEntry([]byte(l))
		if err != nil {
			return nil, nil, corrupt(dir, entriesFile, i+2, "%v", err)
		}
		if j, dup := ids[e.ID]; dup {
			return nil, nil, corrupt(dir, entriesFile, i+2, "id %q already used by the entry on line %d", e.ID, j+2)
		}
		ids[e.ID] = i
		entries[i] = e
		records[i] = []byte(l)
	}
	return entries, records, nil
}

// encodeHashes is the hash lines of hs (without the format line).
func encodeHashes(hs []tlog.Hash) []byte {
	var b bytes.Buffer
	for _, h := range hs {
		b.WriteString(h.String())
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// parseHashes parses the hashes file.
func parseHashes(dir string, data []byte) ([]tlog.Hash, error) {
	lines, err := readLines(dir, hashesFile, data, hashesFormat)
	if err != nil {
		return nil, err
	}
	hs := make([]tlog.Hash, len(lines))
	for i, l := range lines {
		h, err := parseHash(l)
		if err != nil {
			return nil, corrupt(dir, hashesFile, i+2, "%v", err)
		}
		hs[i] = h
	}
	return hs, nil
}

// parseHash parses a canonical base64 hash.
func parseHash(s string) (tlog.Hash, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != tlog.HashSize || len(s) != 44 {
		return tlog.Hash{}, fmt.Errorf("malformed hash %q", truncate(s))
	}
	var h tlog.Hash
	copy(h[:], b)
	return h, nil
}

// checkpoint is one parsed signed tree head.
type checkpoint struct {
	note []byte // the signed note, exactly as stored
	tree tlog.Tree
}

// parseCheckpoints splits the checkpoints file into notes and parses the tree
// of each; signatures are checked by openCheckpoint.
func parseCheckpoints(dir string, data []byte) ([]checkpoint, error) {
	lines, err := readLines(dir, checkpointsFile, data, checkpointsFormat)
	if err != nil {
		return nil, err
	}
	if len(lines)%linesPerCheckpoint != 0 {
		return nil, corrupt(dir, checkpointsFile, len(lines)+1, "%d lines after the format line is not a whole number of %d-line checkpoints", len(lines), linesPerCheckpoint)
	}
	cps := make([]checkpoint, 0, len(lines)/linesPerCheckpoint)
	for i := 0; i < len(lines); i += linesPerCheckpoint {
		msg := []byte(strings.Join(lines[i:i+linesPerCheckpoint], "\n") + "\n")
		tree, err := parseCheckpointText(msg)
		if err != nil {
			return nil, corrupt(dir, checkpointsFile, i+2, "checkpoint %d: %v", len(cps), err)
		}
		cps = append(cps, checkpoint{note: msg, tree: tree})
	}
	return cps, nil
}

// parseCheckpointText parses the tree of a one-signature checkpoint note
// without checking the signature, insisting on the canonical layout.
func parseCheckpointText(msg []byte) (tlog.Tree, error) {
	text, sig, ok := bytes.Cut(msg, []byte("\n\n"))
	if !ok {
		return tlog.Tree{}, errors.New("no blank line between tree and signature")
	}
	text = append(text, '\n')
	tree, err := tlog.ParseTree(text)
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("tree: %v", err)
	}
	if !bytes.Equal(tlog.FormatTree(tree), text) {
		return tlog.Tree{}, errors.New("tree text is not in canonical form")
	}
	if bytes.Count(sig, []byte("\n")) != 1 || !bytes.HasPrefix(sig, []byte("— ")) {
		return tlog.Tree{}, errors.New("expected exactly one signature line")
	}
	return tree, nil
}

// openCheckpoint checks a checkpoint note's signature with v and that the
// note is exactly its canonical encoding: one signature, canonical base64.
func openCheckpoint(msg []byte, v note.Verifier) (tlog.Tree, error) {
	tree, err := parseCheckpointText(msg)
	if err != nil {
		return tlog.Tree{}, err
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var unv *note.UnverifiedNoteError
		if errors.As(err, &unv) {
			return tlog.Tree{}, fmt.Errorf("not signed by the ledger key %s", v.Name())
		}
		return tlog.Tree{}, fmt.Errorf("signature: %v", err)
	}
	if len(n.Sigs) != 1 || len(n.UnverifiedSigs) != 0 {
		return tlog.Tree{}, fmt.Errorf("expected exactly one signature, found %d", len(n.Sigs)+len(n.UnverifiedSigs))
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(n.Sigs[0].Base64)
	if err != nil || len(raw) < 4 || binary.BigEndian.Uint32(raw) != n.Sigs[0].Hash {
		return tlog.Tree{}, errors.New("signature is not canonical base64")
	}
	canon := n.Text + "\n— " + n.Sigs[0].Name + " " + base64.StdEncoding.EncodeToString(raw) + "\n"
	if canon != string(msg) {
		return tlog.Tree{}, errors.New("signed note is not in canonical form")
	}
	return tree, nil
}

// pendingJournal is the parsed "pending" file: for each of entries, hashes
// and checkpoints, the size before the append and the bytes it adds.
type pendingJournal struct {
	size [3]int64
	add  [3][]byte
}

var dataFiles = [3]string{entriesFile, hashesFile, checkpointsFile}

func (p *pendingJournal) encode() []byte {
	var b bytes.Buffer
	b.WriteString(pendingFormat + "\n")
	for i, f := range dataFiles {
		fmt.Fprintf(&b, "%s %d %s\n", f, p.size[i], base64.StdEncoding.EncodeToString(p.add[i]))
	}
	return b.Bytes()
}

func parsePending(dir string, data []byte) (*pendingJournal, error) {
	lines, err := readLines(dir, pendingFile, data, pendingFormat)
	if err != nil {
		return nil, err
	}
	if len(lines) != len(dataFiles) {
		return nil, corrupt(dir, pendingFile, 0, "expected %d lines after the format line, found %d", len(dataFiles), len(lines))
	}
	p := &pendingJournal{}
	for i, f := range dataFiles {
		fs := strings.Split(lines[i], " ")
		if len(fs) != 3 || fs[0] != f {
			return nil, corrupt(dir, pendingFile, i+2, "expected %q SIZE DATA", f)
		}
		n, err := strconv.ParseInt(fs[1], 10, 64)
		if err != nil || n < 0 || strconv.FormatInt(n, 10) != fs[1] {
			return nil, corrupt(dir, pendingFile, i+2, "malformed size %q", truncate(fs[1]))
		}
		add, err := base64.StdEncoding.Strict().DecodeString(fs[2])
		if err != nil {
			return nil, corrupt(dir, pendingFile, i+2, "malformed data: %v", err)
		}
		p.size[i], p.add[i] = n, add
	}
	return p, nil
}
