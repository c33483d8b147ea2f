package breach_test

import (
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/jikimi/jikimi/breach"
)

func TestUnionEqualsFastOr(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name      string
		sets, per int
		universe  uint32
	}{
		{"none", 0, 0, 1},
		{"one set", 1, 100, 1000},
		{"one subject each", 5000, 1, 100_000},
		{"sparse, overlapping", 300, 50, 2000},
		{"dense (over a million numbers)", 2000, 700, 5_000_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sets := make([]*roaring.Bitmap, tc.sets)
			for i := range sets {
				sets[i] = roaring.New()
				for range tc.per {
					sets[i].Add(rng.Uint32N(tc.universe))
				}
			}
			want := roaring.FastOr(sets...)
			got := breach.Union(sets)
			if !got.Equals(want) {
				t.Fatalf("Union: %d subjects, FastOr: %d", got.GetCardinality(), want.GetCardinality())
			}
			if len(sets) == 1 && got == sets[0] {
				t.Error("Union returned its argument, not a copy")
			}
		})
	}
}
