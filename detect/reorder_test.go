package detect

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestReorderBuf: the buffer always gives the earliest record it holds
// (ties in arrival order), whether records arrive in order or late, with
// pops between pushes as the engine does.
func TestReorderBuf(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b reorderBuf
	var want []held // what b should hold
	earliest := func() int {
		return slices.IndexFunc(want, func(x held) bool {
			return !slices.ContainsFunc(want, func(y held) bool { return y.before(x) })
		})
	}
	now := int64(0)
	for seq := uint64(1); seq <= 5000; seq++ {
		now += rng.Int64N(3)
		x := held{t: now, seq: seq}
		if rng.IntN(10) == 0 {
			x.t -= rng.Int64N(50) // late
		}
		b.push(x)
		want = append(want, x)
		for len(want) > 0 && rng.IntN(3) > 0 {
			i := earliest()
			if got := b.first(); got != want[i] {
				t.Fatalf("first %+v, want %+v", got, want[i])
			}
			if got := b.pop(); got != want[i] {
				t.Fatalf("pop %+v, want %+v", got, want[i])
			}
			want = slices.Delete(want, i, i+1)
		}
		if b.len() != len(want) {
			t.Fatalf("len %d, want %d", b.len(), len(want))
		}
	}
}
