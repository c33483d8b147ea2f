package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/cespare/xxhash/v2"
	"github.com/jikimi/jikimi/store/block"
)

// The term index answers "which blocks hold term T": a record id, a data
// subject, an actor, a system, an action, an address, a key id, a device
// or a session. It is a small log-structured merge tree of (term key,
// block) pairs:
//
//   - the tail, in memory, holds the pairs of the newest blocks; a block's
//     pairs join it when its transaction commits;
//   - when the tail reaches defaultTailPairs it is sorted and written as a run
//     (flushTail), in one transaction that also moves the "indexed"
//     watermark;
//   - when defaultFanIn runs of one level exist, a background merge writes them
//     as one run of the next level and deletes them (compact).
//
// Pairs are derived data: every block's pairs can be computed again from
// its head and cols. A crash loses only the tail, which Open rebuilds from
// the blocks after the watermark, so an acknowledged record is always
// findable. Pairs of records that retention deleted stay behind; every
// search reads the candidate blocks and checks each record, so a stale
// pair costs a block read, never a wrong answer.

// Term kinds: the top byte of a term key.
const (
	termID = iota + 1
	termSubject
	termActor
	termSystem
	termAction
	termIP
	termKeyID
	termDevice
	termSession
)

const (
	defaultTailPairs = 1 << 19 // tail size that triggers a flush
	defaultFanIn     = 8       // runs of one level merged together
)

// termKey builds a key from a kind and a 56-bit value.
func termKey(kind int, v uint64) uint64 { return uint64(kind)<<56 | v&(1<<56-1) }

// hashTerm is the key of a string term: its 64-bit xxhash cut to 56 bits.
// Two values may share a key; searches compare the real values.
func hashTerm(kind int, v []byte) uint64 { return termKey(kind, xxhash.Sum64(v)) }

func hashTermString(kind int, v string) uint64 { return termKey(kind, xxhash.Sum64String(v)) }

// terms is the index's in-memory state; DB.mu guards it unless noted.
type terms struct {
	tailKeys   []uint64
	tailBlocks []uint32
	tailCounts []uint32
	// tailIDs maps a record-id key to its tail block, for duplicate
	// checks; tailIDsMore holds the further blocks of a key two ids share.
	tailIDs     map[uint64]uint32
	tailIDsMore map[uint64][]uint32
	runs        []*run
	indexed     uint32 // every block <= indexed has its pairs in runs
	nextRun     int64

	// openBlocks is how many blocks Open found: the tail's rebuild covers
	// those after indexed; later ones join it as they commit.
	openBlocks uint32
	tailLoad   lazyOnce
	wrote      bool // this process committed blocks (guarded by writeMu)

	// chunksMu is held shared while chunks are read and exclusively while a
	// merge deletes the runs it replaced.
	chunksMu sync.RWMutex
	wake     chan struct{}
	stop     chan struct{}
	stopped  chan struct{}
}

// loadTerms reads the runs and rebuilds the tail from the blocks after the
// watermark, then starts the background merger.
func (s *DB) loadTerms(ctx context.Context) error {
	t := &s.terms
	t.tailIDs, t.tailIDsMore = map[uint64]uint32{}, map[uint64][]uint32{}
	// The tail is refilled to about tailPairs between flushes: allocate it
	// once.
	size := s.tailPairs + s.tailPairs/4
	t.tailKeys, t.tailBlocks, t.tailCounts = make([]uint64, 0, size), make([]uint32, 0, size), make([]uint32, 0, size)
	var indexed int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM meta WHERE key='indexed_block'),0)`).Scan(&indexed); err != nil {
		return err
	}
	t.indexed, t.openBlocks = uint32(indexed), uint32(len(s.blocks))
	rows, err := s.db.QueryContext(ctx, `SELECT run, level, pairs, ids, fences, bloom FROM term_runs ORDER BY run`)
	if err != nil {
		return err
	}
	for rows.Next() {
		r := &run{}
		var fences, bl []byte
		if err := rows.Scan(&r.id, &r.level, &r.pairs, &r.ids, &fences, &bl); err != nil {
			rows.Close()
			return err
		}
		if len(fences)%8 != 0 {
			rows.Close()
			return fmt.Errorf("term index: run %d: fences of %d bytes", r.id, len(fences))
		}
		for i := 0; i < len(fences); i += 8 {
			r.fences = append(r.fences, binary.BigEndian.Uint64(fences[i:]))
		}
		if r.bloom, err = unmarshalBloom(bl); err != nil {
			rows.Close()
			return fmt.Errorf("term index: run %d: %w", r.id, err)
		}
		t.runs = append(t.runs, r)
		t.nextRun = max(t.nextRun, r.id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Chunks of a merge that a crash interrupted belong to no run.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM term_chunks WHERE (id >> 24) NOT IN (SELECT run FROM term_runs)`); err != nil {
		return err
	}
	t.wake, t.stop, t.stopped = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go s.compactLoop()
	return nil
}

// ensureTail rebuilds the tail, once, from the blocks after the watermark
// that Open found: what a crash left unflushed, or what another process
// writing the same store has not flushed yet. It runs before the first
// search by term or write, so that commands that need neither (verify)
// never pay for it.
func (s *DB) ensureTail(ctx context.Context) error {
	return s.terms.tailLoad.do(func() error { return s.rebuildTail(ctx) })
}

func (s *DB) rebuildTail(ctx context.Context) error {
	t := &s.terms
	s.mu.RLock()
	from, to := t.indexed+1, t.openBlocks
	s.mu.RUnlock()
	for num := from; num <= to; num++ {
		s.mu.RLock()
		hole := s.blocks[num-1].n == 0
		s.mu.RUnlock()
		if hole {
			continue
		}
		// A damaged block must not keep the store from opening: that is
		// when verification is needed most. Its records are not found by
		// term until then, and verification names them.
		var sec block.Sections
		err := s.db.QueryRowContext(ctx, `SELECT head, cols FROM block_data WHERE num = ?`, num).Scan(&sec.Head, &sec.Cols)
		var recs []block.Record
		if err == nil {
			recs, err = block.Decode(sec)
		}
		var bp blockPairs
		if err == nil {
			bp, err = blockTerms(recs)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			slog.Error("term index: a block cannot be read; its records cannot be searched until it is repaired (run jikimi verify)", "block", num, "err", err)
			continue
		}
		bp.num = num
		s.mu.Lock()
		t.add(bp)
		s.mu.Unlock()
	}
	return nil
}

// closeTerms stops the background merger and, when this process wrote
// records, flushes the tail, so that the next Open has nothing to rebuild.
func (s *DB) closeTerms() error {
	if s.terms.stop == nil {
		return nil
	}
	close(s.terms.stop)
	<-s.terms.stopped
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.RLock()
	pending, upTo := s.terms.wrote && len(s.terms.tailKeys) > 0, uint32(len(s.blocks))
	s.mu.RUnlock()
	if !pending {
		return nil
	}
	return s.flushTail(context.Background(), upTo)
}

// blockPairs are a block's terms: its record ids' keys, then its other
// distinct term keys, and its data subjects' numbers, ascending and
// distinct, each with how many of the block's records have it.
type blockPairs struct {
	num           uint32
	keys          []uint64
	counts        []uint32
	subjects      []uint32
	subjectCounts []uint32
}

// blockTerms computes the terms of a block's records. A tombstone keeps
// its id (a deleted record's id is still taken) and nothing else.
func blockTerms(recs []block.Record) (blockPairs, error) {
	var bp blockPairs
	keys := make([]uint64, 0, 4*len(recs))
	for i := range recs {
		keys = append(keys, hashTermString(termID, recs[i].ID))
	}
	ids := len(keys) // distinct already: a block never holds an id twice
	var subjects []uint32
	for i := range recs {
		r := &recs[i]
		if r.Deleted {
			continue
		}
		keys = append(keys, termKey(termActor, uint64(r.Actor)), termKey(termSystem, uint64(r.System)), termKey(termAction, uint64(r.Action)))
		for _, sv := range [...]struct {
			kind int
			v    string
		}{{termIP, r.IP}, {termKeyID, r.KeyID}, {termDevice, r.Device}, {termSession, r.Session}} {
			if sv.v != "" {
				keys = append(keys, hashTermString(sv.kind, sv.v))
			}
		}
		if r.Subjects != nil {
			err := eachSubjectNum(r.Subjects, func(n uint32) bool { subjects = append(subjects, n); return true })
			if err != nil {
				return bp, fmt.Errorf("record %s: subject set: %w", r.ID, err)
			}
		}
	}
	slices.Sort(keys[ids:])
	bp.keys, bp.counts = runLengths(keys[:ids:ids], keys[ids:])
	slices.Sort(subjects)
	bp.subjects, bp.subjectCounts = runLengths(nil, subjects)
	return bp, nil
}

// runLengths appends each distinct value of sorted to distinct and
// returns it with how often each value occurs (1 for what distinct held).
func runLengths[T comparable](distinct, sorted []T) ([]T, []uint32) {
	counts := make([]uint32, len(distinct), len(distinct)+len(sorted)/2)
	for i := range counts {
		counts[i] = 1
	}
	for i, v := range sorted {
		if i > 0 && v == sorted[i-1] {
			counts[len(counts)-1]++
			continue
		}
		distinct = append(distinct, v)
		counts = append(counts, 1)
	}
	return distinct, counts
}

// add appends a block's pairs to the tail. It runs with DB.mu held for
// writing, by the writer or by Open.
func (t *terms) add(bp blockPairs) {
	for i, k := range bp.keys {
		t.tailKeys = append(t.tailKeys, k)
		t.tailBlocks = append(t.tailBlocks, bp.num)
		t.tailCounts = append(t.tailCounts, bp.counts[i])
		if k>>56 == termID {
			if _, taken := t.tailIDs[k]; taken {
				t.tailIDsMore[k] = append(t.tailIDsMore[k], bp.num)
			} else {
				t.tailIDs[k] = bp.num
			}
		}
	}
	for i, n := range bp.subjects {
		t.tailKeys = append(t.tailKeys, termKey(termSubject, uint64(n)))
		t.tailBlocks = append(t.tailBlocks, bp.num)
		t.tailCounts = append(t.tailCounts, bp.subjectCounts[i])
	}
}

// posting is one block holding a term, and how many of its records (when
// stored; retention may have deleted some since) have it.
type posting struct {
	block, count uint32
}

// postings returns the blocks that hold term key, ascending.
func (s *DB) postings(ctx context.Context, key uint64) ([]posting, error) {
	if err := s.ensureTail(ctx); err != nil {
		return nil, err
	}
	s.terms.chunksMu.RLock()
	defer s.terms.chunksMu.RUnlock()
	s.mu.RLock()
	runs := s.terms.runs
	var out []posting
	for i, k := range s.terms.tailKeys {
		if k == key {
			out = append(out, posting{s.terms.tailBlocks[i], s.terms.tailCounts[i]})
		}
	}
	s.mu.RUnlock()
	var buf []pair
	for _, r := range runs {
		lo, hi, ok := r.chunkSpan(key)
		if !ok {
			continue
		}
		for c := lo; c <= hi; c++ {
			var err error
			if buf, err = s.readChunk(ctx, r, c, buf[:0]); err != nil {
				return nil, err
			}
			for _, p := range buf {
				if p.key == key {
					out = append(out, posting{p.block, p.count})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b posting) int { return cmp.Compare(a.block, b.block) })
	return slices.CompactFunc(out, func(a, b posting) bool { return a.block == b.block }), nil
}

func (s *DB) readChunk(ctx context.Context, r *run, c int, dst []pair) ([]pair, error) {
	var data []byte
	if err := s.db.QueryRowContext(ctx, `SELECT data FROM term_chunks WHERE id = ?`, chunkID(r.id, c)).Scan(&data); err != nil {
		return dst, fmt.Errorf("term index: run %d chunk %d: %w", r.id, c, err)
	}
	return decodeChunk(dst, data)
}

// idBlocks returns, for each record-id key, the blocks that may hold a
// record with that id: the tail's, and those of every run whose Bloom
// filter does not rule the key out. Chunks are read once each however
// many keys they serve.
func (s *DB) idBlocks(ctx context.Context, keys []uint64) (map[uint64][]uint32, error) {
	if err := s.ensureTail(ctx); err != nil {
		return nil, err
	}
	out := map[uint64][]uint32{}
	s.terms.chunksMu.RLock()
	defer s.terms.chunksMu.RUnlock()
	s.mu.RLock()
	runs := s.terms.runs
	for _, k := range keys {
		if b, ok := s.terms.tailIDs[k]; ok {
			out[k] = append(append(out[k], b), s.terms.tailIDsMore[k]...)
		}
	}
	s.mu.RUnlock()
	type probe struct {
		chunk int
		key   uint64
	}
	var probes []probe
	var buf []pair
	for _, r := range runs {
		probes = probes[:0]
		for _, k := range keys {
			if !r.bloom.mayHave(k) {
				continue
			}
			lo, hi, ok := r.chunkSpan(k)
			for c := lo; ok && c <= hi; c++ {
				probes = append(probes, probe{c, k})
			}
		}
		slices.SortFunc(probes, func(a, b probe) int { return a.chunk - b.chunk })
		for i := 0; i < len(probes); {
			c := probes[i].chunk
			var err error
			if buf, err = s.readChunk(ctx, r, c, buf[:0]); err != nil {
				return nil, err
			}
			for ; i < len(probes) && probes[i].chunk == c; i++ {
				k := probes[i].key
				j, _ := slices.BinarySearchFunc(buf, k, func(p pair, k uint64) int { return cmp.Compare(p.key, k) })
				for ; j < len(buf) && buf[j].key == k; j++ {
					out[k] = append(out[k], buf[j].block)
				}
			}
		}
	}
	return out, nil
}

// maybeFlushTail writes the tail as a run once it is large enough. It runs
// in the writer with writeMu held, after a commit.
func (s *DB) maybeFlushTail(ctx context.Context) error {
	s.mu.RLock()
	n, upTo := len(s.terms.tailKeys), uint32(len(s.blocks))
	s.mu.RUnlock()
	if n < s.tailPairs {
		return nil
	}
	return s.flushTail(ctx, upTo)
}

// flushTail sorts the tail (every block up to upTo) into a level-0 run.
// Only the writer appends to the tail, and it is the caller, so the tail
// is read without copying.
func (s *DB) flushTail(ctx context.Context, upTo uint32) error {
	t := &s.terms
	ps := make([]pair, len(t.tailKeys))
	var ids int64
	for i, k := range t.tailKeys {
		ps[i] = pair{k, t.tailBlocks[i], t.tailCounts[i]}
		if k>>56 == termID {
			ids++
		}
	}
	if len(ps) > 0 {
		sortPairs(ps)
	}
	s.mu.Lock()
	t.nextRun++
	id := t.nextRun
	s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	w := newRunWriter(id, 0, ids, func(rows []chunkRow) error { return insertChunks(ctx, tx, rows) })
	for _, p := range ps {
		if err := w.add(p); err != nil {
			return err
		}
	}
	r, err := w.finish()
	if err != nil {
		return err
	}
	if err := insertRun(ctx, tx, r); err != nil {
		return err
	}
	if err := setMeta(ctx, tx, "indexed_block", int64(upTo)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("term index: flush: %w", err)
	}
	s.mu.Lock()
	t.runs = append(t.runs, r)
	t.indexed = upTo
	t.tailKeys, t.tailBlocks, t.tailCounts = t.tailKeys[:0], t.tailBlocks[:0], t.tailCounts[:0]
	clear(t.tailIDs)
	clear(t.tailIDsMore)
	s.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
	return nil
}

// compactLoop merges runs in the background whenever a flush adds one.
func (s *DB) compactLoop() {
	defer close(s.terms.stopped)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-s.terms.stop; cancel() }()
	for {
		select {
		case <-s.terms.stop:
			return
		case <-s.terms.wake:
		}
		for {
			merged, err := s.compactOnce(ctx)
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					slog.Error("term index: merge failed; searches stay correct but slower until the next try", "err", err)
				}
				break
			}
			if !merged {
				break
			}
		}
	}
}

// compactOnce merges the runs of the lowest level that has fanIn of them.
// It reports whether it merged.
func (s *DB) compactOnce(ctx context.Context) (bool, error) {
	s.mu.Lock()
	byLevel := map[int][]*run{}
	for _, r := range s.terms.runs {
		byLevel[r.level] = append(byLevel[r.level], r)
	}
	var in []*run
	level := -1
	for l, rs := range byLevel {
		if len(rs) >= s.fanIn && (level < 0 || l < level) {
			in, level = rs, l
		}
	}
	if in == nil {
		s.mu.Unlock()
		return false, nil
	}
	s.terms.nextRun++
	id := s.terms.nextRun
	s.mu.Unlock()

	var ids int64
	for _, r := range in {
		ids += r.ids
	}
	// Chunks are written in small transactions of their own (the run is
	// invisible until registered), so ingest waits at most one of them.
	w := newRunWriter(id, level+1, ids, func(rows []chunkRow) error {
		return s.writeTx(ctx, func(tx *sql.Tx) error { return insertChunks(ctx, tx, rows) })
	})
	if err := s.mergeRuns(ctx, in, w); err != nil {
		return false, err
	}
	out, err := w.finish()
	if err != nil {
		return false, err
	}
	// Lock order: writeMu, then chunksMu (searches reading the old runs'
	// chunks finish first), then mu.
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.terms.chunksMu.Lock()
	defer s.terms.chunksMu.Unlock()
	err = func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := insertRun(ctx, tx, out); err != nil {
			return err
		}
		for _, r := range in {
			if _, err := tx.ExecContext(ctx, `DELETE FROM term_runs WHERE run = ?`, r.id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM term_chunks WHERE id BETWEEN ? AND ?`, chunkID(r.id, 0), chunkID(r.id, maxChunks-1)); err != nil {
				return err
			}
		}
		return tx.Commit()
	}()
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	s.terms.runs = slices.DeleteFunc(s.terms.runs, func(r *run) bool { return slices.Contains(in, r) })
	s.terms.runs = append(s.terms.runs, out)
	s.mu.Unlock()
	return true, nil
}

// writeTx runs fn in a write transaction of its own, holding writeMu.
func (s *DB) writeTx(ctx context.Context, fn func(*sql.Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
