package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestRetentionDeletesRespectsHoldsAndVerifies(t *testing.T) {
	root := t.TempDir()
	data, anchors := filepath.Join(root, "data"), filepath.Join(root, "anchors")
	var sb strings.Builder
	// 2023: old views, a grant (kept 3 years) and records of a held actor.
	for i := range 20 {
		fmt.Fprintf(&sb, `{"id":"old%02d","time":"2023-03-%02dT10:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"view"}`+"\n", i, 1+i)
	}
	sb.WriteString(`{"id":"grant1","time":"2024-03-05T10:00:00+09:00","system":"crm","actor":{"id":"admin"},"action":"grant"}` + "\n")
	sb.WriteString(`{"id":"held1","time":"2023-03-06T10:00:00+09:00","system":"crm","actor":{"id":"suspect"},"action":"export"}` + "\n")
	sb.WriteString(`{"id":"new1","time":"2026-09-01T10:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"view"}` + "\n")
	if code, _, errs := jikimi(t, sb.String(), "ingest", "--data", data, "--anchor-dir", anchors, "--format", "jsonl", "-"); code != 0 {
		t.Fatal(errs)
	}
	if code, out, errs := jikimi(t, "", "hold", "add", "--data", data, "--actor", "suspect", "--reason", "수사기관 보전 요청"); code != 0 || !strings.Contains(out, "placed") {
		t.Fatalf("hold add: %s %s", out, errs)
	}
	code, out, errs := jikimi(t, "", "retention", "apply", "--data", data, "--anchor-dir", anchors, "--now", "2026-10-01T00:00:00+09:00")
	if code != 0 || !strings.Contains(out, "crm: deleted 20 records") || !strings.Contains(out, "1 kept under legal hold") {
		t.Fatalf("retention apply: exit %d\n%s\n%s", code, out, errs)
	}
	_, got, _ := jikimi(t, "", "records", "--data", data, "--system", "crm", "--json", "--limit", "0")
	for _, want := range []string{"grant1", "held1", "new1"} {
		if !strings.Contains(got, want) {
			t.Errorf("%s was deleted", want)
		}
	}
	if strings.Contains(got, `"old0`) {
		t.Errorf("records past retention remain:\n%s", got)
	}
	// The deletion is itself a sealed access record of jikimi.
	if _, out, _ := jikimi(t, "", "records", "--data", data, "--system", "jikimi", "--action", "delete", "--json"); !strings.Contains(out, "retention: deleted 20 records of system crm") {
		t.Fatalf("no audit record of the deletion: %s", out)
	}
	code, res := verifyFindings(t, data, anchors)
	if code != 0 || !res.OK {
		t.Fatalf("verify after retention: %+v", res)
	}
	var retained int64
	for _, p := range res.Periods {
		retained += p.Retained
	}
	if retained != 20 {
		t.Fatalf("verify counted %d records deleted by retention, want 20", retained)
	}
}
