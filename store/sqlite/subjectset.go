package sqlite

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// A record's subject set is stored in one of two forms. Most records touch
// one subject, or a handful: those are a list, the byte listTag then the
// ascending numbers as uvarint deltas (a few bytes each). Larger sets are a
// serialized roaring bitmap, whose first byte (its cookie, 0x3a or 0x3b)
// never equals listTag. Serializing a bitmap of one number cost a
// microsecond a record and 20 bytes.

const (
	listTag     = 0x01
	maxListSize = 64 // larger sets are bitmaps
)

var errBadSubjects = errors.New("corrupt subject set")

// appendSubjects appends the stored form of the subject numbers nums
// (sorted and deduplicated in place) to dst.
func appendSubjects(dst []byte, nums []uint32, bm *roaring.Bitmap) ([]byte, error) {
	slices.Sort(nums)
	nums = slices.Compact(nums)
	if len(nums) <= maxListSize {
		dst = append(dst, listTag)
		prev := uint32(0)
		for _, n := range nums {
			dst = binary.AppendUvarint(dst, uint64(n-prev))
			prev = n
		}
		return dst, nil
	}
	bm.Clear()
	bm.AddMany(nums)
	bm.RunOptimize()
	var buf bytes.Buffer
	buf.Write(dst)
	if _, err := bm.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// eachSubjectNum calls fn with each number of a stored subject set, in
// ascending order, until fn returns false.
func eachSubjectNum(b []byte, fn func(n uint32) bool) error {
	if len(b) > 0 && b[0] == listTag {
		prev := uint32(0)
		for b = b[1:]; len(b) > 0; {
			d, k := binary.Uvarint(b)
			if k <= 0 || d > 1<<32-1 {
				return errBadSubjects
			}
			b = b[k:]
			prev += uint32(d)
			if !fn(prev) {
				return nil
			}
		}
		return nil
	}
	bm := roaring.New()
	if _, err := bm.FromUnsafeBytes(b); err != nil {
		return err
	}
	for it := bm.Iterator(); it.HasNext(); {
		if !fn(it.Next()) {
			return nil
		}
	}
	return nil
}

// subjectBitmap returns a stored subject set as a bitmap of its own (the
// caller may keep it).
func subjectBitmap(b []byte) (*roaring.Bitmap, error) {
	bm := roaring.New()
	if len(b) > 0 && b[0] == listTag {
		err := eachSubjectNum(b, func(n uint32) bool { bm.Add(n); return true })
		return bm, err
	}
	_, err := bm.ReadFrom(bytes.NewReader(b))
	return bm, err
}

// hasSubject reports whether a stored subject set holds n.
func hasSubject(b []byte, n uint32) (bool, error) {
	found := false
	err := eachSubjectNum(b, func(m uint32) bool {
		found = m == n
		return m < n
	})
	return found, err
}
