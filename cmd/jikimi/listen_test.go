package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jikimi/jikimi/api"
	"github.com/jikimi/jikimi/config"
	"github.com/jikimi/jikimi/store"
	"github.com/prometheus/client_golang/prometheus"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"
)

// TestListenersIntoStore runs the listeners of a configuration against a
// real pipeline and store: logger sends RFC 5424 over TCP and RFC 3164
// sshd lines over UDP, an OTLP/HTTP JSON request is posted, and the
// records are then searched through the API.
func TestListenersIntoStore(t *testing.T) {
	logger, err := exec.LookPath("logger")
	if err != nil {
		t.Skip("logger (util-linux) not installed")
	}
	ctx := context.Background()
	var logs bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &logs}
	a, err := openApp(ctx, e, filepath.Join(t.TempDir(), "data"), appOptions{withPipeline: true, create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	token, _, err := loadToken(a.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	srv := api.New(api.Config{Pipeline: a.pipe, Store: a.store, Token: token, Logger: a.logger, Registry: reg,
		Query: func(r *http.Request) (store.Query, error) { return queryFromURL(r.URL.Query(), a) }})
	tcpAddr, udpAddr := freeAddr(t), freeUDPAddr(t)
	cfg, err := config.Load("", func(k string) string {
		return map[string]string{
			"JIKIMI_SERVE_OTLP_ENABLED":      "true",
			"JIKIMI_SERVE_SYSLOG_0_NAME":     "syslog-tcp",
			"JIKIMI_SERVE_SYSLOG_0_NETWORK":  "tcp",
			"JIKIMI_SERVE_SYSLOG_0_ADDR":     tcpAddr,
			"JIKIMI_SERVE_SYSLOG_0_PROGRAMS": "billing-api=jsonl",
			"JIKIMI_SERVE_SYSLOG_1_NAME":     "syslog-udp",
			"JIKIMI_SERVE_SYSLOG_1_NETWORK":  "udp",
			"JIKIMI_SERVE_SYSLOG_1_ADDR":     udpAddr,
			"JIKIMI_SERVE_SYSLOG_1_SYSTEM":   "bastion",
		}[k]
	}, []string{"JIKIMI_SERVE_SYSLOG_0_NAME=x", "JIKIMI_SERVE_SYSLOG_1_NAME=y"})
	if err != nil {
		t.Fatal(err)
	}
	stop, err := startListeners(ctx, a, &cfg.Serve, srv, reg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()

	_, tcpPort, _ := net.SplitHostPort(tcpAddr)
	_, udpPort, _ := net.SplitHostPort(udpAddr)
	run := func(args ...string) {
		if out, err := exec.Command(logger, args...).CombinedOutput(); err != nil {
			t.Fatalf("logger %q: %v %s", args, err, out)
		}
	}
	run("--rfc5424", "-T", "--octet-count", "-n", "127.0.0.1", "-P", tcpPort, "-t", "billing-api",
		`{"id":"tcp-1","time":"2026-09-01T09:00:00+09:00","system":"billing","actor":{"id":"kim"},"action":"export","purpose":"정산","subjects":["C1","C2"]}`)
	run("--rfc3164", "-d", "-n", "127.0.0.1", "-P", udpPort, "-t", "sshd", "--id=99",
		"Accepted password for lee from 10.1.2.3 port 50000 ssh2")
	req, _ := http.NewRequest("POST", hs.URL+"/v1/logs", strings.NewReader(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"crm"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"1788220800000000000","attributes":[{"key":"enduser.id","value":{"stringValue":"park"}},{"key":"action","value":{"stringValue":"view"}},{"key":"id","value":{"stringValue":"otlp-1"}}]}]}]}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "{}" {
		t.Fatalf("OTLP: %s %s", resp.Status, body)
	}

	get := func(path string) string {
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := get("/api/v1/records?limit=0")
		if strings.Contains(got, `"id":"tcp-1"`) && strings.Contains(got, `"system":"bastion"`) && strings.Contains(got, `"id":"otlp-1"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored records:\n%s\nlogs:\n%s", got, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	metrics := get("/metrics")
	for _, want := range []string{
		`jikimi_listen_records_stored_total{listener="syslog-tcp"} 1`,
		`jikimi_listen_records_stored_total{listener="syslog-udp"} 1`,
		`jikimi_listen_records_stored_total{listener="otlp"} 1`,
		`jikimi_listen_records_parsed_total{listener="syslog-udp",system="bastion"} 1`,
		`jikimi_listen_last_seen_timestamp_seconds{listener="syslog-tcp",system="billing"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func freeUDPAddr(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().String()
}

// TestServeWithListeners runs `jikimi serve --config` as a child process
// with a TCP and a UDP syslog listener and the OTLP endpoint, sends with
// logger and an OTLP/HTTP protobuf request, stops the server with SIGTERM
// (listeners drain into the store) and counts what was stored.
func TestServeWithListeners(t *testing.T) {
	logger, err := exec.LookPath("logger")
	if err != nil {
		t.Skip("logger (util-linux) not installed")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	addr, tcpAddr, udpAddr := freeAddr(t), freeAddr(t), freeUDPAddr(t)
	conf := filepath.Join(dir, "jikimi.yaml")
	os.WriteFile(conf, []byte(fmt.Sprintf(`serve:
  data: %s
  addr: %s
  otlp: {enabled: true}
  syslog:
    - {name: tcp, network: tcp, addr: "%s"}
    - {name: udp, network: udp, addr: "%s", system: bastion}
`, data, addr, tcpAddr, udpAddr)), 0o600)
	server, out := child(t, "serve", "--config", conf)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	tok, _ := os.ReadFile(filepath.Join(data, tokenFile))
	token := strings.TrimSpace(string(tok))
	_, tcpPort, _ := net.SplitHostPort(tcpAddr)
	_, udpPort, _ := net.SplitHostPort(udpAddr)
	const n = 200
	var lines []string
	for i := range n {
		lines = append(lines, fmt.Sprintf(`{"id":"s-%d","time":"2026-09-01T09:00:%02d+09:00","system":"billing","actor":{"id":"kim"},"action":"view"}`, i, i%60))
	}
	// logger sends each line of stdin as one message.
	cmd := exec.Command(logger, "--rfc5424", "-T", "--octet-count", "-n", "127.0.0.1", "-P", tcpPort, "-t", "billing-api")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("logger: %v %s", err, b)
	}
	if b, err := exec.Command(logger, "--rfc3164", "-d", "-n", "127.0.0.1", "-P", udpPort, "-t", "sshd", "--id=7",
		"Accepted password for lee from 10.1.2.3 port 50000 ssh2").CombinedOutput(); err != nil {
		t.Fatalf("logger: %v %s", err, b)
	}
	// OTLP/HTTP protobuf: LogsData is ExportLogsServiceRequest on the wire.
	body, _ := proto.Marshal(&logspb.LogsData{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "crm"}}}}},
		ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{{TimeUnixNano: 1788220800000000000, Attributes: []*commonpb.KeyValue{
			{Key: "id", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "otlp-1"}}},
			{Key: "enduser.id", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "park"}}},
			{Key: "action", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "view"}}}}}}}},
	}}})
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/logs", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("OTLP: %v %v", resp, err)
	}
	resp.Body.Close()
	ids := waitStored(t, addr, token, n+2, out)
	for i := range n {
		if ids[fmt.Sprintf("s-%d", i)] != 1 {
			t.Fatalf("s-%d stored %d times", i, ids[fmt.Sprintf("s-%d", i)])
		}
	}
	if ids["otlp-1"] != 1 {
		t.Fatal("OTLP record not stored")
	}
	// A listener counts a batch once Submit has returned, which can be just
	// after the records became visible to the search above.
	var mb []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		m, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		mb, _ = io.ReadAll(m.Body)
		m.Body.Close()
		if strings.Contains(string(mb), fmt.Sprintf(`jikimi_listen_records_stored_total{listener="tcp"} %d`, n)) || time.Now().After(deadline) {
			break
		}
	}
	if !strings.Contains(string(mb), fmt.Sprintf(`jikimi_listen_records_stored_total{listener="tcp"} %d`, n)) ||
		!strings.Contains(string(mb), `jikimi_listen_last_seen_timestamp_seconds{listener="udp",system="bastion"}`) {
		t.Fatalf("listener metrics missing from /metrics")
	}
	server.Process.Signal(syscall.SIGTERM)
	if err := server.Wait(); err != nil {
		t.Fatalf("serve exit: %v\n%s", err, out)
	}
}
