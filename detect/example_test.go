package detect_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/detect"
	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/record"
)

// A user rule, a directory and three records: the departed person's
// account is used twice within the merge window, so one alert is created
// and then updated under the same id.
func Example() {
	rules, err := detect.ParseRules(strings.NewReader(`
title: Access by a departed person's account
id: departed
level: high
logsource: {product: jikimi}
detection:
  departed:
    actor.departed: true
  condition: departed
jikimi:
  title_ko: 퇴직자 계정의 접근
  merge: 1h
`), "departed.yml")
	if err != nil {
		panic(err)
	}
	dir := directory.New()
	dir.Import(strings.NewReader(`{"kind":"person","id":"lee","name":"이영희","status":"departed","departed_at":"2025-08-31T18:00:00+09:00"}`), "dir")
	e, err := detect.New(rules, detect.Options{Directory: dir})
	if err != nil {
		panic(err)
	}
	kst := time.FixedZone("KST", 9*3600)
	t0 := time.Date(2025, 10, 1, 10, 0, 0, 0, kst)
	latest := map[string]*alert.Alert{}
	emit := func(a *alert.Alert) { latest[a.ID] = a }
	for i, actor := range []string{"lee", "kim", "lee"} {
		e.Process(&record.Record{ID: fmt.Sprint("r", i+1), Time: t0.Add(time.Duration(i) * 10 * time.Minute), System: "crm",
			Actor: record.Actor{ID: actor}, Action: record.View, Origin: record.Origin{IP: "10.20.1.9"},
			Target: record.Target{Object: "고객상세"}, Subjects: []string{"C00012345"}}, emit)
	}
	e.Flush(emit)
	for _, a := range latest {
		fmt.Println(a.Rule, a.Severity, a.Actor, a.Records, a.RecordCount)
		fmt.Println(a.Summary)
		fmt.Println(a.SummaryEn)
	}
	// Output:
	// departed high lee [r1 r3] 2
	// [퇴직자 계정의 접근] lee(이영희) 계정이 10월 1일 10:00–10:20 사이 10.20.1.9에서 crm 고객상세에 view 2건 (정보주체 2명)
	// [Access by a departed person's account] account lee(이영희) between Oct 1 10:00–10:20 KST from 10.20.1.9 view 2 times on crm 고객상세 (2 data subjects)
}
