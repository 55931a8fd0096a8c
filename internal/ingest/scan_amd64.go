//go:build amd64 && !purego

package ingest

import (
	"math/bits"
	"slices"
)

// scanMasks looks at p sixteen bytes at a time (len(p) a multiple of 16):
// masks[k] gets a bit for each byte of chunk k equal to the byte repeated
// in pd; special is nonzero when p holds a '"' or a NUL byte, high when it
// holds a byte ≥ 0x80. SSE2 only, which every amd64 CPU has.
//
//go:noescape
func scanMasks(p []byte, pd uint64, masks []uint16) (special, high uint32)

func scanLine(b []byte, delim byte, base int, ends []int) ([]int, bool, bool) {
	return scanLineSIMD(b, delim, base, ends)
}

// scanLineSIMD is scanLine with the masks made by scanMasks, 1 KiB of the
// line at a time (the last bytes padded to 16), and the positions taken
// from them 64 bytes at a time, four per round (a round writes four slots
// whatever the count: fewer branches to mispredict than one per field).
func scanLineSIMD(b []byte, delim byte, base int, ends []int) (_ []int, special, high bool) {
	var masks [65]uint16
	var spec, hi uint32
	pd := uint64(delim) * ones
	// At most one position a byte, and a round writes up to three more.
	ends = slices.Grow(ends, len(b)+4)
	n := len(ends)
	e := ends[n:cap(ends)]
	c := 0
	for off := 0; off < len(b); off += 1024 {
		seg := b[off:min(off+1024, len(b))]
		n16 := len(seg) &^ 15
		s, h := scanMasks(seg[:n16], pd, masks[:n16/16])
		nm := n16 / 16
		if n16 < len(seg) {
			// The last bytes, padded with a byte that is no delimiter.
			tail := padding
			copy(tail[:], seg[n16:])
			s2, h2 := scanMasks(tail[:], pd, masks[nm:nm+1])
			s, h = s|s2, h|h2
			nm++
		}
		spec |= s
		hi |= h
		for k := 0; k < nm; k += 4 {
			var m uint64
			if k+4 <= nm {
				m = uint64(masks[k]) | uint64(masks[k+1])<<16 | uint64(masks[k+2])<<32 | uint64(masks[k+3])<<48
			} else {
				for j := 0; k+j < nm; j++ {
					m |= uint64(masks[k+j]) << (16 * j)
				}
			}
			p := base + off + 16*k
			cnt := bits.OnesCount64(m)
			for j := c; j < c+cnt; j += 4 {
				e[j] = p + bits.TrailingZeros64(m)
				m &= m - 1
				e[j+1] = p + bits.TrailingZeros64(m)
				m &= m - 1
				e[j+2] = p + bits.TrailingZeros64(m)
				m &= m - 1
				e[j+3] = p + bits.TrailingZeros64(m)
				m &= m - 1
			}
			c += cnt
		}
	}
	e[c] = base + len(b)
	return ends[:n+c+1], spec != 0, hi != 0
}

var padding = [16]byte{'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'}
