package pii

import "bytes"

// ipv4 checks a four-group dotted token.
func (s *Scanner) ipv4(w *win) (Finding, bool) {
	var o [4]int
	d := w.d
	masked := false
	for g := range 4 {
		l := int(w.gl[g])
		grp := d[:l]
		d = d[l:]
		if g == 2 && l <= 3 && bytes.Count(grp, []byte{'*'}) == l {
			masked = true // 192.168.***.10, as masking leaves an address
			continue
		}
		if l > 3 || l > 1 && grp[0] == '0' {
			return Finding{}, false
		}
		for _, c := range grp {
			if c == '*' {
				return Finding{}, false
			}
			o[g] = o[g]*10 + int(c-'0')
		}
		if o[g] > 255 {
			return Finding{}, false
		}
	}
	// 0.x.x.x, multicast, reserved and netmasks are not hosts.
	if o[0] == 0 || o[0] >= 224 {
		return Finding{}, false
	}
	f := Finding{Type: IP, Start: w.start, End: w.end, Confidence: Medium, Masked: masked}
	if privateIPv4(o) {
		f.Type = IPPrivate
	}
	if s.colCtx&cIP != 0 {
		f.Confidence = High
	}
	return f, true
}

func privateIPv4(o [4]int) bool {
	switch {
	case o[0] == 10, o[0] == 127:
		return true
	case o[0] == 172 && o[1] >= 16 && o[1] <= 31:
		return true
	case o[0] == 192 && o[1] == 168:
		return true
	case o[0] == 169 && o[1] == 254:
		return true
	case o[0] == 100 && o[1] >= 64 && o[1] <= 127: // carrier-grade NAT
		return true
	}
	return false
}

// tryIPv6 looks for an IPv6 address around b[i].
func (s *Scanner) tryIPv6(i int) (int, bool) {
	b := s.b
	// Cheap tests first: a ':' must end the hex run on one side, within
	// five bytes, so one lies within six bytes of i. Searching that window
	// costs less than walking the run, and words glued to digits
	// (user5000, 10px) seldom have a ':' near.
	if bytes.IndexByte(b[max(i-6, 0):min(i+6, len(b))], ':') < 0 {
		return 0, false
	}
	fw := i
	for fw < len(b) && fw-i < 5 && isHex(b[fw]) {
		fw++
	}
	bw := i
	for bw > 0 && i-bw < 5 && isHex(b[bw-1]) {
		bw--
	}
	if !(fw < len(b) && b[fw] == ':') && !(bw > 0 && b[bw-1] == ':') {
		return 0, false
	}
	st := i
	for st > s.lastEnd && i-st < 40 && (isHex(b[st-1]) || b[st-1] == ':') {
		st--
	}
	if st > 0 && (isAlnum(b[st-1]) || b[st-1] == '_' || b[st-1] == '.' || b[st-1] == '*') {
		return 0, false // glued to a word, or to what masking left of one
	}
	en := i
	for en < len(b) && en-st < 40 && (isHex(b[en]) || b[en] == ':') {
		en++
	}
	// 2001:db8::1:****, as masking leaves an address: its last group.
	masked := false
	if en < len(b) && b[en] == '*' && b[en-1] == ':' {
		for k := 0; k < 4 && en < len(b) && b[en] == '*'; k++ {
			en++
		}
		masked = true
	}
	if en < len(b) && (isAlnum(b[en]) || b[en] == '_' || b[en] == ':' || b[en] == '*') {
		return 0, false
	}
	// An IPv4 tail (::ffff:192.0.2.1) is not read; taking the address
	// without it would leave 0.2.1 to be found after masking.
	if en+1 < len(b) && b[en] == '.' && isDigit(b[en+1]) {
		return 0, false
	}
	v := b[st:en]
	if masked {
		var buf [48]byte
		v = append(buf[:0], v...)
		for k := len(v) - 1; v[k] == '*'; k-- {
			v[k] = '0'
		}
	}
	if !validIPv6(v) {
		return 0, false
	}
	f := Finding{Type: IP, Start: st, End: en, Confidence: Medium, Masked: masked}
	if privateIPv6(v) {
		f.Type = IPPrivate
	}
	if s.colCtx&cIP != 0 {
		f.Confidence = High
	}
	s.emit(f)
	return en, true
}

// validIPv6 accepts hex groups of 1–4 digits separated by ':', with at
// most one "::"; without "::" there must be eight groups. Times such as
// 10:23:45 and MAC addresses fail.
func validIPv6(v []byte) bool {
	if len(v) < 2 {
		return false
	}
	groups, dbl, glen := 0, false, 0
	for k := 0; k < len(v); k++ {
		c := v[k]
		if c == ':' {
			if k+1 < len(v) && v[k+1] == ':' {
				if dbl {
					return false
				}
				dbl = true
				if glen > 0 {
					groups++
				}
				glen = 0
				k++
				continue
			}
			if glen == 0 {
				return false
			}
			groups++
			glen = 0
			if k == len(v)-1 {
				return false
			}
			continue
		}
		glen++
		if glen > 4 {
			return false
		}
	}
	if glen > 0 {
		groups++
	}
	if dbl {
		return groups <= 7 && groups >= 1
	}
	return groups == 8
}

func privateIPv6(v []byte) bool {
	if string(v) == "::1" || string(v) == "::" {
		return true
	}
	if len(v) >= 4 && lower(v[0]) == 'f' {
		c1, c2 := lower(v[1]), lower(v[2])
		if c1 == 'c' || c1 == 'd' { // fc00::/7
			return true
		}
		if c1 == 'e' && (c2 == '8' || c2 == '9' || c2 == 'a' || c2 == 'b') { // fe80::/10
			return true
		}
	}
	return false
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// tryPassport handles a digit right after a capital letter: M12345678 or,
// since 2021-12-21, M123A4567. Without a label or column this shape is
// mostly product codes, so it stays Low.
func (s *Scanner) tryPassport(i int) (int, bool) {
	b := s.b
	switch b[i-1] {
	case 'M', 'S', 'R', 'G', 'D', 'O':
	default:
		return 0, false
	}
	if i-1 < s.lastEnd || i >= 2 && (isAlnum(b[i-2]) || b[i-2] == '_' || b[i-2] == '-') {
		return 0, false
	}
	k := i
	for k < len(b) && isDigit(b[k]) {
		k++
	}
	end := 0
	switch {
	case k-i == 8:
		end = k
	case k-i == 3 && k+5 <= len(b) && isUpper(b[k]) &&
		isDigit(b[k+1]) && isDigit(b[k+2]) && isDigit(b[k+3]) && isDigit(b[k+4]):
		end = k + 5
	default:
		return 0, false
	}
	if end < len(b) && (isAlnum(b[end]) || b[end] == '_' || b[end] == '-') {
		return 0, false
	}
	s.tok.start = i - 1
	s.ctxAt = -1
	f := Finding{Type: Passport, Start: i - 1, End: end, Confidence: Low}
	if s.context()&cPassport != 0 {
		f.Confidence = High
	}
	s.emit(f)
	return end, true
}
