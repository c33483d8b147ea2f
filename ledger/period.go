package ledger

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/jikimi/jikimi/record"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
)

// periodLog is the Tessera log of one period and the group commit in front
// of it.
type periodLog struct {
	l       *Ledger
	period  string
	dir     string
	perLeaf int

	add      tessera.AddFn
	shutdown func(context.Context) error
	reader   tessera.LogReader
	cancel   context.CancelFunc // stops Tessera's and our background work
	bgCtx    context.Context
	anchorWG sync.WaitGroup

	// inflight bounds the groups handed to Tessera and not yet resolved.
	inflight chan struct{}

	mu       sync.Mutex
	pending  *sealGroup // hashes waiting for the next flush; guarded by mu
	flushing bool       // a flush loop is running; guarded by mu

	anchorMu     sync.Mutex
	anchoredSize uint64 // largest size anchored by this process; guarded by anchorMu
	anchored     bool   // guarded by anchorMu
}

// sealGroup is the hashes of the Seal calls that are flushed together.
type sealGroup struct {
	hashes []record.Hash
	done   chan struct{}
	leaves []uint64 // leaf index of each chunk of perLeaf hashes; valid after done
	err    error
}

// openPeriod starts the Tessera appender of period. Must be called with
// l.mu held (read or write) so the key set is stable.
func (l *Ledger) openPeriod(period string) (*periodLog, error) {
	dir := filepath.Join(l.o.Dir, period)
	ctx, cancel := context.WithCancel(context.Background())
	driver, err := posix.New(ctx, posix.Config{Path: dir})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("ledger: open %s: %w", period, err)
	}
	primary, extra := l.signers(l.Origin(period), time.Now())
	others := make([]note.Signer, len(extra))
	for i, s := range extra {
		others[i] = s
	}
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(primary, others...).
		WithBatching(batchMaxLeaves, l.o.BatchMaxAge).
		WithCheckpointInterval(l.o.CheckpointInterval).
		// An idle period keeps its last checkpoint rather than re-signing
		// the same size forever; no antispam: record ids already dedupe.
		WithCheckpointRepublishInterval(0).
		WithPushback(1 << 20)
	app, shutdown, reader, err := tessera.NewAppender(ctx, driver, opts)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("ledger: open %s: %w", period, err)
	}
	pl := &periodLog{
		l: l, period: period, dir: dir, perLeaf: l.o.HashesPerLeaf,
		add: app.Add, shutdown: shutdown, reader: reader, cancel: cancel, bgCtx: ctx,
		inflight: make(chan struct{}, sealsInFlight),
	}
	if l.o.Anchor != nil {
		pl.anchorWG.Add(1)
		go pl.anchorLoop(ctx)
	}
	return pl, nil
}

// seal adds hashes to the pending group and waits for it to be sealed.
func (pl *periodLog) seal(ctx context.Context, hashes []record.Hash) ([]Position, error) {
	pl.mu.Lock()
	g := pl.pending
	if g == nil {
		g = &sealGroup{done: make(chan struct{})}
		pl.pending = g
	}
	start := len(g.hashes)
	g.hashes = append(g.hashes, hashes...)
	if !pl.flushing {
		pl.flushing = true
		go pl.flushLoop()
	}
	pl.mu.Unlock()

	select {
	case <-g.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if g.err != nil {
		return nil, fmt.Errorf("ledger: seal %s: %w", pl.period, g.err)
	}
	pos := make([]Position, len(hashes))
	for i := range hashes {
		off := start + i
		pos[i] = Position{Period: pl.period, Leaf: g.leaves[off/pl.perLeaf], Slot: uint16(off % pl.perLeaf)}
	}
	return pos, nil
}

// flushLoop hands pending groups to Tessera, at most sealsInFlight at once,
// until nothing is pending. Seal calls that arrive while groups are in
// flight accumulate into the next group, so leaves stay full under load
// without a fixed delay when idle.
func (pl *periodLog) flushLoop() {
	for {
		pl.inflight <- struct{}{}
		pl.mu.Lock()
		g := pl.pending
		pl.pending = nil
		if g == nil {
			pl.flushing = false
			pl.mu.Unlock()
			<-pl.inflight
			return
		}
		pl.mu.Unlock()

		n := (len(g.hashes) + pl.perLeaf - 1) / pl.perLeaf
		futures := make([]tessera.IndexFuture, n)
		for i := range n {
			chunk := g.hashes[i*pl.perLeaf : min((i+1)*pl.perLeaf, len(g.hashes))]
			data := make([]byte, 0, len(chunk)*len(record.Hash{}))
			for _, h := range chunk {
				data = append(data, h[:]...)
			}
			futures[i] = pl.add(pl.bgCtx, tessera.NewEntry(data))
		}
		go func() {
			defer func() { <-pl.inflight }()
			// Indices within a Tessera batch are not call order: take
			// each leaf's own.
			leaves := make([]uint64, n)
			for i, f := range futures {
				idx, err := f()
				if err != nil {
					g.err = err
					break
				}
				leaves[i] = idx.Index
			}
			g.leaves = leaves
			close(g.done)
		}()
	}
}

// anchorLoop anchors the latest checkpoint every AnchorInterval.
func (pl *periodLog) anchorLoop(ctx context.Context) {
	defer pl.anchorWG.Done()
	t := time.NewTicker(pl.l.o.AnchorInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := pl.anchorLatest(ctx); err != nil {
			pl.l.o.Logger.WarnContext(ctx, "ledger: anchoring failed", slog.String("period", pl.period), slog.Any("error", err))
		}
	}
}

// anchorLatest anchors the published checkpoint if it is larger than the
// last one anchored.
func (pl *periodLog) anchorLatest(ctx context.Context) error {
	a := pl.l.o.Anchor
	if a == nil {
		return nil
	}
	raw, err := pl.reader.ReadCheckpoint(ctx)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	cp, err := parseCheckpoint(raw)
	if err != nil {
		return err
	}
	pl.anchorMu.Lock()
	defer pl.anchorMu.Unlock()
	if pl.anchored && cp.Size <= pl.anchoredSize {
		return nil
	}
	// An existing name means this size was anchored before (by an
	// earlier run): the verifier compares the roots.
	if err := a.Put(ctx, anchorCheckpointName(pl.period, cp.Size), raw); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	pl.anchored, pl.anchoredSize = true, cp.Size
	return nil
}

// close waits for every sealed leaf to be covered by a published checkpoint,
// anchors it and stops the log.
func (pl *periodLog) close(ctx context.Context) error {
	// Drain the group commit: no Seal is running (the caller holds l.mu for
	// writing), so once the in-flight slots are all free nothing is pending.
	for range sealsInFlight {
		pl.inflight <- struct{}{}
	}
	err := pl.shutdown(ctx)
	if err == nil {
		err = pl.waitPublished(ctx)
	}
	if err == nil {
		err = pl.anchorLatest(ctx)
	}
	pl.cancel()
	pl.anchorWG.Wait()
	if err != nil {
		return fmt.Errorf("ledger: close %s: %w", pl.period, err)
	}
	return nil
}

// waitPublished waits until the published checkpoint covers every integrated
// leaf, including leaves integrated by an earlier run that crashed before
// publishing (Tessera's shutdown only waits for this run's own leaves).
func (pl *periodLog) waitPublished(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, tessera.DefaultShutdownTimeout)
	defer cancel()
	for {
		want, err := pl.reader.IntegratedSize(ctx)
		if err != nil {
			return err
		}
		raw, err := pl.reader.ReadCheckpoint(ctx)
		if err == nil {
			if cp, err := parseCheckpoint(raw); err == nil && cp.Size >= want {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for checkpoint of size %d: %w", want, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
