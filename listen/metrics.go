package listen

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts what the listeners receive. One Metrics serves every
// listener of a process; register it once.
type Metrics struct {
	messages   *prometheus.CounterVec // listener
	malformed  *prometheus.CounterVec // listener
	parsed     *prometheus.CounterVec // listener, system
	rejected   *prometheus.CounterVec // listener
	stored     *prometheus.CounterVec // listener
	duplicates *prometheus.CounterVec // listener
	failed     *prometheus.CounterVec // listener
	queued     *prometheus.GaugeVec   // listener
	lastSeen   *prometheus.GaugeVec   // listener, system
}

// NewMetrics registers the listener metrics with reg (nil: not exported).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "jikimi", Subsystem: "listen", Name: name, Help: help}, labels)
	}
	m := &Metrics{
		messages:   counter("messages_received_total", "Syslog messages or OTLP log records received, by listener.", "listener"),
		malformed:  counter("messages_rejected_total", "Messages that could not be parsed into a record (logged with the reason), by listener.", "listener"),
		parsed:     counter("records_parsed_total", "Records parsed, by listener and system (the source).", "listener", "system"),
		rejected:   counter("records_rejected_total", "Parsed records the pipeline rejected as invalid, by listener.", "listener"),
		stored:     counter("records_stored_total", "Records durably stored, by listener.", "listener"),
		duplicates: counter("records_duplicate_total", "Records already stored (same id), by listener.", "listener"),
		failed:     counter("records_failed_total", "Records that could not be stored after retries (logged as errors), by listener.", "listener"),
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "jikimi", Subsystem: "listen", Name: "records_buffered",
			Help: "Records parsed and waiting in memory for their batch to be stored, by listener."}, []string{"listener"}),
		lastSeen: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "jikimi", Subsystem: "listen", Name: "last_seen_timestamp_seconds",
			Help: "When a record of the system last arrived (Unix time), by listener and system: a source that stops sending stops moving."}, []string{"listener", "system"}),
	}
	if reg != nil {
		reg.MustRegister(m.messages, m.malformed, m.parsed, m.rejected, m.stored, m.duplicates, m.failed, m.queued, m.lastSeen)
	}
	return m
}

// listenerMetrics are one listener's children of Metrics, looked up once.
type listenerMetrics struct {
	m          *Metrics
	name       string
	messages   prometheus.Counter
	malformed  prometheus.Counter
	rejected   prometheus.Counter
	stored     prometheus.Counter
	duplicates prometheus.Counter
	failed     prometheus.Counter
	queued     prometheus.Gauge
}

func (m *Metrics) forListener(name string) *listenerMetrics {
	if m == nil {
		m = NewMetrics(nil)
	}
	return &listenerMetrics{
		m: m, name: name,
		messages:   m.messages.WithLabelValues(name),
		malformed:  m.malformed.WithLabelValues(name),
		rejected:   m.rejected.WithLabelValues(name),
		stored:     m.stored.WithLabelValues(name),
		duplicates: m.duplicates.WithLabelValues(name),
		failed:     m.failed.WithLabelValues(name),
		queued:     m.queued.WithLabelValues(name),
	}
}

// systemCounts accumulates parsed records per system for one batch, so
// that the labelled metrics are touched once per batch, not per record.
type systemCounts map[string]int

func (lm *listenerMetrics) observe(c systemCounts) {
	now := float64(time.Now().UnixNano()) / 1e9
	for sys, n := range c {
		lm.m.parsed.WithLabelValues(lm.name, sys).Add(float64(n))
		lm.m.lastSeen.WithLabelValues(lm.name, sys).Set(now)
		delete(c, sys)
	}
}
