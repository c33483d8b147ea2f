package casework

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/smtp"
	"strings"
	"time"
)

// Notice is one notification about a case.
type Notice struct {
	Kind    string   // request, answer, approve, reject, ask_again, escalate
	Case    *Case    // the case after the step
	To      []string // console accounts to tell
	Subject string
	Body    string
}

// Notifier delivers notices. Deliver may be called concurrently.
type Notifier interface {
	Deliver(ctx context.Context, n Notice) error
}

// notify delivers n; a failed notification never undoes the step (the
// console shows the case either way), so it is logged.
func (s *Service) notify(ctx context.Context, n Notice) {
	if s.Notifier == nil {
		return
	}
	if err := s.Notifier.Deliver(ctx, n); err != nil {
		slog.WarnContext(ctx, "casework: notification failed", "case", n.Case.ID, "kind", n.Kind, "err", err)
	}
}

// Notifiers delivers to each in turn and joins their errors.
type Notifiers []Notifier

// Deliver implements Notifier.
func (ns Notifiers) Deliver(ctx context.Context, n Notice) error {
	var errs []error
	for _, x := range ns {
		errs = append(errs, x.Deliver(ctx, n))
	}
	return errors.Join(errs...)
}

// SMTP sends notices by e-mail (RFC 5321) through a relay.
type SMTP struct {
	Addr string    // host:port of the relay
	From string    // envelope and header sender
	Auth smtp.Auth // nil: no authentication (a local relay)
	// Address returns the e-mail address of a console account, or "" when
	// it has none (that account is skipped).
	Address func(ctx context.Context, account string) string
}

var _ Notifier = (*SMTP)(nil)

// Deliver implements Notifier.
func (m *SMTP) Deliver(ctx context.Context, n Notice) error {
	var rcpt []string
	for _, a := range n.To {
		if addr := m.Address(ctx, a); addr != "" {
			rcpt = append(rcpt, addr)
		}
	}
	if len(rcpt) == 0 {
		return nil
	}
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		m.From, strings.Join(rcpt, ", "), mime.BEncoding.Encode("UTF-8", n.Subject), time.Now().Format(time.RFC1123Z))
	msg.WriteString(strings.ReplaceAll(n.Body, "\n", "\r\n"))
	return smtp.SendMail(m.Addr, m.Auth, m.From, rcpt, msg.Bytes())
}

// Webhook posts notices as JSON to a URL.
type Webhook struct {
	URL    string
	Client *http.Client // nil: a client with a 10-second timeout
}

var _ Notifier = (*Webhook)(nil)

// WebhookBody is what Webhook posts.
type WebhookBody struct {
	Kind     string    `json:"kind"`
	Case     string    `json:"case"`
	Alert    string    `json:"alert"`
	Status   Status    `json:"status"`
	Person   string    `json:"person"`
	Deadline time.Time `json:"deadline,omitzero"`
	To       []string  `json:"to"`
	Subject  string    `json:"subject"`
	Text     string    `json:"text"`
}

// Deliver implements Notifier.
func (w *Webhook) Deliver(ctx context.Context, n Notice) error {
	b, err := json.Marshal(WebhookBody{Kind: n.Kind, Case: n.Case.ID, Alert: n.Case.AlertID, Status: n.Case.Status,
		Person: n.Case.Person, Deadline: n.Case.Deadline, To: n.To, Subject: n.Subject, Text: n.Body})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s: %s", w.URL, resp.Status)
	}
	return nil
}
