package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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
