package breach_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/breach"
	"github.com/jikimi/jikimi/ingest"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
)

func TestDutiesAndDeadlinesFromAwareness(t *testing.T) {
	aware := time.Date(2026, 9, 5, 14, 30, 0, 0, kst)
	for _, tc := range []struct {
		name      string
		subjects  int64
		unique    []string
		intrusion bool
		want      map[string]time.Duration
	}{
		{"small, internal", 999, nil, false, map[string]time.Duration{breach.DutyNotify: 72 * time.Hour}},
		{"1,000 subjects", 1000, nil, false, map[string]time.Duration{breach.DutyNotify: 72 * time.Hour, breach.DutyReport: 72 * time.Hour}},
		{"one resident number", 1, []string{"rrn"}, false, map[string]time.Duration{breach.DutyNotify: 72 * time.Hour, breach.DutyReport: 72 * time.Hour}},
		{"hacking", 3, nil, true, map[string]time.Duration{breach.DutyNotify: 72 * time.Hour, breach.DutyReport: 72 * time.Hour, breach.DutyIntrusion: 24 * time.Hour}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]time.Duration{}
			for _, d := range breach.Duties(aware, tc.subjects, tc.unique, tc.intrusion) {
				got[d.Name] = d.Deadline.Sub(aware)
				if d.Law == "" || d.Title == "" || d.Reason == "" {
					t.Errorf("duty %s lacks its law, title or reason: %+v", d.Name, d)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("duties %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s: deadline aware+%v, want aware+%v", k, got[k], v)
				}
			}
		})
	}
	d := breach.Duties(aware, 1, nil, true)[2] // the 24-hour intrusion report
	if d.Name != breach.DutyIntrusion {
		t.Fatalf("second duty %s", d.Name)
	}
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{aware.Add(2 * time.Hour), "22시간 0분 남음"},
		{aware.Add(25*time.Hour + 5*time.Minute), "1시간 5분 초과"},
	} {
		if got := d.Countdown(tc.now); got != tc.want {
			t.Errorf("countdown at %v = %q, want %q", tc.now, got, tc.want)
		}
	}
	d.DoneAt = aware.Add(23 * time.Hour)
	if got := d.Countdown(aware.Add(48 * time.Hour)); got != "완료" {
		t.Errorf("done in time: %q", got)
	}
}

func TestOpenIncidentStoresDutiesAndPlacesLegalHold(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	scope := breach.Scope{KeyID: "jwt-old", IP: "45.76.12.34"}
	rep := f.impact(t, scope)
	aware := time.Date(2026, 9, 5, 10, 0, 0, 0, kst)
	inc, err := breach.Open("위조 토큰 회원정보 열람", aware, aware.Add(time.Hour), "po", true, rep, breach.Notice{Org: "주식회사 지킴"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	got, err := f.db.Incident(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subjects != 600 || len(got.Duties) != 3 || !got.Duties[2].Deadline.Equal(aware.Add(24*time.Hour)) || got.Notice.Org != "주식회사 지킴" {
		t.Fatalf("stored incident: %+v", got)
	}
	err = f.db.UpdateIncident(ctx, inc.ID, func(i *breach.Incident) error {
		return i.MarkDone(breach.DutyIntrusion, aware.Add(20*time.Hour), "po", "KISA 접수번호 123")
	})
	if err != nil {
		t.Fatal(err)
	}
	err = f.db.UpdateIncident(ctx, inc.ID, func(i *breach.Incident) error { return i.MarkDone("no-such-duty", aware, "po", "") })
	if !errors.Is(err, breach.ErrUnknownDuty) {
		t.Errorf("unknown duty: %v", err)
	}
	got, _ = f.db.Incident(ctx, inc.ID)
	if d := got.Duties[2]; d.DoneBy != "po" || !d.DoneAt.Equal(aware.Add(20*time.Hour)) || d.Countdown(aware.Add(30*time.Hour)) != "완료" {
		t.Errorf("done duty: %+v", d)
	}
	if _, err := f.db.Incident(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown incident: %v", err)
	}

	holds, err := f.db.Holds(ctx)
	if err != nil || len(holds) != 1 || holds[0].Incident != inc.ID {
		t.Fatalf("holds = %+v, %v", holds, err)
	}
	// Covered must agree with the ground truth on every stored record,
	// failed accesses included: they are evidence too.
	var wantIDs []string
	for _, r := range f.recs {
		if r.Auth.KeyID == "jwt-old" && r.Origin.IP == "45.76.12.34" {
			wantIDs = append(wantIDs, r.ID)
		}
	}
	slices.Sort(wantIDs)
	var covered []string
	all, err := f.db.Records(ctx, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if breach.Covered(holds[0], r) {
			covered = append(covered, r.ID)
		}
	}
	slices.Sort(covered)
	if !slices.Equal(covered, wantIDs) || len(wantIDs) != 640 {
		t.Errorf("hold covers %d records, want %d (640)", len(covered), len(wantIDs))
	}
}

func TestCoveredWindowAndRecordList(t *testing.T) {
	t0 := time.Date(2026, 9, 2, 0, 0, 0, 0, kst)
	r := store.Stored{ID: "x1", Time: t0.Add(time.Hour), System: "crm", Actor: "kim", Canonical: []byte("not json")}
	for _, tc := range []struct {
		h    breach.Hold
		want bool
	}{
		{breach.Hold{Scope: breach.Scope{Actor: "kim"}}, true},
		{breach.Hold{Scope: breach.Scope{Actor: "lee"}}, false},
		{breach.Hold{Scope: breach.Scope{Actor: "kim"}, From: t0.Add(2 * time.Hour)}, false},
		{breach.Hold{Scope: breach.Scope{Actor: "kim"}, To: t0.Add(time.Hour)}, false},
		{breach.Hold{Scope: breach.Scope{Records: []string{"x0", "x1"}}}, true},
		{breach.Hold{Scope: breach.Scope{Records: []string{"x0"}}}, false},
		{breach.Hold{Scope: breach.Scope{IP: "1.2.3.4"}}, true}, // unreadable: kept
	} {
		if got := breach.Covered(tc.h, r); got != tc.want {
			t.Errorf("Covered(%+v) = %v, want %v", tc.h, got, tc.want)
		}
	}
}

func (f *fixture) notifier() *breach.Notifier {
	return &breach.Notifier{Store: f.db, Sealed: f.db, Keyer: f.keyer, Directory: f.dir,
		Audit: func(ctx context.Context, rec *record.Record) error {
			p, err := f.pipe.NewPreparer().Prepare(rec)
			if err != nil {
				return err
			}
			_, err = f.pipe.Submit(ctx, []*ingest.Prepared{p})
			return err
		}}
}

func TestNotifyNeedsReasonAndRoleAndLeavesAnAuditRecord(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Date(2026, 9, 6, 11, 0, 0, 0, kst)
	scope := breach.Scope{KeyID: "jwt-old"}
	inc, err := breach.Open("위조 토큰", now.Add(-time.Hour), now, "po", true, f.impact(t, scope), breach.Notice{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.CreateIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	n := f.notifier()
	for _, tc := range []struct {
		actor, reason string
		want          error
	}{
		{"po", "  ", breach.ErrNoReason},
		{"eve", "통지", breach.ErrNotAllowed},
		{"gone", "통지", breach.ErrNotAllowed},
		{"stranger", "통지", breach.ErrNotAllowed},
	} {
		if _, err := n.Notify(ctx, inc, tc.actor, tc.reason, now); !errors.Is(err, tc.want) {
			t.Errorf("Notify by %q with reason %q: %v, want %v", tc.actor, tc.reason, err, tc.want)
		}
	}
	if c, _ := f.db.Count(ctx, store.Query{System: breach.AuditSystem}); c != 0 {
		t.Fatalf("refused requests left %d audit records", c)
	}
	list, err := n.Notify(ctx, inc, "chief", "유출 통지 대상자 확정", now)
	if err != nil {
		t.Fatal(err)
	}
	want := f.truth(func(r *record.Record) bool { return r.Auth.KeyID == "jwt-old" }).identifiers()
	var buf bytes.Buffer
	if err := list.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	lines, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(lines[0], breach.CSVHeader) {
		t.Errorf("header %v", lines[0])
	}
	var got []string
	for _, l := range lines[1:] {
		got = append(got, l[0])
	}
	if !slices.Equal(got, want) {
		t.Fatalf("CSV has %d identifiers, want exactly the %d affected", len(got), len(want))
	}
	// Customer C01000 was read twice (the second pass on 4 September),
	// and its record carried a phone number.
	if l := lines[1]; l[0] != "C01000" || l[1] != "member-api" || l[4] != "phone" || l[5] != "2" ||
		!strings.HasPrefix(l[2], "2026-09-02T09:01:40+09:00") || !strings.HasPrefix(l[3], "2026-09-04") {
		t.Errorf("first line %v", l)
	}

	audit, err := f.db.Records(ctx, store.Query{System: breach.AuditSystem})
	if err != nil || len(audit) != 1 {
		t.Fatalf("audit records %d, %v; want 1", len(audit), err)
	}
	rec, err := record.Parse(audit[0].Canonical)
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != list.AuditID || rec.Actor.ID != "chief" || rec.Action != record.Export || rec.Purpose != "유출 통지 대상자 확정" ||
		rec.SubjectCount != 1200 || len(rec.Subjects) != 1200 || rec.Target.Object != "breach-notification/1" || !rec.Time.Equal(now) {
		t.Errorf("audit record: %+v", rec)
	}
	for _, s := range rec.Subjects {
		if strings.HasPrefix(s, "C") {
			t.Fatalf("audit record holds identifier %q in clear", s)
		}
	}
	// A subject's own history now shows who re-identified them, and why.
	p := f.keyer.Of("C01000")
	mine, _ := f.db.Records(ctx, store.Query{Subject: &p, System: breach.AuditSystem})
	if len(mine) != 1 {
		t.Errorf("the subject's records show %d re-identifications, want 1", len(mine))
	}
}

func TestNoticeDraftsCarryEveryRequiredItem(t *testing.T) {
	f := newFixture(t)
	rep := f.impact(t, breach.Scope{System: "billing"})
	aware := time.Date(2026, 9, 3, 9, 0, 0, 0, kst)
	inc, err := breach.Open("정산 파일 유출", aware, aware, "po", false, rep, breach.Notice{Org: "주식회사 지킴", ContactDept: "개인정보보호팀"})
	if err != nil {
		t.Fatal(err)
	}
	for kind, items := range map[string][]string{
		breach.KindSubject: {"유출된 개인정보 항목", "주민등록번호, 휴대전화번호", "유출된 시점과 그 경위", "2026년 9월 2일 11시 00분",
			"하실 수 있는 방법", "명의도용 방지서비스", "대응조치 및 피해 구제절차", "담당부서 및 연락처", "개인정보보호팀", "정보주체의 권리", "제35조", "[작성 필요]"},
		breach.KindRegulator: {"개인정보 유출등 신고서", "항목 및 규모", "정보주체 5020명", "대량 처리 기록 1건", "시점과 그 경위", "대책·조치", "구제절차",
			"통지 여부", "담당부서 및 연락처", "2026년 9월 6일 09시 00분"},
	} {
		d, err := breach.NewNoticeData(kind, inc, rep, breach.Notice{How: "정산 파일이 외부 메일로 발송됨"}, aware)
		if err != nil {
			t.Fatal(err)
		}
		text, err := d.Text()
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range append(items, "정산 파일이 외부 메일로 발송됨") {
			if !bytes.Contains(text, []byte(item)) {
				t.Errorf("%s notice lacks %q:\n%s", kind, item, text)
			}
		}
		html, err := d.HTML()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(html, []byte("@media print")) || !bytes.Contains(html, []byte(`<span class="unfilled">`)) {
			t.Errorf("%s HTML lacks print style or the unfilled marks", kind)
		}
	}
	if _, err := breach.NewNoticeData("press", inc, rep, breach.Notice{}, aware); err == nil {
		t.Error("unknown kind accepted")
	}
}
