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
// line at a time, and the positions taken from them 64 bytes at a time.
func scanLineSIMD(b []byte, delim byte, base int, ends []int) (_ []int, special, high bool) {
	var masks [64]uint16
	var spec, hi uint32
	pd := uint64(delim) * ones
	n16 := len(b) &^ 15
	for off := 0; off < n16; off += 1024 {
		seg := b[off:min(off+1024, n16)]
		nm := len(seg) / 16
		s, h := scanMasks(seg, pd, masks[:nm])
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
			n := len(ends)
			ends = slices.Grow(ends, 64)
			e := ends[n : n+64]
			p := base + off + 16*k
			c := 0
			for ; m != 0; m &= m - 1 {
				e[c&63] = p + bits.TrailingZeros64(m)
				c++
			}
			ends = ends[:n+c]
		}
	}
	for i := n16; i < len(b); i++ {
		c := b[i]
		hi |= uint32(c) & 0x80
		switch c {
		case delim:
			ends = append(ends, base+i)
		case '"', 0:
			spec = 1
		}
	}
	return append(ends, base+len(b)), spec != 0, hi != 0
}
