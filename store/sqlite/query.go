package sqlite

import (
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/store"
)

// filter is a query resolved against the dictionaries: what candidate
// blocks are looked up by, and what each record must match exactly.
type filter struct {
	from, to              int64  // unix nanoseconds, [from, to)
	actor, system, action uint32 // 0: any (dictionary numbers start at 1)
	subject               uint32 // 0: any
	ip, keyID             []byte // nil: any
	device, session       []byte
	ids                   map[string]bool // nil: any
	keys                  []uint64        // term keys every match has
	none                  bool            // nothing can match
}

// resolve turns q into a filter.
func (s *DB) resolve(ctx context.Context, q store.Query) (filter, error) {
	f := filter{from: math.MinInt64, to: math.MaxInt64}
	if !q.From.IsZero() {
		f.from = q.From.UnixNano()
	}
	if !q.To.IsZero() {
		f.to = q.To.UnixNano()
	}
	name := func(kind, termKind int, v string, dst *uint32) {
		if v == "" {
			return
		}
		n, ok := s.nameNum(kind, v)
		if !ok {
			f.none = true
			return
		}
		*dst = n
		f.keys = append(f.keys, termKey(termKind, uint64(n)))
	}
	name(kindActor, termActor, q.Actor, &f.actor)
	name(kindSystem, termSystem, q.System, &f.system)
	name(kindAction, termAction, q.Action, &f.action)
	if q.IP != "" {
		f.ip = []byte(q.IP)
		f.keys = append(f.keys, hashTermString(termIP, q.IP))
	}
	if q.Subject != nil {
		n, ok, err := s.subjectNum(ctx, *q.Subject)
		if err != nil {
			return f, err
		}
		if !ok {
			f.none = true
		}
		f.subject = n
		f.keys = append(f.keys, termKey(termSubject, uint64(n)))
	}
	return f, nil
}

// hashed adds an exact string condition on a cols field and its term key.
func (f *filter) hashed(kind int, v string, dst *[]byte) {
	if v != "" {
		*dst = []byte(v)
		f.keys = append(f.keys, hashTermString(kind, v))
	}
}

// parts is what must be read of a candidate block to match f.
func (f *filter) parts() parts {
	if f.ip != nil || f.keyID != nil || f.device != nil || f.session != nil || f.ids != nil || f.subject != 0 {
		return partHead | partCols
	}
	return partHead
}

// exactTerm returns f's one term when f selects by nothing else (but
// time) and the term is an exact dictionary or subject number, not a hash
// that two values might share: then a term's record counts are exact.
func (f *filter) exactTerm() (uint64, bool) {
	if len(f.keys) != 1 || f.ip != nil || f.keyID != nil || f.device != nil || f.session != nil || f.ids != nil {
		return 0, false
	}
	switch f.keys[0] >> 56 {
	case termActor, termSystem, termAction, termSubject:
		return f.keys[0], true
	}
	return 0, false
}

// timeOnly reports whether f selects by time alone: then a block wholly
// inside the range counts whole.
func (f *filter) timeOnly() bool {
	return f.parts() == partHead && f.actor == 0 && f.system == 0 && f.action == 0
}

// match reports whether record i of l matches f.
func (f *filter) match(l *loaded, i int) (bool, error) {
	h := &l.head
	t := h.Time(i)
	switch {
	case h.Deleted(i), t < f.from, t >= f.to,
		f.actor != 0 && h.Actor(i) != f.actor,
		f.system != 0 && h.System(i) != f.system,
		f.action != 0 && h.Action(i) != f.action:
		return false, nil
	}
	if l.has&partCols == 0 {
		return true, nil
	}
	c := &l.cols
	for _, sv := range [...]struct{ want, got []byte }{{f.ip, c.IP(i)}, {f.keyID, c.KeyID(i)}, {f.device, c.Device(i)}, {f.session, c.Session(i)}} {
		if sv.want != nil && !bytes.Equal(sv.want, sv.got) {
			return false, nil
		}
	}
	if f.ids != nil && !f.ids[string(c.ID(i))] {
		return false, nil
	}
	if f.subject != 0 {
		b := c.Subjects(i)
		if b == nil {
			return false, nil
		}
		ok, err := hasSubject(b, f.subject)
		if err != nil {
			return false, fmt.Errorf("block %d record %s: subject set: %w", l.num, c.ID(i), err)
		}
		return ok, nil
	}
	return true, nil
}

// candidates returns the blocks that may hold matches of f, ascending:
// those every term of f points to, whose time range meets f's and that
// still hold live records.
func (s *DB) candidates(ctx context.Context, f *filter, blocks []blockMeta) ([]uint32, error) {
	if f.none {
		return nil, nil
	}
	var out []uint32
	if len(f.keys) == 0 {
		for i := range blocks {
			out = append(out, uint32(i+1))
		}
	}
	for k, key := range f.keys {
		ps, err := s.postings(ctx, key)
		if err != nil {
			return nil, err
		}
		list := make([]uint32, len(ps))
		for i, p := range ps {
			list[i] = p.block
		}
		if k == 0 {
			out = list
			continue
		}
		out = intersect(out, list)
	}
	return slices.DeleteFunc(out, func(num uint32) bool {
		if int(num) > len(blocks) {
			return true // committed after the snapshot
		}
		m := &blocks[num-1]
		return m.live == 0 || !m.overlaps(f.from, f.to)
	}), nil
}

// intersect returns the blocks in both ascending lists, in a's storage.
func intersect(a, b []uint32) []uint32 {
	out := a[:0]
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

// each calls fn for every record matching f in the given blocks, in
// block order and record order within each block.
func (s *DB) each(ctx context.Context, f *filter, nums []uint32, p parts, fn func(l *loaded, i int) error) error {
	br := s.newBlockReader()
	defer br.close()
	var l loaded
	for _, num := range nums {
		if err := br.read(ctx, num, p|f.parts(), &l); err != nil {
			return err
		}
		for i := range l.head.N {
			ok, err := f.match(&l, i)
			if err != nil {
				return err
			}
			if ok {
				if err := fn(&l, i); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// seqOf is a record's storage key: its block and its place in it.
func seqOf(num uint32, i int) int64 { return int64(num)<<16 | int64(i) }

// stored builds the Stored of record i of l (head, cols and canon read).
func (s *DB) stored(l *loaded, i int, blocks []blockMeta) (store.Stored, error) {
	m := &blocks[l.num-1]
	r := store.Stored{
		Seq:  seqOf(l.num, i),
		ID:   string(l.cols.ID(i)),
		Time: time.Unix(0, l.head.Time(i)),
		Seal: store.SealRef{Batch: m.batch, Period: s.periodName(m.period), Ord: int(m.firstOrd) + i},
	}
	s.mu.RLock()
	r.System, r.Actor, r.Action = s.nameLocked(l.head.System(i)), s.nameLocked(l.head.Actor(i)), s.nameLocked(l.head.Action(i))
	s.mu.RUnlock()
	if l.head.Deleted(i) {
		r.Deleted = true
		r.Hash, _, _ = l.cols.Tombstone(i)
		return r, nil
	}
	canon, err := l.canon.Get(i)
	if err != nil {
		return r, fmt.Errorf("block %d record %s: %w", l.num, r.ID, err)
	}
	r.Canonical = bytes.Clone(canon)
	return r, nil
}

func (s *DB) periodName(n uint16) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.periods[n]
}

// hit is a matching record's place, ordered newest first by (time, seq).
type hit struct {
	t   int64
	seq int64
}

func newer(a, b hit) bool { return a.t > b.t || a.t == b.t && a.seq > b.seq }

// found is a min-heap of the newest records found so far: its root is the
// oldest kept.
type found []foundRec

type foundRec struct {
	hit
	rec store.Stored
}

func (h found) Len() int           { return len(h) }
func (h found) Less(i, j int) bool { return newer(h[j].hit, h[i].hit) }
func (h found) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *found) Push(x any)        { *h = append(*h, x.(foundRec)) }
func (h *found) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Records returns the records that match q, newest first (by time, then
// storage order).
func (s *DB) Records(ctx context.Context, q store.Query) ([]store.Stored, error) {
	f, err := s.resolve(ctx, q)
	if err != nil {
		return nil, err
	}
	blocks := s.snapshot()
	nums, err := s.candidates(ctx, &f, blocks)
	if err != nil {
		return nil, fmt.Errorf("search records: %w", err)
	}
	// Newest blocks first, so that with a limit the search stops as soon
	// as no remaining block can hold a newer match than those kept. Each
	// block is read whole at once: nearly every block read holds a record
	// that is returned.
	slices.SortFunc(nums, func(a, b uint32) int { return cmp.Compare(blocks[b-1].tmax, blocks[a-1].tmax) })
	var top found
	br := s.newBlockReader()
	defer br.close()
	var l loaded
	for _, num := range nums {
		if q.Limit > 0 && len(top) == q.Limit && blocks[num-1].tmax < top[0].t {
			break
		}
		if err := br.read(ctx, num, partCols|partCanon, &l); err != nil {
			return nil, err
		}
		for i := range l.head.N {
			ok, err := f.match(&l, i)
			if err != nil {
				return nil, err
			}
			h := hit{l.head.Time(i), seqOf(num, i)}
			full := q.Limit > 0 && len(top) == q.Limit
			if !ok || full && !newer(h, top[0].hit) {
				continue
			}
			r, err := s.stored(&l, i, blocks)
			if err != nil {
				return nil, err
			}
			if full {
				top[0] = foundRec{h, r}
				heap.Fix(&top, 0)
			} else {
				heap.Push(&top, foundRec{h, r})
			}
		}
	}
	slices.SortFunc(top, func(a, b foundRec) int {
		if newer(a.hit, b.hit) {
			return -1
		}
		return 1
	})
	out := make([]store.Stored, len(top))
	for i := range top {
		out[i] = top[i].rec
	}
	return out, nil
}

// readHits reads the records at hits (block by block), in the hits' order.
func (s *DB) readHits(ctx context.Context, found []hit, blocks []blockMeta) ([]store.Stored, error) {
	order := make([]int, len(found))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(found[a].seq, found[b].seq) })
	out := make([]store.Stored, len(found))
	br := s.newBlockReader()
	defer br.close()
	var l loaded
	for _, k := range order {
		num, i := uint32(found[k].seq>>16), int(found[k].seq&0xffff)
		if l.has == 0 || l.num != num {
			if err := br.read(ctx, num, partCols|partCanon, &l); err != nil {
				return nil, err
			}
		}
		var err error
		if out[k], err = s.stored(&l, i, blocks); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Count returns how many records match q. A block wholly inside the time
// range and untouched by retention is counted without a read when the
// query is by time alone (its record count) or by one actor, system,
// action or subject (the count the term index keeps with the pair).
func (s *DB) Count(ctx context.Context, q store.Query) (int64, error) {
	f, err := s.resolve(ctx, q)
	if err != nil {
		return 0, err
	}
	blocks := s.snapshot()
	whole := func(m *blockMeta) bool { return m.tmin >= f.from && m.tmax < f.to && m.live == m.n }
	var n int64
	var read []uint32
	if k, ok := f.exactTerm(); ok && !f.none {
		ps, err := s.postings(ctx, k)
		if err != nil {
			return 0, err
		}
		for _, p := range ps {
			if int(p.block) > len(blocks) || !blocks[p.block-1].overlaps(f.from, f.to) {
				continue
			}
			if whole(&blocks[p.block-1]) {
				n += int64(p.count)
			} else {
				read = append(read, p.block)
			}
		}
	} else {
		nums, err := s.candidates(ctx, &f, blocks)
		if err != nil {
			return 0, err
		}
		for _, num := range nums {
			if f.timeOnly() && whole(&blocks[num-1]) {
				n += int64(blocks[num-1].n)
			} else {
				read = append(read, num)
			}
		}
	}
	err = s.each(ctx, &f, read, 0, func(*loaded, int) error { n++; return nil })
	return n, err
}

// Record returns the record with id.
func (s *DB) Record(ctx context.Context, id string) (store.Stored, error) {
	key := hashTermString(termID, id)
	cand, err := s.idBlocks(ctx, []uint64{key})
	if err != nil {
		return store.Stored{}, err
	}
	nums := slices.Sorted(slices.Values(cand[key]))
	f := filter{from: math.MinInt64, to: math.MaxInt64, ids: map[string]bool{id: true}}
	blocks := s.snapshot()
	var out *store.Stored
	err = s.each(ctx, &f, slices.Compact(nums), partCanon, func(l *loaded, i int) error {
		r, err := s.stored(l, i, blocks)
		out = &r
		return err
	})
	if err != nil {
		return store.Stored{}, err
	}
	if out == nil {
		return store.Stored{}, fmt.Errorf("record %q: %w", id, store.ErrNotFound)
	}
	return *out, nil
}

// SubjectSet returns the union of the subject sets of the records matching q.
func (s *DB) SubjectSet(ctx context.Context, q store.Query) (*roaring.Bitmap, error) {
	f, err := s.resolve(ctx, q)
	if err != nil {
		return nil, err
	}
	nums, err := s.candidates(ctx, &f, s.snapshot())
	if err != nil {
		return nil, err
	}
	var sets []*roaring.Bitmap
	err = s.each(ctx, &f, nums, partCols, func(l *loaded, i int) error {
		b := l.cols.Subjects(i)
		if b == nil {
			return nil
		}
		bm, err := subjectBitmap(b)
		if err != nil {
			return fmt.Errorf("block %d: subject set: %w", l.num, err)
		}
		sets = append(sets, bm)
		return nil
	})
	if err != nil {
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
	blocks := s.snapshot()
	first := firstAfter(blocks, func(m *blockMeta) bool { return m.batch > from })
	var out []store.UnsealedBatch
	for r, err := range s.scan(ctx, blocks, uint32(first)+1, nil) {
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

// firstAfter returns the index of the first block for which after holds:
// after must be false, then true, along the blocks (batch or time order).
func firstAfter(blocks []blockMeta, after func(*blockMeta) bool) int {
	i, _ := slices.BinarySearchFunc(blocks, true, func(m blockMeta, _ bool) int {
		if after(&m) {
			return 1
		}
		return -1
	})
	return i
}

// SetSeals records a batch's seal positions and that every batch up to it
// is sealed (the pipeline seals batches in order).
func (s *DB) SetSeals(ctx context.Context, batch int64, positions map[string][]byte) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error { return writeSeals(ctx, tx, batch, positions) })
	if err != nil {
		return err
	}
	s.writeMu.Lock()
	s.sealedBatch = max(s.sealedBatch, batch)
	s.writeMu.Unlock()
	return nil
}

// writeSeals records a batch's seal positions and moves the sealed_batch
// mark up to it.
func writeSeals(ctx context.Context, tx *sql.Tx, batch int64, positions map[string][]byte) error {
	for period, pos := range positions {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO seals (batch, period, positions) VALUES (?, ?, ?)`, batch, period, pos); err != nil {
			return fmt.Errorf("record seal: %w", err)
		}
	}
	return setMeta(ctx, tx, "sealed_batch", batch)
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
