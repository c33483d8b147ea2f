package report

import (
	"context"
	"embed"
	"fmt"
	"github.com/jikimi/jikimi/internal/chromium"
	"html/template"
	"io"
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
	"num":     func(n int64) string { return Thousands(n) },
	"inum":    func(n int) string { return Thousands(int64(n)) },
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

// Thousands writes n with thousands separators, as Korean reports do.
func Thousands(n int64) string {
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
const Chromium = chromium.Path

// PDF prints an HTML report to a PDF file with headless Chromium at path
// ("" means Chromium).
func PDF(ctx context.Context, path string, html []byte, out string) error {
	return chromium.PDF(ctx, path, html, out)
}
