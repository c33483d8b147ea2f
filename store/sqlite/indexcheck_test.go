package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/store/block"
	"github.com/jikimi/jikimi/subject"
)

func TestFingerprintsAreOrderFreeAndTellMultisetsApart(t *testing.T) {
	f := newFingerprints()
	pairs := []pair{{termKey(termActor, 3), 1, 5}, {termKey(termIP, 1<<40), 1, 1}, {termKey(termSubject, 9), 1, 2}}
	of := func(ps ...pair) uint64 {
		acc := uint64(1)
		for _, p := range ps {
			acc = f.add(acc, p.key, p.count)
		}
		return acc
	}
	if of(pairs...) != of(pairs[2], pairs[0], pairs[1]) {
		t.Fatal("the fingerprint depends on the order of the pairs")
	}
	moreCount := pairs[0]
	moreCount.count++
	for _, other := range [][]pair{pairs[:2], {moreCount, pairs[1], pairs[2]}, append(slices.Clone(pairs), pairs[0])} {
		if of(pairs...) == of(other...) {
			t.Fatalf("%v and %v share a fingerprint", pairs, other)
		}
	}
	if got := mulmod(fieldPrime-1, fieldPrime-1); got != 1 { // (−1)² = 1
		t.Fatalf("mulmod(p−1, p−1) = %d", got)
	}
}

// realEntries prepares n records the way the pipeline does: canonical
// bytes with pseudonymised subjects, indexed fields taken from them.
func realEntries(t *testing.T, n int) []store.Entry {
	k, err := subject.NewKeyer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	var es []store.Entry
	for i := range n {
		line := fmt.Sprintf(`{"id":"r%05d","time":%q,"system":"crm","actor":{"id":"u%d"},"action":"view","origin":{"ip":"10.0.0.%d"},"subjects":["C%d","C%d"]}`,
			i, t0.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), i%5, i%7, i, i%100)
		r, err := record.Parse([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		var refs []store.SubjectRef
		for j, id := range r.Subjects {
			p := k.Of(id)
			refs = append(refs, store.SubjectRef{Pseudonym: p, Sealed: k.Seal(p, id)})
			r.Subjects[j] = p.String()
		}
		e := store.EntryOf(&r)
		e.Subjects, e.Canonical, e.Period = refs, r.AppendCanonical(nil), "2026-09"
		es = append(es, e)
	}
	return es
}

// indexFindings opens the store in dir and returns what an index-checking
// Scan reports.
func indexFindings(t *testing.T, dir string) []string {
	t.Helper()
	db, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, err := range db.Scan(context.Background(), store.ScanOptions{Index: true}) {
		if err != nil {
			if !errors.Is(err, store.ErrMisindexed) {
				t.Fatal(err)
			}
			out = append(out, err.Error())
		}
	}
	return out
}

func TestIndexCheckNamesWhatHidesRecords(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	es := realEntries(t, 2500)
	insert(t, db, es[:1500])
	// Records deleted by retention leave their postings behind: a block
	// with tombstones must still pass.
	old, err := db.RecordsBefore(ctx, "crm", es[10].Time, 0, 100)
	if err != nil || len(old) != 10 {
		t.Fatalf("RecordsBefore: %d, %v", len(old), err)
	}
	if err := db.DeleteRecords(ctx, old, "retention", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil { // flushes the term index's tail into a run
		t.Fatal(err)
	}
	if db, err = Open(ctx, dir); err != nil {
		t.Fatal(err)
	}
	insert(t, db, es[1500:]) // these stay in the tail
	crash(db)                // as a kill would leave it: the tail is rebuilt on open
	if got := indexFindings(t, dir); len(got) != 0 {
		t.Fatalf("a clean store: %q", got)
	}

	tests := []struct {
		name, want string
		tamper     func(db *sql.DB)
	}{
		{"an actor changed in a block's head", "record r01234 in block 2: actor indexed as \"u0\", sealed as \"u4\"", func(db *sql.DB) {
			editBlock(t, db, 2, func(recs []block.Record) {
				i := slices.IndexFunc(recs, func(r block.Record) bool { return r.ID == "r01234" })
				recs[i].Actor = recs[1].Actor // r01025's, u0
			})
		}},
		{"a subject dropped from a record's set", "record r00500 in block 1: subjects indexed as 1 data subjects, sealed as 2", func(db *sql.DB) {
			editBlock(t, db, 1, func(recs []block.Record) {
				i := slices.IndexFunc(recs, func(r block.Record) bool { return r.ID == "r00500" })
				recs[i].Subjects = recs[i-1].Subjects[:0:0]
				recs[i].Subjects = append(recs[i].Subjects, listTag, 1)
			})
		}},
		{"a block's time range narrowed", "record r01024 in block 2: its block's time range leaves it out", func(db *sql.DB) {
			exec1(t, db, `UPDATE blocks SET t_min = t_min + 1 WHERE num = 2`)
		}},
		{"a posting dropped from the term index", "term index, block 2: no posting for the actor term that 95 of its records have", func(db *sql.DB) {
			dropPosting(t, db, 2, "u3")
		}},
		{"a posting dropped for a block with tombstones", "term index, block 1: no posting for the actor term that 203 of its records have", func(db *sql.DB) {
			dropPosting(t, db, 1, "u3")
		}},
		{"the term index's watermark moved past unindexed blocks", "term index, block 3: no posting", func(db *sql.DB) {
			exec1(t, db, `UPDATE meta SET value = 3 WHERE key = 'indexed_block'`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := t.TempDir()
			if err := exec.Command("cp", "-a", dir+"/.", d).Run(); err != nil {
				t.Fatal(err)
			}
			raw, err := sql.Open("sqlite", filepath.Join(d, File))
			if err != nil {
				t.Fatal(err)
			}
			tt.tamper(raw)
			raw.Close()
			got := indexFindings(t, d)
			if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, tt.want) }) {
				t.Fatalf("want a finding with %q, got %q", tt.want, got)
			}
		})
	}
}

func exec1(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	res, err := db.Exec(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%s: %d rows", query, n)
	}
}

// editBlock rewrites block num's head and cols, leaving its sealed
// canonical bytes as they are.
func editBlock(t *testing.T, db *sql.DB, num int, edit func([]block.Record)) {
	t.Helper()
	var sec block.Sections
	if err := db.QueryRow(`SELECT head, cols, canon FROM block_data WHERE num = ?`, num).Scan(&sec.Head, &sec.Cols, &sec.Canon); err != nil {
		t.Fatal(err)
	}
	recs, err := block.Decode(sec)
	if err != nil {
		t.Fatal(err)
	}
	edit(recs)
	out, err := block.Encode(recs)
	if err != nil {
		t.Fatal(err)
	}
	exec1(t, db, `UPDATE block_data SET head = ?, cols = ? WHERE num = ?`, out.Head, out.Cols, num)
}

// dropPosting removes from the term index's runs the posting of actor's
// term for block num.
func dropPosting(t *testing.T, db *sql.DB, num uint32, actor string) {
	t.Helper()
	rows, err := db.Query(`SELECT first, data FROM name_chunks ORDER BY first`)
	if err != nil {
		t.Fatal(err)
	}
	var actorNum uint32
	for rows.Next() {
		var first uint32
		var data []byte
		rows.Scan(&first, &data)
		for n := first; len(data) > 0; n++ {
			l := int(data[1]) // names here are short: one-byte length
			if int(data[0]) == kindActor && string(data[2:2+l]) == actor {
				actorNum = n
			}
			data = data[2+l:]
		}
	}
	rows.Close()
	key := termKey(termActor, uint64(actorNum))
	rows, err = db.Query(`SELECT id, data FROM term_chunks`)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	var ps []pair
	found := false
	for rows.Next() && !found {
		var data []byte
		rows.Scan(&id, &data)
		if ps, err = decodeChunk(nil, data); err != nil {
			t.Fatal(err)
		}
		n := len(ps)
		ps = slices.DeleteFunc(ps, func(p pair) bool { return p.key == key && p.block == num })
		found = len(ps) < n
	}
	rows.Close()
	if !found {
		t.Fatalf("no posting of actor %s (%d) for block %d in the runs", actor, actorNum, num)
	}
	exec1(t, db, `UPDATE term_chunks SET data = ? WHERE id = ?`, appendChunk(nil, ps), id)
}
