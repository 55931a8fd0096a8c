package fingerprint

import (
	"math"
	"sync"
)

// exactOrderMax is the longest sequence whose ascent tail is computed
// exactly (O(n²) in log space); longer sequences use the Chernoff bound.
const exactOrderMax = 2000

// ascentsLogTail is ln P(A ≥ k) where A is the number of ascents of a
// uniformly random permutation of n distinct values (the Eulerian
// distribution). For an innocent copy the order keys of the leaked persons
// are independent uniform draws, so their ranks are a uniform permutation.
//
// For n ≤ exactOrderMax it sums the Eulerian probabilities, from
// q_n(k) = ((k+1)·q_{n−1}(k) + (n−k)·q_{n−1}(k−1)) / n. Beyond, it uses
// that A has the law of ⌊U_1 + … + U_n⌋ for independent uniforms (Stanley),
// so P(A ≥ k) = P(ΣU ≥ k) ≤ min over λ > 0 of e^{−λk}·((e^λ − 1)/λ)^n.
func ascentsLogTail(n, k int) float64 {
	if k <= 0 || n <= 1 {
		return 0
	}
	if k > n-1 {
		return math.Inf(-1)
	}
	if n <= exactOrderMax {
		return eulerianLogTail(n)[k]
	}
	return uniformSumLogTail(n, float64(k))
}

var (
	eulerMu    sync.Mutex
	eulerCache = map[int][]float64{}
)

// eulerianLogTail returns t with t[k] = ln P(A ≥ k) for k = 0..n−1.
func eulerianLogTail(n int) []float64 {
	eulerMu.Lock()
	defer eulerMu.Unlock()
	if t, ok := eulerCache[n]; ok {
		return t
	}
	q := []float64{0} // n = 1: one permutation, 0 ascents
	for m := 2; m <= n; m++ {
		next := make([]float64, m)
		lm := math.Log(float64(m))
		for k := 0; k < m; k++ {
			a, b := math.Inf(-1), math.Inf(-1)
			if k < m-1 {
				a = math.Log(float64(k+1)) + q[k]
			}
			if k >= 1 {
				b = math.Log(float64(m-k)) + q[k-1]
			}
			next[k] = logAdd(a, b) - lm
		}
		q = next
	}
	tail := make([]float64, n)
	acc := math.Inf(-1)
	for k := n - 1; k >= 0; k-- {
		acc = logAdd(acc, q[k])
		tail[k] = math.Min(0, acc)
	}
	if len(eulerCache) > 8 {
		eulerCache = map[int][]float64{}
	}
	eulerCache[n] = tail
	return tail
}

func logAdd(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(b, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// uniformSumLogTail is the Chernoff bound ln P(U_1+…+U_n ≥ a), a > n/2.
func uniformSumLogTail(n int, a float64) float64 {
	fn := float64(n)
	if a <= fn/2 {
		return 0
	}
	// ln((e^λ−1)/λ) = λ + ln(1−e^{−λ}) − ln λ
	lmgf := func(l float64) float64 { return l + math.Log1p(-math.Exp(-l)) - math.Log(l) }
	// derivative of −λa + n·lmgf(λ): −a + n·(1/(1−e^{−λ}) − 1/λ)
	deriv := func(l float64) float64 { return -a + fn*(1/(-math.Expm1(-l))-1/l) }
	lo, hi := 1e-9, 1.0
	for i := 0; i < 200 && deriv(hi) < 0; i++ {
		lo, hi = hi, hi*2
	}
	for i := 0; i < 100; i++ {
		mid := (lo + hi) / 2
		if deriv(mid) < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	l := (lo + hi) / 2
	return math.Min(0, -l*a+fn*lmgf(l))
}
