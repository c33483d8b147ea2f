// Package api is jikimi's HTTP API:
//
//	POST /api/v1/records   JSON lines (Content-Encoding: gzip accepted);
//	                       answers after the records are durable
//	GET  /api/v1/records   search, newest first, one canonical record a line
//	GET  /healthz          liveness
//	GET  /metrics          Prometheus metrics
//
// Every /api/ path needs "Authorization: Bearer TOKEN".
package api

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jikimi/jikimi/ingest"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/source"
	"github.com/jikimi/jikimi/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxBody is the largest request body accepted, after decompression.
const MaxBody = 256 << 20

// Query turns URL parameters into a store query (the caller owns the
// meaning of the parameters and the pseudonymisation of subjects).
type Query func(r *http.Request) (store.Query, error)

// Config wires the API.
type Config struct {
	Pipeline *ingest.Pipeline
	Store    store.Store
	Token    string
	Query    Query
	Logger   *slog.Logger
	Registry *prometheus.Registry
}

// Server serves the API. Its handlers may be called concurrently.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	metrics metrics
}

type metrics struct {
	received, accepted, duplicates, rejected *prometheus.CounterVec
	duration                                 *prometheus.HistogramVec
}

// New returns the API server.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	counter := func(name, help string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "jikimi", Name: name, Help: help}, []string{"source"})
		cfg.Registry.MustRegister(c)
		return c
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.metrics = metrics{
		received:   counter("records_received_total", "Records received, by source."),
		accepted:   counter("records_accepted_total", "Records stored, by source."),
		duplicates: counter("records_duplicate_total", "Records already stored (same id), by source."),
		rejected:   counter("records_rejected_total", "Lines rejected as invalid, by source."),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "jikimi", Name: "http_request_duration_seconds", Help: "API request latency.",
		}, []string{"route"}),
	}
	cfg.Registry.MustRegister(s.metrics.duration, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	s.mux.Handle("POST /api/v1/records", s.auth("ingest", s.postRecords))
	s.mux.Handle("GET /api/v1/records", s.auth("search", s.getRecords))
	return s
}

// Handle adds another handler (the console, the OTLP endpoint …).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// httpError is an error with the status it should be answered with.
type httpError struct {
	status int
	err    error
}

func (e *httpError) Error() string { return e.err.Error() }

func (s *Server) auth(route string, h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer func() { s.metrics.duration.WithLabelValues(route).Observe(time.Since(start).Seconds()) }()
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="jikimi"`)
			http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
			return
		}
		if err := h(w, r); err != nil {
			status := http.StatusInternalServerError
			var he *httpError
			if errors.As(err, &he) {
				status = he.status
			}
			if status >= 500 {
				s.cfg.Logger.Error("api", "route", route, "err", err)
			}
			http.Error(w, err.Error(), status)
		}
	})
}

// IngestResponse is the answer to POST /api/v1/records.
type IngestResponse struct {
	Accepted   int          `json:"accepted"`
	Duplicates int          `json:"duplicates"`
	Rejected   []RejectLine `json:"rejected"`
}

// RejectLine names a line of the request that was not stored.
type RejectLine struct {
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (s *Server) postRecords(w http.ResponseWriter, r *http.Request) error {
	src := r.URL.Query().Get("source")
	if src == "" {
		src = "api"
	}
	body := io.Reader(r.Body)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return &httpError{http.StatusBadRequest, fmt.Errorf("gzip: %w", err)}
		}
		defer zr.Close()
		body = zr
	}
	body = io.LimitReader(body, MaxBody+1)
	p, err := source.New("jsonl", source.Options{})
	if err != nil {
		return err
	}
	pr := s.cfg.Pipeline.NewPreparer()
	var batch []*ingest.Prepared
	resp := IngestResponse{Rejected: []RejectLine{}}
	received := 0
	readErr := source.Read(body, "request", p, func(rec *record.Record, line int) error {
		received++
		x, err := pr.Prepare(rec)
		if err != nil {
			field := ""
			var fe *record.FieldError
			if errors.As(err, &fe) {
				field, err = fe.Field, errors.New(fe.Reason)
			}
			resp.Rejected = append(resp.Rejected, RejectLine{Line: line, Field: field, Reason: err.Error()})
			return nil
		}
		batch = append(batch, x)
		return nil
	}, func(le *source.LineError) {
		received++
		resp.Rejected = append(resp.Rejected, RejectLine{Line: le.Line, Field: le.Field, Reason: le.Reason})
	})
	if readErr != nil {
		return &httpError{http.StatusBadRequest, fmt.Errorf("read request: %w", readErr)}
	}
	res, err := s.cfg.Pipeline.Submit(r.Context(), batch)
	if err != nil {
		// Nothing in this request is acknowledged: the sender retries, and
		// what was stored is then counted as duplicates.
		return &httpError{http.StatusServiceUnavailable, fmt.Errorf("records not stored: %w", err)}
	}
	resp.Accepted, resp.Duplicates = res.Accepted, res.Duplicates
	s.metrics.received.WithLabelValues(src).Add(float64(received))
	s.metrics.accepted.WithLabelValues(src).Add(float64(res.Accepted))
	s.metrics.duplicates.WithLabelValues(src).Add(float64(res.Duplicates))
	s.metrics.rejected.WithLabelValues(src).Add(float64(len(resp.Rejected)))
	w.Header().Set("Content-Type", "application/json")
	if len(resp.Rejected) > 0 {
		w.WriteHeader(http.StatusUnprocessableEntity)
	}
	return json.NewEncoder(w).Encode(resp)
}

func (s *Server) getRecords(w http.ResponseWriter, r *http.Request) error {
	q, err := s.cfg.Query(r)
	if err != nil {
		return &httpError{http.StatusBadRequest, err}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
	defer cancel()
	recs, err := s.cfg.Store.Records(ctx, q)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	bw := bufio.NewWriter(w)
	for _, rec := range recs {
		bw.Write(rec.Canonical)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
