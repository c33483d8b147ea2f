package collect

import "github.com/prometheus/client_golang/prometheus"

// metrics are the agent's Prometheus metrics (namespace jikimi_collect).
type metrics struct {
	linesRead     *prometheus.CounterVec // source
	parsed        *prometheus.CounterVec // source
	rejected      *prometheus.CounterVec // source: bad lines, here or at the server
	sent          *prometheus.CounterVec // source: acknowledged by the server
	buffered      *prometheus.CounterVec // source: records put in the disk buffer
	failed        *prometheus.CounterVec // source: refused by the server for good
	lastSeen      *prometheus.GaugeVec   // source
	files         *prometheus.GaugeVec   // source
	bufferBytes   prometheus.Gauge
	bufferBatches prometheus.Gauge
	bufferFull    prometheus.Gauge
	serverUp      prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "jikimi", Subsystem: "collect", Name: name, Help: help}, []string{"source"})
	}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "jikimi", Subsystem: "collect", Name: name, Help: help})
	}
	m := &metrics{
		linesRead: counter("lines_read_total", "Lines read from the source's files."),
		parsed:    counter("records_parsed_total", "Records parsed from the source's files."),
		rejected:  counter("records_rejected_total", "Lines that are not valid records (logged with file and offset), here or at the server."),
		sent:      counter("records_sent_total", "Records the server acknowledged (stored or already stored)."),
		buffered:  counter("records_buffered_total", "Records written to the disk buffer while the server was unreachable."),
		failed:    counter("records_failed_total", "Records the server refused for good (400/413; logged as errors)."),
		lastSeen: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "jikimi", Subsystem: "collect", Name: "last_seen_timestamp_seconds",
			Help: "When the source's files last grew (Unix time): a source that stops writing stops moving."}, []string{"source"}),
		files: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "jikimi", Subsystem: "collect", Name: "files_tracked",
			Help: "Files being tailed, rotated ones still being read included."}, []string{"source"}),
		bufferBytes:   gauge("buffer_bytes", "Bytes in the disk buffer."),
		bufferBatches: gauge("buffer_batches", "Batches in the disk buffer."),
		bufferFull:    gauge("buffer_full", "1 while the disk buffer is full and reading is stopped."),
		serverUp:      gauge("server_up", "1 when the last request to the server succeeded."),
	}
	if reg != nil {
		reg.MustRegister(m.linesRead, m.parsed, m.rejected, m.sent, m.buffered, m.failed, m.lastSeen, m.files,
			m.bufferBytes, m.bufferBatches, m.bufferFull, m.serverUp)
	}
	return m
}
