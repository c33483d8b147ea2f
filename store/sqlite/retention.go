package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jikimi/jikimi/breach"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/store/block"
)

const legalHoldSchema = `
CREATE TABLE IF NOT EXISTS legal_holds (
	id         INTEGER PRIMARY KEY,
	scope      BLOB NOT NULL,
	reason     TEXT NOT NULL,
	placed_by  TEXT NOT NULL,
	placed_at  INTEGER NOT NULL,
	removed_at INTEGER
);`

// LegalHold is a hold placed by hand (`jikimi hold add`), for a preservation
// order or an investigation; incidents place their own (see Holds).
type LegalHold struct {
	ID        int64        `json:"id"`
	Scope     breach.Scope `json:"scope"`
	Reason    string       `json:"reason"`
	PlacedBy  string       `json:"placed_by"`
	PlacedAt  time.Time    `json:"placed_at"`
	RemovedAt time.Time    `json:"removed_at,omitzero"`
}

// Hold returns the hold as retention checks it.
func (h LegalHold) Hold() breach.Hold {
	return breach.Hold{Scope: h.Scope, From: h.Scope.From, To: h.Scope.To, PlacedAt: h.PlacedAt}
}

// AddLegalHold places a hold and returns its id.
func (s *DB) AddLegalHold(ctx context.Context, h LegalHold) (int64, error) {
	if err := s.ensure(ctx, "legal_holds", legalHoldSchema); err != nil {
		return 0, err
	}
	scope, err := json.Marshal(h.Scope)
	if err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO legal_holds (scope, reason, placed_by, placed_at) VALUES (?, ?, ?, ?)`,
		scope, h.Reason, h.PlacedBy, h.PlacedAt.UnixNano())
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// RemoveLegalHold lifts a hold; it stays listed with the time it was lifted.
func (s *DB) RemoveLegalHold(ctx context.Context, id int64, at time.Time) error {
	if err := s.ensure(ctx, "legal_holds", legalHoldSchema); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE legal_holds SET removed_at = ? WHERE id = ? AND removed_at IS NULL`, at.UnixNano(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("legal hold %d: %w (or already lifted)", id, store.ErrNotFound)
	}
	return nil
}

// LegalHolds lists every hold placed by hand, lifted ones included.
func (s *DB) LegalHolds(ctx context.Context) ([]LegalHold, error) {
	if err := s.ensure(ctx, "legal_holds", legalHoldSchema); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, scope, reason, placed_by, placed_at, coalesce(removed_at, 0) FROM legal_holds ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LegalHold
	for rows.Next() {
		var h LegalHold
		var scope []byte
		var placed, removed int64
		if err := rows.Scan(&h.ID, &scope, &h.Reason, &h.PlacedBy, &placed, &removed); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(scope, &h.Scope); err != nil {
			return nil, fmt.Errorf("legal hold %d: %w", h.ID, err)
		}
		h.PlacedAt = time.Unix(0, placed)
		if removed != 0 {
			h.RemovedAt = time.Unix(0, removed)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// RecordsBefore returns up to limit records of system older than before
// whose storage key (Seq) is above after, in storage order: the pages
// retention walks.
func (s *DB) RecordsBefore(ctx context.Context, system string, before time.Time, after int64, limit int) ([]store.Stored, error) {
	f, err := s.resolve(ctx, store.Query{System: system, To: before})
	if err != nil {
		return nil, err
	}
	blocks := s.snapshot()
	nums, err := s.candidates(ctx, &f, blocks)
	if err != nil {
		return nil, err
	}
	nums = slices.DeleteFunc(nums, func(num uint32) bool { return seqOf(num, block.MaxRecords) <= after })
	var found []hit
	br := s.newBlockReader()
	defer br.close()
	var l loaded
	for _, num := range nums {
		if len(found) >= limit {
			break
		}
		if err := br.read(ctx, num, 0, &l); err != nil {
			return nil, err
		}
		for i := range l.head.N {
			if ok, err := f.match(&l, i); err != nil {
				return nil, err
			} else if ok && seqOf(num, i) > after && len(found) < limit {
				found = append(found, hit{l.head.Time(i), seqOf(num, i)})
			}
		}
	}
	return s.readHits(ctx, found, blocks)
}

// Systems lists the systems that have records.
func (s *DB) Systems() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.names[kindSystem]))
	for name := range s.names[kindSystem] {
		out = append(out, name)
	}
	return out
}

// DeleteRecords deletes records for retention. Each block holding one is
// rewritten with the record's tombstone in its place: its id, seal
// position and sealed hash, and the number of this deletion, whose reason
// and time the deletions table keeps. Verification thus still proves the
// log whole and tells this deletion from a tamper. Ledger leaves are never
// touched. Pairs of the term index keep pointing at the rewritten blocks;
// searches skip tombstones.
func (s *DB) DeleteRecords(ctx context.Context, recs []store.Stored, reason string, at time.Time) error {
	byBlock := map[uint32][]int{}
	for _, r := range recs {
		num, i := uint32(r.Seq>>16), int(r.Seq&0xffff)
		byBlock[num] = append(byBlock[num], i)
	}
	nums := slices.Sorted(maps.Keys(byBlock))
	live := map[uint32]uint16{}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO deletions (at, reason, n) VALUES (?, ?, ?)`, at.UnixNano(), reason, len(recs))
		if err != nil {
			return err
		}
		deletion, err := res.LastInsertId()
		if err != nil {
			return err
		}
		for _, num := range nums {
			var sec block.Sections
			if err := tx.QueryRowContext(ctx, `SELECT head, cols, canon FROM block_data WHERE num = ?`, num).Scan(&sec.Head, &sec.Cols, &sec.Canon); err != nil {
				return fmt.Errorf("block %d: %w", num, err)
			}
			brecs, err := block.Decode(sec)
			if err != nil {
				return fmt.Errorf("block %d: %w", num, err)
			}
			for _, i := range byBlock[num] {
				if i >= len(brecs) {
					return fmt.Errorf("block %d has no record %d", num, i)
				}
				r := &brecs[i]
				if r.Deleted {
					continue
				}
				r.Deleted, r.Hash, r.Deletion = true, record.HashOf(r.Canonical), deletion
				r.Canonical, r.Subjects = nil, nil
			}
			n := uint16(0)
			for _, r := range brecs {
				if !r.Deleted {
					n++
				}
			}
			if sec, err = block.Encode(brecs); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE block_data SET head = ?, cols = ?, canon = ? WHERE num = ?`, sec.Head, sec.Cols, sec.Canon, num); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE blocks SET live = ? WHERE num = ?`, n, num); err != nil {
				return err
			}
			live[num] = n
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Searches hold snapshots of the block list: change a copy.
	s.mu.Lock()
	defer s.mu.Unlock()
	blocks := slices.Clone(s.blocks)
	for num, n := range live {
		blocks[num-1].live = n
	}
	s.blocks = blocks
	return nil
}
