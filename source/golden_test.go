package source

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jikimi/jikimi/record"
)

// go test ./source -run Golden -update rewrites testdata/**/*.golden from the
// parsers' output. Review the diff by eye before committing it.
var update = flag.Bool("update", false, "rewrite the .golden files of testdata")

// testOpts are the options of every golden case: the captures were made in
// 2026 on a host named "vm" with its clocks in Asia/Seoul.
func testOpts() Options { return Options{Year: 2026} }

// goldenCase is one captured input and the parser that reads it. How each
// input was captured is told in the test file of its format.
type goldenCase struct {
	name   string // testdata/<name>.golden and .rejects.golden
	format string
	input  string
	opts   Options
}

func goldenCases() []goldenCase {
	o := testOpts()
	withSystem := func(s string) Options { c := o; c.System = s; return c }
	withUser := func(s, u string) Options { c := withSystem(s); c.UserField = u; return c }
	return []goldenCase{
		{"jsonl/records", "jsonl", "jsonl/records.jsonl", o},
		{"pgaudit/stderr", "pgaudit", "pgaudit/stderr.log", o},
		{"pgaudit/csvlog", "pgaudit-csv", "pgaudit/csvlog.csv", o},
		{"pgaudit/jsonlog", "pgaudit-json", "pgaudit/jsonlog.json", o},
		{"mariadb/server_audit", "mariadb-audit", "mariadb/server_audit.log", o},
		{"sshd/traditional", "sshd", "sshd/traditional.log", withSystem("vm")},
		{"sshd/fileformat", "sshd", "sshd/fileformat.log", withSystem("vm")},
		{"sshd/bare", "sshd", "sshd/bare.log", withSystem("vm")},
		{"nginx/combined", "nginx", "nginx/combined.log", withSystem("shop")},
		{"nginx/json", "nginx-json", "nginx/json.log", withSystem("shop")},
		{"nginx/json-x-user", "nginx-json", "nginx/json.log", withUser("shop", "http_x_user")},
		{"syslog/rfc5424", "syslog", "syslog/rfc5424.log", o},
		{"syslog/rfc3164", "syslog", "syslog/rfc3164.log", o},
		{"syslog/servers-rfc5424", "syslog", "syslog/servers-rfc5424.log", o},
		{"otlp/logs", "otlp-json", "otlp/logs.jsonl", o},
	}
}

// parseFile runs a case and returns its records (canonical JSON) with the
// line each started on, and its rejects.
func parseFile(tb testing.TB, c goldenCase) (recs []*record.Record, lines []int, rejects []*LineError) {
	tb.Helper()
	p, err := New(c.format, c.opts)
	if err != nil {
		tb.Fatalf("New(%q): %v", c.format, err)
	}
	f, err := os.Open(filepath.Join("testdata", c.input))
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	defer f.Close()
	err = Read(f, c.input, p,
		func(r *record.Record, line int) error {
			recs = append(recs, r)
			lines = append(lines, line)
			return nil
		},
		func(e *LineError) { rejects = append(rejects, e) })
	if err != nil {
		tb.Fatalf("Read: %v", err)
	}
	return recs, lines, rejects
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			recs, _, rejects := parseFile(t, c)
			var got, gotRejects bytes.Buffer
			for _, r := range recs {
				got.Write(r.Canonical())
				got.WriteByte('\n')
			}
			for _, e := range rejects {
				fmt.Fprintln(&gotRejects, e.Error())
			}
			compareGolden(t, filepath.Join("testdata", c.name+".golden"), got.Bytes())
			compareGolden(t, filepath.Join("testdata", c.name+".rejects.golden"), gotRejects.Bytes())
		})
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w []byte
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if !bytes.Equal(g, w) {
				t.Fatalf("%s differs at line %d:\ngot  %s\nwant %s", path, i+1, g, w)
			}
		}
	}
}
