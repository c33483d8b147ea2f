package sqlite

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/breach"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/subject"
)

// model is what the store should answer, computed by brute force.
type model struct {
	entries []store.Entry
}

func (m *model) count(match func(e *store.Entry) bool) int64 {
	var n int64
	for i := range m.entries {
		if match(&m.entries[i]) {
			n++
		}
	}
	return n
}

// termFixture builds random entries over two months with every indexed
// field varied, unique times (so "newest first" has one answer) and now
// and then a wide record with hundreds of subjects.
type termFixture struct {
	rng   *rand.Rand
	k     *subject.Keyer
	t0    time.Time
	perm  []int
	n     int
	model model
}

func newTermFixture(t *testing.T, total int) *termFixture {
	k, err := subject.NewKeyer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	return &termFixture{rng: rng, k: k, t0: time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC), perm: rng.Perm(total)}
}

func (f *termFixture) next() store.Entry {
	i := f.n
	f.n++
	tm := f.t0.Add(time.Duration(f.perm[i]) * time.Minute)
	e := store.Entry{
		ID: fmt.Sprintf("id-%05d", i), Time: tm, System: []string{"crm", "billing"}[f.rng.IntN(2)],
		Actor: fmt.Sprintf("a%d", f.rng.IntN(10)), Action: []string{"view", "export", "login"}[f.rng.IntN(3)],
		Rows: -1, Bytes: -1, Period: tm.Format("2006-01"),
	}
	if f.rng.IntN(4) > 0 {
		e.IP = fmt.Sprintf("10.0.0.%d", f.rng.IntN(20))
	}
	if f.rng.IntN(3) == 0 {
		e.KeyID = fmt.Sprintf("k%d", f.rng.IntN(4))
		e.Session = fmt.Sprintf("s%d", f.rng.IntN(30))
	}
	subjects := f.rng.IntN(4)
	if f.rng.IntN(50) == 0 {
		subjects = 300
	}
	seen := map[string]bool{}
	for range subjects {
		id := fmt.Sprintf("S%d", f.rng.IntN(500))
		if seen[id] {
			continue
		}
		seen[id] = true
		p := f.k.Of(id)
		e.Subjects = append(e.Subjects, store.SubjectRef{Pseudonym: p, Sealed: f.k.Seal(p, id)})
	}
	e.SubjectCount = int64(len(e.Subjects))
	var list []string
	for _, r := range e.Subjects {
		list = append(list, fmt.Sprintf("%q", r.Pseudonym.String()))
	}
	e.Canonical = fmt.Appendf(nil, `{"id":"id-%05d","n":%d,"subjects":[%s]}`, i, i, strings.Join(list, ","))
	f.model.entries = append(f.model.entries, e)
	return e
}

func entryHasSubject(e *store.Entry, p subject.Pseudonym) bool {
	return slices.ContainsFunc(e.Subjects, func(r store.SubjectRef) bool { return r.Pseudonym == p })
}

// check compares every kind of search with the model.
func (f *termFixture) check(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	for a := range 10 {
		actor := fmt.Sprintf("a%d", a)
		want := f.model.count(func(e *store.Entry) bool { return e.Actor == actor })
		if got, err := db.Count(ctx, store.Query{Actor: actor}); err != nil || got != want {
			t.Fatalf("Count(actor %s) = %d, %v; want %d", actor, got, err, want)
		}
	}
	for _, ip := range []string{"10.0.0.3", "10.0.0.19"} {
		want := f.model.count(func(e *store.Entry) bool { return e.IP == ip })
		if got, _ := db.Count(ctx, store.Query{IP: ip}); got != want {
			t.Fatalf("Count(ip %s) = %d, want %d", ip, got, want)
		}
	}
	for _, s := range []string{"S0", "S7", "S499"} {
		p := f.k.Of(s)
		want := f.model.count(func(e *store.Entry) bool { return entryHasSubject(e, p) })
		if got, _ := db.Count(ctx, store.Query{Subject: &p}); got != want {
			t.Fatalf("Count(subject %s) = %d, want %d", s, got, want)
		}
	}
	from, to := f.t0.Add(5*24*time.Hour), f.t0.Add(15*24*time.Hour)
	inRange := func(e *store.Entry) bool { return !e.Time.Before(from) && e.Time.Before(to) }
	if got, want := must(db.Count(ctx, store.Query{From: from, To: to})), f.model.count(inRange); got != want {
		t.Fatalf("Count(time range) = %d, want %d", got, want)
	}
	// Newest first, with a limit: the model's order.
	var newest []store.Entry
	for _, e := range f.model.entries {
		if e.Actor == "a3" && e.Action == "export" && inRange(&e) {
			newest = append(newest, e)
		}
	}
	slices.SortFunc(newest, func(a, b store.Entry) int { return b.Time.Compare(a.Time) })
	newest = newest[:min(7, len(newest))]
	got, err := db.Records(ctx, store.Query{Actor: "a3", Action: "export", From: from, To: to, Limit: 7})
	if err != nil || len(got) != len(newest) {
		t.Fatalf("Records = %d, %v; want %d", len(got), err, len(newest))
	}
	for i := range got {
		if got[i].ID != newest[i].ID || string(got[i].Canonical) != string(newest[i].Canonical) || got[i].Actor != "a3" {
			t.Fatalf("Records[%d] = %s, want %s", i, got[i].ID, newest[i].ID)
		}
	}
	n := 0
	err = db.ImpactRows(ctx, store.Query{}, breach.Filter{KeyID: "k2", Session: "s5"}, func(*breach.Row) error { n++; return nil })
	if want := f.model.count(func(e *store.Entry) bool { return e.KeyID == "k2" && e.Session == "s5" }); err != nil || int64(n) != want {
		t.Fatalf("ImpactRows(k2, s5) = %d, %v; want %d", n, err, want)
	}
	for _, i := range []int{0, f.n / 2, f.n - 1} {
		e := f.model.entries[i]
		if r, err := db.Record(ctx, e.ID); err != nil || r.ID != e.ID || !r.Time.Equal(e.Time) || r.System != e.System {
			t.Fatalf("Record(%s) = %+v, %v", e.ID, r, err)
		}
	}
	if _, err := db.Record(ctx, "id-none"); err == nil {
		t.Fatal("Record of an id never stored succeeded")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// settle waits for the background merges to finish.
func settle(t *testing.T, db *DB) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		db.mu.RLock()
		levels := map[int]int{}
		busy := false
		for _, r := range db.terms.runs {
			levels[r.level]++
			busy = busy || levels[r.level] >= db.fanIn
		}
		db.mu.RUnlock()
		if !busy {
			return
		}
	}
	t.Fatal("runs were not merged")
}

// openSmallIndex opens the store in dir with a term index that flushes
// its tail at tailPairs pairs and merges fanIn runs, so that a test of a
// few thousand records goes through flushes and merges.
func openSmallIndex(t *testing.T, dir string, tailPairs, fanIn int) *DB {
	t.Helper()
	db, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	db.tailPairs, db.fanIn = tailPairs, fanIn
	return db
}

func TestTermIndexThroughFlushesMergesAndReopen(t *testing.T) {
	dir := t.TempDir()
	open := func() *DB { return openSmallIndex(t, dir, 300, 3) }
	db := open()
	f := newTermFixture(t, 4003)
	for b := 0; b < 40; b++ {
		var es []store.Entry
		for range 100 {
			es = append(es, f.next())
		}
		// Every batch also resends five records already stored (in runs or
		// in the tail), and one of its own twice.
		var again []int
		for range 5 {
			i := f.rng.IntN(f.n - 100 + 1)
			if b > 0 {
				again = append(again, i)
				es = append(es, f.model.entries[i])
			}
		}
		es = append(es, es[0])
		got := insert(t, db, es)
		for i := range es {
			if want := i < 100; got[i] != want {
				t.Fatalf("batch %d entry %d (%s): inserted %v, want %v", b, i, es[i].ID, got[i], want)
			}
		}
		if b%13 == 0 {
			f.check(t, db)
		}
	}
	insert(t, db, []store.Entry{f.next(), f.next()}) // a tail too small to flush
	settle(t, db)
	db.mu.RLock()
	runs, tail := len(db.terms.runs), len(db.terms.tailKeys)
	var levels []int
	for _, r := range db.terms.runs {
		levels = append(levels, r.level)
	}
	db.mu.RUnlock()
	if !slices.ContainsFunc(levels, func(l int) bool { return l >= 2 }) || tail == 0 {
		t.Fatalf("runs at levels %v, tail %d pairs: want merges two levels deep and a tail", levels, tail)
	}
	t.Logf("%d runs at levels %v, tail %d pairs", runs, levels, tail)
	f.check(t, db)
	crash(db)

	// Reopen after a crash: the runs are read back and the tail, which was
	// only in memory, is rebuilt from the blocks after the watermark.
	db = open()
	f.check(t, db)
	db.mu.RLock()
	rebuilt := len(db.terms.tailKeys)
	db.mu.RUnlock()
	if rebuilt != tail {
		t.Fatalf("tail rebuilt with %d pairs, had %d", rebuilt, tail)
	}
	if got := insert(t, db, []store.Entry{f.model.entries[5], f.model.entries[f.n-1]}); got[0] || got[1] {
		t.Fatalf("duplicates after reopen inserted: %v", got)
	}
	insert(t, db, []store.Entry{f.next()})
	db.Close()

	// A clean close writes the tail: the next Open has nothing to rebuild.
	db = open()
	defer db.Close()
	f.check(t, db)
	db.mu.RLock()
	rebuilt = len(db.terms.tailKeys)
	db.mu.RUnlock()
	if rebuilt != 0 {
		t.Fatalf("tail of %d pairs after a clean close", rebuilt)
	}
}

// crash drops db as a killed process would: what it held in memory is lost.
func crash(db *DB) {
	close(db.terms.stop)
	<-db.terms.stopped
	db.db.Close()
}

func TestSortPairsIsAStableSortByKey(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ps := make([]pair, 100000)
	for i := range ps {
		kind := 1 + rng.IntN(9)
		ps[i] = pair{termKey(kind, rng.Uint64N(5000)), uint32(i / 7), 1} // blocks ascending, as in the tail
	}
	want := slices.Clone(ps)
	slices.SortStableFunc(want, func(a, b pair) int { return cmp.Compare(a.key, b.key) })
	sortPairs(ps)
	if !slices.Equal(ps, want) {
		t.Fatal("sortPairs differs from a stable sort by key")
	}
}
