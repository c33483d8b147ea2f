package listen

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/jikimi/jikimi/ingest"
	"github.com/jikimi/jikimi/record"
)

// Sink stores a batch of records. It MUST NOT return a nil error before
// every record it did not reject is durable: a listener answers (OTLP) or
// forgets (syslog) a record on that promise. Records it cannot accept it
// counts in Result.Rejected with the first reason in Result.Reason. It may
// be called concurrently and may change the records, but must not keep
// the slice after it returns.
type Sink func(ctx context.Context, recs []*record.Record) (SinkResult, error)

// SinkResult counts what a Sink did with a batch.
type SinkResult struct {
	Stored     int    // durable now
	Duplicates int    // already stored (same id)
	Rejected   int    // invalid, not stored
	Reason     string // why the first rejected record was rejected
}

// PipelineSink is the Sink of an ingest pipeline: each batch is prepared
// (on the caller's goroutine) and submitted, and Submit returns only once
// the records are durable.
func PipelineSink(p *ingest.Pipeline, logger *slog.Logger) Sink {
	if logger == nil {
		logger = slog.Default()
	}
	pool := sync.Pool{New: func() any { return p.NewPreparer() }}
	return func(ctx context.Context, recs []*record.Record) (SinkResult, error) {
		var res SinkResult
		pr := pool.Get().(*ingest.Preparer)
		batch := make([]*ingest.Prepared, 0, len(recs))
		for _, rec := range recs {
			x, err := pr.Prepare(rec)
			if err != nil {
				var fe *record.FieldError
				if errors.As(err, &fe) {
					err = errors.New(fe.Field + ": " + fe.Reason)
				}
				if res.Rejected == 0 {
					res.Reason = err.Error()
				}
				res.Rejected++
				logger.Warn("record rejected", "system", rec.System, "id", rec.ID, "err", err)
				continue
			}
			batch = append(batch, x)
		}
		pool.Put(pr)
		if len(batch) == 0 {
			return res, nil
		}
		r, err := p.Submit(ctx, batch)
		if err != nil {
			return res, err
		}
		res.Stored, res.Duplicates = r.Accepted, r.Duplicates
		return res, nil
	}
}
