package record

import (
	"errors"
	"strings"
	"testing"
)

const example = `{"id":"custdb2-000412","time":"2011-07-26T03:42:00+09:00","system":"custdb2","actor":{"id":"dba.f","type":"employee"},"action":"export","origin":{"ip":"10.20.3.41","host":"pc-e"},"auth":{"method":"password","session":"s-99"},"target":{"object":"NATE_MEMBER","kind":"table"},"detail":"exp userid=... tables=NATE_MEMBER file=/data/cust.dmp","result":{"status":"ok","rows":25000000,"bytes":2147483648},"subject_count":25000000}`

func TestParseCanonicalRoundTrip(t *testing.T) {
	r, err := Parse([]byte(example))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := string(r.Canonical()); got != example {
		t.Fatalf("Canonical()=\n%s\nwant\n%s", got, example)
	}
	if got, want := r.Rows(), int64(25000000); got != want {
		t.Fatalf("Rows()=%d, want %d", got, want)
	}
}

func TestCanonicalIsStable(t *testing.T) {
	// Key order, whitespace and map order in the input must not matter.
	in := `{ "system":"crm", "action":"view", "time":"2026-07-26T03:42:11.5+09:00",
	  "actor":{"id":"kim"}, "attrs":{"b":"2","a":"1"}, "pii":{"phone":1,"rrn":2}, "detail":"a\"b\u0001<>&" }`
	r, err := Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := `{"time":"2026-07-26T03:42:11.5+09:00","system":"crm","actor":{"id":"kim"},"action":"view","detail":"a\"b\u0001<>&","pii":{"phone":1,"rrn":2},"attrs":{"a":"1","b":"2"}}`
	if got := string(r.Canonical()); got != want {
		t.Fatalf("Canonical()=\n%s\nwant\n%s", got, want)
	}
	r2, err := Parse(r.Canonical())
	if err != nil {
		t.Fatalf("Parse(canonical): %v", err)
	}
	if string(r2.Canonical()) != want {
		t.Fatalf("canonical bytes changed on a round trip")
	}
}

func TestZeroRowsIsNotUnknownRows(t *testing.T) {
	r, _ := Parse([]byte(`{"time":"2026-01-01T00:00:00Z","system":"s","actor":{"id":"a"},"action":"export","result":{"rows":0}}`))
	if r.Rows() != 0 || !strings.Contains(string(r.Canonical()), `"rows":0`) {
		t.Fatalf("explicit 0 rows lost: %s", r.Canonical())
	}
	r, _ = Parse([]byte(`{"time":"2026-01-01T00:00:00Z","system":"s","actor":{"id":"a"},"action":"export"}`))
	if r.Rows() != -1 || strings.Contains(string(r.Canonical()), `rows`) {
		t.Fatalf("unknown rows read as known: %s", r.Canonical())
	}
}

func TestDeriveID(t *testing.T) {
	a, _ := Parse([]byte(`{"time":"2026-01-01T00:00:00Z","system":"s","actor":{"id":"a"},"action":"view"}`))
	b, _ := Parse([]byte(`{"action":"view","actor":{"id":"a"},"system":"s","time":"2026-01-01T00:00:00Z"}`))
	a.DeriveID()
	b.DeriveID()
	if a.ID == "" || a.ID != b.ID {
		t.Fatalf("DeriveID: %q and %q, want equal and non-empty", a.ID, b.ID)
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	base := `"time":"2026-01-01T00:00:00Z","system":"s","actor":{"id":"a"},"action":"view"`
	tests := []struct {
		name, line, field string
	}{
		{"unknown top-level", `{` + base + `,"acter":{}}`, "acter"},
		{"unknown nested", `{` + base + `,"origin":{"ipaddr":"1.2.3.4"}}`, "ipaddr"},
		{"missing time", `{"system":"s","actor":{"id":"a"},"action":"view"}`, "time"},
		{"time without offset", `{"time":"2026-01-01T00:00:00","system":"s","actor":{"id":"a"},"action":"view"}`, "time"},
		{"missing system", `{"time":"2026-01-01T00:00:00Z","actor":{"id":"a"},"action":"view"}`, "system"},
		{"missing actor", `{"time":"2026-01-01T00:00:00Z","system":"s","action":"view"}`, "actor.id"},
		{"bad action", `{"time":"2026-01-01T00:00:00Z","system":"s","actor":{"id":"a"},"action":"peek"}`, "action"},
		{"bad ip", `{` + base + `,"origin":{"ip":"10.0.0.300"}}`, "origin.ip"},
		{"rows as string", `{` + base + `,"result":{"rows":"12"}}`, "result.rows"},
		{"negative rows", `{` + base + `,"result":{"rows":-1}}`, "result.rows"},
		{"bad pii type", `{` + base + `,"pii":{"ssn":3}}`, "pii.ssn"},
		{"count below list", `{` + base + `,"subjects":["a","b"],"subject_count":1}`, "subject_count"},
		{"not json", `{"time":`, "(line)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.line))
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error = %v, want a *FieldError", err)
			}
			if fe.Field != tt.field {
				t.Fatalf("field = %q (%v), want %q", fe.Field, err, tt.field)
			}
		})
	}
}

func BenchmarkParseCanonical(b *testing.B) {
	line := []byte(example)
	b.SetBytes(int64(len(line)))
	buf := make([]byte, 0, 1024)
	for b.Loop() {
		r, err := Parse(line)
		if err != nil {
			b.Fatal(err)
		}
		buf = r.AppendCanonical(buf[:0])
	}
}
