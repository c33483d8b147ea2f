package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jikimi/jikimi/breach"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
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
// whose storage key is above after, oldest first: the pages retention
// walks.
func (s *DB) RecordsBefore(ctx context.Context, system string, before time.Time, after int64, limit int) ([]store.Stored, error) {
	n, ok := s.nameNum(kindSystem, system)
	if !ok {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+storedCols+` FROM records INDEXED BY records_system
		WHERE system = ? AND seq > ? AND seq < ? AND time < ? ORDER BY seq LIMIT ?`,
		n, after, seqBound(before.Add(time.Millisecond)), before.UnixNano(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Stored
	for rows.Next() {
		r, err := s.scanStored(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Systems lists the systems that have records.
func (s *DB) Systems() []string {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	out := make([]string, 0, len(s.names[kindSystem]))
	for name := range s.names[kindSystem] {
		out = append(out, name)
	}
	return out
}

// DeleteRecords deletes records for retention, leaving a tombstone for each
// (its seal position and hash) so that verification still proves the log
// whole and tells this deletion from a tamper. Ledger leaves are never
// touched.
func (s *DB) DeleteRecords(ctx context.Context, recs []store.Stored, reason string, at time.Time) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, r := range recs {
		h := record.HashOf(r.Canonical)
		if _, err := tx.ExecContext(ctx, `INSERT INTO tombstones (seq, id, time, system, actor, action, hash, seal_batch, seal_period, seal_ord, deleted_at, reason)
			SELECT seq, id, time, system, actor, action, ?, seal_batch, seal_period, seal_ord, ?, ? FROM records WHERE seq = ?`,
			h[:], at.UnixNano(), reason, r.Seq); err != nil {
			return fmt.Errorf("tombstone %s: %w", r.ID, err)
		}
		if err := deletePostings(ctx, tx, r.Seq); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM records WHERE seq = ?`, r.Seq); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// deletePostings removes the (subject, record) postings of record seq; the
// postings are keyed by subject first, so the record's own subject set says
// which to remove.
func deletePostings(ctx context.Context, tx *sql.Tx, seq int64) error {
	var b []byte
	if err := tx.QueryRowContext(ctx, `SELECT subjects FROM records WHERE seq = ?`, seq).Scan(&b); err != nil {
		return err
	}
	bm, err := decodeBitmap(b)
	if err != nil {
		return err
	}
	for it := bm.Iterator(); it.HasNext(); {
		if _, err := tx.ExecContext(ctx, `DELETE FROM postings WHERE subject = ? AND seq = ?`, int64(it.Next()), seq); err != nil {
			return err
		}
	}
	return nil
}
