package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/jikimi/jikimi/account"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/report"
	"github.com/jikimi/jikimi/store/sqlite"
)

// ReportInputs returns what report.Build reads, from the console's
// configuration (rule titles and system names included).
func (c *Console) ReportInputs() report.Inputs {
	return report.Inputs{
		DB: c.cfg.DB, Cases: c.cfg.Cases.Store, Integrity: c.cfg.Integrity,
		RuleTitle: func(id string) string { return c.ruleTitle("ko", id) },
		SystemName: func(id string) string {
			if s := c.cfg.Directory.System(id); s != nil {
				return s.Name
			}
			return ""
		},
	}
}

func (c *Console) reports(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	rs, err := c.cfg.DB.Reports(r.Context())
	if err != nil {
		return err
	}
	def := c.cfg.Now().In(kst).AddDate(0, -1, 0).Format("2006-01")
	c.render(w, r, s, "reports", "reports", map[string]any{"Reports": rs, "Default": def})
	return nil
}

func (c *Console) generateReport(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	period := strings.TrimSpace(r.PostForm.Get("period"))
	if _, _, err := report.PeriodRange(period); err != nil {
		return errStatus(http.StatusBadRequest, "%v", err)
	}
	now := c.cfg.Now()
	id := "rpt-" + period + "-" + randomHex(4)
	rep, err := report.Build(r.Context(), c.ReportInputs(), id, period, s.User, now)
	if err != nil {
		return err
	}
	doc, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	if err := c.cfg.DB.PutReport(r.Context(), sqlite.StoredReport{ID: id, Period: period, Created: now, Doc: doc}); err != nil {
		return err
	}
	if err := c.audit(r, s.User, s, record.Create, "report/"+id, "review report "+period, "", rep.Totals.Records, nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/reports/"+id, http.StatusSeeOther)
	return nil
}

func (c *Console) loadReport(r *http.Request) (*report.Report, sqlite.StoredReport, error) {
	st, err := c.cfg.DB.Report(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, st, err
	}
	var rep report.Report
	if err := json.Unmarshal(st.Doc, &rep); err != nil {
		return nil, st, fmt.Errorf("stored report %s: %w", st.ID, err)
	}
	return &rep, st, nil
}

func signOf(st sqlite.StoredReport) *report.SignOff {
	if st.SignedBy == "" {
		return nil
	}
	return &report.SignOff{By: st.SignedBy, At: st.SignedAt}
}

func (c *Console) reportPage(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	rep, st, err := c.loadReport(r)
	if err != nil {
		return err
	}
	if err := c.audit(r, s.User, s, record.View, "report/"+st.ID, "", "", -1, nil); err != nil {
		return err
	}
	c.render(w, r, s, "report", "reports", map[string]any{"R": rep, "S": st, "CanSign": s.Role == account.PrivacyOfficer && st.SignedBy == ""})
	return nil
}

// reportPrint serves the report itself: the printable Korean page.
func (c *Console) reportPrint(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	rep, st, err := c.loadReport(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.HTML(&buf, rep, signOf(st)); err != nil {
		return err
	}
	if err := c.audit(r, s.User, s, record.Print, "report/"+st.ID, "printable view", "", -1, nil); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The report page carries its own inline print stylesheet.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	_, err = w.Write(buf.Bytes())
	return err
}

// reportPDF prints the report with headless Chromium: an export.
func (c *Console) reportPDF(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	rep, st, err := c.loadReport(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.HTML(&buf, rep, signOf(st)); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "jikimi-pdf-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "report.pdf")
	if err := report.PDF(r.Context(), c.cfg.Chromium, buf.Bytes(), out); err != nil {
		return err
	}
	pdf, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	if err := c.audit(r, s.User, s, record.Export, "report/"+st.ID, "review report PDF", "periodic review", -1, nil); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", "jikimi-review-"+rep.Period+".pdf"))
	_, err = w.Write(pdf)
	return err
}

func (c *Console) signReport(w http.ResponseWriter, r *http.Request, s *account.Session) error {
	_, st, err := c.loadReport(r)
	if err != nil {
		return err
	}
	if err := c.cfg.DB.SignReport(r.Context(), st.ID, s.User, c.cfg.Now()); err != nil {
		return errStatus(http.StatusConflict, "%v", err)
	}
	if err := c.audit(r, s.User, s, record.Update, "report/"+st.ID, "sign-off of review report "+st.Period, "", -1, nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/reports/"+st.ID, http.StatusSeeOther)
	return nil
}
