package listen

import (
	"compress/gzip"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/source"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// MaxOTLPBody is the largest OTLP request accepted, after decompression.
const MaxOTLPBody = 64 << 20

// OTLPPath is where OTLP/HTTP exporters send logs.
const OTLPPath = "/v1/logs"

// OTLPConfig configures the OTLP/HTTP logs endpoint.
type OTLPConfig struct {
	Name    string         // the listener's name in metrics; default "otlp"
	Token   string         // required bearer token (the API token)
	Options source.Options // for source.OTLPJSON: System, Location
	Metrics *Metrics
	Logger  *slog.Logger
}

// OTLP serves POST /v1/logs: an OTLP/HTTP ExportLogsServiceRequest in
// protobuf (Content-Type application/x-protobuf) or JSON
// (application/json), gzip-compressed or not — what an OpenTelemetry
// Collector's otlphttp exporter sends. It answers 200 with an
// ExportLogsServiceResponse in the request's encoding only after the
// records are durable; log records that are not valid access records are
// counted in partial_success.rejected_log_records with the first reason.
// When the records cannot be stored it answers 503 with Retry-After, which
// exporters retry. Its methods may be called concurrently.
type OTLP struct {
	cfg  OTLPConfig
	sink Sink
	lm   *listenerMetrics
}

// NewOTLP returns the handler.
func NewOTLP(cfg OTLPConfig, sink Sink) *OTLP {
	if cfg.Name == "" {
		cfg.Name = "otlp"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("listener", cfg.Name)
	return &OTLP{cfg: cfg, sink: sink, lm: cfg.Metrics.forListener(cfg.Name)}
}

type otlpError struct {
	status int
	msg    string
}

func (o *OTLP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(o.cfg.Token)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="jikimi"`)
		http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isProto := ct == "application/x-protobuf"
	if !isProto && ct != "application/json" {
		http.Error(w, "Content-Type must be application/x-protobuf or application/json", http.StatusUnsupportedMediaType)
		return
	}
	resp, oe := o.export(r, isProto)
	if oe != nil {
		if oe.status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
			o.cfg.Logger.Error("OTLP export not stored", "err", oe.msg)
		}
		http.Error(w, oe.msg, oe.status)
		return
	}
	w.Header().Set("Content-Type", ct)
	if isProto {
		w.Write(resp.protobuf())
	} else {
		w.Write(resp.json())
	}
}

// exportResponse is an ExportLogsServiceResponse. It is encoded by hand:
// the generated package collector/logs/v1 also holds the gRPC service and
// would pull in google.golang.org/grpc and grpc-gateway for two fields.
type exportResponse struct {
	rejected int64
	message  string
}

// protobuf encodes message ExportLogsServiceResponse {
// ExportLogsPartialSuccess partial_success = 1; } with message
// ExportLogsPartialSuccess { int64 rejected_log_records = 1; string
// error_message = 2; }.
func (r *exportResponse) protobuf() []byte {
	if r.rejected == 0 && r.message == "" {
		return nil
	}
	var ps []byte
	ps = protowire.AppendTag(ps, 1, protowire.VarintType)
	ps = protowire.AppendVarint(ps, uint64(r.rejected))
	if r.message != "" {
		ps = protowire.AppendTag(ps, 2, protowire.BytesType)
		ps = protowire.AppendString(ps, r.message)
	}
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	return protowire.AppendBytes(b, ps)
}

// json encodes the response in OTLP's JSON mapping (int64 as a string).
func (r *exportResponse) json() []byte {
	if r.rejected == 0 && r.message == "" {
		return []byte("{}")
	}
	msg, _ := json.Marshal(r.message)
	return fmt.Appendf(nil, `{"partialSuccess":{"rejectedLogRecords":"%d","errorMessage":%s}}`, r.rejected, msg)
}

func (o *OTLP) export(r *http.Request, isProto bool) (*exportResponse, *otlpError) {
	body := io.Reader(r.Body)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, &otlpError{http.StatusBadRequest, "gzip: " + err.Error()}
		}
		defer zr.Close()
		body = zr
	}
	data, err := io.ReadAll(io.LimitReader(body, MaxOTLPBody+1))
	if err != nil {
		return nil, &otlpError{http.StatusBadRequest, "read body: " + err.Error()}
	}
	if len(data) > MaxOTLPBody {
		return nil, &otlpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", MaxOTLPBody)}
	}
	var total int
	if isProto {
		// LogsData is ExportLogsServiceRequest on the wire (both are
		// "repeated ResourceLogs resource_logs = 1"), without the gRPC
		// service that comes with the collector package.
		var req logspb.LogsData
		if err := proto.Unmarshal(data, &req); err != nil {
			return nil, &otlpError{http.StatusBadRequest, "protobuf: " + err.Error()}
		}
		for _, rl := range req.ResourceLogs {
			for _, sl := range rl.ScopeLogs {
				total += len(sl.LogRecords)
			}
		}
		// source.OTLPJSON reads the JSON mapping, which protojson writes.
		if data, err = protojson.Marshal(&req); err != nil {
			return nil, &otlpError{http.StatusInternalServerError, err.Error()}
		}
	} else {
		if total, err = countLogRecords(data); err != nil {
			return nil, &otlpError{http.StatusBadRequest, "JSON: " + err.Error()}
		}
	}
	o.lm.messages.Add(float64(total))
	var recs []*record.Record
	counts := systemCounts{}
	perr := source.OTLPJSON(data, o.cfg.Options, func(rec *record.Record) {
		recs = append(recs, rec)
		counts[rec.System]++
	})
	rejected, reason := total-len(recs), ""
	if perr != nil {
		reason = perr.Error()
		if len(recs) == 0 && total == 0 {
			return nil, &otlpError{http.StatusBadRequest, reason}
		}
	}
	o.lm.malformed.Add(float64(rejected))
	o.lm.observe(counts)
	if len(recs) > 0 {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Minute)
		defer cancel()
		res, err := o.sink(ctx, recs)
		if err != nil {
			return nil, &otlpError{http.StatusServiceUnavailable, "records not stored: " + err.Error()}
		}
		o.lm.stored.Add(float64(res.Stored))
		o.lm.duplicates.Add(float64(res.Duplicates))
		o.lm.rejected.Add(float64(res.Rejected))
		rejected += res.Rejected
		if reason == "" {
			reason = res.Reason
		}
	}
	resp := &exportResponse{}
	if rejected > 0 {
		o.cfg.Logger.Warn("OTLP log records rejected", "rejected", rejected, "of", total, "first", reason)
		resp.rejected, resp.message = int64(rejected), reason
	}
	return resp, nil
}

// countLogRecords counts the logRecords of an OTLP JSON request.
func countLogRecords(data []byte) (int, error) {
	var req struct {
		ResourceLogs []struct {
			ScopeLogs []struct {
				LogRecords []json.RawMessage `json:"logRecords"`
			} `json:"scopeLogs"`
		} `json:"resourceLogs"`
	}
	if err := json.Unmarshal(data, &req); err != nil {
		return 0, err
	}
	n := 0
	for _, rl := range req.ResourceLogs {
		for _, sl := range rl.ScopeLogs {
			n += len(sl.LogRecords)
		}
	}
	if n == 0 && len(req.ResourceLogs) == 0 {
		return 0, errors.New("no resourceLogs")
	}
	return n, nil
}
