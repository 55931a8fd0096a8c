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

// markTerm is one scored position for the bound: the log-probabilities of
// the innocent's two symbols and the scores they would get.
type markTerm struct {
	lp1, lp0 float64 // ln p, ln(1−p)
	g1, g0   float64 // score of a holder of 1, of 0
}

func newTerm(p float64, y int) markTerm {
	return markTerm{math.Log(p), math.Log1p(-p), score(1, y, p), score(0, y, p)}
}

// logMGF is ln E[exp(λ g(X, y))] for X ~ Bernoulli(p).
func (t markTerm) logMGF(lambda float64) float64 {
	a := t.lp1 + lambda*t.g1
	b := t.lp0 + lambda*t.g0
	if a < b {
		a, b = b, a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// dLogMGF is the derivative of logMGF in λ: the mean of g under the tilted law.
func (t markTerm) dLogMGF(lambda float64) float64 {
	a := t.lp1 + lambda*t.g1
	b := t.lp0 + lambda*t.g0
	if a >= b {
		w := math.Exp(b - a)
		return (t.g1 + w*t.g0) / (1 + w)
	}
	w := math.Exp(a - b)
	return (w*t.g1 + t.g0) / (1 + w)
}

// chernoffLog is ln of the Chernoff bound on P(S ≥ s) for an innocent whose
// symbols X_j are independent Bernoulli(p_j):
//
//	ln P(S ≥ s) ≤ min over λ ≥ 0 of  −λ·s + Σ_j ln E[exp(λ·g_j(X_j))].
//
// Every λ gives a valid bound; the minimum is found by bisection on the
// derivative (the exponent is convex in λ). It returns 0 (bound 1) when
// s ≤ 0.
func chernoffLog(terms []markTerm, s float64) float64 {
	if s <= 0 || len(terms) == 0 {
		return 0
	}
	exponent := func(l float64) float64 {
		e := -l * s
		for _, t := range terms {
			e += t.logMGF(l)
		}
		return e
	}
	deriv := func(l float64) float64 {
		d := -s
		for _, t := range terms {
			d += t.dLogMGF(l)
		}
		return d
	}
	// bracket the minimum: the derivative is −s < 0 at 0 and increasing
	lo, hi := 0.0, 1.0/math.Sqrt(float64(len(terms)))
	for i := 0; i < 60 && deriv(hi) < 0; i++ {
		lo, hi = hi, hi*2
	}
	for i := 0; i < 30; i++ {
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
