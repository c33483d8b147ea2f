// Package web is the console: server-rendered pages (html/template, Korean
// by default, English with ?lang=en) for privacy officers, reviewers,
// staff and auditors, over the store, the casework and the accounts.
//
// Every page and API checks the signed-in account's role on the server
// (see access). Forms carry a per-session CSRF token; cookies are
// HttpOnly and SameSite=Strict, and Secure when served over TLS or when
// Config.SecureCookies is set.
//
// The console is a personal-information processing system itself
// (shared/DESIGN.md, "jikimi audits itself"): every sign-in, search, view
// of evidence, unmask, export, approval and sign-off becomes an access
// record of system "jikimi" through Config.Audit, which the caller wires
// to the ingest pipeline so those records are sealed like any other. An
// act whose record cannot be written is refused (fail closed).
package web

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jikimi/jikimi/account"
	"github.com/jikimi/jikimi/casework"
	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/report"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/store/sqlite"
	"github.com/jikimi/jikimi/subject"
)

//go:embed templates/*.html static/*
var assets embed.FS

// RuleInfo describes a detection rule in force.
type RuleInfo struct {
	ID, Title, TitleEn, Description, DescriptionEn, Level, Kind string
	Builtin                                                     bool
}

// Config wires the console. DB, Keyer, Accounts, Cases, Audit and Query
// are required.
type Config struct {
	DB        *sqlite.DB
	Keyer     *subject.Keyer
	Directory *directory.Directory // nil: an empty directory
	Accounts  *account.Service
	Cases     *casework.Service
	// Audit stores one of the console's own access records durably (and
	// sealed) before returning; see the package doc.
	Audit func(ctx context.Context, rec *record.Record) error
	// Query turns record-search parameters into a store query: the same
	// filters as `jikimi records`.
	Query     func(v url.Values) (store.Query, error)
	Rules     []RuleInfo
	Integrity report.Integrity // nil: reports say "봉인 검증 정보 없음"
	Chromium  string           // for PDF reports; "" : report.Chromium
	// SecureCookies marks cookies Secure even on plain HTTP (behind a
	// TLS-terminating proxy).
	SecureCookies bool
	Logger        *slog.Logger
	Now           func() time.Time
}

// Console serves the console's pages.
type Console struct {
	cfg      Config
	pages    map[string]*template.Template
	activity *activity
	rules    map[string]RuleInfo
}

// New returns the console and starts counting activity for the overview
// in the background (stopped when ctx ends).
func New(ctx context.Context, cfg Config) (*Console, error) {
	if cfg.DB == nil || cfg.Keyer == nil || cfg.Accounts == nil || cfg.Cases == nil || cfg.Audit == nil || cfg.Query == nil {
		return nil, errors.New("web: DB, Keyer, Accounts, Cases, Audit and Query are required")
	}
	if cfg.Directory == nil {
		cfg.Directory = directory.New()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Console{cfg: cfg, pages: map[string]*template.Template{}, rules: map[string]RuleInfo{}}
	for _, r := range cfg.Rules {
		c.rules[r.ID] = r
	}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", n, err)
		}
		c.pages[base] = t
	}
	c.activity = newActivity(cfg.DB, cfg.Logger)
	go c.activity.run(ctx)
	return c, nil
}

// Mount registers the console's routes with mount (api.Server.Handle).
func (c *Console) Mount(mount func(pattern string, h http.Handler)) {
	static, _ := fs.Sub(assets, "static")
	mount("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mount("GET /login", c.public(c.loginForm))
	mount("POST /login", c.public(c.login))
	for _, rt := range c.routes() {
		mount(rt.pattern, c.guard(rt))
	}
}

// route is one guarded page or API with the roles that may use it.
type route struct {
	pattern string
	roles   []account.Role
	api     bool // answers 401 instead of redirecting to sign in
	h       func(w http.ResponseWriter, r *http.Request, s *account.Session) error
}

var (
	everyone   = []account.Role{account.Admin, account.PrivacyOfficer, account.Reviewer, account.Staff, account.Auditor}
	readers    = []account.Role{account.PrivacyOfficer, account.Reviewer, account.Auditor}
	officers   = []account.Role{account.PrivacyOfficer}
	caseRoles  = []account.Role{account.PrivacyOfficer, account.Reviewer, account.Staff, account.Auditor}
	dirRoles   = []account.Role{account.Admin, account.PrivacyOfficer, account.Reviewer, account.Auditor}
	reportRead = []account.Role{account.PrivacyOfficer, account.Auditor}
	admins     = []account.Role{account.Admin}
)

// routes is the access table: which roles may use which page or API.
// The role test in cmd/jikimi walks the same table.
func (c *Console) routes() []route {
	return []route{
		{"GET /{$}", everyone, false, c.overview},
		{"POST /logout", everyone, false, c.logout},
		{"GET /password", everyone, false, c.passwordForm},
		{"POST /password", everyone, false, c.password},
		{"GET /alerts", readers, false, c.alerts},
		{"GET /alerts/{id}", readers, false, c.alertPage},
		{"POST /alerts/{id}/case", officers, false, c.openCase},
		{"GET /cases", caseRoles, false, c.cases},
		{"GET /cases/{id}", caseRoles, false, c.casePage},
		{"POST /cases/{id}/request", officers, false, c.requestCase},
		{"POST /cases/{id}/close", officers, false, c.closeCase},
		{"POST /cases/{id}/answer", []account.Role{account.Staff}, false, c.answerCase},
		{"POST /cases/{id}/decide", []account.Role{account.Reviewer}, false, c.decideCase},
		{"GET /records", readers, false, c.records},
		{"GET /records/{id}", readers, false, c.recordPage},
		{"POST /records/{id}/unmask", officers, false, c.unmask},
		{"GET /directory", dirRoles, false, c.directoryPage},
		{"GET /rules", dirRoles, false, c.rulesPage},
		{"GET /reports", reportRead, false, c.reports},
		{"POST /reports", officers, false, c.generateReport},
		{"GET /reports/{id}", reportRead, false, c.reportPage},
		{"GET /reports/{id}/print", reportRead, false, c.reportPrint},
		{"GET /reports/{id}/pdf", reportRead, false, c.reportPDF},
		{"POST /reports/{id}/signoff", officers, false, c.signReport},
		{"GET /accounts", admins, false, c.accounts},
		{"POST /accounts", admins, false, c.addAccount},
		{"POST /accounts/{id}/unlock", admins, false, c.unlockAccount},
		{"GET /console/api/alerts", readers, true, c.apiAlerts},
		{"GET /console/api/cases", caseRoles, true, c.apiCases},
		{"GET /console/api/overview", readers, true, c.apiOverview},
	}
}

// Route is a route's pattern and roles, for tests that check access.
type Route struct {
	Pattern string
	Roles   []account.Role
	API     bool
}

// Routes lists the guarded routes with their roles.
func (c *Console) Routes() []Route {
	var out []Route
	for _, r := range c.routes() {
		out = append(out, Route{r.pattern, r.roles, r.api})
	}
	return out
}

const (
	sessionCookie = "jikimi_session"
	langCookie    = "jikimi_lang"
)

// httpError carries the status a handler's failure is answered with.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func errStatus(code int, format string, args ...any) error {
	return &httpError{code, fmt.Sprintf(format, args...)}
}

func (c *Console) session(r *http.Request) *account.Session {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return c.cfg.Accounts.Sessions.Get(ck.Value)
}

func (c *Console) public(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secHeaders(w)
		if err := h(w, r); err != nil {
			c.fail(w, r, nil, err)
		}
	})
}

func secHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
}

// guard checks the session, the role and, on POST, the CSRF token.
func (c *Console) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secHeaders(w)
		s := c.session(r)
		if s == nil {
			if rt.api {
				http.Error(w, "sign in first", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if !slices.Contains(rt.roles, s.Role) {
			c.fail(w, r, s, errStatus(http.StatusForbidden, "forbidden"))
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				c.fail(w, r, s, errStatus(http.StatusBadRequest, "bad form"))
				return
			}
			if r.PostForm.Get("csrf") != s.CSRF {
				c.fail(w, r, s, errStatus(http.StatusForbidden, "CSRF token missing or wrong"))
				return
			}
		}
		if rt.pattern != "GET /password" && rt.pattern != "POST /password" && rt.pattern != "POST /logout" {
			if u, err := c.cfg.Accounts.Store().User(r.Context(), s.User); err != nil || u.Role != s.Role {
				// The account was removed or its role changed: sign out.
				c.cfg.Accounts.Sessions.End(s.ID)
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			} else if u.MustChange {
				http.Redirect(w, r, "/password", http.StatusSeeOther)
				return
			}
		}
		if err := rt.h(w, r, s); err != nil {
			c.fail(w, r, s, err)
		}
	})
}

func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *account.Session, err error) {
	code := http.StatusInternalServerError
	var he *httpError
	switch {
	case errors.As(err, &he):
		code = he.code
	case errors.Is(err, store.ErrNotFound), errors.Is(err, casework.ErrNoCase):
		code = http.StatusNotFound
	case errors.Is(err, casework.ErrForbidden):
		code = http.StatusForbidden
	case errors.Is(err, casework.ErrState), errors.Is(err, casework.ErrExists):
		code = http.StatusConflict
	}
	if code == http.StatusInternalServerError {
		c.cfg.Logger.ErrorContext(r.Context(), "console", "path", r.URL.Path, "err", err)
	}
	msg := err.Error()
	lang := langOf(r)
	switch code {
	case http.StatusForbidden:
		msg = tr(lang, "forbidden")
	case http.StatusNotFound:
		msg = tr(lang, "not_found")
	}
	w.WriteHeader(code)
	c.render(w, r, s, "error", "", map[string]any{"Code": code, "Msg": msg})
}

// langOf returns "en" when asked for by ?lang=en or the cookie, else "ko".
func langOf(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "ko" {
		return l
	}
	if ck, err := r.Cookie(langCookie); err == nil && ck.Value == "en" {
		return "en"
	}
	return "ko"
}

func (c *Console) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || c.cfg.SecureCookies}
}

// pageData is what every page template receives.
type pageData struct {
	L     string // language
	S     *account.Session
	Nav   string
	Path  string
	D     any
	Now   time.Time
	Roles map[string]bool
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, s *account.Session, page, nav string, d any) {
	lang := langOf(r)
	if l := r.URL.Query().Get("lang"); l == "en" || l == "ko" {
		http.SetCookie(w, c.cookie(r, langCookie, l, 365*24*3600))
	}
	t := c.pages[page]
	if t == nil {
		http.Error(w, "no page "+page, http.StatusInternalServerError)
		return
	}
	roles := map[string]bool{}
	if s != nil {
		roles[string(s.Role)] = true
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := t.Execute(w, pageData{L: lang, S: s, Nav: nav, Path: r.URL.Path, D: d, Now: c.cfg.Now(), Roles: roles}); err != nil {
		c.cfg.Logger.ErrorContext(r.Context(), "console render", "page", page, "err", err)
	}
}

// audit writes one of the console's own access records; see the package
// doc. The session id is recorded as a hash, never in clear.
func (c *Console) audit(r *http.Request, actor string, s *account.Session, action record.Action, object, detail, purpose string, rows int64, subjects []string) error {
	rec := &record.Record{
		Time:   c.cfg.Now(),
		System: "jikimi",
		Actor:  record.Actor{ID: actor, Type: "employee"},
		Action: action,
		Origin: record.Origin{IP: clientIP(r), UserAgent: r.UserAgent()},
		Target: record.Target{Object: object, Kind: "screen"},
		Detail: detail, Purpose: purpose,
		Subjects: subjects,
	}
	rec.ID = "jikimi-" + randomHex(12)
	if s != nil {
		h := sha256.Sum256([]byte(s.ID))
		rec.Auth = record.Auth{Method: "mfa", Session: hex.EncodeToString(h[:8])}
	} else {
		rec.Auth = record.Auth{Method: "mfa"}
	}
	if rows >= 0 {
		rec.Result.Rows = record.Int64(rows)
	}
	if err := c.cfg.Audit(r.Context(), rec); err != nil {
		return fmt.Errorf("console audit record: %w", err)
	}
	return nil
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}
