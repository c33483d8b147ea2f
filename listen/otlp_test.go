package listen

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/source"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

const otlpJSONBody = `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"billing-api"}}]},
"scopeLogs":[{"logRecords":[
 {"timeUnixNano":"1788220800000000000","body":{"stringValue":"GET /customers/C1"},"attributes":[
   {"key":"enduser.id","value":{"stringValue":"kim"}},{"key":"action","value":{"stringValue":"view"}},
   {"key":"client.address","value":{"stringValue":"10.1.2.3"}},{"key":"result.rows","value":{"intValue":"3"}}]},
 {"timeUnixNano":"1788220801000000000","attributes":[{"key":"enduser.id","value":{"stringValue":"lee"}},{"key":"action","value":{"stringValue":"peek"}}]}
]}]}]}`

func startOTLP(t *testing.T, c *capture) *httptest.Server {
	t.Helper()
	h := NewOTLP(OTLPConfig{Token: "tok", Logger: quietLogger(), Options: source.Options{Location: time.UTC}}, c.sink)
	mux := http.NewServeMux()
	mux.Handle("POST "+OTLPPath, h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func postOTLP(t *testing.T, url, ctype, token string, body []byte, gz bool) (*http.Response, []byte) {
	t.Helper()
	if gz {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(body)
		zw.Close()
		body = b.Bytes()
	}
	req, _ := http.NewRequest("POST", url+OTLPPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+token)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return resp, rb
}

func TestOTLPJSONPartialSuccess(t *testing.T) {
	c := &capture{}
	srv := startOTLP(t, c)
	resp, body := postOTLP(t, srv.URL, "application/json", "tok", []byte(otlpJSONBody), true)
	if resp.StatusCode != 200 {
		t.Fatalf("status %s: %s", resp.Status, body)
	}
	var got struct {
		PartialSuccess struct {
			RejectedLogRecords string
			ErrorMessage       string
		}
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("response %s: %v", body, err)
	}
	if got.PartialSuccess.RejectedLogRecords != "1" || !strings.Contains(got.PartialSuccess.ErrorMessage, "peek") {
		t.Fatalf("partial success %s, want 1 rejected naming the bad action", body)
	}
	recs := c.wait(t, 1)
	if r := recs[0]; r.System != "billing-api" || r.Actor.ID != "kim" || r.Origin.IP != "10.1.2.3" || r.Rows() != 3 {
		t.Fatalf("record %+v", r)
	}
}

func TestOTLPProtobuf(t *testing.T) {
	str := func(s string) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
	}
	kv := func(k, v string) *commonpb.KeyValue { return &commonpb.KeyValue{Key: k, Value: str(v)} }
	req := &logspb.LogsData{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{kv("service.name", "custdb")}},
		ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{
			{TimeUnixNano: 1788220800000000000, Body: str("SELECT * FROM customers"), Attributes: []*commonpb.KeyValue{
				kv("enduser.id", "dba.f"), kv("action", "export"), kv("target.object", "customers"),
				{Key: "result.rows", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 25000000}}}}},
		}}},
	}}}
	body, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	c := &capture{}
	srv := startOTLP(t, c)
	resp, rb := postOTLP(t, srv.URL, "application/x-protobuf", "tok", body, false)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("status %s %s: %q", resp.Status, resp.Header.Get("Content-Type"), rb)
	}
	if len(rb) != 0 {
		t.Fatalf("response %x, want an empty ExportLogsServiceResponse", rb)
	}
	r := c.wait(t, 1)[0]
	if r.System != "custdb" || r.Action != "export" || r.Rows() != 25000000 || r.Target.Object != "customers" || !r.Time.Equal(time.Unix(0, 1788220800000000000)) {
		t.Fatalf("record %+v", r)
	}

	// A rejected record comes back in partial_success, protobuf-encoded.
	req.ResourceLogs[0].ScopeLogs[0].LogRecords[0].Attributes[1] = kv("action", "peek")
	body, _ = proto.Marshal(req)
	resp, rb = postOTLP(t, srv.URL, "application/x-protobuf", "tok", body, true)
	if resp.StatusCode != 200 {
		t.Fatalf("status %s", resp.Status)
	}
	// partial_success (1) { rejected_log_records (1) = 1, error_message (2) }
	num, typ, n := protowire.ConsumeTag(rb)
	ps, m := protowire.ConsumeBytes(rb[n:])
	if num != 1 || typ != protowire.BytesType || m < 0 {
		t.Fatalf("response %x", rb)
	}
	num, _, n = protowire.ConsumeTag(ps)
	rejected, _ := protowire.ConsumeVarint(ps[n:])
	if num != 1 || rejected != 1 {
		t.Fatalf("rejected_log_records=%d (field %d), want 1", rejected, num)
	}
}

func TestOTLPRefusals(t *testing.T) {
	c := &capture{fail: 1}
	srv := startOTLP(t, c)
	if resp, _ := postOTLP(t, srv.URL, "application/json", "wrong", []byte(otlpJSONBody), false); resp.StatusCode != 401 {
		t.Errorf("wrong token: %s, want 401", resp.Status)
	}
	if resp, _ := postOTLP(t, srv.URL, "text/plain", "tok", []byte(otlpJSONBody), false); resp.StatusCode != 415 {
		t.Errorf("text/plain: %s, want 415", resp.Status)
	}
	if resp, _ := postOTLP(t, srv.URL, "application/json", "tok", []byte("{nope"), false); resp.StatusCode != 400 {
		t.Errorf("bad JSON: %s, want 400", resp.Status)
	}
	// The store fails once: 503 with Retry-After, which exporters retry.
	resp, _ := postOTLP(t, srv.URL, "application/json", "tok", []byte(otlpJSONBody), false)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("store down: %s, want 503 with Retry-After", resp.Status)
	}
	if resp, _ := postOTLP(t, srv.URL, "application/json", "tok", []byte(otlpJSONBody), false); resp.StatusCode != 200 {
		t.Errorf("retry: %s, want 200", resp.Status)
	}
}
