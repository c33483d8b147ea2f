package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jikimi/jikimi/breach"
	"github.com/jikimi/jikimi/record"
)

const breachDirectory = `{"kind":"person","id":"kim","name":"김민수","dept":"고객지원"}
{"kind":"person","id":"po","name":"박보호","dept":"개인정보보호팀","roles":["privacy_officer"]}
{"kind":"system","id":"member-api","name":"회원 API"}
{"kind":"system","id":"crm","name":"고객관리 시스템"}
`

// breachLines writes the test's access records: the forged-token reads of
// 1,100 customers M0000…M1099 over two days from two addresses (each read
// once; every 50th carries a phone number in its payload), a bulk export
// listing 10 of 3,000 subjects, and kim's ordinary views of M0000…M0019.
func breachLines() (string, []string) {
	var b strings.Builder
	var affected []string
	for i := range 1100 {
		c := fmt.Sprintf("M%04d", i)
		affected = append(affected, c)
		ip := []string{"45.76.12.34", "149.28.3.77"}[i%2]
		t := fmt.Sprintf("2026-09-%02dT%02d:%02d:%02d+09:00", 1+i/550, 1+(i%550)/60, i%60, i%60)
		payload := ""
		if i%50 == 0 {
			payload = `,"payload":"phone 010-2345-6789"`
		}
		fmt.Fprintf(&b, `{"id":"f%04d","time":"%s","system":"member-api","actor":{"id":"%s","type":"customer"},"action":"view","origin":{"ip":"%s"},"auth":{"method":"token","session":"x%d","key_id":"jwt-2022","external":true},"subjects":["%s"]%s}`+"\n",
			i, t, c, ip, i, c, payload)
	}
	b.WriteString(`{"id":"bulk1","time":"2026-09-02T03:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"export","purpose":"점검","subjects":["M0000","M0001","M0002","M0003","M0004","M0005","M0006","M0007","M0008","M0009"],"subject_count":3000}` + "\n")
	for i := range 20 {
		fmt.Fprintf(&b, `{"id":"k%02d","time":"2026-09-01T10:%02d:00+09:00","system":"crm","actor":{"id":"kim"},"action":"view","origin":{"ip":"10.1.1.5"},"subjects":["M%04d"]}`+"\n", i, i, i)
	}
	return b.String(), affected
}

func breachData(t *testing.T) (data string, affected []string) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	lines, affected := breachLines()
	if code, _, errs := jikimi(t, lines, "ingest", "--data", data, "--format", "jsonl", "-"); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, errs)
	}
	if code, _, errs := jikimi(t, breachDirectory, "directory", "import", "--data", data, "-"); code != 0 {
		t.Fatalf("directory import: exit %d: %s", code, errs)
	}
	return data, affected
}

func TestBreachImpactJSONAndTable(t *testing.T) {
	data, _ := breachData(t)
	code, out, errs := jikimi(t, "", "breach", "impact", "--data", data, "--key-id", "jwt-2022", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep breach.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if rep.Subjects != 1100 || rep.Records != 1100 || rep.PII["phone"] != 22 || len(rep.ByDay) != 2 || rep.ByDay[0].Subjects != 550 ||
		len(rep.Systems) != 1 || rep.Systems[0].Name != "회원 API" {
		t.Errorf("report: %+v", rep)
	}
	for _, key := range []string{`"subjects"`, `"records"`, `"systems"`, `"pii"`, `"first"`, `"last"`, `"by_day"`, `"needs_enumeration"`} {
		if !strings.Contains(out, key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	_, out, _ = jikimi(t, "", "breach", "impact", "--data", data, "--system", "crm", "--json")
	rep = breach.Report{}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	// kim's 20 views and the bulk export's 10 listed overlap; 2,990 unlisted.
	if rep.Subjects != 20+2990 || len(rep.NeedsEnumeration) != 1 || rep.NeedsEnumeration[0] != (breach.Enumeration{System: "crm", Record: "bulk1", SubjectCount: 3000, Listed: 10}) {
		t.Errorf("crm: %+v", rep)
	}
	code, out, _ = jikimi(t, "", "breach", "impact", "--data", data, "--ip", "149.28.3.77", "--from", "2026-09-02")
	for _, want := range []string{"영향받은 정보주체: 275명", "관련 접속기록: 275건", "시스템별:", "member-api", "일별:", "2026-09-02"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := jikimi(t, "", "breach", "impact", "--data", data); code == 0 || !strings.Contains(errs, "at least one") {
		t.Errorf("empty scope: exit %d, %s", code, errs)
	}
}

func TestBreachIncidentWorkflow(t *testing.T) {
	data, affected := breachData(t)
	dir := filepath.Dir(data)
	code, out, errs := jikimi(t, "", "breach", "open", "--data", data, "--title", "위조 토큰으로 회원정보 열람", "--aware-at", "2026-09-03T10:00:00+09:00",
		"--intrusion", "--key-id", "jwt-2022", "--by", "po", "--org", "주식회사 지킴", "--now", "2026-09-03T11:00:00+09:00")
	if code != 0 {
		t.Fatalf("open: exit %d: %s", code, errs)
	}
	for _, want := range []string{"사고 1 등록", "정보주체 1100명", "notify-subjects", "2026-09-06 10:00:00", "report-pipc", "report-intrusion", "2026-09-04 10:00:00", "23시간 0분 남음"} {
		if !strings.Contains(out, want) {
			t.Errorf("open output lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = jikimi(t, "", "breach", "show", "1", "--data", data, "--now", "2026-09-04T12:30:00+09:00")
	for _, want := range []string{"report-intrusion", "2시간 30분 초과", "1일 21시간 30분 남음", "key-id=jwt-2022", "휴대전화번호"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if code, out, errs = jikimi(t, "", "breach", "done", "--data", data, "1", "report-intrusion", "--by", "po", "--at", "2026-09-03T20:00:00+09:00", "--note", "KISA 접수"); code != 0 || !strings.Contains(out, "완료") {
		t.Fatalf("done: exit %d: %s %s", code, out, errs)
	}
	if code, _, errs = jikimi(t, "", "breach", "done", "--data", data, "1", "no-such", "--by", "po"); code == 0 || !strings.Contains(errs, "no such duty") {
		t.Errorf("unknown duty: exit %d, %s", code, errs)
	}
	_, out, _ = jikimi(t, "", "breach", "list", "--data", data, "--now", "2026-09-04T12:30:00+09:00")
	if !strings.Contains(out, "위조 토큰") || !strings.Contains(out, "1일 21시간 30분 남음") {
		t.Errorf("list:\n%s", out)
	}
	_, out, _ = jikimi(t, "", "breach", "show", "1", "--data", data, "--json")
	var inc breach.Incident
	if err := json.Unmarshal([]byte(out), &inc); err != nil {
		t.Fatal(err)
	}
	if d := inc.Duties[2]; d.Name != breach.DutyIntrusion || d.DoneBy != "po" || d.Note != "KISA 접수" {
		t.Errorf("duty after done: %+v", d)
	}

	// Re-identification: refused without a reason or the role, recorded when done.
	csvFile := filepath.Join(dir, "notify.csv")
	if code, _, errs = jikimi(t, "", "breach", "notify", "1", "--data", data, "--actor", "po", "--out", csvFile); code == 0 || !strings.Contains(errs, "reason") {
		t.Errorf("no reason: exit %d, %s", code, errs)
	}
	if code, _, errs = jikimi(t, "", "breach", "notify", "1", "--data", data, "--actor", "kim", "--reason", "통지", "--out", csvFile); code == 0 || !strings.Contains(errs, "privacy-officer") {
		t.Errorf("kim: exit %d, %s", code, errs)
	}
	if _, err := os.Stat(csvFile); err == nil {
		t.Fatal("a refused request wrote the file")
	}
	if code, out, errs = jikimi(t, "", "breach", "notify", "1", "--data", data, "--actor", "po", "--reason", "유출 통지 대상 확정", "--out", csvFile, "--now", "2026-09-03T15:00:00+09:00"); code != 0 {
		t.Fatalf("notify: exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(csvFile)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows[1:] {
		ids = append(ids, r[0])
	}
	if !slices.Equal(ids, affected) {
		t.Errorf("CSV holds %d identifiers, want exactly the %d affected", len(ids), len(affected))
	}
	if st, _ := os.Stat(csvFile); st.Mode().Perm() != 0o600 {
		t.Errorf("CSV mode %v, want 0600", st.Mode().Perm())
	}
	_, out, _ = jikimi(t, "", "records", "--data", data, "--system", "jikimi", "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("audit records:\n%s", out)
	}
	rec, err := record.Parse([]byte(lines[0]))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Actor.ID != "po" || rec.Action != record.Export || rec.Purpose != "유출 통지 대상 확정" || rec.SubjectCount != 1100 || rec.Target.Object != "breach-notification/1" {
		t.Errorf("audit record: %s", lines[0])
	}
	if code, _, errs := jikimi(t, "", "verify", "--data", data); code != 0 {
		t.Errorf("verify after notify: exit %d: %s", code, errs)
	}

	// Notices.
	txt := filepath.Join(dir, "notice.txt")
	if code, _, errs = jikimi(t, "", "breach", "notice", "1", "--data", data, "--kind", "subject", "--out", txt, "--how", "퇴사자 서명키로 위조한 토큰", "--contact-phone", "02-123-4567"); code != 0 {
		t.Fatalf("notice: exit %d: %s", code, errs)
	}
	b, _ = os.ReadFile(txt)
	for _, want := range []string{"주식회사 지킴", "휴대전화번호", "퇴사자 서명키로 위조한 토큰", "02-123-4567", "정보주체의 권리"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("notice lacks %q:\n%s", want, b)
		}
	}
	reg := filepath.Join(dir, "report.html")
	if code, _, errs = jikimi(t, "", "breach", "notice", "1", "--data", data, "--kind", "regulator", "--out", reg); code != 0 {
		t.Fatalf("regulator notice: exit %d: %s", code, errs)
	}
	if b, _ = os.ReadFile(reg); !bytes.Contains(b, []byte("<!doctype html>")) || !bytes.Contains(b, []byte("정보주체 1100명")) || !bytes.Contains(b, []byte("외부로부터의 불법적인 접근")) {
		t.Errorf("regulator HTML:\n%s", b)
	}
	pdf := filepath.Join(dir, "notice.pdf")
	code, _, errs = jikimi(t, "", "breach", "notice", "1", "--data", data, "--out", pdf, "--pdf")
	if _, err := os.Stat(breach.Chromium); err != nil {
		if code != 0 || !strings.Contains(errs, "PDF를 만들지 않았습니다") {
			t.Errorf("without chromium: exit %d, %s", code, errs)
		}
		return
	}
	if code != 0 {
		t.Fatalf("pdf: exit %d: %s", code, errs)
	}
	if b, _ = os.ReadFile(pdf); !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("not a PDF: %q", b[:min(len(b), 16)])
	}
}
