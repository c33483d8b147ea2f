package sqlite

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"sync"

	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
)

// Scan yields every stored record and tombstone in seal order: blocks in
// number order (a batch's blocks are consecutive, a period's in ordinal
// order within it) and records in order within each block.
func (s *DB) Scan(ctx context.Context, o store.ScanOptions) iter.Seq2[store.Stored, error] {
	blocks := s.snapshot()
	if !o.Index {
		return s.scan(ctx, blocks, 1, nil)
	}
	return func(yield func(store.Stored, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ic, err := s.newIndexCheck(ctx, blocks)
		if err != nil {
			yield(store.Stored{}, err)
			return
		}
		defer func() {
			// A caller that stops early must not leave the index being read,
			// holding a connection and a read transaction.
			cancel()
			<-ic.indexDone
		}()
		for r, err := range s.scan(ctx, blocks, 1, ic) {
			if !yield(r, err) {
				return
			}
		}
		ic.finish(ctx, yield)
	}
}

// scanned is one block's records as a scan worker read them. errs[i], when
// set, wraps store.ErrUnreadable for recs[i]. Its slices are recycled once
// yielded (scannedPool): verification scans every record.
type scanned struct {
	recs  []store.Stored
	errs  []error
	fatal error
}

var scannedPool = sync.Pool{New: func() any { return new(scanned) }}

// scan yields the records of blocks from number first on. Blocks are read,
// decompressed, hashed and, with ic, checked against the index by one
// worker per core, and yielded in order: verification is bound by this,
// not by the ledger.
func (s *DB) scan(ctx context.Context, blocks []blockMeta, first uint32, ic *indexCheck) iter.Seq2[store.Stored, error] {
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
					sc := scannedPool.Get().(*scanned)
					s.scanBlock(ctx, br, &l, j.num, &blocks[j.num-1], sc, ic)
					j.out <- sc
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
			scannedPool.Put(sc)
		}
	}
}

// scanBlock reads one block for scan into sc. A block that cannot be read
// at all yields one unreadable entry carrying its first seal position;
// records whose bytes cannot be read yield theirs with id and position.
func (s *DB) scanBlock(ctx context.Context, br *blockReader, l *loaded, num uint32, m *blockMeta, sc *scanned, ic *indexCheck) {
	sc.recs, sc.errs, sc.fatal = sc.recs[:0], sc.errs[:0], nil
	if m.n == 0 {
		err := fmt.Errorf("%w: block %d is missing from the blocks table", store.ErrUnreadable, num)
		sc.recs, sc.errs = append(sc.recs, store.Stored{}), append(sc.errs, err)
		return
	}
	period := s.periodName(m.period)
	seal := func(i int) store.SealRef {
		return store.SealRef{Batch: m.batch, Period: period, Ord: int(m.firstOrd) + i}
	}
	err := br.visit(ctx, num, partCols|partCanon, l, func(l *loaded) error {
		ids := string(l.cols.IDColumn()) // one string for the block's ids
		for i := range l.head.N {
			r := store.Stored{Seq: seqOf(num, i), ID: ids[l.cols.IDStart(i):l.cols.IDStart(i+1)], Seal: seal(i)}
			var rerr error
			if l.head.Deleted(i) {
				r.Deleted = true
				r.Hash, _, _ = l.cols.Tombstone(i)
			} else if canon, err := l.canon.Get(i); err != nil {
				rerr = fmt.Errorf("%w: record %s in block %d: %v", store.ErrUnreadable, r.ID, num, err)
			} else {
				r.Hash = record.HashOf(canon)
			}
			sc.recs, sc.errs = append(sc.recs, r), append(sc.errs, rerr)
		}
		if ic != nil {
			ic.checkBlock(l, num, m, sc)
		}
		return nil
	})
	if err != nil {
		sc.recs, sc.errs = sc.recs[:0], sc.errs[:0]
		if ctx.Err() != nil {
			sc.fatal = ctx.Err()
			return
		}
		err = fmt.Errorf("%w: block %d (batch %d, period %s, ordinals %d to %d): %v", store.ErrUnreadable, num, m.batch, period, m.firstOrd, int(m.firstOrd)+int(m.n)-1, err)
		sc.recs, sc.errs = append(sc.recs, store.Stored{Seal: seal(0)}), append(sc.errs, err)
	}
}
