package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/jikimi/jikimi/report"
	"github.com/jikimi/jikimi/store/sqlite"
)

func runReport(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "review" {
		fmt.Fprintln(e.stderr, "Usage: jikimi report review --period YYYY-MM --out FILE [--pdf]")
		return errUsage
	}
	fs := newFlags(e, "report review", "--period YYYY-MM --out FILE [--pdf]")
	data := dataFlag(fs)
	period := fs.String("period", time.Now().In(kst).AddDate(0, -1, 0).Format("2006-01"), "the month to review (default: last month)")
	out := fs.String("out", "", "write the report here (HTML, or PDF with --pdf)")
	pdf := fs.Bool("pdf", false, "print to PDF with headless Chromium ("+report.Chromium+")")
	chromium := fs.String("chromium", report.Chromium, "Chromium binary for --pdf")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return errUsage
	}
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	in := report.Inputs{DB: a.store, Cases: a.store,
		SystemName: func(id string) string {
			if s := a.dir.System(id); s != nil {
				return s.Name
			}
			return ""
		},
	}
	in.Integrity = ledgerIntegrity{a: a, e: e}
	now := time.Now()
	id := fmt.Sprintf("rpt-%s-cli%d", *period, now.Unix())
	rep, err := report.Build(ctx, in, id, *period, "jikimi report (command line)", now)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.HTML(&buf, rep, nil); err != nil {
		return err
	}
	// Keep what was generated, so it can be signed off in the console.
	doc, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	if err := a.store.PutReport(ctx, sqlite.StoredReport{ID: id, Period: *period, Created: now, Doc: doc}); err != nil {
		return err
	}
	if *pdf {
		if err := report.PDF(ctx, *chromium, buf.Bytes(), *out); err != nil {
			return err
		}
	} else if err := os.WriteFile(*out, buf.Bytes(), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s (report %s: %d records, %d alerts, %d cases, %d overdue)\n", *out, id, rep.Totals.Records, rep.Totals.Alerts, len(rep.Cases), len(rep.Overdue))
	return nil
}
