package breach_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/breach"
	"github.com/jikimi/jikimi/ingest"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/scenario"
	"github.com/jikimi/jikimi/store/sqlite"
	"github.com/jikimi/jikimi/subject"
)

// TestDemoMonthForgedTokenImpact ingests the demo month (about 470,000
// records) and checks the impact of the forged-token incident — everything
// signed with the departed developer's key — against the scenario's ground
// truth, then re-identifies the subjects and compares the list with it
// identifier by identifier.
func TestDemoMonthForgedTokenImpact(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests the demo month")
	}
	ctx := context.Background()
	ds := scenario.Generate(scenario.Config{})
	inc := ds.Incident("forged-tokens")
	if inc == nil || len(inc.AffectedSubjects) == 0 {
		t.Fatal("the demo month has no forged-token incident")
	}
	dataDir := t.TempDir()
	db, err := sqlite.Open(ctx, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keyer, err := subject.LoadKey(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := ds.LoadDirectory()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dir.Import(strings.NewReader(`{"kind":"person","id":"cpo","roles":["cpo"]}`+"\n"), "test"); err != nil {
		t.Fatal(err)
	}
	pipe, err := ingest.New(ctx, ingest.Config{Store: db, Keyer: keyer, Directory: dir, PII: ingest.CountPII,
		Period: func(t time.Time) string { return t.In(kst).Format("2006-01") }})
	if err != nil {
		t.Fatal(err)
	}
	defer pipe.Close()
	pr := pipe.NewPreparer()
	const batch = 10000
	for i := 0; i < len(ds.Records); i += batch {
		var ps []*ingest.Prepared
		for j := i; j < min(i+batch, len(ds.Records)); j++ {
			r := ds.Records[j]
			r.Subjects = slices.Clone(r.Subjects)
			p, err := pr.Prepare(&r)
			if err != nil {
				t.Fatalf("record %s: %v", r.ID, err)
			}
			ps = append(ps, p)
		}
		if _, err := pipe.Submit(ctx, ps); err != nil {
			t.Fatal(err)
		}
	}

	start := time.Now()
	rep, err := breach.Impact(ctx, db, breach.Scope{KeyID: "jwt-2022"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("impact over %d stored records: %d subjects in %d records (%d failed) in %v", len(ds.Records), rep.Subjects, rep.Records, rep.Failed, time.Since(start))
	if got, want := rep.Subjects, int64(len(inc.AffectedSubjects)); got != want {
		t.Errorf("subjects = %d, want the ground truth's %d", got, want)
	}
	if got, want := rep.Records+rep.Failed, int64(len(inc.RecordIDs)); got != want {
		t.Errorf("records + failed = %d, want the incident's %d", got, want)
	}
	if len(rep.Systems) != 1 || rep.Systems[0].System != "member-api" || len(rep.NeedsEnumeration) != 0 {
		t.Errorf("systems %+v, needs enumeration %v", rep.Systems, rep.NeedsEnumeration)
	}
	var byDay int64
	for _, d := range rep.ByDay {
		byDay += d.Records
	}
	// The incident starts with a read that may have failed; the first
	// exposure follows within the minute.
	if byDay != rep.Records || rep.First.Before(inc.Start) || rep.First.Sub(inc.Start) > time.Minute {
		t.Errorf("by day sums to %d of %d records; first %v, incident start %v", byDay, rep.Records, rep.First, inc.Start)
	}

	n := &breach.Notifier{Store: db, Sealed: db, Keyer: keyer, Directory: dir,
		Audit: func(context.Context, *record.Record) error { return nil }}
	opened, err := breach.Open("위조 토큰", inc.Start, inc.Start, "cpo", true, rep, breach.Notice{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := n.Notify(ctx, opened, "cpo", "ground truth", ds.Config.Start.AddDate(0, 0, ds.Config.Days))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(list.Subjects))
	for i, s := range list.Subjects {
		got[i] = s.Identifier
	}
	if !slices.Equal(got, inc.AffectedSubjects) {
		t.Errorf("re-identified %d subjects, want exactly the ground truth's %d", len(got), len(inc.AffectedSubjects))
	}
}
