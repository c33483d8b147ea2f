package breach_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/breach"
	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/ingest"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store/sqlite"
	"github.com/jikimi/jikimi/subject"
)

var kst = time.FixedZone("KST", 9*3600)

const directoryLines = `{"kind":"person","id":"kim","name":"김민수","dept":"고객지원","roles":["agent"]}
{"kind":"person","id":"lee","name":"이정산","dept":"정산"}
{"kind":"person","id":"po","name":"박보호","dept":"개인정보보호팀","roles":["privacy_officer"]}
{"kind":"person","id":"chief","name":"최책임","dept":"경영지원","roles":["cpo"]}
{"kind":"person","id":"eve","name":"이브","dept":"개발","roles":["developer"]}
{"kind":"person","id":"gone","name":"전담당","dept":"개인정보보호팀","roles":["privacy_officer"],"status":"departed","departed_at":"2026-08-01T00:00:00+09:00"}
{"kind":"system","id":"crm","name":"고객관리 시스템","subjects":100000}
{"kind":"system","id":"member-api","name":"회원 API","subjects":100000}
{"kind":"system","id":"billing","name":"정산 시스템"}
{"kind":"system","id":"femto-gw","name":"펨토셀 게이트웨이"}
`

// fixture is a data directory filled through the ingest pipeline, with
// the source records kept as ground truth.
type fixture struct {
	db    *sqlite.DB
	keyer *subject.Keyer
	dir   *directory.Directory
	pipe  *ingest.Pipeline
	recs  []record.Record // as generated, identifiers in clear
}

// Ground truth of the fixture, by construction:
//
//   - kim (crm, 10.1.1.5, session s-kim) views C00001…C00100, one a record,
//     on 1–3 September; C00001…C00010 again on 3 September.
//   - api-gw (member-api, key jwt-old: the forged tokens) reads C01000…
//     C02199 (1,200 customers) from 45.76.12.34 (even) and 149.28.3.77
//     (odd), each session once, over 2–4 September, 400 a day; the first 50
//     customers are read a second time on 4 September; 30 reads of
//     identities that do not exist fail (status error) on 3 September,
//     and expose nobody. The same account
//     with key jwt-new reads C00001…C00050 from 10.0.0.5 on 2 September.
//   - lee (billing) exports twice on 2 September: 50 listed of 5,000
//     processed (rrn and phone counted), and 20 listed of 20.
//   - femtocells FC-1 and FC-2 (femto-gw) each process 30 subscribers
//     S0001… on 5 September, FC-1 the first 30, FC-2 the next 30.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	dataDir := t.TempDir()
	f := &fixture{}
	var err error
	if f.db, err = sqlite.Open(ctx, dataDir); err != nil {
		t.Fatal(err)
	}
	if f.keyer, err = subject.LoadKey(dataDir); err != nil {
		t.Fatal(err)
	}
	f.dir = directory.New()
	if _, err := f.dir.Import(strings.NewReader(directoryLines), "test"); err != nil {
		t.Fatal(err)
	}
	f.pipe, err = ingest.New(ctx, ingest.Config{Store: f.db, Keyer: f.keyer, Directory: f.dir, PII: ingest.CountPII,
		Period: func(t time.Time) string { return t.In(kst).Format("2006-01") }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.pipe.Close(); f.db.Close() })

	day := func(d int, sec int) time.Time {
		return time.Date(2026, 9, d, 9, 0, 0, 0, kst).Add(time.Duration(sec) * time.Second)
	}
	n := 0
	add := func(r record.Record) {
		n++
		r.ID = fmt.Sprintf("%s-%05d", r.System, n)
		f.recs = append(f.recs, r)
	}
	for i := 1; i <= 100; i++ {
		add(record.Record{Time: day(1+(i-1)/40, i*60), System: "crm", Actor: record.Actor{ID: "kim"}, Action: record.View,
			Origin: record.Origin{IP: "10.1.1.5"}, Auth: record.Auth{Session: "s-kim"}, Subjects: []string{fmt.Sprintf("C%05d", i)}})
	}
	for i := 1; i <= 10; i++ {
		add(record.Record{Time: day(3, 5000+i*60), System: "crm", Actor: record.Actor{ID: "kim"}, Action: record.View,
			Origin: record.Origin{IP: "10.1.1.5"}, Auth: record.Auth{Session: "s-kim"}, Subjects: []string{fmt.Sprintf("C%05d", i)}})
	}
	forged := func(i int, when time.Time) record.Record {
		ip := "45.76.12.34"
		if i%2 == 1 {
			ip = "149.28.3.77"
		}
		c := fmt.Sprintf("C%05d", 1000+i)
		r := record.Record{Time: when, System: "member-api", Actor: record.Actor{ID: "api-gw", Type: "service"}, Action: record.View,
			Origin: record.Origin{IP: ip}, Auth: record.Auth{Method: "token", KeyID: "jwt-old", Session: fmt.Sprintf("f-%d-%d", i, when.Unix()), External: true},
			Target: record.Target{Object: "/api/v1/members/" + c + "/profile", Kind: "api"}, Subjects: []string{c}}
		if i%100 == 0 {
			r.Payload = `{"phone":"010-2345-6789"}`
		}
		return r
	}
	for i := range 1200 {
		add(forged(i, day(2+i/400, 100+(i%400)*30)))
	}
	for i := range 50 {
		add(forged(i, day(4, 20000+i*30)))
	}
	for i := range 30 { // identities that do not exist: nothing exposed
		r := forged(i, day(3, 20000+i*30))
		c := fmt.Sprintf("C9%07d", i)
		r.Subjects, r.Result = []string{c}, record.Result{Status: "error", Rows: record.Int64(0)}
		add(r)
	}
	for i := 1; i <= 50; i++ {
		add(record.Record{Time: day(2, 3000+i), System: "member-api", Actor: record.Actor{ID: "api-gw", Type: "service"}, Action: record.View,
			Origin: record.Origin{IP: "10.0.0.5"}, Auth: record.Auth{Method: "token", KeyID: "jwt-new", Session: "web-1"}, Subjects: []string{fmt.Sprintf("C%05d", i)}})
	}
	bulk := record.Record{Time: day(2, 7200), System: "billing", Actor: record.Actor{ID: "lee"}, Action: record.Export, Purpose: "월말 정산",
		Origin: record.Origin{IP: "10.1.2.7"}, SubjectCount: 5000, PII: map[string]int64{"rrn": 5000, "phone": 5000}, Result: record.Result{Rows: record.Int64(5000)}}
	for i := range 50 {
		bulk.Subjects = append(bulk.Subjects, fmt.Sprintf("B%05d", i))
	}
	add(bulk)
	small := record.Record{Time: day(2, 7300), System: "billing", Actor: record.Actor{ID: "lee"}, Action: record.Export, Purpose: "정산 확인",
		Origin: record.Origin{IP: "10.1.2.7"}, SubjectCount: 20}
	for i := range 20 {
		small.Subjects = append(small.Subjects, fmt.Sprintf("B%05d", 100+i))
	}
	add(small)
	for d, dev := range []string{"FC-1", "FC-2"} {
		for i := range 30 {
			add(record.Record{Time: day(5, i*10+d), System: "femto-gw", Actor: record.Actor{ID: dev, Type: "service"}, Action: record.Other,
				Origin: record.Origin{IP: "121.130.1.1", Device: dev, Cert: "shared-cert"}, Subjects: []string{fmt.Sprintf("S%04d", d*30+i+1)}})
		}
	}
	pr := f.pipe.NewPreparer()
	var batch []*ingest.Prepared
	for i := range f.recs {
		cp := f.recs[i]
		cp.Subjects = slices.Clone(cp.Subjects)
		cp.PII = nil
		if f.recs[i].PII != nil {
			cp.PII = map[string]int64{}
			for k, v := range f.recs[i].PII {
				cp.PII[k] = v
			}
		}
		p, err := pr.Prepare(&cp)
		if err != nil {
			t.Fatalf("record %s: %v", f.recs[i].ID, err)
		}
		batch = append(batch, p)
	}
	if res, err := f.pipe.Submit(ctx, batch); err != nil || res.Accepted != len(f.recs) {
		t.Fatalf("submit: %+v, %v; want %d accepted", res, err, len(f.recs))
	}
	return f
}

// truth computes, from the source records alone, what a scope must give.
type truth struct {
	ids      []string
	subjects map[string]bool
	unlisted int64
	bySystem map[string]map[string]bool
	byDay    map[string]map[string]bool
	first    time.Time
	last     time.Time
}

func (f *fixture) truth(match func(r *record.Record) bool) truth {
	tr := truth{subjects: map[string]bool{}, bySystem: map[string]map[string]bool{}, byDay: map[string]map[string]bool{}}
	for i := range f.recs {
		r := &f.recs[i]
		if !match(r) || r.Result.Status == "error" || r.Result.Status == "denied" {
			continue
		}
		tr.ids = append(tr.ids, r.ID)
		if tr.first.IsZero() || r.Time.Before(tr.first) {
			tr.first = r.Time
		}
		if r.Time.After(tr.last) {
			tr.last = r.Time
		}
		if tr.bySystem[r.System] == nil {
			tr.bySystem[r.System] = map[string]bool{}
		}
		d := r.Time.In(kst).Format(time.DateOnly)
		if tr.byDay[d] == nil {
			tr.byDay[d] = map[string]bool{}
		}
		for _, s := range r.Subjects {
			tr.subjects[s] = true
			tr.bySystem[r.System][s] = true
			tr.byDay[d][s] = true
		}
		if r.SubjectCount > int64(len(r.Subjects)) {
			tr.unlisted += r.SubjectCount - int64(len(r.Subjects))
		}
	}
	slices.Sort(tr.ids)
	return tr
}

func (tr truth) identifiers() []string {
	out := make([]string, 0, len(tr.subjects))
	for s := range tr.subjects {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func (f *fixture) impact(t testing.TB, s breach.Scope) *breach.Report {
	t.Helper()
	rep, err := breach.Impact(context.Background(), f.db, s, nil)
	if err != nil {
		t.Fatalf("Impact(%+v): %v", s, err)
	}
	return rep
}
