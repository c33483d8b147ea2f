package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/subject"
)

func entry(i int, t time.Time, actor string) store.Entry {
	return store.Entry{
		ID: fmt.Sprintf("e%05d", i), Time: t, System: "crm", Actor: actor, Action: "view",
		IP: "10.0.0.1", Rows: -1, Bytes: -1, Canonical: []byte(fmt.Sprintf(`{"n":%d}`, i)), Period: t.UTC().Format("2006-01"),
	}
}

// pointers returns pointers to es's entries, as Insert takes them.
func pointers(es []store.Entry) []*store.Entry {
	out := make([]*store.Entry, len(es))
	for i := range es {
		out[i] = &es[i]
	}
	return out
}

func insert(t *testing.T, db *DB, es []store.Entry) []bool {
	t.Helper()
	tx, err := db.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := tx.Insert(pointers(es))
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestSameMillisecondRecordsAllStoredInTimeOrder(t *testing.T) {
	db, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	var es []store.Entry
	for i := range 3000 { // thousands in one millisecond force key collisions
		es = append(es, entry(i, t0, "kim"))
	}
	es = append(es, entry(9999, t0.Add(-time.Hour), "kim")) // late arrival
	es = append(es, es[0])                                  // repeated within the batch
	got := insert(t, db, es)
	if got[len(got)-1] || !got[0] {
		t.Fatalf("inserted flags: first %v, repeat %v; want true, false", got[0], got[len(got)-1])
	}
	ctx := context.Background()
	if n, _ := db.Count(ctx, store.Query{}); n != 3001 {
		t.Fatalf("Count()=%d, want 3001", n)
	}
	recs, err := db.Records(ctx, store.Query{Actor: "kim", From: t0.Add(-2 * time.Hour), To: t0.Add(-time.Minute)})
	if err != nil || len(recs) != 1 || recs[0].ID != "e09999" {
		t.Fatalf("time range found %d records (%v), want the late one", len(recs), err)
	}
	recs, _ = db.Records(ctx, store.Query{Limit: 5})
	if len(recs) != 5 || !recs[0].Time.Equal(t0) {
		t.Fatalf("newest first: got %v", recs[0].Time)
	}
	if n, _ := db.Count(ctx, store.Query{Actor: "nobody"}); n != 0 {
		t.Fatalf("unknown actor matched %d records", n)
	}
}

func TestUnsealedUntilSetSeals(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 9, 30, 23, 59, 0, 0, time.UTC)
	insert(t, db, []store.Entry{entry(1, t0, "a"), entry(2, t0.Add(2*time.Minute), "a"), entry(3, t0, "b")})
	db.Close()

	// Reopen as after a crash between commit and seal.
	db, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	un, err := db.Unsealed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(un) != 2 || un[0].Period != "2026-09" || len(un[0].Records) != 2 || un[1].Period != "2026-10" {
		t.Fatalf("Unsealed()=%+v, want 2 batches-periods (2026-09 with 2 records, 2026-10)", un)
	}
	if un[0].Records[0].ID != "e00001" || un[0].Records[1].ID != "e00003" || un[0].Records[1].Seal.Ord != 1 {
		t.Fatalf("unsealed records not in ordinal order: %+v", un[0].Records)
	}
	if err := db.SetSeals(ctx, un[0].Batch, map[string][]byte{"2026-09": {1}, "2026-10": {2}}); err != nil {
		t.Fatal(err)
	}
	if un, _ := db.Unsealed(ctx); len(un) != 0 {
		t.Fatalf("still unsealed after SetSeals: %+v", un)
	}
	if pos, err := db.SealPositions(ctx, 1, "2026-10"); err != nil || len(pos) != 1 || pos[0] != 2 {
		t.Fatalf("SealPositions=%v, %v", pos, err)
	}
	// The next batch gets a new number.
	tx, _ := db.Begin(ctx)
	if tx.Batch() != 2 {
		t.Fatalf("next batch %d, want 2", tx.Batch())
	}
	tx.Rollback()
}

func TestSubjectsAndAlerts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	k, _ := subject.LoadKey(dir)
	ref := func(id string) store.SubjectRef {
		p := k.Of(id)
		return store.SubjectRef{Pseudonym: p, Sealed: k.Seal(p, id)}
	}
	t0 := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	a, b := entry(1, t0, "kim"), entry(2, t0, "lee")
	a.Subjects = []store.SubjectRef{ref("C1"), ref("C2")}
	b.Subjects = []store.SubjectRef{ref("C2"), ref("C3")}
	tx, _ := db.Begin(ctx)
	if _, err := tx.Insert([]*store.Entry{&a, &b}); err != nil {
		t.Fatal(err)
	}
	al := &alert.Alert{ID: "x1", Rule: "bulk", Severity: alert.High, Time: t0, LastTime: t0, Records: []string{"e00001"}, RecordCount: 1}
	if err := tx.PutAlerts([]*alert.Alert{al}); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	set, err := db.SubjectSet(ctx, store.Query{})
	if err != nil || set.GetCardinality() != 3 {
		t.Fatalf("SubjectSet(all)=%d, %v; want 3", set.GetCardinality(), err)
	}
	p := k.Of("C2")
	if recs, _ := db.Records(ctx, store.Query{Subject: &p}); len(recs) != 2 {
		t.Fatalf("records of C2: %d, want 2", len(recs))
	}
	var revealed []string
	err = db.SealedSubjects(ctx, set.ToArray(), func(_ uint32, p subject.Pseudonym, sealed []byte) error {
		id, err := k.Reveal(p, sealed)
		revealed = append(revealed, id)
		return err
	})
	if err != nil || fmt.Sprint(revealed) != "[C1 C2 C3]" {
		t.Fatalf("revealed %v, %v", revealed, err)
	}
	got, err := db.Alerts(ctx, store.AlertQuery{Rule: "bulk"})
	if err != nil || len(got) != 1 || got[0].Severity != alert.High {
		t.Fatalf("Alerts=%+v, %v", got, err)
	}
}
