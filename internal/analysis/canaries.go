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
func canaryPrefilter(cfg Config) map[key18]struct{} {
	cl, ok := cfg.Attributor.(canaryLister)
	if !ok || len(cfg.Releases) == 0 {
		return nil
	}
	curps, err := cl.CanaryCURPs(cfg.Releases)
	if err != nil {
		return nil // the second reading finds them
	}
	set := make(map[key18]struct{}, len(curps))
	for _, c := range curps {
		if k := toKey18(c); !k.none() {
			set[k] = struct{}{}
		}
	}
	return set
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
