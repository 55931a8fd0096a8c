// Package exposure lets a person learn whether their CURP is in an analysed
// leak without telling the server the CURP, and without the server handing
// out a list that can be searched offline.
//
// # Protocol
//
// The building block is an oblivious pseudo-random function, RFC 9497 base
// mode with the suite ristretto255-SHA512 (package
// github.com/cloudflare/circl/oprf). The workspace holds one secret key k
// (DIR/keys/exposure.key, mode 0600). For an identifier x (the CURP after
// Normalize) the PRF output is
//
//	F(k, x) = SHA-512(len(x) ‖ x ‖ len(e) ‖ e ‖ "Finalize"),  e = k·H(x)
//
// where H hashes to the ristretto255 group. A person computes F(k, x) with
// the server's help without revealing x:
//
//  1. client: picks a random scalar r, sends B = r·H(x) (32 bytes; B is a
//     uniformly random group element, independent of x);
//  2. server: answers Z = k·B (rate-limited per client);
//  3. client: unblinds N = r⁻¹·Z = k·H(x) and hashes it into F(k, x).
//
// # Published sets
//
// Publish evaluates F(k, x) for every affected person of a case and files the
// outputs in 2^P buckets by the top P bits of the output; an entry is the
// 16-byte tag F[8:24]. Every bucket is padded with random tags to the size of
// the fullest one, so the bucket sizes say nothing about how the people are
// spread. P is chosen so that a bucket holds about TargetLoad real entries
// (P = ⌊log2(n/TargetLoad)⌋, 0 ≤ P ≤ MaxPrefixBits): the server, which sees
// the bucket a client asks for, learns at most P bits of a PRF output, i.e.
// the person hides among about 1/2^P of everyone, and one bucket stays small
// to download. Tags are PRF outputs: without k nobody can test a guessed CURP
// against a bucket, so the whole set can be public; each guess costs one
// online evaluation, which the server rate-limits.
//
// # Set file
//
//	huella exposure set v1\n
//	case <case id>\n
//	published <RFC 3339 time>\n
//	people <n>\n
//	prefix-bits <P>\n
//	bucket-size <S>\n
//	\n
//	2^P · S · 16 bytes of tags, bucket 0 first, tags sorted within a bucket
//
// Example: 700 people → P = 0, one bucket of 700 tags (11,200 bytes).
// 93 million people → P = 16, 65,536 buckets of ≈1,600 tags (25 KiB each).
package exposure

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/cloudflare/circl/group"
	"github.com/cloudflare/circl/oprf"

	"github.com/huella/huella/internal/atomicfile"
	"golang.org/x/text/unicode/norm"
)

// accentFold maps the accented capitals a CURP may be typed with.
var accentFold = map[rune]rune{'Á': 'A', 'É': 'E', 'Í': 'I', 'Ó': 'O', 'Ú': 'U', 'Ü': 'U', 'À': 'A', 'È': 'E', 'Ì': 'I', 'Ò': 'O', 'Ù': 'U'}

// Sizes of the protocol's messages and entries.
const (
	ElementSize   = 32 // a serialized ristretto255 element (blinded or evaluated)
	OutputSize    = 64 // F(k, x), SHA-512
	TagSize       = 16 // entry in a bucket: F[8:24]
	TargetLoad    = 1024
	MaxPrefixBits = 20
	// SuiteID names the OPRF suite (RFC 9497 section 4.1).
	SuiteID = "ristretto255-SHA512"
)

// SetFormat is the first line of a set file.
const SetFormat = "huella exposure set v1"

var suite = oprf.SuiteRistretto255

// Normalize maps a CURP as a person types it to the form that is evaluated:
// upper case, accents stripped (Ñ kept, as ident.Normalize does), without
// spaces, hyphens or dots. Anything else that is not a letter or a digit
// makes it invalid; so does a length other than 18. (It does not call
// package ident so the browser's WebAssembly build depends on this package
// alone.)
func Normalize(curp string) (string, error) {
	var b strings.Builder
	for _, r := range norm.NFC.String(curp) {
		r = unicode.ToUpper(r)
		if f, ok := accentFold[r]; ok {
			r = f
		}
		switch {
		case unicode.IsSpace(r) || r == '-' || r == '.':
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == 'Ñ':
			b.WriteRune(r)
		default:
			return "", fmt.Errorf("curp: unexpected character %q", r)
		}
	}
	s := b.String()
	if n := len([]rune(s)); n != 18 {
		return "", fmt.Errorf("curp: %d characters, expected 18", n)
	}
	return s, nil
}

// Key is the server's OPRF key.
type Key struct {
	priv *oprf.PrivateKey
	srv  oprf.Server
}

// GenerateKey makes a fresh random key.
func GenerateKey() (*Key, error) {
	priv, err := oprf.GenerateKey(suite, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate exposure key: %w", err)
	}
	return &Key{priv: priv, srv: oprf.NewServer(suite, priv)}, nil
}

// KeyPath is where a workspace keeps its exposure key.
func KeyPath(dir string) string { return filepath.Join(dir, "keys", "exposure.key") }

// LoadOrCreateKey reads the key at path (hex of the 32-byte scalar), creating
// it with mode 0600 if it does not exist. A new key is written and fsynced
// under a temporary name in the same folder, then linked to path, which
// fails if path exists: processes creating the key at once all end up with
// the one that was linked first. An empty key file is what an older version
// left when it died before writing the key (nothing was published with it):
// it is replaced (replaceEmptyKey).
func LoadOrCreateKey(path string) (*Key, error) {
	deadline := time.Now().Add(claimStale + 5*time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(path)
		switch {
		case err == nil && len(b) > 0:
			return parseKey(path, b)
		case err == nil:
			k, err := replaceEmptyKey(path)
			if k != nil || err != nil {
				return k, err
			}
		case errors.Is(err, os.ErrNotExist):
			k, err := createKey(path)
			if !errors.Is(err, os.ErrExist) {
				return k, err
			}
			// Another process linked its key first: read that one.
		default:
			return nil, fmt.Errorf("read exposure key: %w", err)
		}
	}
	return nil, fmt.Errorf("exposure key %s: another process kept replacing it for %v", path, claimStale)
}

// parseKey decodes the contents b of the key file path.
func parseKey(path string, b []byte) (*Key, error) {
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("read exposure key %s: not hex", path)
	}
	priv := new(oprf.PrivateKey)
	if err := priv.UnmarshalBinary(suite, raw); err != nil {
		return nil, fmt.Errorf("read exposure key %s: %w", path, err)
	}
	return &Key{priv: priv, srv: oprf.NewServer(suite, priv)}, nil
}

// newKeyFile makes a key and writes it, fsynced, to a new temporary file
// next to path; the caller removes the temporary file.
func newKeyFile(path string) (*Key, string, error) {
	k, err := GenerateKey()
	if err != nil {
		return nil, "", err
	}
	raw, err := k.priv.MarshalBinary()
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return nil, "", err
	}
	_, err = f.WriteString(hex.EncodeToString(raw) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, "", err
	}
	return k, f.Name(), nil
}

// createKey makes a key and links it to path; an error wrapping
// os.ErrExist means path exists (another process made it first).
func createKey(path string) (*Key, error) {
	k, tmp, err := newKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("create exposure key: %w", err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		return nil, fmt.Errorf("create exposure key: %w", err)
	}
	if err := os.Remove(tmp); err != nil {
		return nil, fmt.Errorf("create exposure key: %w", err)
	}
	if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("create exposure key: %w", err)
	}
	return k, nil
}

// claimStale is the age past which a claim to replace an empty key file was
// left by a process that died holding it (holding one takes milliseconds).
const claimStale = 10 * time.Second

// replaceEmptyKey replaces the empty key file at path by a new key. The
// replacer holds a claim, the file "." + base + ".replacing" next to it,
// made with O_EXCL: only a claim holder changes an existing key file, and
// createKey only links where there is none, so the file the holder finds
// empty is still empty when it renames the new key over it (path never goes
// missing). It returns nil, nil when the caller should read path again.
func replaceEmptyKey(path string) (*Key, error) {
	k, tmp, err := newKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("replace empty exposure key: %w", err)
	}
	defer os.Remove(tmp)
	claim := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".replacing")
	c, err := os.OpenFile(claim, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		if fi, err := os.Stat(claim); err == nil {
			if age := time.Since(fi.ModTime()); age > claimStale || age < -claimStale {
				os.Remove(claim) // its holder died
				return nil, nil
			}
		}
		time.Sleep(5 * time.Millisecond) // another process is replacing it
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("replace empty exposure key: %w", err)
	}
	c.Close()
	defer os.Remove(claim)
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) || err == nil && fi.Size() > 0 {
		return nil, nil // replaced before the claim was taken: read it
	}
	if err != nil {
		return nil, fmt.Errorf("replace empty exposure key: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("replace empty exposure key: %w", err)
	}
	if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("replace empty exposure key: %w", err)
	}
	return k, nil
}

// ErrBadElement is returned for a blinded element that is not the canonical
// encoding of a non-identity ristretto255 element.
var ErrBadElement = errors.New("exposure: not a valid blinded element")

// Evaluate is the server's step: it answers k·B for each serialized blinded
// element B (ElementSize bytes each, concatenated).
func (k *Key) Evaluate(blinded []byte) ([]byte, error) {
	if len(blinded) == 0 || len(blinded)%ElementSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes, expected a multiple of %d", ErrBadElement, len(blinded), ElementSize)
	}
	req := &oprf.EvaluationRequest{Elements: make([]oprf.Blinded, len(blinded)/ElementSize)}
	for i := range req.Elements {
		e := group.Ristretto255.NewElement()
		if err := e.UnmarshalBinary(blinded[i*ElementSize : (i+1)*ElementSize]); err != nil || e.IsIdentity() {
			return nil, fmt.Errorf("%w (element %d)", ErrBadElement, i)
		}
		req.Elements[i] = e
	}
	ev, err := k.srv.Evaluate(req)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	out := make([]byte, 0, len(blinded))
	for _, e := range ev.Elements {
		b, err := e.MarshalBinaryCompress()
		if err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
		out = append(out, b...)
	}
	return out, nil
}

// Output computes F(k, x) directly, for publishing. x must be normalised.
func (k *Key) Output(x string) ([]byte, error) {
	return k.srv.FullEvaluate([]byte(x))
}

// Blinded is a client's state between Blind and Finalize.
type Blinded struct {
	fin *oprf.FinalizeData
	req *oprf.EvaluationRequest
	// Request is the message for the server: the blinded elements.
	Request []byte
}

// Blind is the client's first step for the normalised identifiers xs.
func Blind(xs ...string) (*Blinded, error) {
	in := make([][]byte, len(xs))
	for i, x := range xs {
		in[i] = []byte(x)
	}
	fin, req, err := oprf.NewClient(suite).Blind(in)
	if err != nil {
		return nil, fmt.Errorf("blind: %w", err)
	}
	b := &Blinded{fin: fin, req: req}
	for _, e := range req.Elements {
		m, err := e.MarshalBinaryCompress()
		if err != nil {
			return nil, fmt.Errorf("blind: %w", err)
		}
		b.Request = append(b.Request, m...)
	}
	return b, nil
}

// Finalize unblinds the server's answer into the PRF outputs, one per
// identifier given to Blind.
func (b *Blinded) Finalize(evaluated []byte) ([][]byte, error) {
	if len(evaluated) != len(b.Request) {
		return nil, fmt.Errorf("finalize: %d bytes from the server, expected %d", len(evaluated), len(b.Request))
	}
	ev := &oprf.Evaluation{Elements: make([]oprf.Evaluated, len(evaluated)/ElementSize)}
	for i := range ev.Elements {
		e := group.Ristretto255.NewElement()
		if err := e.UnmarshalBinary(evaluated[i*ElementSize : (i+1)*ElementSize]); err != nil {
			return nil, fmt.Errorf("finalize: element %d from the server: %w", i, err)
		}
		ev.Elements[i] = e
	}
	out, err := oprf.NewClient(suite).Finalize(b.fin, ev)
	if err != nil {
		return nil, fmt.Errorf("finalize: %w", err)
	}
	return out, nil
}

// BucketIndex is the bucket of a PRF output in a set with P prefix bits.
func BucketIndex(output []byte, prefixBits int) int {
	if prefixBits == 0 {
		return 0
	}
	v := uint32(output[0])<<24 | uint32(output[1])<<16 | uint32(output[2])<<8 | uint32(output[3])
	return int(v >> (32 - prefixBits))
}

// Tag is the bucket entry of a PRF output.
func Tag(output []byte) []byte { return output[8 : 8+TagSize] }

// Set is a published, padded set of evaluated identifiers of one case.
type Set struct {
	Case       string
	Published  time.Time
	People     int // real entries; the rest of the bucket slots are padding
	PrefixBits int
	BucketSize int
	tags       []byte // 2^P · BucketSize · TagSize
}

// Buckets is the number of buckets, 2^PrefixBits.
func (s *Set) Buckets() int { return 1 << s.PrefixBits }

// Bucket returns bucket i: BucketSize tags, sorted, concatenated.
func (s *Set) Bucket(i int) []byte {
	n := s.BucketSize * TagSize
	return s.tags[i*n : (i+1)*n]
}

// Contains reports whether a bucket (as returned by Bucket) holds tag.
func Contains(bucket, tag []byte) bool {
	n := len(bucket) / TagSize
	i := sort.Search(n, func(i int) bool { return bytes.Compare(bucket[i*TagSize:(i+1)*TagSize], tag) >= 0 })
	return i < n && bytes.Equal(bucket[i*TagSize:(i+1)*TagSize], tag)
}

// PrefixBitsFor is P for a set of n people.
func PrefixBitsFor(n int) int {
	if n <= TargetLoad {
		return 0
	}
	p := bits.Len(uint(n/TargetLoad)) - 1
	return min(p, MaxPrefixBits)
}

// Publish evaluates the identifiers (normalised with Normalize; invalid ones
// are counted in skipped and left out, duplicates count once) and builds the
// padded set. progress, if not nil, is called now and then with the number
// of identifiers done. Evaluations run on all CPUs.
func Publish(k *Key, caseID string, curps []string, progress func(done int)) (set *Set, skipped int, err error) {
	norm := make([]string, 0, len(curps))
	seen := make(map[string]bool, len(curps))
	for _, c := range curps {
		x, err := Normalize(c)
		if err != nil {
			skipped++
			continue
		}
		if !seen[x] {
			seen[x] = true
			norm = append(norm, x)
		}
	}
	outs := make([][]byte, len(norm))
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		done    int
		firstEr error
	)
	workers := runtime.GOMAXPROCS(0)
	const chunk = 256
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				hi := min(lo+chunk, len(norm))
				for i := lo; i < hi; i++ {
					o, err := k.Output(norm[i])
					if err != nil {
						mu.Lock()
						firstEr = cmpErr(firstEr, err)
						mu.Unlock()
						continue
					}
					outs[i] = o
				}
				mu.Lock()
				done += hi - lo
				if progress != nil {
					progress(done)
				}
				mu.Unlock()
			}
		}()
	}
	for lo := 0; lo < len(norm); lo += chunk {
		next <- lo
	}
	close(next)
	wg.Wait()
	if firstEr != nil {
		return nil, skipped, fmt.Errorf("publish %s: %w", caseID, firstEr)
	}
	s := &Set{Case: caseID, Published: time.Now().UTC().Truncate(time.Second), People: len(norm), PrefixBits: PrefixBitsFor(len(norm))}
	buckets := make([][][]byte, s.Buckets())
	for _, o := range outs {
		i := BucketIndex(o, s.PrefixBits)
		buckets[i] = append(buckets[i], Tag(o))
	}
	for _, b := range buckets {
		s.BucketSize = max(s.BucketSize, len(b))
	}
	s.BucketSize = max(s.BucketSize, 1)
	s.tags = make([]byte, 0, s.Buckets()*s.BucketSize*TagSize)
	for _, b := range buckets {
		for len(b) < s.BucketSize {
			pad := make([]byte, TagSize)
			if _, err := rand.Read(pad); err != nil {
				return nil, skipped, fmt.Errorf("publish %s: padding: %w", caseID, err)
			}
			b = append(b, pad)
		}
		sort.Slice(b, func(i, j int) bool { return bytes.Compare(b[i], b[j]) < 0 })
		for _, t := range b {
			s.tags = append(s.tags, t...)
		}
	}
	return s, skipped, nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// WriteTo writes the set file.
func (s *Set) WriteTo(w io.Writer) (int64, error) {
	hdr := fmt.Sprintf("%s\ncase %s\npublished %s\npeople %d\nprefix-bits %d\nbucket-size %d\n\n",
		SetFormat, s.Case, s.Published.Format(time.RFC3339), s.People, s.PrefixBits, s.BucketSize)
	n, err := io.WriteString(w, hdr)
	if err != nil {
		return int64(n), err
	}
	m, err := w.Write(s.tags)
	return int64(n + m), err
}

// ParseError is a malformed set file, with the line it was found on.
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *ParseError) Unwrap() error { return e.Err }

// maxSetBytes bounds the tag area a set file may declare (2^20 buckets of
// 4,096 tags), so a corrupt header cannot make ReadSet allocate without end.
const maxSetBytes = 1 << 20 * 4096 * TagSize

// ReadSet parses a set file; name is used in errors.
func ReadSet(r io.Reader, name string) (*Set, error) {
	br := bufio.NewReader(r)
	s := &Set{}
	line := 0
	perr := func(format string, a ...any) error {
		return &ParseError{File: name, Line: line, Err: fmt.Errorf(format, a...)}
	}
	next := func() (string, error) {
		line++
		l, err := br.ReadString('\n')
		if err != nil {
			return "", perr("unexpected end of header")
		}
		return strings.TrimSuffix(l, "\n"), nil
	}
	l, err := next()
	if err != nil {
		return nil, err
	}
	if l != SetFormat {
		return nil, perr("expected %q, found %.40q", SetFormat, l)
	}
	fields := []string{"case", "published", "people", "prefix-bits", "bucket-size"}
	for _, f := range fields {
		l, err := next()
		if err != nil {
			return nil, err
		}
		v, ok := strings.CutPrefix(l, f+" ")
		if !ok {
			return nil, perr("expected %q line, found %.40q", f, l)
		}
		switch f {
		case "case":
			if v == "" {
				return nil, perr("empty case id")
			}
			s.Case = v
		case "published":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return nil, perr("published: %v", err)
			}
			s.Published = t
		default:
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, perr("%s: not a count: %.20q", f, v)
			}
			switch f {
			case "people":
				s.People = n
			case "prefix-bits":
				if n > MaxPrefixBits {
					return nil, perr("prefix-bits %d above %d", n, MaxPrefixBits)
				}
				s.PrefixBits = n
			case "bucket-size":
				if n < 1 || n > 4096<<MaxPrefixBits {
					return nil, perr("bucket-size %d out of range", n)
				}
				s.BucketSize = n
			}
		}
	}
	if l, err := next(); err != nil || l != "" {
		if err != nil {
			return nil, err
		}
		return nil, perr("expected an empty line after the header")
	}
	want := int64(s.Buckets()) * int64(s.BucketSize) * TagSize
	if want > maxSetBytes {
		return nil, perr("set of %d bytes is too large", want)
	}
	if int64(s.People) > int64(s.Buckets())*int64(s.BucketSize) {
		return nil, perr("%d people do not fit in %d buckets of %d", s.People, s.Buckets(), s.BucketSize)
	}
	// Grow with the data actually present rather than trusting the header.
	var buf bytes.Buffer
	if n, err := io.CopyN(&buf, br, want); err != nil {
		return nil, perr("tags: %d bytes expected, found %d", want, n)
	}
	s.tags = buf.Bytes()
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, perr("trailing bytes after the tags")
	}
	return s, nil
}

// SetDir is where a workspace keeps its published sets.
func SetDir(dir string) string { return filepath.Join(dir, "exposure") }

// SavePath is the file of a case's set.
func SavePath(dir, caseID string) string { return filepath.Join(SetDir(dir), caseID+".set") }

// Save writes the set into the workspace atomically.
func (s *Set) Save(dir string) error {
	if err := ValidCaseID(s.Case); err != nil {
		return err
	}
	if err := os.MkdirAll(SetDir(dir), 0o755); err != nil {
		return fmt.Errorf("save exposure set: %w", err)
	}
	tmp, err := os.CreateTemp(SetDir(dir), ".set-*")
	if err != nil {
		return fmt.Errorf("save exposure set: %w", err)
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriter(tmp)
	if _, err := s.WriteTo(bw); err != nil {
		tmp.Close()
		return fmt.Errorf("save exposure set: %w", err)
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("save exposure set: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save exposure set: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save exposure set: %w", err)
	}
	if err := os.Rename(tmp.Name(), SavePath(dir, s.Case)); err != nil {
		return fmt.Errorf("save exposure set: %w", err)
	}
	return nil
}

// LoadAll reads every published set of a workspace, sorted by case id.
func LoadAll(dir string) ([]*Set, error) {
	ents, err := os.ReadDir(SetDir(dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load exposure sets: %w", err)
	}
	var sets []*Set
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".set") {
			continue
		}
		p := filepath.Join(SetDir(dir), e.Name())
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("load exposure sets: %w", err)
		}
		s, err := ReadSet(f, p)
		f.Close()
		if err != nil {
			return nil, err
		}
		sets = append(sets, s)
	}
	sort.Slice(sets, func(i, j int) bool { return sets[i].Case < sets[j].Case })
	return sets, nil
}

// ValidCaseID accepts ids made of letters, digits, '-', '_' and '.', not
// starting with '.', up to 100 bytes: safe as a file name and in a URL.
func ValidCaseID(id string) error {
	if id == "" || len(id) > 100 || id[0] == '.' {
		return fmt.Errorf("invalid case id %q", id)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("invalid case id %q", id)
		}
	}
	return nil
}

// keyFromScalar makes a key from a serialized scalar (for test vectors).
func keyFromScalar(raw []byte) (*Key, error) {
	priv := new(oprf.PrivateKey)
	if err := priv.UnmarshalBinary(suite, raw); err != nil {
		return nil, err
	}
	return &Key{priv: priv, srv: oprf.NewServer(suite, priv)}, nil
}
