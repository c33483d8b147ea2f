package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jikimi/jikimi/casework"
	"github.com/jikimi/jikimi/store"
)

// Cases are kept whole as JSON documents (their steps inside), with the
// fields the console filters on as columns.
const caseworkSchema = `
CREATE TABLE IF NOT EXISTS cases (
	id       TEXT PRIMARY KEY,
	alert_id TEXT NOT NULL UNIQUE,
	status   TEXT NOT NULL,
	person   TEXT NOT NULL,
	reviewer TEXT NOT NULL,
	system   TEXT NOT NULL,
	rule     TEXT NOT NULL,
	alert_at INTEGER NOT NULL,
	deadline INTEGER NOT NULL, -- unix ms, 0 when none
	doc      BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_status ON cases (status, deadline);
CREATE INDEX IF NOT EXISTS cases_person ON cases (person);
CREATE INDEX IF NOT EXISTS cases_alert_at ON cases (alert_at);
CREATE TABLE IF NOT EXISTS review_reports (
	id        TEXT PRIMARY KEY,
	period    TEXT NOT NULL,
	created   INTEGER NOT NULL,
	doc       BLOB NOT NULL,
	signed_by TEXT NOT NULL DEFAULT '',
	signed_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS review_reports_period ON review_reports (period, created);
`

var _ casework.Store = (*DB)(nil)

func (s *DB) caseworkReady(ctx context.Context) error {
	return s.ensure(ctx, "casework", caseworkSchema)
}

// PutCase implements casework.Store.
func (s *DB) PutCase(ctx context.Context, c *casework.Case) error {
	if err := s.caseworkReady(ctx); err != nil {
		return err
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	var dl int64
	if !c.Deadline.IsZero() {
		dl = c.Deadline.UnixMilli()
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO cases (id, alert_id, status, person, reviewer, system, rule, alert_at, deadline, doc)
		VALUES (?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET status=excluded.status, reviewer=excluded.reviewer, deadline=excluded.deadline, doc=excluded.doc`,
		c.ID, c.AlertID, string(c.Status), c.Person, c.Reviewer, c.System, c.Rule, c.AlertAt.UnixNano(), dl, doc)
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed: cases.alert_id") {
		return casework.ErrExists
	}
	return err
}

func (s *DB) oneCase(ctx context.Context, where string, arg any) (*casework.Case, error) {
	if err := s.caseworkReady(ctx); err != nil {
		return nil, err
	}
	var doc []byte
	err := s.db.QueryRowContext(ctx, `SELECT doc FROM cases WHERE `+where, arg).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, casework.ErrNoCase
	}
	if err != nil {
		return nil, err
	}
	var c casework.Case
	return &c, json.Unmarshal(doc, &c)
}

// Case implements casework.Store.
func (s *DB) Case(ctx context.Context, id string) (*casework.Case, error) {
	return s.oneCase(ctx, "id = ?", id)
}

// CaseForAlert implements casework.Store.
func (s *DB) CaseForAlert(ctx context.Context, alertID string) (*casework.Case, error) {
	return s.oneCase(ctx, "alert_id = ?", alertID)
}

// Cases implements casework.Store.
func (s *DB) Cases(ctx context.Context, f casework.Filter) ([]*casework.Case, error) {
	if err := s.caseworkReady(ctx); err != nil {
		return nil, err
	}
	var conds []string
	var args []any
	if len(f.Status) > 0 {
		conds = append(conds, "status IN ("+placeholders(len(f.Status))+")")
		for _, st := range f.Status {
			args = append(args, string(st))
		}
	}
	if f.Person != "" {
		conds, args = append(conds, "person = ?"), append(args, f.Person)
	}
	if f.Reviewer != "" {
		conds, args = append(conds, "(reviewer = ? OR reviewer = '')"), append(args, f.Reviewer)
	}
	if f.System != "" {
		conds, args = append(conds, "system = ?"), append(args, f.System)
	}
	if f.Rule != "" {
		conds, args = append(conds, "rule = ?"), append(args, f.Rule)
	}
	if !f.Overdue.IsZero() {
		conds = append(conds, "status IN ('requested','escalated') AND deadline > 0 AND deadline < ?")
		args = append(args, f.Overdue.UnixMilli())
	}
	if !f.From.IsZero() {
		conds, args = append(conds, "alert_at >= ?"), append(args, f.From.UnixNano())
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "alert_at < ?"), append(args, f.To.UnixNano())
	}
	q := `SELECT doc FROM cases`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += " ORDER BY alert_at DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cs []*casework.Case
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		c := new(casework.Case)
		if err := json.Unmarshal(doc, c); err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

// CaseCounts returns how many cases are in each status.
func (s *DB) CaseCounts(ctx context.Context) (map[casework.Status]int, error) {
	if err := s.caseworkReady(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT status, count(*) FROM cases GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[casework.Status]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		m[casework.Status(st)] = n
	}
	return m, rows.Err()
}

// StoredReport is a review report kept as generated (its JSON document),
// so that what the privacy officer signs is fixed.
type StoredReport struct {
	ID       string
	Period   string
	Created  time.Time
	Doc      []byte
	SignedBy string
	SignedAt time.Time
}

// PutReport stores a generated report.
func (s *DB) PutReport(ctx context.Context, r StoredReport) error {
	if err := s.caseworkReady(ctx); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO review_reports (id, period, created, doc) VALUES (?,?,?,?)`,
		r.ID, r.Period, r.Created.UnixNano(), r.Doc)
	return err
}

func scanReport(sc interface{ Scan(...any) error }) (StoredReport, error) {
	var r StoredReport
	var created, signed int64
	err := sc.Scan(&r.ID, &r.Period, &created, &r.Doc, &r.SignedBy, &signed)
	r.Created = time.Unix(0, created)
	if signed != 0 {
		r.SignedAt = time.Unix(0, signed)
	}
	return r, err
}

// Report returns a stored report, or store.ErrNotFound.
func (s *DB) Report(ctx context.Context, id string) (StoredReport, error) {
	if err := s.caseworkReady(ctx); err != nil {
		return StoredReport{}, err
	}
	r, err := scanReport(s.db.QueryRowContext(ctx, `SELECT id, period, created, doc, signed_by, signed_at FROM review_reports WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, store.ErrNotFound
	}
	return r, err
}

// Reports lists stored reports, newest first, without their documents.
func (s *DB) Reports(ctx context.Context) ([]StoredReport, error) {
	if err := s.caseworkReady(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, period, created, x'', signed_by, signed_at FROM review_reports ORDER BY created DESC LIMIT 200`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredReport
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SignReport records the privacy officer's sign-off of a report; a report
// is signed once.
func (s *DB) SignReport(ctx context.Context, id, by string, at time.Time) error {
	if err := s.caseworkReady(ctx); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE review_reports SET signed_by = ?, signed_at = ? WHERE id = ? AND signed_by = ''`, by, at.UnixNano(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("report %s: not found or already signed", id)
	}
	return nil
}
