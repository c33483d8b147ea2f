package source

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/record"
)

const goodJSONL = `{"time":"2026-01-01T00:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"view"}`

func TestReadKeepsGoodLinesAroundBadOnes(t *testing.T) {
	long := `{"time":"2026-01-01T00:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"view","detail":"` + strings.Repeat("x", MaxLineBytes) + `"}`
	in := goodJSONL + "\r\n" + long + "\n" + "{bad\n" + goodJSONL // no final newline
	p, _ := New("jsonl", Options{})
	var lines []int
	var rejects []*LineError
	err := Read(strings.NewReader(in), "in.jsonl", p,
		func(r *record.Record, line int) error { lines = append(lines, line); return nil },
		func(e *LineError) { rejects = append(rejects, e) })
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(lines) != 2 || lines[0] != 1 || lines[1] != 4 {
		t.Fatalf("records at lines %v, want [1 4]", lines)
	}
	if len(rejects) != 2 {
		t.Fatalf("rejects %v, want 2", rejects)
	}
	if r := rejects[0]; r.File != "in.jsonl" || r.Line != 2 || r.Field != "(line)" || !strings.Contains(r.Reason, "longer than") {
		t.Fatalf("long line reject = %+v", r)
	}
	if got, want := rejects[1].Error(), "in.jsonl:3: (line): "; !strings.HasPrefix(got, want) {
		t.Fatalf("Error()=%q, want prefix %q", got, want)
	}
}

func TestReadStopsOnEmitError(t *testing.T) {
	stop := errors.New("store down")
	p, _ := New("jsonl", Options{})
	n := 0
	err := Read(strings.NewReader(goodJSONL+"\n"+goodJSONL+"\n"), "f", p,
		func(*record.Record, int) error { n++; return stop }, func(*LineError) {})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Read()=%v after %d records, want %v after 1", err, n, stop)
	}
}

func TestJSONLFieldErrors(t *testing.T) {
	checkMalformed(t, "jsonl", Options{}, []malformed{
		{"unknown field", []string{goodJSONL, `{"time":"2026-01-01T00:00:00Z","system":"s","actor":{"id":"a"},"action":"view","acter":1}`}, 2, "acter", "unknown field"},
		{"missing actor", []string{`{"time":"2026-01-01T00:00:00Z","system":"s","action":"view"}`}, 1, "actor.id", "required"},
		{"rows as string", []string{"", `{"time":"2026-01-01T00:00:00Z","system":"s","actor":{"id":"a"},"action":"view","result":{"rows":"1"}}`}, 2, "result.rows", ""},
		{"not json", []string{"nope"}, 1, "(line)", "invalid JSON"},
	})
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		format string
		opts   Options
		want   string
	}{
		{"pgaudit-xml", Options{}, "unknown format"},
		{"sshd", Options{}, "Options.System"},
		{"nginx", Options{}, "Options.System"},
		{"nginx-json", Options{}, "Options.System"},
		{"nginx", Options{System: "shop", UserField: "http_x_user"}, "nginx-json"},
		{"syslog", Options{Inner: "otlp-json"}, "inner format"},
	}
	for _, tt := range tests {
		if _, err := New(tt.format, tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%q, %+v) error = %v, want one mentioning %q", tt.format, tt.opts, err, tt.want)
		}
	}
	want := []string{"jsonl", "mariadb-audit", "nginx", "nginx-json", "otlp-json", "pgaudit", "pgaudit-csv", "pgaudit-json", "sshd", "syslog"}
	if got := Formats(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Formats()=%v, want %v", got, want)
	}
}

func TestOptionsDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	if o.Location == nil || o.Year < 2026 {
		t.Fatalf("defaults = %+v", o)
	}
	if _, off := time.Date(2026, 1, 1, 0, 0, 0, 0, o.Location).Zone(); off != 9*3600 {
		t.Fatalf("default zone offset %d, want +09:00", off)
	}
}
