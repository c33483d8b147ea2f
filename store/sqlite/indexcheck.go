package sqlite

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/store/block"
	"github.com/jikimi/jikimi/subject"
)

// Index verification (store.ScanOptions.Index). The canonical bytes are
// sealed; the head, the cols, the blocks' places and the term index are
// derived from them and are not. Whoever can edit the database could make
// a record disappear from searches (an actor renamed in its head, a block's
// time range narrowed, a posting dropped from the term index) while every
// seal still holds. So verification derives from each record's canonical
// bytes what the store would have written for it and compares.
//
// Per record that is a field-by-field comparison. For the term index,
// whose postings for 10 million records do not fit in memory as a set,
// each block's postings are compared as a multiset fingerprint: the
// product over its pairs of (r1 − (key_lo + r2·key_hi + r3·count)) in the
// field of integers modulo 2^61−1, at a point (r1, r2, r3) drawn afresh
// for every run. Two different multisets of n pairs agree at a random
// point with probability at most (n+1)/2^61 (Schwartz–Zippel), and no one
// who edits the database before the run knows the point. Blocks whose
// fingerprints differ are then read again and compared pair by pair, to
// name what is missing.
//
// Blocks with tombstones are the exception: retention leaves the deleted
// records' postings in place (searches skip tombstones), so there the
// index may hold more than the live records need. Their record-id pairs
// are still exact (a tombstone keeps its id, and a tail rebuilt from the
// block indexes it) and go into the fingerprint; their other terms are
// compared as sets, keeping 16 bytes a distinct term of such a block
// (per-system retention and legal holds leave many such blocks). Blocks
// without live records have nothing to hide.
//
// The term index is read as it was at one moment (eachPair), while ingest,
// flushes and merges go on: the review report runs this in the serving
// process.

// fieldPrime is the Mersenne prime 2^61−1.
const fieldPrime = 1<<61 - 1

// mulmod returns a·b mod fieldPrime for a, b ≤ fieldPrime.
func mulmod(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	// 2^61 ≡ 1: fold the product's bits above 61 onto the low ones.
	return addmod(lo&fieldPrime, lo>>61|hi<<3)
}

// addmod returns a+b mod fieldPrime for a, b ≤ fieldPrime.
func addmod(a, b uint64) uint64 {
	if s := a + b; s >= fieldPrime {
		return s - fieldPrime
	}
	return a + b
}

// fingerprints accumulates pairs into per-block products.
type fingerprints struct{ r1, r2, r3 uint64 }

func newFingerprints() fingerprints {
	var b [24]byte
	rand.Read(b[:])
	at := func(i int) uint64 { return binary.LittleEndian.Uint64(b[8*i:]) % fieldPrime }
	return fingerprints{at(0), at(1), at(2)}
}

// add multiplies the factor of one pair into acc.
func (f fingerprints) add(acc, key uint64, count uint32) uint64 {
	x := addmod(addmod(key&0xffffffff, mulmod(f.r2, key>>32)), mulmod(f.r3, uint64(count)))
	return mulmod(acc, addmod(f.r1, fieldPrime-x))
}

// addBlock multiplies every pair of bp into acc.
func (f fingerprints) addBlock(acc uint64, bp *blockPairs) uint64 {
	for i, k := range bp.keys {
		acc = f.add(acc, k, bp.counts[i])
	}
	for i, n := range bp.subjects {
		acc = f.add(acc, termKey(termSubject, uint64(n)), bp.subjectCounts[i])
	}
	return acc
}

// indexCheck is one Scan's verification of the search index.
type indexCheck struct {
	s      *DB
	blocks []blockMeta
	fp     fingerprints
	// expect[k] is the fingerprint of block k+1's pairs derived from its
	// canonical bytes (written by the scan worker of the block), have[k]
	// that of the term index's pairs (written by the goroutine reading
	// it); in blocks with tombstones, of their record-id pairs only.
	expect, have []uint64
	checked      []bool // block k+1's expect is known (all its records read)

	mu sync.Mutex
	// partial holds, for blocks with tombstones and live records, the keys
	// other than record ids that their live records need, ascending; held
	// those keys the term index has for them.
	partial map[uint32][]uint64
	held    map[uint32][]uint64
	stray   map[uint32]int // postings by block for blocks that do not exist

	indexDone chan struct{}
	indexErr  error
}

func (s *DB) newIndexCheck(ctx context.Context, blocks []blockMeta) (*indexCheck, error) {
	// Subject numbers and the tail of the term index are loaded before the
	// workers need them.
	if err := s.ensureSubjects(ctx); err != nil {
		return nil, err
	}
	if err := s.ensureTail(ctx); err != nil {
		return nil, err
	}
	ic := &indexCheck{
		s: s, blocks: blocks, fp: newFingerprints(),
		expect: make([]uint64, len(blocks)), have: make([]uint64, len(blocks)), checked: make([]bool, len(blocks)),
		partial: map[uint32][]uint64{}, held: map[uint32][]uint64{}, stray: map[uint32]int{},
		indexDone: make(chan struct{}),
	}
	for k := range ic.have {
		ic.have[k] = 1
	}
	go func() {
		defer close(ic.indexDone)
		ic.indexErr = ic.eachPair(ctx, func(p pair) {
			if p.block == 0 || int(p.block) > len(blocks) {
				ic.stray[p.block]++
				return
			}
			if m := &blocks[p.block-1]; m.live == 0 {
				return // nothing live to hide (checkBlock checks live)
			} else if m.live < m.n && p.key>>56 != termID {
				ic.mu.Lock()
				ic.held[p.block] = append(ic.held[p.block], p.key)
				ic.mu.Unlock()
				return
			}
			ic.have[p.block-1] = ic.fp.add(ic.have[p.block-1], p.key, p.count)
		})
	}()
	return ic, nil
}

// eachPair calls fn with every pair the term index held at one moment,
// but those of blocks committed since the scan's snapshot: the tail's,
// then every run's.
//
// The tail and the list of runs are taken together under mu (a flush
// moves pairs from one to the other in one critical section) and copied:
// a flush empties the tail and the next commit overwrites it in place.
// The runs' chunks are then read in one read transaction, begun while
// chunksMu is held: no merge can have deleted them before its snapshot,
// and merges that delete them later do not change what it reads. So the
// read holds chunksMu only for a moment; a merge waiting for it holds
// writeMu, and every writer and every search by term would wait for the
// whole read. The transaction keeps the write-ahead log from being
// checkpointed past it meanwhile.
func (ic *indexCheck) eachPair(ctx context.Context, fn func(pair)) error {
	s, t := ic.s, &ic.s.terms
	// The connection first: no waiting for one with chunksMu held.
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	t.chunksMu.RLock()
	s.mu.RLock()
	runs := slices.Clone(t.runs) // a merge edits the slice in place
	tail := make([]pair, len(t.tailKeys))
	for i, k := range t.tailKeys {
		tail[i] = pair{k, t.tailBlocks[i], t.tailCounts[i]}
	}
	committed := uint32(len(s.blocks))
	s.mu.RUnlock()
	var n int
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM term_runs`).Scan(&n) // the snapshot begins
	t.chunksMu.RUnlock()
	if err != nil {
		return err
	}
	scanned := uint32(len(ic.blocks))
	each := func(p pair) {
		if p.block <= scanned || p.block > committed {
			fn(p)
		}
	}
	for _, p := range tail {
		each(p)
	}
	st, err := tx.PrepareContext(ctx, `SELECT data FROM term_chunks WHERE id = ?`)
	if err != nil {
		return err
	}
	defer st.Close()
	var buf []pair
	for _, r := range runs {
		for c := range r.fences {
			var data []byte
			if err := st.QueryRowContext(ctx, chunkID(r.id, c)).Scan(&data); err != nil {
				return fmt.Errorf("term index: run %d chunk %d: %w", r.id, c, err)
			}
			if buf, err = decodeChunk(buf[:0], data); err != nil {
				return fmt.Errorf("term index: run %d chunk %d: %w", r.id, c, err)
			}
			for _, p := range buf {
				each(p)
			}
		}
	}
	return nil
}

// derived is what the store would have written for one record, derived
// from its canonical bytes.
type derived struct {
	rec      block.Record
	entry    store.Entry
	subjects []uint32 // ascending, distinct
	problem  string   // a name or subject the dictionaries lack
}

// derive reads a record's canonical bytes into what the store would have
// written for it. bm is scratch for the subject set.
func (ic *indexCheck) derive(canon []byte, bm *roaring.Bitmap) (derived, error) {
	r, err := record.Parse(canon)
	if err != nil {
		return derived{}, err
	}
	d := derived{entry: store.EntryOf(&r)}
	e := &d.entry
	d.rec = blockRecordOf(e)
	s := ic.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	var missing []string
	for _, n := range [...]struct {
		num  *uint32
		kind int
		name string
	}{{&d.rec.System, kindSystem, e.System}, {&d.rec.Actor, kindActor, e.Actor}, {&d.rec.Action, kindAction, e.Action}} {
		var ok bool
		if *n.num, ok = s.names[n.kind][n.name]; !ok {
			missing = append(missing, fmt.Sprintf("%q", n.name))
		}
	}
	if len(r.Subjects) > 0 {
		d.subjects = make([]uint32, 0, len(r.Subjects))
		for _, id := range r.Subjects {
			p, err := subject.ParsePseudonym(id)
			n, ok := s.subjects[p]
			if err != nil || !ok {
				missing = append(missing, "data subject "+id)
				continue
			}
			d.subjects = append(d.subjects, n)
		}
		slices.Sort(d.subjects)
		d.subjects = slices.Compact(d.subjects)
		if d.rec.Subjects, err = appendSubjects(nil, d.subjects, bm); err != nil {
			return d, err
		}
	}
	if missing != nil {
		d.problem = "the store's dictionaries lack " + strings.Join(missing, ", ")
	}
	return d, nil
}

// differences names the fields in which record i of l differs from d.
func (ic *indexCheck) differences(l *loaded, i int, d *derived) (string, error) {
	var diffs []string
	differ := func(field string, stored, sealed any) {
		diffs = append(diffs, fmt.Sprintf("%s indexed as %q, sealed as %q", field, stored, sealed))
	}
	c, h, r := &l.cols, &l.head, &d.rec
	if !bytes.Equal(c.ID(i), []byte(r.ID)) {
		differ("id", c.ID(i), r.ID)
	}
	if h.Time(i) != r.Time {
		diffs = append(diffs, fmt.Sprintf("time indexed as %d, sealed as %d (Unix ns)", h.Time(i), r.Time))
	}
	for _, n := range [...]struct {
		field          string
		stored, sealed uint32
		name           string
	}{{"system", h.System(i), r.System, d.entry.System}, {"actor", h.Actor(i), r.Actor, d.entry.Actor}, {"action", h.Action(i), r.Action, d.entry.Action}} {
		if n.stored != n.sealed {
			differ(n.field, ic.s.nameOf(n.stored), n.name)
		}
	}
	for _, sv := range [...]struct {
		field  string
		stored []byte
		sealed string
	}{{"origin.ip", c.IP(i), r.IP}, {"auth.key_id", c.KeyID(i), r.KeyID}, {"origin.device", c.Device(i), r.Device}, {"auth.session", c.Session(i), r.Session}} {
		if !bytes.Equal(sv.stored, []byte(sv.sealed)) {
			differ(sv.field, sv.stored, sv.sealed)
		}
	}
	for _, nv := range [...]struct {
		field          string
		stored, sealed int64
	}{{"result.rows", c.Rows[i], r.Rows}, {"result.bytes", c.Bytes[i], r.Bytes}, {"subject_count", c.SubjectCount[i], r.SubjectCount}} {
		if nv.stored != nv.sealed {
			diffs = append(diffs, fmt.Sprintf("%s indexed as %d, sealed as %d", nv.field, nv.stored, nv.sealed))
		}
	}
	var stored []uint32
	if b := c.Subjects(i); b != nil {
		if err := eachSubjectNum(b, func(n uint32) bool { stored = append(stored, n); return true }); err != nil {
			return "", err
		}
	}
	if !slices.Equal(stored, d.subjects) {
		diffs = append(diffs, fmt.Sprintf("subjects indexed as %d data subjects, sealed as %d (or other ones)", len(stored), len(d.subjects)))
	}
	if d.problem != "" {
		diffs = append(diffs, d.problem)
	}
	return strings.Join(diffs, "; "), nil
}

// checkBlock compares block num, as scanBlock read it into l and sc, with
// what its canonical bytes say, setting sc.errs of the records that
// disagree, and derives its term fingerprint.
func (ic *indexCheck) checkBlock(l *loaded, num uint32, m *blockMeta, sc *scanned) {
	// A record's findings are joined into one error; an unreadable record
	// keeps its own (verification treats a misindexed record as intact).
	misindexed := func(i int, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		switch err := sc.errs[i]; {
		case err == nil:
			sc.errs[i] = fmt.Errorf("%w: record %s in block %d: %s", store.ErrMisindexed, sc.recs[i].ID, num, msg)
		case errors.Is(err, store.ErrMisindexed):
			sc.errs[i] = fmt.Errorf("%w; %s", err, msg)
		}
	}
	// A finding about the whole block goes with its first record that is
	// not unreadable.
	blockMisindexed := func(format string, args ...any) {
		i := slices.IndexFunc(sc.errs, func(err error) bool { return err == nil || errors.Is(err, store.ErrMisindexed) })
		if i >= 0 {
			misindexed(i, format, args...)
		}
	}
	truths, complete, live := ic.truths(l, num, sc.errs, func(i int, d *derived, err error) {
		if err != nil {
			misindexed(i, "its sealed bytes do not parse: %v", err)
			return
		}
		if diff, err := ic.differences(l, i, d); err != nil {
			misindexed(i, "its subject set does not decode: %v", err)
		} else if diff != "" {
			misindexed(i, "%s", diff)
		}
		if t := d.rec.Time; t < m.tmin || t > m.tmax {
			misindexed(i, "its block's time range leaves it out of searches by time")
		}
	})
	if live != int(m.live) || l.head.N != int(m.n) {
		blockMisindexed("the blocks table says %d records, %d live; the block holds %d, %d live", m.n, m.live, l.head.N, live)
	}
	if !complete || live == 0 {
		return // unreadable records are reported as such; nothing live is nothing hidden
	}
	bp, err := blockTerms(truths)
	if err != nil {
		blockMisindexed("%v", err)
		return
	}
	if m.live < m.n {
		// The record ids' pairs (the first of bp.keys, one a record) are
		// exact; the other terms need only be there.
		ids := len(truths)
		idOnly := blockPairs{keys: bp.keys[:ids], counts: bp.counts[:ids]}
		ic.expect[num-1] = ic.fp.addBlock(1, &idOnly)
		keys := make([]uint64, 0, len(bp.subjects)+len(bp.keys)-ids)
		for _, n := range bp.subjects { // kind termSubject sorts before the rest
			keys = append(keys, termKey(termSubject, uint64(n)))
		}
		keys = append(keys, bp.keys[ids:]...)
		ic.mu.Lock()
		ic.partial[num] = keys
		ic.mu.Unlock()
	} else {
		ic.expect[num-1] = ic.fp.addBlock(1, &bp)
	}
	ic.checked[num-1] = true
}

// truths derives every record of block l from its canonical bytes (a
// tombstone from its id), calling each with every live record's result.
// complete is false when a record's bytes could not be read (errs set).
func (ic *indexCheck) truths(l *loaded, num uint32, errs []error, each func(i int, d *derived, err error)) (recs []block.Record, complete bool, live int) {
	recs = make([]block.Record, l.head.N)
	complete = true
	bm := roaring.New()
	for i := range l.head.N {
		if l.head.Deleted(i) {
			recs[i] = block.Record{ID: string(l.cols.ID(i)), Deleted: true}
			continue
		}
		live++
		canon, err := l.canon.Get(i)
		if err != nil || errs != nil && errs[i] != nil {
			complete = false
			continue
		}
		d, err := ic.derive(canon, bm)
		if each != nil {
			each(i, &d, err)
		}
		recs[i] = d.rec
	}
	return recs, complete, live
}

// finish compares the term index with what the blocks' records need,
// once every block has been checked, and yields what disagrees.
func (ic *indexCheck) finish(ctx context.Context, yield func(store.Stored, error) bool) bool {
	<-ic.indexDone
	if err := ctx.Err(); err != nil {
		// The scan stopped early: some blocks were not checked, and their
		// workers may still be writing.
		return yield(store.Stored{}, err)
	}
	var findings []error
	report := func(num uint32, format string, args ...any) {
		findings = append(findings, fmt.Errorf("%w: term index, block %d: %s", store.ErrMisindexed, num, fmt.Sprintf(format, args...)))
	}
	if ic.indexErr != nil {
		findings = append(findings, fmt.Errorf("%w: term index unreadable: %v", store.ErrMisindexed, ic.indexErr))
	}
	for _, num := range slices.Sorted(maps.Keys(ic.stray)) {
		report(num, "%d postings for a block that does not exist", ic.stray[num])
	}
	var differ []uint32
	for k, ok := range ic.checked {
		num := uint32(k + 1)
		if !ok {
			continue
		}
		if ic.expect[k] != ic.have[k] {
			differ = append(differ, num)
		} else if want, ok := ic.partial[num]; ok && !subset(want, ic.held[num]) {
			differ = append(differ, num)
		}
	}
	// Each block named in detail is read twice more; past maxDetailed
	// (a term index wiped or replaced) the rest are only listed.
	const maxDetailed = 64
	if len(differ) > maxDetailed {
		findings = append(findings, fmt.Errorf("%w: term index: the postings of %d more blocks (%d to %d) differ from what their records need", store.ErrMisindexed, len(differ)-maxDetailed, differ[maxDetailed], differ[len(differ)-1]))
		differ = differ[:maxDetailed]
	}
	if len(differ) > 0 && ic.indexErr == nil {
		exact, err := ic.pairsOf(ctx, differ)
		if err != nil {
			return yield(store.Stored{}, err)
		}
		for _, num := range differ {
			want, err := ic.derivedPairs(ctx, num)
			if err != nil {
				return yield(store.Stored{}, err)
			}
			m := &ic.blocks[num-1]
			for _, d := range comparePairs(want, exact[num], m.live < m.n) {
				report(num, "%s", d)
			}
		}
	}
	for _, err := range findings {
		if !yield(store.Stored{}, err) {
			return false
		}
	}
	return true
}

// subset reports whether every key of want, ascending and distinct, is in
// have (sorted here).
func subset(want, have []uint64) bool {
	slices.Sort(have)
	j := 0
	for _, k := range want {
		for j < len(have) && have[j] < k {
			j++
		}
		if j == len(have) || have[j] != k {
			return false
		}
	}
	return true
}

// pairsOf reads the term index's pairs of the given blocks, sorted.
func (ic *indexCheck) pairsOf(ctx context.Context, nums []uint32) (map[uint32][]pair, error) {
	want := map[uint32][]pair{}
	for _, n := range nums {
		want[n] = nil
	}
	err := ic.eachPair(ctx, func(p pair) {
		if ps, ok := want[p.block]; ok {
			want[p.block] = append(ps, p)
		}
	})
	return want, err
}

// derivedPairs reads block num again and derives its pairs from its
// records' canonical bytes.
func (ic *indexCheck) derivedPairs(ctx context.Context, num uint32) ([]pair, error) {
	br := ic.s.newBlockReader()
	defer br.close()
	var l loaded
	var bp blockPairs
	err := br.visit(ctx, num, partCols|partCanon, &l, func(l *loaded) error {
		recs, _, _ := ic.truths(l, num, nil, nil)
		var err error
		bp, err = blockTerms(recs)
		return err
	})
	return flatten(&bp, num), err
}

// flatten lists a block's pairs.
func flatten(bp *blockPairs, num uint32) []pair {
	out := make([]pair, 0, len(bp.keys)+len(bp.subjects))
	for i, k := range bp.keys {
		out = append(out, pair{k, num, bp.counts[i]})
	}
	for i, n := range bp.subjects {
		out = append(out, pair{termKey(termSubject, uint64(n)), num, bp.subjectCounts[i]})
	}
	return out
}

// termKinds names the term kinds in findings.
var termKinds = [...]string{
	"unknown", "record id", "data subject", "actor", "system", "action", "address", "key id", "device", "session",
}

// comparePairs says how a block's postings in the index (have) differ
// from those its records need (want), one sentence for each kind of term
// and of difference: postings missing, postings for terms none of its
// records has, wrong record counts. In a block with tombstones only
// missing postings count but for record ids: the index keeps the
// postings of its deleted records, and every record's id, deleted or not.
func comparePairs(want, have []pair, tombstones bool) []string {
	slices.SortFunc(want, cmpPair)
	slices.SortFunc(have, cmpPair)
	have = slices.CompactFunc(have, func(a, b pair) bool { return a.key == b.key })
	type tally struct {
		terms   int
		records uint32 // of the first term
	}
	var missing, extra, miscounted [len(termKinds)]tally
	kind := func(p pair) int {
		if k := p.key >> 56; k < uint64(len(termKinds)) {
			return int(k)
		}
		return 0
	}
	note := func(t *[len(termKinds)]tally, p pair) {
		k := &t[kind(p)]
		if k.terms++; k.terms == 1 {
			k.records = p.count
		}
	}
	exact := func(p pair) bool { return !tombstones || kind(p) == termID }
	i, j := 0, 0
	for i < len(want) || j < len(have) {
		switch {
		case j == len(have) || i < len(want) && want[i].key < have[j].key:
			note(&missing, want[i])
			i++
		case i == len(want) || have[j].key < want[i].key:
			if exact(have[j]) {
				note(&extra, have[j])
			}
			j++
		default:
			if exact(want[i]) && want[i].count != have[j].count {
				note(&miscounted, want[i])
			}
			i++
			j++
		}
	}
	var out []string
	for kind, name := range termKinds {
		switch m := missing[kind]; {
		case m.terms == 1:
			out = append(out, fmt.Sprintf("no posting for the %s term that %d of its records have: searches by it miss them", name, m.records))
		case m.terms > 1:
			out = append(out, fmt.Sprintf("no postings for %d %s terms its records have: searches by them miss those records", m.terms, name))
		}
		if n := extra[kind].terms; n > 0 {
			out = append(out, fmt.Sprintf("postings for %d %s terms none of its records has", n, name))
		}
		if n := miscounted[kind].terms; n > 0 {
			out = append(out, fmt.Sprintf("postings for %d %s terms count other numbers of records than the block has: counts by them are wrong", n, name))
		}
	}
	return out
}
