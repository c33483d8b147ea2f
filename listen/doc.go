// Package listen receives access records sent live to `jikimi serve`:
// syslog over UDP, TCP and TLS, and OTLP/HTTP logs. Every listener is off
// unless configured, and examples bind to loopback.
//
// # Syslog
//
// ListenSyslog takes RFC 5424 and RFC 3164 messages (source's "syslog"
// format does the parsing) and hands each MSG to an inner format: fixed
// per listener (SyslogConfig.Options.Inner), chosen by program name
// through SyslogConfig.Programs, or by the parser's built-in program
// names (sshd, postgres, mysqld/mariadbd, nginx; anything else is read as
// canonical JSON).
//
// Over TCP and TLS (RFC 5425) each message is framed by octet counting
// ("LEN SP MSG") or ended by a newline (RFC 6587); the framing is told
// apart per message, so rsyslog, syslog-ng and logger work with either.
// Messages longer than MaxMessageBytes are rejected and counted.
//
// UDP has no acknowledgement. A datagram lost on the network, or dropped
// by the kernel when the socket's receive buffer is full during a burst,
// is gone without a trace (the listener asks for an 8 MiB buffer; the
// kernel caps it at net.core.rmem_max). Use TCP or TLS for access records;
// keep UDP for devices that can do nothing else.
//
// # OTLP
//
// OTLP serves POST /v1/logs, the endpoint an OpenTelemetry Collector's
// otlphttp exporter (or an SDK's OTLP/HTTP log exporter) sends to, in
// protobuf or JSON, gzip or not, with the API's bearer token. It answers
// only after the records are durable, with an ExportLogsServiceResponse
// whose partial_success counts the log records that are not valid access
// records; a storage failure is answered 503 with Retry-After, which
// exporters retry.
//
// # From message to store
//
// Each connection (and the UDP socket) has its own parser. Records go to
// a batcher per listener, which collects up to BatchSize records or what
// arrived within BatchWait and hands them to a Sink; PipelineSink prepares
// and submits them to the ingest pipeline, whose Submit returns once they
// are durable. While batches are being stored the batcher's queue fills
// and TCP readers stop reading, which pushes back on senders. A batch the
// pipeline fails to store is retried, then logged as an error and counted
// in jikimi_listen_records_failed_total: syslog cannot be asked to resend.
//
// # Metrics
//
// NewMetrics registers, by listener: messages received and rejected,
// records parsed (also by system), stored, duplicate, rejected, failed and
// waiting in memory, and jikimi_listen_last_seen_timestamp_seconds by
// listener and system, so that a source that stops sending is visible:
//
//	time() - jikimi_listen_last_seen_timestamp_seconds > 3600
package listen
