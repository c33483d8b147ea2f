package breach_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/jikimi/jikimi/breach"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/store/sqlite"
	"github.com/jikimi/jikimi/subject"
)

// Sizes of the impact benchmark. The target is 100 million records
// and 30 million subjects; the store is built here at JIKIMI_BENCH_RECORDS
// records (default 1 million), of which benchActorRecords belong to the
// actor under investigation, spread over 150 days ("5 months").
const (
	benchActorRecords = 50_000
	benchCustomers    = 3_000_000
	benchDays         = 150
)

// benchStore opens (building on first use, in JIKIMI_BENCH_DIR or a folder
// under the temp directory, reused by later runs) a store of n records:
// 2,000 staff reading one customer a record, and the actor "forger" whose
// forged tokens (key jwt-2022) read one customer a record from two
// addresses — every n/50,000-th record. Records are inserted through
// store.Tx directly: the pipeline's validation and sealing are not what is
// measured, and would make a large store take far longer to build.
func benchStore(b *testing.B) *sqlite.DB {
	b.Helper()
	n := 1_000_000
	if s := os.Getenv("JIKIMI_BENCH_RECORDS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	dir := os.Getenv("JIKIMI_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), fmt.Sprintf("jikimi-bench-breach-%d", n))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	have, err := db.Count(ctx, store.Query{})
	if err != nil {
		b.Fatal(err)
	}
	if int(have) >= n {
		return db
	}
	k, err := subject.LoadKey(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("building a %d-record store in %s", n, dir)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, kst)
	step := benchDays * 24 * time.Hour / time.Duration(n)
	every := n / benchActorRecords
	rng := rand.New(rand.NewPCG(11, uint64(have)))
	const batch = 20000
	buf := make([]byte, 0, 512)
	for i := int(have); i < n; i += batch {
		tx, err := db.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		es := make([]store.Entry, 0, batch)
		for j := i; j < min(i+batch, n); j++ {
			c := fmt.Sprintf("C%08d", rng.IntN(benchCustomers))
			r := record.Record{ID: fmt.Sprintf("r%09d", j), Time: start.Add(time.Duration(j) * step), System: "crm",
				Actor: record.Actor{ID: fmt.Sprintf("staff%04d", rng.IntN(2000))}, Action: record.View,
				Origin: record.Origin{IP: fmt.Sprintf("10.1.%d.%d", rng.IntN(8), rng.IntN(250))},
				Auth:   record.Auth{Method: "password", Session: fmt.Sprintf("s-%d", rng.IntN(1e6))},
				Target: record.Target{Object: "/customers/detail", Kind: "screen"}, Result: record.Result{Rows: record.Int64(1)}}
			if j%every == every-1 {
				r.System, r.Actor = "member-api", record.Actor{ID: "forger", Type: "customer"}
				r.Origin = record.Origin{IP: []string{"45.76.12.34", "149.28.3.77"}[(j/every)%2]}
				r.Auth = record.Auth{Method: "token", KeyID: "jwt-2022", Session: fmt.Sprintf("f-%d", j), External: true}
			}
			p := k.Of(c)
			r.Subjects = []string{p.String()}
			buf = r.AppendCanonical(buf[:0])
			es = append(es, store.Entry{ID: r.ID, Time: r.Time, System: r.System, Actor: r.Actor.ID, Action: "view", IP: r.Origin.IP,
				Rows: 1, Bytes: -1, SubjectCount: 1, Subjects: []store.SubjectRef{{Pseudonym: p, Sealed: k.Seal(p, c)}},
				Canonical: append([]byte(nil), buf...), Period: r.Time.Format("2006-01")})
		}
		ptrs := make([]*store.Entry, len(es))
		for i := range es {
			ptrs[i] = &es[i]
		}
		if _, err := tx.Insert(ptrs); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// BenchmarkImpact measures breach.Impact — the indexed query, the
// per-record rows and the bitmap unions by scope, system and day — over
// the actor's five months, on a store of JIKIMI_BENCH_RECORDS records.
func BenchmarkImpact(b *testing.B) {
	db := benchStore(b)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		scope breach.Scope
	}{
		{"actor-5-months", breach.Scope{Actor: "forger"}},
		{"actor+key-id", breach.Scope{Actor: "forger", KeyID: "jwt-2022"}},
		{"address-5-months", breach.Scope{IP: "45.76.12.34"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var rep *breach.Report
			for b.Loop() {
				var err error
				if rep, err = breach.Impact(ctx, db, tc.scope, nil); err != nil {
					b.Fatal(err)
				}
			}
			if rep.Records == 0 || rep.Subjects == 0 {
				b.Fatalf("empty report: %+v", rep)
			}
			b.ReportMetric(float64(rep.Records), "records")
			b.ReportMetric(float64(rep.Subjects), "subjects")
			b.ReportMetric(float64(rep.Set.GetSerializedSizeInBytes()), "union-bytes")
		})
	}
	// The store's part alone: the indexed query and decoding each row's
	// bitmap, without the unions.
	b.Run("query-only", func(b *testing.B) {
		n := 0
		for b.Loop() {
			n = 0
			err := db.ImpactRows(ctx, store.Query{Actor: "forger"}, breach.Filter{}, func(*breach.Row) error { n++; return nil })
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n), "records")
	})
}

// BenchmarkUnion measures the union alone at the scale: 50,000
// record bitmaps over a universe of 30 million subject numbers, built
// directly (a store holding 30 million subjects is not built here). With
// one subject a record the union is small; with 600 a record the actor
// touched 30 million subject slots and the union holds about 19 million.
func BenchmarkUnion(b *testing.B) {
	const universe = 30_000_000
	for _, per := range []int{1, 600} {
		rng := rand.New(rand.NewPCG(3, uint64(per)))
		sets := make([]*roaring.Bitmap, benchActorRecords)
		for i := range sets {
			bm := roaring.New()
			for range per {
				bm.Add(rng.Uint32N(universe))
			}
			// As the store returns them: decoded from their bytes.
			raw, err := bm.ToBytes()
			if err != nil {
				b.Fatal(err)
			}
			sets[i] = roaring.New()
			if _, err := sets[i].FromUnsafeBytes(raw); err != nil {
				b.Fatal(err)
			}
		}
		for _, f := range []struct {
			name string
			fn   func([]*roaring.Bitmap) *roaring.Bitmap
		}{
			{"breach.Union", breach.Union},
			{"roaring.FastOr", func(s []*roaring.Bitmap) *roaring.Bitmap { return roaring.FastOr(s...) }},
		} {
			b.Run(fmt.Sprintf("50k-records/%d-subjects-each/%s", per, f.name), func(b *testing.B) {
				var u *roaring.Bitmap
				for b.Loop() {
					u = f.fn(sets)
				}
				b.ReportMetric(float64(u.GetCardinality()), "subjects")
				b.ReportMetric(float64(u.GetSerializedSizeInBytes()), "union-bytes")
			})
		}
	}
}
