package sqlite

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jikimi/jikimi/breach"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/subject"
)

func TestIncidentsAndHoldsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if holds, err := db.Holds(ctx); err != nil || len(holds) != 0 {
		t.Fatalf("fresh store: holds %v, %v", holds, err)
	}
	aware := time.Date(2026, 9, 3, 10, 0, 0, 0, kstBench)
	from := aware.AddDate(0, 0, -10)
	for i, scope := range []breach.Scope{{Actor: "dba.f", From: from}, {KeyID: "jwt-2022", To: aware}} {
		inc := &breach.Incident{Title: "t", AwareAt: aware, OpenedAt: aware.Add(time.Duration(i) * time.Hour), Scope: scope,
			Duties: breach.Duties(aware, 10, nil, false)}
		if err := db.CreateIncident(ctx, inc); err != nil {
			t.Fatal(err)
		}
		if inc.ID != int64(i+1) {
			t.Fatalf("incident id %d, want %d", inc.ID, i+1)
		}
	}
	db.Close()

	db, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	incs, err := db.Incidents(ctx)
	if err != nil || len(incs) != 2 || incs[0].ID != 2 || incs[1].ID != 1 {
		t.Fatalf("incidents (newest first): %+v, %v", incs, err)
	}
	holds, err := db.Holds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []breach.Hold{
		{Incident: 1, Scope: breach.Scope{Actor: "dba.f", From: from}, From: from, PlacedAt: aware},
		{Incident: 2, Scope: breach.Scope{KeyID: "jwt-2022", To: aware}, To: aware, PlacedAt: aware.Add(time.Hour)},
	}
	if len(holds) != 2 {
		t.Fatalf("holds %+v", holds)
	}
	for i := range want {
		h, w := holds[i], want[i]
		if h.Incident != w.Incident || h.Scope.Actor != w.Scope.Actor || h.Scope.KeyID != w.Scope.KeyID ||
			!h.From.Equal(w.From) || !h.To.Equal(w.To) || !h.PlacedAt.Equal(w.PlacedAt) || !h.Scope.From.Equal(w.Scope.From) {
			t.Errorf("hold %d = %+v, want %+v", i, h, w)
		}
	}
	boom := errors.New("boom")
	if err := db.UpdateIncident(ctx, 1, func(inc *breach.Incident) error {
		inc.Title = "changed"
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("update error %v", err)
	}
	if inc, _ := db.Incident(ctx, 1); inc.Title != "t" {
		t.Errorf("a failed update changed the incident: %q", inc.Title)
	}
	if err := db.UpdateIncident(ctx, 7, func(*breach.Incident) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a missing incident: %v", err)
	}
}

// ImpactRows must read key id, device, session, listed subjects, PII and
// status from the canonical bytes exactly, whatever else the JSON holds.
func TestImpactRowsFiltersOnCanonicalFields(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	k, err := subject.NewKeyer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 9, 1, 9, 0, 0, 0, kstBench)
	recs := []record.Record{
		{ID: "a", Auth: record.Auth{KeyID: "k1", Session: "s1"}, Subjects: []string{"X1"}},
		{ID: "b", Auth: record.Auth{KeyID: "k2"}, Origin: record.Origin{Device: "d1"}, Subjects: []string{"X1", "X2"}, SubjectCount: 9},
		{ID: "c", Auth: record.Auth{KeyID: "k1"}, Detail: `"pii":{"rrn":1} "status":"error"`, Attrs: map[string]string{"status": "x"}},
		{ID: "d", Auth: record.Auth{KeyID: "k1"}, PII: map[string]int64{"rrn": 3}, Result: record.Result{Status: "denied"}, Subjects: []string{"X3"}},
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var es []store.Entry
	for i := range recs {
		r := &recs[i]
		r.Time, r.System, r.Actor, r.Action = t0.Add(time.Duration(i)*time.Minute), "crm", record.Actor{ID: "u"}, record.View
		var refs []store.SubjectRef
		for j, s := range r.Subjects {
			p := k.Of(s)
			refs = append(refs, store.SubjectRef{Pseudonym: p, Sealed: k.Seal(p, s)})
			r.Subjects[j] = p.String()
		}
		es = append(es, store.Entry{ID: r.ID, Time: r.Time, System: r.System, Actor: "u", Action: "view", Rows: -1, Bytes: -1,
			KeyID: r.Auth.KeyID, Device: r.Origin.Device, Session: r.Auth.Session,
			SubjectCount: r.SubjectTotal(), Subjects: refs, Canonical: r.AppendCanonical(nil), Period: "2026-09"})
	}
	if _, err := tx.Insert(pointers(es)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rows := func(f breach.Filter) map[string]breach.Row {
		out := map[string]breach.Row{}
		if err := db.ImpactRows(ctx, store.Query{Actor: "u"}, f, func(r *breach.Row) error { out[r.ID] = *r; return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	ids := func(m map[string]breach.Row) []string {
		var out []string
		for id := range m {
			out = append(out, id)
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		f    breach.Filter
		want []string
	}{
		{breach.Filter{KeyID: "k1"}, []string{"a", "c", "d"}},
		{breach.Filter{Device: "d1"}, []string{"b"}},
		{breach.Filter{Session: "s1", KeyID: "k1"}, []string{"a"}},
		{breach.Filter{IDs: []string{"b", "d", "zz"}}, []string{"b", "d"}},
		{breach.Filter{IDs: []string{}}, nil},
	} {
		if got := ids(rows(tc.f)); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.f, got, tc.want)
		}
	}
	all := rows(breach.Filter{})
	if r := all["b"]; r.Listed != 2 || r.SubjectCount != 9 || r.Subjects.GetCardinality() != 2 || !r.Truncated() {
		t.Errorf("b: listed %d of %d", r.Listed, r.SubjectCount)
	}
	if r := all["c"]; r.PII != nil || r.Status != "" || r.Listed != 0 || r.Subjects != nil {
		t.Errorf("c (look-alikes in detail and attrs): %+v", r)
	}
	if r := all["d"]; r.PII["rrn"] != 3 || r.Status != "denied" || !r.Failed() || r.Listed != 1 {
		t.Errorf("d: %+v", r)
	}
	if got := rows(breach.Filter{}); len(got) != 4 {
		t.Errorf("no filter: %d rows", len(got))
	}
	n := 0
	if err := db.ImpactRows(ctx, store.Query{Actor: "nobody"}, breach.Filter{}, func(*breach.Row) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("unknown actor: %d rows, %v", n, err)
	}
}
