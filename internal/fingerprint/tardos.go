package fingerprint

import (
	"math"
)

// codeShape holds the parameters of the symmetric Tardos code.
type codeShape struct {
	t float64 // cutoff: r uniform in [t, π/2−t]
}

func newShape(colluders int) codeShape {
	if colluders < 1 {
		colluders = 1
	}
	return codeShape{t: 1 / (300 * float64(colluders))}
}

// meanMax is E[max(p, 1−p)] for p = sin²r, r uniform in [t, π/2−t]:
// ½ + ½·E|cos 2r| = ½ + ½·(1 − sin 2t)/(π/2 − 2t).
func (c codeShape) meanMax() float64 {
	return 0.5 + 0.5*(1-math.Sin(2*c.t))/(math.Pi/2-2*c.t)
}

// lambdaFor is the probability λ with which bit 1 is written as a class's
// majority group when p > ½ (and as its minority group when p < ½), so that
// the majority group's expected share in a copy is q:
// q = λ·E[max(p,1−p)] + (1−λ)·E[min(p,1−p)].
func (c codeShape) lambdaFor(q float64) float64 {
	hi := c.meanMax()
	lo := 1 - hi
	l := (q - lo) / (hi - lo)
	return math.Max(0, math.Min(1, l))
}

// score is the symmetric Tardos score of a holder of symbol x when the leak
// shows symbol y at a position of bias p.
func score(x, y int, p float64) float64 {
	a := math.Sqrt((1 - p) / p)
	b := math.Sqrt(p / (1 - p))
	switch {
	case x == 1 && y == 1:
		return a
	case x == 0 && y == 1:
		return -b
	case x == 1 && y == 0:
		return -a
	default:
		return b
	}
}

// markTerm is one scored position for the bound, written around its best
// outcome so the exponent never subtracts large numbers: the innocent's
// symbol gets score gMax with log-probability lpMax, or gMax − delta
// (delta > 0) with log-probability lpMin.
type markTerm struct {
	lpMax, lpMin float64
	gMax, delta  float64
}

func newTerm(p float64, y int) markTerm {
	g1, g0 := score(1, y, p), score(0, y, p)
	l1, l0 := math.Log(p), math.Log1p(-p)
	if g1 >= g0 {
		return markTerm{l1, l0, g1, g1 - g0}
	}
	return markTerm{l0, l1, g0, g0 - g1}
}

// chernoffLog is ln of the Chernoff bound on P(S ≥ s) for an innocent whose
// symbols X_j are independent Bernoulli(p_j):
//
//	ln P(S ≥ s) ≤ min over λ ≥ 0 of  −λ·s + Σ_j ln E[exp(λ·g_j(X_j))]
//	            = min over λ ≥ 0 of  λ·(S_max − s) + Σ_j ln(P_j(best) + P_j(other)·e^{−λ·Δ_j})
//
// where S_max = Σ_j (best score at j) and Δ_j the gap to the other score;
// the second form is the same number without cancellation. Every λ gives a
// valid bound; the exponent is convex, its minimum is found by bisection on
// the derivative. When s ≥ S_max the bound is its limit λ → ∞,
// Σ_j ln P_j(best) — the exact probability of the best outcome everywhere —
// and −∞ when s > S_max (impossible). It returns 0 (bound 1) when s ≤ 0.
func chernoffLog(terms []markTerm, s float64) float64 {
	if s <= 0 || len(terms) == 0 {
		return 0
	}
	smax, allBest := 0.0, 0.0
	for _, t := range terms {
		smax += t.gMax
		allBest += t.lpMax
	}
	slack := smax - s
	if slack < -1e-9*math.Max(1, math.Abs(smax)) {
		return math.Inf(-1)
	}
	if slack <= 0 {
		return allBest
	}
	exponent := func(l float64) float64 {
		e := l * slack
		for _, t := range terms {
			e += logAdd(t.lpMax, t.lpMin-l*t.delta)
		}
		return e
	}
	deriv := func(l float64) float64 {
		d := slack
		for _, t := range terms {
			// −Δ · P_λ(other)
			a, b := t.lpMax, t.lpMin-l*t.delta
			if b > a {
				d -= t.delta / (1 + math.Exp(a-b))
			} else {
				d -= t.delta * math.Exp(b-a) / (1 + math.Exp(b-a))
			}
		}
		return d
	}
	lo, hi := 0.0, 1.0/math.Sqrt(float64(len(terms)))
	i := 0
	for ; i < 200 && deriv(hi) < 0; i++ {
		lo, hi = hi, hi*2
	}
	if i == 200 {
		return math.Min(0, math.Max(allBest, exponent(hi)))
	}
	for i := 0; i < 40; i++ {
		mid := (lo + hi) / 2
		if deriv(mid) < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.Min(0, math.Min(exponent(lo), exponent(hi)))
}

// CodeLength is the number of surviving marks the symmetric Tardos code
// needs to catch one of c colluders among n recipients with false-accusation
// probability ε: provably m ≥ π²c²·ln(n/ε) (Škorić, Katzenbeisser, Celik);
// the Gaussian estimate, what is met in practice, is half of that.
func CodeLength(n, c int, eps float64) (provable, gaussian int) {
	if n < 1 {
		n = 1
	}
	if c < 1 {
		c = 1
	}
	m := math.Pi * math.Pi * float64(c*c) * math.Log(float64(n)/eps)
	return int(math.Ceil(m)), int(math.Ceil(m / 2))
}
