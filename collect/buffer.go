package collect

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// bufferDir is the disk buffer's folder in Config.StateDir.
const bufferDir = "buffer"

// buffered is one batch in the disk buffer: a file
// "<seq>-<records>-<source>.jsonl.gz" holding the gzip request body.
type buffered struct {
	seq     uint64
	records int
	source  string
	size    int64
	path    string
}

// diskBuffer keeps batches the server could not take, durably and in
// order, within a bound. put blocks while the bound is reached: the
// agent then stops reading rather than dropping anything.
type diskBuffer struct {
	dir    string
	max    int64
	logger *slog.Logger
	m      *metrics

	mu      sync.Mutex // guards all below
	cond    *sync.Cond // signalled when a batch is added or removed
	batches []buffered // oldest first
	size    int64
	next    uint64
	full    bool // put is waiting for room (logged once per episode)
}

func openBuffer(stateDir string, maxBytes int64, m *metrics, logger *slog.Logger) (*diskBuffer, error) {
	dir := filepath.Join(stateDir, bufferDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	b := &diskBuffer{dir: dir, max: maxBytes, logger: logger, m: m, next: 1}
	b.cond = sync.NewCond(&b.mu)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		name := e.Name()
		if strings.Contains(name, ".tmp") {
			os.Remove(filepath.Join(dir, name)) // a put cut short by a crash: its batch was not committed
			continue
		}
		parts := strings.SplitN(strings.TrimSuffix(name, ".jsonl.gz"), "-", 3)
		if len(parts) != 3 || !strings.HasSuffix(name, ".jsonl.gz") {
			continue
		}
		seq, err1 := strconv.ParseUint(parts[0], 10, 64)
		n, err2 := strconv.Atoi(parts[1])
		info, err3 := e.Info()
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		b.batches = append(b.batches, buffered{seq: seq, records: n, source: parts[2], size: info.Size(), path: filepath.Join(dir, name)})
		b.size += info.Size()
		b.next = max(b.next, seq+1)
	}
	slices.SortFunc(b.batches, func(x, y buffered) int { return cmp.Compare(x.seq, y.seq) })
	b.gauges()
	if len(b.batches) > 0 {
		logger.Info("disk buffer holds batches from before the restart; delivering them first", "batches", len(b.batches), "bytes", b.size)
	}
	return b, nil
}

// gauges updates the buffer metrics. b.mu must be held.
func (b *diskBuffer) gauges() {
	b.m.bufferBytes.Set(float64(b.size))
	b.m.bufferBatches.Set(float64(len(b.batches)))
	full := 0.0
	if b.full {
		full = 1
	}
	b.m.bufferFull.Set(full)
}

// len returns how many batches are buffered.
func (b *diskBuffer) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.batches)
}

// put writes a batch durably. While the buffer is full it waits (logging
// an error once), until room is made or ctx ends.
func (b *diskBuffer) put(ctx context.Context, src string, records int, body []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { b.mu.Lock(); b.cond.Broadcast(); b.mu.Unlock() })
	defer stop()
	for b.size > 0 && b.size+int64(len(body)) > b.max {
		if !b.full {
			b.full = true
			b.gauges()
			b.logger.Error("disk buffer full: reading stopped until the server takes the buffered records; nothing is dropped",
				"buffer_bytes", b.size, "max_bytes", b.max, "batches", len(b.batches), "dir", b.dir)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b.cond.Wait()
	}
	if b.full {
		b.full = false
		b.logger.Info("disk buffer has room again: reading resumed", "buffer_bytes", b.size)
	}
	seq := b.next
	b.next++
	name := fmt.Sprintf("%020d-%d-%s.jsonl.gz", seq, records, src)
	// Written under the lock so that the files appear in sequence order.
	if err := writeDurable(b.dir, name, body); err != nil {
		return fmt.Errorf("collect: write disk buffer: %w", err)
	}
	b.batches = append(b.batches, buffered{seq: seq, records: records, source: src, size: int64(len(body)), path: filepath.Join(b.dir, name)})
	b.size += int64(len(body))
	b.m.buffered.WithLabelValues(src).Add(float64(records))
	b.gauges()
	b.cond.Broadcast()
	return nil
}

// oldest waits for a buffered batch and returns it, or false when ctx ends.
func (b *diskBuffer) oldest(ctx context.Context) (buffered, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { b.mu.Lock(); b.cond.Broadcast(); b.mu.Unlock() })
	defer stop()
	for len(b.batches) == 0 {
		if ctx.Err() != nil {
			return buffered{}, false
		}
		b.cond.Wait()
	}
	return b.batches[0], true
}

// remove deletes the oldest batch once the server has it.
func (b *diskBuffer) remove(x buffered) error {
	if err := os.Remove(x.path); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batches = b.batches[1:]
	b.size -= x.size
	b.gauges()
	b.cond.Broadcast()
	return nil
}
