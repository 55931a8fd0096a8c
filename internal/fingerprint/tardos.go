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

func newTerm(p float64, y int) markTerm { return newPosScore(p).term(y) }

// posScore is what the scores and the bound's term of a position need of
// its bias p, computed once for every release.
type posScore struct {
	a, b   float64 // √((1−p)/p), √(p/(1−p))
	l1, l0 float64 // ln p, ln(1−p)
}

func newPosScore(p float64) posScore {
	return posScore{math.Sqrt((1 - p) / p), math.Sqrt(p / (1 - p)), math.Log(p), math.Log1p(-p)}
}

// score is score(x, y, p), the same number.
func (ps posScore) score(x, y int) float64 {
	switch {
	case x == 1 && y == 1:
		return ps.a
	case x == 0 && y == 1:
		return -ps.b
	case x == 1 && y == 0:
		return -ps.a
	default:
		return ps.b
	}
}

// term is newTerm(p, y).
func (ps posScore) term(y int) markTerm {
	g1, g0 := ps.score(1, y), ps.score(0, y)
	if g1 >= g0 {
		return markTerm{ps.l1, ps.l0, g1, g1 - g0}
	}
	return markTerm{ps.l0, ps.l1, g0, g0 - g1}
}

// chernoffLog is ln of the Chernoff bound on P(S ≥ s) for an innocent whose
// symbols X_j are independent Bernoulli(p_j) (see markBound): a valid bound
// within 1% of the optimum's logarithm (or 0.05, whichever is larger).
func chernoffLog(terms []markTerm, s float64) float64 {
	return newMarkBound(terms).logBound(s)
}

// markBound is the Chernoff bound of one set of terms, for any number of
// scores (the releases that share a code, a mixing and the fields of their
// copies share the terms):
//
//	ln P(S ≥ s) ≤ min over λ ≥ 0 of  −λ·s + Σ_j ln E[exp(λ·g_j(X_j))]
//	            = min over λ ≥ 0 of  f(λ) = λ·(S_max − s) + G(λ),
//	G(λ) = Σ_j ln(P_j(best) + P_j(other)·e^{−λ·Δ_j})
//
// where S_max = Σ_j (best score at j) and Δ_j the gap to the other score;
// the second form is the same number without cancellation. Every λ gives a
// valid bound. G does not depend on s: it is computed (with G' and G”)
// exactly, once for all scores, on the geometric grid λ_k = λ_0·r^k
// (λ_0 = 10⁻³/√m, r = boundRatio), each point when a score first needs it
// (a pass over the terms, on every core). f is convex: for a score s the
// bound is the smaller of f at the two grid points around the sign change
// of f' = S_max − s + G' (found by Newton steps on the grid), exact values
// of f, so a valid bound at most a grid step from the optimum — within
// ≈0.3% of its logarithm for r = 1.05 (TestMarkBoundGrid: never below the
// exact optimum, within 1% or 0.05 of its logarithm). Below λ_0 the
// optimum is within 10⁻⁶ of 0; the grid ends where G − Σ_j ln P_j(best) ≤
// 10⁻³, beyond which no λ gains more. When s ≥ S_max the bound is its
// limit λ → ∞, Σ_j ln P_j(best) — the exact probability of the best
// outcome everywhere — and −∞ when s > S_max (impossible). It is 0 (bound
// 1) when s ≤ 0.
//
// A markBound is not safe for concurrent use.
type markBound struct {
	terms         []markTerm
	smax, allBest float64
	lam0          float64   // λ_0
	n             int       // grid points
	g, d, dd      []float64 // G(λ_k), G'(λ_k), G''(λ_k), valid where done[k]
	done          []bool
}

// boundRatio is the ratio r of consecutive λ of markBound's grid.
const boundRatio = 1.05

func newMarkBound(terms []markTerm) *markBound {
	b := &markBound{terms: terms}
	if len(terms) == 0 {
		return b
	}
	m := float64(len(terms))
	// Beyond λ = (ln(P_j(other)/P_j(best)) + ln m + ln 1000)/Δ_j term j adds
	// at most 10⁻³/m to G − Σ_j ln P_j(best): past the largest, f cannot
	// fall by more than 10⁻³.
	slackTerm := math.Log(m) + math.Log(1000)
	top := 0.0
	for _, t := range terms {
		b.smax += t.gMax
		b.allBest += t.lpMax
		if t.delta > 0 {
			top = math.Max(top, (t.lpMin-t.lpMax+slackTerm)/t.delta)
		}
	}
	b.lam0 = 1e-3 / math.Sqrt(m)
	b.n = 2
	if top > b.lam0 {
		b.n += int(math.Ceil(math.Log(top/b.lam0) / math.Log(boundRatio)))
	}
	b.g = make([]float64, b.n)
	b.d = make([]float64, b.n)
	b.dd = make([]float64, b.n)
	b.done = make([]bool, b.n)
	return b
}

// lambda is grid point k.
func (b *markBound) lambda(k int) float64 {
	return b.lam0 * math.Pow(boundRatio, float64(k))
}

// index is the grid point nearest λ, in [-1, n].
func (b *markBound) index(l float64) int {
	if !(l > b.lam0/boundRatio) { // or NaN
		return -1
	}
	k := math.Round(math.Log(l/b.lam0) / math.Log(boundRatio))
	if !(k < float64(b.n)) {
		return b.n
	}
	return int(k)
}

// at is G, G' and G” at grid point k, computed on first use.
func (b *markBound) at(k int) (g, d, dd float64) {
	if b.done[k] {
		return b.g[k], b.d[k], b.dd[k]
	}
	l := b.lambda(k)
	// in chunks, on every core when there are many terms, summed in a
	// fixed order: the same numbers whatever the cores
	const chunk = 1 << 14
	nc := (len(b.terms) + chunk - 1) / chunk
	part := make([][3]float64, nc)
	sum := func(c int) {
		var g, d, dd float64
		for _, t := range b.terms[c*chunk : min(len(b.terms), (c+1)*chunk)] {
			// ln(P(best) + P(other)·e^{−λΔ}) = ln P(best) + ln(1 + e^x),
			// with x = ln(P(other)/P(best)) − λΔ; its derivatives are −Δ·q
			// and Δ²·q·(1 − q), q = e^x/(1 + e^x) the tilted P(other)
			x := t.lpMin - t.lpMax - l*t.delta
			var q float64
			if x > 0 {
				e := math.Exp(-x)
				g += t.lpMin - l*t.delta + math.Log1p(e)
				q = 1 / (1 + e)
			} else {
				g += t.lpMax
				if x < -746 { // e^x = 0
					continue
				}
				e := math.Exp(x)
				g += math.Log1p(e)
				q = e / (1 + e)
			}
			d -= t.delta * q
			dd += t.delta * t.delta * q * (1 - q)
		}
		part[c] = [3]float64{g, d, dd}
	}
	if nc > 1 {
		parallel(nc, sum)
	} else if nc == 1 {
		sum(0)
	}
	for _, p := range part {
		g, d, dd = g+p[0], d+p[1], dd+p[2]
	}
	b.g[k], b.d[k], b.dd[k], b.done[k] = g, d, dd, true
	return g, d, dd
}

// logBound is ln of the bound on P(S ≥ s).
func (b *markBound) logBound(s float64) float64 {
	if s <= 0 || len(b.terms) == 0 {
		return 0
	}
	slack := b.smax - s
	if slack < -1e-9*math.Max(1, math.Abs(b.smax)) {
		return math.Inf(-1)
	}
	if slack <= 0 {
		return b.allBest
	}
	// The first grid point hi where f' = slack + G' ≥ 0 (n when none); the
	// optimum lies between lo = hi − 1 and hi. From the Gaussian guess
	// (G'' = m at 0: the scores' variance) Newton steps, on λ or else on
	// ln λ, rounded to the grid, move inside the bracket, or it is halved;
	// innocents' scores take 2–3 points, the largest ≈10.
	lo, hi := -1, b.n
	k := b.index(s / float64(len(b.terms)))
	for step := 0; hi-lo > 1; step++ {
		switch {
		case k == lo:
			k++
		case k == hi:
			k--
		case k < lo || k > hi || step >= 12:
			k = lo + (hi-lo)/2
		}
		_, d, dd := b.at(k)
		fd := slack + d
		if fd < 0 {
			lo = k
		} else {
			hi = k
		}
		l := b.lambda(k)
		if k = b.index(l - fd/dd); k < lo || k > hi {
			k = b.index(l * math.Exp(-fd/(l*dd)))
		}
	}
	f := 0.0
	for _, k := range [2]int{lo, hi} {
		if k >= 0 && k < b.n {
			g, _, _ := b.at(k)
			f = math.Min(f, b.lambda(k)*slack+g)
		}
	}
	return f
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
