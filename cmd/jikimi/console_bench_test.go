package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/account"
	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/store/sqlite"
)

// BenchmarkConsolePages measures every main page over real HTTP with
// 10,000 alerts and JIKIMI_CONSOLE_BENCH_RECORDS records (default 20,000)
// in the store; the target is under 200 ms a page.
func BenchmarkConsolePages(b *testing.B) {
	n := 20000
	if s := os.Getenv("JIKIMI_CONSOLE_BENCH_RECORDS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	f := newConsoleFixture(b, n)
	ctx := context.Background()
	var alerts []*alert.Alert
	for i := range 10000 {
		alerts = append(alerts, &alert.Alert{ID: fmt.Sprintf("bench-%05d", i), Rule: []string{"export-at-night", "off-hours-access", "bulk-view"}[i%3],
			Severity: alert.Medium, Time: fixtureStart.Add(time.Duration(i) * time.Minute), LastTime: fixtureStart.Add(time.Duration(i) * time.Minute),
			System: "crm", Actor: "kim.staff", Summary: "bench", Records: []string{fmt.Sprintf("fx-%06d", i%n)}, RecordCount: 1})
	}
	tx, err := f.a.store.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := tx.PutAlerts(alerts); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	c, _ := f.signIn(b, account.PrivacyOfficer)
	// Wait for the background activity count.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := c.Get(f.addr + "/")
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if contains(body, "요일·시간대별") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	pages := []string{"/", "/alerts", "/alerts?rule=export-at-night&offset=3000", "/alerts/bench-05000", "/cases",
		"/records?go=1&system=crm&limit=100", "/records?go=1&actor=kim.staff&from=2026-09-10&to=2026-09-11", "/records/fx-000123",
		"/directory", "/rules", "/reports"}
	for _, p := range pages {
		b.Run(strings.NewReplacer("/", "_", "?", "_", "&", "_", "=", "-").Replace(p), func(b *testing.B) {
			for b.Loop() {
				resp, err := c.Get(f.addr + p)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %s", p, resp.Status)
				}
			}
		})
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

func storeQueryAll() store.Query { return store.Query{} }

// BenchmarkConsoleQueries10M times, once each, the console's store reads
// on a copy of a large store (JIKIMI_CONSOLE_BENCH_STORE, a data
// directory): the one-time activity count, an incremental one, a month's
// report figures and a record search. Run with -benchtime 1x.
func BenchmarkConsoleQueries10M(b *testing.B) {
	dir := os.Getenv("JIKIMI_CONSOLE_BENCH_STORE")
	if dir == "" {
		b.Skip("set JIKIMI_CONSOLE_BENCH_STORE to a data directory with a large store")
	}
	for b.Loop() {
		consoleQueries(b, dir)
	}
}

func consoleQueries(t testing.TB, dir string) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Now()
	total, err := db.Count(ctx, storeQueryAll())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("records: %d (count took %v)", total, time.Since(t0))
	t0 = time.Now()
	hc, upTo, err := db.HourlyCounts(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("activity, first full count: %d hour buckets, batch %d, %v", len(hc), upTo, time.Since(t0))
	t0 = time.Now()
	if _, _, err := db.HourlyCounts(ctx, upTo-1); err != nil {
		t.Fatal(err)
	}
	t.Logf("activity, incremental (last batch): %v", time.Since(t0))
	var newest int64
	for _, h := range hc {
		newest = max(newest, h.Hour)
	}
	month := time.Unix(newest*3600, 0).In(kst)
	from := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, kst)
	t0 = time.Now()
	acts, err := db.PeriodActivity(ctx, from, from.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report: records and people per system for %s: %d systems, %v", from.Format("2006-01"), len(acts), time.Since(t0))
	t0 = time.Now()
	var exports int
	if err := db.PeriodExports(ctx, from, from.AddDate(0, 1, 0), func(*record.Record) error { exports++; return nil }); err != nil {
		t.Fatal(err)
	}
	t.Logf("report: %d exports with purposes, %v", exports, time.Since(t0))
	t0 = time.Now()
	q := storeQueryAll()
	q.Limit = 100
	if _, err := db.Records(ctx, q); err != nil {
		t.Fatal(err)
	}
	t.Logf("record search, newest 100: %v", time.Since(t0))
}
