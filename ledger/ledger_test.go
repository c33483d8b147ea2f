package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/record"
)

func TestPeriodOf(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 6, 30, 15, 0, 0, 0, time.UTC), "2026-07"}, // 00:00 KST on 1 July
		{time.Date(2026, 6, 30, 14, 59, 59, 0, time.UTC), "2026-06"},
		{time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), "2027-01"},
		{time.Date(2026, 6, 30, 14, 0, 0, 0, time.UTC), "2026-06"}, // back again: the cached month must follow
	} {
		if got := PeriodOf(tc.in); got != tc.want {
			t.Errorf("PeriodOf(%v)=%q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSealPositionsAndVerify(t *testing.T) {
	e, recs := sealedEnv(t, 3000)
	seen := map[Position]bool{}
	for _, r := range recs {
		if r.pos.Period != testPeriod {
			t.Fatalf("position %v: wrong period", r.pos)
		}
		if seen[r.pos] {
			t.Fatalf("position %v given twice", r.pos)
		}
		seen[r.pos] = true
		if int(r.pos.Slot) >= 16 {
			t.Fatalf("slot %d ≥ HashesPerLeaf", r.pos.Slot)
		}
	}
	rep := verifyRecords(t, e.options(), recs, VerifyOptions{})
	if !rep.OK() || rep.Records != 3000 || rep.Pending != 0 {
		dumpFindings(t, rep)
		t.Fatalf("report: records=%d pending=%d findings=%v, want 3000 records, none pending, no findings", rep.Records, rep.Pending, kinds(rep))
	}
	if rep.Anchored == 0 {
		t.Fatalf("no anchored checkpoint was checked")
	}

	// The key is private and the public key exported.
	o := e.options()
	st, err := os.Stat(filepath.Join(o.KeyDir, "ledger-0001.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v mode %v, want 0600", err, st.Mode().Perm())
	}
	l := openLedger(t, o)
	defer l.Close()
	keys := l.PublicKeys()
	if len(keys) != 1 || !strings.HasPrefix(keys[0], "jikimi.test+") {
		t.Fatalf("PublicKeys()=%q, want one key named jikimi.test", keys)
	}
	signed, size, root, err := l.Checkpoint(context.Background(), testPeriod)
	if err != nil || size == 0 || len(root) != 32 || !bytes.HasPrefix(signed, []byte("jikimi.test/2026-07\n")) {
		t.Fatalf("Checkpoint: size %d root %x err %v\n%s", size, root, err, signed)
	}
	ps, err := l.Periods()
	if err != nil || len(ps) != 1 || ps[0] != testPeriod {
		t.Fatalf("Periods()=%v, %v", ps, err)
	}
}

func TestAnchorWriteOnce(t *testing.T) {
	a := DirAnchor{Dir: t.TempDir()}
	ctx := context.Background()
	if err := a.Put(ctx, "checkpoint/2026-07/00000000000000000001", []byte("one")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	err := a.Put(ctx, "checkpoint/2026-07/00000000000000000001", []byte("two"))
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Put err=%v, want fs.ErrExist", err)
	}
	got, err := a.Get(ctx, "checkpoint/2026-07/00000000000000000001")
	if err != nil || string(got) != "one" {
		t.Fatalf("Get=%q, %v; want the first data", got, err)
	}
	if _, err := a.Get(ctx, "checkpoint/2026-07/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get missing err=%v, want fs.ErrNotExist", err)
	}
	names, err := a.List(ctx, "checkpoint/2026-07/")
	if err != nil || len(names) != 1 {
		t.Fatalf("List=%v, %v", names, err)
	}
}

func TestKeyRotation(t *testing.T) {
	e := newEnv(t)
	o := e.options()
	l := openLedger(t, o)
	recs := sealRecords(t, l, 0, 100, 10)
	old := l.PublicKeys()
	if err := l.RotateKey(); err != nil {
		t.Fatalf("RotateKey: %v", err)
	}
	recs = append(recs, sealRecords(t, l, 100, 100, 10)...)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	l = openLedger(t, o)
	defer l.Close()
	keys := l.PublicKeys()
	if len(keys) != 2 || keys[0] != old[0] {
		t.Fatalf("PublicKeys()=%v, want the old key then a new one", keys)
	}
	signed, _, _, err := l.Checkpoint(context.Background(), testPeriod)
	if err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	if n := strings.Count(string(signed), "\n— "); n != 2 {
		t.Fatalf("checkpoint carries %d signatures during the overlap, want 2:\n%s", n, signed)
	}
	// Either key alone is enough to trust the latest checkpoint.
	for _, k := range keys {
		pk, err := ParsePublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := openCheckpoint(signed, l.Origin(testPeriod), []ed25519.PublicKey{pk.Key}); err != nil {
			t.Fatalf("latest checkpoint with only key %s: %v", k, err)
		}
	}
	// With the whole key history every checkpoint, old and new, verifies.
	rep := verifyRecords(t, o, recs, VerifyOptions{TrustedKeys: keys})
	if !rep.OK() || rep.Records != 200 {
		dumpFindings(t, rep)
		t.Fatalf("verify with both keys: findings %v", kinds(rep))
	}
	// The old key alone cannot vouch for checkpoints after the overlap
	// would end; the new key alone cannot vouch for those before rotation.
	rep = verifyRecords(t, o, recs, VerifyOptions{TrustedKeys: keys[1:]})
	if rep.OK() {
		t.Fatalf("verify with only the new key: no finding, want bad_signature for pre-rotation anchors")
	}
	for _, f := range rep.Findings {
		if f.Kind != KindBadSignature {
			t.Fatalf("unexpected finding %s", f)
		}
	}
}

func TestProofBundle(t *testing.T) {
	e, recs := sealedEnv(t, 500)
	o := e.options()
	o.ReadOnly = true
	l := openLedger(t, o)
	defer l.Close()
	r := recs[321]
	b, err := l.Proof(context.Background(), r.pos, r.canonical)
	if err != nil {
		t.Fatalf("Proof: %v", err)
	}
	if b.Record != string(r.canonical) || b.Slot != int(r.pos.Slot) || b.Leaf != r.pos.Leaf {
		t.Fatalf("bundle does not describe the record: %+v", b)
	}
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyBundle(raw, l.PublicKeys()); err != nil {
		t.Fatalf("VerifyBundle: %v", err)
	}

	// A record altered after the fact has no proof.
	bad := bytes.Replace(r.canonical, []byte("crm"), []byte("crn"), 1)
	if _, err := l.Proof(context.Background(), r.pos, bad); !errors.Is(err, ErrNotSealed) {
		t.Fatalf("Proof(altered) err=%v, want ErrNotSealed", err)
	}

	other := newEnv(t)
	lo := openLedger(t, other.options())
	otherKeys := lo.PublicKeys()
	lo.Close()
	for _, tc := range []struct {
		name    string
		mutate  func(string) string
		keys    []string
		wantErr string
	}{
		{"altered record", func(s string) string { return strings.Replace(s, `crm-000321`, `crm-000322`, 1) }, l.PublicKeys(), "does not hash"},
		{"other leaf hash", func(s string) string { return strings.Replace(s, `"leaf_index":`, `"leaf_index":1`, 1) }, l.PublicKeys(), "not included"},
		{"untrusted key", func(s string) string { return s }, otherKeys, "bad signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyBundle([]byte(tc.mutate(string(raw))), tc.keys)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("VerifyBundle err=%v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestSealValidation(t *testing.T) {
	e := newEnv(t)
	l := openLedger(t, e.options())
	if _, err := l.Seal(context.Background(), "../x", []record.Hash{{}}); !errors.Is(err, ErrBadPeriod) {
		t.Fatalf("Seal(bad period) err=%v, want ErrBadPeriod", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Seal(context.Background(), testPeriod, []record.Hash{{}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Seal after Close err=%v, want ErrClosed", err)
	}
}

// TestResealedRecordsVerify: a crash after sealing but before the store
// recorded where seals the same hashes again on restart. The first seals
// are then no record's, and verification says so without a finding; a
// record deleted after both seals is still named.
func TestResealedRecordsVerify(t *testing.T) {
	e := newEnv(t)
	l := openLedger(t, e.options())
	recs := sealRecords(t, l, 0, 100, 100)
	again := sealRecords(t, l, 60, 40, 40) // records 60-99 sealed a second time
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	stored := append(recs[:60:60], again...) // the store knows the second positions
	rep := verifyRecords(t, e.options(), stored, VerifyOptions{})
	if !rep.OK() || rep.Records != 100 || rep.Resealed != 40 {
		dumpFindings(t, rep)
		t.Fatalf("records %d, resealed %d, findings %v: want 100, 40, none", rep.Records, rep.Resealed, kinds(rep))
	}
	rep = verifyRecords(t, e.options(), slices.Delete(slices.Clone(stored), 70, 71), VerifyOptions{})
	if got := kinds(rep); len(got) != 2 || got[0] != "deleted:" || got[1] != "deleted:" {
		t.Fatalf("a resealed record deleted from the store: findings %v, want both its seals deleted", got)
	}
}
