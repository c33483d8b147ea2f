package sqlite

import (
	"encoding/binary"
	"errors"
)

// bloom is a blocked Bloom filter over 64-bit keys: each key sets bloomK
// bits within one 512-bit block (one cache line), so a test touches one
// line. At bloomBitsPerKey bits a key it answers "maybe" for about 0.2 % of
// absent keys. The term index keeps one a run, over the run's record ids,
// so that checking an incoming record for a duplicate reads no chunk in
// almost every run.
type bloom struct {
	words []uint64 // len a multiple of 8
}

const (
	bloomBitsPerKey = 16
	bloomK          = 8
)

func newBloom(keys int) *bloom {
	blocks := max(1, (keys*bloomBitsPerKey+511)/512)
	return &bloom{words: make([]uint64, blocks*8)}
}

// mix spreads a key's bits (record-id keys are already hashes, other
// callers' may not be).
func mix(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	return k ^ k>>33
}

// positions calls fn with the word index and bit of each of key's bits.
func (b *bloom) positions(key uint64, fn func(w int, bit uint64) bool) bool {
	h := mix(key)
	blk := int((h >> 32) * uint64(len(b.words)/8) >> 32)
	g := h*0x9e3779b97f4a7c15 | 1
	for range bloomK {
		g ^= g << 13
		g ^= g >> 7
		g ^= g << 17
		pos := g >> 55 // 9 bits: 0..511
		if !fn(blk*8+int(pos>>6), 1<<(pos&63)) {
			return false
		}
	}
	return true
}

func (b *bloom) add(key uint64) {
	b.positions(key, func(w int, bit uint64) bool { b.words[w] |= bit; return true })
}

func (b *bloom) mayHave(key uint64) bool {
	return b.positions(key, func(w int, bit uint64) bool { return b.words[w]&bit != 0 })
}

func (b *bloom) marshal() []byte {
	out := make([]byte, 8*len(b.words))
	for i, w := range b.words {
		binary.LittleEndian.PutUint64(out[8*i:], w)
	}
	return out
}

func unmarshalBloom(data []byte) (*bloom, error) {
	if len(data) == 0 || len(data)%64 != 0 {
		return nil, errors.New("bloom filter of a bad size")
	}
	b := &bloom{words: make([]uint64, len(data)/8)}
	for i := range b.words {
		b.words[i] = binary.LittleEndian.Uint64(data[8*i:])
	}
	return b, nil
}
