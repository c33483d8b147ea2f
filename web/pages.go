package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jikimi/jikimi/account"
	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/casework"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/report"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/store/sqlite"
	"github.com/jikimi/jikimi/subject"
)

// ---- sign-in ----

func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) error {
	c.render(w, r, nil, "login", "", map[string]any{"Next": safeNext(r.URL.Query().Get("next")), "Error": ""})
	return nil
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.Contains(s, "\\") {
		return "/"
	}
	return s
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errStatus(http.StatusBadRequest, "bad form")
	}
	id := strings.TrimSpace(r.PostForm.Get("id"))
	u, err := c.cfg.Accounts.SignIn(r.Context(), id, r.PostForm.Get("password"), strings.TrimSpace(r.PostForm.Get("totp")))
	if err != nil {
		if !errors.Is(err, account.ErrNoUser) && !errors.Is(err, account.ErrBadCredentials) && !errors.Is(err, account.ErrLocked) {
			return err
		}
		if aerr := c.audit(r, id, nil, record.LoginFailed, "login", "", "", -1, nil); aerr != nil {
			return aerr
		}
		msg := tr(langOf(r), "bad_sign_in")
		if errors.Is(err, account.ErrLocked) {
			msg = tr(langOf(r), "locked")
		}
		w.WriteHeader(http.StatusUnauthorized)
		c.render(w, r, nil, "login", "", map[string]any{"Next": safeNext(r.PostForm.Get("next")), "Error": msg})
		return nil
	}
	s := c.cfg.Accounts.Sessions.Start(u)
	if err := c.audit(r, u.ID, s, record.Login, "login", "role="+string(u.Role), "", -1, nil); err != nil {
		c.cfg.Accounts.Sessions.End(s.ID)
		return err
	}
	http.SetCookie(w, c.cookie(r, sessionCookie, s.ID, 0))
	next := safeNext(r.PostForm.Get("next"))
	if u.MustChange {
		next = "/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	c.cfg.Accounts.Sessions.End(s.ID)
	if err := c.audit(r, s.User, s, record.Logout, "logout", "", "", -1, nil); err != nil {
		return err
	}
	http.SetCookie(w, c.cookie(r, sessionCookie, "", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (c *Console) passwordForm(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	u, err := c.cfg.Accounts.Store().User(r.Context(), s.User)
	if err != nil {
		return err
	}
	c.render(w, r, s, "password", "", map[string]any{"Must": u.MustChange, "Error": ""})
	return nil
}

func (c *Console) password(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	if err := c.cfg.Accounts.SetPassword(r.Context(), s.User, r.PostForm.Get("password")); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		c.render(w, r, s, "password", "", map[string]any{"Must": true, "Error": err.Error()})
		return nil
	}
	if err := c.audit(r, s.User, s, record.Update, "account/"+s.User, "password changed", "", -1, nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// ---- overview ----

type overviewData struct {
	AlertsWaiting, AlertsTotal int
	Counts                     map[casework.Status]int
	InProgress, Answered       int
	Overdue                    []*casework.Case
	Mine                       []*casework.Case
	Activity                   window
}

func (c *Console) overviewData(ctx context.Context) (overviewData, error) {
	var d overviewData
	var err error
	if _, d.AlertsWaiting, err = c.cfg.DB.AlertPage(ctx, sqlite.AlertFilter{Waiting: true, Limit: 1}); err != nil {
		return d, err
	}
	if _, d.AlertsTotal, err = c.cfg.DB.AlertPage(ctx, sqlite.AlertFilter{Limit: 1}); err != nil {
		return d, err
	}
	if d.Counts, err = c.cfg.DB.CaseCounts(ctx); err != nil {
		return d, err
	}
	d.Answered = d.Counts[casework.Answered]
	for st, n := range d.Counts {
		if !st.Final() {
			d.InProgress += n
		}
	}
	if d.Overdue, err = c.cfg.Cases.Store.Cases(ctx, casework.Filter{Overdue: c.cfg.Now(), Limit: 20}); err != nil {
		return d, err
	}
	d.Activity, err = c.activity.window(ctx)
	return d, err
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	switch s.Role {
	case account.Staff:
		http.Redirect(w, r, "/cases", http.StatusSeeOther)
		return nil
	case account.Admin:
		http.Redirect(w, r, "/accounts", http.StatusSeeOther)
		return nil
	}
	d, err := c.overviewData(r.Context())
	if err != nil {
		return err
	}
	if s.Role == account.Reviewer {
		if d.Mine, err = c.cfg.Cases.Store.Cases(r.Context(), casework.Filter{Status: []casework.Status{casework.Answered}, Reviewer: s.User, Limit: 20}); err != nil {
			return err
		}
	}
	c.render(w, r, s, "overview", "overview", d)
	return nil
}

func (c *Console) apiOverview(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	d, err := c.overviewData(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, map[string]any{"alerts_waiting": d.AlertsWaiting, "alerts": d.AlertsTotal, "cases": d.Counts, "overdue": len(d.Overdue)})
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

// ---- alerts ----

func alertFilter(r *http.Request) sqlite.AlertFilter {
	q := r.URL.Query()
	f := sqlite.AlertFilter{Rule: q.Get("rule"), System: q.Get("system"), Actor: q.Get("actor"), Severity: q.Get("severity"),
		Waiting: q.Get("waiting") == "1", Limit: 50}
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	f.Offset = max(f.Offset, 0)
	return f
}

type alertRow struct {
	alert.Alert
	Title string
	Case  *casework.Case
}

func (c *Console) alertRows(ctx context.Context, lang string, as []alert.Alert) ([]alertRow, error) {
	rows := make([]alertRow, len(as))
	for i, a := range as {
		rows[i] = alertRow{Alert: a, Title: c.ruleTitle(lang, a.Rule)}
		cs, err := c.cfg.Cases.Store.CaseForAlert(ctx, a.ID)
		if err == nil {
			rows[i].Case = cs
		} else if !errors.Is(err, casework.ErrNoCase) {
			return nil, err
		}
	}
	return rows, nil
}

func (c *Console) ruleTitle(lang, id string) string {
	r, ok := c.rules[id]
	if !ok {
		return id
	}
	if lang == "en" && r.TitleEn != "" {
		return r.TitleEn
	}
	return r.Title
}

func (c *Console) alerts(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	f := alertFilter(r)
	as, total, err := c.cfg.DB.AlertPage(r.Context(), f)
	if err != nil {
		return err
	}
	rows, err := c.alertRows(r.Context(), langOf(r), as)
	if err != nil {
		return err
	}
	rules, systems, err := c.cfg.DB.AlertFacets(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	q.Del("offset")
	c.render(w, r, s, "alerts", "alerts", map[string]any{"F": f, "Rows": rows, "Total": total, "Rules": rules, "Systems": systems,
		"Query": q.Encode(), "Prev": f.Offset - f.Limit, "Next": f.Offset + f.Limit})
	return nil
}

func (c *Console) apiAlerts(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	as, total, err := c.cfg.DB.AlertPage(r.Context(), alertFilter(r))
	if err != nil {
		return err
	}
	return writeJSON(w, map[string]any{"total": total, "alerts": as})
}

// evidenceShown is how many evidence records a page lists.
const evidenceShown = 50

// shownRecord is a stored record prepared for display, masked.
type shownRecord struct {
	record.Record
	Seq       int64
	Sealed    bool
	Rows      string
	SubjectsN int64
}

func shown(st store.Stored) (shownRecord, error) {
	r, err := record.Parse(st.Canonical)
	if err != nil {
		return shownRecord{}, fmt.Errorf("stored record %s: %w", st.ID, err)
	}
	sr := shownRecord{Record: r, Seq: st.Seq, Sealed: st.Seal.Period != "" && st.Seal.Batch > 0, Rows: "-", SubjectsN: r.SubjectTotal()}
	if r.Result.Rows != nil {
		sr.Rows = report.Thousands(*r.Result.Rows)
	}
	return sr, nil
}

func (c *Console) alertPage(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	ctx := r.Context()
	a, err := c.cfg.DB.Alert(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	var recs []shownRecord
	for i, id := range a.Records {
		if i == evidenceShown {
			break
		}
		st, err := c.cfg.DB.Record(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted by retention
		} else if err != nil {
			return err
		}
		sr, err := shown(st)
		if err != nil {
			return err
		}
		recs = append(recs, sr)
	}
	if err := c.audit(r, s.User, s, record.View, "alert/"+a.ID, "evidence of rule "+a.Rule, "", int64(len(recs)), nil); err != nil {
		return err
	}
	cs, err := c.cfg.Cases.Store.CaseForAlert(ctx, a.ID)
	if err != nil && !errors.Is(err, casework.ErrNoCase) {
		return err
	}
	rule, hasRule := c.rules[a.Rule]
	c.render(w, r, s, "alert", "alerts", map[string]any{"A": a, "Records": recs, "Case": cs, "Rule": rule, "HasRule": hasRule,
		"Title": c.ruleTitle(langOf(r), a.Rule), "More": len(a.Records) > evidenceShown})
	return nil
}

// ---- cases ----

func (c *Console) openCase(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	a, err := c.cfg.DB.Alert(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	cs, err := c.cfg.Cases.OpenCase(r.Context(), &a, s.User)
	if err != nil {
		return err
	}
	if err := c.audit(r, s.User, s, record.Create, "case/"+cs.ID, "case opened from alert "+a.ID, "", -1, nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/cases/"+cs.ID, http.StatusSeeOther)
	return nil
}

func (c *Console) caseFilter(r *http.Request, s *account.Session) casework.Filter {
	q := r.URL.Query()
	f := casework.Filter{System: q.Get("system"), Rule: q.Get("rule"), Limit: 200}
	if st := q.Get("status"); st != "" {
		f.Status = []casework.Status{casework.Status(st)}
	}
	if q.Get("overdue") == "1" {
		f.Overdue = c.cfg.Now()
	}
	if s.Role == account.Staff {
		f.Person = s.User // staff see only their own cases
	}
	return f
}

func (c *Console) cases(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	f := c.caseFilter(r, s)
	cs, err := c.cfg.Cases.Store.Cases(r.Context(), f)
	if err != nil {
		return err
	}
	c.render(w, r, s, "cases", "cases", map[string]any{"Cases": cs, "Status": r.URL.Query().Get("status"),
		"Statuses": []casework.Status{casework.Open, casework.Requested, casework.Answered, casework.Approved, casework.Rejected, casework.Escalated, casework.Closed}})
	return nil
}

func (c *Console) apiCases(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	cs, err := c.cfg.Cases.Store.Cases(r.Context(), c.caseFilter(r, s))
	if err != nil {
		return err
	}
	return writeJSON(w, map[string]any{"cases": cs})
}

// caseFor loads a case and checks that s may see it.
func (c *Console) caseFor(r *http.Request, s *account.Session) (*casework.Case, error) {
	cs, err := c.cfg.Cases.Store.Case(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if s.Role == account.Staff && cs.Person != s.User {
		return nil, errStatus(http.StatusForbidden, "forbidden")
	}
	return cs, nil
}

func (c *Console) casePage(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	cs, err := c.caseFor(r, s)
	if err != nil {
		return err
	}
	if err := c.audit(r, s.User, s, record.View, "case/"+cs.ID, "", "", -1, nil); err != nil {
		return err
	}
	now := c.cfg.Now()
	c.render(w, r, s, "case", "cases", map[string]any{
		"C": cs, "Overdue": cs.Overdue(now), "Title": c.ruleTitle(langOf(r), cs.Rule),
		"CanRequest":  s.Role == account.PrivacyOfficer && (cs.Status == casework.Open || cs.Status == casework.Escalated || cs.Status == casework.Requested),
		"CanClose":    s.Role == account.PrivacyOfficer && !cs.Status.Final(),
		"CanAnswer":   s.Role == account.Staff && cs.Person == s.User && (cs.Status == casework.Requested || cs.Status == casework.Escalated),
		"CanDecide":   s.Role == account.Reviewer && cs.Status == casework.Answered && casework.CanDecide(cs, s.User, true),
		"DefaultDays": int(c.cfg.Cases.Deadline.Hours() / 24),
	})
	return nil
}

func (c *Console) afterStep(w http.ResponseWriter, r *http.Request, s *account.Session, cs *casework.Case, what, comment string) error {
	if err := c.audit(r, s.User, s, record.Update, "case/"+cs.ID, what+": "+comment, "", -1, nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/cases/"+cs.ID, http.StatusSeeOther)
	return nil
}

func (c *Console) requestCase(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	days, _ := strconv.Atoi(r.PostForm.Get("days"))
	if days < 0 || days > 90 {
		return errStatus(http.StatusBadRequest, "deadline: 1–90 days")
	}
	msg := r.PostForm.Get("message")
	cs, err := c.cfg.Cases.Request(r.Context(), r.PathValue("id"), s.User, msg, time.Duration(days)*24*time.Hour)
	if err != nil {
		return err
	}
	return c.afterStep(w, r, s, cs, "request", msg)
}

func (c *Console) closeCase(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if reason == "" {
		return errStatus(http.StatusBadRequest, "a reason is required")
	}
	cs, err := c.cfg.Cases.Close(r.Context(), r.PathValue("id"), s.User, reason)
	if err != nil {
		return err
	}
	return c.afterStep(w, r, s, cs, "close", reason)
}

func (c *Console) answerCase(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	if _, err := c.caseFor(r, s); err != nil {
		return err
	}
	text := strings.TrimSpace(r.PostForm.Get("answer"))
	cs, err := c.cfg.Cases.Answer(r.Context(), r.PathValue("id"), s.User, text)
	if err != nil {
		return err
	}
	return c.afterStep(w, r, s, cs, "answer", text)
}

func (c *Console) decideCase(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	d := casework.Decision(r.PostForm.Get("decision"))
	comment := strings.TrimSpace(r.PostForm.Get("comment"))
	cs, err := c.cfg.Cases.Decide(r.Context(), r.PathValue("id"), s.User, s.Role == account.Reviewer, d, comment)
	if err != nil {
		return err
	}
	return c.afterStep(w, r, s, cs, string(d), comment)
}

// ---- records ----

func (c *Console) records(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	q := r.URL.Query()
	data := map[string]any{"Q": q, "Searched": false}
	if q.Get("go") == "1" {
		sq, err := c.cfg.Query(q)
		if err != nil {
			return errStatus(http.StatusBadRequest, "%v", err)
		}
		if sq.Limit <= 0 || sq.Limit > 500 {
			sq.Limit = 500
		}
		sts, err := c.cfg.DB.Records(r.Context(), sq)
		if err != nil {
			return err
		}
		var recs []shownRecord
		for _, st := range sts {
			sr, err := shown(st)
			if err != nil {
				return err
			}
			recs = append(recs, sr)
		}
		// The query string is the search; a subject identifier in it is
		// masked by the pipeline's detail masking like any other.
		detail := searchDetail(q)
		if err := c.audit(r, s.User, s, record.Search, "records", detail, "", int64(len(recs)), subjectsOf(q)); err != nil {
			return err
		}
		data["Records"], data["Searched"] = recs, true
	}
	c.render(w, r, s, "records", "records", data)
	return nil
}

// searchDetail is the search as recorded: the filters without the
// subject identifier (kept as the record's pseudonymous subject instead).
func searchDetail(q map[string][]string) string {
	var parts []string
	for _, k := range []string{"actor", "system", "action", "ip", "from", "to", "limit"} {
		if v := q[k]; len(v) > 0 && v[0] != "" {
			parts = append(parts, k+"="+v[0])
		}
	}
	if v := q["subject"]; len(v) > 0 && v[0] != "" {
		parts = append(parts, "subject=(1)")
	}
	return strings.Join(parts, " ")
}

func subjectsOf(q map[string][]string) []string {
	if v := q["subject"]; len(v) > 0 && v[0] != "" {
		return []string{v[0]}
	}
	return nil
}

func (c *Console) recordPage(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	st, err := c.cfg.DB.Record(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	sr, err := shown(st)
	if err != nil {
		return err
	}
	if err := c.audit(r, s.User, s, record.View, "record/"+st.ID, "", "", 1, nil); err != nil {
		return err
	}
	c.render(w, r, s, "record", "records", map[string]any{"R": sr, "ID": st.ID, "CanUnmask": s.Role == account.PrivacyOfficer})
	return nil
}

// unmask shows one masked value in clear, for a stated reason that goes
// into the console's own access record as its purpose. Subjects are
// re-identified by opening their sealed identifier with the subject key.
func (c *Console) unmask(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	ctx := r.Context()
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if len([]rune(reason)) < 4 {
		return errStatus(http.StatusBadRequest, "state a reason (at least 4 characters)")
	}
	st, err := c.cfg.DB.Record(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	sr, err := shown(st)
	if err != nil {
		return err
	}
	field := r.PostForm.Get("field")
	var value string
	var subjects []string
	switch {
	case field == "ip":
		value = sr.Origin.IP
	case strings.HasPrefix(field, "subject:"):
		p, err := subject.ParsePseudonym(strings.TrimPrefix(field, "subject:"))
		if err != nil {
			return errStatus(http.StatusBadRequest, "bad subject")
		}
		found := false
		for _, x := range sr.Subjects {
			found = found || x == p.String()
		}
		if !found {
			return errStatus(http.StatusBadRequest, "the subject is not in this record")
		}
		sealed, err := c.cfg.DB.SealedSubject(ctx, p)
		if err != nil {
			return err
		}
		if value, err = c.cfg.Keyer.Reveal(p, sealed); err != nil {
			return err
		}
		subjects = []string{value}
	default:
		return errStatus(http.StatusBadRequest, "unknown field")
	}
	// Written before the value is shown: no record, no value.
	if err := c.audit(r, s.User, s, record.View, "record/"+st.ID, "unmask "+strings.SplitN(field, ":", 2)[0], reason, 1, subjects); err != nil {
		return err
	}
	c.render(w, r, s, "record", "records", map[string]any{"R": sr, "ID": st.ID, "CanUnmask": true,
		"Revealed": value, "RevealedField": field, "Reason": reason})
	return nil
}

// ---- directory and rules ----

func (c *Console) directoryPage(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	d := c.cfg.Directory
	c.render(w, r, s, "directory", "directory", map[string]any{"People": d.People(), "Keys": d.Keys(), "Devices": d.Devices(), "Systems": d.Systems()})
	return nil
}

func (c *Console) rulesPage(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	c.render(w, r, s, "rules", "rules", map[string]any{"Rules": c.cfg.Rules})
	return nil
}

// ---- accounts ----

func (c *Console) accounts(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	us, err := c.cfg.Accounts.Store().Users(r.Context())
	if err != nil {
		return err
	}
	c.render(w, r, s, "accounts", "accounts", map[string]any{"Users": us, "Roles": account.Roles, "Created": nil})
	return nil
}

func (c *Console) addAccount(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	id, name, role := strings.TrimSpace(r.PostForm.Get("id")), strings.TrimSpace(r.PostForm.Get("name")), account.Role(r.PostForm.Get("role"))
	u, pw, err := c.cfg.Accounts.Create(r.Context(), id, name, role)
	if err != nil {
		return errStatus(http.StatusBadRequest, "%v", err)
	}
	if err := c.audit(r, s.User, s, record.Grant, "account/"+id, "role="+string(role), "", -1, nil); err != nil {
		return err
	}
	us, err := c.cfg.Accounts.Store().Users(r.Context())
	if err != nil {
		return err
	}
	c.render(w, r, s, "accounts", "accounts", map[string]any{"Users": us, "Roles": account.Roles,
		"Created": map[string]string{"ID": u.ID, "Password": pw, "Secret": u.TOTPSecret, "URL": account.OTPAuthURL("jikimi", u.ID, u.TOTPSecret)}})
	return nil
}

func (c *Console) unlockAccount(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	id := r.PathValue("id")
	if err := c.cfg.Accounts.Unlock(r.Context(), id); err != nil {
		return err
	}
	if err := c.audit(r, s.User, s, record.Admin, "account/"+id, "unlock", "", -1, nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/accounts", http.StatusSeeOther)
	return nil
}
