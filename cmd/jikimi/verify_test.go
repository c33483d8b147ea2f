package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jikimi/jikimi/store/block"
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

// tamperBlock rewrites the stored block that holds record id the way an
// intruder who knows the block format would: decode it, change its
// records with edit, encode it again and write it back, places and all.
func tamperBlock(t *testing.T, data, id string, edit func(recs []block.Record, i int) []block.Record) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(data, sqlite.File))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT num, head, cols, canon FROM block_data`)
	if err != nil {
		t.Fatal(err)
	}
	var num int64
	var recs []block.Record
	at := -1
	for rows.Next() && at < 0 {
		var sec block.Sections
		if err := rows.Scan(&num, &sec.Head, &sec.Cols, &sec.Canon); err != nil {
			t.Fatal(err)
		}
		if recs, err = block.Decode(sec); err != nil {
			t.Fatal(err)
		}
		at = slices.IndexFunc(recs, func(r block.Record) bool { return r.ID == id })
	}
	rows.Close()
	if at < 0 {
		t.Fatalf("no block holds record %s", id)
	}
	recs = edit(recs, at)
	sec, err := block.Encode(recs)
	if err != nil {
		t.Fatal(err)
	}
	tmin, tmax := recs[0].Time, recs[0].Time
	for _, r := range recs {
		tmin, tmax = min(tmin, r.Time), max(tmax, r.Time)
	}
	if _, err := db.Exec(`UPDATE block_data SET head = ?, cols = ?, canon = ? WHERE num = ?`, sec.Head, sec.Cols, sec.Canon, num); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE blocks SET n = ?, live = ?, t_min = ?, t_max = ? WHERE num = ?`, len(recs), len(recs), tmin, tmax, num); err != nil {
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
		maxFindings    int // one tamper, few findings: untouched records still verify
		tamper         func(data string)
	}{
		{"flip a byte", "altered", "v0007", 1, func(d string) {
			tamperBlock(t, d, "v0007", func(recs []block.Record, i int) []block.Record {
				recs[i].Canonical = bytes.Replace(recs[i].Canonical, []byte(`"kim"`), []byte(`"kin"`), 1)
				return recs
			})
		}},
		{"delete the last record", "deleted", "", 1, func(d string) {
			tamperBlock(t, d, "v0299", func(recs []block.Record, i int) []block.Record { return recs[:i] })
		}},
		{"delete a record in the middle", "deleted", "", 300, func(d string) {
			tamperBlock(t, d, "v0100", func(recs []block.Record, i int) []block.Record { return slices.Delete(recs, i, i+1) })
		}},
		{"invent a record", "invented", "x-new", 1, func(d string) {
			tamperBlock(t, d, "v0005", func(recs []block.Record, i int) []block.Record {
				r := recs[i]
				r.ID, r.Canonical = "x-new", bytes.Replace(r.Canonical, []byte("v0005"), []byte("x-new"), 1)
				return append(recs, r)
			})
		}},
		{"reorder two records", "reordered", "v0010", 2, func(d string) {
			tamperBlock(t, d, "v0010", func(recs []block.Record, i int) []block.Record {
				recs[i], recs[i+1] = recs[i+1], recs[i]
				return recs
			})
		}},
		{"delete a whole block", "deleted", "", 301, func(d string) {
			sqlExec(t, d, `DELETE FROM block_data`)
		}},
		{"damage the stored bytes", kindUnreadable, "", 1000, func(d string) {
			sqlExec(t, d, `UPDATE block_data SET canon = substr(canon, 1, 40) || x'ff' || substr(canon, 42)`)
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
			if len(res.Findings) > tt.maxFindings {
				t.Fatalf("one tamper gave %d findings, want at most %d: untouched records must still verify: %+v", len(res.Findings), tt.maxFindings, res.Findings)
			}
		})
	}
}

// TestVerifyIndexNamesRecordsHiddenFromSearch edits what searches read
// (a record's indexed actor), not what is sealed: the seals still hold,
// and only --index tells.
func TestVerifyIndexNamesRecordsHiddenFromSearch(t *testing.T) {
	data, anchors := sealedDataDir(t, 100)
	tamperBlock(t, data, "v0042", func(recs []block.Record, i int) []block.Record {
		recs[i].Actor = recs[i].Action // the dictionary number of "view"
		return recs
	})
	if _, out, _ := jikimi(t, "", "records", "--data", data, "--actor", "kim", "--json"); strings.Count(out, "\n") != 99 || strings.Contains(out, "v0042") {
		t.Fatalf("records --actor kim after the edit: %d records, want 99 without v0042", strings.Count(out, "\n"))
	}
	if code, res := verifyFindings(t, data, anchors); code != 0 || !res.OK {
		t.Fatalf("the seals alone: exit %d, %+v", code, res)
	}
	code, out, _ := jikimi(t, "", "verify", "--data", data, "--anchor-dir", anchors, "--index", "--json")
	var res verifyResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if code != 1 || !findingFor(res, kindMisindexed, "v0042") || res.Records != 100 {
		t.Fatalf("verify --index: exit %d, %+v", code, res)
	}
	if f := res.Findings[0]; !strings.Contains(f.Detail, `actor indexed as "view", sealed as "kim"`) {
		t.Fatalf("finding: %s", f)
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
