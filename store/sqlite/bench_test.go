package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/subject"
)

// benchStore opens a store of JIKIMI_BENCH_RECORDS records (default 10
// million) in JIKIMI_BENCH_DIR (default a folder under the system's temp
// directory), building it on first use: 2,000 staff over 150 days, 3
// million customers, one subject a record and a bulk export touching 5,000
// subjects every 10,000 records. Building 10 million records takes minutes;
// later runs reuse the folder.
func benchStore(b *testing.B) (*DB, *subject.Keyer, int) {
	b.Helper()
	n := benchRecords()
	dir := benchDir(n)
	ctx := context.Background()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	db, err := Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	k, err := subject.LoadKey(dir)
	if err != nil {
		b.Fatal(err)
	}
	have, _ := db.Count(ctx, store.Query{})
	if int(have) < n {
		b.Logf("building a %d-record store in %s", n, dir)
		rng := rand.New(rand.NewPCG(7, 7))
		start := time.Date(2026, 5, 1, 0, 0, 0, 0, kstBench)
		step := 150 * 24 * time.Hour / time.Duration(n)
		const batch = 20000
		for i := int(have); i < n; i += batch {
			tx, err := db.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			es := make([]store.Entry, 0, batch)
			for j := i; j < min(i+batch, n); j++ {
				t := start.Add(time.Duration(j) * step)
				actor := fmt.Sprintf("staff%04d", rng.IntN(2000))
				subj := fmt.Sprintf("C%08d", rng.IntN(3_000_000))
				refs := []store.SubjectRef{benchRef(k, subj)}
				if j%10000 == 9999 {
					for range 5000 {
						refs = append(refs, benchRef(k, fmt.Sprintf("C%08d", rng.IntN(3_000_000))))
					}
				}
				canon := fmt.Sprintf(`{"id":"r%09d","time":"%s","system":"crm","actor":{"id":"%s","name":"김지수","dept":"고객지원"},"action":"view","origin":{"ip":"10.1.%d.%d","host":"pc-%s"},"auth":{"method":"password","session":"s-%d"},"target":{"object":"/customers/detail","kind":"screen"},"detail":"GET /customers/detail?id=*****","result":{"status":"ok","rows":1},"subjects":["%s"]}`,
					j, t.Format(time.RFC3339), actor, rng.IntN(8), rng.IntN(250), actor, rng.IntN(1e6), refs[0].Pseudonym)
				es = append(es, store.Entry{ID: fmt.Sprintf("r%09d", j), Time: t, System: "crm", Actor: actor, Action: "view",
					IP: fmt.Sprintf("10.1.%d.%d", rng.IntN(8), rng.IntN(250)), Rows: 1, Bytes: -1, SubjectCount: int64(len(refs)),
					Subjects: refs, Canonical: []byte(canon), Period: t.Format("2006-01")})
			}
			if _, err := tx.Insert(pointers(es)); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Cleanup(func() { db.Close() })
	return db, k, n
}

var kstBench = time.FixedZone("KST", 9*3600)

// benchRecords is the size of the benchmark store: JIKIMI_BENCH_RECORDS,
// default 10 million.
func benchRecords() int {
	if s := os.Getenv("JIKIMI_BENCH_RECORDS"); s != "" {
		n, _ := strconv.Atoi(s)
		return n
	}
	return 10_000_000
}

// benchDir is where the benchmark store of n records lives:
// JIKIMI_BENCH_DIR, default a folder under the system's temp directory.
func benchDir(n int) string {
	if dir := os.Getenv("JIKIMI_BENCH_DIR"); dir != "" {
		return dir
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("jikimi-bench-store-%d", n))
}

func benchRef(k *subject.Keyer, id string) store.SubjectRef {
	p := k.Of(id)
	return store.SubjectRef{Pseudonym: p, Sealed: k.Seal(p, id)}
}

// BenchmarkSearch measures the searches the foundation issue sets a target
// for (under 100 ms over 10 million records): by actor and time range, and
// by data subject.
func BenchmarkSearch(b *testing.B) {
	db, k, _ := benchStore(b)
	ctx := context.Background()
	from := time.Date(2026, 7, 1, 0, 0, 0, 0, kstBench)
	b.Run("actor+month", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			recs, err := db.Records(ctx, store.Query{Actor: fmt.Sprintf("staff%04d", i%2000), From: from, To: from.AddDate(0, 1, 0), Limit: 100})
			if err != nil || len(recs) == 0 {
				b.Fatalf("%d records, %v", len(recs), err)
			}
		}
	})
	b.Run("actor+month/count", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			n, err := db.Count(ctx, store.Query{Actor: fmt.Sprintf("staff%04d", i%2000), From: from, To: from.AddDate(0, 1, 0)})
			if err != nil || n == 0 {
				b.Fatalf("%d records, %v", n, err)
			}
		}
	})
	b.Run("subject", func(b *testing.B) {
		// The first search by subject loads the subjects into memory (see
		// BenchmarkOpenSubjects); this measures searches after it.
		p := k.Of("C00000001")
		if _, err := db.Records(ctx, store.Query{Subject: &p, Limit: 1}); err != nil {
			b.Fatal(err)
		}
		i := 0
		found := 0
		for b.Loop() {
			i++
			p := k.Of(fmt.Sprintf("C%08d", (i*7919)%3_000_000))
			recs, err := db.Records(ctx, store.Query{Subject: &p, Limit: 100})
			if err != nil {
				b.Fatal(err)
			}
			found += len(recs)
		}
		if found == 0 {
			b.Fatal("no subject was found")
		}
	})
}

// BenchmarkOpenSubjects measures what the first search by subject, write
// or re-identification after Open pays: reading every subject into memory.
func BenchmarkOpenSubjects(b *testing.B) {
	_, _, n := benchStore(b) // built, and open: this opens it a second time
	dir := benchDir(n)
	ctx := context.Background()
	for b.Loop() {
		d, err := Open(ctx, dir)
		if err != nil {
			b.Fatal(err)
		}
		if err := d.ensureSubjects(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(d.subjects)), "subjects")
		d.Close()
	}
}
