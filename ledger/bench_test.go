package ledger

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jikimi/jikimi/record"
)

// go test -run '^$' -bench . -benchmem ./ledger/
//
// Both benchmarks use the production defaults (256 hashes per leaf, 1 s
// checkpoint interval) on the machine's real disk, fsyncs included.

var benchDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range benchDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

func benchOptions(b testing.TB) Options {
	dir, err := os.MkdirTemp("", "ledger-bench-")
	if err != nil {
		b.Fatal(err)
	}
	benchDirs = append(benchDirs, dir)
	return Options{
		Dir:       filepath.Join(dir, "ledger"),
		KeyDir:    filepath.Join(dir, "keys"),
		AnchorDir: filepath.Join(dir, "anchor"),
		Origin:    "jikimi.bench",
	}
}

// BenchmarkSeal measures sealed records per second: concurrent callers
// (as ingest requests would be) each sealing one batch per call, every call
// waiting until its leaves are durable.
func BenchmarkSeal(b *testing.B) {
	for _, c := range []struct{ batch, par int }{{100, 8}, {100, 128}, {1000, 8}, {10000, 8}} {
		batch := c.batch
		b.Run(fmt.Sprintf("batch=%d/callers=%d", batch, c.par*runtime.GOMAXPROCS(0)), func(b *testing.B) {
			l, err := Open(context.Background(), benchOptions(b))
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			var ctr atomic.Int64
			b.SetParallelism(c.par)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				hs := make([]record.Hash, batch)
				for pb.Next() {
					base := ctr.Add(int64(batch))
					for i := range hs {
						hs[i] = crashHash(int(base) + i)
					}
					if _, err := l.Seal(context.Background(), "2026-07", hs); err != nil {
						b.Error(err)
						return
					}
				}
			})
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(ctr.Load())/el.Seconds(), "records/s")
		})
	}
}

// verifyFixture is a sealed period of verifyRecords records, built once.
type verifyFixture struct {
	o      Options
	ids    []string
	pos    []Position
	hashes []record.Hash
}

var (
	fixtureOnce sync.Once
	fixture     *verifyFixture
	fixtureErr  error
)

// benchVerifyRecords is the size of the verified period: 2M by default,
// JIKIMI_BENCH_VERIFY_RECORDS=10000000 for the 10M data dir.
var benchVerifyRecords = func() int {
	if n, err := strconv.Atoi(os.Getenv("JIKIMI_BENCH_VERIFY_RECORDS")); err == nil && n > 0 {
		return n / 10000 * 10000
	}
	return 2_000_000
}()

func getFixture(b *testing.B) *verifyFixture {
	fixtureOnce.Do(func() {
		f := &verifyFixture{o: benchOptions(b)}
		l, err := Open(context.Background(), f.o)
		if err != nil {
			fixtureErr = err
			return
		}
		const batch = 10000
		f.ids = make([]string, benchVerifyRecords)
		f.pos = make([]Position, benchVerifyRecords)
		f.hashes = make([]record.Hash, benchVerifyRecords)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for s := 0; s < benchVerifyRecords; s += batch {
			for i := s; i < s+batch; i++ {
				f.ids[i] = fmt.Sprintf("r-%d", i)
				f.hashes[i] = crashHash(i)
			}
			wg.Add(1)
			sem <- struct{}{}
			go func(s int) {
				defer func() { <-sem; wg.Done() }()
				pos, err := l.Seal(context.Background(), "2026-07", f.hashes[s:s+batch])
				if err != nil {
					fixtureErr = err
					return
				}
				copy(f.pos[s:], pos)
			}(s)
		}
		wg.Wait()
		if err := l.Close(); err != nil && fixtureErr == nil {
			fixtureErr = err
		}
		// The store returns records in (leaf, slot) order.
		idx := make([]int, benchVerifyRecords)
		for i := range idx {
			idx[i] = i
		}
		sortIdx(idx, f.pos)
		ids, pos, hs := make([]string, len(idx)), make([]Position, len(idx)), make([]record.Hash, len(idx))
		for j, i := range idx {
			ids[j], pos[j], hs[j] = f.ids[i], f.pos[i], f.hashes[i]
		}
		f.ids, f.pos, f.hashes = ids, pos, hs
		fixture = f
	})
	if fixtureErr != nil {
		b.Fatal(fixtureErr)
	}
	return fixture
}

func sortIdx(idx []int, pos []Position) {
	// Positions are unique and dense: bucket by (leaf, slot) directly.
	var maxLeaf uint64
	for _, p := range pos {
		maxLeaf = max(maxLeaf, p.Leaf)
	}
	slots := make([]int, (maxLeaf+1)*MaxHashesPerLeaf)
	for i := range slots {
		slots[i] = -1
	}
	for i, p := range pos {
		slots[p.Leaf*MaxHashesPerLeaf+uint64(p.Slot)] = i
	}
	j := 0
	for _, i := range slots {
		if i >= 0 {
			idx[j] = i
			j++
		}
	}
}

// BenchmarkVerify measures the verifier's Add+Finish path over a sealed
// period of 2M records: reading every entry bundle and tile, matching each
// record's hash to its slot, rehashing every leaf into the tree and checking
// the checkpoint, the anchors and their consistency proofs. Record hashes
// are precomputed: recomputing them from canonical bytes is the store's
// part of `jikimi verify`.
func BenchmarkVerify(b *testing.B) {
	f := getFixture(b)
	o := f.o
	o.ReadOnly = true
	l, err := Open(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		v, err := l.NewVerifier(context.Background(), "2026-07")
		if err != nil {
			b.Fatal(err)
		}
		for i := range f.ids {
			v.Add(f.ids[i], f.pos[i], f.hashes[i])
		}
		rep, err := v.Finish()
		if err != nil {
			b.Fatal(err)
		}
		if !rep.OK() || rep.Records != int64(benchVerifyRecords) {
			b.Fatalf("report: %d records, findings %v", rep.Records, kinds(rep))
		}
	}
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)*float64(benchVerifyRecords)/el.Seconds(), "records/s")
}
