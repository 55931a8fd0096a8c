package ident

import (
	"encoding/binary"
	"unicode"
	"unicode/utf8"
)

// Normalize is the one normalisation of names and addresses used everywhere
// in huella: upper case, accents stripped (Ñ kept), white space trimmed and
// collapsed to single spaces.
//
// It is on the hot path of every leaked value (infer, addr, analysis), so
// it works on bytes: a value already normal (plain upper-case ASCII, Ñ
// allowed) is returned as it is, without allocating; otherwise ASCII and
// the two-byte runes (U+0080–U+07FF: Latin-1, Latin Extended, the
// combining marks) go through tables computed at init from the rune-wise
// rules (unicode.IsSpace, unicode.Mn, foldRune), and only longer runes and
// invalid bytes take the rune-wise path; runs of eight ASCII bytes with
// nothing to collapse are upper-cased a word at a time. The result is one
// allocation.
func Normalize(s string) string {
	if isNormal(s) {
		return s
	}
	var stack [128]byte
	return string(AppendNormal(stack[:0], s))
}

// IsNormal reports whether Normalize(s) is s itself. It may answer false
// for a few normal strings (letters outside ASCII other than Ñ).
func IsNormal(s string) bool { return isNormal(s) }

// AppendNormal appends Normalize(s) to dst: a caller normalising many
// values (a row's) can gather them in one buffer and allocate once.
func AppendNormal(dst []byte, s string) []byte {
	buf := dst
	base := len(dst) // what Normalize's output starts after
	pending := false // a space to write before the next rune
	bytewise := 0    // after a word that failed the test, go byte by byte up to here
	for i := 0; i < len(s); {
		if i >= bytewise && i+8 <= len(s) {
			// Eight ASCII bytes without other white space, doubled
			// spaces or a space at either end: upper-cased at once.
			w := load64(s[i : i+8])
			if w&highs == 0 {
				ctrl := (w + geCtrl) &^ (w + gtCtrl) & highs
				sp := ^((w ^ spaces) + nonZero) & highs
				if ctrl == 0 && sp&(sp<<8|0x80|0x80<<56) == 0 {
					if pending {
						buf = append(buf, ' ')
						pending = false
					}
					lower := (w + geLower) &^ (w + gtLower) & highs
					buf = binary.LittleEndian.AppendUint64(buf, w-lower>>2)
					i += 8
					continue
				}
			}
			bytewise = i + 8
		}
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch asciiClass[c] {
			case asciiSpace:
				pending = len(buf) > base
				continue
			case asciiLower:
				c -= 'a' - 'A'
			}
			if pending {
				buf = append(buf, ' ')
				pending = false
			}
			buf = append(buf, c)
			continue
		}
		if c >= 0xC2 && c <= 0xDF && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			r := rune(c&0x1F)<<6 | rune(s[i+1]&0x3F)
			i += 2
			e := &twoByte[r]
			switch e.kind {
			case kindSpace:
				pending = len(buf) > base
				continue
			case kindMark:
				if r == '\u0303' && !pending && len(buf) > base && buf[len(buf)-1] == 'N' {
					buf = append(buf[:len(buf)-1], "Ñ"...)
				}
				continue
			}
			if pending {
				buf = append(buf, ' ')
				pending = false
			}
			buf = append(buf, e.enc[:e.n]...)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if unicode.IsSpace(r) {
			pending = len(buf) > base
			continue
		}
		if unicode.Is(unicode.Mn, r) {
			// A tilde on N makes Ñ; every other mark is an accent to drop.
			if r == '\u0303' && !pending && len(buf) > base && buf[len(buf)-1] == 'N' {
				buf = append(buf[:len(buf)-1], "Ñ"...)
			}
			continue
		}
		if pending {
			buf = append(buf, ' ')
			pending = false
		}
		buf = utf8.AppendRune(buf, foldRune(r))
	}
	return buf
}

// Classes of ASCII bytes for Normalize.
const (
	asciiKeep  = iota // written as it is
	asciiLower        // a–z, upper-cased
	asciiSpace        // \t \n \v \f \r and space (unicode.IsSpace in ASCII)
)

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = asciiLower
	}
	for _, c := range "\t\n\v\f\r " {
		t[c] = asciiSpace
	}
	return t
}()

// Kinds of two-byte runes for Normalize.
const (
	kindLetter = iota // anything written: enc holds its folded UTF-8
	kindSpace
	kindMark // a combining mark (unicode.Mn)
)

type fold2 struct {
	kind uint8
	n    uint8
	enc  [3]byte
}

// twoByte holds, for each rune U+0080–U+07FF, what Normalize does with it.
var twoByte = func() (t [0x800]fold2) {
	for r := rune(0x80); r < 0x800; r++ {
		e := &t[r]
		switch {
		case unicode.IsSpace(r):
			e.kind = kindSpace
		case unicode.Is(unicode.Mn, r):
			e.kind = kindMark
		default:
			f := foldRune(r)
			if utf8.RuneLen(f) > len(e.enc) {
				panic("ident: fold of a two-byte rune longer than three bytes")
			}
			e.n = uint8(utf8.EncodeRune(e.enc[:], f))
		}
	}
	return t
}()

// SWAR constants: a byte b < 0x80 plus (0x80 − k) has its high bit set
// exactly when b ≥ k, and no carry crosses into the next byte.
const (
	lanes   = 0x0101010101010101
	highs   = 0x80 * lanes
	geLower = (0x80 - 'a') * lanes     // b ≥ 'a'
	gtLower = (0x80 - 'z' - 1) * lanes // b > 'z'
	geCtrl  = (0x80 - '\t') * lanes    // b ≥ '\t'
	gtCtrl  = (0x80 - '\r' - 1) * lanes
	spaces  = ' ' * lanes
	nonZero = 0x7F * lanes // b ^ ' ' plus this has its high bit set unless b is a space
)

// isNormal reports whether s is already normal: no lower case, no
// leading, trailing or doubled spaces, no other white space, and no byte
// outside ASCII except in Ñ. Pure ASCII of four bytes or more is read a
// word at a time (the last word overlapping the one before, short values
// as two overlapping halves); the rest byte by byte.
func isNormal(s string) bool {
	n := len(s)
	switch {
	case n >= 8:
		prev := uint64(0x80) // as if a space came first: a leading space is a doubled one
		i := 0
		for ; i+8 < n; i += 8 {
			sp, ascii, ok := wordSpaces(load64(s[i : i+8]))
			if !ascii {
				return isNormalBytes(s)
			}
			if !ok || sp&(sp<<8|prev) != 0 {
				return false
			}
			prev = sp >> 56
		}
		if i != n-8 {
			// The last word overlaps the one before, which has checked
			// the pair across the boundary.
			prev = 0
		}
		sp, ascii, ok := wordSpaces(load64(s[n-8:]))
		if !ascii {
			return isNormalBytes(s)
		}
		return ok && sp&(sp<<8|prev) == 0 && sp>>63 == 0
	case n >= 4:
		// Bytes 0–3 and n−4 … n−1: every adjacent pair of s lies in one
		// half; the pair across the halves is not one of s's.
		sp, ascii, ok := wordSpaces(load32(s[:4]) | load32(s[n-4:])<<32)
		if !ascii {
			return isNormalBytes(s)
		}
		return ok && sp&(sp<<8|0x80)&^(0x80<<32) == 0 && sp>>63 == 0
	}
	return isNormalBytes(s)
}

// wordSpaces reads eight bytes: ascii when none has its high bit set, ok
// when none is lower case or white space other than a space, and sp with
// the high bit of every byte that is a space.
func wordSpaces(w uint64) (sp uint64, ascii, ok bool) {
	if w&highs != 0 {
		return 0, false, false
	}
	bad := ((w + geLower) &^ (w + gtLower)) | ((w + geCtrl) &^ (w + gtCtrl))
	sp = ^((w ^ spaces) + nonZero) & highs
	return sp, true, bad&highs == 0
}

func load64(b string) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func load32(b string) uint64 {
	_ = b[3]
	return uint64(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
}

// isNormalBytes is isNormal byte by byte.
func isNormalBytes(s string) bool {
	prevSpace := true // a space first would be leading
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
			i++
		case c < utf8.RuneSelf:
			if asciiClass[c] != asciiKeep {
				return false
			}
			prevSpace = false
			i++
		case c == 0xC3 && i+1 < len(s) && s[i+1] == 0x91: // Ñ
			prevSpace = false
			i += 2
		default:
			return false
		}
	}
	return len(s) == 0 || !prevSpace
}
