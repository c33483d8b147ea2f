package report

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

//go:embed templates/review.html
var templates embed.FS

var statusKo = map[string]string{
	"open": "접수", "requested": "소명 요청", "answered": "소명 제출", "approved": "승인",
	"rejected": "반려", "escalated": "기한 경과(상향)", "closed": "종결",
}

var reviewTmpl = template.Must(template.New("review.html").Funcs(template.FuncMap{
	"kst":     func(t time.Time) string { return t.In(KST).Format("2006-01-02 15:04") },
	"day":     func(t time.Time) string { return t.In(KST).Format("2006-01-02") },
	"status":  func(s string) string { return statusKo[s] },
	"num":     func(n int64) string { return thousands(n) },
	"inum":    func(n int) string { return thousands(int64(n)) },
	"lastday": func(t time.Time) string { return t.Add(-time.Nanosecond).In(KST).Format("2006-01-02") },
}).ParseFS(templates, "templates/review.html"))

// SignOff is the privacy officer's sign-off shown on the report.
type SignOff struct {
	By string
	At time.Time
}

// HTML writes the report as a printable Korean HTML page.
func HTML(w io.Writer, r *Report, sign *SignOff) error {
	return reviewTmpl.Execute(w, struct {
		R    *Report
		Sign *SignOff
	}{r, sign})
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// Chromium is where Debian installs the browser PDF printing uses.
const Chromium = "/usr/bin/chromium"

// PDF prints an HTML document to a PDF file with headless Chromium.
func PDF(ctx context.Context, chromium string, html []byte, out string) error {
	if chromium == "" {
		chromium = Chromium
	}
	dir, err := os.MkdirTemp("", "jikimi-report-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "report.html")
	if err := os.WriteFile(in, html, 0o600); err != nil {
		return err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run", "--no-pdf-header-footer",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--print-to-pdf="+abs, "file://"+in)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("chromium print-to-pdf: %w: %s", err, b)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("chromium wrote no PDF: %w", err)
	}
	if st.Size() == 0 {
		return fmt.Errorf("chromium wrote an empty PDF")
	}
	return nil
}
