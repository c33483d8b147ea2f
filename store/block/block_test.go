package block

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// sample returns n records that exercise every column: unknown and known
// sizes, subject sets large and absent, tombstones, empty strings and
// canonical bytes long enough to span several frames.
func sample(t testing.TB, n int, seed uint64) []Record {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	recs := make([]Record, n)
	base := int64(1_790_000_000) * 1e9
	for i := range recs {
		r := &recs[i]
		r.ID = fmt.Sprintf("rec-%d-%d", seed, i)
		r.Time = base + rng.Int64N(3600e9) - 1800e9
		r.Actor, r.System, r.Action = rng.Uint32N(5000), rng.Uint32N(20), rng.Uint32N(15)
		if rng.IntN(4) > 0 {
			r.IP = fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), rng.IntN(256))
		}
		if rng.IntN(3) == 0 {
			r.KeyID, r.Device, r.Session = "jwt-2022", fmt.Sprintf("fc-%d", rng.IntN(99)), fmt.Sprintf("s-%d", rng.IntN(1e6))
		}
		r.Rows, r.Bytes = -1, -1
		if rng.IntN(2) == 0 {
			r.Rows, r.Bytes = rng.Int64N(1e7), 0
		}
		if k := rng.IntN(10); k > 0 {
			bm := roaring.New()
			for range k * k * k {
				bm.Add(rng.Uint32N(3_000_000))
			}
			var err error
			if r.Subjects, err = bm.ToBytes(); err != nil {
				t.Fatal(err)
			}
			r.SubjectCount = int64(bm.GetCardinality()) + rng.Int64N(3)
		}
		if rng.IntN(20) == 0 {
			r.Deleted, r.Deletion = true, rng.Int64N(100)+1
			r.Hash[0], r.Hash[31] = byte(i), byte(seed)
			continue
		}
		r.Canonical = fmt.Appendf(nil, `{"id":%q,"time":"…","detail":"%s"}`, r.ID, bytes.Repeat([]byte("조회 "), rng.IntN(400)))
	}
	return recs
}

// decodeAll reads every record of s back, checking the flags Decode does
// not return.
func decodeAll(t testing.TB, s Sections) []Record {
	t.Helper()
	out, err := Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	var h Head
	if err := DecodeHead(s.Head, &h); err != nil {
		t.Fatal(err)
	}
	for i, r := range out {
		if (h.Flags(i)&FlagSubjects != 0) != (r.Subjects != nil) {
			t.Fatalf("record %d: subjects flag %v, set %v", i, h.Flags(i)&FlagSubjects != 0, r.Subjects != nil)
		}
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{1, 2, 37, MaxRecords} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			want := sample(t, n, uint64(n))
			s, err := Encode(want)
			if err != nil {
				t.Fatal(err)
			}
			got := decodeAll(t, s)
			for i := range want {
				w, g := fmt.Sprintf("%+v", want[i]), fmt.Sprintf("%+v", got[i])
				if w != g {
					t.Fatalf("record %d:\n got %s\nwant %s", i, g, w)
				}
			}
		})
	}
}

func TestCanonFramesAndRandomAccess(t *testing.T) {
	recs := sample(t, MaxRecords, 9)
	s, err := Encode(recs)
	if err != nil {
		t.Fatal(err)
	}
	var cn Canon
	if err := cn.Reset(s.Canon, len(recs)); err != nil {
		t.Fatal(err)
	}
	if len(cn.frames) < 4 {
		t.Fatalf("%d frames for %d records of about 500 bytes; want several of %d bytes", len(cn.frames), len(recs), FrameBytes)
	}
	for _, i := range []int{500, 3, 511, 0, 250, 251} { // out of order: frames are decoded on demand
		got, err := cn.Get(i)
		if err != nil || !bytes.Equal(got, recs[i].Canonical) {
			t.Fatalf("Get(%d) = %.40q, %v; want %.40q", i, got, err, recs[i].Canonical)
		}
	}
}

func TestEncodeRejectsBadSizes(t *testing.T) {
	if _, err := Encode(nil); err == nil {
		t.Fatal("an empty block was encoded")
	}
	if _, err := Encode(make([]Record, MaxRecords+1)); err == nil {
		t.Fatal("an oversized block was encoded")
	}
}

func TestCorruptSectionsAreErrors(t *testing.T) {
	recs := sample(t, 40, 3)
	s, err := Encode(recs)
	if err != nil {
		t.Fatal(err)
	}
	var h Head
	if err := DecodeHead(s.Head[:len(s.Head)-3], &h); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated head: %v, want ErrCorrupt", err)
	}
	if err := DecodeHead(s.Head, &h); err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(s.Cols)
	flipped[len(flipped)/2] ^= 0x40
	var c Cols
	if err := DecodeCols(flipped, &h, &c); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("flipped cols byte: %v, want ErrCorrupt (zstd's checksum)", err)
	}
	var cn Canon
	flipped = bytes.Clone(s.Canon)
	flipped[len(flipped)-5] ^= 0x01
	if err := cn.Reset(flipped, h.N); err != nil {
		t.Fatal(err) // the frame table is intact
	}
	if _, err := cn.Get(h.N - 1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("flipped canon byte: %v, want ErrCorrupt", err)
	}
	if err := cn.Reset(s.Canon, h.N+1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("canon of another record count: %v, want ErrCorrupt", err)
	}
}

// FuzzDecode feeds arbitrary sections to the decoders: errors are fine,
// panics and out-of-range slices are not.
func FuzzDecode(f *testing.F) {
	s, err := Encode(sample(f, 5, 1))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(s.Head, s.Cols, s.Canon)
	f.Add([]byte{1, 1, 0, 0, 0, 0, 0, 0}, []byte{}, []byte{1, 0})
	f.Fuzz(func(t *testing.T, head, cols, canon []byte) {
		var h Head
		if DecodeHead(head, &h) != nil {
			return
		}
		var c Cols
		if DecodeCols(cols, &h, &c) == nil {
			for i := range h.N {
				_, _, _, _, _ = c.ID(i), c.IP(i), c.KeyID(i), c.Device(i), c.Session(i)
				_ = c.Subjects(i)
				c.Tombstone(i)
			}
		}
		var cn Canon
		if cn.Reset(canon, h.N) == nil {
			for i := range h.N {
				cn.Get(i)
			}
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	recs := sample(b, MaxRecords, 5)
	size := 0
	for _, r := range recs {
		size += len(r.Canonical)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		if _, err := Encode(recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
