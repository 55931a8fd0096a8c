package linkage

import (
	"testing"

	"github.com/huella/huella/internal/register"
)

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

// TestMostlyStrangersPartyColumns: a party's columns (names and sección,
// no birth date) of a few of ours among many strangers: a stranger whose
// surname is rare and sección the same as one of our people's, but whose
// given name or other surname is wholly different, is a relative or a
// namesake, not the person, and is not linked (one stranger in 20,000 is
// still linked; it was two).
func TestMostlyStrangersPartyColumns(t *testing.T) {
	tr := synthRegister(t, 20000, 5, 4000, leakCut.AddMonths(36))
	cols := []string{register.FNombre, register.FPaterno, register.FMaterno, register.FSeccion}
	a := runAccuracy(t, tr, 9, 300, 20000, 0, cols)
	a.log(t)
	if a.wrong > 1 { // 2 before nameDiffers
		t.Errorf("300 ours among 20,000 strangers, names and sección: %d rows linked to the wrong person", a.wrong)
	}
	if a.correct < 300*95/100 {
		t.Errorf("only %d of 300 linked", a.correct)
	}
}
