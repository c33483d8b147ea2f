package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodLines = `{"id":"a1","time":"2026-09-01T09:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"view","origin":{"ip":"10.1.1.5"},"subjects":["C001"],"detail":"고객 홍길동 010-1234-5678 조회"}
{"id":"a2","time":"2026-09-01T09:01:00+09:00","system":"crm","actor":{"id":"kim"},"action":"search","subjects":["C001","C002"]}
{"id":"a3","time":"2026-09-01T09:02:00+09:00","system":"billing","actor":{"id":"lee"},"action":"export","purpose":"정산","payload":"이름,전화\n홍길동,010-2222-3333\n김철수,010-4444-5555\n","subject_count":2}
`

func TestIngestRejectsBadLinesKeepsGoodOnesAndIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	file := filepath.Join(dir, "in.jsonl")
	bad := `{"id":"b1","time":"2026-09-01T09:03:00+09:00","system":"crm","acter":{"id":"kim"},"action":"view"}` + "\n" +
		`{"id":"b2","time":"2026-09-01T09:04:00+09:00","system":"crm","actor":{"id":"kim"},"action":"peek"}` + "\n" +
		`not json` + "\n"
	lines := strings.SplitAfter(goodLines, "\n")
	// Bad lines between good ones: lines 2, 3 and 4 of the file.
	content := lines[0] + bad + lines[1] + lines[2]
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := jikimi(t, "", "ingest", "--data", data, "--format", "jsonl", file)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (rejected lines); stderr:\n%s", code, errs)
	}
	if !strings.Contains(out, "accepted 3, duplicates 0, rejected 3") {
		t.Fatalf("summary: %q", out)
	}
	for _, want := range []string{file + ":2: acter:", file + ":3: action:", file + ":4: "} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	code, out, _ = jikimi(t, "", "ingest", "--data", data, "--format", "jsonl", file)
	if code != 1 || !strings.Contains(out, "accepted 0, duplicates 3, rejected 3") {
		t.Fatalf("second ingest: exit %d, %q; want nothing new", code, out)
	}
	if _, out, _ := jikimi(t, "", "records", "--data", data, "--count"); strings.TrimSpace(out) != "3" {
		t.Fatalf("records --count = %q, want 3", out)
	}
}

func TestRecordsSearchMasksAndPseudonymises(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	if code, _, errs := jikimi(t, goodLines, "ingest", "--data", data, "--format", "jsonl", "-"); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, errs)
	}
	_, out, _ := jikimi(t, "", "records", "--data", data, "--subject", "C001", "--json")
	got := strings.Split(strings.TrimSpace(out), "\n")
	if len(got) != 2 || !strings.Contains(got[0], `"id":"a2"`) || !strings.Contains(got[1], `"id":"a1"`) {
		t.Fatalf("records --subject C001 --json:\n%s\nwant a2 then a1", out)
	}
	all := func() string { _, o, _ := jikimi(t, "", "records", "--data", data, "--json"); return o }()
	for _, secret := range []string{"C001", "C002", "010-1234-5678", "010-2222-3333", "홍길동,"} {
		if strings.Contains(all, secret) {
			t.Errorf("stored records contain %q:\n%s", secret, all)
		}
	}
	if !strings.Contains(all, `"pii":{`) || !strings.Contains(all, `"phone":2`) {
		t.Errorf("payload's phones not counted:\n%s", all)
	}
	if _, out, _ := jikimi(t, "", "records", "--data", data, "--actor", "kim", "--count"); strings.TrimSpace(out) != "2" {
		t.Fatalf("records --actor kim --count = %q, want 2", out)
	}
	if _, out, _ := jikimi(t, "", "records", "--data", data, "--system", "billing", "--action", "export", "--count"); strings.TrimSpace(out) != "1" {
		t.Fatalf("records --system billing --action export --count = %q, want 1", out)
	}
	if _, out, _ := jikimi(t, "", "records", "--data", data, "--from", "2026-09-01T09:01:00+09:00", "--to", "2026-09-01T09:02:00+09:00", "--json"); !strings.Contains(out, `"id":"a2"`) || strings.Count(out, "\n") != 1 {
		t.Fatalf("time range: %s", out)
	}
}
