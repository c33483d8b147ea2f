package pii

import "encoding/binary"

// The scanner looks closer only at trigger bytes: ASCII digits, '@', ':'
// (after a name key), 0xEF (the lead byte of full-width digits) and the
// last bytes of the Hangul
// syllables 명 름 함 님 씨 that end name labels and come before or after
// names. Masked values always hold a digit or '@' too; the scanner backs up
// over the '*' before it. Syllables are told apart by their last two UTF-8
// bytes, so that the common 을 (EC 9D 84) and 의 (EC 9D 98) do not stop the
// scan; atHangul decodes the syllable itself.
//
// Bytes are classified by table, eight at a time. A byte's class says
// whether it always triggers (tAlways), which second bytes it triggers
// after when it is the last byte of a syllable (bits 0–2), and, shifted by
// tSecond, which last bytes may follow it when it is a second byte.
const (
	tAlways = 1 << 3
	tPairs  = 0x07 // the last-byte bits
	tSecond = 4    // shift of the second-byte bits
)

var triggerClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = tAlways
	}
	t['@'], t[0xEF], t[':'] = tAlways, tAlways, tAlways
	// 명 EB AA 85, 름 EB A6 84.
	t[0x84], t[0x85], t[0xAA], t[0xA6] = 1, 1, 1<<tSecond, 1<<tSecond
	// 님 EB 8B 98.
	t[0x98], t[0x8B] = 2, 2<<tSecond
	// 씨 EC 94 A8, 함 ED 95 A8.
	t[0xA8], t[0x94], t[0x95] = 4, 4<<tSecond, 4<<tSecond
	return t
}()

// Word-wide masks of the class bits.
const (
	alwaysBits = 0x0808080808080808
	pairBits   = 0x0707070707070707
)

// nextTriggers returns the offset of the first whole word at or after
// b[i] that holds a trigger, with its trigger flags (see triggers) and its
// classes; prev holds the classes of the word before b[i]. The flags are
// zero if no such word is left.
func nextTriggers(b []byte, i int, prev uint64) (int, uint64, uint64) {
	t := &triggerClass
	for ; i <= len(b)-8; i += 8 {
		w := (*[8]byte)(b[i:])
		if x := binary.LittleEndian.Uint64(w[:]); x&highs == 0 {
			// ASCII, common in logs and exports, needs no table: no
			// syllable ends in this word or, since its last byte is no
			// second byte, at the start of the next.
			if m := asciiTriggers(x); m != 0 {
				return i, m, 0
			}
			prev = 0
			continue
		}
		c := uint64(t[w[0]]) | uint64(t[w[1]])<<8 | uint64(t[w[2]])<<16 | uint64(t[w[3]])<<24 |
			uint64(t[w[4]])<<32 | uint64(t[w[5]])<<40 | uint64(t[w[6]])<<48 | uint64(t[w[7]])<<56
		if m := triggers(c, prev); m != 0 {
			return i, m, c
		}
		prev = c
	}
	return i, 0, prev
}

// asciiTriggers sets the high bit of each byte of the ASCII word x that
// is a digit, ':' or '@'.
func asciiTriggers(x uint64) uint64 {
	// Digits and ':' are 0x30–0x3A: 0xBA - x has the high bit set for
	// x <= 0x3A, x + 0x50 for x >= 0x30, and no byte borrows or carries.
	r := (ones*(0x80+0x3A) - x) & (x + ones*(0x80-0x30))
	// x ^ '@' is zero only at '@'; adding 0x7F sets the high bit elsewhere.
	at := ^((x ^ ones*'@') + low7)
	return (r | at) & highs
}

// triggers returns a non-zero byte for each trigger in the word whose
// classes are c; prev holds the classes of the word before it.
func triggers(c, prev uint64) uint64 {
	// Shifting by one byte less tSecond puts each byte's second-byte bits
	// on the next byte's last-byte bits.
	after := (c<<(8-tSecond) | prev>>(64-8+tSecond)) & pairBits
	return c & (alwaysBits | after)
}

// triggerAt reports whether b[k] is a trigger.
func triggerAt(b []byte, k int) bool {
	c := triggerClass[b[k]]
	return c&tAlways != 0 || k > 0 && c&(triggerClass[b[k-1]]>>tSecond) != 0
}
