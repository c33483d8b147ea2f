// Package casework turns alerts into cases and runs the justification
// (소명) workflow: the privacy officer asks the person concerned to
// justify what they did by a deadline, that person answers, their reviewer
// approves or rejects with a comment or asks again, and overdue cases
// escalate to the privacy officer.
//
// The workflow serves 개인정보의 안전성 확보조치 기준 제8조②: access
// records are inspected at least monthly and unusual downloads are
// examined for their reason. Every step is kept with who, when and what,
// so the case itself is the evidence that the inspection happened.
//
// Deadlines are computed from the time the request was made (the event
// time of the request), never from a later clock reading.
package casework

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jikimi/jikimi/alert"
)

// Status is where a case stands.
type Status string

// The statuses. Approved and Closed are final.
const (
	Open      Status = "open"      // opened from an alert, nothing asked yet
	Requested Status = "requested" // a justification is asked for
	Answered  Status = "answered"  // answered, waiting for the reviewer
	Approved  Status = "approved"  // the reviewer accepted the justification
	Rejected  Status = "rejected"  // the reviewer did not accept it
	Escalated Status = "escalated" // the deadline passed unanswered
	Closed    Status = "closed"    // closed without a justification (false alert)
)

// Final reports whether no further step is expected.
func (s Status) Final() bool { return s == Approved || s == Rejected || s == Closed }

// DefaultDeadline is how long the person concerned has to answer.
const DefaultDeadline = 10 * 24 * time.Hour

// Step is one thing that happened to a case.
type Step struct {
	At      time.Time `json:"at"`
	Who     string    `json:"who"`  // console account
	What    string    `json:"what"` // open, request, answer, approve, reject, ask_again, escalate, close
	Comment string    `json:"comment,omitempty"`
}

// Case is the casework for one alert.
type Case struct {
	ID       string    `json:"id"`
	AlertID  string    `json:"alert_id"`
	Rule     string    `json:"rule"`
	Severity string    `json:"severity"`
	System   string    `json:"system"`
	Summary  string    `json:"summary"`
	AlertAt  time.Time `json:"alert_at"` // event time of the alert
	Person   string    `json:"person"`   // who must answer (the alert's actor)
	Reviewer string    `json:"reviewer"` // who approves; empty: any account with role reviewer
	Status   Status    `json:"status"`
	Opened   time.Time `json:"opened"`
	Deadline time.Time `json:"deadline,omitzero"`
	Updated  time.Time `json:"updated"`
	Steps    []Step    `json:"steps"`
}

// Overdue reports whether the case waits for an answer past its deadline.
func (c *Case) Overdue(now time.Time) bool {
	return (c.Status == Requested || c.Status == Escalated) && !c.Deadline.IsZero() && now.After(c.Deadline)
}

// Filter selects cases. Zero fields do not filter.
type Filter struct {
	Status   []Status
	Person   string
	Reviewer string // cases this account may decide: Reviewer = it or empty
	System   string
	Rule     string
	Overdue  time.Time // non-zero: only cases overdue at this time
	From, To time.Time // alert time range
	Limit    int
}

// Store keeps cases. Implementations: store/sqlite (casework.go).
type Store interface {
	// PutCase inserts or replaces a case by id. A second case for the
	// same alert is refused with ErrExists.
	PutCase(ctx context.Context, c *Case) error
	// Case returns the case with id, or ErrNoCase.
	Case(ctx context.Context, id string) (*Case, error)
	// CaseForAlert returns the case of an alert, or ErrNoCase.
	CaseForAlert(ctx context.Context, alertID string) (*Case, error)
	// Cases returns matching cases, newest alert first.
	Cases(ctx context.Context, f Filter) ([]*Case, error)
}

// Errors.
var (
	ErrNoCase    = errors.New("no such case")
	ErrExists    = errors.New("the alert already has a case")
	ErrState     = errors.New("the case is not in a state that allows this")
	ErrForbidden = errors.New("not allowed for this account")
)

// Directory tells who reviews whom: the manager of a person, when that
// manager has a console account.
type Directory interface {
	Reviewer(ctx context.Context, person string) string
	// Officers returns the accounts with role privacy_officer (escalations
	// go to them).
	Officers(ctx context.Context) []string
}

// Service runs the workflow. Its methods may be called concurrently;
// steps on one case are serialised by the store's replace (last writer
// wins), which the console avoids by posting one step at a time.
type Service struct {
	Store     Store
	Directory Directory
	Notifier  Notifier // nil: no notifications
	Deadline  time.Duration
	Now       func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) deadline() time.Duration {
	if s.Deadline > 0 {
		return s.Deadline
	}
	return DefaultDeadline
}

func newID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "case-" + hex.EncodeToString(b)
}

// OpenCase makes an alert a case, or returns the case it already has.
func (s *Service) OpenCase(ctx context.Context, a *alert.Alert, by string) (*Case, error) {
	if c, err := s.Store.CaseForAlert(ctx, a.ID); err == nil {
		return c, nil
	} else if !errors.Is(err, ErrNoCase) {
		return nil, err
	}
	now := s.now()
	c := &Case{
		ID: newID(), AlertID: a.ID, Rule: a.Rule, Severity: string(a.Severity), System: a.System,
		Summary: a.Summary, AlertAt: a.Time, Person: a.Actor, Status: Open, Opened: now, Updated: now,
		Steps: []Step{{At: now, Who: by, What: "open"}},
	}
	if s.Directory != nil && a.Actor != "" {
		c.Reviewer = s.Directory.Reviewer(ctx, a.Actor)
	}
	if err := s.Store.PutCase(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Service) step(ctx context.Context, c *Case, who, what, comment string, to Status) error {
	now := s.now()
	c.Steps = append(c.Steps, Step{At: now, Who: who, What: what, Comment: comment})
	c.Status, c.Updated = to, now
	return s.Store.PutCase(ctx, c)
}

// Request asks the case's person for a justification. deadline 0 means
// the service's default, counted from now (the request's time).
func (s *Service) Request(ctx context.Context, id, by, message string, deadline time.Duration) (*Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Status != Open && c.Status != Escalated && c.Status != Requested {
		return nil, ErrState
	}
	if c.Person == "" {
		return nil, fmt.Errorf("%w: the alert names no person to ask", ErrState)
	}
	if deadline <= 0 {
		deadline = s.deadline()
	}
	c.Deadline = s.now().Add(deadline)
	if err := s.step(ctx, c, by, "request", message, Requested); err != nil {
		return nil, err
	}
	s.notify(ctx, Notice{Kind: "request", Case: c, To: []string{c.Person},
		Subject: fmt.Sprintf("[jikimi] 소명 요청 %s (기한 %s)", c.ID, c.Deadline.In(kst).Format("2006-01-02 15:04")),
		Body:    fmt.Sprintf("%s 님, 다음 건에 대한 소명을 %s까지 제출해 주십시오.\n\n%s\n\n요청: %s\n", c.Person, c.Deadline.In(kst).Format("2006-01-02 15:04"), c.Summary, message)})
	return c, nil
}

// Answer records the person's justification. Only the case's person may
// answer.
func (s *Service) Answer(ctx context.Context, id, by, text string) (*Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	if by != c.Person {
		return nil, ErrForbidden
	}
	if c.Status != Requested && c.Status != Escalated {
		return nil, ErrState
	}
	if text == "" {
		return nil, fmt.Errorf("%w: the answer is empty", ErrState)
	}
	if err := s.step(ctx, c, by, "answer", text, Answered); err != nil {
		return nil, err
	}
	to := []string{c.Reviewer}
	if c.Reviewer == "" {
		to = nil // the webhook still hears of it; reviewers see it in the console
	}
	s.notify(ctx, Notice{Kind: "answer", Case: c, To: to,
		Subject: fmt.Sprintf("[jikimi] 소명 제출 %s", c.ID),
		Body:    fmt.Sprintf("%s 님이 소명을 제출했습니다. 검토해 주십시오.\n\n%s\n", c.Person, text)})
	return c, nil
}

// Decision is a reviewer's verdict.
type Decision string

// The decisions.
const (
	Approve  Decision = "approve"
	Reject   Decision = "reject"
	AskAgain Decision = "ask_again"
)

// CanDecide reports whether account by may decide case c: the person's
// manager named as the case's reviewer, or any account with role reviewer
// — never the person who answered.
func CanDecide(c *Case, by string, isReviewer bool) bool {
	if by == c.Person {
		return false
	}
	return by == c.Reviewer || isReviewer
}

// Decide records a reviewer's decision with a comment. AskAgain sends the
// case back to the person with a fresh deadline.
func (s *Service) Decide(ctx context.Context, id, by string, isReviewer bool, d Decision, comment string) (*Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	if !CanDecide(c, by, isReviewer) {
		return nil, ErrForbidden
	}
	if c.Status != Answered {
		return nil, ErrState
	}
	var to Status
	switch d {
	case Approve:
		to = Approved
	case Reject:
		to = Rejected
	case AskAgain:
		to = Requested
		c.Deadline = s.now().Add(s.deadline())
	default:
		return nil, fmt.Errorf("decision %q: want approve, reject or ask_again", d)
	}
	if err := s.step(ctx, c, by, string(d), comment, to); err != nil {
		return nil, err
	}
	s.notify(ctx, Notice{Kind: string(d), Case: c, To: []string{c.Person},
		Subject: fmt.Sprintf("[jikimi] 소명 검토 결과 %s: %s", c.ID, d),
		Body:    fmt.Sprintf("검토자 %s: %s\n\n%s\n", by, d, comment)})
	return c, nil
}

// Close ends a case without a justification (for example a false alert),
// with a reason.
func (s *Service) Close(ctx context.Context, id, by, reason string) (*Case, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Status.Final() {
		return nil, ErrState
	}
	return c, s.step(ctx, c, by, "close", reason, Closed)
}

// Escalate moves every case overdue at now to Escalated and tells the
// privacy officers. It returns the cases it escalated.
func (s *Service) Escalate(ctx context.Context) ([]*Case, error) {
	now := s.now()
	cs, err := s.Store.Cases(ctx, Filter{Status: []Status{Requested}, Overdue: now})
	if err != nil {
		return nil, err
	}
	var officers []string
	if s.Directory != nil {
		officers = s.Directory.Officers(ctx)
	}
	for _, c := range cs {
		if err := s.step(ctx, c, "jikimi", "escalate", "기한 경과", Escalated); err != nil {
			return nil, err
		}
		s.notify(ctx, Notice{Kind: "escalate", Case: c, To: officers,
			Subject: fmt.Sprintf("[jikimi] 소명 기한 경과 %s", c.ID),
			Body:    fmt.Sprintf("%s 님의 소명이 기한(%s)을 넘겼습니다.\n\n%s\n", c.Person, c.Deadline.In(kst).Format("2006-01-02 15:04"), c.Summary)})
	}
	return cs, nil
}

var kst = time.FixedZone("KST", 9*3600)
