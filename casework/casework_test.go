package casework_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/casework"
	"github.com/jikimi/jikimi/store/sqlite"
)

// smtpServer is a minimal real SMTP server (RFC 5321 subset: HELO/EHLO,
// MAIL, RCPT, DATA, QUIT) on loopback that records the messages it gets.
type smtpServer struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []smtpMessage
}

type smtpMessage struct {
	From string
	To   []string
	Data string
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(l string) { fmt.Fprintf(c, "%s\r\n", l) }
	say("220 test ESMTP")
	var m smtpMessage
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 test")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			m = smtpMessage{From: strings.Trim(strings.TrimSpace(line)[10:], "<>")}
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			m.To = append(m.To, strings.Trim(strings.TrimSpace(line)[8:], "<>"))
			say("250 ok")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			m.Data = b.String()
			s.mu.Lock()
			s.msgs = append(s.msgs, m)
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func (s *smtpServer) messages() []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMessage(nil), s.msgs...)
}

type directory struct{}

func (directory) Reviewer(_ context.Context, person string) string {
	if person == "kim" {
		return "lee"
	}
	return ""
}
func (directory) Officers(context.Context) []string { return []string{"officer"} }

func TestWorkflowNotifications(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mail := startSMTP(t)
	var hookMu sync.Mutex
	var hooks []casework.WebhookBody
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b casework.WebhookBody
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		hookMu.Lock()
		hooks = append(hooks, b)
		hookMu.Unlock()
	}))
	defer hook.Close()
	now := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	svc := &casework.Service{Store: db, Directory: directory{}, Now: func() time.Time { return now },
		Notifier: casework.Notifiers{
			&casework.SMTP{Addr: mail.ln.Addr().String(), From: "jikimi@example.kr",
				Address: func(_ context.Context, a string) string { return a + "@example.kr" }},
			&casework.Webhook{URL: hook.URL},
		}}
	al := &alert.Alert{ID: "a1", Rule: "export-at-night", Severity: alert.High, Time: now.Add(-48 * time.Hour), System: "crm", Actor: "kim", Summary: "야간 대량 내보내기"}
	c, err := svc.OpenCase(ctx, al, "officer")
	if err != nil {
		t.Fatal(err)
	}
	if c.Reviewer != "lee" {
		t.Errorf("reviewer = %q, want the manager lee", c.Reviewer)
	}
	if again, err := svc.OpenCase(ctx, al, "officer"); err != nil || again.ID != c.ID {
		t.Errorf("opening the same alert twice gave %v, %v; want the same case", again, err)
	}
	if c, err = svc.Request(ctx, c.ID, "officer", "사유를 설명해 주십시오", 0); err != nil {
		t.Fatal(err)
	}
	if want := now.Add(casework.DefaultDeadline); !c.Deadline.Equal(want) {
		t.Errorf("deadline = %v, want %v (10 days from the request)", c.Deadline, want)
	}
	if _, err := svc.Answer(ctx, c.ID, "park", "not mine"); err != casework.ErrForbidden {
		t.Errorf("answer by someone else: %v, want ErrForbidden", err)
	}
	if _, err := svc.Answer(ctx, c.ID, "kim", "이관 작업"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Decide(ctx, c.ID, "kim", true, casework.Approve, "self"); err != casework.ErrForbidden {
		t.Errorf("self-approval: %v, want ErrForbidden", err)
	}
	if c, err = svc.Decide(ctx, c.ID, "lee", false, casework.AskAgain, "작업 요청서를 첨부하십시오"); err != nil {
		t.Fatal(err)
	}
	if c.Status != casework.Requested {
		t.Errorf("after ask_again status = %s", c.Status)
	}
	// Nobody answers: 11 days later the case escalates to the officer.
	now = now.Add(11 * 24 * time.Hour)
	esc, err := svc.Escalate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(esc) != 1 || esc[0].Status != casework.Escalated {
		t.Fatalf("escalated %v", esc)
	}
	if _, err := svc.Answer(ctx, c.ID, "kim", "요청서 CR-1 첨부"); err != nil {
		t.Fatal(err)
	}
	if c, err = svc.Decide(ctx, c.ID, "lee", false, casework.Approve, "확인"); err != nil {
		t.Fatal(err)
	}
	got, err := db.Case(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var whats []string
	for _, s := range got.Steps {
		if s.Who == "" || s.At.IsZero() {
			t.Errorf("step without who or when: %+v", s)
		}
		whats = append(whats, s.What)
	}
	if g, w := strings.Join(whats, ","), "open,request,answer,ask_again,escalate,answer,approve"; g != w {
		t.Errorf("steps = %s, want %s", g, w)
	}
	if got.Status != casework.Approved {
		t.Errorf("status = %s", got.Status)
	}
	// request, answer, ask_again, escalate, answer, approve: 6 notices.
	msgs := mail.messages()
	if len(msgs) != 6 {
		t.Fatalf("%d e-mails, want 6: %+v", len(msgs), msgs)
	}
	if msgs[0].To[0] != "kim@example.kr" || !strings.Contains(msgs[0].Data, "Subject: =?UTF-8?") {
		t.Errorf("request mail = %+v", msgs[0])
	}
	if msgs[3].To[0] != "officer@example.kr" {
		t.Errorf("escalation mail went to %v, want the officer", msgs[3].To)
	}
	hookMu.Lock()
	defer hookMu.Unlock()
	var kinds []string
	for _, h := range hooks {
		kinds = append(kinds, h.Kind)
	}
	if g, w := strings.Join(kinds, ","), "request,answer,ask_again,escalate,answer,approve"; g != w {
		t.Errorf("webhook kinds = %s, want %s", g, w)
	}
	overdue, err := db.Cases(ctx, casework.Filter{Overdue: now})
	if err != nil || len(overdue) != 0 {
		t.Errorf("approved case still listed overdue: %v %v", overdue, err)
	}
}
