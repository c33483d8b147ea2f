// Package block is the at-rest format of access records: the records of
// one ingest batch and seal period, in seal order, packed into a block of
// three sections that a store keeps side by side.
//
//   - Head, uncompressed and of fixed-width columns read in place: per
//     record its time, actor, system and action (as the store's dictionary
//     numbers) and flags. Counting, activity tables and most filters need
//     nothing else, so they never decompress, and a search that tests one
//     column of a block reads 4 bytes a record of it.
//   - Cols, one zstd frame: per record its id, address, key id, device,
//     session, rows, bytes, subject count and subject set (of the store's
//     subject numbers, in a form the store chooses), and the kept hash of
//     each record deleted by retention.
//   - Canon, a run of independently compressed S2 frames of about
//     FrameBytes of canonical bytes each, so that reading one record
//     decompresses one frame, not the block, each with the CRC-32C of its
//     bytes. S2 rather than zstd: on the demo month's records it packs
//     5.8× against zstd's 9.3×, but compresses 2.8× and decompresses 1.6×
//     faster, and ingest and verification are bound by exactly that.
//
// The canonical bytes are the truth: they are what the ledger seals and
// what verification re-hashes. Head and Cols repeat what a search needs
// from them; the store derives both from the same entry.
//
// Every section is laid out column by column (all ids, then all addresses
// …), which is what lets the compressors find the repetition between
// records. A
// decoder checks every length and count against its section and returns
// an error, never a panic, on any input (FuzzDecode).
package block

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

const (
	// MaxRecords is the most records a block holds. A larger block costs
	// less a record to write, index and verify (1,024 against 512: 8 %
	// less CPU to verify the demo month) and more to read one record's
	// columns from.
	MaxRecords = 1024
	// FrameBytes is the canonical bytes after which a Canon frame is
	// closed: a larger frame compresses better, a smaller one is cheaper
	// to read one record from. 64 KiB decompresses in about 50 µs.
	FrameBytes = 64 << 10
	// version is the first byte of Head and of Cols.
	version = 1
	// maxDecoded bounds what one frame may decompress to, so that a
	// corrupt or hostile block cannot exhaust memory.
	maxDecoded = 256 << 20
)

// Flags of a record in Head.
const (
	FlagDeleted  = 1 << iota // deleted by retention: no canonical bytes, hash kept
	FlagSubjects             // has a subject set
)

// Record is one record of a block as the store keeps it.
type Record struct {
	ID           string
	Time         int64  // Unix nanoseconds
	Actor        uint32 // dictionary numbers of the store
	System       uint32
	Action       uint32
	IP           string
	KeyID        string
	Device       string
	Session      string
	Rows         int64  // -1: unknown
	Bytes        int64  // -1: unknown
	SubjectCount int64  // data subjects processed (>= the set's size)
	Subjects     []byte // the subject set in the store's form; nil: no set
	Canonical    []byte // nil when Deleted
	Deleted      bool
	Hash         [32]byte // Deleted only: the sealed hash the tombstone keeps
	Deletion     int64    // Deleted only: the store's number of the deletion act
}

// Sections is an encoded block.
type Sections struct {
	Head, Cols, Canon []byte
}

// ErrCorrupt is wrapped by every decoding error.
var ErrCorrupt = errors.New("corrupt block")

func corrupt(section, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrCorrupt, section, fmt.Sprintf(format, args...))
}

// The zstd coder pair (for Cols) is shared: EncodeAll and DecodeAll may be called
// concurrently, each call on one goroutine.
var (
	coderOnce sync.Once
	zenc      *zstd.Encoder
	zdec      *zstd.Decoder
)

func coders() (*zstd.Encoder, *zstd.Decoder) {
	coderOnce.Do(func() {
		var err error
		zenc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithLowerEncoderMem(true))
		if err != nil {
			panic(err) // only on invalid options
		}
		zdec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxDecoded), zstd.WithDecoderLowmem(true))
		if err != nil {
			panic(err)
		}
	})
	return zenc, zdec
}

// Encode packs recs (at most MaxRecords, in seal order) into a block. It
// may be called concurrently.
func Encode(recs []Record) (Sections, error) {
	if len(recs) == 0 || len(recs) > MaxRecords {
		return Sections{}, fmt.Errorf("block: %d records (want 1 to %d)", len(recs), MaxRecords)
	}
	enc, _ := coders()
	var s Sections
	s.Head = encodeHead(recs)
	raw := scratch.Get().(*[]byte)
	defer scratch.Put(raw)
	*raw = encodeCols((*raw)[:0], recs)
	s.Cols = enc.EncodeAll(*raw, make([]byte, 0, len(*raw)/2))
	s.Canon = encodeCanon(recs)
	return s, nil
}

// scratch holds buffers for what is compressed: encoding runs for every
// block ingested, and its inputs are garbage as soon as it returns.
var scratch = sync.Pool{New: func() any { return new([]byte) }}

// headBytes is what a record takes in the head: time (8), actor, system,
// action (4 each) and flags (1).
const headBytes = 21

func encodeHead(recs []Record) []byte {
	n := len(recs)
	b := make([]byte, 0, 4+headBytes*n)
	b = append(b, version)
	b = binary.AppendUvarint(b, uint64(n))
	for _, r := range recs {
		b = binary.LittleEndian.AppendUint64(b, uint64(r.Time))
	}
	for _, r := range recs {
		b = binary.LittleEndian.AppendUint32(b, r.Actor)
	}
	for _, r := range recs {
		b = binary.LittleEndian.AppendUint32(b, r.System)
	}
	for _, r := range recs {
		b = binary.LittleEndian.AppendUint32(b, r.Action)
	}
	for _, r := range recs {
		var f byte
		if r.Deleted {
			f |= FlagDeleted
		}
		if r.Subjects != nil {
			f |= FlagSubjects
		}
		b = append(b, f)
	}
	return b
}

// stringCols are the string columns of Cols, in order.
func stringCols(r *Record) [5]string { return [5]string{r.ID, r.IP, r.KeyID, r.Device, r.Session} }

// encodeCols appends the uncompressed cols section to b.
func encodeCols(b []byte, recs []Record) []byte {
	b = append(b, version)
	b = binary.AppendUvarint(b, uint64(len(recs)))
	for c := range 5 {
		for i := range recs {
			b = binary.AppendUvarint(b, uint64(len(stringCols(&recs[i])[c])))
		}
		for i := range recs {
			b = append(b, stringCols(&recs[i])[c]...)
		}
	}
	// Rows and bytes are stored +1 so that unknown (-1) is 0.
	for i := range recs {
		b = binary.AppendUvarint(b, uint64(recs[i].Rows+1))
	}
	for i := range recs {
		b = binary.AppendUvarint(b, uint64(recs[i].Bytes+1))
	}
	for i := range recs {
		b = binary.AppendUvarint(b, uint64(recs[i].SubjectCount))
	}
	for i := range recs {
		b = binary.AppendUvarint(b, uint64(len(recs[i].Subjects)))
	}
	for i := range recs {
		b = append(b, recs[i].Subjects...)
	}
	for i := range recs {
		if recs[i].Deleted {
			b = append(b, recs[i].Hash[:]...)
			b = binary.AppendUvarint(b, uint64(recs[i].Deletion))
		}
	}
	return b
}

// encodeCanon writes frames of consecutive records' canonical bytes, each
// frame uvarint(records) uvarint(compressed length) CRC-32C(uncompressed,
// 4 bytes little-endian) S2(for each record: uvarint(length) bytes).
func encodeCanon(recs []Record) []byte {
	size := 0
	for i := range recs {
		size += len(recs[i].Canonical)
	}
	out := make([]byte, 0, size/4+64) // S2 makes records about 6× smaller
	raw, frame := scratch.Get().(*[]byte), scratch.Get().(*[]byte)
	defer scratch.Put(raw)
	defer scratch.Put(frame)
	*raw = (*raw)[:0]
	first := 0
	flush := func(end int) {
		if end == first {
			return
		}
		*frame = s2.Encode((*frame)[:cap(*frame)], *raw)
		out = binary.AppendUvarint(out, uint64(end-first))
		out = binary.AppendUvarint(out, uint64(len(*frame)))
		out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(*raw, castagnoli))
		out = append(out, *frame...)
		*raw, first = (*raw)[:0], end
	}
	for i := range recs {
		*raw = binary.AppendUvarint(*raw, uint64(len(recs[i].Canonical)))
		*raw = append(*raw, recs[i].Canonical...)
		if len(*raw) >= FrameBytes {
			flush(i + 1)
		}
	}
	flush(len(recs))
	return out
}

// castagnoli is CRC-32C, which processors compute in hardware.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)
