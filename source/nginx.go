package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jikimi/jikimi/record"
)

// nginxRequest is what both nginx formats carry, before mapping.
type nginxRequest struct {
	time                     time.Time
	addr, user, agent, id    string
	method, uri, requestLine string
	status                   int
	bytes                    *int64
	attrs                    map[string]string
}

// record maps a request to an access record.
func (r *nginxRequest) record(system string, lineNo int, emit EmitFunc) error {
	rec := &record.Record{Time: r.time, System: system, ID: ""}
	if r.id != "" {
		rec.ID = system + ":" + r.id
	}
	rec.Actor.ID = r.user
	if r.user == "" || r.user == "-" {
		// Anonymous requests are still accesses (a login page, a leaked
		// link): keep them, attributed to nobody in particular.
		rec.Actor = record.Actor{ID: "anonymous", Type: "unknown"}
	}
	if a, err := netip.ParseAddr(r.addr); err == nil {
		rec.Origin.IP = a.String()
	} else if r.addr != "" && r.addr != "-" {
		return lineErr(lineNo, "remote_addr", "%q is not an IP address", r.addr)
	}
	if r.agent != "-" {
		rec.Origin.UserAgent = r.agent
	}
	method, uri := r.method, r.uri
	if method == "" && uri == "" { // combined: "$request"
		f := strings.Fields(r.requestLine)
		if len(f) >= 2 {
			method, uri = f[0], f[1]
		}
	}
	path, _, _ := strings.Cut(uri, "?")
	rec.Action = nginxAction(method, path)
	if method != "" {
		rec.Detail = method + " " + scrubURI(uri)
		rec.Target = record.Target{Object: path, Kind: "api"}
	} else if r.requestLine != "" && r.requestLine != "-" {
		rec.Detail = scrubURI(r.requestLine) // not HTTP: a probe or a TLS hello
	}
	rec.Result.Status = statusFromHTTP(r.status)
	rec.Result.Bytes = r.bytes
	rec.Attrs = r.attrs
	if r.status != 0 {
		rec.Attrs = setAttr(rec.Attrs, "http.status", strconv.Itoa(r.status))
	}
	return finish(rec, lineNo, emit)
}

// nginxAction maps a method (and an export-looking path) to an action.
func nginxAction(method, path string) record.Action {
	switch method {
	case "GET", "HEAD":
		p := strings.ToLower(path)
		if strings.Contains(p, "export") || strings.Contains(p, "download") {
			return record.Download
		}
		return record.View
	case "POST":
		return record.Create
	case "PUT", "PATCH":
		return record.Update
	case "DELETE":
		return record.Delete
	}
	return record.Other
}

// scrubURI replaces the values of credential-like query parameters with
// "***": tokens and passwords in URLs must never be stored. Everything else
// is kept byte for byte; personal information in it is masked later.
func scrubURI(uri string) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok {
		return uri
	}
	params := strings.Split(query, "&")
	for i, p := range params {
		k, _, hasValue := strings.Cut(p, "=")
		if hasValue && secretName(k) {
			params[i] = k + "=***"
		}
	}
	return path + "?" + strings.Join(params, "&")
}

// secretName reports whether a parameter or field name suggests a credential.
func secretName(k string) bool {
	if u, err := url.QueryUnescape(k); err == nil {
		k = u
	}
	k = strings.ToLower(k)
	for _, s := range []string{"token", "passw", "secret", "apikey", "api_key", "api-key", "auth", "session", "cookie", "jwt", "signature", "credential"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	switch k {
	case "key", "pwd", "pass", "sid", "code", "sig", "ticket":
		return true
	}
	return false
}

// nginxCombined reads the predefined "combined" format:
//
//	$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
type nginxCombined struct{ opts Options }

var _ Parser = (*nginxCombined)(nil)

func newNginxCombined(opts Options) (Parser, error) {
	if opts.System == "" {
		return nil, errors.New("source: nginx needs Options.System (the site's system name)")
	}
	if opts.UserField != "" && opts.UserField != "remote_user" {
		return nil, fmt.Errorf("source: nginx combined carries only remote_user, not %q: use nginx-json for other user fields", opts.UserField)
	}
	return &nginxCombined{opts: opts}, nil
}

func (n *nginxCombined) Flush(EmitFunc) {}

func (n *nginxCombined) Line(line []byte, lineNo int, emit EmitFunc) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	s := string(line)
	var r nginxRequest
	var ok bool
	if r.addr, s, ok = strings.Cut(s, " "); !ok {
		return lineErr(lineNo, "remote_addr", "line ends after it")
	}
	if _, s, ok = strings.Cut(s, " "); !ok { // "-" (ident)
		return lineErr(lineNo, "remote_user", "line ends before it")
	}
	if r.user, s, ok = strings.Cut(s, " ["); !ok {
		return lineErr(lineNo, "time_local", "no [time]")
	}
	ts, s, ok := strings.Cut(s, "] ")
	if !ok {
		return lineErr(lineNo, "time_local", "no closing ]")
	}
	t, err := time.Parse("02/Jan/2006:15:04:05 -0700", ts)
	if err != nil {
		return lineErr(lineNo, "time_local", "%q is not dd/Mon/yyyy:hh:mm:ss +zzzz", ts)
	}
	r.time = t
	if r.requestLine, s, ok = nginxQuoted(s); !ok {
		return lineErr(lineNo, "request", "not a quoted request line")
	}
	statusField, s, _ := strings.Cut(strings.TrimLeft(s, " "), " ")
	bytesField, rest, _ := strings.Cut(strings.TrimLeft(s, " "), " ")
	if statusField == "" || bytesField == "" {
		return lineErr(lineNo, "status", "no status and body_bytes_sent")
	}
	if r.status, err = strconv.Atoi(statusField); err != nil {
		return lineErr(lineNo, "status", "%q is not a number", statusField)
	}
	b, err := strconv.ParseInt(bytesField, 10, 64)
	if err != nil || b < 0 {
		return lineErr(lineNo, "body_bytes_sent", "%q is not a byte count", bytesField)
	}
	r.bytes = record.Int64(b)
	// The referer is not kept: it may carry another site's tokens.
	if _, rest, ok = nginxQuoted(strings.TrimLeft(rest, " ")); ok {
		if ua, _, ok := nginxQuoted(strings.TrimLeft(rest, " ")); ok {
			r.agent = ua
		}
	}
	return r.record(n.opts.System, lineNo, emit)
}

// nginxQuoted reads a "…" field with nginx's \xHH escapes and returns the
// rest of s after it.
func nginxQuoted(s string) (v, rest string, ok bool) {
	if len(s) == 0 || s[0] != '"' {
		return "", s, false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), strings.TrimPrefix(s[i+1:], " "), true
		case c == '\\' && i+3 < len(s) && s[i+1] == 'x':
			if n, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return "", s, false
}

// nginxJSON reads one JSON object per line from a log_format with
// escape=json (see the package doc for the supported keys).
type nginxJSON struct {
	opts      Options
	userField string
}

var _ Parser = (*nginxJSON)(nil)

func newNginxJSON(opts Options) (Parser, error) {
	if opts.System == "" {
		return nil, errors.New("source: nginx-json needs Options.System (the site's system name)")
	}
	uf := opts.UserField
	if uf == "" {
		uf = "remote_user"
	}
	return &nginxJSON{opts: opts, userField: uf}, nil
}

func (n *nginxJSON) Flush(EmitFunc) {}

// nginxJSONKeys are the keys mapped to record fields; others go to attrs.
var nginxJSONKeys = map[string]bool{
	"time": true, "time_iso8601": true, "time_local": true, "msec": true, "request_id": true,
	"remote_addr": true, "remote_user": true, "request_method": true, "request_uri": true,
	"request": true, "status": true, "body_bytes_sent": true, "http_user_agent": true,
	"http_referer": true, "uri": true, "args": true, "server_protocol": true,
}

func (n *nginxJSON) Line(line []byte, lineNo int, emit EmitFunc) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return lineErr(lineNo, "(line)", "invalid JSON: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	str := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case json.Number:
			return v.String()
		case bool:
			return strconv.FormatBool(v)
		}
		return ""
	}
	var r nginxRequest
	var err error
	switch {
	case str("time") != "" || str("time_iso8601") != "":
		ts := str("time")
		if ts == "" {
			ts = str("time_iso8601")
		}
		if r.time, err = time.Parse(time.RFC3339Nano, ts); err != nil {
			return lineErr(lineNo, "time", "%q is not RFC 3339 ($time_iso8601)", ts)
		}
	case str("time_local") != "":
		if r.time, err = time.Parse("02/Jan/2006:15:04:05 -0700", str("time_local")); err != nil {
			return lineErr(lineNo, "time_local", "%q is not dd/Mon/yyyy:hh:mm:ss +zzzz", str("time_local"))
		}
	case str("msec") != "":
		f, err := strconv.ParseFloat(str("msec"), 64)
		if err != nil {
			return lineErr(lineNo, "msec", "%q is not seconds since the epoch", str("msec"))
		}
		r.time = time.UnixMilli(int64(f * 1000)).In(n.opts.Location)
	default:
		return lineErr(lineNo, "time", "missing ($time_iso8601, $time_local or $msec)")
	}
	r.addr, r.user, r.agent, r.id = str("remote_addr"), str(n.userField), str("http_user_agent"), str("request_id")
	r.method, r.uri, r.requestLine = str("request_method"), str("request_uri"), str("request")
	if r.uri == "" && str("uri") != "" {
		r.uri = str("uri")
		if a := str("args"); a != "" {
			r.uri += "?" + a
		}
	}
	if s := str("status"); s != "" {
		if r.status, err = strconv.Atoi(s); err != nil {
			return lineErr(lineNo, "status", "%q is not a number", s)
		}
	}
	if s := str("body_bytes_sent"); s != "" {
		b, err := strconv.ParseInt(s, 10, 64)
		if err != nil || b < 0 {
			return lineErr(lineNo, "body_bytes_sent", "%q is not a byte count", s)
		}
		r.bytes = record.Int64(b)
	}
	for k := range m {
		if nginxJSONKeys[k] || k == n.userField || secretName(k) {
			continue // mapped, or a credential (Authorization, Cookie, tokens) never stored
		}
		if v := str(k); v != "" && v != "-" {
			r.attrs = setAttr(r.attrs, "nginx."+k, v)
		}
	}
	return r.record(n.opts.System, lineNo, emit)
}
