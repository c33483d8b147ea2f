package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/scenario"
)

var (
	benchFileOnce sync.Once
	benchFile     string
	benchLines    int
)

// demoMonthFile writes the demo organisation's month (about 470,000
// realistic records: staff browsing customers, nightly batches, API calls,
// femtocells, bulk exports with thousands of subjects) once per run.
func demoMonthFile(b *testing.B) (string, int) {
	benchFileOnce.Do(func() {
		dir, err := os.MkdirTemp("", "jikimi-bench-")
		if err != nil {
			b.Fatal(err)
		}
		ds := scenario.Generate(scenario.Config{Seed: 1})
		benchFile = filepath.Join(dir, "month.jsonl")
		f, err := os.Create(benchFile)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(f)
		if err := ds.WriteJSONL(w); err != nil {
			b.Fatal(err)
		}
		w.Flush()
		f.Close()
		benchLines = len(ds.Records)
	})
	return benchFile, benchLines
}

// BenchmarkIngest measures `jikimi ingest` of the demo month into a fresh
// embedded store (the whole pipeline: parse, validate, PII count, pseudonymise,
// store, detect, seal) beside bare encoding/json decoding of the same file,
// the ceiling of this path.
func BenchmarkIngest(b *testing.B) {
	file, n := demoMonthFile(b)
	raw, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encoding-json-decode", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			sc := bufio.NewScanner(bytes.NewReader(raw))
			sc.Buffer(make([]byte, 0, 1<<20), 1<<24)
			count := 0
			for sc.Scan() {
				var r record.Record
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					b.Fatal(err)
				}
				count++
			}
			if count != n {
				b.Fatalf("decoded %d records, want %d", count, n)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("jikimi-ingest", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			b.StopTimer()
			data := b.TempDir()
			b.StartTimer()
			if code, _, errs := jikimi(b, "", "ingest", "--quiet", "--data", data, "--format", "jsonl", file); code != 0 {
				b.Fatalf("ingest: %s", errs)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// BenchmarkVerify measures `jikimi verify` end to end (every record read
// back, decompressed and re-hashed, every inclusion and checkpoint checked)
// on a data directory of JIKIMI_BENCH_VERIFY_RECORDS records (default 10
// million) ingested by `jikimi ingest`: consecutive months of the demo
// organisation, ids prefixed by month. The directory is built once into
// $TMPDIR/jikimi-bench-verify-N (2.5 – 6 minutes here) and reused.
func BenchmarkVerify(b *testing.B) {
	n := 10_000_000
	if s := os.Getenv("JIKIMI_BENCH_VERIFY_RECORDS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	data := filepath.Join(os.TempDir(), fmt.Sprintf("jikimi-bench-verify-%d", n))
	anchors := data + "-anchors"
	done := filepath.Join(data, "bench-complete")
	if _, err := os.Stat(done); err != nil {
		buildVerifyDir(b, data, anchors, n)
		if err := os.WriteFile(done, nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		code, out, errs := jikimi(b, "", "verify", "--data", data, "--anchor-dir", anchors, "--json")
		var res verifyResult
		if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || !res.OK || res.Records != int64(n) {
			b.Fatalf("verify: exit %d, %d records, %v\n%s", code, res.Records, err, errs)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

func buildVerifyDir(b *testing.B, data, anchors string, n int) {
	b.Logf("building a %d-record data directory in %s", n, data)
	os.RemoveAll(data)
	os.RemoveAll(anchors)
	file := filepath.Join(b.TempDir(), "month.jsonl")
	for k, have := 0, 0; have < n; k++ {
		ds := scenario.Generate(scenario.Config{Seed: uint64(k + 1), Start: scenario.DefaultStart.AddDate(0, k, 0)})
		f, err := os.Create(file)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(f)
		for i := range ds.Records {
			if have == n {
				break
			}
			r := &ds.Records[i]
			r.ID = fmt.Sprintf("m%03d-%s", k, r.ID)
			w.Write(r.AppendCanonical(nil))
			w.WriteByte('\n')
			have++
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		if code, _, errs := jikimi(b, "", "ingest", "--quiet", "--data", data, "--anchor-dir", anchors, "--format", "jsonl", file); code != 0 {
			b.Fatalf("ingest month %d: %s", k, errs)
		}
		b.Logf("%d records", have)
	}
}
