package collect

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/jikimi/jikimi/internal/lograte"
	"github.com/jikimi/jikimi/source"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Config.
const (
	DefaultBatchSize  = 5000
	DefaultBatchWait  = 200 * time.Millisecond
	DefaultBackoffMin = 500 * time.Millisecond
	DefaultBackoffMax = 30 * time.Second
	DefaultSenders    = 2
	DefaultPoll       = 250 * time.Millisecond
	DefaultBufferMax  = 1 << 30
	// shutdownGrace is how long batches cut at shutdown may take to reach
	// the server before they go to the disk buffer instead.
	shutdownGrace = 10 * time.Second
)

// Source is a set of files of one format.
type Source struct {
	// Name is part of every derived record id: keep it stable.
	Name    string
	Paths   []string // glob patterns
	Format  string   // a source format (source.Formats)
	Options source.Options
}

// Config configures an Agent. Server, Token, StateDir and Sources are
// required; zero values elsewhere take the defaults.
type Config struct {
	Server     string       // base URL of a jikimi serve, e.g. https://jikimi.example:8080
	Token      string       // its API token
	Client     *http.Client // nil: http.Client with a 60 s timeout
	StateDir   string       // positions and disk buffer; created if missing
	BufferMax  int64        // bytes of disk buffer; then reading stops
	BatchSize  int          // records per request
	BatchWait  time.Duration
	BackoffMin time.Duration
	BackoffMax time.Duration
	Senders    int // requests in flight
	Poll       time.Duration
	Sources    []Source
	Registry   prometheus.Registerer // nil: metrics not exported
	Logger     *slog.Logger
}

// Agent tails files and forwards their records. See the package doc.
type Agent struct {
	cfg    Config
	logger *slog.Logger
	m      *metrics
	limit  lograte.Limiter
	buf    *diskBuffer
	fwd    *forwarder
	work   chan *batch

	stateMu sync.Mutex // guards st
	st      *state
	dirty   chan struct{} // cap 1: the state changed and must be saved

	failMu sync.Mutex
	fail   error // the first fatal error (a disk error), which stops Run
	cancel context.CancelFunc
}

// batch is the unit of delivery: records of one source and the read
// positions that become committed once the server has them.
type batch struct {
	t       *tailer
	seq     uint64
	source  string
	raw     []byte // JSON lines
	records int
	pos     map[string]position
}

// New opens the state directory: committed positions and the disk buffer.
func New(cfg Config) (*Agent, error) {
	if cfg.Server == "" || cfg.Token == "" || cfg.StateDir == "" || len(cfg.Sources) == 0 {
		return nil, errors.New("collect: Server, Token, StateDir and Sources are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BufferMax <= 0 {
		cfg.BufferMax = DefaultBufferMax
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.BatchWait <= 0 {
		cfg.BatchWait = DefaultBatchWait
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = DefaultBackoffMin
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		cfg.BackoffMax = max(DefaultBackoffMax, cfg.BackoffMin)
	}
	if cfg.Senders <= 0 {
		cfg.Senders = DefaultSenders
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 60 * time.Second}
	}
	names := map[string]bool{}
	for _, s := range cfg.Sources {
		if s.Name == "" || names[s.Name] {
			return nil, fmt.Errorf("collect: source names must be set and unique (%q)", s.Name)
		}
		names[s.Name] = true
		if _, err := source.New(s.Format, s.Options); err != nil {
			return nil, fmt.Errorf("collect: source %s: %w", s.Name, err)
		}
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, logger: cfg.Logger, m: newMetrics(cfg.Registry), dirty: make(chan struct{}, 1),
		work: make(chan *batch, cfg.Senders)}
	var err error
	if a.st, err = loadState(cfg.StateDir); err != nil {
		return nil, err
	}
	if a.buf, err = openBuffer(cfg.StateDir, cfg.BufferMax, a.m, a.logger); err != nil {
		return nil, err
	}
	if a.fwd, err = newForwarder(cfg.Server, cfg.Token, cfg.Client, a.buf, cfg.BackoffMin, cfg.BackoffMax, a.m, a.logger); err != nil {
		return nil, err
	}
	return a, nil
}

// Run tails and forwards until ctx ends. Then it cuts a last batch per
// source, gives in-flight batches shutdownGrace to reach the server (or
// the disk buffer), saves the committed positions and returns. It returns
// an error only for what stops the agent: a disk error on the state
// directory.
func (a *Agent) Run(ctx context.Context) error {
	ctx, a.cancel = context.WithCancel(ctx)
	defer a.cancel()
	sendCtx, stopSending := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSending()
	context.AfterFunc(ctx, func() { time.AfterFunc(shutdownGrace, stopSending) })

	var drainWG, sendWG, tailWG, saveWG sync.WaitGroup
	drainWG.Add(1)
	go func() { defer drainWG.Done(); a.fwd.drain(ctx) }()
	for range a.cfg.Senders {
		sendWG.Add(1)
		go func() { defer sendWG.Done(); a.sender(sendCtx) }()
	}
	saveDone := make(chan struct{})
	saveWG.Add(1)
	go func() { defer saveWG.Done(); a.saver(saveDone) }()
	for _, src := range a.cfg.Sources {
		t := newTailer(a, src)
		tailWG.Add(1)
		go func() {
			defer tailWG.Done()
			if err := t.run(ctx); err != nil {
				a.fatal(err)
			}
		}()
	}
	a.logger.Info("collect started", "server", a.cfg.Server, "sources", len(a.cfg.Sources), "state_dir", a.cfg.StateDir)
	tailWG.Wait()
	close(a.work)
	sendWG.Wait()
	drainWG.Wait()
	close(saveDone)
	saveWG.Wait()
	a.failMu.Lock()
	defer a.failMu.Unlock()
	return a.fail
}

// fatal records the first fatal error and stops the agent.
func (a *Agent) fatal(err error) {
	a.failMu.Lock()
	if a.fail == nil {
		a.fail = err
		a.logger.Error("collect stopping", "err", err)
	}
	a.failMu.Unlock()
	a.cancel()
}

// send hands a batch to the senders; it blocks while they are all busy,
// which is how a full disk buffer stops reading.
func (a *Agent) send(b *batch) error {
	a.work <- b
	return nil
}

var gzipPool = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return w }}

func (a *Agent) sender(ctx context.Context) {
	var body bytes.Buffer
	for b := range a.work {
		if b.records > 0 {
			body.Reset()
			zw := gzipPool.Get().(*gzip.Writer)
			zw.Reset(&body)
			zw.Write(b.raw)
			zw.Close()
			gzipPool.Put(zw)
			if err := a.fwd.deliver(ctx, b.source, b.records, body.Bytes()); err != nil {
				// Not delivered: its positions stay uncommitted, and so do
				// those of every later batch of its source; a restart
				// reads the records again.
				if ctx.Err() == nil {
					a.fatal(err)
				}
				continue
			}
		}
		b.raw = nil
		b.t.commit.complete(b)
	}
}

// committer commits a source's batches' positions in batch order, so that
// a later batch acknowledged first never moves a position past records
// still in flight.
type committer struct {
	t    *tailer
	mu   sync.Mutex
	next uint64
	done map[uint64]*batch
}

func (c *committer) complete(b *batch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done[b.seq] = b
	for {
		x, ok := c.done[c.next]
		if !ok {
			return
		}
		delete(c.done, c.next)
		c.next++
		if len(x.pos) > 0 {
			c.t.a.apply(x.source, x.pos)
		}
	}
}

func (a *Agent) apply(src string, pos map[string]position) {
	a.stateMu.Lock()
	a.st.apply(src, pos)
	a.stateMu.Unlock()
	select {
	case a.dirty <- struct{}{}:
	default:
	}
}

// committed returns the committed position of a file.
func (a *Agent) committed(src, key string) (position, bool) {
	a.stateMu.Lock()
	defer a.stateMu.Unlock()
	p, ok := a.st.Files[src][key]
	return p, ok
}

// saver writes the state file whenever positions were committed, one
// write for however many commits happened during the previous one.
func (a *Agent) saver(done chan struct{}) {
	save := func() {
		a.stateMu.Lock()
		b, err := json.Marshal(a.st)
		a.stateMu.Unlock()
		if err == nil {
			err = writeDurable(a.cfg.StateDir, stateFile, b)
		}
		if err != nil {
			a.fatal(fmt.Errorf("collect: save positions: %w", err))
		}
	}
	for {
		select {
		case <-a.dirty:
			save()
		case <-done:
			select {
			case <-a.dirty:
				save()
			default:
			}
			return
		}
	}
}
