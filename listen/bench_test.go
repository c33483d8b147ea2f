package listen

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jikimi/jikimi/ingest"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/source"
	"github.com/jikimi/jikimi/store/sqlite"
	"github.com/jikimi/jikimi/subject"
)

// benchConns is how many TCP connections send at once.
const benchConns = 4

// benchMessages returns n RFC 5424 messages with canonical JSON inside,
// newline-framed, split over benchConns connections; ids are unique.
func benchMessages(n int) [][]byte {
	out := make([][]byte, benchConns)
	for c := range benchConns {
		var b []byte
		for i := c; i < n; i += benchConns {
			b = fmt.Appendf(b, `<134>1 2026-09-01T09:00:00.123+09:00 app%d billing-api 4242 - - {"id":"b-%d","time":"2026-09-01T09:%02d:%02d+09:00","system":"billing","actor":{"id":"u%d"},"action":"view","origin":{"ip":"10.1.%d.%d"},"target":{"object":"customers","kind":"table"},"subjects":["C%d"]}`+"\n",
				c, i, i/60%60, i%60, i%500, i/256%256, i%256, i)
		}
		out[c] = b
	}
	return out
}

// benchSyslog sends b.N messages to a TCP listener with sink and waits
// until the sink has them all.
func benchSyslog(b *testing.B, sink Sink, count *atomic.Int64) {
	msgs := benchMessages(b.N)
	l, err := ListenSyslog(SyslogConfig{Network: "tcp", Addr: "127.0.0.1:0", Logger: quietLogger(),
		Options: source.Options{Location: time.UTC}}, sink)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	conns := make([]net.Conn, benchConns)
	for i := range conns {
		if conns[i], err = net.Dial("tcp", l.Addr().String()); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Write(msgs[i])
			c.Close()
		}()
	}
	wg.Wait()
	for count.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkSyslogTCP is the listener alone: framing, RFC 5424 and JSON
// parsing, batching; the sink discards.
func BenchmarkSyslogTCP(b *testing.B) {
	var n atomic.Int64
	benchSyslog(b, func(_ context.Context, recs []*record.Record) (SinkResult, error) {
		n.Add(int64(len(recs)))
		return SinkResult{Stored: len(recs)}, nil
	}, &n)
}

// BenchmarkSyslogTCPStore goes end to end into a real store: the ingest
// pipeline on SQLite in a temporary data directory (PII counting and
// pseudonymisation; no detection rules and no ledger sealing, which
// `jikimi serve` adds).
func BenchmarkSyslogTCPStore(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	keyer, err := subject.LoadKey(dir)
	if err != nil {
		b.Fatal(err)
	}
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	p, err := ingest.New(ctx, ingest.Config{Store: db, Keyer: keyer, PII: ingest.CountPII, Logger: quietLogger(),
		Period: func(t time.Time) string { return t.UTC().Format("2006-01") }})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	var n atomic.Int64
	ps := PipelineSink(p, quietLogger())
	benchSyslog(b, func(ctx context.Context, recs []*record.Record) (SinkResult, error) {
		res, err := ps(ctx, recs)
		n.Add(int64(res.Stored + res.Duplicates + res.Rejected))
		return res, err
	}, &n)
}
