package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jikimi/jikimi/account"
	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/api"
	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/ingest"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/web"
)

// consoleFixture is a data directory with a small organisation, a few
// days of access records ingested through the real pipeline, one alert on
// a night-time export and the demo accounts, served by the real console
// on a loopback port.
type consoleFixture struct {
	a        *app
	closeApp func()
	addr     string
	console  *web.Console
	users    map[account.Role]demoUser
	alertID  string
	exportID string
	subject  string // an identifier in the export's subjects
	period   string
}

var fixtureStart = time.Date(2026, 9, 7, 0, 0, 0, 0, kst) // a Monday

const fixtureDirectory = `{"kind":"person","id":"kim.staff","name":"김민수","dept":"고객지원","manager":"lee.manager","ips":["10.1.2.0/24"],"work_hours":"Mon-Fri 09:00-18:00"}
{"kind":"person","id":"lee.manager","name":"이영희","dept":"고객지원"}
{"kind":"person","id":"park.dev","name":"박준호","dept":"개발","manager":"lee.manager"}
{"kind":"system","id":"crm","name":"고객관리시스템","owner":"lee.manager","subjects":100000,"retention":"2y"}
{"kind":"system","id":"billing","name":"요금청구","owner":"lee.manager","subjects":80000,"retention":"5y"}
`

func newConsoleFixture(t testing.TB, records int) *consoleFixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	data := t.TempDir()
	d := directory.New()
	if _, err := d.Import(strings.NewReader(fixtureDirectory), "fixture"); err != nil {
		t.Fatal(err)
	}
	if err := d.Save(data); err != nil {
		t.Fatal(err)
	}
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	a, err := openApp(ctx, e, data, appOptions{withPipeline: true, create: true})
	if err != nil {
		t.Fatal(err)
	}
	var closeOnce sync.Once
	f := &consoleFixture{closeApp: func() { closeOnce.Do(func() { a.Close() }) }}
	t.Cleanup(func() { f.closeApp() })
	*f = consoleFixture{closeApp: f.closeApp, a: a, users: map[account.Role]demoUser{}, period: "2026-09", subject: "C-0000042"}
	// Ordinary daytime work over two weeks, and one night-time export.
	actors := []string{"kim.staff", "park.dev", "lee.manager"}
	var batch []*record.Record
	submit := func() {
		pr := a.pipe.NewPreparer()
		var ps []*ingest.Prepared
		for _, r := range batch {
			p, err := pr.Prepare(r)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		if _, err := a.pipe.Submit(ctx, ps); err != nil {
			t.Fatal(err)
		}
		batch = batch[:0]
	}
	for i := range records {
		day := i % 14
		hour := 9 + (i/14)%9
		sys := []string{"crm", "billing"}[i%2]
		batch = append(batch, &record.Record{
			ID: fmt.Sprintf("fx-%06d", i), Time: fixtureStart.AddDate(0, 0, day).Add(time.Duration(hour)*time.Hour + time.Duration(i%3600)*time.Second),
			System: sys, Actor: record.Actor{ID: actors[i%3]}, Action: record.View,
			Origin: record.Origin{IP: fmt.Sprintf("10.1.2.%d", 10+i%3)}, Target: record.Target{Object: "CUSTOMER", Kind: "table"},
			Detail: "SELECT * FROM CUSTOMER WHERE id = ?", Result: record.Result{Rows: record.Int64(1)},
			Subjects: []string{fmt.Sprintf("C-%07d", i%5000)},
		})
		if len(batch) == 5000 {
			submit()
		}
	}
	f.exportID = "fx-export-1"
	batch = append(batch, &record.Record{
		ID: f.exportID, Time: fixtureStart.AddDate(0, 0, 3).Add(2*time.Hour + 41*time.Minute),
		System: "crm", Actor: record.Actor{ID: "kim.staff"}, Action: record.Export,
		Origin: record.Origin{IP: "10.1.2.10", Host: "pc-kim"}, Target: record.Target{Object: "CUSTOMER", Kind: "table"},
		Detail: "export CUSTOMER to customers.csv (연락처 010-1234-5678 포함)", Result: record.Result{Rows: record.Int64(48000)},
		Subjects: []string{f.subject, "C-0000043", "C-0000044"}, SubjectCount: 48000,
	})
	submit()
	al := &alert.Alert{ID: "al-fixture-1", Rule: "export-at-night", Severity: alert.Critical,
		Time: fixtureStart.AddDate(0, 0, 3).Add(2*time.Hour + 41*time.Minute), System: "crm", Actor: "kim.staff",
		Keys: map[string]string{"ip": "10.1.2.10"}, Summary: "kim.staff 님이 새벽 2시 41분에 고객 48,000건을 사유 없이 내보냄",
		SummaryEn: "kim.staff exported 48,000 customers at 02:41 without a purpose", Records: []string{f.exportID}, RecordCount: 1}
	al.LastTime = al.Time
	tx, err := a.store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.PutAlerts([]*alert.Alert{al}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	f.alertID = al.ID
	us, err := seedDemoUsers(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		f.users[u.Role] = u
	}
	if f.users[account.Staff].ID != "kim.staff" || f.users[account.Reviewer].ID != "lee.manager" {
		t.Fatalf("demo users = %+v, want staff kim.staff and reviewer lee.manager", us)
	}
	srv := api.New(api.Config{Pipeline: a.pipe, Store: a.store, Token: "test-token", Logger: a.logger,
		Query: func(r *http.Request) (store.Query, error) { return queryFromURL(r.URL.Query(), a) }})
	if f.console, err = newConsole(ctx, a, consoleOptions{}); err != nil {
		t.Fatal(err)
	}
	f.console.Mount(srv.Handle)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	f.addr = "http://" + ln.Addr().String()
	return f
}

// signIn signs an account in with a plain HTTP client and returns the
// client (its cookie jar holds the session) and the session's CSRF token.
func (f *consoleFixture) signIn(t testing.TB, role account.Role) (*http.Client, string) {
	t.Helper()
	u := f.users[role]
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	code, err := account.TOTP(u.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.PostForm(f.addr+"/login", url.Values{"id": {u.ID}, "password": {u.Password}, "totp": {code}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: %s", u.ID, resp.Status)
	}
	// The CSRF token is on every page with a form: the sign-out button.
	resp, err = c.Get(f.addr + "/password")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no CSRF token on the page for %s", u.ID)
	}
	return c, string(m[1])
}

func TestConsoleRoles(t *testing.T) {
	f := newConsoleFixture(t, 200)
	ctx := context.Background()
	al, err := f.a.store.Alert(ctx, f.alertID)
	if err != nil {
		t.Fatal(err)
	}
	cases := caseService(f.a, account.NewService(f.a.store, account.Options{}), consoleOptions{})
	cs, err := cases.OpenCase(ctx, &al, "officer")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{"GET /alerts/{id}": f.alertID, "POST /alerts/{id}/case": f.alertID,
		"GET /records/{id}": f.exportID, "POST /records/{id}/unmask": f.exportID, "POST /accounts/{id}/unlock": "auditor"}
	path := func(pattern string) (method, p string) {
		method, p, _ = strings.Cut(pattern, " ")
		p = strings.TrimSuffix(p, "{$}")
		id := ids[pattern]
		if id == "" && strings.Contains(p, "/cases/") {
			id = cs.ID
		}
		if id == "" && strings.Contains(p, "/reports/") {
			id = "rpt-none"
		}
		return method, strings.Replace(p, "{id}", id, 1)
	}
	clients := map[account.Role]*http.Client{}
	csrf := map[account.Role]string{}
	for _, r := range account.Roles {
		clients[r], csrf[r] = f.signIn(t, r)
	}
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, rt := range f.console.Routes() {
		method, p := path(rt.Pattern)
		t.Run(rt.Pattern, func(t *testing.T) {
			do := func(c *http.Client, token string) *http.Response {
				var resp *http.Response
				var err error
				if method == http.MethodPost {
					resp, err = c.PostForm(f.addr+p, url.Values{"csrf": {token}})
				} else {
					resp, err = c.Get(f.addr + p)
				}
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp
			}
			resp := do(anon, "")
			if rt.API {
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("unauthenticated: %s, want 401", resp.Status)
				}
			} else if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Errorf("unauthenticated: %s to %q, want 303 to /login", resp.Status, resp.Header.Get("Location"))
			}
			for _, role := range account.Roles {
				allowed := false
				for _, a := range rt.Roles {
					allowed = allowed || a == role
				}
				if rt.Pattern == "POST /logout" {
					continue // would end the session the other subtests use
				}
				resp := do(clients[role], csrf[role])
				if !allowed && resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s: %s, want 403", role, resp.Status)
				}
				if allowed && resp.StatusCode == http.StatusForbidden {
					t.Errorf("%s: 403, want it allowed", role)
				}
			}
		})
	}
	// A POST without the session's CSRF token is refused even for a role
	// that may use the route.
	resp, err := clients[account.PrivacyOfficer].PostForm(f.addr+"/alerts/"+f.alertID+"/case", url.Values{"csrf": {"wrong"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a wrong CSRF token: %s, want 403", resp.Status)
	}
	// Staff see only their own cases: another person's case is refused.
	other := al
	other.ID, other.Actor = "al-fixture-2", "park.dev"
	cs2, err := cases.OpenCase(ctx, &other, "officer")
	if err != nil {
		t.Fatal(err)
	}
	resp, err = clients[account.Staff].Get(f.addr + "/cases/" + cs2.ID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("staff opening another person's case: %s, want 403", resp.Status)
	}
}

func TestConsoleLockout(t *testing.T) {
	f := newConsoleFixture(t, 10)
	u := f.users[account.Auditor]
	for i := range account.DefaultMaxFailures {
		resp, err := http.PostForm(f.addr+"/login", url.Values{"id": {u.ID}, "password": {"wrong password"}, "totp": {"000000"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failed sign-in %d: %s, want 401", i, resp.Status)
		}
	}
	code, _ := account.TOTP(u.TOTPSecret, time.Now())
	resp, err := http.PostForm(f.addr+"/login", url.Values{"id": {u.ID}, "password": {u.Password}, "totp": {code}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "잠겼습니다") {
		t.Fatalf("right credentials on a locked account: %s, want 401 with the lock message", resp.Status)
	}
	// Every failed attempt is one of jikimi's own access records.
	n, err := f.a.store.Count(context.Background(), store.Query{System: "jikimi", Action: "login_failed"})
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(account.DefaultMaxFailures)+1 {
		t.Errorf("login_failed records = %d, want %d", n, account.DefaultMaxFailures+1)
	}
}

func TestReportCommand(t *testing.T) {
	f := newConsoleFixture(t, 300)
	out := filepath.Join(t.TempDir(), "review.html")
	var stdout, stderr strings.Builder
	f.closeApp() // the command opens the data directory itself
	code := run(context.Background(), []string{"report", "review", "--data", f.a.dataDir, "--period", f.period, "--out", out},
		&env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	if code != 0 {
		t.Fatalf("jikimi report review: exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"개인정보 접속기록 점검 보고서", "봉인 검증 결과: <span class=\"ok\">이상 없음</span>", "최근 체크포인트", "사유 미기재", "고객관리시스템", "export-at-night"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if !strings.Contains(stdout.String(), "301 records") {
		t.Errorf("stdout = %q, want 301 records counted", stdout.String())
	}
}
