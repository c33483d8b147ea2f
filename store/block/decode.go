package block

import (
	"encoding/binary"
	"hash/crc32"
	"slices"

	"github.com/klauspost/compress/s2"
)

// reader reads uvarints from a section, remembering the first error.
type reader struct {
	b       []byte
	section string
	err     error
}

func (r *reader) uvarint() uint64 {
	if r.err == nil && len(r.b) > 0 && r.b[0] < 0x80 { // most lengths and counts: one byte
		v := uint64(r.b[0])
		r.b = r.b[1:]
		return v
	}
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = corrupt(r.section, "truncated number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = corrupt(r.section, "%d bytes wanted, %d left", n, len(r.b))
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// count reads a record count and checks it against want (0: any up to
// MaxRecords).
func (r *reader) count(want int) int {
	if r.err == nil && len(r.b) > 0 && r.b[0] != version {
		r.err = corrupt(r.section, "version %d, want %d", r.b[0], version)
	}
	r.bytes(1)
	n := r.uvarint()
	switch {
	case r.err != nil:
	case n == 0 || n > MaxRecords:
		r.err = corrupt(r.section, "%d records", n)
	case want != 0 && int(n) != want:
		r.err = corrupt(r.section, "%d records, the head has %d", n, want)
	}
	return int(n)
}

func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = corrupt(r.section, "%d bytes after the last column", len(r.b))
	}
	return r.err
}

// Head is a head section, checked and read in place: its columns are
// slices of the section's bytes.
type Head struct {
	N       int
	times   []byte
	actors  []byte
	systems []byte
	actions []byte
	flags   []byte
}

// DecodeHead checks a head section and points h at its columns; h is valid
// while b is.
func DecodeHead(b []byte, h *Head) error {
	r := reader{b: b, section: "head"}
	n := r.count(0)
	if r.err != nil {
		return r.err
	}
	if len(r.b) != headBytes*n {
		return corrupt("head", "%d bytes for %d records, want %d", len(r.b), n, headBytes*n)
	}
	h.N = n
	h.times, r.b = r.b[:8*n], r.b[8*n:]
	h.actors, r.b = r.b[:4*n], r.b[4*n:]
	h.systems, r.b = r.b[:4*n], r.b[4*n:]
	h.actions, h.flags = r.b[:4*n], r.b[4*n:]
	return nil
}

// Time returns record i's time in Unix nanoseconds.
func (h *Head) Time(i int) int64 { return int64(binary.LittleEndian.Uint64(h.times[8*i:])) }

// Actor returns record i's actor (a dictionary number of the store).
func (h *Head) Actor(i int) uint32 { return binary.LittleEndian.Uint32(h.actors[4*i:]) }

// System returns record i's system.
func (h *Head) System(i int) uint32 { return binary.LittleEndian.Uint32(h.systems[4*i:]) }

// Action returns record i's action.
func (h *Head) Action(i int) uint32 { return binary.LittleEndian.Uint32(h.actions[4*i:]) }

// Flags returns record i's flags.
func (h *Head) Flags(i int) byte { return h.flags[i] }

// Deleted reports whether record i is a retention tombstone.
func (h *Head) Deleted(i int) bool { return h.flags[i]&FlagDeleted != 0 }

// String columns of Cols.
const (
	colID = iota
	colIP
	colKeyID
	colDevice
	colSession
	nStringCols
)

// Cols is a decoded cols section. Its slices, and the byte slices its
// methods return, are valid until the next DecodeCols into the same Cols.
type Cols struct {
	N            int
	raw          []byte
	str          [nStringCols][]uint32 // start offsets, N+1 each
	Rows, Bytes  []int64               // -1: unknown
	SubjectCount []int64
	subj         []uint32 // start offsets of the subject sets, N+1
	tombs        []tomb
}

type tomb struct {
	i        int
	hash     [32]byte
	deletion int64
}

// DecodeCols decompresses and decodes a cols section of a block whose
// head h was decoded.
func DecodeCols(b []byte, h *Head, c *Cols) error {
	_, dec := coders()
	raw, err := dec.DecodeAll(b, c.raw[:0])
	if err != nil {
		return corrupt("cols", "%v", err)
	}
	c.raw = raw
	r := reader{b: raw, section: "cols"}
	n := r.count(h.N)
	if r.err != nil {
		return r.err
	}
	c.N = n
	offsets := func(dst []uint32) []uint32 {
		dst = slices.Grow(dst[:0], n+1)[:n+1]
		var sum uint64
		for i := range n {
			dst[i] = uint32(sum)
			if sum += r.uvarint(); sum > uint64(len(raw)) {
				r.err = corrupt("cols", "column longer than the section")
				return dst
			}
		}
		dst[n] = uint32(sum)
		start := uint32(len(raw) - len(r.b))
		r.bytes(sum)
		for i := range dst {
			dst[i] += start
		}
		return dst
	}
	for k := range nStringCols {
		c.str[k] = offsets(c.str[k])
	}
	for _, col := range []*[]int64{&c.Rows, &c.Bytes} {
		*col = slices.Grow((*col)[:0], n)[:n]
		for i := range n {
			(*col)[i] = int64(r.uvarint()) - 1
		}
	}
	c.SubjectCount = slices.Grow(c.SubjectCount[:0], n)[:n]
	for i := range n {
		c.SubjectCount[i] = int64(r.uvarint())
	}
	c.subj = offsets(c.subj)
	c.tombs = c.tombs[:0]
	for i := range n {
		if h.Deleted(i) {
			var t tomb
			t.i = i
			copy(t.hash[:], r.bytes(32))
			t.deletion = int64(r.uvarint())
			c.tombs = append(c.tombs, t)
		}
	}
	return r.done()
}

func (c *Cols) col(k, i int) []byte { return c.raw[c.str[k][i]:c.str[k][i+1]] }

// ID returns record i's id.
func (c *Cols) ID(i int) []byte { return c.col(colID, i) }

// IDColumn returns every record's id in one slice: record i's id is
// IDColumn()[IDStart(i):IDStart(i+1)]. A reader of every id can make one
// string of them all.
func (c *Cols) IDColumn() []byte { return c.raw[c.str[colID][0]:c.str[colID][c.N]] }

// IDStart returns where record i's id starts in IDColumn (i may be N).
func (c *Cols) IDStart(i int) int { return int(c.str[colID][i] - c.str[colID][0]) }

// IP returns record i's origin address ("" when none).
func (c *Cols) IP(i int) []byte { return c.col(colIP, i) }

// KeyID returns record i's auth.key_id.
func (c *Cols) KeyID(i int) []byte { return c.col(colKeyID, i) }

// Device returns record i's origin.device.
func (c *Cols) Device(i int) []byte { return c.col(colDevice, i) }

// Session returns record i's auth.session.
func (c *Cols) Session(i int) []byte { return c.col(colSession, i) }

// Subjects returns record i's serialized subject set, nil when it has none.
func (c *Cols) Subjects(i int) []byte {
	if c.subj[i] == c.subj[i+1] {
		return nil
	}
	return c.raw[c.subj[i]:c.subj[i+1]]
}

// Tombstone returns the kept hash and deletion number of record i when it
// was deleted by retention.
func (c *Cols) Tombstone(i int) (hash [32]byte, deletion int64, ok bool) {
	j, found := slices.BinarySearchFunc(c.tombs, i, func(t tomb, i int) int { return t.i - i })
	if !found {
		return hash, 0, false
	}
	return c.tombs[j].hash, c.tombs[j].deletion, true
}

// Canon reads records' canonical bytes from a canon section, decompressing
// one frame at a time. The zero value is ready for Reset.
type Canon struct {
	frames []frame
	cur    int    // decoded frame, -1: none
	raw    []byte // its decompressed bytes
	spans  []span // its records' bytes within raw
}

type frame struct {
	first, n int
	crc      uint32 // CRC-32C of the decompressed bytes
	data     []byte
}

type span struct{ start, end uint32 }

// Reset prepares c to read canon, the canon section of a block of n
// records.
func (c *Canon) Reset(canon []byte, n int) error {
	c.frames, c.cur = c.frames[:0], -1
	r := reader{b: canon, section: "canon"}
	first := 0
	for len(r.b) > 0 && r.err == nil {
		k := r.uvarint()
		clen := r.uvarint()
		crc := r.bytes(4)
		data := r.bytes(clen)
		if r.err == nil && (k == 0 || k > uint64(n-first)) {
			return corrupt("canon", "frame of %d records at record %d of %d", k, first, n)
		}
		if r.err == nil {
			c.frames = append(c.frames, frame{first: first, n: int(k), crc: binary.LittleEndian.Uint32(crc), data: data})
		}
		first += int(k)
	}
	if r.err == nil && first != n {
		return corrupt("canon", "frames hold %d records, the head has %d", first, n)
	}
	return r.err
}

// Get returns record i's canonical bytes (empty for a tombstone), valid
// until a Get of a record in another frame.
func (c *Canon) Get(i int) ([]byte, error) {
	if c.cur >= 0 { // reading in order: mostly the frame already decoded
		if f := &c.frames[c.cur]; i >= f.first && i < f.first+f.n {
			sp := c.spans[i-f.first]
			return c.raw[sp.start:sp.end], nil
		}
	}
	k, found := slices.BinarySearchFunc(c.frames, i, func(f frame, i int) int {
		switch {
		case i < f.first:
			return 1
		case i >= f.first+f.n:
			return -1
		}
		return 0
	})
	if !found {
		return nil, corrupt("canon", "no frame holds record %d", i)
	}
	if k != c.cur {
		c.cur = -1
		if err := c.decode(k); err != nil {
			return nil, err
		}
		c.cur = k
	}
	sp := c.spans[i-c.frames[k].first]
	return c.raw[sp.start:sp.end], nil
}

func (c *Canon) decode(k int) error {
	f := &c.frames[k]
	size, err := s2.DecodedLen(f.data)
	if err != nil || size > maxDecoded {
		return corrupt("canon", "frame %d: bad length", k)
	}
	raw, err := s2.Decode(c.raw[:cap(c.raw)], f.data)
	if err != nil {
		return corrupt("canon", "frame %d: %v", k, err)
	}
	if crc32.Checksum(raw, castagnoli) != f.crc {
		return corrupt("canon", "frame %d: checksum mismatch", k)
	}
	c.raw = raw
	r := reader{b: raw, section: "canon"}
	c.spans = c.spans[:0]
	for range c.frames[k].n {
		l := r.uvarint()
		start := uint32(len(raw) - len(r.b))
		r.bytes(l)
		if r.err != nil {
			return r.err
		}
		c.spans = append(c.spans, span{start, start + uint32(l)})
	}
	return r.done()
}

// Decode decodes a whole block back into records: for rewriting one (a
// retention deletion) or inspecting it. With s.Canon nil it decodes head
// and cols only and leaves Canonical nil.
func Decode(s Sections) ([]Record, error) {
	var h Head
	var c Cols
	var cn Canon
	if err := DecodeHead(s.Head, &h); err != nil {
		return nil, err
	}
	if err := DecodeCols(s.Cols, &h, &c); err != nil {
		return nil, err
	}
	if s.Canon != nil {
		if err := cn.Reset(s.Canon, h.N); err != nil {
			return nil, err
		}
	}
	out := make([]Record, h.N)
	for i := range out {
		r := &out[i]
		r.ID, r.IP, r.KeyID, r.Device, r.Session = string(c.ID(i)), string(c.IP(i)), string(c.KeyID(i)), string(c.Device(i)), string(c.Session(i))
		r.Time, r.Actor, r.System, r.Action = h.Time(i), h.Actor(i), h.System(i), h.Action(i)
		r.Rows, r.Bytes, r.SubjectCount = c.Rows[i], c.Bytes[i], c.SubjectCount[i]
		if b := c.Subjects(i); b != nil {
			r.Subjects = slices.Clone(b)
		}
		r.Hash, r.Deletion, r.Deleted = c.Tombstone(i)
		if r.Deleted != h.Deleted(i) {
			return nil, corrupt("cols", "record %d: tombstone and head disagree", i)
		}
		if r.Deleted || s.Canon == nil {
			continue
		}
		canon, err := cn.Get(i)
		if err != nil {
			return nil, err
		}
		r.Canonical = slices.Clone(canon)
	}
	return out, nil
}
