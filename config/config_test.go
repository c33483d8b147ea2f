package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func TestExampleParses(t *testing.T) {
	f, err := parse(Example, "example.yaml", noEnv, nil)
	if err != nil {
		t.Fatalf("example.yaml: %v", err)
	}
	if got, want := len(f.Serve.Syslog), 3; got != want {
		t.Fatalf("listeners=%d, want %d", got, want)
	}
	if got, want := f.Serve.Syslog[0].Programs["billing-api"], "jsonl"; got != want {
		t.Fatalf("programs[billing-api]=%q, want %q", got, want)
	}
	if got, want := f.Collect.Buffer.MaxBytes, Size(1<<30); got != want {
		t.Fatalf("buffer.max_bytes=%d, want %d", got, want)
	}
	if got, want := time.Duration(f.Serve.Syslog[0].Batch.Wait), 5*time.Millisecond; got != want {
		t.Fatalf("batch.wait=%v, want %v", got, want)
	}
	// Every option the example could set is named in its header or body.
	for _, name := range f.EnvNames() {
		path := strings.ToLower(strings.TrimPrefix(name, EnvPrefix))
		last := path[strings.LastIndexByte(path, '_')+1:]
		if !strings.Contains(string(Example), last) {
			t.Errorf("example.yaml does not mention option %s", name)
		}
	}
}

func TestCheckNamesLines(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // each error, in order: "line N: …"
	}{
		{"unknown key", "serve:\n  adr: 1.2.3.4:80\n", []string{"line 2: field adr not found"}},
		{"bad format", "collect:\n  token: x\n  sources:\n    - name: a\n      paths: [/x]\n      format: pgadit\n",
			[]string{`line 6: collect.sources[0].format: unknown format "pgadit"`}},
		{"bad duration and size", "collect:\n  poll: soon\n  buffer:\n    max_bytes: lots\n",
			[]string{`line 2: invalid duration "soon"`, `line 4: invalid size "lots"`}},
		{"listener", "serve:\n  syslog:\n    - network: tcpp\n      addr: 127.0.0.1:5514\n    - network: tls\n      addr: nowhere\n",
			[]string{`line 3: serve.syslog[0].network: "tcpp" is not udp, tcp or tls`,
				`line 5: serve.syslog[1].tls.cert: a tls listener needs`, `line 5: serve.syslog[1].tls.key`,
				`line 6: serve.syslog[1].addr: address "nowhere" is not host:port`}},
		{"sshd needs system", "collect:\n  token_file: t\n  sources:\n    - name: s\n      paths: [/var/log/auth.log]\n      format: sshd\n",
			[]string{"line 4: collect.sources[0].system: format sshd needs system"}},
		{"syntax", "serve:\n  addr: [\n", []string{"line 2: did not find expected node content"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check([]byte(tt.yaml), "")
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Check=%v, want Errors", err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Error())
			}
			if len(got) < len(tt.want) {
				t.Fatalf("got %d errors %q, want %d", len(got), got, len(tt.want))
			}
			for _, w := range tt.want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
					t.Errorf("no error starting %q in %q", w, got)
				}
			}
		})
	}
}

func TestEnvOverrides(t *testing.T) {
	env := map[string]string{
		"JIKIMI_SERVE_ADDR":               "127.0.0.1:9999",
		"JIKIMI_COLLECT_TOKEN":            "secret",
		"JIKIMI_COLLECT_SOURCES_0_PATHS":  "/a/*.log, /b.log",
		"JIKIMI_COLLECT_SOURCES_1_NAME":   "second",
		"JIKIMI_COLLECT_SOURCES_1_PATHS":  "/c.log",
		"JIKIMI_COLLECT_SOURCES_1_FORMAT": "jsonl",
		"JIKIMI_SERVE_SYSLOG_0_PROGRAMS":  "app=jsonl,db=pgaudit",
		"JIKIMI_SERVE_SYSLOG_0_NETWORK":   "udp",
		"JIKIMI_SERVE_SYSLOG_0_ADDR":      "127.0.0.1:5514",
		"JIKIMI_DATA":                     "/data",
	}
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	file := []byte("collect:\n  token_file: t\n  sources:\n    - name: first\n      paths: [/x]\n      format: jsonl\n")
	f, err := parse(file, "f.yaml", func(k string) string { return env[k] }, environ)
	if err != nil {
		t.Fatal(err)
	}
	if f.Serve.Addr != "127.0.0.1:9999" || f.Serve.Data != "/data" {
		t.Errorf("serve=%+v", f.Serve)
	}
	if got := f.Collect.Sources[0].Paths; !slices.Equal(got, []string{"/a/*.log", "/b.log"}) {
		t.Errorf("paths=%q", got)
	}
	if len(f.Collect.Sources) != 2 || f.Collect.Sources[1].Name != "second" {
		t.Errorf("sources=%+v", f.Collect.Sources)
	}
	if f.Serve.Syslog[0].Programs["db"] != "pgaudit" || f.Serve.Syslog[0].Name != "syslog-udp" {
		t.Errorf("syslog=%+v", f.Serve.Syslog[0])
	}
	env["JIKIMI_COLLECT_SENDERS"] = "many"
	_, err = parse(file, "f.yaml", func(k string) string { return env[k] }, environ)
	if err == nil || !strings.Contains(err.Error(), `$JIKIMI_COLLECT_SENDERS: collect.senders: "many" is not an integer`) {
		t.Fatalf("err=%v, want one naming $JIKIMI_COLLECT_SENDERS", err)
	}
}

func TestSizesAndDurations(t *testing.T) {
	for in, want := range map[string]Size{"65536": 65536, "64KiB": 64 << 10, "1GiB": 1 << 30, "10MB": 10e6, "2 GiB": 2 << 30} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q)=%d, %v, want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]time.Duration{"250ms": 250 * time.Millisecond, "2d": 48 * time.Hour, "1.5d": 36 * time.Hour} {
		if got, err := ParseDuration(in); err != nil || time.Duration(got) != want {
			t.Errorf("ParseDuration(%q)=%v, %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"-1", "x", "1PB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}
