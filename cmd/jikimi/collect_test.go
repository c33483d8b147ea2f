package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a child's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// child runs this test binary as `jikimi args…`.
func child(t *testing.T, args ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "JIKIMI_TEST_MAIN=1")
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, out
}

// serveAt runs `jikimi serve` on a fixed address (the collector's
// configuration names it) and waits until it answers.
func serveAt(t *testing.T, data, addr string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd, out := child(t, "serve", "--data", data, "--addr", addr)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return cmd, out
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v\n%s", err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// storedIDs returns how often each id is stored, or nil if the server
// does not answer.
func storedIDs(t *testing.T, addr, token string) map[string]int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/records?limit=0", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	ids := map[string]int{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct{ ID string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("record %q: %v", sc.Text(), err)
		}
		ids[r.ID]++
	}
	return ids
}

func waitStored(t *testing.T, addr, token string, n int, logs ...*lockedBuffer) map[string]int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ids := storedIDs(t, addr, token)
		if len(ids) >= n {
			return ids
		}
		if time.Now().After(deadline) {
			var all []string
			for _, l := range logs {
				all = append(all, l.String())
			}
			t.Fatalf("%d records stored, want %d\n%s", len(ids), n, strings.Join(all, "\n----\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func writeLines(t *testing.T, path string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	for i := from; i < to; i++ {
		// No id: collect derives "<source>:<file>:<offset>".
		fmt.Fprintf(w, `{"time":"2026-09-01T%02d:%02d:%02d+09:00","system":"crm","actor":{"id":"u%d"},"action":"view","subjects":["C%d"]}`+"\n",
			i/3600%24, i/60%60, i%60, i%50, i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// TestCollectOutageAndKills tails a file that is written, rotated and
// truncated while `jikimi collect` forwards to `jikimi serve`; the server
// is stopped for a while, later killed with SIGKILL, and the collector is
// killed with SIGKILL too. Every line must be stored exactly once.
func TestCollectOutageAndKills(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	addr := freeAddr(t)
	server, serverLog := serveAt(t, data, addr)
	tok, err := os.ReadFile(filepath.Join(data, tokenFile))
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tok))
	logPath := filepath.Join(dir, "logs", "app.log")
	os.MkdirAll(filepath.Dir(logPath), 0o700)
	conf := filepath.Join(dir, "jikimi.yaml")
	os.WriteFile(conf, []byte(fmt.Sprintf(`collect:
  server: http://%s
  token_file: %s
  state_dir: %s
  poll: 50ms
  batch: {size: 500, wait: 50ms}
  backoff: {min: 100ms, max: 500ms}
  sources:
    - name: app
      paths: [%s]
      format: jsonl
`, addr, filepath.Join(data, tokenFile), filepath.Join(dir, "state"), filepath.Join(dir, "logs", "app.log*"))), 0o600)
	if code, out, errs := jikimi(t, "", "config", "check", conf); code != 0 {
		t.Fatalf("config check: %d %s %s", code, out, errs)
	}
	collector, collectLog := child(t, "collect", "--config", conf)

	total := 0
	write := func(n int) { writeLines(t, logPath, total, total+n); total += n }
	write(3000)
	waitStored(t, addr, token, total, serverLog, collectLog)

	// Rotation (rename + new file) and truncation while tailed.
	os.Rename(logPath, logPath+".1")
	write(500)
	// (Lines truncated away before anyone read them are lost to every
	// tailer: wait for them first.)
	waitStored(t, addr, token, total, serverLog, collectLog)
	os.Truncate(logPath, 0)
	write(500)
	waitStored(t, addr, token, total, serverLog, collectLog)

	// Outage: the server stops; lines keep coming; it comes back.
	server.Process.Signal(syscall.SIGTERM)
	server.Wait()
	write(2000)
	time.Sleep(1500 * time.Millisecond) // retries fail, batches go to the disk buffer
	if !strings.Contains(collectLog.String(), "server unreachable: buffering on disk") {
		t.Fatalf("collector did not report the outage:\n%s", collectLog)
	}
	server, serverLog = serveAt(t, data, addr)
	waitStored(t, addr, token, total, serverLog, collectLog)

	// kill -9 of the server while lines stream in.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 10 {
			writeLines(t, logPath, total, total+300)
			total += 300
			time.Sleep(50 * time.Millisecond)
		}
	}()
	time.Sleep(200 * time.Millisecond)
	server.Process.Signal(syscall.SIGKILL)
	server.Wait()
	<-done
	time.Sleep(500 * time.Millisecond)
	server, serverLog = serveAt(t, data, addr)

	// kill -9 of the collector; it resumes from its committed positions.
	write(2000)
	time.Sleep(100 * time.Millisecond)
	collector.Process.Signal(syscall.SIGKILL)
	collector.Wait()
	write(1000)
	collector, collectLog = child(t, "collect", "--config", conf)

	ids := waitStored(t, addr, token, total, serverLog, collectLog)
	if len(ids) != total {
		t.Fatalf("%d records stored, want %d", len(ids), total)
	}
	for id, n := range ids {
		if n != 1 {
			t.Fatalf("record %s stored %d times", id, n)
		}
		if !strings.HasPrefix(id, "app:") {
			t.Fatalf("id %q was not derived by collect", id)
		}
	}
	collector.Process.Signal(syscall.SIGTERM)
	if err := collector.Wait(); err != nil {
		t.Fatalf("collect exit: %v\n%s", err, collectLog)
	}
	t.Logf("%d lines written, %d records stored exactly once", total, len(ids))
}

func TestConfigCheckNamesLine(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("serve:\n  addr: 127.0.0.1:8080\n  syslog:\n    - network: tcp\n      addr: 127.0.0.1:5514\n      inner: pgadit\ncollect:\n  poll: often\n"), 0o600)
	code, _, errs := jikimi(t, "", "config", "check", bad)
	if code != 1 || !strings.Contains(errs, "bad.yaml:6: serve.syslog[0].inner:") || !strings.Contains(errs, `bad.yaml:8: invalid duration "often"`) {
		t.Fatalf("config check: exit %d, stderr:\n%s", code, errs)
	}
	code, out, _ := jikimi(t, "", "config", "example")
	if code != 0 || !strings.Contains(out, "collect:") {
		t.Fatalf("config example: exit %d", code)
	}
	example := filepath.Join(dir, "example.yaml")
	os.WriteFile(example, []byte(out), 0o600)
	if code, out, errs := jikimi(t, "", "config", "check", example); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("config check example: exit %d %s %s", code, out, errs)
	}
}
