package source

// The nginx samples were captured from a real nginx 1.22.1 (Debian
// nginx-light) by testdata/capture/logs.sh: nginx -c <temp config> on
// 127.0.0.1:58080 with "access_log … combined", the jikimi_json log_format
// of the package doc (escape=json) and combined over syslog; curl sent GET
// with basic auth and personal data in the query, a GET with an
// access_token parameter, Authorization and Cookie headers and X-User,
// POST, PUT, DELETE, an export download, a 403 with a quoted user agent
// and a 502.

import (
	"strings"
	"testing"
)

func TestNginxScrubsCredentials(t *testing.T) {
	recs, _, errs := parseLines(t, "nginx-json", Options{System: "shop", UserField: "jwt_sub"},
		`{"time":"2026-11-23T20:17:01+09:00","remote_addr":"10.0.0.9","jwt_sub":"kim","request_method":"GET","request_uri":"/api/v1/Export?Password=hunter2&id_token=eyJ&q=%ED%99%8D&key=k1","status":200,"body_bytes_sent":10,"http_authorization":"Bearer eyJhbGc","http_cookie":"sid=s3cr3t","http_x_api_token":"t0k","upstream_addr":"10.0.0.1:80"}`)
	if len(errs) != 0 || len(recs) != 1 {
		t.Fatalf("records %d, errors %v", len(recs), errs)
	}
	r := recs[0]
	c := string(r.Canonical())
	for _, secret := range []string{"hunter2", "eyJ", "s3cr3t", "t0k", "k1"} {
		if strings.Contains(c, secret) {
			t.Fatalf("credential %q stored: %s", secret, c)
		}
	}
	if r.Detail != "GET /api/v1/Export?Password=***&id_token=***&q=%ED%99%8D&key=***" || r.Action != "download" || r.Actor.ID != "kim" ||
		r.Attrs["nginx.upstream_addr"] != "10.0.0.1:80" || *r.Result.Bytes != 10 {
		t.Fatalf("record: %s", c)
	}
}

func TestNginxCombinedOddRequests(t *testing.T) {
	recs, _, errs := parseLines(t, "nginx", Options{System: "shop"},
		`10.1.2.3 - - [23/Nov/2026:20:17:01 +0900] "\x16\x03\x01\x02\x00\x01" 400 157 "-" "-"`,
		`10.1.2.3 - kim [23/Nov/2026:20:17:02 +0900] "PATCH /customers/1?session_id=abc HTTP/1.1" 401 0 "https://x/?token=zzz" "ua"`,
		`10.1.2.3 - kim [23/Nov/2026:20:17:03 +0900] "OPTIONS * HTTP/1.1" 200 0 "-" "ua 0"`)
	if len(errs) != 0 || len(recs) != 3 {
		t.Fatalf("records %d, errors %v", len(recs), errs)
	}
	if r := recs[0]; r.Action != "other" || r.Actor.ID != "anonymous" || r.Origin.UserAgent != "" {
		t.Fatalf("TLS probe: %s", r.Canonical())
	}
	if r := recs[1]; r.Action != "update" || r.Status() != "denied" || r.Detail != "PATCH /customers/1?session_id=***" || strings.Contains(string(r.Canonical()), "zzz") {
		t.Fatalf("PATCH: %s", r.Canonical())
	}
	if recs[2].Action != "other" || recs[2].Origin.UserAgent != "ua 0" || *recs[2].Result.Bytes != 0 {
		t.Fatalf("OPTIONS: %s", recs[2].Canonical())
	}
}

func TestNginxMalformed(t *testing.T) {
	checkMalformed(t, "nginx", Options{System: "shop"}, []malformed{
		{"empty after addr", []string{"10.0.0.1"}, 1, "remote_addr", ""},
		{"no time", []string{`10.0.0.1 - - 23/Nov/2026 "GET / HTTP/1.1" 200 1 "-" "-"`}, 1, "time_local", ""},
		{"bad time", []string{`10.0.0.1 - - [23/Nov/2026:20:17:01] "GET / HTTP/1.1" 200 1 "-" "-"`}, 1, "time_local", ""},
		{"unquoted request", []string{`10.0.0.1 - - [23/Nov/2026:20:17:01 +0900] GET / 200 1`}, 1, "request", ""},
		{"bad status", []string{`10.0.0.1 - - [23/Nov/2026:20:17:01 +0900] "GET / HTTP/1.1" OK 1 "-" "-"`}, 1, "status", ""},
		{"bad bytes", []string{`10.0.0.1 - - [23/Nov/2026:20:17:01 +0900] "GET / HTTP/1.1" 200 -1 "-" "-"`}, 1, "body_bytes_sent", ""},
		{"bad address", []string{`10.0.0.x - - [23/Nov/2026:20:17:01 +0900] "GET / HTTP/1.1" 200 1 "-" "-"`}, 1, "remote_addr", ""},
	})
	checkMalformed(t, "nginx-json", Options{System: "shop"}, []malformed{
		{"not json", []string{`{"time":`}, 1, "(line)", "JSON"},
		{"no time", []string{`{"remote_addr":"10.0.0.1","request_method":"GET","request_uri":"/"}`}, 1, "time", "missing"},
		{"bad time", []string{`{"time":"yesterday","request_method":"GET","request_uri":"/"}`}, 1, "time", ""},
		{"bad msec", []string{`{"msec":"soon","request_method":"GET","request_uri":"/"}`}, 1, "msec", ""},
		{"bad status", []string{`{"time":"2026-11-23T20:17:01+09:00","status":"OK"}`}, 1, "status", ""},
		{"bad bytes", []string{`{"time":"2026-11-23T20:17:01+09:00","body_bytes_sent":-5}`}, 1, "body_bytes_sent", ""},
	})
}
