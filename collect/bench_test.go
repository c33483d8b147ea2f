package collect

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchFile writes n distinct record lines without ids.
func benchFile(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := range n {
		fmt.Fprintf(w, `{"time":"2026-09-01T%02d:%02d:%02d+09:00","system":"billing","actor":{"id":"u%d"},"action":"view","origin":{"ip":"10.1.%d.%d"},"target":{"object":"customers","kind":"table"},"subjects":["C%d"]}`+"\n",
			i/3600%24, i/60%60, i%60, i%500, i/256%256, i%256, i)
	}
	w.Flush()
	f.Close()
	return path
}

// runBench tails a file of b.N lines into server and waits until done()
// reports them all.
func runBench(b *testing.B, server, token string, done func() int64) {
	path := benchFile(b, b.N)
	a, err := New(Config{Server: server, Token: token, StateDir: b.TempDir(), Poll: 10 * time.Millisecond,
		Sources: []Source{{Name: "bench", Paths: []string{path}, Format: "jsonl"}}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	b.ResetTimer()
	go func() { errc <- a.Run(ctx) }()
	for done() < int64(b.N) {
		time.Sleep(2 * time.Millisecond)
	}
	b.StopTimer()
	cancel()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkForward is the agent alone: read, parse, derive ids, encode,
// gzip and POST; the server decompresses and counts lines, nothing more.
func BenchmarkForward(b *testing.B) {
	srv := newFakeServer(b)
	srv.discard = true
	runBench(b, srv.URL, "tok", srv.count.Load)
}

// BenchmarkForwardServe goes end to end into a real `jikimi serve` (built
// from ./cmd/jikimi, run as a child process on a temporary data directory):
// the API parses, the pipeline prepares, detects, stores in SQLite and
// seals before it answers.
func BenchmarkForwardServe(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "jikimi")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/jikimi").CombinedOutput(); err != nil {
		b.Fatalf("build jikimi: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	data := filepath.Join(dir, "data")
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", addr)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	tok, err := os.ReadFile(filepath.Join(data, "api-token"))
	if err != nil {
		b.Fatal(err)
	}
	// Progress from the server's own counter, not a full search.
	accepted := func() int64 {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), `jikimi_records_accepted_total{source="bench"} `); ok {
				n, _ := strconv.ParseFloat(v, 64)
				return int64(n)
			}
		}
		return 0
	}
	runBench(b, "http://"+addr, strings.TrimSpace(string(tok)), func() int64 {
		time.Sleep(50 * time.Millisecond)
		return accepted()
	})
}
