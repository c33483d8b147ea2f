package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

func TestScanJSON(t *testing.T) {
	dir := t.TempDir()
	text := "첫 줄은 비어 있음\n연락처 010-1234-5678, 주민번호 971013-9019902\n메일 hong@example.com\n"
	path := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCmd(t, "", "scan", "--json", path)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want 3 findings and a summary:\n%s", len(lines), out)
	}
	type finding struct {
		File       string `json:"file"`
		Line       int    `json:"line"`
		Start, End int
		Type       string `json:"type"`
		Confidence string `json:"confidence"`
		Masked     string `json:"masked"`
	}
	want := []struct {
		line         int
		value, typ   string
		conf, masked string
	}{
		{2, "010-1234-5678", "phone", "high", "010-****-5678"},
		{2, "971013-9019902", "rrn", "high", "******-9******"},
		{3, "hong@example.com", "email", "high", "ho**@example.com"},
	}
	for i, w := range want {
		var f finding
		if err := json.Unmarshal([]byte(lines[i]), &f); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if f.File != path || f.Line != w.line || f.Type != w.typ || f.Confidence != w.conf || f.Masked != w.masked {
			t.Errorf("finding %d = %+v, want %+v", i, f, w)
		}
		if got := text[f.Start:f.End]; got != w.value {
			t.Errorf("finding %d: file[start:end] = %q, want %q", i, got, w.value)
		}
	}
	var sum struct {
		Summary struct {
			Files, Findings, Subjects int
			Types                     map[string]struct{ Findings, Distinct int }
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(lines[3]), &sum); err != nil {
		t.Fatal(err)
	}
	if s := sum.Summary; s.Files != 1 || s.Findings != 3 || s.Subjects != 2 || s.Types["phone"].Findings != 1 || s.Types["rrn"].Distinct != 1 {
		t.Errorf("summary = %+v", s)
	}
}

func TestScanStdinCSVTable(t *testing.T) {
	csv := "성명,휴대폰,계좌번호\n홍길동,010-1234-5678,110123456789\n이영희,01022223333,\n홍길동,010-1234-5678,\n"
	code, out, stderr := runCmd(t, csv, "scan", "--format", "csv", "-")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"-:2:1", "name(성명)", "홍**", "account(계좌번호)", "phone", "전화번호", "정보주체(행) 3"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Distinct phone values: 010-1234-5678 twice and 01022223333 once.
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "phone ") {
			if f := strings.Fields(l); len(f) != 4 || f[2] != "3" || f[3] != "2" {
				t.Errorf("phone row = %q, want 3 findings and 2 distinct", l)
			}
		}
	}
}

func TestScanUsage(t *testing.T) {
	if code, _, _ := runCmd(t, "", "scan"); code != 2 {
		t.Errorf("scan without files: exit %d, want 2", code)
	}
	if code, _, _ := runCmd(t, "", "scan", "--format", "xml", "-"); code != 2 {
		t.Errorf("bad format: exit %d, want 2", code)
	}
	if code, _, stderr := runCmd(t, "", "scan", "/does/not/exist"); code != 1 || !strings.Contains(stderr, "open") {
		t.Errorf("missing file: exit %d, stderr %q", code, stderr)
	}
}

func TestMaskCommand(t *testing.T) {
	in := "성명: 홍길동\n연락처 010-1234-5678 메일 hong@example.com\n주문번호 20240115-0001234\n"
	code, out, stderr := runCmd(t, in, "mask")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	want := "성명: 홍**\n연락처 010-****-5678 메일 ho**@example.com\n주문번호 20240115-0001234\n"
	if out != want {
		t.Errorf("mask output\n got %q\nwant %q", out, want)
	}
	code, out, _ = runCmd(t, in, "mask", "--types", "phone")
	if code != 0 || !strings.Contains(out, "홍길동") || !strings.Contains(out, "010-****-5678") || !strings.Contains(out, "hong@example.com") {
		t.Errorf("mask --types phone: exit %d, output %q", code, out)
	}
	if code, _, _ := runCmd(t, in, "mask", "--types", "nope"); code != 2 {
		t.Errorf("unknown type: exit %d, want 2", code)
	}
}

func TestMaskCommandLargeStream(t *testing.T) {
	var in strings.Builder
	for i := 0; i < 50000; i++ {
		in.WriteString("고객 연락처 010-1234-5678 주민번호 971013-9019902\n")
	}
	code, out, _ := runCmd(t, in.String(), "mask")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(out, "1234-5678") || strings.Contains(out, "9019902") {
		t.Error("unmasked value in output")
	}
	if got, want := strings.Count(out, "010-****-5678"), 50000; got != want {
		t.Errorf("masked phones = %d, want %d", got, want)
	}
}
