package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jikimi/jikimi/ingest"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/source"
)

// ingestChunk is how many records are prepared and submitted together.
const ingestChunk = 8000

func runIngest(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "ingest", "--format F [--system NAME] FILE... ('-' for stdin)")
	data := dataFlag(fs)
	format := fs.String("format", "jsonl", "input format: "+strings.Join(source.Formats(), ", "))
	system := fs.String("system", "", "system name, for formats that do not carry one (sshd, nginx …)")
	userField := fs.String("user-field", "", "nginx: the field that identifies the user (default remote_user)")
	quiet := fs.Bool("quiet", false, "no progress line")
	anchor := anchorFlag(fs)
	rules := fs.String("rules", "", "folder of user detection rules (YAML), besides the built-in ones")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	// A file replays history at thousands of times its pace: an alert that
	// keeps growing is re-emitted (and re-summarised) once an hour of event
	// time rather than once a minute. Its last state is stored at the end.
	a, err := openApp(ctx, e, *data, appOptions{withPipeline: true, create: true, rules: *rules, anchorDir: *anchor, reemit: time.Hour})
	if err != nil {
		return err
	}
	defer a.Close()

	opts := source.Options{System: *system, UserField: *userField, Location: kst}
	var sum ingestSummary
	prog := newProgress(e, *quiet)
	defer prog.stop()
	for _, name := range fs.Args() {
		if err := ingestFile(ctx, a, name, *format, opts, &sum, prog, e); err != nil {
			return err
		}
	}
	if _, err := a.pipe.Flush(ctx); err != nil {
		return err
	}
	prog.stop()
	fmt.Fprintf(e.stdout, "accepted %d, duplicates %d, rejected %d\n", sum.accepted.Load(), sum.duplicates.Load(), sum.rejected.Load())
	if n := sum.rejected.Load(); n > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d line(s) rejected (listed above); the other lines were stored", n)}
	}
	return nil
}

type ingestSummary struct {
	accepted, duplicates, rejected atomic.Int64
}

// chunk is a run of records on their way to the pipeline: parsed (recs)
// or, for a format whose lines parse independently, raw lines still to be
// parsed (raw, ends). prepared is closed when the records are prepared.
type chunk struct {
	raw      []byte
	ends     []int // end of each raw line in raw
	recs     []*record.Record
	lines    []int // line number of each raw line, then of each record
	out      []*ingest.Prepared
	rejects  []string
	prepared chan struct{}
}

// ingestFile reads one file and feeds it through the pipeline: parsing on
// every core when the format's lines parse independently (jsonl, nginx,
// OTLP JSON) and in this goroutine otherwise, preparation on every core,
// submission in file order so that detection sees the records as they
// were written.
func ingestFile(ctx context.Context, a *app, name, format string, opts source.Options, sum *ingestSummary, prog *progress, e *env) error {
	p, err := source.New(format, opts)
	if err != nil {
		return err
	}
	var r io.Reader = e.stdin
	display := "-"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r, display = f, name
	}

	// One chunk waiting per worker keeps them busy; more only holds memory.
	work := make(chan *chunk, runtime.GOMAXPROCS(0))
	ordered := make(chan *chunk, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr := a.pipe.NewPreparer()
			lp, _ := source.New(format, opts) // this worker's own, for raw lines
			for c := range work {
				if c.raw != nil {
					c.parse(lp, display)
				}
				for i, rec := range c.recs {
					x, err := pr.Prepare(rec)
					if err != nil {
						c.rejects = append(c.rejects, fmt.Sprintf("%s:%d: %v", display, c.lines[i], err))
						continue
					}
					c.out = append(c.out, x)
				}
				close(c.prepared)
			}
		}()
	}
	submitErr := make(chan error, 1)
	go func() {
		// Two chunks with the pipeline at once: the writer commits one
		// while the other is sealed.
		var first error
		var pending []func() (ingest.Result, error)
		settle := func() {
			res, err := pending[0]()
			pending = pending[1:]
			if err != nil {
				first = cmp.Or(first, err)
				return
			}
			sum.accepted.Add(int64(res.Accepted))
			sum.duplicates.Add(int64(res.Duplicates))
			prog.add(res.Accepted + res.Duplicates)
		}
		for c := range ordered {
			<-c.prepared
			if first != nil {
				continue
			}
			for _, msg := range c.rejects {
				fmt.Fprintln(e.stderr, msg)
				sum.rejected.Add(1)
			}
			prog.add(len(c.rejects))
			wait, err := a.pipe.Enqueue(ctx, c.out)
			if err != nil {
				first = err
				continue
			}
			if pending = append(pending, wait); len(pending) == 2 {
				settle()
			}
		}
		for len(pending) > 0 {
			settle()
		}
		submitErr <- first
	}()

	cur := &chunk{prepared: make(chan struct{})}
	size := 0
	send := func() {
		ordered <- cur
		work <- cur
		cur = &chunk{prepared: make(chan struct{})}
		size = 0
	}
	reject := func(le *source.LineError) { cur.rejects = append(cur.rejects, le.Error()) }
	var readErr error
	if source.Independent(format) {
		readErr = source.ReadLines(r, display, func(line []byte, lineNo int) error {
			if cur.raw == nil {
				cur.raw = (*rawBuffers.Get().(*[]byte))[:0]
			}
			cur.raw = append(cur.raw, line...)
			cur.ends = append(cur.ends, len(cur.raw))
			cur.lines = append(cur.lines, lineNo)
			if size++; size == ingestChunk {
				send()
			}
			return ctx.Err()
		}, reject)
	} else {
		readErr = source.Read(r, display, p, func(rec *record.Record, line int) error {
			cur.recs = append(cur.recs, rec)
			cur.lines = append(cur.lines, line)
			if size++; size == ingestChunk {
				send()
			}
			return ctx.Err()
		}, reject)
	}
	send()
	close(work)
	close(ordered)
	wg.Wait()
	if err := <-submitErr; err != nil {
		return err
	}
	if readErr != nil && !errors.Is(readErr, context.Canceled) {
		return fmt.Errorf("read %s: %w", display, readErr)
	}
	return readErr
}

// parse turns a chunk's raw lines into records with p, keeping each
// record's line number and each bad line's message in line order.
func (c *chunk) parse(p source.Parser, file string) {
	lines := c.lines
	c.lines = make([]int, 0, len(lines))
	start := 0
	emit := func(rec *record.Record, lineNo int) {
		c.recs = append(c.recs, rec)
		c.lines = append(c.lines, lineNo)
	}
	// Rejects the reader found (over-long lines) are kept, and this
	// chunk's parse errors follow them.
	for i, end := range c.ends {
		if le := source.ParseLine(p, c.raw[start:end], file, lines[i], emit); le != nil {
			c.rejects = append(c.rejects, le.Error())
		}
		start = end
	}
	raw := c.raw
	rawBuffers.Put(&raw)
	c.raw, c.ends = nil, nil
}

// rawBuffers recycles the chunks' line buffers: records hold no part of
// them once parsed (a Parser copies what it keeps: Read reuses its line
// buffer too).
var rawBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<20); return &b }}

// progress prints a running count on a terminal's stderr.
type progress struct {
	n    atomic.Int64
	done chan struct{}
	once sync.Once
}

func newProgress(e *env, quiet bool) *progress {
	p := &progress{done: make(chan struct{})}
	f, ok := e.stderr.(*os.File)
	if quiet || !ok || !isTerminal(f) {
		close(p.done)
		return p
	}
	go func() {
		start := time.Now()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				fmt.Fprint(f, "\r\033[K")
				return
			case <-t.C:
				n := p.n.Load()
				fmt.Fprintf(f, "\r%d records (%.0f/s)", n, float64(n)/time.Since(start).Seconds())
			}
		}
	}()
	return p
}

func (p *progress) add(n int) { p.n.Add(int64(n)) }

func (p *progress) stop() {
	p.once.Do(func() {
		select {
		case <-p.done:
		default:
			close(p.done)
		}
	})
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
