package sqlite

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/store/block"
)

func scanAll(t *testing.T, db *DB) ([]store.Stored, []error) {
	t.Helper()
	var recs []store.Stored
	var errs []error
	for r, err := range db.Scan(context.Background(), store.ScanOptions{}) {
		if err != nil && !errors.Is(err, store.ErrUnreadable) {
			t.Fatal(err)
		}
		recs, errs = append(recs, r), append(errs, err)
	}
	return recs, errs
}

func TestScanYieldsSealOrderWithHashes(t *testing.T) {
	db, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sep, oct := time.Date(2026, 9, 30, 12, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	n := 0
	for batch := range 3 {
		var es []store.Entry
		for i := range 700 { // more than a block's worth of each period
			tm := sep
			if i%3 == 0 {
				tm = oct
			}
			es = append(es, entry(n, tm.Add(time.Duration(i)*time.Second), "kim"))
			n++
		}
		insert(t, db, es)
		_ = batch
	}
	recs, errs := scanAll(t, db)
	if len(recs) != n {
		t.Fatalf("Scan yielded %d records, want %d", len(recs), n)
	}
	next := map[store.SealRef]int{}
	for i, r := range recs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		var idx int
		fmt.Sscanf(r.ID, "e%05d", &idx)
		if r.Hash != record.HashOf(entry(idx, sep, "kim").Canonical) {
			t.Fatalf("record %s: Hash is not the SHA-256 of its bytes", r.ID)
		}
		k := store.SealRef{Batch: r.Seal.Batch, Period: r.Seal.Period}
		if r.Seal.Ord != next[k] {
			t.Fatalf("record %d (%s): ordinal %d in batch %d period %s, want %d", i, r.ID, r.Seal.Ord, k.Batch, k.Period, next[k])
		}
		next[k]++
		if i > 0 && r.Seal.Batch < recs[i-1].Seal.Batch {
			t.Fatalf("batch %d after batch %d", r.Seal.Batch, recs[i-1].Seal.Batch)
		}
	}
	if len(next) != 6 || next[store.SealRef{Batch: 2, Period: "2026-10"}] != 234 {
		t.Fatalf("ordinals per batch and period: %v", next)
	}
}

func TestRetentionLeavesTombstonesThatScanYields(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)
	var es []store.Entry
	for i := range 1200 {
		es = append(es, entry(i, t0.Add(time.Duration(i)*time.Hour), fmt.Sprintf("u%d", i%4)))
	}
	insert(t, db, es)
	old, err := db.RecordsBefore(ctx, "crm", t0.Add(600*time.Hour), 0, 250)
	if err != nil || len(old) != 250 {
		t.Fatalf("RecordsBefore: %d, %v", len(old), err)
	}
	page2, err := db.RecordsBefore(ctx, "crm", t0.Add(600*time.Hour), old[len(old)-1].Seq, 1000)
	if err != nil || len(page2) != 350 || page2[0].Seq <= old[len(old)-1].Seq {
		t.Fatalf("second page: %d records, %v", len(page2), err)
	}
	doomed := append(old, page2...)
	if err := db.DeleteRecords(ctx, doomed, "retention", time.Now()); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Count(ctx, store.Query{}); n != 600 {
		t.Fatalf("Count after deleting 600 of 1200: %d", n)
	}
	if n, _ := db.Count(ctx, store.Query{Actor: "u1"}); n != 150 {
		t.Fatalf("Count(u1) after deletion: %d, want 150", n)
	}
	if _, err := db.Record(ctx, doomed[7].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Record of a deleted record: %v, want ErrNotFound", err)
	}
	if got := insert(t, db, []store.Entry{es[3]}); got[0] {
		t.Fatal("a deleted record's id was stored again")
	}
	recs, _ := scanAll(t, db)
	deleted := 0
	for _, r := range recs {
		if !r.Deleted {
			continue
		}
		deleted++
		var i int
		fmt.Sscanf(r.ID, "e%05d", &i)
		if r.Canonical != nil || r.Hash != record.HashOf(es[i].Canonical) {
			t.Fatalf("tombstone of %s: hash %s, want the hash of its bytes", r.ID, r.Hash)
		}
	}
	if deleted != 600 {
		t.Fatalf("Scan yielded %d tombstones, want 600", deleted)
	}
}

func TestScanNamesUnreadableRecords(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	var es []store.Entry
	for i := range 2 * block.MaxRecords {
		e := entry(i, t0.Add(time.Duration(i)*time.Second), "kim")
		e.Canonical = fmt.Appendf(nil, `{"id":"e%05d","detail":"%0400d"}`, i, i) // 400 bytes: several frames a block
		es = append(es, e)
	}
	insert(t, db, es)
	// Damage the last frame of block 1 and the cols of block 2.
	if _, err := db.db.ExecContext(ctx, `UPDATE block_data SET canon = substr(canon, 1, length(canon)-4) || x'00000000' WHERE num = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.ExecContext(ctx, `UPDATE block_data SET cols = x'0000' || substr(cols, 3) WHERE num = 2`); err != nil {
		t.Fatal(err)
	}
	recs, errs := scanAll(t, db)
	var named, fine, whole int
	for i, r := range recs {
		switch {
		case errs[i] == nil:
			fine++
		case r.ID != "":
			named++
		default:
			whole++
			if r.Seal.Ord != block.MaxRecords || r.Seal.Period != "2026-09" {
				t.Fatalf("unreadable block reported at %+v, want its first ordinal %d", r.Seal, block.MaxRecords)
			}
		}
	}
	if named == 0 || fine+named != block.MaxRecords || whole != 1 {
		t.Fatalf("%d readable, %d named unreadable, %d whole blocks unreadable", fine, named, whole)
	}
}
