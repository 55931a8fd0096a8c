package linkage

import "testing"

// TestMostlyStrangers: a leak whose rows are nearly all people not in the
// register (a few of ours among another register's) links none of the
// strangers. EM on such a batch learnt its "matches" from candidates
// sharing a birth date and surnames (siblings, namesakes): the given name
// agreed in one pair in five, and 4–6 strangers in 20,000 were linked.
func TestMostlyStrangers(t *testing.T) {
	tr := synthRegister(t, 20000, 5, 4000, leakCut.AddMonths(36))
	for _, ours := range []int{0, 150} {
		a := runAccuracy(t, tr, 9, ours, 20000, 0, nil)
		a.log(t)
		if a.wrong > 0 {
			t.Errorf("%d ours among 20,000 strangers: %d rows linked to the wrong person", ours, a.wrong)
		}
		if a.correct < ours*99/100 {
			t.Errorf("%d ours among 20,000 strangers: only %d linked", ours, a.correct)
		}
	}
}
