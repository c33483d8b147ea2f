package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/subject"
)

// This file holds the read methods of the web console and the review
// report. None of them reads every record: the activity counts are read
// incrementally by ingest batch (see HourlyCounts), and the report's
// per-period figures read the heads of the blocks of the period.

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
// running sums. A batch's blocks become visible together, so every batch
// up to the last one seen is complete. Only the blocks' heads are read.
func (s *DB) HourlyCounts(ctx context.Context, afterBatch int64) ([]HourCount, int64, error) {
	blocks := s.snapshot()
	if len(blocks) == 0 || blocks[len(blocks)-1].batch <= afterBatch {
		return nil, afterBatch, nil
	}
	upTo := blocks[len(blocks)-1].batch
	first := firstAfter(blocks, func(m *blockMeta) bool { return m.batch > afterBatch })
	type key struct {
		system uint32
		hour   int64
	}
	counts := map[key]int64{}
	var order []key
	nums := make([]uint32, 0, len(blocks)-first)
	for num := first + 1; num <= len(blocks); num++ {
		nums = append(nums, uint32(num))
	}
	f := filter{from: math.MinInt64, to: math.MaxInt64}
	err := s.each(ctx, &f, nums, 0, func(l *loaded, i int) error {
		k := key{l.head.System(i), l.head.Time(i) / int64(time.Hour)}
		if _, ok := counts[k]; !ok {
			order = append(order, k)
		}
		counts[k]++
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]HourCount, len(order))
	for i, k := range order {
		out[i] = HourCount{System: s.nameOf(k.system), Hour: k.hour, N: counts[k]}
	}
	return out, upTo, nil
}

// SealedSubject returns the sealed identifier of a pseudonym (for
// re-identification with subject.Keyer.Reveal), or store.ErrNotFound.
func (s *DB) SealedSubject(ctx context.Context, p subject.Pseudonym) ([]byte, error) {
	num, ok, err := s.subjectNum(ctx, p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, store.ErrNotFound
	}
	var sealed []byte
	err = s.SealedSubjects(ctx, []uint32{num}, func(_ uint32, _ subject.Pseudonym, b []byte) error {
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
// in [from, to), from the heads of the blocks whose time range meets it.
func (s *DB) PeriodActivity(ctx context.Context, from, to time.Time) ([]SystemActivity, error) {
	f, err := s.resolve(ctx, store.Query{From: from, To: to})
	if err != nil {
		return nil, err
	}
	nums, err := s.candidates(ctx, &f, s.snapshot())
	if err != nil {
		return nil, err
	}
	records := map[uint32]int64{}
	people := map[uint32]map[uint32]bool{}
	err = s.each(ctx, &f, nums, 0, func(l *loaded, i int) error {
		sys := l.head.System(i)
		records[sys]++
		if people[sys] == nil {
			people[sys] = map[uint32]bool{}
		}
		people[sys][l.head.Actor(i)] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []SystemActivity
	for sys, n := range records {
		out = append(out, SystemActivity{System: s.nameOf(sys), Records: n, People: int64(len(people[sys]))})
	}
	slices.SortFunc(out, func(a, b SystemActivity) int { return strings.Compare(a.System, b.System) })
	return out, nil
}

// PeriodExports calls fn with every export, download and print record with
// time in [from, to), oldest first.
func (s *DB) PeriodExports(ctx context.Context, from, to time.Time, fn func(*record.Record) error) error {
	var found []hit
	blocks := s.snapshot()
	for _, action := range []string{"export", "download", "print"} {
		f, err := s.resolve(ctx, store.Query{Action: action, From: from, To: to})
		if err != nil {
			return err
		}
		nums, err := s.candidates(ctx, &f, blocks)
		if err != nil {
			return err
		}
		err = s.each(ctx, &f, nums, 0, func(l *loaded, i int) error {
			found = append(found, hit{l.head.Time(i), seqOf(l.num, i)})
			return nil
		})
		if err != nil {
			return err
		}
	}
	slices.SortFunc(found, func(a, b hit) int {
		if newer(a, b) {
			return 1
		}
		return -1
	})
	recs, err := s.readHits(ctx, found, blocks)
	if err != nil {
		return err
	}
	for _, st := range recs {
		r, err := record.Parse(st.Canonical)
		if err != nil {
			return fmt.Errorf("record %s: %w", st.ID, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return nil
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
