package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/subject"
)

var _ store.Store = (*DB)(nil)

// rowsPerInsert is how many rows one INSERT statement carries: fewer
// statements is most of what makes bulk ingest fast on SQLite.
const rowsPerInsert = 200

type tx struct {
	s     *DB
	tx    *sql.Tx
	ctx   context.Context
	batch int64
	done  bool

	// Additions made by this transaction, merged into s only on commit so a
	// rollback leaves the in-memory dictionaries as the database has them.
	newNames    map[[2]any]int64
	newNameNums map[int64]string
	newSubjects map[subject.Pseudonym]uint32
	nextName    int64
	nextSubject uint32
	ords        map[string]int
	bm          *roaring.Bitmap
	bmBuf       []byte
	postArgs    []any
	stmts       map[string]*sql.Stmt
}

// Begin starts the write transaction of one ingest batch. It holds the
// store's write lock until Commit or Rollback.
func (s *DB) Begin(ctx context.Context) (store.Tx, error) {
	s.writeMu.Lock()
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		s.writeMu.Unlock()
		return nil, err
	}
	t := &tx{
		s: s, tx: sqlTx, ctx: ctx, batch: s.nextBatch + 1,
		newNames: map[[2]any]int64{}, newNameNums: map[int64]string{},
		newSubjects: map[subject.Pseudonym]uint32{},
		nextName:    s.nextName, nextSubject: uint32(len(s.subjects)),
		ords: map[string]int{}, bm: roaring.New(),
	}
	return t, nil
}

func (t *tx) Batch() int64 { return t.batch }

// name returns the dictionary number of a name, adding it when new. It runs
// with s.writeMu held (by Begin).
func (t *tx) name(kind int, name string) (int64, error) {
	if n, ok := t.s.names[kind][name]; ok {
		return n, nil
	}
	k := [2]any{kind, name}
	if n, ok := t.newNames[k]; ok {
		return n, nil
	}
	t.nextName++
	n := t.nextName
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO names (num, kind, name) VALUES (?, ?, ?)`, n, kind, name); err != nil {
		return 0, fmt.Errorf("store name: %w", err)
	}
	t.newNames[k] = n
	t.newNameNums[n] = name
	return n, nil
}

func (t *tx) subjectNum(ref store.SubjectRef) (uint32, bool) {
	if n, ok := t.s.subjects[ref.Pseudonym]; ok {
		return n, false
	}
	if n, ok := t.newSubjects[ref.Pseudonym]; ok {
		return n, false
	}
	t.nextSubject++
	t.newSubjects[ref.Pseudonym] = t.nextSubject
	return t.nextSubject, true
}

func (t *tx) Insert(entries []store.Entry) ([]bool, error) {
	if t.done {
		return nil, errClosedTx
	}
	seen := make(map[string]bool, len(entries))
	inserted := make([]bool, len(entries))
	var newSubjects []any
	for i := range entries {
		e := &entries[i]
		if seen[e.ID] {
			continue
		}
		seen[e.ID] = true
		sys, err := t.name(kindSystem, e.System)
		if err != nil {
			return nil, err
		}
		act, err := t.name(kindActor, e.Actor)
		if err != nil {
			return nil, err
		}
		var subjects []byte
		if len(e.Subjects) > 0 {
			t.bm.Clear()
			for _, ref := range e.Subjects {
				num, isNew := t.subjectNum(ref)
				if isNew {
					newSubjects = append(newSubjects, int64(num), ref.Pseudonym[:], ref.Sealed)
				}
				t.bm.Add(num)
			}
			t.bm.RunOptimize()
			if subjects, err = t.bm.ToBytes(); err != nil {
				return nil, err
			}
		}
		ord := t.ords[e.Period]
		var ip any
		if e.IP != "" {
			ip = e.IP
		}
		seq, err := t.insertRecord(seqOf(e.Time, e.ID), e.ID, e.Time.UnixNano(), sys, act, e.Action, ip,
			nullable(e.Rows), nullable(e.Bytes), e.SubjectCount, subjects, e.Canonical,
			t.batch, e.Period, ord)
		if err != nil {
			return nil, fmt.Errorf("store record %s: %w", e.ID, err)
		}
		if seq == 0 {
			continue // stored before
		}
		inserted[i] = true
		t.ords[e.Period] = ord + 1
		if len(e.Subjects) > 0 {
			for it := t.bm.Iterator(); it.HasNext(); {
				t.postArgs = append(t.postArgs, int64(it.Next()), seq)
			}
		}
	}
	if err := t.insertRows(`postings (subject, seq)`, 2, t.postArgs); err != nil {
		return nil, fmt.Errorf("store postings: %w", err)
	}
	t.postArgs = t.postArgs[:0]
	if err := t.insertRows(`subjects (num, pseudo, sealed)`, 3, newSubjects); err != nil {
		return nil, fmt.Errorf("store subjects: %w", err)
	}
	return inserted, nil
}

// insertRecord inserts one record row under key seq, or the next free key
// when another record already has it, and returns the key used; 0 when a
// record with the same id is already stored. Letting the id's unique index
// find duplicates costs nothing extra: the insert probes it anyway.
func (t *tx) insertRecord(seq int64, args ...any) (int64, error) {
	stmt, err := t.stmt(`INSERT INTO records (seq, id, time, system, actor, action, ip, rows, bytes, subject_count, subjects, canon, seal_batch, seal_period, seal_ord) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return 0, err
	}
	all := append([]any{seq}, args...)
	for range 64 {
		res, err := stmt.ExecContext(t.ctx, all...)
		if err == nil {
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return 0, err
			}
			return seq, nil
		}
		if !strings.Contains(err.Error(), "records.seq") {
			return 0, err
		}
		seq++
		all[0] = seq
	}
	return 0, errors.New("no free storage key near the record's time")
}

// insertRows inserts len(args)/cols rows into table, one prepared
// single-row statement per row. Single-row statements let SQLite skip the
// statement journal that a multi-row INSERT must keep (measured: it cost
// more than the per-statement overhead it saves).
func (t *tx) insertRows(table string, cols int, args []any) error {
	if len(args) == 0 {
		return nil
	}
	stmt, err := t.stmt(`INSERT INTO ` + table + ` VALUES (` + placeholders(cols) + `)`)
	if err != nil {
		return err
	}
	for ; len(args) > 0; args = args[cols:] {
		if _, err := stmt.ExecContext(t.ctx, args[:cols]...); err != nil {
			return err
		}
	}
	return nil
}

// stmt returns a statement prepared once per transaction.
func (t *tx) stmt(query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(t.ctx, query)
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[query] = st
	return st, nil
}

func nullable(v int64) any {
	if v < 0 {
		return nil
	}
	return v
}

func (t *tx) PutAlerts(alerts []*alert.Alert) error {
	if t.done {
		return errClosedTx
	}
	for _, a := range alerts {
		doc, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if _, err := t.tx.ExecContext(t.ctx, `INSERT OR REPLACE INTO alerts (id, rule, severity, time, last_time, system, actor, doc) VALUES (?,?,?,?,?,?,?,?)`,
			a.ID, a.Rule, string(a.Severity), a.Time.UnixNano(), a.LastTime.UnixNano(), a.System, a.Actor, doc); err != nil {
			return fmt.Errorf("store alert %s: %w", a.ID, err)
		}
	}
	return nil
}

func (t *tx) Commit() error {
	if t.done {
		return errClosedTx
	}
	t.done = true
	defer t.s.writeMu.Unlock()
	if err := t.tx.Commit(); err != nil {
		return err
	}
	s := t.s
	for k, n := range t.newNames {
		s.names[k[0].(int)][k[1].(string)] = n
	}
	for n, name := range t.newNameNums {
		s.nameByNum[n] = name
	}
	for p, n := range t.newSubjects {
		s.subjects[p] = n
	}
	s.nextName = t.nextName
	if len(t.ords) > 0 {
		s.nextBatch = t.batch
	}
	return nil
}

func (t *tx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	defer t.s.writeMu.Unlock()
	return t.tx.Rollback()
}
