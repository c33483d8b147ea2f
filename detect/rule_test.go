package detect

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/record"
)

func TestRuleErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		wantLine   int
		wantErr    string
	}{
		{"no id", "title: x\nlevel: low\ndetection:\n  s: {action: view}\n  condition: s\n", 1, "id is required"},
		{"bad level", "title: x\nid: x\nlevel: urgent\ndetection:\n  s: {action: view}\n  condition: s\n", 3, "level must be"},
		{"unknown field", "title: x\nid: x\nlevel: low\ndetection:\n  s:\n    actor.nmae: x\n  condition: s\n", 6, `unknown field "actor.nmae"`},
		{"bad modifier", "title: x\nid: x\nlevel: low\ndetection:\n  s:\n    detail|base64: x\n  condition: s\n", 6, "unsupported modifier |base64"},
		{"cased", "title: x\nid: x\nlevel: low\ndetection:\n  s:\n    detail|cased: x\n  condition: s\n", 6, "|cased"},
		{"flag without re", "title: x\nid: x\nlevel: low\ndetection:\n  s:\n    detail|contains|i: x\n  condition: s\n", 6, "must follow it"},
		{"bad regexp", "title: x\nid: x\nlevel: low\ndetection:\n  s:\n    detail|re: '(['\n  condition: s\n", 6, "bad regular expression"},
		{"bad cidr", "title: x\nid: x\nlevel: low\ndetection:\n  s:\n    origin.ip|cidr: 10.0.0/8\n  condition: s\n", 6, "|cidr wants"},
		{"bad number", "title: x\nid: x\nlevel: low\ndetection:\n  s:\n    result.rows|gt: many\n  condition: s\n", 6, "|gt wants a number"},
		{"unknown selection", "title: x\nid: x\nlevel: low\ndetection:\n  s: {action: view}\n  condition: s and t\n", 6, `no selection named "t"`},
		{"unbalanced", "title: x\nid: x\nlevel: low\ndetection:\n  s: {action: view}\n  condition: (s\n", 6, "missing )"},
		{"no condition", "title: x\nid: x\nlevel: low\ndetection:\n  s: {action: view}\n", 5, "condition is required"},
		{"unknown key", "title: x\nid: x\nlevel: low\nsevrity: x\n", 4, `unknown key "sevrity"`},
		{"bad kind", "title: x\nid: x\nlevel: low\ndetection:\n  s: {action: view}\n  condition: s\njikimi:\n  kind: magic\n", 8, `unknown kind "magic"`},
		{"correlation type", "title: x\nid: x\nlevel: low\ncorrelation:\n  type: frequency\n  rules: [a]\n  group-by: [actor.id]\n  timespan: 1h\n", 5, "correlation.type must be"},
		{"correlation lt", "title: x\nid: x\nlevel: low\ndetection:\n  s: {action: view}\n  condition: s\ncorrelation:\n  type: event_count\n  group-by: [actor.id]\n  timespan: 1h\n  condition:\n    lt: 5\n", 12, "cannot be decided"},
		{"no timespan", "title: x\nid: x\nlevel: low\ndetection:\n  s: {action: view}\n  condition: s\ncorrelation:\n  type: event_count\n  group-by: [actor.id]\n  condition: {gte: 3}\n", 8, "timespan is required"},
		{"bad duration", "title: x\nid: x\nlevel: low\ndetection:\n  s: {action: view}\n  condition: s\ncorrelation:\n  type: event_count\n  group-by: [actor.id]\n  timespan: soon\n  condition: {gte: 3}\n", 10, "bad duration"},
		{"yaml", "title: x\nid: [\n", 2, "YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRules(strings.NewReader(tc.yaml), "r.yml")
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("err=%v, want a *RuleError", err)
			}
			if re.File != "r.yml" || re.Line != tc.wantLine || !strings.Contains(re.Reason, tc.wantErr) {
				t.Errorf("got %s:%d: %s, want line %d and %q", re.File, re.Line, re.Reason, tc.wantLine, tc.wantErr)
			}
		})
	}
}

func TestUserRules(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Replaces a built-in and adds a correlation over it.
	write("a.yml", `title: Watch-listed subject (stricter)
id: watchlist-lookup
level: high
detection:
  s: {subject.watchlisted: true}
  condition: s
---
title: Many printouts
id: many-prints
level: medium
detection:
  p: {action: print}
  condition: p
correlation:
  type: event_count
  group-by: [actor.id]
  timespan: 1h
  condition: {gte: 3}
`)
	rules, err := LoadRules(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rules {
		if r.ID == "watchlist-lookup" {
			n++
			if r.Level != alert.High || r.Builtin {
				t.Errorf("watchlist-lookup not replaced: %+v", r)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d watchlist-lookup rules, want 1", n)
	}
	write("b.yml", "title: bad\nid: bad\nlevel: low\ncorrelation:\n  type: event_count\n  rules: [nothing]\n  group-by: [actor.id]\n  timespan: 1h\n  condition: {gte: 2}\n")
	_, err = LoadRules(dir)
	var re *RuleError
	if !errors.As(err, &re) || !strings.HasSuffix(re.File, "b.yml") || re.Line != 1 || !strings.Contains(re.Reason, `unknown rule "nothing"`) {
		t.Errorf("err=%v, want b.yml:1 unknown rule", err)
	}
}

func rec(id string, t time.Time, mod func(r *record.Record)) *record.Record {
	r := &record.Record{ID: id, Time: t, System: "crm", Actor: record.Actor{ID: "kim"}, Action: record.View}
	if mod != nil {
		mod(r)
	}
	return r
}

func engineFor(t *testing.T, yml string, dir *directory.Directory) *Engine {
	t.Helper()
	rules, err := ParseRules(strings.NewReader(yml), "t.yml")
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(rules, Options{Directory: dir, Lateness: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type sink map[string]*alert.Alert

func (s sink) emit(a *alert.Alert) { s[a.ID] = a }

func TestConditionAndModifiers(t *testing.T) {
	e := engineFor(t, `title: t
id: t
level: medium
detection:
  sel_a:
    detail|contains: 'DROP '
    origin.ip|cidr: 10.0.0.0/8
  sel_b:
    target.object|startswith: [member, cust]
    result.rows|gte: 100
  sel_c:
    detail|re|i: '^EXP .*file='
  filter:
    actor.id|endswith: .svc
  condition: (1 of sel_*) and not filter
jikimi:
  merge: 1s
`, nil)
	t0 := time.Date(2025, 10, 1, 10, 0, 0, 0, kst)
	cases := []struct {
		r    *record.Record
		want bool
	}{
		{rec("1", t0, func(r *record.Record) { r.Detail, r.Origin.IP = "x; drop table", "10.1.2.3" }), true},
		{rec("2", t0.Add(time.Minute), func(r *record.Record) { r.Detail, r.Origin.IP = "x; drop table", "192.168.1.1" }), false},
		{rec("3", t0.Add(2*time.Minute), func(r *record.Record) { r.Target.Object, r.Result.Rows = "MEMBER_ADDR", record.Int64(100) }), true},
		{rec("4", t0.Add(3*time.Minute), func(r *record.Record) { r.Target.Object, r.Result.Rows = "MEMBER_ADDR", record.Int64(99) }), false},
		{rec("5", t0.Add(4*time.Minute), func(r *record.Record) { r.Target.Object = "MEMBER" }), false}, // rows unknown
		{rec("6", t0.Add(5*time.Minute), func(r *record.Record) { r.Detail = "exp userid=x file=/t" }), true},
		{rec("7", t0.Add(6*time.Minute), func(r *record.Record) { r.Detail, r.Actor.ID = "exp userid=x file=/t", "batch.svc" }), false},
	}
	got := sink{}
	for _, c := range cases {
		e.Process(c.r, got.emit)
	}
	e.Flush(got.emit)
	fired := map[string]bool{}
	for _, a := range got {
		for _, id := range a.Records {
			fired[id] = true
		}
	}
	for _, c := range cases {
		if fired[c.r.ID] != c.want {
			t.Errorf("record %s: fired=%v, want %v", c.r.ID, fired[c.r.ID], c.want)
		}
	}
}

func TestAbsenceAdvance(t *testing.T) {
	dir := directory.New()
	if _, err := dir.Import(strings.NewReader(`{"kind":"system","id":"pam","expected_silence":"30m"}`), "d"); err != nil {
		t.Fatal(err)
	}
	e := engineFor(t, "title: silent\nid: silent\nlevel: medium\njikimi:\n  kind: absence\n", dir)
	t0 := time.Date(2025, 10, 1, 10, 0, 0, 0, kst)
	got := sink{}
	e.Process(rec("p1", t0, func(r *record.Record) { r.System = "pam" }), got.emit)
	e.Advance(t0.Add(20*time.Minute), got.emit)
	if len(got) != 0 {
		t.Fatalf("alerted after 20 minutes of a 30-minute silence: %v", got)
	}
	e.Advance(t0.Add(40*time.Minute), got.emit)
	if len(got) != 1 {
		t.Fatalf("%d alerts after 40 minutes, want 1", len(got))
	}
	for _, a := range got {
		if a.Keys["system"] != "pam" || a.Records[0] != "p1" || !a.Time.Equal(t0) {
			t.Errorf("alert %+v", a)
		}
	}
	// Speaking again re-arms it; a new silence is a new alert after the merge window.
	e.Process(rec("p2", t0.Add(3*time.Hour), func(r *record.Record) { r.System = "pam" }), got.emit)
	e.Flush(got.emit)
	if len(got) != 1 {
		t.Errorf("%d alerts, want 1: the source spoke again and Flush is at its last record", len(got))
	}
}

func TestMergeWindow(t *testing.T) {
	e := engineFor(t, "title: v\nid: v\nlevel: low\ndetection:\n  s: {action: view}\n  condition: s\njikimi:\n  merge: 1h\n", nil)
	t0 := time.Date(2025, 10, 1, 10, 0, 0, 0, kst)
	var emitted []alert.Alert
	emit := func(a *alert.Alert) { emitted = append(emitted, *a) }
	for i, d := range []time.Duration{0, 30 * time.Minute, 80 * time.Minute, 3 * time.Hour} {
		e.Process(rec(string(rune('a'+i)), t0.Add(d), nil), emit)
	}
	e.Flush(emit)
	ids := map[string]int{}
	for _, a := range emitted {
		ids[a.ID] = a.RecordCount
	}
	if len(ids) != 2 {
		t.Fatalf("%d alerts, want 2 (three records within an hour of each other, then one 100 minutes later): %v", len(ids), ids)
	}
	counts := []int{}
	for _, n := range ids {
		counts = append(counts, n)
	}
	if counts[0]+counts[1] != 4 || (counts[0] != 3 && counts[1] != 3) {
		t.Errorf("record counts %v, want 3 and 1", counts)
	}
}

func TestEntityCap(t *testing.T) {
	rules, err := ParseRules(strings.NewReader("title: c\nid: c\nlevel: medium\ndetection:\n  s: {action: view}\n  condition: s\ncorrelation:\n  type: event_count\n  group-by: [actor.id]\n  timespan: 1h\n  condition: {gte: 1000}\n"), "c.yml")
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(rules, Options{MaxEntities: 100})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 10, 1, 10, 0, 0, 0, kst)
	for i := 0; i < 5000; i++ {
		e.Process(rec("r"+string(rune(i)), t0.Add(time.Duration(i)*time.Millisecond), func(r *record.Record) { r.Actor.ID = "a" + string(rune(i)) }), func(*alert.Alert) {})
		if n := e.Stats().Entities; n > 100 {
			t.Fatalf("%d entities held, cap 100", n)
		}
	}
	// Idle entities expire: an hour later the window of each is empty.
	e.Advance(t0.Add(3*time.Hour), func(*alert.Alert) {})
	if n := e.Stats().Entities; n != 0 {
		t.Errorf("%d entities after 3 idle hours, want 0", n)
	}
}

func TestKoreanHolidays(t *testing.T) {
	for _, tc := range []struct {
		date string
		want bool
	}{
		{"2025-10-03", true},  // 개천절
		{"2025-10-06", true},  // 추석
		{"2025-10-08", true},  // 추석 substitute (10-05 was a Sunday)
		{"2025-10-09", true},  // 한글날
		{"2025-10-10", false}, // an ordinary Friday
		{"2025-05-06", true},  // substitute: 어린이날 and 부처님오신날 on 05-05
		{"2025-06-03", true},  // presidential election
		{"2024-02-12", true},  // 설날 substitute
		{"2023-05-29", true},  // 부처님오신날 substitute (05-27 a Saturday)
		{"2022-10-10", true},  // 한글날 substitute
		{"2021-08-16", true},  // 광복절 substitute
		{"2019-08-16", false}, // before substitutes for 광복절
		{"2017-10-06", true},  // 추석 overlapping 개천절
		{"2013-10-09", true},  // 한글날 restored in 2013
		{"2012-10-09", false},
		{"2026-02-17", true}, // 설날
		{"2026-09-25", true}, // 추석
		{"2030-02-04", true}, // day after 설날
		{"2030-09-13", true}, // day after 추석
	} {
		d, _ := time.ParseInLocation(time.DateOnly, tc.date, kst)
		if got := KoreanHoliday(d.Add(12 * time.Hour)); got != tc.want {
			t.Errorf("KoreanHoliday(%s)=%v, want %v", tc.date, got, tc.want)
		}
	}
	// Read in Korea time: 2025-10-02 16:00 UTC is 10-03 01:00 KST.
	if !KoreanHoliday(time.Date(2025, 10, 2, 16, 0, 0, 0, time.UTC)) {
		t.Error("holiday not judged in Korea time")
	}
}

func TestFieldDocs(t *testing.T) {
	for name := range fieldDoc {
		n := strings.ReplaceAll(strings.ReplaceAll(name, "TYPE", "rrn"), "NAME", "x")
		if _, ok := compileField(n); !ok {
			t.Errorf("documented field %s does not compile", name)
		}
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for name := range fieldDoc {
		if !strings.Contains(string(doc), name) {
			t.Errorf("doc.go does not document field %s", name)
		}
	}
}

// TestBaselineSeasonAndPeers: an hour-of-week baseline learns that Monday
// 09:00 is busy and Sunday 03:00 is not; an alert needs the bucket far above
// the key's own history and its peer group's; a key without history of its
// own is judged against its peers alone.
func TestBaselineSeasonAndPeers(t *testing.T) {
	dir := directory.New()
	dir.Import(strings.NewReader(`{"kind":"person","id":"old","dept":"cs"}
{"kind":"person","id":"new","dept":"cs"}`), "d")
	e := engineFor(t, `title: b
id: b
level: high
detection:
  s: {action: view}
  condition: s
jikimi:
  kind: baseline
  bucket: 1h
  season: hour_of_week
  history: 4
  min_history: 3
  k: 3
  factor: 2
  min_value: 5
  peer: actor.dept
`, dir)
	got := sink{}
	monday := time.Date(2025, 9, 1, 9, 0, 0, 0, kst) // a Monday
	n := 0
	view := func(actor string, at time.Time) {
		n++
		e.Process(rec(fmt.Sprint("r", n), at, func(r *record.Record) { r.Actor.ID = actor }), got.emit)
	}
	// Four weeks: 40 views every Monday 09:00–10:00, none on Sunday night.
	for w := 0; w < 4; w++ {
		for i := 0; i < 40; i++ {
			view("old", monday.AddDate(0, 0, 7*w).Add(time.Duration(i)*time.Minute))
		}
	}
	if len(got) != 0 {
		t.Fatalf("alerts while learning: %v", got)
	}
	// Week 5: the usual Monday is quiet; 20 views on Sunday 03:00 are not.
	for i := 0; i < 40; i++ {
		view("old", monday.AddDate(0, 0, 28).Add(time.Duration(i)*time.Minute))
	}
	if len(got) != 0 {
		t.Fatalf("usual Monday volume alerted: %v", got)
	}
	// A newcomer without history: 30 views in an hour is like the peers
	// (40), 100 is not.
	tuesday := monday.AddDate(0, 0, 29).Add(time.Hour)
	for i := 0; i < 30; i++ {
		view("new", tuesday.Add(time.Duration(i)*time.Minute))
	}
	for i := 0; i < 100; i++ {
		view("new", tuesday.Add(time.Hour+time.Duration(i)*30*time.Second))
	}
	// Sunday 03:00, usually 0: 20 views are far above old's own history but
	// not above what peers do in an hour (limit 80), 100 are above both.
	sunday := monday.AddDate(0, 0, 34).Add(-6 * time.Hour)
	for i := 0; i < 20; i++ {
		view("old", sunday.Add(time.Duration(i)*time.Second))
	}
	for i := 0; i < 80; i++ {
		view("old", sunday.Add(time.Duration(20+i)*time.Second))
	}
	e.Flush(got.emit)
	byActor := map[string]*alert.Alert{}
	for _, a := range got {
		byActor[a.Actor] = a
	}
	if len(got) != 2 || byActor["old"] == nil || byActor["new"] == nil {
		t.Fatalf("alerts %v, want one for old's Sunday night and one for new's 100 views", got)
	}
	if a := byActor["old"]; !strings.Contains(a.Summary, "평소") || a.Time.Weekday() != time.Sunday || a.Time.Sub(sunday) < 20*time.Second {
		t.Errorf("old: %s", a.Summary)
	}
	if a := byActor["new"]; !strings.Contains(a.Summary, "같은 actor.dept 집단") || a.Time.Hour() != 11 {
		t.Errorf("new: %s at %v", a.Summary, a.Time)
	}
}

// TestLateAndNilEmit: a record later than Lateness is still evaluated (out
// of order) and a nil emit is allowed.
func TestLateAndNilEmit(t *testing.T) {
	e := engineFor(t, "title: v\nid: v\nlevel: low\ndetection:\n  s: {action: view}\n  condition: s\n", nil)
	t0 := time.Date(2025, 10, 1, 10, 0, 0, 0, kst)
	e.Process(rec("a", t0, nil), nil)
	e.Process(rec("b", t0.Add(time.Hour), nil), nil)
	got := sink{}
	e.Process(rec("late", t0.Add(10*time.Minute), func(r *record.Record) { r.Actor.ID = "lee" }), got.emit)
	if len(got) != 1 {
		t.Fatalf("late record: %d alerts, want 1 (evaluated at once, out of order)", len(got))
	}
	for _, a := range got {
		if a.Actor != "lee" || a.Records[0] != "late" {
			t.Errorf("alert %+v", a)
		}
	}
	if s := e.Stats(); s.Held != 1 {
		t.Errorf("held %d records, want 1 (b, within Lateness of the latest)", s.Held)
	}
	e.Flush(got.emit)
	if s := e.Stats(); s.Held != 0 || len(got) != 2 {
		t.Errorf("after Flush: held %d, %d alerts; want 0 and 2", s.Held, len(got))
	}
}

// TestAddressOwnerFollowsDirectory: when the directory assigns an address
// to someone else, the engine sees it within addrRefresh of event time.
func TestAddressOwnerFollowsDirectory(t *testing.T) {
	dir := directory.New()
	if _, err := dir.Import(strings.NewReader(`{"kind":"person","id":"lee","name":"이영희","ips":["10.0.0.5"]}
{"kind":"person","id":"park","name":"박민수"}
{"kind":"person","id":"kim","name":"김철수"}`), "d"); err != nil {
		t.Fatal(err)
	}
	e := engineFor(t, `title: foreign
id: foreign
level: high
detection:
  s: {origin.foreign: true}
  condition: s
jikimi:
  group-by: [origin.owner]
  merge: 1m
`, dir)
	got := sink{}
	t0 := time.Date(2025, 9, 1, 9, 0, 0, 0, kst)
	from := func(id string, at time.Time) {
		e.Process(rec(id, at, func(r *record.Record) { r.Origin.IP = "10.0.0.5" }), got.emit)
	}
	from("r1", t0)
	e.Advance(t0.Add(time.Minute), got.emit) // r1 is evaluated before the change
	if _, err := dir.Import(strings.NewReader(`{"kind":"person","id":"lee","name":"이영희"}
{"kind":"person","id":"park","name":"박민수","ips":["10.0.0.5"]}`), "d"); err != nil {
		t.Fatal(err)
	}
	from("r2", t0.Add(2*addrRefresh))
	from("r3", t0.Add(3*addrRefresh))
	e.Flush(got.emit)
	owners := map[string]bool{}
	for _, a := range got {
		owners[a.Keys["origin.owner"]] = true
	}
	if !owners["lee"] || !owners["park"] || len(owners) != 2 {
		t.Errorf("alerts for owners %v, want lee and then park", owners)
	}
}

// TestDispatch: the tests of action and actor.type hold whether a record
// is served by the engine's table of actions (known, lower-case actions)
// or not (any other spelling, judged by the full detection).
func TestDispatch(t *testing.T) {
	e := engineFor(t, `title: t
id: t
level: low
detection:
  reads:
    action: [view, search]
    actor.type: customer
  big:
    result.rows|gte: 10
  condition: reads and big
jikimi:
  group-by: [id]
`, nil)
	got := sink{}
	t0 := time.Date(2025, 9, 1, 9, 0, 0, 0, kst)
	rows := func(n int64) *int64 { return &n }
	for i, c := range []struct {
		action record.Action
		actor  string
		rows   int64
		want   bool
	}{
		{record.View, "customer", 10, true},
		{record.Search, "customer", 10, true},
		{"VIEW", "customer", 10, true},
		{record.View, "customer", 9, false},
		{record.Export, "customer", 10, false},
		{"EXPORT", "customer", 10, false},
		{record.View, "employee", 10, false},
		{record.View, "robot", 10, false},
	} {
		id := fmt.Sprint("r", i)
		e.Process(rec(id, t0.Add(time.Duration(i)*time.Second), func(r *record.Record) {
			r.Action, r.Actor.Type, r.Result.Rows = c.action, c.actor, rows(c.rows)
		}), got.emit)
		e.Flush(got.emit)
		if fired := len(got) > 0; fired != c.want {
			t.Errorf("%s by %s with %d rows: alert %v, want %v", c.action, c.actor, c.rows, fired, c.want)
		}
		clear(got)
	}
}
