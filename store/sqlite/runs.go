package sqlite

import (
	"container/heap"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/jikimi/jikimi/store/block"
)

// A run is an immutable sorted list of (term key, block) pairs, stored as
// chunks of up to chunkPairs pairs (rows of term_chunks keyed run<<24 |
// chunk). Its fences (each chunk's first key) and its Bloom filter over
// record-id keys are kept in memory, so a lookup reads only the chunks that
// can hold the key.

const (
	chunkPairs = 4096
	maxChunks  = 1 << 24
)

type pair struct {
	key   uint64
	block uint32
	count uint32 // records of the block with the term
}

func cmpPair(a, b pair) int {
	switch {
	case a.key < b.key:
		return -1
	case a.key > b.key:
		return 1
	}
	return int(int64(a.block) - int64(b.block))
}

// sortPairs sorts pairs by key, keeping the order of pairs with equal
// keys: the tail is in block order, so the result is in (key, block)
// order. A stable radix sort of 16-bit digits, skipping digits all keys
// share: a tail of a million pairs sorts in milliseconds, where a
// comparison sort took a third of a second.
func sortPairs(ps []pair) {
	buf := make([]pair, len(ps))
	src, dst := ps, buf
	var count [1 << 16]int
	for shift := uint(0); shift < 64; shift += 16 {
		clear(count[:])
		for _, p := range src {
			count[p.key>>shift&0xffff]++
		}
		if count[src[0].key>>shift&0xffff] == len(src) {
			continue // every key has this digit
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, p := range src {
			d := p.key >> shift & 0xffff
			dst[count[d]] = p
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &ps[0] {
		copy(ps, src)
	}
}

type run struct {
	id     int64
	level  int
	pairs  int64
	ids    int64 // record-id keys among the pairs (what the bloom holds)
	fences []uint64
	bloom  *bloom
}

func chunkID(run int64, chunk int) int64 { return run<<24 | int64(chunk) }

// appendChunk encodes sorted pairs: their count, then for each the key's
// delta from the previous key, the block (its delta from the previous
// block when the key repeats) and the pair's record count.
func appendChunk(dst []byte, ps []pair) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(ps)))
	var prev pair
	for i, p := range ps {
		if i == 0 {
			dst = binary.AppendUvarint(dst, p.key)
			dst = binary.AppendUvarint(dst, uint64(p.block))
		} else if p.key == prev.key {
			dst = binary.AppendUvarint(dst, 0)
			dst = binary.AppendUvarint(dst, uint64(p.block-prev.block))
		} else {
			dst = binary.AppendUvarint(dst, p.key-prev.key)
			dst = binary.AppendUvarint(dst, uint64(p.block))
		}
		dst = binary.AppendUvarint(dst, uint64(p.count))
		prev = p
	}
	return dst
}

var errBadChunk = errors.New("term index: corrupt chunk")

// decodeChunk appends a chunk's pairs to dst.
func decodeChunk(dst []pair, data []byte) ([]pair, error) {
	n, k := binary.Uvarint(data)
	if k <= 0 || n > chunkPairs {
		return dst, errBadChunk
	}
	data = data[k:]
	var prev pair
	for i := range int(n) {
		d, k1 := binary.Uvarint(data)
		if k1 <= 0 {
			return dst, errBadChunk
		}
		b, k2 := binary.Uvarint(data[k1:])
		if k2 <= 0 || b > 1<<32-1 {
			return dst, errBadChunk
		}
		c, k3 := binary.Uvarint(data[k1+k2:])
		if k3 <= 0 || c > block.MaxRecords {
			return dst, errBadChunk
		}
		data = data[k1+k2+k3:]
		p := pair{key: d, block: uint32(b), count: uint32(c)}
		if i > 0 {
			p.key = prev.key + d
			if d == 0 {
				p.block = prev.block + uint32(b)
			}
		}
		dst = append(dst, p)
		prev = p
	}
	if len(data) != 0 {
		return dst, errBadChunk
	}
	return dst, nil
}

// chunkSpan returns the chunks of r that can hold key: from the last one
// starting below key (the key may continue from it) through the last one
// starting at key. ok is false when key is below every chunk.
func (r *run) chunkSpan(key uint64) (lo, hi int, ok bool) {
	hi, _ = slices.BinarySearchFunc(r.fences, key, func(f, k uint64) int {
		if f <= k {
			return -1
		}
		return 1
	})
	hi-- // last fence <= key
	if hi < 0 {
		return 0, 0, false
	}
	lo, _ = slices.BinarySearch(r.fences, key)
	return max(0, min(lo-1, hi)), hi, true
}

// runWriter turns sorted pairs into chunk rows, handing each full set of
// rows to write.
type runWriter struct {
	r     *run
	buf   []pair
	rows  []chunkRow
	write func([]chunkRow) error
}

type chunkRow struct {
	id   int64
	data []byte
}

func newRunWriter(id int64, level int, ids int64, write func([]chunkRow) error) *runWriter {
	return &runWriter{r: &run{id: id, level: level, bloom: newBloom(int(ids))}, write: write, buf: make([]pair, 0, chunkPairs)}
}

// add appends the next pair, in ascending order.
func (w *runWriter) add(p pair) error {
	if len(w.buf) == chunkPairs {
		if err := w.closeChunk(); err != nil {
			return err
		}
	}
	w.buf = append(w.buf, p)
	w.r.pairs++
	if p.key>>56 == termID {
		w.r.ids++
		w.r.bloom.add(p.key)
	}
	return nil
}

func (w *runWriter) closeChunk() error {
	if len(w.buf) == 0 {
		return nil
	}
	if len(w.r.fences) == maxChunks {
		return errors.New("term index: run too large")
	}
	w.rows = append(w.rows, chunkRow{id: chunkID(w.r.id, len(w.r.fences)), data: appendChunk(nil, w.buf)})
	w.r.fences = append(w.r.fences, w.buf[0].key)
	w.buf = w.buf[:0]
	if len(w.rows) >= 64 {
		return w.flush()
	}
	return nil
}

func (w *runWriter) flush() error {
	if len(w.rows) == 0 {
		return nil
	}
	err := w.write(w.rows)
	w.rows = w.rows[:0]
	return err
}

// finish writes what is left and returns the run.
func (w *runWriter) finish() (*run, error) {
	if err := w.closeChunk(); err != nil {
		return nil, err
	}
	return w.r, w.flush()
}

func insertChunks(ctx context.Context, tx *sql.Tx, rows []chunkRow) error {
	st, err := tx.PrepareContext(ctx, `INSERT INTO term_chunks (id, data) VALUES (?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r.id, r.data); err != nil {
			return fmt.Errorf("term index: write chunk: %w", err)
		}
	}
	return nil
}

func insertRun(ctx context.Context, tx *sql.Tx, r *run) error {
	fences := make([]byte, 0, 8*len(r.fences))
	for _, f := range r.fences {
		fences = binary.BigEndian.AppendUint64(fences, f)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO term_runs (run, level, pairs, ids, fences, bloom) VALUES (?, ?, ?, ?, ?, ?)`,
		r.id, r.level, r.pairs, r.ids, fences, r.bloom.marshal())
	return err
}

// runIter streams a run's pairs from the database, one chunk read at a
// time (a merge reads many runs at once; open cursors would hold as many
// connections).
type runIter struct {
	s     *DB
	ctx   context.Context
	r     *run
	chunk int
	buf   []pair
	i     int
	err   error
}

func (s *DB) iterRun(ctx context.Context, r *run) *runIter {
	it := &runIter{s: s, ctx: ctx, r: r, chunk: -1, i: -1}
	it.next()
	return it
}

// next advances to the following pair; cur is valid while done is false.
func (it *runIter) next() {
	it.i++
	for it.err == nil && it.i >= len(it.buf) {
		it.chunk++
		it.buf, it.i = it.buf[:0], 0
		if it.chunk >= len(it.r.fences) {
			return
		}
		var data []byte
		if it.err = it.s.db.QueryRowContext(it.ctx, `SELECT data FROM term_chunks WHERE id = ?`, chunkID(it.r.id, it.chunk)).Scan(&data); it.err != nil {
			it.err = fmt.Errorf("term index: run %d chunk %d: %w", it.r.id, it.chunk, it.err)
			return
		}
		it.buf, it.err = decodeChunk(it.buf, data)
	}
}

func (it *runIter) done() bool { return it.err != nil || it.i >= len(it.buf) }
func (it *runIter) cur() pair  { return it.buf[it.i] }

// mergeHeap orders run iterators by their current pair.
type mergeHeap []*runIter

func (h mergeHeap) Len() int           { return len(h) }
func (h mergeHeap) Less(i, j int) bool { return cmpPair(h[i].cur(), h[j].cur()) < 0 }
func (h mergeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)        { *h = append(*h, x.(*runIter)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// mergeRuns streams the union of runs, in order, into w.
func (s *DB) mergeRuns(ctx context.Context, runs []*run, w *runWriter) error {
	var h mergeHeap
	for _, r := range runs {
		it := s.iterRun(ctx, r)
		if it.err != nil {
			return it.err
		}
		if !it.done() {
			h = append(h, it)
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		it := h[0]
		if err := w.add(it.cur()); err != nil {
			return err
		}
		it.next()
		switch {
		case it.err != nil:
			return it.err
		case it.done():
			heap.Pop(&h)
		default:
			heap.Fix(&h, 0)
		}
	}
	return nil
}
