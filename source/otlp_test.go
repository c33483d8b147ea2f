package source

// testdata/otlp/logs.jsonl was captured from the OpenTelemetry Go SDK
// (go.opentelemetry.io/otel/sdk/log v1.47.0 with the otlploghttp v0.23.0
// exporter) by testdata/capture/otlpcap: the program (its own module, so
// jikimi does not depend on the SDK) emits five log records through the
// exporter to a local HTTP server, which decodes each protobuf
// ExportLogsServiceRequest and prints it with protojson, one per line:
// cd testdata/capture/otlpcap && go mod init otlpcap && go mod tidy && go run . > ../../otlp/logs.jsonl

import (
	"strings"
	"testing"

	"github.com/jikimi/jikimi/record"
)

func TestOTLPJSONKeepsGoodRecordsOfABatch(t *testing.T) {
	body := `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"crm"}}]},"scopeLogs":[{"logRecords":[
	 {"timeUnixNano":1795433400000000000,"body":{"kvlistValue":{"values":[{"key":"user.id","value":{"stringValue":"kim"}},{"key":"action","value":{"stringValue":"search"}}]}},"attributes":[{"key":"result.rows","value":{"intValue":12}},{"key":"client.address","value":{"stringValue":"pc-17.corp"}}]},
	 {"timeUnixNano":"1795433401000000000","attributes":[{"key":"actor.id","value":{"stringValue":"lee"}},{"key":"action","value":{"stringValue":"view"}},{"key":"result.bytes","value":{"stringValue":"many"}}]},
	 {"observedTimeUnixNano":"1795433402000000000","attributes":[{"key":"actor.id","value":{"stringValue":"park"}},{"key":"action","value":{"stringValue":"print"}},{"key":"system","value":{"stringValue":"hr"}}]}
	]}]}]}`
	var recs []*record.Record
	err := OTLPJSON([]byte(body), Options{}, func(r *record.Record) { recs = append(recs, r) })
	le, ok := err.(*LineError)
	if !ok || le.Field != "result.bytes" || !strings.Contains(le.Reason, "logRecords[1]") {
		t.Fatalf("error = %#v, want a LineError naming result.bytes of logRecords[1]", err)
	}
	if len(recs) != 2 {
		t.Fatalf("got %d records, want the 2 good ones", len(recs))
	}
	if r := recs[0]; r.Actor.ID != "kim" || r.Action != "search" || r.Rows() != 12 || r.Origin.Host != "pc-17.corp" || r.System != "crm" || r.Time.Format("15:04") != "20:30" {
		t.Fatalf("first: %s", r.Canonical())
	}
	if r := recs[1]; r.System != "hr" || r.Action != "print" || r.Time.IsZero() {
		t.Fatalf("third: %s", r.Canonical())
	}
}

func TestOTLPJSONMalformed(t *testing.T) {
	checkMalformed(t, "otlp-json", Options{}, []malformed{
		{"not json", []string{`{"resourceLogs":`}, 1, "(line)", "JSON"},
		{"wrong shape", []string{`{"resourceLogs":{}}`}, 1, "resourceLogs", ""},
		{"no time", []string{`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"actor.id","value":{"stringValue":"a"}}]}]}]}]}`}, 1, "time", ""},
		{"bad pii count", []string{`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1","attributes":[{"key":"pii.rrn","value":{"stringValue":"lots"}}]}]}]}]}`}, 1, "pii.rrn", ""},
		{"bad time nanos", []string{`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"soon"}]}]}]}`}, 1, "(line)", ""},
	})
}
