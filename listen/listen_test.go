package listen

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/source"
)

// capture is a Sink that keeps what it is given.
type capture struct {
	mu   sync.Mutex
	recs []*record.Record
	fail int // fail this many calls first
}

func (c *capture) sink(_ context.Context, recs []*record.Record) (SinkResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail > 0 {
		c.fail--
		return SinkResult{}, fmt.Errorf("store unavailable")
	}
	var res SinkResult
	for _, r := range recs {
		if err := r.Validate(); err != nil {
			res.Rejected++
			res.Reason = err.Error()
			continue
		}
		c.recs = append(c.recs, r)
		res.Stored++
	}
	return res, nil
}

// wait returns the records once n have arrived, or fails.
func (c *capture) wait(t testing.TB, n int) []*record.Record {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		got := slices.Clone(c.recs)
		c.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d records, want %d", len(got), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func startSyslog(t testing.TB, network string, c *capture, progs map[string]string) *Syslog {
	t.Helper()
	l, err := ListenSyslog(SyslogConfig{Network: network, Addr: "127.0.0.1:0", Programs: progs, Logger: quietLogger(),
		Options: source.Options{Location: time.FixedZone("KST", 9*3600)}}, c.sink)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// runLogger runs util-linux logger against the listener.
func runLogger(t *testing.T, args ...string) {
	t.Helper()
	path, err := exec.LookPath("logger")
	if err != nil {
		t.Skip("logger (util-linux, Debian package bsdutils) is not installed")
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("logger %q: %v\n%s", args, err, out)
	}
}

func jsonRecord(id string) string {
	return fmt.Sprintf(`{"id":%q,"time":"2026-09-01T09:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"view","subjects":["C1"]}`, id)
}

// TestLoggerTCPAndUDP sends RFC 5424 and RFC 3164 messages with the real
// logger over TCP (both framings) and UDP.
func TestLoggerTCPAndUDP(t *testing.T) {
	tests := []struct {
		name    string
		network string
		args    []string
	}{
		{"rfc5424 tcp octet-counting", "tcp", []string{"--rfc5424", "-T", "--octet-count"}},
		{"rfc5424 tcp newline", "tcp", []string{"--rfc5424", "-T"}},
		{"rfc3164 tcp", "tcp", []string{"--rfc3164", "-T"}},
		{"rfc5424 udp", "udp", []string{"--rfc5424", "-d"}},
		{"rfc3164 udp", "udp", []string{"--rfc3164", "-d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &capture{}
			l := startSyslog(t, tt.network, c, nil)
			port := l.Addr().String()[strings.LastIndexByte(l.Addr().String(), ':')+1:]
			args := append(tt.args, "-n", "127.0.0.1", "-P", port, "-t", "billing-api")
			runLogger(t, append(args, jsonRecord("r1"))...)
			runLogger(t, append(args, jsonRecord("r2"))...)
			got := c.wait(t, 2)
			ids := []string{got[0].ID, got[1].ID}
			slices.Sort(ids)
			if !slices.Equal(ids, []string{"r1", "r2"}) || got[0].System != "crm" || got[0].Actor.ID != "kim" {
				t.Fatalf("records %q, %+v", ids, got[0])
			}
		})
	}
}

// TestLoggerSSHDByProgram relies on the program name to choose the inner
// format: sshd lines become login records of the sending host.
func TestLoggerSSHDByProgram(t *testing.T) {
	c := &capture{}
	l := startSyslog(t, "tcp", c, nil)
	port := l.Addr().String()[strings.LastIndexByte(l.Addr().String(), ':')+1:]
	runLogger(t, "--rfc3164", "-T", "-n", "127.0.0.1", "-P", port, "-t", "sshd", "--id=4242",
		"Accepted publickey for deploy from 10.20.3.41 port 52144 ssh2: ED25519 SHA256:abc")
	got := c.wait(t, 1)
	if got[0].Action != "login" || got[0].Actor.ID != "deploy" || got[0].Origin.IP != "10.20.3.41" {
		t.Fatalf("sshd record %+v", got[0])
	}
}

// TestProgramsMap routes an unknown program to a configured inner format.
func TestProgramsMap(t *testing.T) {
	c := &capture{}
	l := startSyslog(t, "tcp", c, map[string]string{"gatekeeper": "sshd"})
	port := l.Addr().String()[strings.LastIndexByte(l.Addr().String(), ':')+1:]
	runLogger(t, "--rfc5424", "-T", "--octet-count", "-n", "127.0.0.1", "-P", port, "-t", "gatekeeper",
		"Failed password for invalid user admin from 192.0.2.7 port 4711 ssh2")
	got := c.wait(t, 1)
	if got[0].Action != "login_failed" || got[0].Origin.IP != "192.0.2.7" {
		t.Fatalf("record %+v", got[0])
	}
}

func TestAppName(t *testing.T) {
	for msg, want := range map[string]string{
		`<13>1 2026-09-01T09:00:00+09:00 host billing-api 12 - - {}`: "billing-api",
		`<13>Sep  1 09:00:00 host sshd[42]: Accepted`:                "sshd",
		`<13>Sep 11 09:00:00 host gatekeeper: x`:                     "gatekeeper",
		`<13>2026-09-01T09:00:00+09:00 host nginx: x`:                "nginx",
		`garbage`: "",
	} {
		if got := string(appName([]byte(msg))); got != want {
			t.Errorf("appName(%q)=%q, want %q", msg, got, want)
		}
	}
}
