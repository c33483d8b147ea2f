package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/jikimi/jikimi/store"
)

func runAlerts(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "alerts", "[--since T] [--rule R] [--json]")
	data := dataFlag(fs)
	since := fs.String("since", "", "alerts whose first evidence is at or after this time (RFC 3339 or YYYY-MM-DD)")
	rule := fs.String("rule", "", "only this rule's alerts")
	limit := fs.Int("limit", 0, "at most this many alerts (0: all)")
	asJSON := fs.Bool("json", false, "print one alert per line as JSON")
	en := fs.Bool("en", false, "English summaries")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	t, err := parseTimeArg(*since)
	if err != nil {
		return fmt.Errorf("since: %w", err)
	}
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	alerts, err := a.store.Alerts(ctx, store.AlertQuery{Since: t, Rule: *rule, Limit: *limit})
	if err != nil {
		return err
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		for i := range alerts {
			if err := enc.Encode(&alerts[i]); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tSEVERITY\tRULE\tSYSTEM\tACTOR\tRECORDS\tSUMMARY")
	for _, al := range alerts {
		summary := al.Summary
		if *en {
			summary = al.SummaryEn
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", al.Time.In(kst).Format("2006-01-02 15:04"), al.Severity, al.Rule,
			al.System, al.Actor, al.RecordCount, strings.ReplaceAll(summary, "\n", " "))
	}
	return tw.Flush()
}
