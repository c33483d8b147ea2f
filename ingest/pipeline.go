// Package ingest is the one path every access record takes into jikimi,
// whether it comes from `jikimi ingest`, the HTTP API or a listener:
//
//	parse → validate → normalise → enrich → PII count → pseudonymise →
//	store → seal → detect
//
// Prepare does the per-record work and may run on many goroutines. Submit
// hands prepared records to the single writer, which groups concurrent
// submissions into one transaction and commits it. The sealer, in commit
// order, seals the new records' hashes, records where, hands the new
// records to the detector (in submission order, so a replayed file gives
// the same alerts as live traffic) and only then answers: a record
// acknowledged by Submit is durable in the store and in the ledger. The
// writer commits the next batch while the sealer waits for the ledger.
//
// Alerts that detection creates or changes are stored at most once a
// second (alertsEvery), and at once by Flush and Close.
package ingest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/subject"
)

// Detector finds misuse in the stream of new records (see package detect).
// Its methods are called from the writer goroutine only.
type Detector interface {
	Process(rec *record.Record, emit func(*alert.Alert))
	Flush(emit func(*alert.Alert))
}

// Sealer appends record hashes to the tamper-evident log (see package
// ledger). Seal MUST NOT return before the hashes are durable; it returns
// the positions of the hashes, encoded for the store.
type Sealer interface {
	Seal(ctx context.Context, period string, hashes []record.Hash) (positions []byte, err error)
}

// PIIHook fills a record's personal-information counts from its payload
// and masks its detail (see package pii). It must be safe for concurrent use.
type PIIHook func(rec *record.Record)

// Config wires a pipeline. Store, Keyer and Period are required.
type Config struct {
	Store     store.Store
	Keyer     *subject.Keyer
	Directory *directory.Directory // nil: no enrichment
	PII       PIIHook              // nil: payload dropped uncounted, detail stored as is
	Detector  Detector             // nil: no detection
	Sealer    Sealer               // nil: records are stored unsealed
	Period    func(time.Time) string
	Logger    *slog.Logger
	// OnAlerts, if set, is called after each commit with the alerts it
	// created or changed (for forwarding to a webhook or syslog).
	OnAlerts func([]*alert.Alert)
}

// DefaultMaxBatch is the most records the writer puts in one transaction.
const DefaultMaxBatch = 20000

// Pipeline is a running ingest pipeline. Submit may be called concurrently.
type Pipeline struct {
	cfg    Config
	reqs   chan *request
	done   chan struct{}
	sealq  chan *committed // from the writer to the sealer, in order
	sealed chan *committed // back from the sealer: positions to record
	// detectq carries new records from the sealer to the detector, in
	// order. One job waits while another runs: enough to keep both busy,
	// and it bounds the records held for detection to two batches.
	detectq chan detectJob
	// broken is set by the sealer when a commit succeeded but its seal
	// failed: from then on every submission fails loudly until a restart
	// seals what was left (see recover).
	broken atomic.Pointer[error]
}

// Prepared is a record ready to be stored.
type Prepared struct {
	Record *record.Record // normalised: subjects are pseudonyms, payload dropped
	Entry  store.Entry
	Hash   record.Hash
}

// Result counts what a submission did.
type Result struct {
	Accepted   int // stored now
	Duplicates int // already stored (same id)
}

type request struct {
	recs  []*Prepared
	flush bool
	res   chan response
}

type response struct {
	res Result
	err error
}

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("ingest pipeline closed")

// New starts a pipeline. It first seals any records that were stored but
// not sealed before a crash.
func New(ctx context.Context, cfg Config) (*Pipeline, error) {
	if cfg.Store == nil || cfg.Keyer == nil || cfg.Period == nil {
		return nil, errors.New("ingest: Store, Keyer and Period are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &Pipeline{cfg: cfg, reqs: make(chan *request, 16), done: make(chan struct{}), sealq: make(chan *committed, 1), sealed: make(chan *committed, 4), detectq: make(chan detectJob, 1)}
	if err := p.recover(ctx); err != nil {
		return nil, err
	}
	detected := make(chan struct{})
	go p.detector(detected)
	go p.sealer()
	go func() {
		p.writer()
		<-detected // the sealer closes detectq once drained
		close(p.done)
	}()
	return p, nil
}

// recover seals what a crash left stored but unsealed.
func (p *Pipeline) recover(ctx context.Context) error {
	if p.cfg.Sealer == nil {
		return nil
	}
	batches, err := p.cfg.Store.Unsealed(ctx)
	if err != nil {
		return fmt.Errorf("find unsealed records: %w", err)
	}
	byBatch := map[int64]map[string][]byte{}
	var order []int64
	for _, b := range batches {
		hashes := make([]record.Hash, len(b.Records))
		for i, r := range b.Records {
			hashes[i] = r.Hash
		}
		pos, err := p.cfg.Sealer.Seal(ctx, b.Period, hashes)
		if err != nil {
			return fmt.Errorf("seal batch %d: %w", b.Batch, err)
		}
		if byBatch[b.Batch] == nil {
			byBatch[b.Batch] = map[string][]byte{}
			order = append(order, b.Batch)
		}
		byBatch[b.Batch][b.Period] = pos
		p.cfg.Logger.Info("sealed records left unsealed by a crash", "batch", b.Batch, "period", b.Period, "records", len(hashes))
	}
	for _, batch := range order {
		if err := p.cfg.Store.SetSeals(ctx, batch, byBatch[batch]); err != nil {
			return err
		}
	}
	return nil
}

// Submit stores, checks and seals prepared records, and returns once they
// are durable. Records whose id is already stored are counted as
// duplicates and otherwise ignored.
func (p *Pipeline) Submit(ctx context.Context, recs []*Prepared) (Result, error) {
	wait, err := p.Enqueue(ctx, recs)
	if err != nil {
		return Result{}, err
	}
	return wait()
}

// Enqueue queues prepared records for the writer as Submit does but
// returns once they are queued; wait returns what Submit would have, once
// they are durable. Records enqueued one after another are written, and
// seen by detection, in that order: a caller with more input keeps the
// writer busy with the next records while the last are being sealed.
func (p *Pipeline) Enqueue(ctx context.Context, recs []*Prepared) (wait func() (Result, error), err error) {
	req := &request{recs: recs, res: make(chan response, 1)}
	if err := p.queue(ctx, req); err != nil {
		return nil, err
	}
	return req.wait, nil
}

// Flush ends the input for detection: it returns once detection has seen
// every record submitted before it and pending windows and absence checks
// are evaluated at the latest event time, with their alerts stored.
func (p *Pipeline) Flush(ctx context.Context) (Result, error) {
	req := &request{flush: true, res: make(chan response, 1)}
	if err := p.queue(ctx, req); err != nil {
		return Result{}, err
	}
	return req.wait()
}

func (p *Pipeline) queue(ctx context.Context, req *request) error {
	select {
	case p.reqs <- req:
		return nil
	case <-p.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// wait returns the outcome of a queued request. Once queued a request is
// written even if its context ends, so the caller waits for it: it must
// not retry something it cannot know the fate of.
func (r *request) wait() (Result, error) {
	res := <-r.res
	return res.res, res.err
}

// Close stops the writer after the queued submissions are written.
func (p *Pipeline) Close() error {
	close(p.reqs)
	<-p.done
	return nil
}

// writer is the single goroutine that writes. It takes every request
// already queued (up to DefaultMaxBatch records) into one transaction,
// commits it and hands it to the sealer, then takes the next: the next
// batch is written while the last one is sealed. When the sealer is done
// with a batch, the writer records where it was sealed in its next
// transaction (or, with nothing else to write, in one of its own) and
// only then answers the batch's requests.
func (p *Pipeline) writer() {
	var ready []*committed // sealed, positions not yet recorded
	reqs, sealed := p.reqs, p.sealed
	for reqs != nil || sealed != nil {
		select {
		case req, ok := <-reqs:
			if !ok {
				reqs = nil
				close(p.sealq)
				continue
			}
			c := &committed{group: p.gather(req)}
			c.results = make([]Result, len(c.group))
			ready = append(ready, p.takeSealed()...)
			if broken := p.broken.Load(); broken != nil {
				c.err = *broken
			} else {
				p.commit(context.Background(), c, ready)
			}
			p.answer(ready, c.err)
			ready = nil
			// Hand c on, still taking what the sealer finishes meanwhile.
			for handed := false; !handed; {
				select {
				case p.sealq <- c:
					handed = true
				case d := <-sealed:
					ready = append(ready, d)
				}
			}
		case c, ok := <-sealed:
			if !ok {
				sealed = nil
				continue
			}
			ready = append(ready, c)
			if len(p.reqs) == 0 { // nothing to ride on: record them now
				p.answer(ready, p.recordSeals(context.Background(), ready))
				ready = nil
			}
		}
	}
	p.answer(ready, p.recordSeals(context.Background(), ready))
}

// gather groups req with the requests already queued behind it, up to
// DefaultMaxBatch records or a flush.
func (p *Pipeline) gather(req *request) []*request {
	group := []*request{req}
	n := len(req.recs)
	for n < DefaultMaxBatch && !group[len(group)-1].flush {
		select {
		case r, ok := <-p.reqs:
			if !ok {
				return group
			}
			group = append(group, r)
			n += len(r.recs)
		default:
			return group
		}
	}
	return group
}

// takeSealed returns the batches the sealer has finished, without waiting.
func (p *Pipeline) takeSealed() []*committed {
	var out []*committed
	for {
		select {
		case c, ok := <-p.sealed:
			if !ok {
				return out
			}
			out = append(out, c)
		default:
			return out
		}
	}
}

// answer answers the requests of sealed batches: with err when recording
// their positions failed, else with each batch's own outcome.
func (p *Pipeline) answer(batches []*committed, err error) {
	for _, c := range batches {
		for i, r := range c.group {
			r.res <- response{res: c.results[i], err: cmp.Or(c.err, err)}
		}
	}
}

// committed is a group of requests the writer committed (or failed to),
// on its way through the sealer and back.
type committed struct {
	group     []*request
	results   []Result
	fresh     []*record.Record // new records, in submission order
	batch     int64
	periods   []string // in order of first appearance
	hashes    map[string][]record.Hash
	positions map[string][]byte // where the sealer sealed them
	err       error
}

// sealer seals what the writer committed, in commit order, and passes the
// new records on to detection and the batch back to the writer, which
// records where it was sealed before answering: an acknowledged record is
// durable in the store and the ledger.
func (p *Pipeline) sealer() {
	defer close(p.detectq)
	defer close(p.sealed)
	for c := range p.sealq {
		if c.err == nil {
			c.err = p.seal(context.Background(), c)
		}
		var flushed chan error
		if c.group[len(c.group)-1].flush {
			flushed = make(chan error, 1)
		}
		if c.err == nil && (len(c.fresh) > 0 || flushed != nil) {
			p.detectq <- detectJob{recs: c.fresh, flushed: flushed}
		}
		if flushed != nil && c.err == nil {
			c.err = <-flushed
		}
		p.sealed <- c
	}
}

// detectJob is a run of newly stored records for the detector; flushed,
// when set, asks for the end-of-input evaluation and receives its outcome.
type detectJob struct {
	recs    []*record.Record
	flushed chan error
}

// alertsEvery is how often the detector stores the alerts it changed. A
// continuing misuse changes its alert with every record; storing the
// alerts of a burst once a second rather than once a batch kept the
// demo month's 1,947 alerts from being written 18,355 times. Flush and
// Close store at once.
const alertsEvery = time.Second

// detector runs detection over the records the writer stored, in order,
// and stores the alerts that changed, at most every alertsEvery.
func (p *Pipeline) detector(done chan<- struct{}) {
	defer close(done)
	var (
		failed  error // the first failure, reported at the next flush
		pending = map[string]*alert.Alert{}
		order   []string // pending ids in first-change order
		last    = time.Now()
	)
	emit := func(a *alert.Alert) {
		if _, ok := pending[a.ID]; !ok {
			order = append(order, a.ID)
		}
		cp := *a
		pending[a.ID] = &cp
	}
	store := func() {
		last = time.Now()
		if len(order) == 0 {
			return
		}
		alerts := make([]*alert.Alert, len(order))
		for i, id := range order {
			alerts[i] = pending[id]
		}
		clear(pending)
		order = order[:0]
		if err := p.storeAlerts(alerts); err != nil {
			p.cfg.Logger.Error("storing alerts failed", "alerts", len(alerts), "err", err)
			if failed == nil {
				failed = err
			}
		} else if p.cfg.OnAlerts != nil {
			p.cfg.OnAlerts(alerts)
		}
	}
	tick := time.NewTicker(alertsEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if time.Since(last) >= alertsEvery {
				store()
			}
		case job, ok := <-p.detectq:
			if !ok {
				store()
				return
			}
			if d := p.cfg.Detector; d != nil {
				for _, rec := range job.recs {
					d.Process(rec, emit)
				}
				if job.flushed != nil {
					d.Flush(emit)
				}
			}
			if job.flushed != nil || time.Since(last) >= alertsEvery {
				store()
			}
			if job.flushed != nil {
				job.flushed <- failed
				failed = nil
			}
		}
	}
}

func (p *Pipeline) storeAlerts(alerts []*alert.Alert) error {
	tx, err := p.cfg.Store.Begin(context.Background())
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.PutAlerts(alerts); err != nil {
		return err
	}
	return tx.Commit()
}

// commit writes a group of requests in one transaction, with the seal
// positions of the sealed batches, and fills in what it stored, for the
// sealer.
func (p *Pipeline) commit(ctx context.Context, c *committed, sealed []*committed) {
	n := 0
	for _, r := range c.group {
		n += len(r.recs)
	}
	entries := make([]*store.Entry, 0, n)
	for _, r := range c.group {
		for _, pr := range r.recs {
			entries = append(entries, &pr.Entry)
		}
	}
	if len(entries) == 0 {
		c.err = p.recordSeals(ctx, sealed)
		return
	}
	tx, err := p.cfg.Store.Begin(ctx)
	if err != nil {
		c.err = fmt.Errorf("begin: %w", err)
		return
	}
	defer tx.Rollback()
	if err := setSeals(tx, sealed); err != nil {
		c.err = err
		return
	}
	inserted, err := tx.Insert(entries)
	if err != nil {
		c.err = err
		return
	}
	// Seal order is the order of new entries within each period, which is
	// the order Insert gave their ordinals.
	c.hashes = map[string][]record.Hash{}
	c.fresh = make([]*record.Record, 0, len(entries))
	k := 0
	for i, r := range c.group {
		for _, pr := range r.recs {
			if !inserted[k] {
				c.results[i].Duplicates++
				k++
				continue
			}
			c.results[i].Accepted++
			k++
			c.fresh = append(c.fresh, pr.Record)
			per := pr.Entry.Period
			if _, ok := c.hashes[per]; !ok {
				c.periods = append(c.periods, per)
			}
			c.hashes[per] = append(c.hashes[per], pr.Hash)
		}
	}
	c.batch = tx.Batch()
	if err := tx.Commit(); err != nil {
		c.err = fmt.Errorf("commit: %w", err)
	}
}

// setSeals records in tx where the sealed batches went.
func setSeals(tx store.Tx, sealed []*committed) error {
	for _, s := range sealed {
		if s.err == nil && len(s.positions) > 0 {
			if err := tx.SetSeals(s.batch, s.positions); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordSeals records where the sealed batches went, in a transaction of
// its own. A failure breaks the pipeline: the batches are sealed but the
// store does not know where, which the next start sets right (recover).
func (p *Pipeline) recordSeals(ctx context.Context, sealed []*committed) error {
	if !slices.ContainsFunc(sealed, func(s *committed) bool { return s.err == nil && len(s.positions) > 0 }) {
		return nil
	}
	err := func() error {
		tx, err := p.cfg.Store.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := setSeals(tx, sealed); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		return p.breaks(fmt.Errorf("recording seal positions failed; ingest stopped until restart: %w", err))
	}
	return nil
}

// seal seals a committed batch's hashes, keeping their positions for the
// writer to record. A failure breaks the pipeline: the batch stays stored
// but unsealed, and the next start seals it (recover).
func (p *Pipeline) seal(ctx context.Context, c *committed) error {
	if p.cfg.Sealer == nil || len(c.periods) == 0 {
		return nil
	}
	c.positions = map[string][]byte{}
	for _, per := range c.periods {
		pos, err := p.cfg.Sealer.Seal(ctx, per, c.hashes[per])
		if err != nil {
			p.cfg.Logger.Error("sealing failed: stored records stay unsealed until restart", "err", err)
			return p.breaks(fmt.Errorf("sealing failed; ingest stopped until restart: %w", err))
		}
		c.positions[per] = pos
	}
	return nil
}

// breaks marks the pipeline broken with err and returns it.
func (p *Pipeline) breaks(err error) error {
	p.broken.Store(&err)
	return err
}
