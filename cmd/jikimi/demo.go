package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/scenario"
	"github.com/jikimi/jikimi/source"
	"github.com/jikimi/jikimi/store"
)

// Files the demo leaves in its data directory for a newcomer to read.
const (
	demoRecords   = "demo-records.jsonl"
	demoDirectory = "demo-directory.jsonl"
)

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "[--data ./jikimi-demo] [--addr 127.0.0.1:8080]")
	data := fs.String("data", "./jikimi-demo", "data directory of the demo (created; reused when it already holds the demo)")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	seed := fs.Uint64("seed", 1, "generator seed")
	noServe := fs.Bool("no-serve", false, "generate and ingest, then exit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data, appOptions{create: true})
	if err != nil {
		return err
	}
	n, err := a.store.Count(ctx, store.Query{})
	if err != nil {
		a.Close()
		return err
	}
	var ds *scenario.Dataset
	if n == 0 {
		start := time.Now()
		fmt.Fprintln(e.stdout, "데모 데이터 생성 중 (조직 1곳의 한 달치 접속기록과 사고 재현)…")
		ds = scenario.Generate(scenario.Config{Seed: *seed})
		if err := writeDemoFiles(a, ds); err != nil {
			a.Close()
			return err
		}
		a.Close()
		// Reopen with the pipeline now that the directory and the watch
		// list are in place: detection reads both at start.
		if a, err = openApp(ctx, e, *data, appOptions{withPipeline: true}); err != nil {
			return err
		}
		var sum ingestSummary
		prog := newProgress(e, false)
		err := ingestFile(ctx, a, filepath.Join(*data, demoRecords), "jsonl", source.Options{Location: kst}, &sum, prog, e)
		prog.stop()
		if err == nil {
			_, err = a.pipe.Flush(ctx)
		}
		if err != nil {
			a.Close()
			return err
		}
		fmt.Fprintf(e.stdout, "접속기록 %d건 수집 (%s)\n", sum.accepted.Load(), time.Since(start).Round(time.Millisecond))
	} else {
		a.Close()
		if a, err = openApp(ctx, e, *data, appOptions{withPipeline: true}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s 의 데모 데이터(접속기록 %d건)를 그대로 씁니다.\n", *data, n)
	}
	defer a.Close()
	if err := printDemoSummary(ctx, e, a, ds); err != nil {
		return err
	}
	users, err := seedDemoUsers(a)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\n콘솔 계정 (데모용 고정 비밀번호와 TOTP 비밀키):\n")
	for _, u := range users {
		fmt.Fprintf(e.stdout, "  %-16s %-14s 비밀번호 %-24s TOTP 비밀키 %s\n", u.Role, u.ID, u.Password, u.TOTPSecret)
	}
	fmt.Fprintf(e.stdout, "인증코드(6자리) 보기: jikimi user totp --data %s --id 계정\n\n", a.dataDir)
	if *noServe {
		return nil
	}
	return serveApp(ctx, e, a, *addr, nil)
}

// writeDemoFiles writes the generated month and directory into the data
// directory and imports the directory and the watch list.
func writeDemoFiles(a *app, ds *scenario.Dataset) error {
	write := func(name string, fn func(w *bufio.Writer) error) error {
		f, err := os.Create(filepath.Join(a.dataDir, name))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		if err := fn(w); err != nil {
			f.Close()
			return err
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := write(demoRecords, func(w *bufio.Writer) error { return ds.WriteJSONL(w) }); err != nil {
		return err
	}
	if err := write(demoDirectory, func(w *bufio.Writer) error { return ds.WriteDirectory(w) }); err != nil {
		return err
	}
	if err := write(watchlistFile, func(w *bufio.Writer) error {
		ids := make([]string, 0, len(ds.Watchlist))
		for id := range ds.Watchlist {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			fmt.Fprintf(w, "%s\t%s\n", id, ds.Watchlist[id])
		}
		return nil
	}); err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(a.dataDir, demoDirectory))
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := a.dir.Import(f, demoDirectory); err != nil {
		return err
	}
	return a.dir.Save(a.dataDir)
}

// printDemoSummary says what the demo found: alerts by severity and, when
// the data set was generated in this run, which incident each rule caught.
func printDemoSummary(ctx context.Context, e *env, a *app, ds *scenario.Dataset) error {
	alerts, err := a.store.Alerts(ctx, store.AlertQuery{})
	if err != nil {
		return err
	}
	bySev := map[alert.Severity]int{}
	for _, al := range alerts {
		bySev[al.Severity]++
	}
	fmt.Fprintf(e.stdout, "경보 %d건: 긴급 %d, 높음 %d, 보통 %d, 낮음(점검 대상) %d\n",
		len(alerts), bySev[alert.Critical], bySev[alert.High], bySev[alert.Medium], bySev[alert.Low])
	if ds != nil {
		for _, inc := range ds.Incidents {
			caught := caughtBy(alerts, inc)
			mark := "놓침"
			if len(caught) > 0 {
				mark = "탐지: " + strings.Join(caught, ", ")
			}
			fmt.Fprintf(e.stdout, "  - %s — %s\n", inc.Title, mark)
		}
	}
	fmt.Fprintf(e.stdout, "\n경보 보기:  jikimi alerts --data %s\n", a.dataDir)
	fmt.Fprintf(e.stdout, "기록 검색:  jikimi records --data %s --actor ACCOUNT\n", a.dataDir)
	return nil
}

// caughtBy lists the rules expected to catch the incident whose alerts
// cite any of its records (a low rule's alert is a review item, as meant).
func caughtBy(alerts []alert.Alert, inc scenario.Incident) []string {
	ids := make(map[string]bool, len(inc.RecordIDs))
	for _, id := range inc.RecordIDs {
		ids[id] = true
	}
	var rules []string
	for _, al := range alerts {
		if !slices.Contains(inc.Rules, al.Rule) || slices.Contains(rules, al.Rule) {
			continue
		}
		if slices.ContainsFunc(al.Records, func(id string) bool { return ids[id] }) {
			rules = append(rules, al.Rule)
		}
	}
	slices.Sort(rules)
	return rules
}
