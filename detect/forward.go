package detect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jikimi/jikimi/alert"
)

// Defaults of ForwardConfig.
const (
	DefaultForwardRetries = 3
	DefaultForwardBackoff = 500 * time.Millisecond
	DefaultForwardTimeout = 5 * time.Second
	// DefaultSyslogFacility is authpriv (10): security messages.
	DefaultSyslogFacility = 10
	// syslogEnterprise is the private enterprise number of jikimi's
	// structured data: 32473 is the one RFC 5612 reserves for examples
	// until jikimi has its own.
	syslogEnterprise = "32473"
)

// ForwardConfig names where alerts go. The zero value forwards nowhere.
type ForwardConfig struct {
	// Webhook is a URL that receives each batch of alerts as an HTTP POST
	// of a JSON array (the form `jikimi alerts --json` prints).
	Webhook string
	// Headers are added to every webhook request (e.g. Authorization).
	Headers map[string]string
	// Syslog is "udp://host:port" or "tcp://host:port": each alert becomes
	// one RFC 5424 message (over TCP framed by octet counting, RFC 6587).
	Syslog string
	// Facility is the syslog facility; 0 means DefaultSyslogFacility.
	Facility int
	// MinSeverity drops alerts below it; "" forwards all.
	MinSeverity alert.Severity
	Retries     int           // per send; 0 means DefaultForwardRetries
	Backoff     time.Duration // first wait between tries, doubled each time
	Timeout     time.Duration // per try
	Hostname    string        // syslog HOSTNAME; "" is os.Hostname
	Client      *http.Client  // nil: a client with Timeout
}

// Forwarder sends alerts to a webhook and to syslog. It is safe for
// concurrent use.
type Forwarder struct {
	cfg ForwardConfig
	mu  sync.Mutex // guards conn
	// conn is the syslog connection, dialled lazily and re-dialled after
	// an error.
	conn    net.Conn
	network string
	addr    string
}

// NewForwarder checks cfg and applies its defaults.
func NewForwarder(cfg ForwardConfig) (*Forwarder, error) {
	if cfg.Retries == 0 {
		cfg.Retries = DefaultForwardRetries
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = DefaultForwardBackoff
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultForwardTimeout
	}
	if cfg.Facility == 0 {
		cfg.Facility = DefaultSyslogFacility
	}
	if cfg.Facility < 0 || cfg.Facility > 23 {
		return nil, fmt.Errorf("forward: syslog facility %d is not 0–23", cfg.Facility)
	}
	if cfg.MinSeverity != "" && cfg.MinSeverity.Rank() == 0 {
		return nil, fmt.Errorf("forward: unknown severity %q", cfg.MinSeverity)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	f := &Forwarder{cfg: cfg}
	if cfg.Webhook != "" {
		u, err := url.Parse(cfg.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("forward: webhook %q is not an http(s) URL", cfg.Webhook)
		}
	}
	if cfg.Syslog != "" {
		u, err := url.Parse(cfg.Syslog)
		if err != nil || (u.Scheme != "udp" && u.Scheme != "tcp") || u.Host == "" {
			return nil, fmt.Errorf("forward: syslog %q: want udp://host:port or tcp://host:port", cfg.Syslog)
		}
		f.network, f.addr = u.Scheme, u.Host
	}
	return f, nil
}

// Forward sends the alerts at or above MinSeverity to every target,
// retrying each with backoff; it returns the errors of targets that still
// failed, joined.
func (f *Forwarder) Forward(ctx context.Context, alerts []*alert.Alert) error {
	var keep []*alert.Alert
	for _, a := range alerts {
		if f.cfg.MinSeverity == "" || a.Severity.Rank() >= f.cfg.MinSeverity.Rank() {
			keep = append(keep, a)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	var errs []error
	if f.cfg.Webhook != "" {
		if err := f.retry(ctx, func() (bool, error) { return f.postWebhook(ctx, keep) }); err != nil {
			errs = append(errs, fmt.Errorf("webhook: %w", err))
		}
	}
	if f.network != "" {
		for _, a := range keep {
			msg := f.syslogMessage(a)
			if err := f.retry(ctx, func() (bool, error) { return true, f.sendSyslog(msg) }); err != nil {
				errs = append(errs, fmt.Errorf("syslog: %w", err))
				break
			}
		}
	}
	return errors.Join(errs...)
}

// retry runs try until it succeeds, says the error is final, or the tries
// run out.
func (f *Forwarder) retry(ctx context.Context, try func() (retryable bool, err error)) error {
	wait := f.cfg.Backoff
	var err error
	for i := 0; i <= f.cfg.Retries; i++ {
		var again bool
		if again, err = try(); err == nil || !again {
			return err
		}
		if i == f.cfg.Retries {
			break
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
	return fmt.Errorf("after %d tries: %w", f.cfg.Retries+1, err)
}

func (f *Forwarder) postWebhook(ctx context.Context, alerts []*alert.Alert) (bool, error) {
	body, err := json.Marshal(alerts)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.cfg.Webhook, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "jikimi")
	for k, v := range f.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := f.cfg.Client.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("%s", resp.Status)
	}
	return false, fmt.Errorf("%s (not retried)", resp.Status)
}

// syslogSeverity maps alert severity to RFC 5424 severity.
func syslogSeverity(s alert.Severity) int {
	switch s {
	case alert.Critical:
		return 2 // critical
	case alert.High:
		return 3 // error
	case alert.Medium:
		return 4 // warning
	}
	return 5 // notice
}

// syslogMessage renders an alert as one RFC 5424 message: the rule as
// MSGID, the alert's fields as structured data, the Korean summary as a
// UTF-8 MSG (with the BOM the RFC asks for).
func (f *Forwarder) syslogMessage(a *alert.Alert) []byte {
	var b bytes.Buffer
	pri := f.cfg.Facility*8 + syslogSeverity(a.Severity)
	ts := a.LastTime
	if ts.IsZero() {
		ts = a.Time
	}
	fmt.Fprintf(&b, "<%d>1 %s %s jikimi %d %s ", pri, ts.Format("2006-01-02T15:04:05.000000Z07:00"),
		sdName(f.cfg.Hostname, 255), os.Getpid(), sdName(a.Rule, 32))
	b.WriteString("[alert@" + syslogEnterprise)
	param := func(k, v string) {
		b.WriteString(" " + k + `="`)
		b.WriteString(sdEscape(v))
		b.WriteByte('"')
	}
	param("id", a.ID)
	param("severity", string(a.Severity))
	param("time", a.Time.Format(time.RFC3339))
	param("system", a.System)
	param("actor", a.Actor)
	param("records", strconv.Itoa(a.RecordCount))
	b.WriteString("] \xEF\xBB\xBF")
	b.WriteString(a.Summary)
	return b.Bytes()
}

// sdName makes a header field or SD-NAME: printable US-ASCII, no space,
// at most max characters, "-" when empty.
func sdName(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if r > 32 && r < 127 && r != '=' && r != ']' && r != '"' {
			b.WriteRune(r)
		}
		if b.Len() == max {
			break
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// sdEscape escapes a PARAM-VALUE (RFC 5424 §6.3.3).
func sdEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`).Replace(s)
}

func (f *Forwarder) sendSyslog(msg []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn == nil {
		c, err := net.DialTimeout(f.network, f.addr, f.cfg.Timeout)
		if err != nil {
			return err
		}
		f.conn = c
	}
	f.conn.SetWriteDeadline(time.Now().Add(f.cfg.Timeout))
	var err error
	if f.network == "tcp" {
		_, err = f.conn.Write(append([]byte(strconv.Itoa(len(msg))+" "), msg...))
	} else {
		_, err = f.conn.Write(msg)
	}
	if err != nil {
		f.conn.Close()
		f.conn = nil
	}
	return err
}

// Close closes the syslog connection.
func (f *Forwarder) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn == nil {
		return nil
	}
	err := f.conn.Close()
	f.conn = nil
	return err
}
