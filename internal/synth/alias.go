package synth

import "math/rand/v2"

// rng is the random source of one person or one worker: a PCG reseeded for
// every person, so a person's life depends only on (seed, person id).
type rng = rand.Rand

// alias samples an index with probability proportional to its weight in
// O(1) (Walker's alias method).
type alias struct {
	prob  []float64
	other []int32
}

func newAlias(w []float64) *alias {
	n := len(w)
	a := &alias{prob: make([]float64, n), other: make([]int32, n)}
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	scaled := make([]float64, n)
	var small, large []int
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.prob[s] = scaled[s]
		a.other[s] = int32(l)
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range large {
		a.prob[i] = 1
		a.other[i] = int32(i)
	}
	for _, i := range small {
		a.prob[i] = 1
		a.other[i] = int32(i)
	}
	return a
}

func (a *alias) draw(r *rng) int { return a.drawU(r.Uint64()) }

// drawU draws with the bits of u instead of a generator.
func (a *alias) drawU(u uint64) int {
	i := int((u >> 32) * uint64(len(a.prob)) >> 32)
	if float64(u&0xffffffff)/(1<<32) < a.prob[i] {
		return i
	}
	return int(a.other[i])
}

// mix is a 64-bit finaliser (splitmix64): the hash behind every fixed
// property of the synthetic geography.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// hash combines small integers into one well-mixed value.
func hash(a ...uint64) uint64 {
	h := uint64(0x243f6a8885a308d3)
	for _, x := range a {
		h = mix(h ^ x)
	}
	return h
}
