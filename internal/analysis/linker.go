package analysis

import (
	"context"

	"github.com/huella/huella/internal/linkage"
	"github.com/huella/huella/internal/register"
	"github.com/huella/huella/internal/store"
)

func init() { newStoreLinker = NewStoreLinker }

// storeLinker links with a linkage index over every version of the store.
type storeLinker struct{ ix *linkage.Index }

// NewStoreLinker builds the probabilistic linkage index over the store.
func NewStoreLinker(ctx context.Context, st *store.Store, schema *register.Schema) (Linker, error) {
	ix := linkage.NewIndex(schema)
	if err := st.Versions(ctx, func(v *register.Version) error { ix.Add(v); return nil }); err != nil {
		return nil, err
	}
	ix.Freeze()
	return storeLinker{ix}, nil
}

func (l storeLinker) LinkAll(recs []register.Record) []Link {
	ms := l.ix.LinkAll(recs)
	out := make([]Link, len(ms))
	for i := range ms {
		m := &ms[i]
		out[i] = Link{Weight: m.Weight, Candidates: m.Candidates, Reason: m.Reason}
		if m.Matched() {
			out[i].PersonID = m.PersonID
		}
	}
	return out
}
