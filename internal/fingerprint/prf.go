package fingerprint

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash/fnv"
	"math"
)

// Labels of the subkeys derived from the workspace key (see the package doc).
const (
	labelPosition = "huella fingerprint v1 position"
	labelBit      = "huella fingerprint v1 bit"
	labelOrder    = "huella fingerprint v1 order"
	labelCanary   = "huella fingerprint v1 canary"
	labelCut      = "huella fingerprint v1 cut"
)

// subkey is HMAC-SHA-256(key, label ‖ 0x00 ‖ releaseID).
func subkey(key []byte, label, releaseID string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write([]byte(releaseID))
	return h.Sum(nil)
}

// prf is AES-256 keyed by a subkey, used as a PRF on 16-byte blocks. Its
// scratch buffer (so that no block escapes to the heap) makes it unsafe for
// concurrent use.
type prf struct {
	b   cipher.Block
	buf *[32]byte
}

func newPRF(key []byte, label, releaseID string) prf {
	b, err := aes.NewCipher(subkey(key, label, releaseID))
	if err != nil {
		panic(err) // a 32-byte key never fails
	}
	return prf{b, new([32]byte)}
}

// position is the block of a mark position: pid ‖ field ‖ slot ‖ 0x00 0x00.
func positionBlock(pid uint64, field uint32, slot int) (b [16]byte) {
	binary.BigEndian.PutUint64(b[0:8], pid)
	binary.BigEndian.PutUint32(b[8:12], field)
	binary.BigEndian.PutUint16(b[12:14], uint16(slot))
	return b
}

// personBlock is the block of a person: pid ‖ 0xFF × 8.
func personBlock(pid uint64) (b [16]byte) {
	binary.BigEndian.PutUint64(b[0:8], pid)
	for i := 8; i < 16; i++ {
		b[i] = 0xFF
	}
	return b
}

func (p prf) eval(in [16]byte) (out [16]byte) {
	*(*[16]byte)(p.buf[0:16]) = in
	p.b.Encrypt(p.buf[16:32], p.buf[0:16])
	return *(*[16]byte)(p.buf[16:32])
}

// fieldID is FNV-1a 32 of the field name: positions are keyed by field name,
// not by column number, so a reordered schema keeps its marks.
func fieldID(name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()
}

// unit64 maps 64 random bits to [0, 1).
func unit64(x uint64) float64 { return float64(x>>11) / (1 << 53) }

// unit32 maps 32 random bits to [0, 1).
func unit32(x uint32) float64 { return float64(x) / (1 << 32) }

// posDraw is what the position PRF says about one position, for every
// release alike: its bias p and the two uniform numbers v (which symbol
// means 1) and w (which spelling of a group to write).
type posDraw struct {
	p, v, w float64
}

func (m *codeShape) draw(pos prf, pid uint64, field uint32, slot int) posDraw {
	o := pos.eval(positionBlock(pid, field, slot))
	u := unit64(binary.BigEndian.Uint64(o[0:8]))
	r := m.t + u*(math.Pi/2-2*m.t)
	s := math.Sin(r)
	return posDraw{
		p: s * s,
		v: unit32(binary.BigEndian.Uint32(o[8:12])),
		w: unit32(binary.BigEndian.Uint32(o[12:16])),
	}
}

// bit is the recipient's symbol at a position: 1 with probability p.
func bit(rel prf, pid uint64, field uint32, slot int, p float64) int {
	o := rel.eval(positionBlock(pid, field, slot))
	if unit64(binary.BigEndian.Uint64(o[0:8])) < p {
		return 1
	}
	return 0
}

// CutOffset is the days a release cut inside a window of w days lies
// before the requested instant: the first 8 bytes of
// HMAC-SHA-256(key, "huella fingerprint v1 cut" ‖ 0x00 ‖ releaseID) mod (w+1).
func CutOffset(key []byte, releaseID string, w int) int {
	if w <= 0 {
		return 0
	}
	return int(binary.BigEndian.Uint64(subkey(key, labelCut, releaseID)[:8]) % uint64(w+1))
}
