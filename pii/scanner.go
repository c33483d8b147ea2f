package pii

import (
	"math/bits"
	"time"
)

// Scanner finds personal information in bytes. It keeps scratch state
// between calls so that scanning allocates nothing; reuse one per
// goroutine. A Scanner is NOT safe for concurrent use.
type Scanner struct {
	today int // yyyymmdd, 0 until the first date is validated (see date)

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

// NewScanner returns a Scanner. It reads today's date when it validates
// its first date and keeps it: birth dates after it do not validate.
func NewScanner() *Scanner { return &Scanner{ctxAt: -1} }

// date returns today's date as yyyymmdd. The clock is read once: it costs
// more than scanning a short text on some virtual machines, and most texts
// hold no date to validate.
func (s *Scanner) date() int {
	if s.today == 0 {
		y, m, d := time.Now().Date()
		s.today = y*10000 + int(m)*100 + d
	}
	return s.today
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

func (s *Scanner) scan(b []byte, fn func(Finding)) {
	s.b, s.fn, s.lastEnd, s.ctxAt = b, fn, 0, -1
	n := len(b)
	i, next := 0, 0 // next: where the last handler left off
	var prev uint64 // the classes of the word before i, for syllables across words
	for {
		var m, c uint64
		if i, m, c = nextTriggers(b, i, prev); m == 0 {
			break // fewer than eight bytes left
		}
		for m != 0 {
			k := i + bits.TrailingZeros64(m)>>3
			if k >= next {
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
		prev = c
		i += 8
		if next > i {
			i = next
			prev = 0 // the word before i was not loaded; a syllable there was handled
		}
	}
	for ; i < n; i++ {
		if i >= next && triggerAt(b, i) {
			next = s.at(i)
		}
	}
	s.b, s.fn = nil, nil
}

// at handles the trigger byte b[i] and returns where scanning resumes.
func (s *Scanner) at(i int) int {
	switch c := s.b[i]; {
	case c-'0' < 10 || c == 0xEF && fullWidthDigit(s.b, i):
		return s.atDigit(i)
	case c == '@':
		return s.atEmail(i)
	case c == ':':
		return s.atNameKey(i)
	case c == 0xEF:
		return i + 1
	}
	return s.atHangul(i)
}

// emit reports f unless it overlaps an earlier finding.
func (s *Scanner) emit(f Finding) {
	if f.Start < s.lastEnd || f.End <= f.Start {
		return
	}
	s.lastEnd = f.End
	s.fn(f)
}

// Character classes, looked up in one table on hot paths.
const (
	clsDigit = 1 << iota
	clsAlpha
	clsHex
	clsWord  // letters, digits and _ - . : * (hashes, UUIDs, versions)
	clsLocal // letters, digits and . _ % + - * (e-mail local parts)
	clsLabel // letters, digits and - (domain labels)
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
		if t[c]&(clsAlpha|clsDigit) != 0 {
			t[c] |= clsLocal | clsLabel
		}
		switch b {
		case '_', '-', '.', ':', '*':
			t[c] |= clsWord
		}
		switch b {
		case '.', '_', '%', '+', '-', '*':
			t[c] |= clsLocal
		}
		if b == '-' {
			t[c] |= clsLabel
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
		// A '*' before ':' or '/' glues as the digit it hid did (a '-'
		// after stars is a masked value's own: ******-2******).
		case c == ':' && i > 1 && (isHex(b[i-2]) || b[i-2] == '*'):
			if end, ok := s.tryIPv6(i); ok {
				return end
			}
			return skipWord(b, i)
		case (c == '-' || c == '_' || c == '.' || c == '/') && i > 1 && (isAlnum(b[i-2]) || c == '/' && b[i-2] == '*'):
			return skipWord(b, i)
		case c == '(':
			if end, ok := s.tryParenPhone(i); ok {
				return end
			}
		}
	}
	// Fast path: a short number standing alone (bytes=4567, 200 OK,
	// 2시간) is nothing, unless it may be a road or lot number.
	l := 0 // ASCII digits at i
	if b[i]-'0' < 10 {
		l = digitRun(b[i:])
		j := i + l
		// Bare runs of these lengths are nothing unless a birth label
		// precedes six or eight digits: no identifier has 7 digits, and 9
		// only for Seoul numbers (02…).
		ends := j == len(b) || shortEnd(b, i, j)
		short := l < 6 || l == 7 || l == 9 && b[i] != '0' || (l == 6 || l == 8) && ends && !s.birthLabel(i)
		if l == 4 && j < len(b) && b[j] >= 0x80 {
			if end, ok := s.tryKoreanDate(i, j); ok {
				return end // 1988년 1월 1일
			}
		}
		if short && ends && !s.maybeAddressNumber(i, j) {
			if j < len(b) && charClass[b[j]]&clsAlpha != 0 {
				return skipWord(b, j)
			}
			return j
		}
	}
	// Dates and times, the most common numbers in logs and exports.
	if l == 4 {
		if end := dateTimeEnd(b, i); end > 0 && !s.birthLabel(i) {
			return end
		}
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
			// '*' as well: what masking left of a digit still glues.
			if e+1 < len(b) && (isHex(b[e+1]) || b[e+1] == '*') {
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
	if s.maybeAddressNumber(i, t.ge[0]) {
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

// shortEnd reports whether the byte after the digit run b[i:j] ends the
// candidate: not a separator followed by more digits, not a comma amount,
// not a full-width digit.
func shortEnd(b []byte, i, j int) bool {
	c := b[j]
	switch c {
	case ',':
		// Only one to three digits can open a 1,234 amount (see amountEnd);
		// after longer runs the comma separates fields, as in CSV.
		return j-i > 3 || j+1 == len(b) || b[j+1]-'0' >= 10
	case 0xEF, '*', '@':
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
	if i == 0 || b[i-1] < 0x80 {
		return false // the common case: no syllable before i
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
	if !t.spaces {
		// One window, the whole token: the common case.
		if !rtaint {
			if f, ok := s.classify(0, last); ok {
				s.emit(f)
			}
		}
		return
	}
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
