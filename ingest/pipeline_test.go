package ingest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/scenario"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/store/sqlite"
	"github.com/jikimi/jikimi/subject"
)

func monthPeriod(t time.Time) string { return t.UTC().Format("2006-01") }

func newTestPipeline(t testing.TB, dir string) (*Pipeline, *sqlite.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	keyer, err := subject.LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(ctx, Config{Store: db, Keyer: keyer, Period: monthPeriod})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(); db.Close() })
	return p, db
}

// genRecords makes n records of staff browsing customers, with the odd
// bulk export touching many subjects.
func genRecords(n int, seed uint64) []*record.Record {
	rng := rand.New(rand.NewPCG(seed, 1))
	start := time.Date(2026, 9, 1, 9, 0, 0, 0, time.FixedZone("KST", 9*3600))
	out := make([]*record.Record, n)
	for i := range out {
		r := &record.Record{
			ID:     fmt.Sprintf("r-%d-%d", seed, i),
			Time:   start.Add(time.Duration(i) * 150 * time.Millisecond),
			System: []string{"crm", "billing", "custdb"}[i%3],
			Actor:  record.Actor{ID: fmt.Sprintf("staff%03d", rng.IntN(300))},
			Action: record.View,
			Origin: record.Origin{IP: fmt.Sprintf("10.1.%d.%d", rng.IntN(4), rng.IntN(250)+1)},
			Target: record.Target{Object: "/customers/view", Kind: "screen"},
			Result: record.Result{Rows: record.Int64(1)},
		}
		r.Subjects = []string{fmt.Sprintf("C%08d", rng.IntN(100000))}
		if i%1000 == 999 {
			r.Action = record.Export
			r.Purpose = "월말 정산"
			r.Subjects = make([]string, 500)
			for j := range r.Subjects {
				r.Subjects[j] = fmt.Sprintf("C%08d", rng.IntN(100000))
			}
			r.SubjectCount = 40000
			r.Result.Rows = record.Int64(40000)
		}
		out[i] = r
	}
	return out
}

func submit(t testing.TB, p *Pipeline, recs []*record.Record) Result {
	t.Helper()
	pr := p.NewPreparer()
	batch := make([]*Prepared, 0, len(recs))
	for _, r := range recs {
		cp := *r
		cp.Subjects = append([]string(nil), r.Subjects...)
		x, err := pr.Prepare(&cp)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, x)
	}
	res, err := p.Submit(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSubmitIsIdempotentAndSearchable(t *testing.T) {
	dir := t.TempDir()
	p, db := newTestPipeline(t, dir)
	recs := genRecords(3000, 1)
	if res := submit(t, p, recs); res.Accepted != 3000 || res.Duplicates != 0 {
		t.Fatalf("first submit: %+v, want 3000 accepted", res)
	}
	if res := submit(t, p, recs[:1000]); res.Accepted != 0 || res.Duplicates != 1000 {
		t.Fatalf("resubmit: %+v, want 1000 duplicates", res)
	}
	ctx := context.Background()
	n, err := db.Count(ctx, store.Query{})
	if err != nil || n != 3000 {
		t.Fatalf("Count()=%d, %v; want 3000", n, err)
	}
	// Actor search, newest first, against a brute-force count.
	want := 0
	var newest time.Time
	for _, r := range recs {
		if r.Actor.ID == recs[0].Actor.ID {
			want++
			newest = r.Time
		}
	}
	got, err := db.Records(ctx, store.Query{Actor: recs[0].Actor.ID})
	if err != nil || len(got) != want {
		t.Fatalf("Records(actor)=%d, %v; want %d", len(got), err, want)
	}
	if !got[0].Time.Equal(newest) {
		t.Fatalf("first result at %v, want newest %v", got[0].Time, newest)
	}
	// Subject search: every record listing the subject, found through the
	// pseudonym only.
	keyer, _ := subject.LoadKey(dir)
	target := recs[999].Subjects[7]
	want = 0
	for _, r := range recs {
		for _, s := range r.Subjects {
			if s == target {
				want++
				break
			}
		}
	}
	ps := keyer.Of(target)
	got, err = db.Records(ctx, store.Query{Subject: &ps})
	if err != nil || len(got) != want || want == 0 {
		t.Fatalf("Records(subject)=%d, %v; want %d", len(got), err, want)
	}
	for _, g := range got {
		r, err := record.Parse(g.Canonical)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range r.Subjects {
			if s == target {
				t.Fatalf("record %s stores the subject identifier in clear", g.ID)
			}
		}
	}
}

func BenchmarkSubmit(b *testing.B) {
	recs := genRecords(100000, 2)
	p, _ := newTestPipeline(b, b.TempDir())
	pr := p.NewPreparer()
	prepared := make([]*Prepared, len(recs))
	for i, r := range recs {
		x, err := pr.Prepare(r)
		if err != nil {
			b.Fatal(err)
		}
		prepared[i] = x
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Fresh ids each round so the store really inserts.
		for _, x := range prepared {
			x.Entry.ID = fmt.Sprintf("%s-%d", x.Record.ID, i)
		}
		for j := 0; j < len(prepared); j += 5000 {
			if _, err := p.Submit(context.Background(), prepared[j:j+5000]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkPrepare measures the per-record work of the pipeline (validate,
// derive id, enrich, count PII and mask, pseudonymise, canonical bytes,
// hash) on a week of the demo organisation's records.
func BenchmarkPrepare(b *testing.B) {
	ds := scenario.Generate(scenario.Config{Seed: 1, Days: 7})
	lines := make([][]byte, len(ds.Records))
	for i := range ds.Records {
		lines[i] = ds.Records[i].Canonical()
	}
	p, _ := newTestPipeline(b, b.TempDir())
	p.cfg.PII = CountPII
	pr := p.NewPreparer()
	recs := make([]record.Record, len(lines))
	for b.Loop() {
		b.StopTimer() // Prepare changes records in place: parse them afresh
		for i, l := range lines {
			var err error
			if recs[i], err = record.Parse(l); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		for i := range recs {
			if _, err := pr.Prepare(&recs[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

// TestPrepareIndexesWhatItSeals: a source may hand over bytes that are not
// UTF-8 (a Latin-1 user name in a log line). The canonical bytes seal them
// as U+FFFD; the indexed fields must say the same, or a search by the
// sealed name misses the record.
func TestPrepareIndexesWhatItSeals(t *testing.T) {
	p, _ := newTestPipeline(t, t.TempDir())
	r := genRecords(1, 1)[0]
	r.Actor.ID, r.Origin.Device = "kim\xff\xfeyo", "pc\xc3"
	x, err := p.NewPreparer().Prepare(r)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := record.Parse(x.Entry.Canonical)
	if err != nil {
		t.Fatal(err)
	}
	if want := store.EntryOf(&sealed); x.Entry.Actor != want.Actor || x.Entry.Device != want.Device || x.Entry.Actor != "kim\uFFFD\uFFFDyo" {
		t.Fatalf("indexed actor %q, device %q; sealed %q, %q", x.Entry.Actor, x.Entry.Device, want.Actor, want.Device)
	}
	if x.Record.Actor.ID != x.Entry.Actor {
		t.Fatalf("the record handed to detection says %q", x.Record.Actor.ID)
	}
}
