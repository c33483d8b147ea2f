package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/store"
)

// where builds the WHERE clause of q. ok is false when q names an actor,
// system or subject that was never stored, so nothing can match.
func (s *DB) where(q store.Query) (clause string, args []any, ok bool) {
	var conds []string
	if q.Actor != "" {
		n, found := s.nameNum(kindActor, q.Actor)
		if !found {
			return "", nil, false
		}
		conds, args = append(conds, "actor = ?"), append(args, n)
	}
	if q.System != "" {
		n, found := s.nameNum(kindSystem, q.System)
		if !found {
			return "", nil, false
		}
		conds, args = append(conds, "system = ?"), append(args, n)
	}
	if q.Action != "" {
		conds, args = append(conds, "action = ?"), append(args, q.Action)
	}
	if q.IP != "" {
		conds, args = append(conds, "ip = ?"), append(args, q.IP)
	}
	if q.Subject != nil {
		n, found := s.subjectNum(*q.Subject)
		if !found {
			return "", nil, false
		}
		conds, args = append(conds, "seq IN (SELECT seq FROM postings WHERE subject = ?)"), append(args, int64(n))
	}
	// The key range narrows the scan; the time condition makes it exact.
	if !q.From.IsZero() {
		conds, args = append(conds, "seq >= ? AND time >= ?"), append(args, seqBound(q.From), q.From.UnixNano())
	}
	if !q.To.IsZero() {
		conds, args = append(conds, "seq < ? AND time < ?"), append(args, seqBound(q.To.Add(time.Millisecond-1)), q.To.UnixNano())
	}
	if len(conds) == 0 {
		return "", nil, true
	}
	return " WHERE " + strings.Join(conds, " AND "), args, true
}

const storedCols = `seq, id, time, system, actor, action, canon, seal_batch, seal_period, seal_ord`

func (s *DB) scanStored(rows *sql.Rows) (store.Stored, error) {
	var r store.Stored
	var t, sys, act int64
	err := rows.Scan(&r.Seq, &r.ID, &t, &sys, &act, &r.Action, &r.Canonical, &r.Seal.Batch, &r.Seal.Period, &r.Seal.Ord)
	r.Time = time.Unix(0, t)
	r.System, r.Actor = s.nameOf(sys), s.nameOf(act)
	return r, err
}

// Records returns the records that match q, newest first.
func (s *DB) Records(ctx context.Context, q store.Query) ([]store.Stored, error) {
	where, args, ok := s.where(q)
	if !ok {
		return nil, nil
	}
	query := `SELECT ` + storedCols + ` FROM records` + where + ` ORDER BY seq DESC`
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search records: %w", err)
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

// Count returns how many records match q.
func (s *DB) Count(ctx context.Context, q store.Query) (int64, error) {
	where, args, ok := s.where(q)
	if !ok {
		return 0, nil
	}
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM records`+where, args...).Scan(&n)
	return n, err
}

// Record returns the record with id.
func (s *DB) Record(ctx context.Context, id string) (store.Stored, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+storedCols+` FROM records WHERE id = ?`, id)
	if err != nil {
		return store.Stored{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.Stored{}, err
		}
		return store.Stored{}, fmt.Errorf("record %q: %w", id, store.ErrNotFound)
	}
	return s.scanStored(rows)
}

// SubjectSet returns the union of the subject sets of the records matching q.
func (s *DB) SubjectSet(ctx context.Context, q store.Query) (*roaring.Bitmap, error) {
	where, args, ok := s.where(q)
	if !ok {
		return roaring.New(), nil
	}
	if where == "" {
		where = " WHERE subjects IS NOT NULL"
	} else {
		where += " AND subjects IS NOT NULL"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT subjects FROM records`+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var sets []*roaring.Bitmap
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		bm, err := decodeBitmap(b)
		if err != nil {
			return nil, fmt.Errorf("subject set: %w", err)
		}
		sets = append(sets, bm)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return roaring.FastOr(sets...), nil
}

// Alerts returns alerts matching q, newest first.
func (s *DB) Alerts(ctx context.Context, q store.AlertQuery) ([]alert.Alert, error) {
	query := `SELECT doc FROM alerts WHERE time >= ?`
	args := []any{q.Since.UnixNano()}
	if q.Since.IsZero() {
		args[0] = int64(-1 << 63)
	}
	if q.Rule != "" {
		query += ` AND rule = ?`
		args = append(args, q.Rule)
	}
	query += ` ORDER BY time DESC, id`
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []alert.Alert
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		var a alert.Alert
		if err := json.Unmarshal(doc, &a); err != nil {
			return nil, fmt.Errorf("stored alert: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Unsealed returns the records of batches after the last recorded seal.
func (s *DB) Unsealed(ctx context.Context) ([]store.UnsealedBatch, error) {
	s.writeMu.Lock()
	from := s.sealedBatch
	s.writeMu.Unlock()
	var out []store.UnsealedBatch
	for r, err := range s.scan(ctx, `WHERE seal_batch > ?`, from) {
		if err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].Batch != r.Seal.Batch || out[n-1].Period != r.Seal.Period {
			out = append(out, store.UnsealedBatch{Batch: r.Seal.Batch, Period: r.Seal.Period})
		}
		out[len(out)-1].Records = append(out[len(out)-1].Records, r)
	}
	return out, nil
}

// SetSeals records a batch's seal positions and that every batch up to it
// is sealed (the pipeline seals batches in order).
func (s *DB) SetSeals(ctx context.Context, batch int64, positions map[string][]byte) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer sqlTx.Rollback()
	for period, pos := range positions {
		if _, err := sqlTx.ExecContext(ctx, `INSERT OR REPLACE INTO seals (batch, period, positions) VALUES (?, ?, ?)`, batch, period, pos); err != nil {
			return fmt.Errorf("record seal: %w", err)
		}
	}
	if _, err := sqlTx.ExecContext(ctx, `INSERT OR REPLACE INTO meta (key, value) VALUES ('sealed_batch', ?)`, batch); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return err
	}
	s.sealedBatch = max(s.sealedBatch, batch)
	return nil
}

// SealPositions returns the positions recorded for a batch and period.
func (s *DB) SealPositions(ctx context.Context, batch int64, period string) ([]byte, error) {
	var pos []byte
	err := s.db.QueryRowContext(ctx, `SELECT positions FROM seals WHERE batch = ? AND period = ?`, batch, period).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("seal of batch %d period %s: %w", batch, period, store.ErrNotFound)
	}
	return pos, err
}

// Scan yields every stored record in seal order.
func (s *DB) Scan(ctx context.Context) iter.Seq2[store.Stored, error] {
	return s.scan(ctx, "")
}

// scan yields records and tombstones in seal order with only what sealing
// and verification need (id, canonical bytes, seal, tombstone hash): every
// column read costs, and verification reads every record.
func (s *DB) scan(ctx context.Context, where string, args ...any) iter.Seq2[store.Stored, error] {
	return func(yield func(store.Stored, error) bool) {
		q := `SELECT seq, id, canon, seal_batch, seal_period, seal_ord, 0, NULL FROM records ` + where +
			` UNION ALL SELECT seq, id, NULL, seal_batch, seal_period, seal_ord, 1, hash FROM tombstones ` + where +
			` ORDER BY 4, 5, 6`
		rows, err := s.db.QueryContext(ctx, q, append(args, args...)...)
		if err != nil {
			yield(store.Stored{}, err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var r store.Stored
			var hash []byte
			err := rows.Scan(&r.Seq, &r.ID, &r.Canonical, &r.Seal.Batch, &r.Seal.Period, &r.Seal.Ord, &r.Deleted, &hash)
			copy(r.Hash[:], hash)
			if !yield(r, err) || err != nil {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(store.Stored{}, err)
		}
	}
}
