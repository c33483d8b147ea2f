package pii

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"sync"
)

// Streaming sizes. A finding never spans more than streamOverlap bytes, so
// cutting a chunk that far before its end never splits one; streamContext
// bytes before a cut are kept so that labels still count.
const (
	streamChunk   = 256 << 10
	streamOverlap = 1 << 10
	streamContext = 64
)

// MaskStream copies r to w with every finding for which mask returns true
// masked by Mask, in constant memory, on every core. The input is cut into
// chunks, after a line break where possible; each is scanned with the
// streamContext bytes before it and the streamOverlap bytes after it, so
// that labels before a cut still count and a value that crosses a cut is
// masked whole; chunks are masked in parallel and written in order. mask
// is called from several goroutines at once.
func MaskStream(w io.Writer, r io.Reader, mask func(Finding) bool) error {
	workers := runtime.GOMAXPROCS(0)
	order := make(chan *maskChunk, 2*workers)
	jobs := make(chan *maskChunk, workers)
	quit := make(chan struct{})
	// On return every worker has stopped: none is still masking (or
	// calling mask) for a caller that has gone on. The reader may be in a
	// Read that blocks; it stops when that returns, before reading more.
	var wg sync.WaitGroup
	defer func() {
		close(quit)
		wg.Wait()
	}()
	go readChunks(r, order, jobs, quit)
	for range workers {
		wg.Go(func() {
			s := NewScanner()
			for {
				select {
				case c, ok := <-jobs:
					if !ok {
						return
					}
					c.mask(s, c.start, mask)
					close(c.done)
				case <-quit:
					return
				}
			}
		})
	}
	s := NewScanner()
	var emitted int64 // stream offset up to which w has the output
	for c := range order {
		<-c.done
		if c.err != nil {
			return c.err
		}
		if from := emitted - c.off; from > int64(c.start) {
			// The previous chunk masked a value that crosses into this one:
			// mask again from its end (rare: a value across a cut).
			c.mask(s, int(min(from, int64(c.end))), mask)
		}
		if _, err := w.Write(c.out); err != nil {
			return err
		}
		emitted = c.over
		maskChunks.Put(c)
	}
	return nil
}

// maskChunks recycles chunks and their buffers: at most about three per
// core are in use at once, so memory stays constant.
var maskChunks = sync.Pool{New: func() any {
	n := streamContext + streamChunk + streamOverlap
	return &maskChunk{buf: make([]byte, 0, n), out: make([]byte, 0, n)}
}}

// maskChunk is one chunk of MaskStream's input and its masked output.
type maskChunk struct {
	buf        []byte // context, body, lookahead
	off        int64  // stream offset of buf[0]
	start, end int    // the body within buf
	fs         []Finding
	out        []byte
	over       int64 // stream offset where out ends: the body's end, or past it
	err        error // reading failed; the chunk has no body
	done       chan struct{}
}

// mask masks buf[from:end] into out. A value that starts in the body and
// ends after it is masked whole, and over says so.
func (c *maskChunk) mask(s *Scanner, from int, mask func(Finding) bool) {
	c.fs = c.fs[:0]
	s.Scan(c.buf, func(f Finding) { c.fs = append(c.fs, f) })
	c.out = c.out[:0]
	last := from
	for _, f := range c.fs {
		if f.Start < last || !mask(f) {
			continue
		}
		if f.Start >= c.end {
			break
		}
		c.out = append(c.out, c.buf[last:f.Start]...)
		c.out = appendMask(c.out, f.Type, c.buf[f.Start:f.End])
		last = f.End
	}
	if last < c.end {
		c.out = append(c.out, c.buf[last:c.end]...)
	}
	c.over = c.off + int64(max(last, c.end))
}

// readChunks cuts r into chunks and hands each to the workers and, in
// input order, to the writer; a read error comes as a last chunk.
func readChunks(r io.Reader, order, jobs chan *maskChunk, quit chan struct{}) {
	defer close(order)
	defer close(jobs)
	var next []byte // bytes read past the last body: the next body's start
	var ctx []byte  // the streamContext bytes before the next body
	var off int64   // stream offset of the next body
	for eof := false; !eof; {
		c := maskChunks.Get().(*maskChunk)
		c.done, c.err = make(chan struct{}), nil
		c.buf = append(append(c.buf[:0], ctx...), next...)
		c.start = len(ctx)
		have := len(c.buf)
		c.buf = c.buf[:c.start+streamChunk+streamOverlap]
		n, err := io.ReadFull(r, c.buf[have:])
		select {
		case <-quit:
			return // the writer has stopped
		default:
		}
		c.buf = c.buf[:have+n]
		switch {
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
			eof = true
		case err != nil:
			c.err, eof = err, true
			close(c.done)
			select {
			case order <- c:
			case <-quit:
			}
			return
		}
		body := c.buf[c.start:]
		cut := len(body)
		if !eof {
			// Leave streamOverlap bytes after the cut for a value that crosses
			// it; cut after a line break in the second half if there is one.
			cut -= streamOverlap
			if nl := bytes.LastIndexByte(body[:cut], '\n'); nl >= cut/2 {
				cut = nl + 1
			}
		}
		c.end = c.start + cut
		c.off = off - int64(c.start)
		off += int64(cut)
		next = append(next[:0], body[cut:]...)
		ctx = append(ctx[:0], c.buf[max(0, c.end-streamContext):c.end]...)
		select {
		case order <- c:
		case <-quit:
			return
		}
		select {
		case jobs <- c:
		case <-quit:
			return
		}
	}
}
