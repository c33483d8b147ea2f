package sqlite

import (
	"context"
	"maps"
	"slices"

	"github.com/jikimi/jikimi/store"
)

// fresh reports which entries are new: no record with their id is stored,
// nor seen by this transaction (seen, to which fresh adds entries' ids)
// earlier in entries or in an earlier Insert. The term index names the
// blocks that may hold each id (the Bloom filters keep that to the blocks
// that really do, nearly always); each such block's ids are read once and
// compared in full.
func (s *DB) fresh(ctx context.Context, entries []*store.Entry, seen map[string]struct{}) ([]bool, error) {
	out := make([]bool, len(entries))
	keys := make([]uint64, 0, len(entries))
	for i := range entries {
		id := entries[i].ID
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		out[i] = true
		keys = append(keys, hashTermString(termID, id))
	}
	cand, err := s.idBlocks(ctx, keys)
	if err != nil || len(cand) == 0 {
		return out, err
	}
	need := map[uint32]bool{}
	for _, bs := range cand {
		for _, b := range bs {
			need[b] = true
		}
	}
	stored := map[string]bool{}
	br := s.newBlockReader()
	defer br.close()
	var l loaded
	for _, num := range slices.Sorted(maps.Keys(need)) {
		if err := br.read(ctx, num, partCols, &l); err != nil {
			return nil, err
		}
		for i := range l.head.N {
			if _, ok := seen[string(l.cols.ID(i))]; ok {
				stored[string(l.cols.ID(i))] = true
			}
		}
	}
	for i := range entries {
		if out[i] && stored[entries[i].ID] {
			out[i] = false
		}
	}
	return out, nil
}
