package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/jikimi/jikimi/record"
)

// This file decodes OTLP/HTTP JSON logs (an ExportLogsServiceRequest) with
// encoding/json: go.opentelemetry.io/collector/pdata would pull in about 66
// modules for a shape this small.

type otlpRequest struct {
	ResourceLogs []struct {
		Resource struct {
			Attributes []otlpKV `json:"attributes"`
		} `json:"resource"`
		ScopeLogs []struct {
			LogRecords []otlpLogRecord `json:"logRecords"`
		} `json:"scopeLogs"`
	} `json:"resourceLogs"`
}

type otlpLogRecord struct {
	TimeUnixNano         otlpUint  `json:"timeUnixNano"`
	ObservedTimeUnixNano otlpUint  `json:"observedTimeUnixNano"`
	Body                 otlpValue `json:"body"`
	Attributes           []otlpKV  `json:"attributes"`
}

type otlpKV struct {
	Key   string    `json:"key"`
	Value otlpValue `json:"value"`
}

// otlpValue is an AnyValue. Protobuf's JSON mapping writes 64-bit integers
// as strings, but senders also write numbers: both are accepted.
type otlpValue struct {
	StringValue *string  `json:"stringValue"`
	BoolValue   *bool    `json:"boolValue"`
	IntValue    *otlpInt `json:"intValue"`
	DoubleValue *float64 `json:"doubleValue"`
	BytesValue  *string  `json:"bytesValue"`
	ArrayValue  *struct {
		Values []otlpValue `json:"values"`
	} `json:"arrayValue"`
	KvlistValue *struct {
		Values []otlpKV `json:"values"`
	} `json:"kvlistValue"`
}

type otlpInt int64

func (n *otlpInt) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseInt(string(bytes.Trim(b, `"`)), 10, 64)
	*n = otlpInt(v)
	return err
}

type otlpUint uint64

func (n *otlpUint) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseUint(string(bytes.Trim(b, `"`)), 10, 64)
	*n = otlpUint(v)
	return err
}

// String renders a scalar value; arrays and lists as JSON-ish text.
func (v otlpValue) String() string {
	switch {
	case v.StringValue != nil:
		return *v.StringValue
	case v.BoolValue != nil:
		return strconv.FormatBool(*v.BoolValue)
	case v.IntValue != nil:
		return strconv.FormatInt(int64(*v.IntValue), 10)
	case v.DoubleValue != nil:
		return strconv.FormatFloat(*v.DoubleValue, 'g', -1, 64)
	case v.BytesValue != nil:
		return *v.BytesValue
	case v.ArrayValue != nil:
		parts := make([]string, len(v.ArrayValue.Values))
		for i, x := range v.ArrayValue.Values {
			parts[i] = x.String()
		}
		return strings.Join(parts, ",")
	}
	return ""
}

func (v otlpValue) int() (int64, bool) {
	switch {
	case v.IntValue != nil:
		return int64(*v.IntValue), true
	case v.DoubleValue != nil && *v.DoubleValue == float64(int64(*v.DoubleValue)):
		return int64(*v.DoubleValue), true
	case v.StringValue != nil:
		n, err := strconv.ParseInt(*v.StringValue, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// otlpAliases maps OpenTelemetry semantic-convention names to record paths.
var otlpAliases = map[string]string{
	"enduser.id":          "actor.id",
	"user.id":             "actor.id",
	"client.address":      "origin.ip",
	"source.address":      "origin.ip",
	"session.id":          "auth.session",
	"user_agent.original": "origin.user_agent",
	"service.name":        "system",
}

// OTLPJSON decodes one OTLP/HTTP JSON ExportLogsServiceRequest and emits one
// record per logRecord. Attributes (the logRecord's over its resource's)
// whose keys are record field paths ("actor.id", "action", "origin.ip",
// "target.object", "result.rows", "pii.phone", …) or the semantic-convention
// names of otlpAliases fill those fields; others go to attrs. A string body
// becomes detail unless a "detail" attribute is set; a key-value body is
// read as attributes. Bad logRecords are skipped and the first problem is
// returned (a *LineError without File or Line) after the good ones are
// emitted.
func OTLPJSON(body []byte, opts Options, emit func(*record.Record)) error {
	opts = opts.withDefaults()
	var req otlpRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return fieldError(0, decodeJSONError(err))
	}
	var first error
	for i, rl := range req.ResourceLogs {
		for j, sl := range rl.ScopeLogs {
			for k, lr := range sl.LogRecords {
				rec, err := otlpRecord(rl.Resource.Attributes, &lr, opts)
				if err == nil {
					err = rec.Validate()
				}
				if err != nil {
					if first == nil {
						le := fieldError(0, err)
						le.Reason = fmt.Sprintf("resourceLogs[%d].scopeLogs[%d].logRecords[%d]: %s", i, j, k, le.Reason)
						first = le
					}
					continue
				}
				emit(rec)
			}
		}
	}
	return first
}

func otlpRecord(resource []otlpKV, lr *otlpLogRecord, opts Options) (*record.Record, error) {
	rec := &record.Record{}
	ns := uint64(lr.TimeUnixNano)
	if ns == 0 {
		ns = uint64(lr.ObservedTimeUnixNano)
	}
	if ns != 0 {
		rec.Time = time.Unix(0, int64(ns)).In(opts.Location)
	}
	attrs := append([]otlpKV(nil), resource...)
	if lr.Body.KvlistValue != nil {
		attrs = append(attrs, lr.Body.KvlistValue.Values...)
	} else if s := lr.Body.String(); s != "" {
		rec.Detail = s
	}
	attrs = append(attrs, lr.Attributes...)
	for _, kv := range attrs {
		if err := otlpSet(rec, kv.Key, kv.Value); err != nil {
			return nil, err
		}
	}
	if opts.System != "" && rec.System == "" {
		rec.System = opts.System
	}
	return rec, nil
}

// otlpSet puts one attribute into rec.
func otlpSet(rec *record.Record, key string, v otlpValue) error {
	path := key
	if a, ok := otlpAliases[key]; ok {
		path = a
	}
	s := v.String()
	count := func(dst **int64) error {
		n, ok := v.int()
		if !ok {
			return &record.FieldError{Field: path, Reason: fmt.Sprintf("%q is not an integer", s)}
		}
		*dst = record.Int64(n)
		return nil
	}
	switch path {
	case "id":
		rec.ID = s
	case "time":
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return &record.FieldError{Field: "time", Reason: "not RFC 3339 with an offset"}
		}
		rec.Time = t
	case "system":
		rec.System = s
	case "actor.id":
		rec.Actor.ID = s
	case "actor.type":
		rec.Actor.Type = s
	case "actor.name":
		rec.Actor.Name = s
	case "actor.dept":
		rec.Actor.Dept = s
	case "action":
		rec.Action = record.Action(s)
	case "origin.ip":
		// client.address may be a host name; keep those as origin.host.
		if _, err := netip.ParseAddr(s); err != nil && key != "origin.ip" {
			rec.Origin.Host = s
		} else {
			rec.Origin.IP = s
		}
	case "origin.host":
		rec.Origin.Host = s
	case "origin.device":
		rec.Origin.Device = s
	case "origin.cert":
		rec.Origin.Cert = s
	case "origin.user_agent":
		rec.Origin.UserAgent = s
	case "auth.method":
		rec.Auth.Method = s
	case "auth.session":
		rec.Auth.Session = s
	case "auth.key_id":
		rec.Auth.KeyID = s
	case "auth.external":
		rec.Auth.External = s == "true"
	case "target.object":
		rec.Target.Object = s
	case "target.kind":
		rec.Target.Kind = s
	case "detail":
		rec.Detail = s
	case "purpose":
		rec.Purpose = s
	case "result.status":
		rec.Result.Status = s
	case "result.rows":
		return count(&rec.Result.Rows)
	case "result.bytes":
		return count(&rec.Result.Bytes)
	case "subjects":
		if v.ArrayValue != nil {
			for _, x := range v.ArrayValue.Values {
				rec.Subjects = append(rec.Subjects, x.String())
			}
		} else if s != "" {
			rec.Subjects = append(rec.Subjects, s)
		}
	case "subject_count":
		n, ok := v.int()
		if !ok {
			return &record.FieldError{Field: path, Reason: fmt.Sprintf("%q is not an integer", s)}
		}
		rec.SubjectCount = n
	case "payload":
		rec.Payload = s
	default:
		if t, ok := strings.CutPrefix(path, "pii."); ok {
			n, ok := v.int()
			if !ok {
				return &record.FieldError{Field: path, Reason: fmt.Sprintf("%q is not an integer", s)}
			}
			if rec.PII == nil {
				rec.PII = map[string]int64{}
			}
			rec.PII[t] = n
			return nil
		}
		if rec.Attrs == nil {
			rec.Attrs = map[string]string{}
		}
		rec.Attrs[strings.TrimPrefix(key, "attrs.")] = s
	}
	return nil
}

// otlpJSON is the line format: one ExportLogsServiceRequest per line.
type otlpJSON struct{ opts Options }

var _ Parser = (*otlpJSON)(nil)

func newOTLPJSON(opts Options) (Parser, error) { return &otlpJSON{opts: opts}, nil }

func (o *otlpJSON) Line(line []byte, lineNo int, emit EmitFunc) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	err := OTLPJSON(line, o.opts, func(r *record.Record) { emit(r, lineNo) })
	if err != nil {
		le := toLineError(err, "", lineNo)
		le.Line = lineNo
		return le
	}
	return nil
}

func (o *otlpJSON) Flush(EmitFunc) {}
