package listen

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/jikimi/jikimi/internal/lograte"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/source"
)

// DefaultMaxMessageBytes is the longest syslog message accepted
// (SyslogConfig.MaxMessageBytes). RFC 5425 asks receivers to take at least
// 2048 octets and recommends 8192; audit lines with long queries need more.
const DefaultMaxMessageBytes = 64 << 10

// idleFlush is how long a connection may be quiet before its parsers emit
// the records they hold back (a pgaudit statement waiting for its OBJECT
// lines, see source.Parser).
const idleFlush = time.Second

// SyslogConfig configures a syslog listener.
type SyslogConfig struct {
	Name    string      // the listener's name in metrics and logs
	Network string      // "udp", "tcp" or "tls"
	Addr    string      // host:port; use a loopback address unless remote senders need it
	TLS     *tls.Config // required for "tls" (see ServerTLS)
	// Options are the syslog parser's (source.New("syslog", Options)):
	// Inner fixes the MSG format, System the system name.
	Options source.Options
	// Programs chooses the inner format by program name (RFC 5424
	// APP-NAME, RFC 3164 TAG) for programs the syslog parser does not
	// know; Options.Inner, when set, wins.
	Programs        map[string]string
	MaxMessageBytes int           // default DefaultMaxMessageBytes
	BatchSize       int           // default DefaultBatchSize
	BatchWait       time.Duration // default DefaultBatchWait
	Metrics         *Metrics      // nil: counted but not exported
	Logger          *slog.Logger
}

// Syslog is a running syslog listener. Its records go to a Sink in
// batches.
//
// TCP and TLS connections may frame messages by octet counting ("LEN SP
// MSG", RFC 6587 3.4.1, RFC 5425) or end each with a newline (RFC 6587
// 3.4.2); the framing is told apart for every message. A UDP datagram is
// one message. UDP has no acknowledgement: a datagram the kernel drops
// because the socket buffer is full, or that the network loses, is gone
// without trace, so use TCP or TLS for access records.
type Syslog struct {
	cfg     SyslogConfig
	lm      *listenerMetrics
	batcher *batcher
	logger  *slog.Logger
	limit   lograte.Limiter

	ln   net.Listener   // tcp, tls
	pc   net.PacketConn // udp
	wg   sync.WaitGroup // connection and reader goroutines
	stop chan struct{}

	mu      sync.Mutex // guards conns and parsers
	conns   map[net.Conn]bool
	parsers map[*msgParser]bool
	closed  bool
}

// ListenSyslog binds the listener's address and starts serving.
func ListenSyslog(cfg SyslogConfig, sink Sink) (*Syslog, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.Name == "" {
		cfg.Name = "syslog-" + cfg.Network
	}
	// Fail now on a bad inner format rather than on the first message.
	if _, err := source.New("syslog", cfg.Options); err != nil {
		return nil, err
	}
	for prog, inner := range cfg.Programs {
		o := cfg.Options
		o.Inner = inner
		if _, err := source.New("syslog", o); err != nil {
			return nil, fmt.Errorf("program %s: %w", prog, err)
		}
	}
	s := &Syslog{
		cfg: cfg, lm: cfg.Metrics.forListener(cfg.Name), logger: cfg.Logger.With("listener", cfg.Name),
		stop: make(chan struct{}), conns: map[net.Conn]bool{}, parsers: map[*msgParser]bool{},
	}
	var err error
	switch cfg.Network {
	case "udp":
		s.pc, err = net.ListenPacket("udp", cfg.Addr)
		if err == nil {
			if uc, ok := s.pc.(*net.UDPConn); ok {
				uc.SetReadBuffer(8 << 20) // best effort: the kernel caps it at net.core.rmem_max
			}
		}
	case "tcp":
		s.ln, err = net.Listen("tcp", cfg.Addr)
	case "tls":
		if cfg.TLS == nil {
			return nil, errors.New("listen: a tls listener needs a TLS config")
		}
		s.ln, err = net.Listen("tcp", cfg.Addr)
		if err == nil {
			s.ln = tls.NewListener(s.ln, cfg.TLS)
		}
	default:
		return nil, fmt.Errorf("listen: network %q is not udp, tcp or tls", cfg.Network)
	}
	if err != nil {
		return nil, fmt.Errorf("listen %s %s: %w", cfg.Network, cfg.Addr, err)
	}
	s.batcher = newBatcher(cfg.BatchSize, cfg.BatchWait, sink, s.lm, s.logger)
	s.wg.Add(2)
	go s.flusher()
	if s.pc != nil {
		go s.readUDP()
	} else {
		go s.accept()
	}
	s.logger.Info("syslog listener started", "network", cfg.Network, "addr", s.Addr().String())
	return s, nil
}

// Addr is the bound address (useful with port 0).
func (s *Syslog) Addr() net.Addr {
	if s.pc != nil {
		return s.pc.LocalAddr()
	}
	return s.ln.Addr()
}

// Close stops listening, closes open connections, and returns once every
// record already read has been handed to the sink and stored.
func (s *Syslog) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	var err error
	if s.pc != nil {
		err = s.pc.Close()
	} else {
		err = s.ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	close(s.stop)
	s.wg.Wait()
	s.batcher.close()
	return err
}

func (s *Syslog) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.logger.Error("accept", "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

func (s *Syslog) serveConn(c net.Conn) {
	defer s.wg.Done()
	p := s.newParser(c.RemoteAddr().String())
	defer func() {
		p.mu.Lock()
		p.flush()
		p.mu.Unlock()
		s.mu.Lock()
		delete(s.conns, c)
		delete(s.parsers, p)
		s.mu.Unlock()
		c.Close()
	}()
	br := bufio.NewReaderSize(c, 64<<10)
	var buf []byte
	for {
		msg, err := readFrame(br, s.cfg.MaxMessageBytes, &buf)
		if errors.Is(err, errTooLong) {
			s.lm.messages.Inc()
			s.lm.malformed.Inc()
			s.limit.Warn(s.logger, "message rejected", "peer", p.peer, "reason", err.Error())
			continue
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.logger.Warn("connection ended", "peer", p.peer, "err", err)
			}
			return
		}
		p.mu.Lock()
		p.message(msg)
		if br.Buffered() == 0 || len(p.out) >= 256 {
			p.ship()
		}
		p.mu.Unlock()
	}
}

func (s *Syslog) readUDP() {
	defer s.wg.Done()
	p := s.newParser("udp")
	defer func() {
		p.mu.Lock()
		p.flush()
		p.mu.Unlock()
	}()
	buf := make([]byte, 65536)
	for {
		n, peer, err := s.pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.logger.Error("read", "err", err)
			continue
		}
		msg := bytes.TrimRight(buf[:n], "\r\n\x00")
		p.mu.Lock()
		p.peer = peer.String()
		if len(msg) > s.cfg.MaxMessageBytes {
			s.lm.messages.Inc()
			s.lm.malformed.Inc()
			s.limit.Warn(s.logger, "message rejected", "peer", p.peer, "reason", errTooLong.Error())
		} else {
			p.message(msg)
			p.ship()
		}
		p.mu.Unlock()
	}
}

// flusher makes idle parsers emit what they hold back.
func (s *Syslog) flusher() {
	defer s.wg.Done()
	t := time.NewTicker(idleFlush / 2)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		ps := make([]*msgParser, 0, len(s.parsers))
		for p := range s.parsers {
			ps = append(ps, p)
		}
		s.mu.Unlock()
		for _, p := range ps {
			p.mu.Lock()
			if p.dirty && time.Since(p.last) >= idleFlush {
				p.flush()
			}
			p.mu.Unlock()
		}
	}
}

// msgParser parses one connection's (or the UDP socket's) messages.
type msgParser struct {
	s    *Syslog
	peer string

	mu      sync.Mutex // guards all below; held by the reader and the flusher
	def     source.Parser
	byInner map[string]source.Parser // for Programs
	n       int                      // messages so far: the "line" number
	out     []*record.Record
	counts  systemCounts
	last    time.Time
	dirty   bool // a message was parsed since the last flush
}

func (s *Syslog) newParser(peer string) *msgParser {
	def, _ := source.New("syslog", s.cfg.Options) // checked by ListenSyslog
	p := &msgParser{s: s, peer: peer, def: def, byInner: map[string]source.Parser{}, counts: systemCounts{}}
	s.mu.Lock()
	s.parsers[p] = true
	s.mu.Unlock()
	return p
}

func (p *msgParser) emit(rec *record.Record, _ int) {
	p.out = append(p.out, rec)
	p.counts[rec.System]++
}

// parserFor returns the parser of a message's program.
func (p *msgParser) parserFor(msg []byte) source.Parser {
	if len(p.s.cfg.Programs) == 0 || p.s.cfg.Options.Inner != "" {
		return p.def
	}
	inner, ok := p.s.cfg.Programs[string(appName(msg))]
	if !ok {
		return p.def
	}
	q := p.byInner[inner]
	if q == nil {
		o := p.s.cfg.Options
		o.Inner = inner
		q, _ = source.New("syslog", o) // checked by ListenSyslog
		p.byInner[inner] = q
	}
	return q
}

// message parses one message. p.mu must be held.
func (p *msgParser) message(msg []byte) {
	p.n++
	p.s.lm.messages.Inc()
	p.last, p.dirty = time.Now(), true
	if err := p.parserFor(msg).Line(msg, p.n, p.emit); err != nil {
		p.s.lm.malformed.Inc()
		p.s.limit.Warn(p.s.logger, "message rejected", "peer", p.peer, "message", p.n, "reason", err.Error())
	}
}

// flush emits held-back records and ships. p.mu must be held.
func (p *msgParser) flush() {
	p.def.Flush(p.emit)
	for _, q := range p.byInner {
		q.Flush(p.emit)
	}
	p.dirty = false
	p.ship()
}

// ship hands parsed records to the batcher. p.mu must be held.
func (p *msgParser) ship() {
	if len(p.out) == 0 {
		return
	}
	p.s.lm.observe(p.counts)
	p.s.batcher.add(p.out)
	clear(p.out)
	p.out = p.out[:0]
}

var errTooLong = errors.New("message longer than max_message_bytes")

// readFrame reads one message framed by octet counting ("LEN SP MSG") or
// ended by a newline. buf is reused between calls; the message is valid
// until the next call.
func readFrame(br *bufio.Reader, max int, buf *[]byte) ([]byte, error) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return nil, err
		}
		switch {
		case c == '\n' || c == '\r' || c == 0 || c == ' ':
			continue // stray separators between frames
		case c >= '1' && c <= '9':
			n := int(c - '0')
			for {
				d, err := br.ReadByte()
				if err != nil {
					return nil, noEOF(err)
				}
				if d == ' ' {
					break
				}
				if d < '0' || d > '9' || n > 1<<30 {
					return nil, fmt.Errorf("bad octet count in frame header")
				}
				n = n*10 + int(d-'0')
			}
			if n > max {
				if _, err := br.Discard(n); err != nil {
					return nil, noEOF(err)
				}
				return nil, errTooLong
			}
			if cap(*buf) < n {
				*buf = make([]byte, n)
			}
			b := (*buf)[:n]
			if _, err := io.ReadFull(br, b); err != nil {
				return nil, noEOF(err)
			}
			return bytes.TrimRight(b, "\r\n"), nil
		default:
			br.UnreadByte()
			*buf = (*buf)[:0]
			tooLong := false
			for {
				frag, err := br.ReadSlice('\n')
				if !tooLong {
					*buf = append(*buf, frag...)
					if len(*buf) > max+2 {
						tooLong, *buf = true, (*buf)[:0]
					}
				}
				if err == bufio.ErrBufferFull {
					continue
				}
				if err != nil && (len(*buf) == 0 || err != io.EOF) {
					return nil, err
				}
				break
			}
			if tooLong {
				return nil, errTooLong
			}
			return bytes.TrimRight(*buf, "\r\n"), nil
		}
	}
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// appName returns the program of a syslog message: RFC 5424's APP-NAME
// or RFC 3164's TAG (without "[pid]" and ":").
func appName(msg []byte) []byte {
	i := bytes.IndexByte(msg, '>')
	if i < 0 {
		return nil
	}
	rest := msg[i+1:]
	skip := 0
	switch {
	case len(rest) > 1 && rest[0] >= '1' && rest[0] <= '9' && (rest[1] == ' ' || rest[1] >= '0' && rest[1] <= '9'):
		skip = 3 // RFC 5424: VERSION TIMESTAMP HOSTNAME APP-NAME
		if len(rest) > 4 && rest[4] == '-' {
			skip = 2 // RFC 3164 with an RFC 3339 time: TIMESTAMP HOSTNAME TAG
		}
	case len(rest) > 0 && (rest[0] < '0' || rest[0] > '9'):
		skip = 4 // RFC 3164: Mmm dd hh:mm:ss HOSTNAME TAG
	default:
		return nil
	}
	for range skip {
		rest = bytes.TrimLeft(rest, " ")
		j := bytes.IndexByte(rest, ' ')
		if j < 0 {
			return nil
		}
		rest = rest[j:]
	}
	rest = bytes.TrimLeft(rest, " ")
	if j := bytes.IndexAny(rest, " [:"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// ServerTLS returns a TLS config for a listener from PEM files. With
// clientCA, clients must present a certificate that it signed.
func ServerTLS(certFile, keyFile, clientCA string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCA != "" {
		pem, err := os.ReadFile(clientCA)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", clientCA)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}
