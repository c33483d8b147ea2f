package report_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/report"
	"github.com/jikimi/jikimi/store/sqlite"
)

type integrity struct {
	ok bool
	cp string
}

func (i integrity) Summary(context.Context) (bool, string, error) { return i.ok, i.cp, nil }

func TestReportHTMLAndPDF(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 10, 2, 9, 0, 0, 0, report.KST)
	for _, tc := range []struct {
		name  string
		integ report.Integrity
		want  string
	}{
		{"none", nil, "봉인 검증 정보 없음"},
		{"ok", integrity{true, "jikimi/2026-09\n1234\nabc="}, "이상 없음"},
		{"bad", integrity{false, "cp"}, "이상 발견"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := report.Build(ctx, report.Inputs{DB: db, Cases: db, Integrity: tc.integ}, "rpt-test", "2026-09", "officer", now)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := report.HTML(&buf, r, &report.SignOff{By: "officer", At: now}); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{tc.want, "2026-09-01 ~ 2026-09-30", "@media print", "위 점검 결과를 확인함. — officer"} {
				if !strings.Contains(buf.String(), want) {
					t.Errorf("report lacks %q", want)
				}
			}
			if tc.name != "none" {
				return
			}
			if _, err := os.Stat(report.Chromium); err != nil {
				t.Skip("PDF skipped: " + report.Chromium + " is not installed")
			}
			out := filepath.Join(t.TempDir(), "r.pdf")
			if err := report.PDF(ctx, "", buf.Bytes(), out); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(out)
			if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
				t.Fatalf("not a PDF: %v %q", err, b[:min(len(b), 8)])
			}
		})
	}
	if _, _, err := report.PeriodRange("2026-13"); err == nil {
		t.Errorf("period 2026-13 accepted")
	}
}
