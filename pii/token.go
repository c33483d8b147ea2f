package pii

import (
	"encoding/binary"
	"math/bits"
)

const (
	maxDigits = 40
	maxGroups = 8
)

// token is a run of digit groups (ASCII or full-width digits, '*' for
// masked digits) joined by single separators: '-', '.', a space, or a
// hyphen with spaces around it.
type token struct {
	start, end int
	nd         int // digits and stars in d
	d          [maxDigits]byte
	ng         int
	gd         [maxGroups]uint8 // index of the group's first digit in d
	gl         [maxGroups]uint8 // digits in the group
	gs, ge     [maxGroups]int   // byte offsets of the group
	sep        [maxGroups]byte  // separator before group i: 0, '-', '.' or ' '
	stars      int              // '*' among the digits
	long       bool             // more digits than any identifier has
	plus       bool             // '+' right before the token
	spaces     bool             // some separator is a space
}

// readToken fills s.tok from position p.
func (s *Scanner) readToken(p int) {
	t := &s.tok
	t.reset(s.b, p)
	if !t.readPlain(s.b, p) {
		t.reset(s.b, p) // readPlain may have filled t in part
		t.readGroups(s.b, p)
	}
}

func (t *token) reset(b []byte, p int) {
	t.start, t.nd, t.ng, t.long, t.stars, t.spaces = p, 0, 0, false, 0, false
	t.plus = p > 0 && b[p-1] == '+' || p > 1 && b[p-1] == ' ' && b[p-2] == '+'
}

// readGroups reads the token at b[p] group by group.
func (t *token) readGroups(b []byte, p int) {
	var sep byte
	for {
		g, gstart := t.ng, p
		t.gd[g] = uint8(t.nd)
		p = t.readGroup(b, p)
		t.gl[g], t.gs[g], t.ge[g], t.sep[g] = uint8(t.nd-int(t.gd[g])), gstart, p, sep
		t.ng++
		if t.long || t.ng == maxGroups {
			break
		}
		var q int
		if sep, q = separatorAt(b, p); sep == 0 || sep == ' ' && t.nd >= 24 {
			break
		}
		t.spaces = t.spaces || sep == ' '
		p = q
	}
	t.end = p
}

// readPlain is readToken's fast path for the commonest tokens: ASCII
// digit groups joined by '-' or '.', such as 010-1234-5678, 880101-1234567
// or 203.0.113.7, before a byte that cannot carry the token on. It reports
// whether it filled t; if not, readGroups reads the token in full
// generality. TestReadPlain checks that both readers agree.
func (t *token) readPlain(b []byte, p int) bool {
	nd := 0
	t.sep[0] = 0
	for g := 0; ; g++ {
		gstart := p
		for {
			// Eight bytes at a time while they and one more are in b.
			if p+8 >= len(b) {
				l := digitRun(b[p:]) // the end of b, as in a CSV field
				if nd+l > maxDigits {
					return false
				}
				nd += copy(t.d[nd:], b[p:p+l])
				p += l
				break
			}
			if nd+8 > maxDigits {
				return false // long: the general reader says how long
			}
			x := binary.LittleEndian.Uint64(b[p:])
			binary.LittleEndian.PutUint64(t.d[nd:], x)
			l := leadingDigits(x)
			nd += l
			if p += l; l < 8 {
				break
			}
		}
		t.gd[g], t.gl[g], t.gs[g], t.ge[g] = uint8(nd-(p-gstart)), uint8(p-gstart), gstart, p
		if p+1 < len(b) && (b[p] == '-' || b[p] == '.') && isDigit(b[p+1]) && g < maxGroups-1 {
			t.sep[g+1] = b[p]
			p++
			continue
		}
		if !plainEnd(b, p) {
			return false
		}
		t.nd, t.ng, t.end = nd, g+1, p
		return true
	}
}

// plainEnd reports whether b[e], right after a plain token, ends it for
// readGroups too: it is the end of b, or not a separator that a digit, a
// '*' or a space (in " - ") may follow, nor a '*' or the lead byte of a
// full-width digit or hyphen.
func plainEnd(b []byte, e int) bool {
	if e == len(b) {
		return true
	}
	switch b[e] {
	case '*', 0xEF:
		return false
	case ' ', '-', '.':
		if e+1 == len(b) {
			return true
		}
		switch c := b[e+1]; c {
		case '*', 0xEF, ' ', '-', '.':
			return false
		default:
			return !isDigit(c)
		}
	}
	return true
}

// SWAR constants: bytes are tested eight at a time.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
	low7  = 0x7f7f7f7f7f7f7f7f
)

// readGroup appends the digits and stars of the group at b[p] to t.d and
// returns the group's end. A group longer than d has room for makes the
// token long; it is still read to its end.
func (t *token) readGroup(b []byte, p int) int {
	for {
		if p = t.readDigits(b, p); p == len(b) {
			return p
		}
		// Not an ASCII digit: a '*' or a full-width digit may go on.
		c, w := digitAt(b, p)
		if w == 0 {
			return p
		}
		if c == '*' {
			t.stars++
		}
		t.appendDigit(c)
		p += w
	}
}

// readDigits appends the ASCII digits at b[p] to t.d and returns their
// end.
func (t *token) readDigits(b []byte, p int) int {
	// Eight bytes at a time while there is room: most groups take one step.
	for p+8 <= len(b) && t.nd+8 <= maxDigits {
		x := binary.LittleEndian.Uint64(b[p:])
		binary.LittleEndian.PutUint64(t.d[t.nd:], x)
		l := leadingDigits(x)
		t.nd += l
		if p += l; l < 8 {
			return p
		}
	}
	for ; p < len(b) && isDigit(b[p]); p++ {
		t.appendDigit(b[p])
	}
	return p
}

func (t *token) appendDigit(c byte) {
	if t.nd == maxDigits {
		t.long = true
		return
	}
	t.d[t.nd] = c
	t.nd++
}

// separatorAt reads the separator between two groups at b[p]: '-' (also
// with spaces around it, or full-width), '.' or a single space. It returns
// the separator and where the next group starts, or 0 if no group follows.
func separatorAt(b []byte, p int) (byte, int) {
	n := len(b)
	q, sep := p, byte(0)
	if q < n && b[q] == ' ' {
		q++
		sep = ' '
	}
	switch {
	case q < n && (b[q] == '-' || b[q] == '.'):
		if b[q] == '.' && sep == ' ' {
			return 0, p
		}
		sep = b[q]
		q++
		if q < n && b[q] == ' ' && sep == '-' {
			q++
		}
	case q+2 < n && b[q] == 0xEF && b[q+1] == 0xBC && b[q+2] == 0x8D: // full-width hyphen
		sep = '-'
		q += 3
	}
	if sep == 0 || q >= n {
		return 0, p
	}
	if _, w := digitAt(b, q); w == 0 {
		return 0, p
	}
	return sep, q
}

// digitAt returns the digit (or '*') at b[i] and its byte length, or 0.
func digitAt(b []byte, i int) (byte, int) {
	if c := b[i]; c-'0' < 10 || c == '*' {
		return c, 1
	}
	return fullWidthDigitAt(b, i)
}

// fullWidthDigitAt returns the full-width digit at b[i] as an ASCII digit
// and its byte length (3), or 0.
func fullWidthDigitAt(b []byte, i int) (byte, int) {
	if fullWidthDigit(b, i) {
		return '0' + b[i+2] - 0x90, 3
	}
	return 0, 0
}

func fullWidthDigit(b []byte, i int) bool {
	return i+2 < len(b) && b[i] == 0xEF && b[i+1] == 0xBC && b[i+2] >= 0x90 && b[i+2] <= 0x99
}

// digitRun returns the number of ASCII digits at the start of b, testing
// eight bytes at a time: numbers are most of what the scanner reads in
// logs and exports.
func digitRun(b []byte) int {
	n := 0
	for ; len(b)-n >= 8; n += 8 {
		if l := leadingDigits(binary.LittleEndian.Uint64(b[n:])); l < 8 {
			return n + l
		}
	}
	for n < len(b) && isDigit(b[n]) {
		n++
	}
	return n
}

// leadingDigits returns the number of ASCII digits at the start of the
// eight bytes x (in little-endian order).
func leadingDigits(x uint64) int {
	return bits.TrailingZeros64(^digitBytes(x)&highs) >> 3
}

// digitBytes sets the high bit of every byte of x that is an ASCII digit,
// exactly: no borrow or carry crosses bytes.
func digitBytes(x uint64) uint64 {
	t := x & low7
	// 0xB9 - t has its high bit set for t <= 0x39, t + 0x50 for t >= 0x30.
	return (ones*(0x80+0x39) - t) &^ x & (t + ones*(0x80-0x30)) & highs
}
