package ledger

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jikimi/jikimi/record"
)

const testPeriod = "2026-07"

// testEnv is a data directory (ledger and keys) plus an anchor directory
// outside it, as jikimi lays them out.
type testEnv struct {
	data, anchor string
}

func newEnv(t testing.TB) testEnv {
	t.Helper()
	root := t.TempDir()
	return testEnv{data: filepath.Join(root, "data"), anchor: filepath.Join(root, "anchor")}
}

func (e testEnv) options() Options {
	return Options{
		Dir:                filepath.Join(e.data, "ledger"),
		KeyDir:             filepath.Join(e.data, "keys"),
		AnchorDir:          e.anchor,
		Origin:             "jikimi.test",
		HashesPerLeaf:      16, // small leaves so tests span many leaves and bundles
		CheckpointInterval: 100 * time.Millisecond,
		AnchorInterval:     100 * time.Millisecond,
	}
}

func openLedger(t testing.TB, o Options) *Ledger {
	t.Helper()
	l, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

// storedRec stands in for a row of the store: id, canonical bytes and the
// position Seal returned.
type storedRec struct {
	id        string
	canonical []byte
	pos       Position
}

func synthRecord(i int) (string, []byte) {
	r := record.Record{
		ID:     fmt.Sprintf("crm-%06d", i),
		Time:   time.Date(2026, 7, 1, 9, 0, 0, 0, kst).Add(time.Duration(i) * time.Second),
		System: "crm",
		Actor:  record.Actor{ID: fmt.Sprintf("emp%03d", i%97)},
		Action: record.View,
		Target: record.Target{Object: "customer", Kind: "table"},
	}
	return r.ID, r.Canonical()
}

// sealRecords seals records [from, from+n) in concurrent Seal calls of
// batch records each, and returns them with their positions.
func sealRecords(t testing.TB, l *Ledger, from, n, batch int) []storedRec {
	t.Helper()
	recs := make([]storedRec, n)
	for i := range recs {
		recs[i].id, recs[i].canonical = synthRecord(from + i)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n/batch+1)
	for s := 0; s < n; s += batch {
		part := recs[s:min(s+batch, n)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			hs := make([]record.Hash, len(part))
			for i := range part {
				hs[i] = record.HashOf(part[i].canonical)
			}
			pos, err := l.Seal(context.Background(), testPeriod, hs)
			if err != nil {
				errs <- err
				return
			}
			for i := range part {
				part[i].pos = pos[i]
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Seal: %v", err)
	}
	return recs
}

func sortByPosition(recs []storedRec) {
	slices.SortFunc(recs, func(a, b storedRec) int {
		if c := cmp.Compare(a.pos.Leaf, b.pos.Leaf); c != 0 {
			return c
		}
		return int(a.pos.Slot) - int(b.pos.Slot)
	})
}

// verifyRecords feeds recs, as the store would, to a fresh read-only ledger.
func verifyRecords(t testing.TB, o Options, recs []storedRec, vo VerifyOptions) *Report {
	t.Helper()
	o.ReadOnly = true
	l := openLedger(t, o)
	defer l.Close()
	recs = slices.Clone(recs)
	sortByPosition(recs)
	v, err := l.NewVerifierWith(context.Background(), testPeriod, vo)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	for _, r := range recs {
		v.Add(r.id, r.pos, record.HashOf(r.canonical))
	}
	rep, err := v.Finish()
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	return rep
}

// kinds returns "kind:record" of each finding, for compact assertions.
func kinds(rep *Report) []string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.Kind+":"+f.RecordID)
	}
	return out
}

func dumpFindings(t testing.TB, rep *Report) {
	t.Helper()
	for _, f := range rep.Findings {
		t.Logf("  %s", f)
	}
}

// sealedEnv seals n records and closes the ledger, so a final checkpoint is
// published and anchored.
func sealedEnv(t testing.TB, n int) (testEnv, []storedRec) {
	t.Helper()
	e := newEnv(t)
	l := openLedger(t, e.options())
	recs := sealRecords(t, l, 0, n, 50)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return e, recs
}
