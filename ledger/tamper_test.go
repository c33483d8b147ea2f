package ledger

// The tamper tests of issue 4: each tampers with a real on-disk ledger (or
// with the records a store would feed the verifier), checks that
// verification names exactly what was done, and that every untouched record
// still verifies.

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jikimi/jikimi/record"
)

// 5000 records at 16 per leaf span more than 256 leaves: two entry bundles.
const tamperRecords = 5000

func wantFindings(t *testing.T, rep *Report, want ...string) {
	t.Helper()
	got := kinds(rep)
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		dumpFindings(t, rep)
		t.Fatalf("findings %q, want %q", got, want)
	}
}

func wantRecords(t *testing.T, rep *Report, want int64) {
	t.Helper()
	if rep.Records != want {
		t.Fatalf("%d records verified, want %d (every untouched record)", rep.Records, want)
	}
}

func TestTamperAlteredRecord(t *testing.T) {
	e, recs := sealedEnv(t, tamperRecords)
	r := &recs[1234]
	r.canonical = slices.Clone(r.canonical)
	r.canonical[len(r.canonical)/2] ^= 0x01 // flip one byte of the stored record
	rep := verifyRecords(t, e.options(), recs, VerifyOptions{})
	wantFindings(t, rep, "altered:crm-001234")
	f := rep.Findings[0]
	if f.Leaf != r.pos.Leaf || f.Slot != int(r.pos.Slot) {
		t.Fatalf("finding at leaf %d slot %d, want %v", f.Leaf, f.Slot, r.pos)
	}
	wantRecords(t, rep, tamperRecords-1)
}

func TestTamperDeletedRecord(t *testing.T) {
	e, recs := sealedEnv(t, tamperRecords)
	gone := recs[77]
	rest := slices.Delete(slices.Clone(recs), 77, 78)

	t.Run("row deleted", func(t *testing.T) {
		rep := verifyRecords(t, e.options(), rest, VerifyOptions{})
		wantFindings(t, rep, "deleted:")
		if f := rep.Findings[0]; f.Leaf != gone.pos.Leaf || f.Slot != int(gone.pos.Slot) {
			t.Fatalf("finding at leaf %d slot %d, want %v", f.Leaf, f.Slot, gone.pos)
		}
		wantRecords(t, rep, tamperRecords-1)
	})
	t.Run("row deleted, id kept by the store", func(t *testing.T) {
		rep := verify(t, e.options(), rest, func(v *PeriodVerifier, at Position) {
			if at == gone.pos {
				v.Missing(gone.id, gone.pos)
			}
		})
		wantFindings(t, rep, "deleted:crm-000077")
		wantRecords(t, rep, tamperRecords-1)
	})
	t.Run("deleted by retention", func(t *testing.T) {
		rep := verify(t, e.options(), rest, func(v *PeriodVerifier, at Position) {
			if at == gone.pos {
				v.Deleted(gone.id, gone.pos, record.HashOf(gone.canonical))
			}
		})
		wantFindings(t, rep)
		if rep.Retained != 1 {
			t.Fatalf("Retained=%d, want 1", rep.Retained)
		}
		wantRecords(t, rep, tamperRecords-1)
	})
}

// verify feeds recs in position order and calls extra before each record's
// position, for tombstones and ids the store keeps.
func verify(t *testing.T, o Options, recs []storedRec, extra func(v *PeriodVerifier, at Position)) *Report {
	t.Helper()
	o.ReadOnly = true
	l := openLedger(t, o)
	defer l.Close()
	recs = slices.Clone(recs)
	sortByPosition(recs)
	v, err := l.NewVerifier(context.Background(), testPeriod)
	if err != nil {
		t.Fatal(err)
	}
	// Walk every position so extra sees the gaps too.
	next := 0
	for leaf := uint64(0); next < len(recs); leaf++ {
		for slot := range uint16(16) {
			at := Position{Period: testPeriod, Leaf: leaf, Slot: slot}
			extra(v, at)
			for next < len(recs) && recs[next].pos == at {
				v.Add(recs[next].id, recs[next].pos, record.HashOf(recs[next].canonical))
				next++
			}
		}
	}
	rep, err := v.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestTamperInventedRecord(t *testing.T) {
	e, recs := sealedEnv(t, tamperRecords)
	_, fake := synthRecord(999999)

	t.Run("no position", func(t *testing.T) {
		rep := verify(t, e.options(), recs, func(v *PeriodVerifier, at Position) {
			if at.Leaf == 3 && at.Slot == 0 {
				v.Unsealed("fake-1", record.HashOf(fake))
			}
		})
		wantFindings(t, rep, "invented:fake-1")
		wantRecords(t, rep, tamperRecords)
	})
	t.Run("copied position", func(t *testing.T) {
		// The invented row reuses a genuine record's position; whichever
		// order the store returns them in, the genuine one verifies.
		for _, first := range []bool{true, false} {
			inv := storedRec{id: "fake-2", canonical: fake, pos: recs[500].pos}
			all := slices.Clone(recs)
			if first {
				all = slices.Insert(all, 0, inv)
			} else {
				all = append(all, inv)
			}
			rep := verifyRecords(t, e.options(), all, VerifyOptions{})
			wantFindings(t, rep, "invented:fake-2")
			wantRecords(t, rep, tamperRecords)
		}
	})
	t.Run("position beyond the log", func(t *testing.T) {
		inv := storedRec{id: "fake-3", canonical: fake, pos: Position{Period: testPeriod, Leaf: 1 << 20}}
		rep := verifyRecords(t, e.options(), append(slices.Clone(recs), inv), VerifyOptions{})
		wantFindings(t, rep, "invented:fake-3")
		wantRecords(t, rep, tamperRecords)
	})
}

func TestTamperTruncatedTiles(t *testing.T) {
	e, recs := sealedEnv(t, tamperRecords)
	dir := filepath.Join(e.options().Dir, testPeriod)
	// Remove the second entry bundle and hash tile (leaves 256 on), full
	// and partial versions alike.
	for _, g := range []string{"tile/entries/001*", "tile/0/001*"} {
		ms, _ := filepath.Glob(filepath.Join(dir, g))
		if len(ms) == 0 {
			t.Fatalf("nothing matches %s", g)
		}
		for _, m := range ms {
			if err := os.RemoveAll(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	rep := verifyRecords(t, e.options(), recs, VerifyOptions{})
	var lost, logLevel int64
	for _, f := range rep.Findings {
		switch {
		case f.Kind == KindTruncated && f.RecordID != "":
			lost++
			if f.Leaf < 256 {
				t.Fatalf("record in an intact leaf reported lost: %s", f)
			}
		case f.Kind == KindTruncated:
			logLevel++
		case f.Kind == KindInconsistent && f.RecordID == "":
			// Consistency proofs that need the removed tiles fail too.
		default:
			t.Fatalf("unexpected finding %s", f)
		}
	}
	if logLevel == 0 || lost == 0 {
		dumpFindings(t, rep)
		t.Fatalf("want the missing bundle and the records it held reported truncated")
	}
	var intact int64
	for _, r := range recs {
		if r.pos.Leaf < 256 {
			intact++
		}
	}
	if lost+intact != tamperRecords {
		t.Fatalf("%d lost + %d intact != %d", lost, intact, tamperRecords)
	}
	wantRecords(t, rep, intact)
}

func TestTamperRollback(t *testing.T) {
	e := newEnv(t)
	o := e.options()
	l := openLedger(t, o)
	old := sealRecords(t, l, 0, 1000, 50)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup")
	copyDir(t, e.data, backup)

	l = openLedger(t, o)
	recs := append(old, sealRecords(t, l, 1000, 1000, 50)...)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Replace the whole data directory with the older copy.
	if err := os.RemoveAll(e.data); err != nil {
		t.Fatal(err)
	}
	copyDir(t, backup, e.data)

	t.Run("store kept", func(t *testing.T) {
		rep := verifyRecords(t, o, recs, VerifyOptions{})
		var rolled, lost int
		for _, f := range rep.Findings {
			switch {
			case f.Kind == KindRolledBack:
				rolled++
			case f.Kind == KindTruncated:
				lost++
			default:
				t.Fatalf("unexpected finding %s", f)
			}
		}
		if rolled != 1 || lost < 1000 {
			dumpFindings(t, rep)
			t.Fatalf("rolled_back %d, truncated %d; want 1 and ≥ 1000", rolled, lost)
		}
		wantRecords(t, rep, 1000)
	})
	t.Run("store rolled back too", func(t *testing.T) {
		rep := verifyRecords(t, o, old, VerifyOptions{})
		for _, f := range rep.Findings {
			if f.Kind != KindRolledBack && f.Kind != KindTruncated {
				t.Fatalf("unexpected finding %s", f)
			}
		}
		if !slices.Contains(kinds(rep), "rolled_back:") {
			t.Fatalf("findings %v, want rolled_back", kinds(rep))
		}
		wantRecords(t, rep, 1000)
	})
	t.Run("period removed", func(t *testing.T) {
		if err := os.RemoveAll(filepath.Join(o.Dir, testPeriod)); err != nil {
			t.Fatal(err)
		}
		ro := o
		ro.ReadOnly = true
		l := openLedger(t, ro)
		ps, err := l.Periods()
		l.Close()
		if err != nil || !slices.Equal(ps, []string{testPeriod}) {
			t.Fatalf("Periods()=%v, %v; want the anchored period listed", ps, err)
		}
		rep := verifyRecords(t, o, old, VerifyOptions{})
		if !slices.Contains(kinds(rep), "rolled_back:") || !slices.Contains(kinds(rep), "truncated:crm-000000") {
			dumpFindings(t, rep)
			t.Fatalf("findings %v, want rolled_back and every record truncated", kinds(rep))
		}
		wantRecords(t, rep, 0)
	})
}

func TestTamperResignedLog(t *testing.T) {
	e, recs := sealedEnv(t, 1000)
	o := e.options()

	// The administrator alters a record, rebuilds the whole log from the
	// store with a fresh key, and puts both in place; the anchor is out of
	// reach.
	forged := slices.Clone(recs)
	sortByPosition(forged)
	forged[42].canonical = []byte(strings.Replace(string(forged[42].canonical), "emp", "EMP", 1))
	fo := o
	fo.Dir = filepath.Join(t.TempDir(), "ledger")
	fo.KeyDir = filepath.Join(t.TempDir(), "keys")
	fo.AnchorDir = ""
	fl := openLedger(t, fo)
	hs := make([]record.Hash, len(forged))
	for i := range forged {
		hs[i] = record.HashOf(forged[i].canonical)
	}
	pos, err := fl.Seal(context.Background(), testPeriod, hs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range forged {
		forged[i].pos = pos[i]
	}
	if err := fl.Close(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{o.Dir, o.KeyDir} {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	copyDir(t, fo.Dir, o.Dir)
	copyDir(t, fo.KeyDir, o.KeyDir)

	rep := verifyRecords(t, o, forged, VerifyOptions{})
	var sig, anchors int
	for _, f := range rep.Findings {
		switch f.Kind {
		case KindBadSignature:
			sig++
		case KindInconsistent, KindRolledBack:
			// The anchors disagree with the forged log: its roots differ,
			// or it packs the records into fewer leaves.
			anchors++
		case KindTruncated:
		default:
			t.Fatalf("unexpected finding %s", f)
		}
	}
	if sig < 2 || anchors < 1 {
		dumpFindings(t, rep)
		t.Fatalf("bad_signature %d, anchor disagreements %d; want the unanchored key, the latest checkpoint and the anchors reported", sig, anchors)
	}
	// An operator who kept the original public key gets the same verdict
	// without the anchor's keys.
	ro := o
	rep = verifyRecords(t, ro, forged, VerifyOptions{TrustedKeys: []string{originalKey(t, e)}})
	if !slices.Contains(kinds(rep), "bad_signature:") {
		t.Fatalf("findings %v, want bad_signature", kinds(rep))
	}
}

// originalKey reads the first public key from the anchor.
func originalKey(t *testing.T, e testEnv) string {
	t.Helper()
	names, err := DirAnchor{Dir: e.anchor}.List(context.Background(), "key/")
	if err != nil || len(names) == 0 {
		t.Fatalf("anchored keys: %v %v", names, err)
	}
	raw, err := DirAnchor{Dir: e.anchor}.Get(context.Background(), names[0])
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(raw))
}

func TestTamperReorderedRecords(t *testing.T) {
	e, recs := sealedEnv(t, tamperRecords)
	// Two stored records swap positions.
	recs[10].pos, recs[2000].pos = recs[2000].pos, recs[10].pos
	rep := verifyRecords(t, e.options(), recs, VerifyOptions{})
	wantFindings(t, rep, "reordered:crm-000010", "reordered:crm-002000")
	wantRecords(t, rep, tamperRecords-2)
}

func TestTamperRewrittenBundle(t *testing.T) {
	e, recs := sealedEnv(t, tamperRecords)
	sortByPosition(recs)
	victim := recs[100]
	p := filepath.Join(e.options().Dir, testPeriod, "tile", "entries", "000")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// Change one byte of the victim's sealed hash inside the bundle: each
	// leaf is a 2-byte length then its hashes.
	off := 0
	for range victim.pos.Leaf {
		off += 2 + int(raw[off])<<8 | int(raw[off+1])
	}
	raw[off+2+int(victim.pos.Slot)*32] ^= 0x01
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	rep := verifyRecords(t, e.options(), recs, VerifyOptions{})
	var inconsistent int
	for _, f := range rep.Findings {
		switch {
		case f.Kind == KindInconsistent:
			inconsistent++
		case f.Kind == KindAltered && f.RecordID == victim.id:
		default:
			t.Fatalf("unexpected finding %s", f)
		}
	}
	if inconsistent < 2 {
		dumpFindings(t, rep)
		t.Fatalf("want the tile mismatch and the signed root mismatch reported inconsistent")
	}
	wantRecords(t, rep, tamperRecords-1)
}

func TestVerifyOrder(t *testing.T) {
	e, recs := sealedEnv(t, 100)
	o := e.options()
	o.ReadOnly = true
	l := openLedger(t, o)
	defer l.Close()
	sortByPosition(recs)
	v, err := l.NewVerifier(context.Background(), testPeriod)
	if err != nil {
		t.Fatal(err)
	}
	v.Add(recs[50].id, recs[50].pos, record.HashOf(recs[50].canonical))
	v.Add(recs[0].id, recs[0].pos, record.HashOf(recs[0].canonical))
	if _, err := v.Finish(); err == nil || !strings.Contains(err.Error(), "order") {
		t.Fatalf("Finish err=%v, want ErrOrder", err)
	}
}

func copyDir(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if info.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy %s: %v", from, err)
	}
}
