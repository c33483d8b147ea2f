package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jikimi/jikimi/account"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
)

const chromiumPath = "/usr/bin/chromium"

// browser starts Debian's chromium headless with a fresh profile and
// returns a function that opens an isolated browser context (its own
// cookies) per signed-in person.
func browser(t *testing.T) func() context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("browser test skipped: " + chromiumPath + " is not installed (apt-get install chromium fonts-noto-cjk)")
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000))
	t.Cleanup(cancel)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(cancelRoot)
	if err := chromedp.Do(root); err != nil { // start the browser
		t.Fatal(err)
	}
	return func() context.Context {
		ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		// The first run opens the tab and must not carry a timeout (it
		// would close the tab when it ends).
		if err := chromedp.Do(ctx); err != nil {
			t.Fatal(err)
		}
		return ctx
	}
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("%s: %v (at %s)\n%s", what, err, loc, body)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(c, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// screenshot saves the page under docs/ when JIKIMI_SCREENSHOTS=1.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("JIKIMI_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "..", "docs", name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *consoleFixture) browserSignIn(t *testing.T, ctx context.Context, role account.Role) {
	t.Helper()
	u := f.users[role]
	// A code is accepted once: wait for a fresh step when this account
	// signed in during the current one (not needed with one context each).
	code, err := account.TOTP(u.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "sign in as "+u.ID,
		chromedp.Navigate(f.addr+"/login"),
		chromedp.SendKeys(chromedp.CSS("#id"), u.ID),
		chromedp.SendKeys(chromedp.CSS("#password"), u.Password),
		chromedp.SendKeys(chromedp.CSS("#totp"), code),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#me")))
}

// TestConsoleBrowser walks an incident from alert to approved
// justification and into the signed report, in a real browser against
// the real console.
func TestConsoleBrowser(t *testing.T) {
	newCtx := browser(t)
	f := newConsoleFixture(t, 3000)
	officer, staff, reviewer := newCtx(), newCtx(), newCtx()

	// The officer signs in with the TOTP code and sees the overview.
	f.browserSignIn(t, officer, account.PrivacyOfficer)
	deadline := time.Now().Add(20 * time.Second)
	for { // the activity count runs in the background at start
		do(t, officer, "overview", chromedp.Navigate(f.addr+"/"), chromedp.WaitVisible(chromedp.CSS("#alerts-waiting")))
		if body := text(t, officer, "main"); strings.Contains(body, "요일·시간대별") || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := text(t, officer, "#alerts-waiting"); got == "0" || got == "" {
		t.Errorf("alerts waiting = %q, want some", got)
	}
	do(t, officer, "English", chromedp.Navigate(f.addr+"/?lang=en"), chromedp.WaitVisible(chromedp.CSS("#alerts-waiting")))
	if got := text(t, officer, "h1"); got != "Overview" {
		t.Errorf("?lang=en heading = %q, want Overview", got)
	}
	do(t, officer, "Korean again", chromedp.Navigate(f.addr+"/?lang=ko"), chromedp.WaitVisible(chromedp.CSS("#alerts-waiting")))
	do(t, officer, "heat map", chromedp.WaitVisible(chromedp.CSS("#heatmap")), chromedp.WaitVisible(chromedp.CSS("#per-system")))
	screenshot(t, officer, "overview.png")

	// Open the alert: rule, reason and masked evidence.
	do(t, officer, "alert list", chromedp.Navigate(f.addr+"/alerts?rule=export-at-night"),
		chromedp.Click(chromedp.CSS(`a.alert-link[href="/alerts/`+f.alertID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#why")))
	if why := text(t, officer, "#why"); !strings.Contains(why, "48,000") {
		t.Errorf("why = %q", why)
	}
	ev := text(t, officer, "table.recs")
	if strings.Contains(ev, "010-1234-5678") || strings.Contains(ev, "10.1.2.10") || !strings.Contains(ev, "10.1.*.10") {
		t.Errorf("evidence is not masked: %q", ev)
	}
	screenshot(t, officer, "alert.png")

	// Make it a case and ask kim.staff for a justification.
	do(t, officer, "open case", chromedp.Click(chromedp.CSS("#open-case")), chromedp.WaitVisible(chromedp.CSS("#request-form")),
		chromedp.SendKeys(chromedp.CSS("#request-message"), "새벽에 고객 정보를 내보낸 사유를 소명해 주십시오."),
		chromedp.Click(chromedp.CSS("#request")), chromedp.WaitVisible(chromedp.CSS(`#case-status[data-status="requested"]`)))
	caseURL, err := chromedp.Run(officer, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}

	// kim.staff answers in the console.
	f.browserSignIn(t, staff, account.Staff)
	do(t, staff, "my cases", chromedp.Navigate(f.addr+"/cases"), chromedp.Click(chromedp.CSS("a.case-link")),
		chromedp.WaitVisible(chromedp.CSS("#answer-form")),
		chromedp.SendKeys(chromedp.CSS("#answer-text"), "9월 10일 고객 이관 작업(요청서 CR-2291)으로 팀장 승인 하에 내보냈습니다."),
		chromedp.Click(chromedp.CSS("#answer")), chromedp.WaitVisible(chromedp.CSS(`#case-status[data-status="answered"]`)))

	// lee.manager, the manager, approves it.
	f.browserSignIn(t, reviewer, account.Reviewer)
	do(t, reviewer, "review", chromedp.Navigate(caseURL), chromedp.WaitVisible(chromedp.CSS("#decide-form")),
		chromedp.SendKeys(chromedp.CSS("#decide-comment"), "작업 요청서 확인함. 승인."),
		chromedp.Click(chromedp.CSS("#approve")), chromedp.WaitVisible(chromedp.CSS(`#case-status[data-status="approved"]`)))
	if steps := text(t, reviewer, "#steps"); !strings.Contains(steps, "CR-2291") || !strings.Contains(steps, "승인") {
		t.Errorf("case history = %q", steps)
	}
	screenshot(t, reviewer, "case.png")

	// The officer reveals a data subject of the export, with a reason.
	const reason = "정보주체 열람청구 대응 확인"
	do(t, officer, "unmask", chromedp.Navigate(f.addr+"/records/"+f.exportID), chromedp.WaitVisible(chromedp.CSS("#unmask-form")))
	if strings.Contains(text(t, officer, "main"), f.subject) {
		t.Fatalf("the subject identifier is shown before unmasking")
	}
	p := f.a.keyer.Of(f.subject)
	do(t, officer, "unmask", chromedp.SendKeys(chromedp.CSS("#unmask-reason"), reason),
		chromedp.SetValue(chromedp.CSS("#unmask-field"), "subject:"+p.String()),
		chromedp.Click(chromedp.CSS("#unmask")), chromedp.WaitVisible(chromedp.CSS("#revealed-value")))
	if got := text(t, officer, "#revealed-value"); got != f.subject {
		t.Errorf("revealed %q, want %q", got, f.subject)
	}

	// That act is one of jikimi's own access records, found by searching
	// system jikimi, with the reason as its purpose.
	do(t, officer, "search jikimi records", chromedp.Navigate(f.addr+"/records"),
		chromedp.SendKeys(chromedp.CSS("#q-system"), "jikimi"), chromedp.Click(chromedp.CSS("#search")),
		chromedp.WaitVisible(chromedp.CSS("#result-count")))
	if res := text(t, officer, "#records"); !strings.Contains(res, reason) {
		t.Errorf("the unmask is not in the jikimi records:\n%s", res)
	}
	screenshot(t, officer, "records.png")
	recs, err := f.a.store.Records(context.Background(), store.Query{System: "jikimi", Actor: "officer", Action: "view"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range recs {
		r, err := record.Parse(s.Canonical)
		if err != nil {
			t.Fatal(err)
		}
		if r.Purpose == reason {
			found = true
			if len(r.Subjects) != 1 || r.Subjects[0] != p.String() {
				t.Errorf("unmask record subjects = %v, want the pseudonym of the revealed subject", r.Subjects)
			}
			if s.Seal.Period == "" {
				t.Errorf("unmask record is not sealed")
			}
		}
	}
	if !found {
		t.Errorf("no sealed access record with purpose %q", reason)
	}
	for _, want := range []record.Action{record.Login, record.Search, record.View, record.Update} {
		n, err := f.a.store.Count(context.Background(), store.Query{System: "jikimi", Action: string(want)})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("no jikimi access record of action %s", want)
		}
	}

	// The periodic report: generate, sign off, print.
	do(t, officer, "report", chromedp.Navigate(f.addr+"/reports"), chromedp.WaitVisible(chromedp.CSS("#report-form")),
		chromedp.SetValue(chromedp.CSS("#report-period"), f.period), chromedp.Click(chromedp.CSS("#generate")),
		chromedp.WaitVisible(chromedp.CSS("#sign")), chromedp.Click(chromedp.CSS("#sign")), chromedp.WaitVisible(chromedp.CSS("#signed-by")))
	if got := text(t, officer, "#report-cases"); !strings.Contains(got, "승인") || !strings.Contains(got, "작업 요청서 확인함") {
		t.Errorf("report cases = %q", got)
	}
	if got := text(t, officer, "#integrity"); got != "봉인 검증 정보 없음" {
		t.Errorf("integrity = %q, want 봉인 검증 정보 없음 (none wired)", got)
	}
	do(t, officer, "print view", chromedp.Click(chromedp.CSS("#print-link")), chromedp.WaitVisible(chromedp.CSS(".sign")))
	if got := text(t, officer, ".sign"); !strings.Contains(got, "officer") {
		t.Errorf("printed sign-off = %q", got)
	}
	screenshot(t, officer, "report.png")
	n, err := f.a.store.Count(context.Background(), store.Query{System: "jikimi", Action: "update", Actor: "officer"})
	if err != nil || n == 0 {
		t.Errorf("sign-off not recorded: %d %v", n, err)
	}
}
