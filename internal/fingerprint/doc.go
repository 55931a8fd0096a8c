// Package fingerprint owns huella's secret per-recipient marks: how a
// released copy is marked (Marker, Copy, Canaries) and how a leaked file is
// scored against every logged release (Attribute). The rule it serves:
// correct or inconclusive, never wrong — an innocent recipient is accused
// with probability at most ε, a bound computed for each analysis, not
// assumed.
//
// Identity data is never altered: curp, clave_elector, nombre,
// apellido_paterno, apellido_materno, fecha_nacimiento, sexo, entidad and
// seccion (every field the schema marks identity) are the register's bytes
// in every row of every copy. Marks live only in the choice of equivalent
// address forms (non-identity fields of role address), in extra synthetic
// rows (canaries), in the row order and in the cut instant.
//
// # Keys
//
// K is the workspace's 256-bit fingerprint key. Every mark derives from it;
// nothing uses math/rand. Subkeys are
//
//	k(label, r) = HMAC-SHA-256(K, label ‖ 0x00 ‖ r)
//
// with the labels "huella fingerprint v1 position" (r empty: the same for
// every release), "... bit", "... order", "... canary", "... cut" and r the
// release id. The per-item PRF is AES-256 under a subkey, on one 16-byte
// block:
//
//	position block  pid (8 bytes, big-endian) ‖ field (4) ‖ slot (2) ‖ 0x0000
//	person block    pid (8) ‖ 0xFF × 8
//
// field is FNV-1a-32 of the field's name (marks survive a reordered
// schema); slot is the ordinal of the slot in the value (package addr).
// u64(x) maps 64 bits to [0,1) as (x >> 11)/2⁵³, u32(x) as x/2³².
//
// # Carrier 1: address forms, symmetric Tardos code
//
// A mark position j = (person, field, slot) is one equivalent-form slot of a
// markable field's value (package addr: CALLE/C., COLONIA/COL, S/N/SIN
// NUMERO, MZ/MANZANA, ...). With O = AES(k(position), block(j)):
//
//	t   = 1/(300c)                         cutoff, c = Params.Colluders
//	r_j = t + u64(O[0:8])·(π/2 − 2t)       uniform in [t, π/2−t]
//	p_j = sin² r_j                         the position's bias (every release alike)
//	v_j = u32(O[8:12])                     which group writes symbol 1
//	w_j = u32(O[12:16])                    which spelling of a group to write
//
// Release R's symbol is X_j = 1 if u64(AES(k(bit, R), block(j))[0:8]) < p_j,
// else 0: independent Bernoulli(p_j) draws, one codeword per release.
//
// Symbol to form. Let q be the share of class C's long form among the
// register's slots (FormStats, counted on the first OrderBlock rows of the
// cut), A the majority group (long if q ≥ ½) and q_A = max(q, 1−q). Bit 1 is
// written as group A when (p_j > ½) = (v_j < λ_C), else as the other group.
// The expected share of group A in a copy is then
//
//	λ·E[max(p, 1−p)] + (1−λ)·E[min(p, 1−p)],  E[max(p,1−p)] = ½ + ½·(1 − sin 2t)/(π/2 − 2t) ≈ 0.818,
//
// so λ_C = (q_A − E[min])/(E[max] − E[min]), clamped to [0,1], makes each
// copy keep the register's habit for shares in ≈[0.18, 0.82] (beyond, the
// nearest end). Params.Classes records q and λ per class (rounded to 10⁻⁶;
// the marker uses the rounded λ). Inside the chosen group the spelling is
// kept when the register already uses that group, else drawn by w_j from the
// register's spellings of the group, in proportion to their counts.
//
// Reading a leak. A leaked value is normalised and its slots found; slot k
// of field f of the row linked to person pid is position j, its group G
// gives the leak's symbol y_j for release R by the same rule (bit 1 ⇔ G is
// the group bit 1 maps to). Positions are scored once per person (the first
// row of a person in leak order) and at most Options.MaxMarks (250,000: the
// marks of the 200,000 rows an analysis reads) of them, the first in leak
// order; a release is scored only on fields its copy holds.
//
// Score (Škorić, Katzenbeisser, Celik), for release R:
//
//	S_R = Σ_j g(X_j, y_j, p_j)
//	g(1,1) = +√((1−p)/p)    g(0,1) = −√(p/(1−p))
//	g(0,0) = +√(p/(1−p))    g(1,0) = −√((1−p)/p)
//
// Under innocence X_j ~ Bernoulli(p_j) independently of the leak (the leak
// was made without R's subkey), E[g] = 0 and Var[g] = 1 per position. The
// bound is the exact Chernoff bound of that law, computed for this leak:
//
//	P(S_R ≥ s) ≤ min over λ ≥ 0 of exp(−λs + Σ_j ln(p_j·e^{λ·g(1,y_j)} + (1−p_j)·e^{λ·g(0,y_j)}))
//
// (any λ gives a valid bound; the exponent is convex in λ). The sum over j
// does not depend on s: it is computed exactly, with its first two
// derivatives, on the grid λ_k = 10⁻³/√m·1.05^k, once for every release
// scored with the same code shape, mixing and fields, and a release's bound
// is the smaller exponent at the two grid points around its minimum (found
// by Newton steps on the grid): never below the minimum, within ≈0.3% of its
// logarithm. Code length: the provable
// m ≥ π²c²·ln(n/ε), the Gaussian ½π²c²·ln(n/ε) (CodeLength); for c = 3,
// n = 20, ε = 10⁻⁶: 1,493 and 747 marks. A 1,000-row sample of a full copy
// holds ≈2–3 marks per row.
//
// # Carrier 2: keyed row order
//
// A copy is cut in blocks of OrderBlock (65,536) consecutive rows of the
// register as of the cut (ascending person id; canaries join the block of
// the row they follow); each block is written sorted by the order key
// κ_R(pid) = AES(k(order, R), person block)[0:8]. In a leak, take the linked
// rows in leak order, the first row of each person, and count the ascents
// A_R = #{i : κ_R(pid_{i+1}) > κ_R(pid_i)} over n−1 adjacent pairs. For an
// innocent R the keys are independent uniform draws, so their ranks form a
// uniform random permutation and A_R has the Eulerian law:
//
//	P(A ≥ a) = Σ_{k ≥ a} E(n,k)/n!,   E(n,k) = (k+1)·E(n−1,k) + (n−k)·E(n−1,k−1)
//
// summed exactly (in log space) for n ≤ 2,000; beyond, A has the law of
// ⌊U_1 + … + U_n⌋ (uniforms), so P(A ≥ a) ≤ min over λ > 0 of
// e^{−λa}·((e^λ − 1)/λ)^n. The first 1,000 rows of a copy show ≈999 ascents
// (p ≈ 1/1000!); a uniform 1,000-row sample of a 93M copy still shows most
// of its adjacent pairs inside one block. Re-sorting erases this carrier,
// it never misleads: the leak's order does not depend on R's key.
//
// # Carrier 3: canaries
//
// A copy inserts a canary after the row of person pid when
// u64(AES(k(order, R), person block)[8:16]) < CanaryRate (default 10⁻⁴), and
// one in the last block if none was drawn (with the first row's residence). Canary i is attempt a = 0, 1, …
// of the synthetic person of seed HMAC-SHA-256(k(canary, R), i ‖ a)[0:8]
// (8-byte big-endian i and a) — the first whose CURP and clave belong to no
// real person (store lookups). The generator (CanaryGen "huella-canary-v1")
// is deterministic from the seed: valid CURP with its check digit, a clave,
// an adult's birth date, sex and birth state, registration, emisión, CIC and
// OCR; the residence fields (entidad, municipio, sección, localidad,
// address, postal code) are the preceding real row's, and the OCR's first
// four digits are its section. Params.Canaries records how many a copy
// holds, so the analysis regenerates them from K and the release id alone.
// A leaked row is a canary of R when it links to no real person, its CURP
// is one of R's canary candidates (attempts up to the first not taken today),
// every identity value it shows agrees with the canary, and it shows the
// clave or both the given name and first surname. A row without a CURP is
// one when its clave is a canary's, or when its three names, birth date and
// CIC are (every identity value it shows agreeing: the CIC's nine or ten
// random digits are as unlikely to be shared as a CURP); names, dates or
// sección alone (a canary's sección is its donor's) are not enough, and the
// evidence then says the canaries could not be recognised rather than that
// none is there. Such a record exists only
// in R's copy: its bound is 0 (proof by possession).
//
// # Carrier 4: the cut instant
//
// With a cut window W (days), release R is cut at as-of − d,
// d = u64be(k(cut, R)[0:8]) mod (W+1) (CutOffset); the ledger records the
// actual instant, which the analysis's dating compares with the leak's.
//
// # Accusation
//
// Each carrier gives a bound b on the probability that a copy not derived
// from R shows evidence as strong. With N releases and 3 carriers tested,
//
//	FamilyBound_R = min(b_marks, b_order, b_canary) · N · 3,  accused ⇔ FamilyBound_R ≤ ε (10⁻⁶)
//
// a union bound over every test made, so the probability that any innocent
// release is accused is at most ε. Colluders who mix their copies row- or
// field-wise each keep a positive expected score and are accused when the
// leak holds enough marks; an innocent is not. When nothing is accused,
// Evidence.Missing says what is missing: address fields absent, forms
// canonicalised, marks seen versus ½π²c²·ln(3N/ε) needed (and the rows that
// would hold them), rows re-sorted, canaries absent.
//
// # Example
//
//	m := fingerprint.NewMarker(key, "rel-3fa9c2d1", schema, fields, fingerprint.DefaultParams(), stats)
//	cp := m.NewCopy(schema, asOf, taken, emit)
//	for each person in ascending id: cp.Add(pid, rec)
//	cp.Close()                 // cp.Params() goes in the ledger entry
//	...
//	ev := fingerprint.Attribute(key, releases, observations, 1e-6)
//	// ev[i].Accused, ev[i].FamilyBound, ev[i].Carriers, ev[i].Missing
package fingerprint
