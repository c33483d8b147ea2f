package listen

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jikimi/jikimi/record"
)

// Defaults of a batcher.
const (
	DefaultBatchSize = 5000                 // SyslogConfig.BatchSize
	DefaultBatchWait = 5 * time.Millisecond // SyslogConfig.BatchWait
	// batchWorkers batches are prepared and submitted at once, so that one
	// batch is prepared while another is being written.
	batchWorkers = 4
	// sinkAttempts is how often a failed batch is tried before its
	// records are given up (logged as an error and counted as failed):
	// syslog has no acknowledgement to withhold.
	sinkAttempts = 5
)

// batcher groups the records of a listener's connections into batches of
// up to size records or whatever arrived within wait, and stores them
// through a Sink. add blocks while batchWorkers batches are being stored
// and the queue is full: for TCP that pushes back on the sender.
type batcher struct {
	in     chan *record.Record
	size   int
	wait   time.Duration
	sink   Sink
	lm     *listenerMetrics
	logger *slog.Logger
	wg     sync.WaitGroup
}

func newBatcher(size int, wait time.Duration, sink Sink, lm *listenerMetrics, logger *slog.Logger) *batcher {
	if size <= 0 {
		size = DefaultBatchSize
	}
	if wait <= 0 {
		wait = DefaultBatchWait
	}
	b := &batcher{in: make(chan *record.Record, 2*size), size: size, wait: wait, sink: sink, lm: lm, logger: logger}
	for range batchWorkers {
		b.wg.Add(1)
		go b.run()
	}
	return b
}

// add queues records. Not to be called after close.
func (b *batcher) add(recs []*record.Record) {
	b.lm.queued.Add(float64(len(recs)))
	for _, r := range recs {
		b.in <- r
	}
}

// close stores what is queued and returns when it is stored.
func (b *batcher) close() {
	close(b.in)
	b.wg.Wait()
}

func (b *batcher) run() {
	defer b.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	batch := make([]*record.Record, 0, b.size)
	for {
		first, ok := <-b.in
		if !ok {
			return
		}
		batch = append(batch[:0], first)
		timer.Reset(b.wait)
	gather:
		for len(batch) < b.size {
			select {
			case r, ok := <-b.in:
				if !ok {
					break gather
				}
				batch = append(batch, r)
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		b.store(batch)
		b.lm.queued.Sub(float64(len(batch)))
		clear(batch) // let the records go
	}
}

// store hands a batch to the sink, retrying a failure with backoff.
func (b *batcher) store(batch []*record.Record) {
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		res, err := b.sink(context.Background(), batch)
		if err == nil {
			b.lm.stored.Add(float64(res.Stored))
			b.lm.duplicates.Add(float64(res.Duplicates))
			b.lm.rejected.Add(float64(res.Rejected))
			return
		}
		if attempt == sinkAttempts {
			b.lm.failed.Add(float64(len(batch)))
			b.logger.Error("records lost: the pipeline did not store them", "listener", b.lm.name, "records", len(batch), "attempts", attempt, "err", err)
			return
		}
		b.logger.Warn("storing records failed; retrying", "listener", b.lm.name, "records", len(batch), "attempt", attempt, "err", err)
		time.Sleep(wait)
		wait *= 2
	}
}
