package breach_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/breach"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
)

// checkAgainst compares a report with the ground truth of the same scope.
func checkAgainst(t *testing.T, rep *breach.Report, tr truth) {
	t.Helper()
	if got, want := rep.Records, int64(len(tr.ids)); got != want {
		t.Errorf("records = %d, want %d", got, want)
	}
	if got, want := rep.Listed, int64(len(tr.subjects)); got != want {
		t.Errorf("listed subjects = %d, want %d", got, want)
	}
	if got, want := rep.Subjects, int64(len(tr.subjects))+tr.unlisted; got != want {
		t.Errorf("subjects = %d, want %d", got, want)
	}
	if !rep.First.Equal(tr.first) || !rep.Last.Equal(tr.last) {
		t.Errorf("first, last = %v, %v; want %v, %v", rep.First, rep.Last, tr.first, tr.last)
	}
	if len(rep.Systems) != len(tr.bySystem) {
		t.Errorf("systems = %+v, want %d systems", rep.Systems, len(tr.bySystem))
	}
	for _, s := range rep.Systems {
		if got, want := s.Listed, int64(len(tr.bySystem[s.System])); got != want {
			t.Errorf("system %s: listed %d, want %d", s.System, got, want)
		}
	}
	if len(rep.ByDay) != len(tr.byDay) {
		t.Errorf("by day = %+v, want %d days", rep.ByDay, len(tr.byDay))
	}
	for _, d := range rep.ByDay {
		if tr.unlisted == 0 {
			if got, want := d.Subjects, int64(len(tr.byDay[d.Day])); got != want {
				t.Errorf("day %s: %d subjects, want %d", d.Day, got, want)
			}
		}
	}
}

func TestImpactByScopeMatchesGroundTruth(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name  string
		scope breach.Scope
		match func(r *record.Record) bool
	}{
		{"forged key", breach.Scope{KeyID: "jwt-old"}, func(r *record.Record) bool { return r.Auth.KeyID == "jwt-old" }},
		{"one address", breach.Scope{IP: "45.76.12.34"}, func(r *record.Record) bool { return r.Origin.IP == "45.76.12.34" }},
		{"actor and key", breach.Scope{Actor: "api-gw", KeyID: "jwt-new"}, func(r *record.Record) bool { return r.Auth.KeyID == "jwt-new" }},
		{"actor, whole", breach.Scope{Actor: "api-gw"}, func(r *record.Record) bool { return r.Actor.ID == "api-gw" }},
		{"actor in a window", breach.Scope{Actor: "api-gw", From: time.Date(2026, 9, 3, 0, 0, 0, 0, kst), To: time.Date(2026, 9, 4, 0, 0, 0, 0, kst)},
			func(r *record.Record) bool {
				return r.Actor.ID == "api-gw" && !r.Time.Before(time.Date(2026, 9, 3, 0, 0, 0, 0, kst)) && r.Time.Before(time.Date(2026, 9, 4, 0, 0, 0, 0, kst))
			}},
		{"device", breach.Scope{Device: "FC-2"}, func(r *record.Record) bool { return r.Origin.Device == "FC-2" }},
		{"session", breach.Scope{Session: "s-kim", System: "crm"}, func(r *record.Record) bool { return r.Auth.Session == "s-kim" }},
		{"bulk exports", breach.Scope{Actor: "lee"}, func(r *record.Record) bool { return r.Actor.ID == "lee" }},
		{"window only", breach.Scope{From: time.Date(2026, 9, 5, 0, 0, 0, 0, kst)}, func(r *record.Record) bool { return !r.Time.Before(time.Date(2026, 9, 5, 0, 0, 0, 0, kst)) }},
		{"unknown actor", breach.Scope{Actor: "nobody"}, func(r *record.Record) bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkAgainst(t, f.impact(t, tc.scope), f.truth(tc.match))
		})
	}
}

// The forged-token scope, spelled out: the numbers an operator would read.
func TestImpactForgedTokenFigures(t *testing.T) {
	f := newFixture(t)
	rep := f.impact(t, breach.Scope{KeyID: "jwt-old"})
	if rep.Subjects != 1200 || rep.Records != 1250 || rep.Failed != 30 || rep.Unlisted != 0 || len(rep.NeedsEnumeration) != 0 {
		t.Fatalf("subjects %d records %d failed %d unlisted %d enum %v; want 1200, 1250, 30, 0, none", rep.Subjects, rep.Records, rep.Failed, rep.Unlisted, rep.NeedsEnumeration)
	}
	all, err := breach.Impact(context.Background(), f.db, breach.Scope{KeyID: "jwt-old"}, &breach.Options{IncludeFailed: true})
	if err != nil || all.Subjects != 1230 || all.Records != 1280 {
		t.Errorf("with failed reads: %d subjects in %d records (%v), want 1230 in 1280", all.Subjects, all.Records, err)
	}
	wantDays := []breach.DayImpact{{Day: "2026-09-02", Records: 400, Subjects: 400}, {Day: "2026-09-03", Records: 400, Subjects: 400}, {Day: "2026-09-04", Records: 450, Subjects: 450}}
	if !slices.Equal(rep.ByDay, wantDays) {
		t.Errorf("by day = %+v, want %+v", rep.ByDay, wantDays)
	}
	if len(rep.Systems) != 1 || rep.Systems[0].System != "member-api" || rep.Systems[0].Subjects != 1200 || !slices.Equal(rep.Systems[0].PII, []string{"phone"}) {
		t.Errorf("systems = %+v", rep.Systems)
	}
	// Payloads on every 100th customer: 12 in the first pass, customer 0 again.
	if rep.PII["phone"] != 13 {
		t.Errorf("pii = %v, want phone 13", rep.PII)
	}
	ip := f.impact(t, breach.Scope{KeyID: "jwt-old", IP: "149.28.3.77"})
	if ip.Subjects != 600 || ip.Records != 625 {
		t.Errorf("one of two addresses: %d subjects in %d records, want 600 in 625", ip.Subjects, ip.Records)
	}
}

func TestImpactCountsTruncatedBulkBySubjectCountAndFlagsIt(t *testing.T) {
	f := newFixture(t)
	rep := f.impact(t, breach.Scope{System: "billing"})
	if rep.Subjects != 5020 || rep.Listed != 70 || rep.Unlisted != 4950 {
		t.Fatalf("subjects %d (listed %d, unlisted %d), want 5020 (70, 4950)", rep.Subjects, rep.Listed, rep.Unlisted)
	}
	want := []breach.Enumeration{{System: "billing", Record: f.recs[slices.IndexFunc(f.recs, func(r record.Record) bool { return r.SubjectCount == 5000 })].ID, SubjectCount: 5000, Listed: 50}}
	if !slices.Equal(rep.NeedsEnumeration, want) {
		t.Errorf("needs enumeration = %+v, want %+v", rep.NeedsEnumeration, want)
	}
	if rep.PII["rrn"] != 5000 || rep.PII["phone"] != 5000 {
		t.Errorf("pii = %v", rep.PII)
	}
	if got := rep.UniqueIDs(); !slices.Equal(got, []string{"rrn"}) {
		t.Errorf("unique ids = %v, want [rrn]", got)
	}
	if len(rep.ByDay) != 1 || rep.ByDay[0].Subjects != 5020 {
		t.Errorf("by day = %+v", rep.ByDay)
	}
}

func TestImpactDeclaredContents(t *testing.T) {
	f := newFixture(t)
	rep, err := breach.Impact(context.Background(), f.db, breach.Scope{System: "crm"}, &breach.Options{Declared: map[string][]string{"crm": {"name", "rrn"}}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.PIIDeclared["rrn"] != 100 || rep.PIIDeclared["name"] != 100 || len(rep.PII) != 0 {
		t.Errorf("pii %v declared %v, want rrn and name declared for 100", rep.PII, rep.PIIDeclared)
	}
	if !slices.Equal(rep.UniqueIDs(), []string{"rrn"}) || !slices.Equal(rep.Systems[0].PII, []string{"name", "rrn"}) {
		t.Errorf("unique %v, system pii %v", rep.UniqueIDs(), rep.Systems[0].PII)
	}
}

func TestImpactOfAlertEvidence(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var evidence []string
	for _, r := range f.recs {
		if r.Origin.IP == "45.76.12.34" && r.Time.Before(time.Date(2026, 9, 3, 0, 0, 0, 0, kst)) {
			evidence = append(evidence, r.ID)
		}
	}
	tx, err := f.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a := &alert.Alert{ID: "a-many-customers", Rule: "many-customers-per-address", Severity: alert.High, Time: time.Date(2026, 9, 2, 9, 0, 0, 0, kst),
		LastTime: time.Date(2026, 9, 2, 18, 0, 0, 0, kst), System: "member-api", Records: evidence, RecordCount: len(evidence)}
	if err := tx.PutAlerts([]*alert.Alert{a}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rep := f.impact(t, breach.Scope{Alert: "a-many-customers"})
	checkAgainst(t, rep, f.truth(func(r *record.Record) bool { return slices.Contains(evidence, r.ID) }))
	if rep.Subjects != 200 || len(rep.Scope.Records) != 200 {
		t.Errorf("subjects %d, scope records %d; want 200, 200", rep.Subjects, len(rep.Scope.Records))
	}
	if _, err := breach.Impact(ctx, f.db, breach.Scope{Alert: "no-such"}, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown alert: %v, want ErrNotFound", err)
	}
	if _, err := breach.Impact(ctx, f.db, breach.Scope{}, nil); !errors.Is(err, breach.ErrEmptyScope) {
		t.Errorf("empty scope: %v, want ErrEmptyScope", err)
	}
}
