package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
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

// TestConsolePageLatency measures every main page over real HTTP with
// 10,000 alerts and JIKIMI_CONSOLE_BENCH_RECORDS records (default
// 20,000) in the store, and fails when a page's median exceeds 200 ms.
func TestConsolePageLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("latency measurement skipped in -short mode")
	}
	n := 20000
	if s := os.Getenv("JIKIMI_CONSOLE_BENCH_RECORDS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	start := time.Now()
	f := newConsoleFixture(t, n)
	ctx := context.Background()
	var alerts []*alert.Alert
	for i := range 10000 {
		alerts = append(alerts, &alert.Alert{ID: fmt.Sprintf("bench-%05d", i), Rule: []string{"export-at-night", "off-hours-access", "bulk-view"}[i%3],
			Severity: alert.Medium, Time: fixtureStart.Add(time.Duration(i) * time.Minute), LastTime: fixtureStart.Add(time.Duration(i) * time.Minute),
			System: "crm", Actor: "kim.staff", Summary: "bench", Records: []string{fmt.Sprintf("fx-%06d", i%n)}, RecordCount: 1})
	}
	tx, err := f.a.store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.PutAlerts(alerts); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	t.Logf("fixture: %d records, 10,000 alerts in %v", n, time.Since(start))
	c, _ := f.signIn(t, account.PrivacyOfficer)
	// Wait for the background activity count.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := c.Get(f.addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if contains(b, "요일·시간대별") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	pages := []string{"/", "/alerts", "/alerts?rule=export-at-night&offset=3000", "/alerts/bench-05000", "/cases",
		"/records?go=1&system=crm&limit=100", "/records?go=1&actor=kim.staff&from=2026-09-10&to=2026-09-11", "/records/fx-000123",
		"/directory", "/rules", "/reports"}
	for _, p := range pages {
		var ds []time.Duration
		for range 15 {
			t0 := time.Now()
			resp, err := c.Get(f.addr + p)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %s", p, resp.Status)
			}
			ds = append(ds, time.Since(t0))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		t.Logf("%-62s median %6.1f ms  max %6.1f ms", p, ms(ds[len(ds)/2]), ms(ds[len(ds)-1]))
		if ds[len(ds)/2] > 200*time.Millisecond {
			t.Errorf("%s: median %v, want under 200 ms", p, ds[len(ds)/2])
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

func storeQueryAll() store.Query { return store.Query{} }

// TestConsoleQueries10M times the console's store reads on a copy of a
// large store (JIKIMI_CONSOLE_BENCH_STORE, a data directory): the
// one-time activity count, an incremental one, a month's report figures
// and a record search.
func TestConsoleQueries10M(t *testing.T) {
	dir := os.Getenv("JIKIMI_CONSOLE_BENCH_STORE")
	if dir == "" {
		t.Skip("set JIKIMI_CONSOLE_BENCH_STORE to a data directory with a large store")
	}
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
