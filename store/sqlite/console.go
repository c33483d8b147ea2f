package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/subject"
)

// This file holds the read methods of the web console and the review
// report. None of them scans every record: the activity counts are read
// incrementally by ingest batch (see HourlyCounts) and the report's
// per-period figures are key ranges of the time-ordered table.

// AlertFilter selects alerts for the console. Zero fields do not filter.
type AlertFilter struct {
	Rule, System, Actor, Severity string
	From, To                      time.Time // alert time range
	Waiting                       bool      // only alerts without a case
	Limit, Offset                 int
}

// AlertPage returns one page of matching alerts, newest first, and how
// many match in all.
func (s *DB) AlertPage(ctx context.Context, f AlertFilter) ([]alert.Alert, int, error) {
	if err := s.caseworkReady(ctx); err != nil {
		return nil, 0, err
	}
	var conds []string
	var args []any
	add := func(c string, v any) { conds, args = append(conds, c), append(args, v) }
	if f.Rule != "" {
		add("rule = ?", f.Rule)
	}
	if f.System != "" {
		add("system = ?", f.System)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.Severity != "" {
		add("severity = ?", f.Severity)
	}
	if !f.From.IsZero() {
		add("time >= ?", f.From.UnixNano())
	}
	if !f.To.IsZero() {
		add("time < ?", f.To.UnixNano())
	}
	if f.Waiting {
		conds = append(conds, "id NOT IN (SELECT alert_id FROM cases)")
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM alerts`+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, `SELECT doc FROM alerts`+where+` ORDER BY time DESC, id LIMIT ? OFFSET ?`, append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []alert.Alert
	for rows.Next() {
		var doc []byte
		var a alert.Alert
		if err := rows.Scan(&doc); err != nil {
			return nil, 0, err
		}
		if err := json.Unmarshal(doc, &a); err != nil {
			return nil, 0, fmt.Errorf("stored alert: %w", err)
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// Alert returns the alert with id, or store.ErrNotFound.
func (s *DB) Alert(ctx context.Context, id string) (alert.Alert, error) {
	var a alert.Alert
	var doc []byte
	err := s.db.QueryRowContext(ctx, `SELECT doc FROM alerts WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return a, store.ErrNotFound
	}
	if err != nil {
		return a, err
	}
	return a, json.Unmarshal(doc, &a)
}

// AlertFacets returns the distinct rules and systems that have alerts,
// for the console's filter lists.
func (s *DB) AlertFacets(ctx context.Context) (rules, systems []string, err error) {
	for _, col := range []string{"rule", "system"} {
		rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT `+col+` FROM alerts ORDER BY 1`)
		if err != nil {
			return nil, nil, err
		}
		var vs []string
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return nil, nil, err
			}
			vs = append(vs, v)
		}
		rows.Close()
		if col == "rule" {
			rules = vs
		} else {
			systems = vs
		}
	}
	return rules, systems, nil
}

// HourCount is how many records of a system fall in one hour.
type HourCount struct {
	System string
	Hour   int64 // unix time / 3600
	N      int64
}

// HourlyCounts returns the records per system and hour of the ingest
// batches after afterBatch, and the last batch counted. Calling it again
// with that batch returns only what arrived since: the caller keeps the
// running sums. Batches commit one at a time in number order, so every
// batch up to the last one seen is complete. The first call (afterBatch
// 0) reads the whole table once; later calls use the seal index.
func (s *DB) HourlyCounts(ctx context.Context, afterBatch int64) ([]HourCount, int64, error) {
	var upTo int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(seal_batch),0) FROM records`).Scan(&upTo); err != nil {
		return nil, 0, err
	}
	if upTo <= afterBatch {
		return nil, afterBatch, nil
	}
	q := `SELECT system, time / 3600000000000, count(*) FROM records WHERE seal_batch > ? AND seal_batch <= ? GROUP BY 1, 2`
	if afterBatch == 0 {
		// The unary + keeps the planner off the seal index: a full scan in
		// table order is cheaper than an index walk over every row.
		q = `SELECT system, time / 3600000000000, count(*) FROM records WHERE +seal_batch > ? AND +seal_batch <= ? GROUP BY 1, 2`
	}
	rows, err := s.db.QueryContext(ctx, q, afterBatch, upTo)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []HourCount
	for rows.Next() {
		var sys, h, n int64
		if err := rows.Scan(&sys, &h, &n); err != nil {
			return nil, 0, err
		}
		out = append(out, HourCount{System: s.nameOf(sys), Hour: h, N: n})
	}
	return out, upTo, rows.Err()
}

// SealedSubject returns the sealed identifier of a pseudonym (for
// re-identification with subject.Keyer.Reveal), or store.ErrNotFound.
func (s *DB) SealedSubject(ctx context.Context, p subject.Pseudonym) ([]byte, error) {
	num, ok := s.subjectNum(p)
	if !ok {
		return nil, store.ErrNotFound
	}
	var sealed []byte
	err := s.SealedSubjects(ctx, []uint32{num}, func(_ uint32, _ subject.Pseudonym, b []byte) error {
		sealed = append([]byte(nil), b...)
		return nil
	})
	if err == nil && sealed == nil {
		err = store.ErrNotFound
	}
	return sealed, err
}

// SystemActivity is what one system saw in a period.
type SystemActivity struct {
	System  string
	Records int64
	People  int64 // distinct actors
}

// PeriodActivity returns records and distinct actors per system with time
// in [from, to): one range scan of the time-ordered key.
func (s *DB) PeriodActivity(ctx context.Context, from, to time.Time) ([]SystemActivity, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT system, count(*), count(DISTINCT actor) FROM records
		WHERE seq >= ? AND seq < ? AND time >= ? AND time < ? GROUP BY system`,
		seqBound(from), seqBound(to.Add(time.Millisecond-1)), from.UnixNano(), to.UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SystemActivity
	for rows.Next() {
		var sys int64
		var a SystemActivity
		if err := rows.Scan(&sys, &a.Records, &a.People); err != nil {
			return nil, err
		}
		a.System = s.nameOf(sys)
		out = append(out, a)
	}
	return out, rows.Err()
}

// PeriodExports calls fn with every export, download and print record with
// time in [from, to), oldest first.
func (s *DB) PeriodExports(ctx context.Context, from, to time.Time, fn func(*record.Record) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT canon FROM records
		WHERE seq >= ? AND seq < ? AND time >= ? AND time < ? AND action IN ('export','download','print') ORDER BY seq`,
		seqBound(from), seqBound(to.Add(time.Millisecond-1)), from.UnixNano(), to.UnixNano())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var canon []byte
		if err := rows.Scan(&canon); err != nil {
			return err
		}
		r, err := record.Parse(canon)
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// RuleCount is how many alerts a rule raised on a system.
type RuleCount struct {
	System, Rule, Severity string
	N                      int
}

// PeriodAlerts counts alerts with time in [from, to) by system and rule.
func (s *DB) PeriodAlerts(ctx context.Context, from, to time.Time) ([]RuleCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT system, rule, max(severity), count(*) FROM alerts WHERE time >= ? AND time < ? GROUP BY 1, 2 ORDER BY 1, 4 DESC`,
		from.UnixNano(), to.UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RuleCount
	for rows.Next() {
		var c RuleCount
		if err := rows.Scan(&c.System, &c.Rule, &c.Severity, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
