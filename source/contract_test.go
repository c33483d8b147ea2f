package source

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/jikimi/jikimi/record"
)

// TestRecordShapeContract runs the same checks over every parser's output on
// its captured input: what the pipeline may rely on whatever the format.
func TestRecordShapeContract(t *testing.T) {
	// Credentials present in the captures that no record may carry.
	secrets := [][]byte{[]byte("abc123"), []byte("kimpw"), []byte("capture-pw"), []byte("Bearer"), []byte("sid=abc")}
	seen := map[string]bool{}
	for _, c := range goldenCases() {
		seen[c.format] = true
		t.Run(c.name, func(t *testing.T) {
			recs, lines, _ := parseFile(t, c)
			n := countLines(t, filepath.Join("testdata", c.input))
			again, _, _ := parseFile(t, c)
			if len(again) != len(recs) {
				t.Fatalf("second run gave %d records, first %d", len(again), len(recs))
			}
			ids := map[string]int{}
			for i, r := range recs {
				canon := r.Canonical()
				if err := r.Validate(); err != nil {
					t.Fatalf("record %d invalid (%v): %s", i, err, canon)
				}
				if lines[i] < 1 || lines[i] > n {
					t.Fatalf("record %d at line %d, input has %d", i, lines[i], n)
				}
				if _, off := r.Time.Zone(); r.Time.Location() == nil || (off == 0 && r.Time.Location().String() != "UTC") && c.format != "jsonl" {
					t.Fatalf("record %d time %v has no meaningful offset", i, r.Time)
				}
				back, err := record.Parse(canon)
				if err != nil || !bytes.Equal(back.Canonical(), canon) {
					t.Fatalf("record %d does not survive a canonical round trip (%v): %s", i, err, canon)
				}
				if !bytes.Equal(again[i].Canonical(), canon) {
					t.Fatalf("record %d differs between runs:\n%s\n%s", i, canon, again[i].Canonical())
				}
				for _, s := range secrets {
					if bytes.Contains(canon, s) {
						t.Fatalf("record %d carries the credential %q: %s", i, s, canon)
					}
				}
				if r.ID != "" {
					if j, dup := ids[r.ID]; dup {
						t.Fatalf("records %d and %d share id %q", j, i, r.ID)
					}
					ids[r.ID] = i
				}
				if r.Rows() == 0 && (r.Action == record.Export || r.Action == record.Download) && c.format != "jsonl" {
					t.Fatalf("record %d: an export read as 0 rows: %s", i, canon)
				}
			}
		})
	}
	for _, f := range Formats() {
		if !seen[f] {
			t.Errorf("format %q has no captured input in the contract suite", f)
		}
	}
}

// TestFlushIsIdempotent: after Read flushed, nothing is held back.
func TestFlushIsIdempotent(t *testing.T) {
	for _, c := range goldenCases() {
		p, err := New(c.format, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join("testdata", c.input))
		if err != nil {
			t.Fatal(err)
		}
		_ = Read(f, c.input, p, func(*record.Record, int) error { return nil }, func(*LineError) {})
		f.Close()
		p.Flush(func(r *record.Record, _ int) {
			t.Errorf("%s: record emitted by a second Flush: %s", c.name, r.Canonical())
		})
	}
}

func countLines(tb testing.TB, path string) int {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(nil, 2<<20)
	n := 0
	for s.Scan() {
		n++
	}
	return n
}
