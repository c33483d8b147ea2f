package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jikimi/jikimi/store/sqlite"
)

// sealedDataDir ingests n records into a fresh data directory whose
// anchors live outside it, as a deployment's would.
func sealedDataDir(t *testing.T, n int) (data, anchors string) {
	t.Helper()
	root := t.TempDir()
	data, anchors = filepath.Join(root, "data"), filepath.Join(root, "anchors")
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, `{"id":"v%04d","time":"2026-09-%02dT10:00:%02d+09:00","system":"crm","actor":{"id":"kim"},"action":"view","subjects":["C%d"]}`+"\n", i, 1+i%28, i%60, i)
	}
	if code, _, errs := jikimi(t, sb.String(), "ingest", "--data", data, "--anchor-dir", anchors, "--format", "jsonl", "-"); code != 0 {
		t.Fatalf("ingest: %s", errs)
	}
	return data, anchors
}

func verifyFindings(t *testing.T, data, anchors string) (int, verifyResult) {
	t.Helper()
	code, out, errs := jikimi(t, "", "verify", "--data", data, "--anchor-dir", anchors, "--json")
	var res verifyResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("verify --json: %v\n%s\n%s", err, out, errs)
	}
	return code, res
}

func sqlExec(t *testing.T, data, query string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(data, sqlite.File))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

func findingFor(res verifyResult, kind, id string) bool {
	for _, f := range res.Findings {
		if f.Kind == kind && (id == "" || f.RecordID == id) {
			return true
		}
	}
	return false
}

func TestVerifyCleanThenNamesEachTamper(t *testing.T) {
	data, anchors := sealedDataDir(t, 300)
	if code, res := verifyFindings(t, data, anchors); code != 0 || !res.OK || res.Records != 300 {
		t.Fatalf("clean data: exit %d, %+v", code, res)
	}
	tests := []struct {
		name, kind, id string
		tamper         func(data string)
	}{
		{"flip a byte", "altered", "v0007", func(d string) {
			sqlExec(t, d, `UPDATE records SET canon = replace(canon, '"kim"', '"kin"') WHERE id = 'v0007'`)
		}},
		{"delete a row", "deleted", "", func(d string) {
			sqlExec(t, d, `DELETE FROM records WHERE id = 'v0100'`)
		}},
		{"invent a record", "invented", "x-new", func(d string) {
			sqlExec(t, d, `INSERT INTO records (seq, id, time, system, actor, action, subject_count, canon, seal_batch, seal_period, seal_ord)
				SELECT seq+1, 'x-new', time, system, actor, action, 0, replace(canon, 'v0005', 'x-new'), seal_batch, seal_period, seal_ord FROM records WHERE id = 'v0005'`)
		}},
		{"reorder two records", "", "", func(d string) {
			sqlExec(t, d, `UPDATE records SET seal_ord = CASE id WHEN 'v0010' THEN (SELECT seal_ord FROM records WHERE id='v0011') ELSE (SELECT seal_ord FROM records WHERE id='v0010') END WHERE id IN ('v0010','v0011')`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := t.TempDir()
			if err := exec.Command("cp", "-a", data+"/.", d).Run(); err != nil {
				t.Fatal(err)
			}
			tt.tamper(d)
			code, res := verifyFindings(t, d, anchors)
			if code == 0 || res.OK {
				t.Fatalf("tamper not detected: %+v", res)
			}
			if tt.kind != "" && !findingFor(res, tt.kind, tt.id) {
				t.Fatalf("no %q finding for %q: %+v", tt.kind, tt.id, res.Findings)
			}
			if len(res.Findings) > 2 {
				t.Fatalf("one tamper gave %d findings; untouched records must still verify: %+v", len(res.Findings), res.Findings)
			}
		})
	}
}

func TestVerifyDetectsRollbackAndTruncation(t *testing.T) {
	data, anchors := sealedDataDir(t, 50)
	old := t.TempDir()
	if err := exec.Command("cp", "-a", data+"/.", old).Run(); err != nil {
		t.Fatal(err)
	}
	// More records, then the data directory is replaced by the old copy.
	more := `{"id":"late1","time":"2026-09-20T10:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"export"}` + "\n"
	if code, _, errs := jikimi(t, more, "ingest", "--data", data, "--anchor-dir", anchors, "--format", "jsonl", "-"); code != 0 {
		t.Fatal(errs)
	}
	if code, res := verifyFindings(t, old, anchors); code == 0 || !findingFor(res, "rolled_back", "") {
		t.Fatalf("rollback not detected: %+v", res)
	}
	// Truncate the period's log: remove its entry bundles.
	tiles := filepath.Join(data, "ledger", "2026-09", "tile", "entries")
	if err := os.RemoveAll(tiles); err != nil {
		t.Fatal(err)
	}
	if code, res := verifyFindings(t, data, anchors); code == 0 || res.OK {
		t.Fatalf("truncated tiles not detected: %+v", res)
	}
}

func TestProofVerifiesWithoutDataDir(t *testing.T) {
	data, anchors := sealedDataDir(t, 20)
	bundle := filepath.Join(t.TempDir(), "proof.json")
	if code, _, errs := jikimi(t, "", "proof", "--data", data, "--anchor-dir", anchors, "--out", bundle, "v0003"); code != 0 {
		t.Fatalf("proof: %s", errs)
	}
	_, keys, _ := jikimi(t, "", "key", "list", "--data", data, "--anchor-dir", anchors)
	key := strings.TrimSpace(strings.Split(keys, "\n")[0])
	if code, out, errs := jikimi(t, "", "verify-proof", "--key", key, bundle); code != 0 || !strings.HasPrefix(out, "OK") {
		t.Fatalf("verify-proof: exit %d %s %s", code, out, errs)
	}
	// A bundle whose record was edited must fail.
	b, _ := os.ReadFile(bundle)
	os.WriteFile(bundle, []byte(strings.Replace(string(b), `\"kim\"`, `\"kin\"`, 1)), 0o644)
	if code, _, _ := jikimi(t, "", "verify-proof", "--key", key, bundle); code == 0 {
		t.Fatal("an edited bundle verified")
	}
}
