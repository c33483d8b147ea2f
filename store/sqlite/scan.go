package sqlite

import (
	"context"
	"fmt"
	"iter"
	"runtime"

	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
)

// Scan yields every stored record and tombstone in seal order: blocks in
// number order (a batch's blocks are consecutive, a period's in ordinal
// order within it) and records in order within each block.
func (s *DB) Scan(ctx context.Context) iter.Seq2[store.Stored, error] {
	return s.scan(ctx, s.snapshot(), 1)
}

// scanned is one block's records as a scan worker read them. errs[i], when
// set, wraps store.ErrUnreadable for recs[i].
type scanned struct {
	recs  []store.Stored
	errs  []error
	fatal error
}

// scan yields the records of blocks from number first on. Blocks are read,
// decompressed and hashed by one worker per core, and yielded in order:
// verification is bound by this, not by the ledger.
func (s *DB) scan(ctx context.Context, blocks []blockMeta, first uint32) iter.Seq2[store.Stored, error] {
	return func(yield func(store.Stored, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		workers := runtime.GOMAXPROCS(0)
		type job struct {
			num uint32
			out chan *scanned
		}
		jobs := make(chan job)
		order := make(chan chan *scanned, 2*workers)
		go func() {
			defer close(order)
			defer close(jobs)
			for num := first; num <= uint32(len(blocks)); num++ {
				j := job{num, make(chan *scanned, 1)}
				select {
				case order <- j.out:
				case <-ctx.Done():
					return
				}
				select {
				case jobs <- j:
				case <-ctx.Done():
					return
				}
			}
		}()
		for range workers {
			go func() {
				br := s.newBlockReader()
				defer br.close()
				var l loaded
				for j := range jobs {
					j.out <- s.scanBlock(ctx, br, &l, j.num, &blocks[j.num-1])
				}
			}()
		}
		for out := range order {
			var sc *scanned
			select {
			case sc = <-out:
			case <-ctx.Done():
				yield(store.Stored{}, ctx.Err())
				return
			}
			if sc.fatal != nil {
				yield(store.Stored{}, sc.fatal)
				return
			}
			for i, r := range sc.recs {
				if !yield(r, sc.errs[i]) {
					return
				}
			}
		}
	}
}

// scanBlock reads one block for scan. A block that cannot be read at all
// yields one unreadable entry carrying its first seal position; records
// whose bytes cannot be read yield theirs with id and position.
func (s *DB) scanBlock(ctx context.Context, br *blockReader, l *loaded, num uint32, m *blockMeta) *scanned {
	if m.n == 0 {
		err := fmt.Errorf("%w: block %d is missing from the blocks table", store.ErrUnreadable, num)
		return &scanned{recs: []store.Stored{{}}, errs: []error{err}}
	}
	period := s.periodName(m.period)
	seal := func(i int) store.SealRef {
		return store.SealRef{Batch: m.batch, Period: period, Ord: int(m.firstOrd) + i}
	}
	if err := br.read(ctx, num, partCols|partCanon, l); err != nil {
		if ctx.Err() != nil {
			return &scanned{fatal: ctx.Err()}
		}
		err = fmt.Errorf("%w: block %d (batch %d, period %s, ordinals %d to %d): %v", store.ErrUnreadable, num, m.batch, period, m.firstOrd, int(m.firstOrd)+int(m.n)-1, err)
		return &scanned{recs: []store.Stored{{Seal: seal(0)}}, errs: []error{err}}
	}
	sc := &scanned{recs: make([]store.Stored, l.head.N), errs: make([]error, l.head.N)}
	for i := range l.head.N {
		r := &sc.recs[i]
		r.Seq, r.ID, r.Seal = seqOf(num, i), string(l.cols.ID(i)), seal(i)
		if l.head.Deleted(i) {
			r.Deleted = true
			r.Hash, _, _ = l.cols.Tombstone(i)
			continue
		}
		canon, err := l.canon.Get(i)
		if err != nil {
			sc.errs[i] = fmt.Errorf("%w: record %s in block %d: %v", store.ErrUnreadable, r.ID, num, err)
			continue
		}
		r.Hash = record.HashOf(canon)
	}
	return sc
}
