package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
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

// prepared is the entry of a JSON line as the pipeline prepares it:
// subjects pseudonymised, canonical bytes, indexed fields taken from them.
func prepared(t *testing.T, k *subject.Keyer, line, period string) store.Entry {
	t.Helper()
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
	r.SubjectCount = max(r.SubjectCount, int64(len(r.Subjects)))
	e := store.EntryOf(&r)
	e.Subjects, e.Canonical, e.Period = refs, r.AppendCanonical(nil), period
	return e
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
		es = append(es, prepared(t, k, line, "2026-09"))
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
		// Two findings about one record, or one about its block, are one
		// error: neither may hide the other.
		{"a record's actor and its block's time range", `record r01024 in block 2: actor indexed as "u0", sealed as "u4"; its block's time range leaves it out`, func(db *sql.DB) {
			editBlock(t, db, 2, func(recs []block.Record) { recs[0].Actor = recs[1].Actor })
			exec1(t, db, `UPDATE blocks SET t_min = t_min + 1 WHERE num = 2`)
		}},
		{"a block's first record and its live count", `record r01024 in block 2: actor indexed as "u0", sealed as "u4"; the blocks table says 476 records, 475 live`, func(db *sql.DB) {
			editBlock(t, db, 2, func(recs []block.Record) { recs[0].Actor = recs[1].Actor })
			exec1(t, db, `UPDATE blocks SET live = 475 WHERE num = 2`)
		}},
		// In a block with tombstones the record ids' postings are exact:
		// a deleted record keeps its id.
		{"a record id's posting dropped for a block with tombstones", "term index, block 1: no posting for the record id term that 1 of its records have", func(db *sql.DB) {
			dropPostings(t, db, func(p pair) bool { return p.key == hashTermString(termID, "r00003") })
		}},
		{"a tombstone's id posting dropped", "term index, block 1: no posting for the record id term", func(db *sql.DB) {
			dropPostings(t, db, func(p pair) bool { return p.key == hashTermString(termID, "r00002") })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tampered(t, dir, tt.tamper)
			if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, tt.want) }) {
				t.Fatalf("want a finding with %q, got %q", tt.want, got)
			}
		})
	}

	// A chunk of a run moved wholesale to a block that does not exist is
	// one finding for that block, not one a posting.
	t.Run("postings for a block that does not exist", func(t *testing.T) {
		moved := 0
		got := tampered(t, dir, func(db *sql.DB) {
			var id int64
			var data []byte
			if err := db.QueryRow(`SELECT id, data FROM term_chunks ORDER BY id LIMIT 1`).Scan(&id, &data); err != nil {
				t.Fatal(err)
			}
			ps, err := decodeChunk(nil, data)
			if err != nil {
				t.Fatal(err)
			}
			for i := range ps {
				ps[i].block = 9999
			}
			moved = len(ps)
			exec1(t, db, `UPDATE term_chunks SET data = ? WHERE id = ?`, appendChunk(nil, ps), id)
		})
		stray := slices.DeleteFunc(slices.Clone(got), func(s string) bool { return !strings.Contains(s, "block 9999") })
		if len(stray) != 1 || !strings.Contains(stray[0], fmt.Sprintf("%d postings for a block that does not exist", moved)) {
			t.Fatalf("findings for block 9999: %q", stray)
		}
	})
}

// tampered copies the store in dir, edits the copy with tamper and returns
// what an index-checking Scan of it reports.
func tampered(t *testing.T, dir string, tamper func(*sql.DB)) []string {
	t.Helper()
	d := t.TempDir()
	if err := exec.Command("cp", "-a", dir+"/.", d).Run(); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", filepath.Join(d, File))
	if err != nil {
		t.Fatal(err)
	}
	tamper(raw)
	raw.Close()
	return indexFindings(t, d)
}

// dropPostings removes from the term index's runs the pairs drop selects.
func dropPostings(t *testing.T, db *sql.DB, drop func(pair) bool) {
	t.Helper()
	rows, err := db.Query(`SELECT id, data FROM term_chunks`)
	if err != nil {
		t.Fatal(err)
	}
	edits := map[int64][]byte{}
	for rows.Next() {
		var id int64
		var data []byte
		rows.Scan(&id, &data)
		ps, err := decodeChunk(nil, data)
		if err != nil {
			t.Fatal(err)
		}
		if kept := slices.DeleteFunc(ps, drop); len(kept) < len(ps) {
			edits[id] = appendChunk(nil, kept)
		}
	}
	rows.Close()
	if len(edits) == 0 {
		t.Fatal("no posting to drop in the runs")
	}
	for id, data := range edits {
		exec1(t, db, `UPDATE term_chunks SET data = ? WHERE id = ?`, data, id)
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

// wideEntries prepares n records like realEntries, from number first on,
// with every indexed field used: some records repeat a subject, every
// 40th has 100 subjects (a roaring set), and every third falls in the
// next month, so that a batch writes blocks of two periods.
func wideEntries(t *testing.T, first, n int) []store.Entry {
	k, err := subject.NewKeyer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	var es []store.Entry
	for i := first; i < first+n; i++ {
		tm := t0.Add(time.Duration(i) * time.Second)
		if i%3 == 0 {
			tm = tm.AddDate(0, 1, 0)
		}
		subjects := []string{fmt.Sprintf("C%d", i%300), fmt.Sprintf("C%d", i%300)}
		if i%40 == 0 {
			subjects = nil
			for j := range 100 {
				subjects = append(subjects, fmt.Sprintf("W%d", (i+j)%400))
			}
		}
		list, _ := json.Marshal(subjects)
		line := fmt.Sprintf(`{"id":"w%06d","time":%q,"system":"s%d","actor":{"id":"u%d"},"action":"view","origin":{"ip":"10.0.%d.%d","device":"d%d"},"auth":{"session":"x%d","key_id":"k%d"},"result":{"rows":%d,"bytes":%d},"subjects":%s}`,
			i, tm.Format(time.RFC3339Nano), i%3, i%17, i%5, i%11, i%13, i%29, i%4, i%7, i*3, list)
		es = append(es, prepared(t, k, line, tm.Format("2006-01")))
	}
	return es
}

// TestIndexCheckPassesWhileRecordsComeIn runs index verification, as the
// review report does in a serving process, while batches are written,
// flushed and merged: blocks committed after the scan's snapshot and a
// tail flushed under it are no findings.
func TestIndexCheckPassesWhileRecordsComeIn(t *testing.T) {
	ctx := context.Background()
	db := openSmallIndex(t, t.TempDir(), 1500, 2)
	defer db.Close()
	insert(t, db, wideEntries(t, 0, 3000))
	done := make(chan error)
	go func() {
		for b := range 200 {
			tx, err := db.Begin(ctx)
			if err == nil {
				_, err = tx.Insert(pointers(wideEntries(t, 3000+100*b, 100)))
				err = errors.Join(err, tx.Commit())
			}
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	scans := 0
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d scans", scans)
			return
		default:
		}
		scans++
		for _, err := range db.Scan(ctx, store.ScanOptions{Index: true}) {
			if err != nil {
				<-done
				t.Fatalf("scan %d: %v", scans, err)
			}
		}
	}
}

// indexScan runs an index-checking scan of blocks, a snapshot db took
// earlier, as Scan does, and returns its findings.
func indexScan(t *testing.T, db *DB, blocks []blockMeta) []string {
	t.Helper()
	ctx := context.Background()
	ic, err := db.newIndexCheck(ctx, blocks)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	collect := func(_ store.Stored, err error) bool {
		if err != nil {
			if !errors.Is(err, store.ErrMisindexed) {
				t.Fatal(err)
			}
			out = append(out, err.Error())
		}
		return true
	}
	for r, err := range db.scan(ctx, blocks, 1, ic) {
		collect(r, err)
	}
	ic.finish(ctx, collect)
	return out
}

// A search holds a snapshot of the blocks; so does verification. Blocks
// committed after it are in the term index but not the scan's to check.
func TestIndexCheckIgnoresBlocksCommittedAfterItsSnapshot(t *testing.T) {
	db, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	insert(t, db, wideEntries(t, 0, 2000))
	blocks := db.snapshot()
	insert(t, db, wideEntries(t, 2000, 500))
	if got := indexScan(t, db, blocks); len(got) != 0 {
		t.Fatalf("a clean store: %d findings, the first %q", len(got), got[0])
	}
}

// storedPairs derives the term index's pairs of blocks 1 to n from their
// heads and cols, as the writer computed them.
func storedPairs(t *testing.T, db *DB, n uint32) []pair {
	t.Helper()
	var out []pair
	for num := uint32(1); num <= n; num++ {
		var sec block.Sections
		if err := db.db.QueryRow(`SELECT head, cols FROM block_data WHERE num = ?`, num).Scan(&sec.Head, &sec.Cols); err != nil {
			t.Fatal(err)
		}
		recs, err := block.Decode(sec)
		if err != nil {
			t.Fatal(err)
		}
		bp, err := blockTerms(recs)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, flatten(&bp, num)...)
	}
	slices.SortFunc(out, cmpPair)
	return out
}

// While verification reads the term index, ingest goes on: the tail is
// flushed into a run and refilled, and runs are merged and deleted. The
// index is read as it was when the read began, and the read keeps neither
// merges nor, through them, writers waiting.
func TestIndexCheckReadsTheIndexAsItWasWhileItChanges(t *testing.T) {
	ctx := context.Background()
	db := openSmallIndex(t, t.TempDir(), 3000, 2)
	defer db.Close()
	for b := range 4 {
		insert(t, db, wideEntries(t, 1000*b, 1000))
	}
	insert(t, db, wideEntries(t, 4000, 300)) // stays in the tail
	blocks := db.snapshot()
	db.mu.RLock()
	runs, tail := len(db.terms.runs), len(db.terms.tailKeys)
	db.mu.RUnlock()
	if runs == 0 || tail == 0 {
		t.Fatalf("%d runs, tail of %d pairs: want both", runs, tail)
	}
	want := storedPairs(t, db, uint32(len(blocks)))

	ic := &indexCheck{s: db, blocks: blocks}
	var got []pair
	changed := false
	err := ic.eachPair(ctx, func(p pair) {
		if !changed {
			changed = true
			done := make(chan struct{})
			go func() {
				defer close(done)
				for b := range 6 { // flushes the tail, refills it, merges
					insert(t, db, wideEntries(t, 5000+1000*b, 1000))
				}
				settle(t, db)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Error("writes and merges wait while the index is read")
			}
		}
		if int(p.block) <= len(blocks) {
			got = append(got, p)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, cmpPair)
	if !slices.Equal(got, want) {
		t.Fatalf("read %d pairs of the first %d blocks, want %d", len(got), len(blocks), len(want))
	}
}

// A clean store passes whatever its term index went through: flushes and
// merges two levels deep, retention in blocks already in runs and in
// blocks still in the tail, a crash that loses the tail (rebuilt on open
// from blocks with tombstones), records with a repeated subject, with 100
// subjects, of two periods in one batch.
func TestIndexCheckPassesCleanStores(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *DB { return openSmallIndex(t, dir, 2000, 2) }
	check := func(db *DB, when string) {
		t.Helper()
		var got []string
		for _, err := range db.Scan(ctx, store.ScanOptions{Index: true}) {
			if err != nil {
				got = append(got, err.Error())
			}
		}
		if len(got) > 0 {
			t.Fatalf("%s: %d findings, the first %q", when, len(got), got[0])
		}
	}
	retain := func(db *DB, blocks ...uint32) {
		t.Helper()
		var del []store.Stored
		for _, num := range blocks {
			for i := range 20 {
				del = append(del, store.Stored{Seq: seqOf(num, 3*i)})
			}
		}
		if err := db.DeleteRecords(ctx, del, "retention", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	db := open()
	for b := range 12 {
		insert(t, db, wideEntries(t, 1500*b, 1500))
	}
	settle(t, db)
	check(db, "after flushes and merges")
	retain(db, 1, 2, 5)
	check(db, "after retention")
	insert(t, db, wideEntries(t, 18000, 700))
	n := uint32(len(db.snapshot()))
	retain(db, n, n-1)
	check(db, "after retention in the tail")
	crash(db)
	db = open()
	defer db.Close()
	check(db, "after a crash")
	retain(db, n)
	insert(t, db, wideEntries(t, 18700, 100))
	check(db, "after a crash, retention and more records")
}

func TestFieldArithmeticAgreesWithBigIntegers(t *testing.T) {
	p := new(big.Int).SetUint64(fieldPrime)
	vals := []uint64{0, 1, 2, 7, 8, 1<<32 - 1, 1 << 32, 1 << 60, fieldPrime - 2, fieldPrime - 1, fieldPrime}
	rng := mrand.New(mrand.NewPCG(5, 6))
	for range 300 {
		vals = append(vals, rng.Uint64N(fieldPrime+1))
	}
	for _, a := range vals {
		for _, b := range vals {
			ba, bb := new(big.Int).SetUint64(a), new(big.Int).SetUint64(b)
			prod := new(big.Int).Mod(new(big.Int).Mul(ba, bb), p).Uint64()
			sum := new(big.Int).Mod(new(big.Int).Add(ba, bb), p).Uint64()
			// Results are reduced (below the prime) but for sums of
			// unreduced inputs, which add leaves as they are.
			if got := mulmod(a, b); got != prod {
				t.Fatalf("mulmod(%d, %d) = %d, want %d", a, b, got, prod)
			}
			if got := addmod(a, b); got%fieldPrime != sum || got > fieldPrime {
				t.Fatalf("addmod(%d, %d) = %d, want %d", a, b, got, sum)
			}
		}
	}
}
