package detect

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jikimi/jikimi/alert"
)

func testAlert() *alert.Alert {
	t := time.Date(2025, 10, 1, 3, 20, 0, 0, kst)
	return &alert.Alert{ID: "al-1", Rule: "export-beyond-baseline", Severity: alert.High, Time: t, LastTime: t.Add(time.Hour),
		System: "custdb", Actor: "dba02", Keys: map[string]string{"actor.id": "dba02"},
		Summary: `[평소보다 훨씬 많은 반출] dba02 계정이 "3,500만행" 내보냄 ]`, SummaryEn: "export", Records: []string{"r1"}, RecordCount: 1}
}

func TestForwardWebhookRetries(t *testing.T) {
	var calls atomic.Int32
	var got []alert.Alert
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("Authorization") != "Bearer x" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "headers", http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &got); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	f, err := NewForwarder(ForwardConfig{Webhook: srv.URL, Headers: map[string]string{"Authorization": "Bearer x"}, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	low := testAlert()
	low.ID, low.Severity = "al-low", alert.Low
	f.cfg.MinSeverity = alert.Medium
	if err := f.Forward(context.Background(), []*alert.Alert{testAlert(), low}); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("calls=%d, want 2 (one retry after 503)", n)
	}
	if len(got) != 1 || got[0].ID != "al-1" || got[0].Summary != testAlert().Summary {
		t.Errorf("received %+v, want only al-1", got)
	}
}

func TestForwardWebhookGivesUp(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "no", http.StatusBadRequest)
	}))
	defer srv.Close()
	f, _ := NewForwarder(ForwardConfig{Webhook: srv.URL, Backoff: time.Millisecond})
	err := f.Forward(context.Background(), []*alert.Alert{testAlert()})
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("err=%v, want a 400 error", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("calls=%d, want 1: a 4xx is not retried", n)
	}
}

func TestForwardSyslogUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	f, err := NewForwarder(ForwardConfig{Syslog: "udp://" + pc.LocalAddr().String(), Hostname: "jk1"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Forward(context.Background(), []*alert.Alert{testAlert()}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	checkSyslog(t, string(buf[:n]))
}

func TestForwardSyslogTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 2)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for i := 0; i < 2; i++ {
			l, err := r.ReadString(' ')
			if err != nil {
				return
			}
			n, _ := strconv.Atoi(strings.TrimSpace(l))
			msg := make([]byte, n)
			if _, err := io.ReadFull(r, msg); err != nil {
				return
			}
			got <- string(msg)
		}
	}()
	f, err := NewForwarder(ForwardConfig{Syslog: "tcp://" + ln.Addr().String(), Hostname: "jk1"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Forward(context.Background(), []*alert.Alert{testAlert(), testAlert()}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		select {
		case m := <-got:
			checkSyslog(t, m)
		case <-time.After(5 * time.Second):
			t.Fatal("no message")
		}
	}
}

// checkSyslog parses an RFC 5424 message enough to check every part.
func checkSyslog(t *testing.T, m string) {
	t.Helper()
	// <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG
	// authpriv (10) * 8 + error (3) = 83
	head := strings.SplitN(m, " ", 7)
	if len(head) != 7 {
		t.Fatalf("message %q has too few fields", m)
	}
	if head[0] != "<83>1" || head[2] != "jk1" || head[3] != "jikimi" || head[5] != "export-beyond-baseline" {
		t.Errorf("header %q", head[:6])
	}
	if _, err := time.Parse(time.RFC3339Nano, head[1]); err != nil || !strings.HasSuffix(head[1], "+09:00") {
		t.Errorf("timestamp %q: %v", head[1], err)
	}
	sd, msg, ok := strings.Cut(head[6], "] \xEF\xBB\xBF")
	if !ok {
		t.Fatalf("no structured data end and BOM in %q", head[6])
	}
	if !strings.HasPrefix(sd, `[alert@32473 id="al-1" severity="high"`) || !strings.Contains(sd, `actor="dba02"`) || !strings.Contains(sd, `records="1"`) {
		t.Errorf("structured data %q", sd)
	}
	if want := testAlert().Summary; msg != want {
		t.Errorf("msg %q, want %q", msg, want)
	}
}

func TestForwardConfigErrors(t *testing.T) {
	for _, c := range []ForwardConfig{{Webhook: "ftp://x"}, {Syslog: "udp:/x"}, {Syslog: "http://x:1"}, {Facility: 30}, {MinSeverity: "urgent"}} {
		if _, err := NewForwarder(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
