package analysis

import (
	"github.com/huella/huella/internal/register"
)

// canaryLister is an Attributor that can list, before any row is read, the
// CURPs its releases' canaries almost always carry
// (fingerprint.CanaryCURPs).
type canaryLister interface {
	CanaryCURPs(releases []Release) ([]string, error)
}

// canaryPrefilter is the set of CURPs the releases' canaries almost always
// carry; nil when there is no attribution, or the attributor cannot list
// them (the rows are then read again, as without it).
func canaryPrefilter(cfg Config) *keySet {
	cl, ok := cfg.Attributor.(canaryLister)
	if !ok || len(cfg.Releases) == 0 {
		return nil
	}
	curps, err := cl.CanaryCURPs(cfg.Releases)
	if err != nil {
		return nil // the second reading finds them
	}
	set := &keySet{m: make(map[key18]struct{}, len(curps))}
	bits := 1 << 12
	for bits < 64*len(curps) {
		bits *= 2
	}
	set.bits, set.mask = make([]uint64, bits/64), uint64(bits-1)
	for _, c := range curps {
		if k := toKey18(c); !k.none() {
			set.m[k] = struct{}{}
			h := hash64(&k) & set.mask
			set.bits[h/64] |= 1 << (h % 64)
		}
	}
	return set
}

// keySet is a set of keys that answers most "no"s from a bit per hash, in
// the cache, before its map (a look-up per row of a national dump).
type keySet struct {
	bits []uint64
	mask uint64
	m    map[key18]struct{}
}

// has reports whether k is in the set; a nil set holds nothing.
func (s *keySet) has(k *key18) bool {
	if s == nil {
		return false
	}
	h := hash64(k) & s.mask
	if s.bits[h/64]&(1<<(h%64)) == 0 {
		return false
	}
	_, ok := s.m[*k]
	return ok
}

// keptUnlinked reports whether the first reading kept every row past the
// observation window (rows from maxObs on) that keys left unlinked, either
// as a keyless row (pending) or as a row holding a canary's CURP (canary):
// then a second reading, which keeps the first maxObs such rows, would
// keep exactly these.
func keptUnlinked(m *matcher, pending, canary map[int]register.Record, maxObs int) bool {
	if canary == nil {
		return false
	}
	unlinked := 0
	for r := maxObs; r < len(m.out); r++ {
		if m.out[r].person != 0 {
			continue
		}
		if unlinked++; unlinked > maxObs {
			return false
		}
		if _, ok := canary[r]; ok {
			continue
		}
		if _, ok := pending[r]; !ok {
			return false
		}
	}
	return true
}
