package pii

import (
	"encoding/binary"
	"math/bits"
	"time"
)

// Scanner finds personal information in bytes. It keeps scratch state
// between calls so that scanning allocates nothing; reuse one per
// goroutine. A Scanner is NOT safe for concurrent use.
type Scanner struct {
	today int // yyyymmdd; birth dates after it are rejected

	b       []byte
	fn      func(Finding)
	lastEnd int // end of the last reported finding; findings never overlap

	// Column context, set by ScanField for the duration of one value.
	colCtx  ctxMask
	colType Type

	tok token
	// Lazily computed label context for the current token.
	ctxAt  int
	ctxVal ctxMask
}

// NewScanner returns a Scanner. Today's date is fixed at construction; it
// bounds the birth dates that validate.
func NewScanner() *Scanner {
	y, m, d := time.Now().Date()
	return &Scanner{today: y*10000 + int(m)*100 + d, ctxAt: -1}
}

// Scan reports every finding in free text b, in order of Start, without
// overlaps. fn must not retain b beyond the call if b is reused.
func (s *Scanner) Scan(b []byte, fn func(Finding)) {
	s.colCtx, s.colType = 0, ""
	s.scan(b, fn)
}

// ScanField scans one value b whose column or key name is column (for
// example "주민등록번호", "phone" or "customer_email"). The column name
// gives context to every value under it: a value under "계좌번호" is an
// account even without a label, and a whole value under "성명" is a name.
func (s *Scanner) ScanField(column string, b []byte, fn func(Finding)) {
	m, t := columnContext(column)
	s.scanField(m, t, b, fn)
}

// scanField is ScanField with the column already classified.
func (s *Scanner) scanField(m ctxMask, t Type, b []byte, fn func(Finding)) {
	s.colCtx, s.colType = m, t
	if t == Name || t == Address {
		if f, ok := s.wholeValue(b); ok {
			fn(f)
			s.colCtx, s.colType = 0, ""
			return
		}
	}
	s.scan(b, fn)
	s.colCtx, s.colType = 0, ""
}

// SWAR constants: bytes are tested eight at a time.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
	low7  = 0x7f7f7f7f7f7f7f7f
)

// hasByte flags bytes of x equal to v (the lowest flag is exact).
func hasByte(x, v uint64) uint64 {
	y := x ^ (ones * v)
	return (y - ones) &^ y & highs
}

// triggers flags the bytes that can start or end a candidate: ASCII
// digits, '@', 0xEF (full-width digits) and the last bytes of the Hangul
// syllables 명 름 님 씨 함 that introduce names. Masked values always hold a
// digit or '@' too; the scanner backs up over the '*' before it.
func triggers(x uint64) uint64 {
	// Exact "0x2f < byte < 0x3a" for bytes below 0x80.
	t := x & low7
	dig := (ones*(127+0x3a) - t) &^ x & (t + ones*(127-0x2f)) & highs
	y := x ^ (ones * 0x84) // 0x84 and 0x85 in one test
	y &^= ones
	hn := (y - ones) &^ y & highs
	return dig | hasByte(x, '@') | hasByte(x, 0xEF) | hn | hasByte(x, 0x98) | hasByte(x, 0xA8)
}

func (s *Scanner) scan(b []byte, fn func(Finding)) {
	s.b, s.fn, s.lastEnd, s.ctxAt = b, fn, 0, -1
	n := len(b)
	i, next := 0, 0 // next: where the last handler left off
	var prev uint64 // second-byte flags of the previous word, for pairs across words
	for i+8 <= n {
		// The trigger test, written out: the compiler does not inline it.
		// Digits, '@' and 0xEF are single bytes; Hangul syllables are
		// tested on their last two bytes, so that the common 을 (EC 9D 84)
		// and 의 (EC 9D 98) do not stop the scan.
		x := binary.LittleEndian.Uint64(b[i:])
		t := x & low7
		m := (ones*(127+0x3a) - t) &^ x & (t + ones*(127-0x2f))
		y := x ^ (ones * 0x40)
		m |= (y - ones) &^ y
		y = x ^ (ones * 0xEF)
		m |= (y - ones) &^ y
		// Second bytes: AA (명), A6 (름), 8B (님), 94/95 (씨, 함).
		y = x ^ (ones * 0xAA)
		sMyeong := (y - ones) &^ y
		y = x ^ (ones * 0xA6)
		sMyeong |= (y - ones) &^ y
		y = x ^ (ones * 0x8B)
		sNim := (y - ones) &^ y
		y = (x ^ (ones * 0x94)) &^ ones
		sSsi := (y - ones) &^ y
		cur := sMyeong&highs | (sNim&highs)>>1 | (sSsi&highs)>>2
		sh := cur<<8 | prev>>56
		prev = cur
		// Last bytes: 84/85 (름, 명), 98 (님), A8 (씨, 함).
		y = (x ^ (ones * 0x84)) &^ ones
		m |= (y - ones) &^ y & sh
		y = x ^ (ones * 0x98)
		m |= (y - ones) &^ y & (sh << 1)
		y = x ^ (ones * 0xA8)
		m |= (y - ones) &^ y & (sh << 2)
		for m &= highs; m != 0; {
			k := i + bits.TrailingZeros64(m)>>3
			if k >= next && trigger[b[k]] {
				next = s.at(k)
			}
			if next >= i+8 {
				break
			}
			if next > k {
				m &= ^uint64(0) << (uint(next-i) * 8) // skip what the handler consumed
			} else {
				m &= m - 1
			}
		}
		i += 8
		if next > i {
			i = next
			prev = 0 // the word before i was not loaded; a pair there was handled
		}
	}
	for ; i < n; i++ {
		if i >= next && trigger[b[i]] {
			next = s.at(i)
		}
	}
	s.b, s.fn = nil, nil
}

// at handles the trigger byte b[i] and returns where scanning resumes.
func (s *Scanner) at(i int) int {
	switch c := s.b[i]; {
	case c-'0' < 10:
		return s.atDigit(i)
	case c == '@':
		return s.atEmail(i)
	case c == 0xEF:
		if fullWidthDigit(s.b, i) {
			return s.atDigit(i)
		}
		return i + 1
	}
	return s.atHangul(i)
}

var trigger = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isTrigger(byte(c))
	}
	return t
}()

func isTrigger(c byte) bool {
	return c >= '0' && c <= '9' || c == '@' || c == 0xEF ||
		c == 0x84 || c == 0x85 || c == 0x98 || c == 0xA8
}

func fullWidthDigit(b []byte, i int) bool {
	return i+2 < len(b) && b[i] == 0xEF && b[i+1] == 0xBC && b[i+2] >= 0x90 && b[i+2] <= 0x99
}

// emit reports f unless it overlaps an earlier finding.
func (s *Scanner) emit(f Finding) {
	if f.Start < s.lastEnd || f.End <= f.Start {
		return
	}
	s.lastEnd = f.End
	s.fn(f)
}

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
}

// digitAt returns the digit (or '*') at b[i] and its byte length, or 0.
func digitAt(b []byte, i int) (byte, int) {
	c := b[i]
	if c >= '0' && c <= '9' || c == '*' {
		return c, 1
	}
	if c == 0xEF && fullWidthDigit(b, i) {
		return '0' + b[i+2] - 0x90, 3
	}
	return 0, 0
}

// readToken fills s.tok from position p.
func (s *Scanner) readToken(p int) {
	b := s.b
	n := len(b)
	t := &s.tok
	t.start, t.nd, t.ng, t.long, t.plus, t.stars = p, 0, 0, false, false, 0
	if p > 0 && b[p-1] == '+' {
		t.plus = true
	} else if p > 1 && b[p-1] == ' ' && b[p-2] == '+' {
		t.plus = true
	}
	var sep byte
	nd := 0
	for {
		gstart, gd := p, nd
		for p < n {
			c, w := b[p], 1
			if c-'0' >= 10 {
				if c, w = digitAt(b, p); w == 0 {
					break
				}
				if c == '*' {
					t.stars++
				}
			}
			if nd < maxDigits {
				t.d[nd] = c
				nd++
			} else {
				t.long = true
			}
			p += w
		}
		t.nd = nd
		g := t.ng
		t.gd[g], t.gl[g], t.gs[g], t.ge[g], t.sep[g] = uint8(gd), uint8(t.nd-gd), gstart, p, sep
		t.ng++
		if t.long {
			// Skip the rest of an over-long run.
			for p < n {
				if _, w := digitAt(b, p); w > 0 {
					p += w
				} else {
					break
				}
			}
			break
		}
		// Separator.
		q, sp := p, false
		sep = 0
		if q < n && b[q] == ' ' {
			q++
			sep, sp = ' ', true
		}
		if q < n && (b[q] == '-' || b[q] == '.') {
			if b[q] == '.' && sp {
				break
			}
			sep = b[q]
			q++
			if q < n && b[q] == ' ' && sep == '-' {
				q++
			}
		} else if q+2 < n && b[q] == 0xEF && b[q+1] == 0xBC && b[q+2] == 0x8D { // full-width hyphen
			sep = '-'
			q += 3
		}
		if sep == 0 || q >= n {
			break
		}
		if _, w := digitAt(b, q); w == 0 {
			break
		}
		if t.ng == maxGroups || (sep == ' ' && nd >= 24) {
			break
		}
		p = q
	}
	t.end = p
}

// Character classes, looked up in one table on hot paths.
const (
	clsDigit = 1 << iota
	clsAlpha
	clsHex
	clsWord // letters, digits and _ - . : * (hashes, UUIDs, versions)
)

var charClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		if b >= '0' && b <= '9' {
			t[c] |= clsDigit | clsHex | clsWord
		}
		if b|0x20 >= 'a' && b|0x20 <= 'z' {
			t[c] |= clsAlpha | clsWord
			if b|0x20 <= 'f' {
				t[c] |= clsHex
			}
		}
		switch b {
		case '_', '-', '.', ':', '*':
			t[c] |= clsWord
		}
	}
	return t
}()

func isAlpha(c byte) bool { return charClass[c]&clsAlpha != 0 }
func isDigit(c byte) bool { return c-'0' < 10 }
func isAlnum(c byte) bool { return charClass[c]&(clsAlpha|clsDigit) != 0 }
func isHex(c byte) bool   { return charClass[c]&clsHex != 0 }

// atDigit handles a candidate starting at b[i] and returns where scanning
// resumes.
func (s *Scanner) atDigit(i int) int {
	b := s.b
	if i < s.lastEnd {
		return s.lastEnd
	}
	if i > 0 {
		c := b[i-1]
		switch {
		case isAlpha(c) || c == '_':
			if end, ok := s.tryPassport(i); ok {
				return end
			}
			if end, ok := s.tryIPv6(i); ok {
				return end
			}
			return skipWord(b, i)
		case c == ':' && i > 1 && isHex(b[i-2]):
			if end, ok := s.tryIPv6(i); ok {
				return end
			}
			return skipWord(b, i)
		case (c == '-' || c == '_' || c == '.' || c == '/') && i > 1 && isAlnum(b[i-2]):
			return skipWord(b, i)
		}
	}
	// Fast path: a short number standing alone (bytes=4567, 200 OK,
	// 2시간) is nothing, unless it may be a road or lot number.
	if b[i]-'0' < 10 {
		j := i
		for j < len(b) && b[j]-'0' < 10 {
			j++
		}
		// Bare runs of these lengths are nothing unless a birth label
		// precedes six or eight digits: no identifier has 7 digits, and 9
		// only for Seoul numbers (02…).
		l := j - i
		short := l < 6 || l == 7 || l == 9 && b[i] != '0' || (l == 6 || l == 8) && !s.birthLabel(i)
		if short && (j == len(b) || shortEnd(b, j)) && !s.maybeAddressNumber(i, j) {
			if j < len(b) && charClass[b[j]]&clsAlpha != 0 {
				return skipWord(b, j)
			}
			return j
		}
	}
	// Dates and times, the most common numbers in logs and exports.
	if end := dateTimeEnd(b, i); end > 0 && !s.birthLabel(i) {
		return end
	}
	// Masked digits may come first: ******-1******.
	st := i
	for st > s.lastEnd && (b[st-1] == '*' || b[st-1] == '-' && st > 1 && b[st-2] == '*') {
		st--
	}
	if st < i && st > 0 && charClass[b[st-1]]&(clsAlpha|clsDigit) != 0 {
		st = i // part of an e-mail local part or a word
	}
	i = st
	s.readToken(i)
	t := &s.tok
	if t.nd == 0 || t.long {
		return t.end
	}
	s.ctxAt = -1
	// Right glue.
	rtaint := false
	if e := t.end; e < len(b) {
		c := b[e]
		switch {
		case c == ':':
			if e+1 < len(b) && isHex(b[e+1]) {
				if end, ok := s.tryIPv6(i); ok {
					return end
				}
				if !s.ipPort(e) {
					rtaint = true
				}
			}
		case c == '@':
			return t.end // the local part of an e-mail address
		case isAlpha(c) || c == '_':
			if t.ng == 1 {
				return skipWord(b, i) // hashes, 10px, 3rd …
			}
			rtaint = true
		case c == '/':
			if e+1 < len(b) && isAlnum(b[e+1]) {
				rtaint = true
			}
		case c == ',':
			if end, ok := amountEnd(b, t); ok {
				return end
			}
		case c == '.' || c == '-':
			if e+1 < len(b) && isAlnum(b[e+1]) {
				rtaint = true
			}
		}
	}
	// Address: a number after a road or lot name.
	if t.sep[0] == 0 {
		if end, ok := s.tryAddress(i); ok {
			return end
		}
	}
	s.windows(rtaint)
	return t.end
}

// dateTimeEnd recognises YYYY-MM-DD (or with '.' or '/') optionally
// followed by a time, HH:MM[:SS[.fff]], and returns its end, or 0.
func dateTimeEnd(b []byte, i int) int {
	if i+10 > len(b) || i > 0 && charClass[b[i-1]]&(clsDigit|clsAlpha) != 0 {
		return 0
	}
	d := b[i : i+10]
	sep := d[4]
	if sep != '-' && sep != '.' && sep != '/' || d[7] != sep ||
		d[0]-'0' > 9 || d[1]-'0' > 9 || d[2]-'0' > 9 || d[3]-'0' > 9 ||
		d[5]-'0' > 9 || d[6]-'0' > 9 || d[8]-'0' > 9 || d[9]-'0' > 9 {
		return 0
	}
	p := i + 10
	if p < len(b) && isDigit(b[p]) {
		return 0
	}
	if p+6 <= len(b) && (b[p] == ' ' || b[p] == 'T') && isDigit(b[p+1]) && isDigit(b[p+2]) && b[p+3] == ':' &&
		isDigit(b[p+4]) && isDigit(b[p+5]) {
		p += 6
		for p < len(b) && (isDigit(b[p]) || b[p] == ':' || b[p] == '.' && p+1 < len(b) && isDigit(b[p+1])) {
			p++
		}
	}
	return p
}

// shortEnd reports whether the byte after a digit run at j ends the
// candidate: not a separator followed by more digits, not a comma amount,
// not a full-width digit.
func shortEnd(b []byte, j int) bool {
	c := b[j]
	switch c {
	case ',', 0xEF, '*', '@':
		return false
	case '-', '.', ' ', ':', '/':
		return j+1 == len(b) || b[j+1]-'0' >= 10 && b[j+1] != '*' && b[j+1] != 0xEF && b[j+1] != '-'
	}
	return true
}

// maybeAddressNumber reports whether b[i:j] may be the number of a road
// or lot address: after "로 ", "길 ", "동 ", "리 ", "가 ", or inside a road
// name such as 테헤란로4길.
func (s *Scanner) maybeAddressNumber(i, j int) bool {
	b := s.b
	if i > 3 && b[i-1] == ' ' {
		r, ok := syllableBefore(b, i-1)
		return ok && isRoadEnd(r)
	}
	if _, ok := syllableBefore(b, i); ok {
		_, ok = syllableAt(b, j)
		return ok
	}
	return false
}

// ipPort reports whether the ':' at e starts a port after an IPv4 token.
func (s *Scanner) ipPort(e int) bool {
	t := &s.tok
	if t.ng != 4 {
		return false
	}
	for g := 1; g < 4; g++ {
		if t.sep[g] != '.' {
			return false
		}
	}
	return true
}

// amountEnd recognises 1,234,567-style amounts (the token is their first
// group) and returns the end of the amount.
func amountEnd(b []byte, t *token) (int, bool) {
	if t.ng != 1 || t.gl[0] > 3 || t.d[0] == '*' {
		return 0, false
	}
	p, k := t.end, 0
	for p+3 < len(b) && b[p] == ',' && isDigit(b[p+1]) && isDigit(b[p+2]) && isDigit(b[p+3]) {
		q := p + 4
		if q < len(b) && isDigit(b[q]) {
			break
		}
		// "12,010-1234-5678" is two CSV fields, not an amount.
		if q+1 < len(b) && (b[q] == '-' || b[q] == '.') && isDigit(b[q+1]) {
			break
		}
		p = q
		k++
	}
	if k == 0 {
		return 0, false
	}
	// Skip decimals such as 1,234.56.
	if p+1 < len(b) && b[p] == '.' && isDigit(b[p+1]) {
		p++
		for p < len(b) && isDigit(b[p]) {
			p++
		}
	}
	return p, true
}

// skipWord skips a run of letters, digits, '_', '-', '.' and ':' — the
// stuff hashes, UUIDs, order and version numbers are made of.
func skipWord(b []byte, i int) int {
	i++ // b[i] is the trigger
	for i < len(b) && charClass[b[i]]&clsWord != 0 {
		i++
	}
	return i
}

// windows classifies the token, or sub-runs of it split at spaces, and
// reports what it finds.
func (s *Scanner) windows(rtaint bool) {
	t := &s.tok
	last := t.ng - 1
	for gi := 0; gi <= last; {
		if gi > 0 && t.sep[gi] != ' ' {
			gi++
			continue
		}
		matched := false
		for gj := last; gj >= gi; gj-- {
			if gj < last && t.sep[gj+1] != ' ' {
				continue
			}
			if gj == last && rtaint {
				continue
			}
			if f, ok := s.classify(gi, gj); ok {
				s.emit(f)
				gi = gj + 1
				matched = true
				break
			}
		}
		if !matched {
			gi++
		}
	}
}
