package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startServer runs `jikimi serve` as a child process (this test binary
// re-executed, see TestMain) and returns its address and token.
func startServer(t *testing.T, data string, extra ...string) (*exec.Cmd, string, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--data", data, "--addr", addr}, extra...)...)
	cmd.Env = append(os.Environ(), "JIKIMI_TEST_MAIN=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	tok, err := os.ReadFile(filepath.Join(data, tokenFile))
	if err != nil {
		t.Fatal(err)
	}
	return cmd, addr, strings.TrimSpace(string(tok))
}

func post(addr, token, body string, gz bool) (*http.Response, []byte, error) {
	var rd io.Reader = strings.NewReader(body)
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(body))
		zw.Close()
		rd = &buf
	}
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/records", rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestAPIIngestSearchAuth(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	_, addr, token := startServer(t, data)
	if resp, _, err := post(addr, "wrong", goodLines, false); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token: %v %v, want 401", resp.Status, err)
	}
	resp, body, err := post(addr, token, goodLines+`{"time":"x"}`+"\n", true)
	if err != nil || resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("post: %v %v %s, want 422 for one bad line", resp.Status, err, body)
	}
	var got struct {
		Accepted, Duplicates int
		Rejected             []struct {
			Line  int
			Field string
		}
	}
	json.Unmarshal(body, &got)
	if got.Accepted != 3 || len(got.Rejected) != 1 || got.Rejected[0].Line != 4 || got.Rejected[0].Field != "time" {
		t.Fatalf("response %s", body)
	}
	resp, body, _ = post(addr, token, goodLines, false)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"duplicates":3`) {
		t.Fatalf("resend: %s %s, want 3 duplicates", resp.Status, body)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/records?actor=kim&subject=C002", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if strings.Count(string(b), "\n") != 1 || !strings.Contains(string(b), `"id":"a2"`) {
		t.Fatalf("GET records: %s", b)
	}
	m, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(m.Body)
	m.Body.Close()
	if !strings.Contains(string(mb), `jikimi_records_accepted_total{source="api"} 3`) {
		t.Fatalf("metrics lack the accepted count:\n%s", mb)
	}
}

// TestKill9LosesNoAcknowledgedRecord sends records from several clients,
// kills the server with SIGKILL mid-stream, restarts it and checks that
// every acknowledged record is stored exactly once.
func TestKill9LosesNoAcknowledgedRecord(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	cmd, addr, token := startServer(t, data)
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; ; b++ {
				select {
				case <-stop:
					return
				default:
				}
				var sb strings.Builder
				var ids []string
				for i := range 200 {
					id := fmt.Sprintf("k-%d-%d-%d", c, b, i)
					ids = append(ids, id)
					fmt.Fprintf(&sb, `{"id":%q,"time":"2026-09-01T10:%02d:%02d+09:00","system":"crm","actor":{"id":"u%d"},"action":"view","subjects":["C%d"]}`+"\n", id, b%60, i%60, c, i)
				}
				resp, _, err := post(addr, token, sb.String(), false)
				if err != nil {
					return // the server is gone
				}
				if resp.StatusCode == 200 {
					mu.Lock()
					acked = append(acked, ids...)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("nothing was acknowledged before the kill")
	}

	cmd, addr, token = startServer(t, data)
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/records?limit=0", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	stored := map[string]int{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var r struct{ ID string }
		json.Unmarshal(sc.Bytes(), &r)
		stored[r.ID]++
	}
	for id, n := range stored {
		if n != 1 {
			t.Fatalf("record %s stored %d times", id, n)
		}
	}
	for _, id := range acked {
		if stored[id] != 1 {
			t.Fatalf("acknowledged record %s lost after kill -9 (%d acknowledged, %d stored)", id, len(acked), len(stored))
		}
	}
	t.Logf("%d acknowledged, %d stored (the rest were in flight)", len(acked), len(stored))

	// What the kill left stored but unsealed was sealed on restart: the
	// ledger proves every stored record, and nothing else.
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	code, out, errs := jikimi(t, "", "verify", "--data", data, "--json")
	var res verifyResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || !res.OK || res.Records != int64(len(stored)) {
		t.Fatalf("verify after kill -9: exit %d, %d records of %d, %v: %+v\n%s", code, res.Records, len(stored), err, res.Findings, errs)
	}
}

// TestAlertsForwardedToWebhook runs serve with --alert-webhook and checks
// that an alert raised by ingested records reaches the receiver.
func TestAlertsForwardedToWebhook(t *testing.T) {
	got := make(chan []byte, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	defer hook.Close()
	data := filepath.Join(t.TempDir(), "data")
	_, addr, token := startServer(t, data, "--alert-webhook", hook.URL)
	// Detection releases a record once event time has moved past its
	// reorder window (5 minutes), so a later record follows.
	line := `{"id":"dl1","time":"2026-09-01T10:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"download","result":{"rows":300},"subject_count":300}` + "\n" +
		`{"id":"v2","time":"2026-09-01T10:10:00+09:00","system":"crm","actor":{"id":"lee"},"action":"view"}` + "\n"
	if resp, body, err := post(addr, token, line, false); err != nil || resp.StatusCode != 200 {
		t.Fatalf("post: %v %s", err, body)
	}
	select {
	case b := <-got:
		if !strings.Contains(string(b), `"rule":"download-without-purpose"`) || !strings.Contains(string(b), `"dl1"`) {
			t.Fatalf("webhook body: %s", b)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no alert reached the webhook")
	}
}

// TestServeAnchorsEachCheckpointAtItsInterval: with --anchor-interval at
// the checkpoint interval, each checkpoint the log publishes after a write
// is anchored while the server runs, not only at shutdown.
func TestServeAnchorsEachCheckpointAtItsInterval(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	_, addr, token := startServer(t, data, "--anchor-interval", "1s")
	dir := filepath.Join(data, "anchors", "checkpoint", "2026-09")
	anchored := 0
	for i, body := range []string{goodLines, strings.ReplaceAll(goodLines, `"id":"a`, `"id":"b`)} {
		if resp, b, err := post(addr, token, body, false); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("post %d: %v %s", i, err, b)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			files, _ := os.ReadDir(dir)
			if len(files) > anchored {
				anchored = len(files)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after write %d, still %d anchored checkpoints in %s", i, len(files), dir)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
