package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jikimi/jikimi/breach"
	"github.com/jikimi/jikimi/store"
)

// Breach incidents and their legal holds (issue 7) live in tables of their
// own, created on first use so that the records schema stays untouched.
// An incident is kept whole as JSON: it is small, read whole and changed
// rarely (a duty done), always in a transaction.
const incidentSchema = `
CREATE TABLE IF NOT EXISTS breach_incidents (
	id  INTEGER PRIMARY KEY AUTOINCREMENT,
	doc BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS breach_holds (
	incident  INTEGER PRIMARY KEY REFERENCES breach_incidents (id),
	scope     BLOB NOT NULL,
	from_time INTEGER, -- unix nanoseconds; NULL: unbounded
	to_time   INTEGER,
	placed_at INTEGER NOT NULL
);
`

var (
	_ breach.Store         = (*DB)(nil)
	_ breach.SealedSource  = (*DB)(nil)
	_ breach.IncidentStore = (*DB)(nil)
)

// ensureIncidents creates the incident tables once per open store.
func (s *DB) ensureIncidents(ctx context.Context) error {
	if _, ok := incidentsReady.Load(s); ok {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, incidentSchema); err != nil {
		return fmt.Errorf("create incident tables: %w", err)
	}
	incidentsReady.Store(s, true)
	return nil
}

// incidentsReady holds the stores whose incident tables exist (*DB → true):
// a set beside DB rather than a field in it, to keep the incident tables'
// code in this file. Creating twice is harmless (IF NOT EXISTS).
var incidentsReady sync.Map

// ImpactRows calls fn for each record matching q and f, in storage order.
// Key id, device, session and record ids are terms of the index like
// actor and address, so every scope reads only the blocks that hold it.
// Listed subjects, PII counts and result status are read from the
// canonical bytes (canonExtras), parsing only the small parts present.
func (s *DB) ImpactRows(ctx context.Context, q store.Query, bf breach.Filter, fn func(*breach.Row) error) error {
	f, err := s.resolve(ctx, q)
	if err != nil {
		return err
	}
	f.hashed(termKeyID, bf.KeyID, &f.keyID)
	f.hashed(termDevice, bf.Device, &f.device)
	f.hashed(termSession, bf.Session, &f.session)
	blocks := s.snapshot()
	var nums []uint32
	if bf.IDs != nil {
		f.ids = map[string]bool{}
		keys := make([]uint64, len(bf.IDs))
		for i, id := range bf.IDs {
			f.ids[id] = true
			keys[i] = hashTermString(termID, id)
		}
		cand, err := s.idBlocks(ctx, keys)
		if err != nil {
			return err
		}
		for _, bs := range cand {
			nums = append(nums, bs...)
		}
		slices.Sort(nums)
		nums = slices.Compact(nums)
	}
	cands, err := s.candidates(ctx, &f, blocks)
	if err != nil {
		return fmt.Errorf("impact: %w", err)
	}
	if bf.IDs != nil {
		cands = intersect(nums, cands)
	}
	return s.each(ctx, &f, cands, partCols|partCanon, func(l *loaded, i int) error {
		r := breach.Row{ID: string(l.cols.ID(i)), Time: time.Unix(0, l.head.Time(i)), SubjectCount: l.cols.SubjectCount[i]}
		r.System, r.Actor = s.nameOf(l.head.System(i)), s.nameOf(l.head.Actor(i))
		bm := l.cols.Subjects(i)
		if bm != nil {
			var err error
			if r.Subjects, err = subjectBitmap(bm); err != nil {
				return fmt.Errorf("record %s: subject set: %w", r.ID, err)
			}
		}
		canon, err := l.canon.Get(i)
		if err != nil {
			return fmt.Errorf("record %s: %w", r.ID, err)
		}
		if err := canonExtras(canon, &r, bm != nil); err != nil {
			return fmt.Errorf("record %s: %w", r.ID, err)
		}
		return fn(&r)
	})
}

// CreateIncident stores a new incident and its legal hold in one
// transaction, and sets inc.ID.
func (s *DB) CreateIncident(ctx context.Context, inc *breach.Incident) error {
	if err := s.ensureIncidents(ctx); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO breach_incidents (doc) VALUES ('{}')`)
	if err != nil {
		return fmt.Errorf("store incident: %w", err)
	}
	if inc.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	doc, err := json.Marshal(inc)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE breach_incidents SET doc = ? WHERE id = ?`, doc, inc.ID); err != nil {
		return fmt.Errorf("store incident: %w", err)
	}
	h := breach.HoldFor(inc)
	scope, err := json.Marshal(h.Scope)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO breach_holds (incident, scope, from_time, to_time, placed_at) VALUES (?, ?, ?, ?, ?)`,
		h.Incident, scope, nanosOrNull(h.From), nanosOrNull(h.To), h.PlacedAt.UnixNano()); err != nil {
		return fmt.Errorf("place legal hold: %w", err)
	}
	if err := tx.Commit(); err != nil {
		inc.ID = 0
		return err
	}
	return nil
}

func nanosOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// Incident returns the incident with id.
func (s *DB) Incident(ctx context.Context, id int64) (*breach.Incident, error) {
	if err := s.ensureIncidents(ctx); err != nil {
		return nil, err
	}
	return getIncident(ctx, s.db, id)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getIncident(ctx context.Context, db queryRower, id int64) (*breach.Incident, error) {
	var doc []byte
	err := db.QueryRowContext(ctx, `SELECT doc FROM breach_incidents WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("incident %d: %w", id, store.ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	var inc breach.Incident
	if err := json.Unmarshal(doc, &inc); err != nil {
		return nil, fmt.Errorf("stored incident %d: %w", id, err)
	}
	return &inc, nil
}

// Incidents returns every incident, newest first.
func (s *DB) Incidents(ctx context.Context) ([]breach.Incident, error) {
	if err := s.ensureIncidents(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, doc FROM breach_incidents ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []breach.Incident
	for rows.Next() {
		var id int64
		var doc []byte
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, err
		}
		var inc breach.Incident
		if err := json.Unmarshal(doc, &inc); err != nil {
			return nil, fmt.Errorf("stored incident %d: %w", id, err)
		}
		out = append(out, inc)
	}
	return out, rows.Err()
}

// UpdateIncident changes a stored incident in one transaction.
func (s *DB) UpdateIncident(ctx context.Context, id int64, fn func(*breach.Incident) error) error {
	if err := s.ensureIncidents(ctx); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	inc, err := getIncident(ctx, tx, id)
	if err != nil {
		return err
	}
	if err := fn(inc); err != nil {
		return err
	}
	inc.ID = id
	doc, err := json.Marshal(inc)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE breach_incidents SET doc = ? WHERE id = ?`, doc, id); err != nil {
		return err
	}
	return tx.Commit()
}

// Holds returns every legal hold, oldest first.
func (s *DB) Holds(ctx context.Context) ([]breach.Hold, error) {
	if err := s.ensureIncidents(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT incident, scope, from_time, to_time, placed_at FROM breach_holds ORDER BY incident`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []breach.Hold
	for rows.Next() {
		var h breach.Hold
		var scope []byte
		var from, to sql.NullInt64
		var placed int64
		if err := rows.Scan(&h.Incident, &scope, &from, &to, &placed); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(scope, &h.Scope); err != nil {
			return nil, fmt.Errorf("legal hold of incident %d: %w", h.Incident, err)
		}
		if from.Valid {
			h.From = time.Unix(0, from.Int64)
		}
		if to.Valid {
			h.To = time.Unix(0, to.Int64)
		}
		h.PlacedAt = time.Unix(0, placed)
		out = append(out, h)
	}
	return out, rows.Err()
}

// Markers in canonical bytes (record.AppendCanonical). Each can only occur
// where it is looked for: quotes inside JSON strings are escaped, attrs
// values are strings, and no other object has these keys.
var (
	markSubjects = []byte(`"subjects":[`)
	markPII      = []byte(`"pii":{`)
	markStatus   = []byte(`"result":{"status":"`)
)

// canonExtras fills r.Listed, r.PII and r.Status from canonical bytes. Most
// records have none of the markers and cost three byte searches.
func canonExtras(canon []byte, r *breach.Row, hasBitmap bool) error {
	switch {
	case !hasBitmap:
		r.Listed = 0
	case r.SubjectCount <= 1:
		r.Listed = 1 // ingest keeps subject_count >= the list's length
	default:
		i := bytes.Index(canon, markSubjects)
		if i < 0 {
			return errors.New("subject set stored but no subjects in the record")
		}
		var list []json.RawMessage
		if err := json.NewDecoder(bytes.NewReader(canon[i+len(markSubjects)-1:])).Decode(&list); err != nil {
			return fmt.Errorf("subjects: %w", err)
		}
		r.Listed = int64(len(list))
	}
	if i := bytes.Index(canon, markPII); i >= 0 {
		if err := json.NewDecoder(bytes.NewReader(canon[i+len(markPII)-1:])).Decode(&r.PII); err != nil {
			return fmt.Errorf("pii: %w", err)
		}
	}
	if i := bytes.Index(canon, markStatus); i >= 0 {
		rest := canon[i+len(markStatus):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			r.Status = string(rest[:j])
		}
	}
	return nil
}
