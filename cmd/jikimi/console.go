package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/jikimi/jikimi/account"
	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/api"
	"github.com/jikimi/jikimi/casework"
	"github.com/jikimi/jikimi/detect"
	"github.com/jikimi/jikimi/ingest"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/report"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/web"
)

// consoleOptions configures the console mounted by serve and demo. The
// zero value works: defaults for timeouts and deadlines, no e-mail, no
// webhook, rules loaded from <data>/rules when that folder exists.
type consoleOptions struct {
	IdleTimeout   time.Duration // 0: account.DefaultIdleTimeout
	MaxFailures   int           // 0: account.DefaultMaxFailures
	LockFor       time.Duration // 0: account.DefaultLockFor
	Deadline      time.Duration // 0: casework.DefaultDeadline (10 days)
	SMTPAddr      string        // host:port of a relay; "" : no e-mail
	SMTPFrom      string
	WebhookURL    string // "" : no webhook
	SecureCookies bool   // behind a TLS-terminating proxy
	Rules         []*detect.Rule
	Integrity     report.Integrity // nil: reports say "봉인 검증 정보 없음"
	Chromium      string
	Now           func() time.Time // nil: time.Now
}

// mountConsole adds the web console to srv. It needs the app opened with
// its pipeline: the console's own access records go through it.
func mountConsole(ctx context.Context, a *app, srv *api.Server, o consoleOptions) error {
	c, err := newConsole(ctx, a, o)
	if err != nil {
		return err
	}
	c.Mount(srv.Handle)
	return nil
}

func newConsole(ctx context.Context, a *app, o consoleOptions) (*web.Console, error) {
	if a.pipe == nil {
		return nil, errors.New("console: the app must be opened with its pipeline (the console audits itself through it)")
	}
	accounts := account.NewService(a.store, account.Options{IdleTimeout: o.IdleTimeout, MaxFailures: o.MaxFailures, LockFor: o.LockFor, Now: o.Now})
	cases := caseService(a, accounts, o)
	rules := o.Rules
	if rules == nil {
		dir := filepath.Join(a.dataDir, "rules")
		if _, err := os.Stat(dir); err != nil {
			dir = ""
		}
		var err error
		if rules, err = detect.LoadRules(dir); err != nil {
			return nil, fmt.Errorf("console rules: %w", err)
		}
	}
	var infos []web.RuleInfo
	for _, r := range rules {
		infos = append(infos, web.RuleInfo{ID: r.ID, Title: r.Title, TitleEn: r.TitleEn, Description: r.Description,
			DescriptionEn: r.DescriptionEn, Level: string(r.Level), Kind: r.Kind, Builtin: r.Builtin})
	}
	c, err := web.New(ctx, web.Config{
		DB: a.store, Keyer: a.keyer, Directory: a.dir, Accounts: accounts, Cases: cases,
		Audit: func(ctx context.Context, rec *record.Record) error { return auditRecord(ctx, a, rec) },
		Query: func(v url.Values) (store.Query, error) { return queryFromURL(v, a) },
		Rules: infos, Integrity: o.Integrity, Chromium: o.Chromium, SecureCookies: o.SecureCookies,
		Logger: a.logger, Now: o.Now,
	})
	if err != nil {
		return nil, err
	}
	go escalateLoop(ctx, a, cases)
	return c, nil
}

// auditRecord stores and seals one of the console's own access records:
// Submit returns only when it is durable in the store and the ledger.
func auditRecord(ctx context.Context, a *app, rec *record.Record) error {
	p, err := a.pipe.NewPreparer().Prepare(rec)
	if err != nil {
		return err
	}
	_, err = a.pipe.Submit(ctx, []*ingest.Prepared{p})
	return err
}

// escalateLoop moves overdue cases to the privacy officer every minute.
func escalateLoop(ctx context.Context, a *app, cases *casework.Service) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if cs, err := cases.Escalate(ctx); err != nil && ctx.Err() == nil {
			a.logger.Error("escalate overdue cases", "err", err)
		} else if len(cs) > 0 {
			a.logger.Info("escalated overdue cases", "n", len(cs))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func caseService(a *app, accounts *account.Service, o consoleOptions) *casework.Service {
	dir := &caseDirectory{a: a, accounts: accounts.Store()}
	var ns casework.Notifiers
	if o.SMTPAddr != "" {
		from := o.SMTPFrom
		if from == "" {
			from = "jikimi@localhost"
		}
		ns = append(ns, &casework.SMTP{Addr: o.SMTPAddr, From: from, Address: dir.email})
	}
	if o.WebhookURL != "" {
		ns = append(ns, &casework.Webhook{URL: o.WebhookURL})
	}
	s := &casework.Service{Store: a.store, Directory: dir, Deadline: o.Deadline, Now: o.Now}
	if o.Deadline <= 0 {
		s.Deadline = casework.DefaultDeadline
	}
	if len(ns) > 0 {
		s.Notifier = ns
	}
	return s
}

// caseDirectory answers casework's questions from the directory and the
// accounts: a person's reviewer is their manager when the manager has a
// console account.
type caseDirectory struct {
	a        *app
	accounts account.Store
}

var _ casework.Directory = (*caseDirectory)(nil)

func (d *caseDirectory) Reviewer(ctx context.Context, person string) string {
	p := d.a.dir.Person(person)
	if p == nil || p.Manager == "" {
		return ""
	}
	if _, err := d.accounts.User(ctx, p.Manager); err != nil {
		return ""
	}
	return p.Manager
}

func (d *caseDirectory) Officers(ctx context.Context) []string {
	us, err := d.accounts.Users(ctx)
	if err != nil {
		return nil
	}
	var out []string
	for _, u := range us {
		if u.Role == account.PrivacyOfficer {
			out = append(out, u.ID)
		}
	}
	return out
}

func (d *caseDirectory) email(ctx context.Context, id string) string {
	u, err := d.accounts.User(ctx, id)
	if err != nil {
		return ""
	}
	return u.Email
}

// demoUser is an account seedDemoUsers created, with its credentials.
type demoUser struct {
	ID, Name   string
	Role       account.Role
	Password   string
	TOTPSecret string
	OTPAuthURL string
}

// The demo's fixed TOTP secrets (base32): a newcomer can add them to an
// authenticator app, or run `jikimi user totp --id ID`.
var demoSecrets = map[account.Role]string{
	account.Admin:          "JIKIMIDEMOADMINAAAAAAAAAAAAAAAAA",
	account.PrivacyOfficer: "JIKIMIDEMOOFFICERAAAAAAAAAAAAAAA",
	account.Reviewer:       "JIKIMIDEMOREVIEWERAAAAAAAAAAAAAA",
	account.Staff:          "JIKIMIDEMOSTAFFAAAAAAAAAAAAAAAAA",
	account.Auditor:        "JIKIMIDEMOAUDITORAAAAAAAAAAAAAAA",
}

// seedDemoUsers creates (or resets) one account per role with fixed demo
// passwords and TOTP secrets. The staff account is the actor of the
// newest alert whose actor is in the directory (so the walk-through can
// ask them for a justification) and the reviewer is that person's manager.
func seedDemoUsers(a *app) ([]demoUser, error) {
	ctx := context.Background()
	staff, reviewer := "", ""
	alerts, err := a.store.Alerts(ctx, store.AlertQuery{Limit: 2000})
	if err != nil {
		return nil, err
	}
	// The most severe, then newest, alert's person: the walk-through
	// starts from what matters most.
	slices.SortStableFunc(alerts, func(x, y alert.Alert) int { return y.Severity.Rank() - x.Severity.Rank() })
	for _, al := range alerts {
		if p := a.dir.Person(al.Actor); p != nil && p.Manager != "" && a.dir.Person(p.Manager) != nil {
			staff, reviewer = p.ID, p.Manager
			break
		}
	}
	if staff == "" {
		for _, p := range a.dir.People() {
			if p.Manager != "" && p.Status != "departed" {
				staff, reviewer = p.ID, p.Manager
				break
			}
		}
	}
	if staff == "" {
		staff, reviewer = "staff", "reviewer"
	}
	plan := []struct {
		id, name string
		role     account.Role
	}{
		{"admin", "관리자", account.Admin},
		{"officer", "개인정보 보호책임자", account.PrivacyOfficer},
		{reviewer, "", account.Reviewer},
		{staff, "", account.Staff},
		{"auditor", "감사인", account.Auditor},
	}
	var out []demoUser
	for _, p := range plan {
		name := p.name
		if person := a.dir.Person(p.id); person != nil && name == "" {
			name = person.Name
		}
		pw := "jikimi-demo-" + string(p.role)
		u, err := account.NewUser(p.id, name, p.role, pw, demoSecrets[p.role], time.Now())
		if err != nil {
			return nil, err
		}
		if err := a.store.PutUser(ctx, u); err != nil {
			return nil, err
		}
		out = append(out, demoUser{ID: p.id, Name: name, Role: p.role, Password: pw, TOTPSecret: u.TOTPSecret,
			OTPAuthURL: account.OTPAuthURL("jikimi", p.id, u.TOTPSecret)})
	}
	return out, nil
}
