package sqlite

import (
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

func TestSubjectSetForms(t *testing.T) {
	bm := roaring.New()
	for _, n := range []int{1, 3, maxListSize, maxListSize + 1, 5000} {
		var nums []uint32
		for i := range n {
			nums = append(nums, uint32(7*i+1e6), uint32(7*i+1e6)) // duplicates too
		}
		want := slices.Compact(slices.Sorted(slices.Values(nums)))
		b, err := appendSubjects(nil, slices.Clone(nums), bm)
		if err != nil {
			t.Fatal(err)
		}
		if list := b[0] == listTag; list != (n <= maxListSize) {
			t.Fatalf("%d subjects stored as a list: %v", n, list)
		}
		var got []uint32
		if err := eachSubjectNum(b, func(m uint32) bool { got = append(got, m); return true }); err != nil || !slices.Equal(got, want) {
			t.Fatalf("%d subjects read back as %d, %v", n, len(got), err)
		}
		if set, err := subjectBitmap(b); err != nil || !slices.Equal(set.ToArray(), want) {
			t.Fatalf("%d subjects: bitmap of %d, %v", n, set.GetCardinality(), err)
		}
		for _, probe := range []uint32{want[0], want[len(want)-1], want[0] + 1, 5} {
			if ok, err := hasSubject(b, probe); err != nil || ok != slices.Contains(want, probe) {
				t.Fatalf("%d subjects: hasSubject(%d) = %v, %v", n, probe, ok, err)
			}
		}
	}
	if err := eachSubjectNum([]byte{listTag, 0xff}, func(uint32) bool { return true }); err == nil {
		t.Fatal("a truncated list was read")
	}
}
