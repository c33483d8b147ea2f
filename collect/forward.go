package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"
)

// errPermanent marks a batch the server refused for good (a bug on one
// side; retrying cannot help).
var errPermanent = errors.New("refused by the server")

// forwarder delivers batches to the server's POST /api/v1/records.
//
// While the server takes batches they go straight to it. When a request
// fails, that batch and every later one go to the disk buffer (so they stay
// in order) and a single drainer goroutine delivers the buffer oldest
// first, waiting between failures with exponential backoff; once it is
// empty, batches go straight to the server again.
type forwarder struct {
	endpoint   string
	token      string
	client     *http.Client
	buf        *diskBuffer
	backoffMin time.Duration
	backoffMax time.Duration
	m          *metrics
	logger     *slog.Logger

	mu   sync.Mutex // guards down
	down bool       // a request failed and the buffer has not been drained since
}

func newForwarder(server, token string, client *http.Client, buf *diskBuffer, backoffMin, backoffMax time.Duration, m *metrics, logger *slog.Logger) (*forwarder, error) {
	u, err := url.Parse(server)
	if err != nil {
		return nil, err
	}
	u = u.JoinPath("/api/v1/records")
	return &forwarder{endpoint: u.String(), token: token, client: client, buf: buf,
		backoffMin: backoffMin, backoffMax: backoffMax, m: m, logger: logger, down: buf.len() > 0}, nil
}

// deliver returns once the batch is acknowledged by the server or safely
// in the disk buffer: then, and only then, may its read positions be
// committed. It fails only when ctx ends while the buffer is full or on a
// disk error.
func (f *forwarder) deliver(ctx context.Context, src string, records int, body []byte) error {
	f.mu.Lock()
	direct := !f.down
	f.mu.Unlock()
	if direct {
		err := f.post(ctx, src, records, body)
		if err == nil || errors.Is(err, errPermanent) {
			return nil
		}
		f.mu.Lock()
		if !f.down {
			f.down = true
			f.logger.Warn("server unreachable: buffering on disk and retrying", "server", f.endpoint, "err", err)
		}
		f.mu.Unlock()
	}
	return f.buf.put(ctx, src, records, body)
}

// drain delivers the disk buffer until ctx ends.
func (f *forwarder) drain(ctx context.Context) {
	wait := f.backoffMin
	for {
		x, ok := f.buf.oldest(ctx)
		if !ok {
			return
		}
		body, err := os.ReadFile(x.path)
		if err == nil {
			err = f.post(ctx, x.source, x.records, body)
		}
		if err == nil || errors.Is(err, errPermanent) {
			if err := f.buf.remove(x); err != nil {
				f.logger.Error("remove delivered batch from the disk buffer", "path", x.path, "err", err)
			}
			wait = f.backoffMin
			if f.buf.len() == 0 {
				f.mu.Lock()
				if f.down {
					f.down = false
					f.logger.Info("server reachable again; disk buffer delivered", "server", f.endpoint)
				}
				f.mu.Unlock()
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		f.logger.Debug("delivering buffered batch failed; retrying", "err", err, "wait", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, f.backoffMax)
	}
}

// ingestResponse is api.IngestResponse.
type ingestResponse struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Rejected   []struct {
		Line   int    `json:"line"`
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"rejected"`
}

// post sends one gzip body. A nil error means the server acknowledged it
// (the records are durable there); errPermanent that it never will.
func (f *forwarder) post(ctx context.Context, src string, records int, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.endpoint+"?source="+url.QueryEscape(src), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := f.client.Do(req)
	if err != nil {
		f.m.serverUp.Set(0)
		return err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		f.m.serverUp.Set(0)
		return fmt.Errorf("read response: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusUnprocessableEntity:
		f.m.serverUp.Set(1)
		var r ingestResponse
		if err := json.Unmarshal(rb, &r); err != nil {
			return fmt.Errorf("%s: unreadable response: %w", resp.Status, err)
		}
		f.m.sent.WithLabelValues(src).Add(float64(r.Accepted + r.Duplicates))
		if len(r.Rejected) > 0 {
			f.m.rejected.WithLabelValues(src).Add(float64(len(r.Rejected)))
			x := r.Rejected[0]
			f.logger.Warn("server rejected records", "source", src, "rejected", len(r.Rejected), "first_line_of_batch", x.Line, "field", x.Field, "reason", x.Reason)
		}
		return nil
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		f.m.serverUp.Set(1)
		f.m.failed.WithLabelValues(src).Add(float64(records))
		f.logger.Error("server refused a batch for good; its records are not stored", "source", src, "records", records, "status", resp.Status, "body", string(rb))
		return fmt.Errorf("%w: %s", errPermanent, resp.Status)
	case http.StatusUnauthorized, http.StatusForbidden:
		f.m.serverUp.Set(0)
		f.logger.Error("server refused the API token; buffering until it is fixed", "status", resp.Status)
		return fmt.Errorf("%s", resp.Status)
	}
	f.m.serverUp.Set(0)
	return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(rb))
}
