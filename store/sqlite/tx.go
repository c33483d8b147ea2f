package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/store/block"
	"github.com/jikimi/jikimi/subject"
)

var _ store.Store = (*DB)(nil)

type tx struct {
	s     *DB
	tx    *sql.Tx
	ctx   context.Context
	batch int64
	done  bool

	// What this transaction adds, merged into s only on commit so that a
	// rollback leaves memory as the database has it.
	newNames    map[nameKey]uint32
	nameList    []nameKey // by number from firstName on
	firstName   uint32
	newSubjects map[subject.Pseudonym]uint32
	subjectRefs []store.SubjectRef  // by number from firstSubject on
	firstNew    uint32              // number of the first new subject
	seen        map[string]struct{} // ids this transaction was given
	ords        map[string]int      // next seal ordinal by period
	blocks      []newBlock
	stmts       map[string]*sql.Stmt
	sealed      int64 // highest batch whose seals this transaction records
}

// newBlock is a block this transaction wrote, kept to update memory and
// the term index on commit.
type newBlock struct {
	meta   blockMeta // period set on commit
	period string
	terms  blockPairs
}

// Begin starts the write transaction of one ingest batch. It holds the
// store's write lock until Commit or Rollback.
func (s *DB) Begin(ctx context.Context) (store.Tx, error) {
	// Duplicates are found through the term index, which must be whole,
	// and new subjects numbered after those stored.
	if err := errors.Join(s.ensureTail(ctx), s.ensureSubjects(ctx)); err != nil {
		return nil, err
	}
	s.writeMu.Lock()
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		s.writeMu.Unlock()
		return nil, err
	}
	s.mu.RLock()
	t := &tx{
		s: s, tx: sqlTx, ctx: ctx, batch: s.nextBatch + 1,
		newNames: map[nameKey]uint32{}, firstName: uint32(len(s.nameByNum)) + 1,
		newSubjects: map[subject.Pseudonym]uint32{}, firstNew: uint32(len(s.subjects)) + 1,
		ords: map[string]int{},
	}
	s.mu.RUnlock()
	return t, nil
}

func (t *tx) Batch() int64 { return t.batch }

// subjectSet returns the stored form of refs' subject set, numbering
// subjects seen for the first time. mu is held for reading.
func (t *tx) subjectSet(refs []store.SubjectRef, nums []uint32, bm *roaring.Bitmap) ([]byte, []uint32, error) {
	nums = nums[:0]
	for _, ref := range refs {
		n, ok := t.s.subjects[ref.Pseudonym]
		if !ok {
			if n, ok = t.newSubjects[ref.Pseudonym]; !ok {
				n = t.firstNew + uint32(len(t.subjectRefs))
				t.newSubjects[ref.Pseudonym] = n
				t.subjectRefs = append(t.subjectRefs, ref)
			}
		}
		nums = append(nums, n)
	}
	b, err := appendSubjects(nil, nums, bm)
	return b, nums, err
}

func (t *tx) Insert(entries []*store.Entry) ([]bool, error) {
	if t.done {
		return nil, errClosedTx
	}
	if t.seen == nil {
		t.seen = make(map[string]struct{}, len(entries))
	}
	fresh, err := t.s.fresh(t.ctx, entries, t.seen)
	if err != nil {
		return nil, err
	}
	runs, err := t.toBlockRecords(entries, fresh)
	if err != nil {
		return nil, err
	}
	var todo []pendingBlock
	for _, run := range runs {
		p, recs := run.period, run.records
		for len(recs) > 0 {
			n := min(len(recs), block.MaxRecords)
			todo = append(todo, pendingBlock{period: p, firstOrd: t.ords[p], recs: recs[:n]})
			t.ords[p] += n
			recs = recs[n:]
		}
	}
	if err := encodeBlocks(todo); err != nil {
		return nil, err
	}
	for i := range todo {
		if err := t.writeBlock(&todo[i]); err != nil {
			return nil, err
		}
	}
	return fresh, nil
}

// toBlockRecords turns the fresh entries into block records grouped by
// period, in order of each period's first appearance and in entry order
// within each: each period's records become consecutive blocks in seal
// order.
func (t *tx) toBlockRecords(entries []*store.Entry, fresh []bool) ([]periodRun, error) {
	recs := make([]block.Record, 0, len(entries))
	var periods []string // in order of first appearance
	var periodOf []int   // of each record, when there are several
	bm := roaring.New()
	var nums []uint32
	// The dictionaries change only in this goroutine's commits: read them
	// under one read lock for the whole batch.
	t.s.mu.RLock()
	defer t.s.mu.RUnlock()
	for i := range entries {
		if !fresh[i] {
			continue
		}
		e := entries[i]
		r := blockRecordOf(e)
		r.System, r.Actor, r.Action = t.name(kindSystem, e.System), t.name(kindActor, e.Actor), t.name(kindAction, e.Action)
		if len(e.Subjects) > 0 {
			var err error
			if r.Subjects, nums, err = t.subjectSet(e.Subjects, nums, bm); err != nil {
				return nil, err
			}
		}
		k := slices.Index(periods, e.Period) // a write spans a period or two
		if k < 0 {
			k = len(periods)
			periods = append(periods, e.Period)
		}
		if k > 0 && periodOf == nil {
			periodOf = make([]int, len(recs), len(entries)) // all in period 0 so far
		}
		if periodOf != nil {
			periodOf = append(periodOf, k)
		}
		recs = append(recs, r)
	}
	if periodOf == nil {
		if len(recs) == 0 {
			return nil, nil
		}
		return []periodRun{{periods[0], recs}}, nil // the usual case
	}
	out := make([]periodRun, len(periods))
	for k, p := range periods {
		out[k].period = p
	}
	for i, r := range recs {
		out[periodOf[i]].records = append(out[periodOf[i]].records, r)
	}
	return out, nil
}

// blockRecordOf is the block record of e but for its dictionary numbers
// and subject set, which depend on the store's dictionaries.
func blockRecordOf(e *store.Entry) block.Record {
	return block.Record{
		ID: e.ID, Time: e.Time.UnixNano(), IP: e.IP, KeyID: e.KeyID, Device: e.Device, Session: e.Session,
		Rows: e.Rows, Bytes: e.Bytes, SubjectCount: e.SubjectCount, Canonical: e.Canonical,
	}
}

// periodRun is one period's records of a write, in seal order.
type periodRun struct {
	period  string
	records []block.Record
}

// pendingBlock is a block being built: its records, then its encoding
// and terms.
type pendingBlock struct {
	period   string
	firstOrd int
	recs     []block.Record
	sec      block.Sections
	terms    blockPairs
	err      error
}

// encodeBlocks compresses blocks and computes their terms on every core:
// it is most of the CPU a write transaction spends.
func encodeBlocks(todo []pendingBlock) error {
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(len(todo), runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				b := &todo[i]
				if b.sec, b.err = block.Encode(b.recs); b.err == nil {
					b.terms, b.err = blockTerms(b.recs)
				}
			}
		}()
	}
	for i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, b := range todo {
		if b.err != nil {
			return fmt.Errorf("encode block: %w", b.err)
		}
	}
	return nil
}

func (t *tx) writeBlock(b *pendingBlock) error {
	s := t.s
	s.mu.RLock()
	num := uint32(len(s.blocks)) + uint32(len(t.blocks)) + 1
	s.mu.RUnlock()
	m := blockMeta{batch: t.batch, tmin: b.recs[0].Time, tmax: b.recs[0].Time, firstOrd: int32(b.firstOrd), n: uint16(len(b.recs)), live: uint16(len(b.recs))}
	for _, r := range b.recs {
		m.tmin, m.tmax = min(m.tmin, r.Time), max(m.tmax, r.Time)
	}
	if err := t.exec(`INSERT INTO blocks (num, batch, period, first_ord, n, live, t_min, t_max) VALUES (?,?,?,?,?,?,?,?)`,
		num, m.batch, b.period, m.firstOrd, m.n, m.live, m.tmin, m.tmax); err != nil {
		return fmt.Errorf("store block: %w", err)
	}
	if err := t.exec(`INSERT INTO block_data (num, head, cols, canon) VALUES (?,?,?,?)`, num, b.sec.Head, b.sec.Cols, b.sec.Canon); err != nil {
		return fmt.Errorf("store block: %w", err)
	}
	b.terms.num = num
	t.blocks = append(t.blocks, newBlock{meta: m, period: b.period, terms: b.terms})
	return nil
}

// SetSeals records an earlier batch's seal positions with this
// transaction.
func (t *tx) SetSeals(batch int64, positions map[string][]byte) error {
	if t.done {
		return errClosedTx
	}
	if err := writeSeals(t.ctx, t.tx, batch, positions); err != nil {
		return err
	}
	t.sealed = max(t.sealed, batch)
	return nil
}

// exec runs a statement prepared once per transaction.
func (t *tx) exec(query string, args ...any) error {
	st, ok := t.stmts[query]
	if !ok {
		var err error
		if st, err = t.tx.PrepareContext(t.ctx, query); err != nil {
			return err
		}
		if t.stmts == nil {
			t.stmts = map[string]*sql.Stmt{}
		}
		t.stmts[query] = st
	}
	_, err := st.ExecContext(t.ctx, args...)
	return err
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
		if err := t.exec(`INSERT OR REPLACE INTO alerts (id, rule, severity, time, last_time, system, actor, doc) VALUES (?,?,?,?,?,?,?,?)`,
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
	if err := t.commit(); err != nil {
		t.tx.Rollback()
		return err
	}
	// The index lags behind safely (see terms.go): a failed flush leaves
	// the tail in memory, correct, and the next commit tries again.
	if err := t.s.maybeFlushTail(t.ctx); err != nil {
		slog.Error("term index: flush failed; will retry", "err", err)
	}
	return nil
}

func (t *tx) commit() error {
	if err := writeNames(t.ctx, t.tx, t.firstName, t.nameList); err != nil {
		return fmt.Errorf("store names: %w", err)
	}
	if err := writeSubjects(t.ctx, t.tx, t.firstNew, t.subjectRefs); err != nil {
		return fmt.Errorf("store subjects: %w", err)
	}
	if err := t.tx.Commit(); err != nil {
		return err
	}
	// Blocks and their terms join memory in one critical section, so a
	// search sees both or neither.
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range t.nameList {
		s.names[k.kind][k.name] = t.newNames[k]
		s.nameByNum = append(s.nameByNum, k.name)
	}
	for p, n := range t.newSubjects {
		s.subjects[p] = n
	}
	if len(t.subjectRefs) > 0 {
		s.chunks = append(s.chunks, t.firstNew)
	}
	for _, b := range t.blocks {
		b.meta.period = s.internPeriod(b.period)
		s.blocks = append(s.blocks, b.meta)
		s.terms.add(b.terms)
	}
	if len(t.blocks) > 0 {
		s.nextBatch = t.batch
		s.terms.wrote = true
	}
	s.sealedBatch = max(s.sealedBatch, t.sealed) // writeMu is held by the transaction
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
