// Package collect is the agent behind `jikimi collect`: it tails log files,
// parses them locally with the same parsers as the server (package
// source), and forwards the records to a `jikimi serve` over HTTP(S)
// (POST /api/v1/records, gzip, the API's bearer token).
//
// # Files
//
// Each Source is a set of glob patterns of one format. Files are known by
// identity (device and inode), not by path, so a rotation by rename is
// followed: the renamed file is read to its end (for goneGrace after its
// path moved on, since writers keep writing until they reopen) and the new
// file from its start. A file that shrinks, or whose first line changes,
// was truncated (copytruncate) or replaced: it is read again from the start
// as a new generation. Compressed files (.gz …) are skipped, so "app.log*"
// is a safe pattern. Lines that are not valid records are logged with file
// and byte offset, counted, and skipped.
//
// # Ids and exactly-once storage
//
// When the parser gives a record no id, the agent sets
//
//	<source name>:<file id>:<byte offset of the record's first line>
//
// where the file id is a hash of device, inode, generation and first line.
// The same line always gets the same id, across restarts, so the server's
// idempotent ingest stores a resent record once: delivery is at least
// once, storage exactly once.
//
// # Positions
//
// Read positions are committed to positions.json in the state directory
// (temporary file, fsync, rename, directory fsync) only after the server
// acknowledged the batch, or the batch is safely in the disk buffer, and
// in batch order per source. A crash or kill -9 therefore re-reads at most
// what was in flight, never skips anything. At each batch boundary parsers
// emit what they hold back (a pgaudit statement waiting for more lines),
// so no record spans two batches' positions.
//
// # Outages and the disk buffer
//
// When a request fails (server down, 5xx, network, wrong token), that
// batch and every later one are written to the disk buffer (one fsync'd
// file per batch, in order) and their positions committed; one goroutine
// delivers the buffer oldest first, waiting between failures with
// exponential backoff from BackoffMin to BackoffMax. Once the buffer is
// empty, batches go straight to the server again. The buffer is bounded by
// BufferMax: when it is full the agent logs an error, sets
// jikimi_collect_buffer_full to 1 and stops reading — files keep their
// data, nothing is dropped — until the server takes buffered batches.
//
// # Metrics
//
// With a Registry: jikimi_collect_lines_read_total, records_parsed_total,
// records_rejected_total, records_sent_total, records_buffered_total,
// records_failed_total (by source); buffer_bytes, buffer_batches,
// buffer_full, server_up; files_tracked and last_seen_timestamp_seconds
// (when the source's files last grew) by source.
package collect
