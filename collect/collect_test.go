package collect

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jikimi/jikimi/record"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// fakeServer is POST /api/v1/records keeping ids, which can be taken down.
type fakeServer struct {
	*httptest.Server
	down     atomic.Bool
	mu       sync.Mutex
	ids      map[string]int // how often each id was received
	requests int
	discard  bool // count only (benchmarks)
	count    atomic.Int64
}

func newFakeServer(t testing.TB) *fakeServer {
	f := &fakeServer{ids: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	if f.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if r.Header.Get("Authorization") != "Bearer tok" {
		http.Error(w, "token", http.StatusUnauthorized)
		return
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 4<<20)
	n := 0
	var ids []string
	for sc.Scan() {
		n++
		if f.discard {
			continue
		}
		rec, err := record.Parse(sc.Bytes())
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		ids = append(ids, rec.ID)
	}
	f.count.Add(int64(n))
	f.mu.Lock()
	f.requests++
	for _, id := range ids {
		f.ids[id]++
	}
	f.mu.Unlock()
	fmt.Fprintf(w, `{"accepted":%d,"duplicates":0,"rejected":[]}`, n)
}

func (f *fakeServer) snapshot() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]int, len(f.ids))
	for k, v := range f.ids {
		m[k] = v
	}
	return m
}

// waitIDs waits until n distinct ids have arrived.
func (f *fakeServer) waitIDs(t testing.TB, n int) map[string]int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := f.snapshot()
		if len(m) >= n {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d distinct records arrived, want %d", len(m), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// line is a canonical record line without an id, so collect derives one.
func line(i int) string {
	return fmt.Sprintf(`{"time":"2026-09-01T09:%02d:%02d+09:00","system":"crm","actor":{"id":"u%d"},"action":"view","subjects":["C%d"]}`+"\n", i/60%60, i%60, i, i)
}

func appendLines(t testing.TB, path string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString(line(i))
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

type running struct {
	agent  *Agent
	cancel context.CancelFunc
	done   chan error
	reg    *prometheus.Registry
	log    *logBuffer
}

func startAgent(t testing.TB, srv string, stateDir string, glob string, mod func(*Config)) *running {
	t.Helper()
	r := &running{reg: prometheus.NewRegistry(), log: &logBuffer{}, done: make(chan error, 1)}
	cfg := Config{
		Server: srv, Token: "tok", StateDir: stateDir, Poll: 20 * time.Millisecond, BatchSize: 100, BatchWait: 10 * time.Millisecond,
		BackoffMin: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
		Sources:  []Source{{Name: "app", Paths: []string{glob}, Format: "jsonl"}},
		Registry: r.reg, Logger: slog.New(slog.NewTextHandler(r.log, nil)),
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.agent = a
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- a.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *running) stop(t testing.TB) {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("agent did not stop")
	}
}

func exactlyOnce(t testing.TB, ids map[string]int, n int) {
	t.Helper()
	if len(ids) != n {
		t.Fatalf("%d distinct records, want %d", len(ids), n)
	}
	for id, c := range ids {
		if c != 1 {
			t.Errorf("record %s received %d times", id, c)
		}
	}
}

// TestRotateTruncateRestart writes, rotates (rename + new file) and
// truncates a file while it is tailed, restarts the agent in between,
// and checks every line arrives exactly once with a stable id.
func TestRotateTruncateRestart(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "app.log")
	srv := newFakeServer(t)
	state := filepath.Join(dir, "state")
	glob := filepath.Join(dir, "app.log")

	appendLines(t, logPath, 0, 250)
	r := startAgent(t, srv.URL, state, glob, nil)
	srv.waitIDs(t, 250)
	// Rotation: rename, write a few late lines to the old file (as a
	// writer does until it reopens), then a new file.
	os.Rename(logPath, logPath+".1")
	appendLines(t, logPath+".1", 250, 260)
	appendLines(t, logPath, 260, 300)
	srv.waitIDs(t, 300)
	r.stop(t)

	// Written while the agent is down: read after the restart, once.
	appendLines(t, logPath, 300, 350)
	r = startAgent(t, srv.URL, state, glob, nil)
	srv.waitIDs(t, 350)
	// Truncation (copytruncate): same inode, new content.
	if err := os.Truncate(logPath, 0); err != nil {
		t.Fatal(err)
	}
	appendLines(t, logPath, 350, 360)
	ids := srv.waitIDs(t, 360)
	r.stop(t)
	exactlyOnce(t, ids, 360)
	for id := range ids {
		if !strings.HasPrefix(id, "app:") || strings.Count(id, ":") != 2 {
			t.Fatalf("derived id %q is not source:file:offset", id)
		}
	}
	// The second run read only what was new: 50 lines, then 10 after the
	// truncation.
	if got := value(r.agent.m.parsed.WithLabelValues("app")); got != 60 {
		t.Errorf("records_parsed_total of the second run=%v, want 60", got)
	}
}

// TestOutageBuffersOnDisk takes the server down while lines are written:
// batches go to the disk buffer and positions are committed; once the
// server is back, everything arrives.
func TestOutageBuffersOnDisk(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "app.log")
	srv := newFakeServer(t)
	state := filepath.Join(dir, "state")
	appendLines(t, logPath, 0, 100)
	r := startAgent(t, srv.URL, state, logPath, nil)
	srv.waitIDs(t, 100)
	srv.down.Store(true)
	appendLines(t, logPath, 100, 1000)
	deadline := time.Now().Add(10 * time.Second)
	for value(r.agent.m.buffered.WithLabelValues("app")) < 900 {
		if time.Now().After(deadline) {
			t.Fatalf("records buffered=%v, want 900", value(r.agent.m.buffered.WithLabelValues("app")))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A restart while the server is down keeps the buffer and positions.
	r.stop(t)
	if ents, _ := os.ReadDir(filepath.Join(state, bufferDir)); len(ents) == 0 {
		t.Fatal("disk buffer is empty during the outage")
	}
	r = startAgent(t, srv.URL, state, logPath, nil)
	srv.down.Store(false)
	ids := srv.waitIDs(t, 1000)
	// A buffer file is removed once the server's answer to it is read,
	// which is a moment after the server has its records.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ents, _ := os.ReadDir(filepath.Join(state, bufferDir))
		if len(ents) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("disk buffer holds %d files after delivery", len(ents))
		}
	}
	r.stop(t)
	exactlyOnce(t, ids, 1000)
}

// TestFullBufferStopsReading fills a small disk buffer: reading stops, an
// error says so and the metric shows it; nothing is lost once the server
// returns.
func TestFullBufferStopsReading(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "app.log")
	srv := newFakeServer(t)
	srv.down.Store(true)
	const n = 20000
	appendLines(t, logPath, 0, n)
	r := startAgent(t, srv.URL, filepath.Join(dir, "state"), logPath, func(c *Config) { c.BufferMax = 64 << 10 })
	deadline := time.Now().Add(10 * time.Second)
	for value(r.agent.m.bufferFull) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("buffer_full never became 1; log:\n%s", r.log)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	read := value(r.agent.m.linesRead.WithLabelValues("app"))
	time.Sleep(300 * time.Millisecond)
	if again := value(r.agent.m.linesRead.WithLabelValues("app")); again != read || read >= n {
		t.Fatalf("lines read %v then %v of %d: reading did not stop", read, again, n)
	}
	if !strings.Contains(r.log.String(), "level=ERROR msg=\"disk buffer full: reading stopped") {
		t.Fatalf("no error about the full buffer in the log:\n%s", r.log)
	}
	srv.down.Store(false)
	ids := srv.waitIDs(t, n)
	exactlyOnce(t, ids, n)
	if got := value(r.agent.m.bufferFull); got != 0 {
		t.Errorf("buffer_full=%v after delivery, want 0", got)
	}
}

// TestBadLinesCountedNotSent checks that unparseable lines are rejected
// with their offset, and that parser ids are kept.
func TestBadLinesCountedNotSent(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "app.log")
	srv := newFakeServer(t)
	os.WriteFile(logPath, []byte(`{"id":"given","time":"2026-09-01T09:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"view"}`+"\nnot json\n"+line(7)), 0o600)
	r := startAgent(t, srv.URL, filepath.Join(dir, "state"), logPath, nil)
	ids := srv.waitIDs(t, 2)
	if ids["given"] != 1 {
		t.Errorf("ids %v lack the source's own id", ids)
	}
	if got := value(r.agent.m.rejected.WithLabelValues("app")); got != 1 {
		t.Errorf("records_rejected_total=%v, want 1", got)
	}
	if !strings.Contains(r.log.String(), "offset=") {
		t.Errorf("rejection not logged with its offset:\n%s", r.log)
	}
}

// value reads a counter or gauge.
func value(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	(<-ch).Write(&m)
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// TestHTTPS forwards over TLS, verifying the server's certificate.
func TestHTTPS(t *testing.T) {
	f := &fakeServer{ids: map[string]int{}}
	f.Server = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	defer f.Close()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "app.log")
	appendLines(t, logPath, 0, 50)
	r := startAgent(t, f.URL, filepath.Join(dir, "state"), logPath, func(c *Config) { c.Client = f.Client() })
	exactlyOnce(t, f.waitIDs(t, 50), 50)
	r.stop(t)
	if !strings.HasPrefix(f.URL, "https://") {
		t.Fatalf("server %s is not https", f.URL)
	}
}
