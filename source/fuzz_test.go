package source

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/jikimi/jikimi/record"
)

// fuzzParser fuzzes one format. The seed corpus is its captured input, one
// line per seed plus the whole file. Whatever the input: no panic, every
// record valid and attributed to a line of the input, every error a
// *LineError pointing into the input.
func fuzzParser(f *testing.F, format string, opts Options, files ...string) {
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		s := bufio.NewScanner(bytes.NewReader(data))
		s.Buffer(nil, 2<<20)
		for s.Scan() {
			f.Add(append([]byte(nil), s.Bytes()...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := New(format, opts)
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(data, []byte("\n"))
		emit := func(r *record.Record, line int) {
			if err := r.Validate(); err != nil {
				t.Fatalf("invalid record (%v): %s", err, r.Canonical())
			}
			if line < 1 || line > len(lines) {
				t.Fatalf("record at line %d of %d", line, len(lines))
			}
		}
		for i, l := range lines {
			if err := p.Line(l, i+1, emit); err != nil {
				var le *LineError
				if !errors.As(err, &le) {
					t.Fatalf("line %d: %T is not a *LineError: %v", i+1, err, err)
				}
				if le.Line < 0 || le.Line > i+1 || le.Field == "" {
					t.Fatalf("line %d: error points at line %d field %q", i+1, le.Line, le.Field)
				}
			}
		}
		p.Flush(emit)
	})
}

var fuzzOpts = Options{System: "fuzz", Year: 2026}

func FuzzJSONL(f *testing.F)   { fuzzParser(f, "jsonl", fuzzOpts, "jsonl/records.jsonl") }
func FuzzPGAudit(f *testing.F) { fuzzParser(f, "pgaudit", Options{Year: 2026}, "pgaudit/stderr.log") }
func FuzzPGAuditCSV(f *testing.F) {
	fuzzParser(f, "pgaudit-csv", Options{Year: 2026}, "pgaudit/csvlog.csv")
}
func FuzzPGAuditJSON(f *testing.F) {
	fuzzParser(f, "pgaudit-json", Options{Year: 2026}, "pgaudit/jsonlog.json")
}
func FuzzMariaDBAudit(f *testing.F) {
	fuzzParser(f, "mariadb-audit", Options{Year: 2026}, "mariadb/server_audit.log")
}
func FuzzNginx(f *testing.F)     { fuzzParser(f, "nginx", fuzzOpts, "nginx/combined.log") }
func FuzzNginxJSON(f *testing.F) { fuzzParser(f, "nginx-json", fuzzOpts, "nginx/json.log") }
func FuzzSSHD(f *testing.F) {
	fuzzParser(f, "sshd", fuzzOpts, "sshd/traditional.log", "sshd/fileformat.log", "sshd/bare.log")
}
func FuzzSyslog(f *testing.F) {
	fuzzParser(f, "syslog", Options{Year: 2026}, "syslog/rfc5424.log", "syslog/rfc3164.log", "syslog/servers-rfc5424.log")
}
func FuzzOTLPJSON(f *testing.F) { fuzzParser(f, "otlp-json", fuzzOpts, "otlp/logs.jsonl") }
