package pii

import "unicode/utf8"

// Mask returns value masked for display as the schema's masking table
// (표시제한) says for type t. It is deterministic, never returns a longer
// value (each hidden character becomes one '*'; an address's hidden tail
// becomes "***"), and Mask(t, Mask(t, v)) == Mask(t, v). Value bytes that
// do not fit the type are masked by the type's rule as far as it applies.
func Mask(t Type, value []byte) []byte {
	out := make([]byte, 0, len(value))
	return appendMask(out, t, value)
}

// MaskString is Mask for strings.
func MaskString(s string) string { return string(MaskText([]byte(s))) }

// MaskText returns text with every medium- or high-confidence finding
// masked by Mask. Everything else is copied unchanged. This is what the
// pipeline applies to a record's detail before it is stored.
func MaskText(text []byte) []byte {
	s := NewScanner()
	out := make([]byte, 0, len(text))
	last := 0
	s.Scan(text, func(f Finding) {
		if f.Confidence < Medium {
			return
		}
		out = append(out, text[last:f.Start]...)
		out = appendMask(out, f.Type, text[f.Start:f.End])
		last = f.End
	})
	return append(out, text[last:]...)
}

func isSep(c byte) bool { return c == '-' || c == ' ' || c == '.' || c == ':' || c == '+' }

// appendMask appends the masked value to dst.
func appendMask(dst []byte, t Type, v []byte) []byte {
	switch t {
	case RRN, BirthDate:
		// The birth date part, and for rrn everything after the gender digit.
		k := 0
		return mapChars(dst, v, func(c rune) bool {
			k++
			return !(t == RRN && k == 7)
		})
	case Phone, PhoneBusiness:
		return maskPhone(dst, v)
	case Card, CardMasked:
		k := 0
		return mapChars(dst, v, func(rune) bool {
			k++
			return k >= 7 && k <= 12
		})
	case Email:
		return maskEmail(dst, v)
	case IP, IPPrivate:
		return maskIP(dst, v)
	case Name:
		return maskName(dst, v)
	case Address:
		return maskAddress(dst, v)
	}
	// account, passport, driver_license, frn, brn: all but the last 4.
	n := 0
	for _, c := range string(v) {
		if c > 0x7f || !isSep(byte(c)) {
			n++
		}
	}
	k := 0
	return mapChars(dst, v, func(rune) bool {
		k++
		return k <= n-4
	})
}

// mapChars copies v, replacing each non-separator character for which
// hide returns true (called in order) with '*'.
func mapChars(dst, v []byte, hide func(rune) bool) []byte {
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if isSep(c) {
				dst = append(dst, c)
			} else if hide(rune(c)) {
				dst = append(dst, '*')
			} else {
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, w := utf8.DecodeRune(v[i:])
		if r == '－' { // full-width hyphen is a separator
			dst = append(dst, v[i:i+w]...)
		} else if hide(r) {
			dst = append(dst, '*')
		} else {
			dst = append(dst, v[i:i+w]...)
		}
		i += w
	}
	return dst
}

// maskPhone hides the middle group (국번): the digits between the area or
// carrier prefix and the last four.
func maskPhone(dst, v []byte) []byte {
	var d [24]byte
	n := 0
	for i := 0; i < len(v); {
		c, w := digitAt(v, i)
		if w == 0 {
			_, w = utf8.DecodeRune(v[i:])
			i += w
			continue
		}
		if n < len(d) {
			d[n] = c
			n++
		}
		i += w
	}
	skip := 0 // leading digits not part of the national number
	if len(v) > 0 && v[0] == '+' && n >= 2 && d[0] == '8' && d[1] == '2' {
		skip = 2
	}
	prefix := 3
	nat := d[skip:n]
	switch {
	case skip == 2 && len(nat) > 0 && nat[0] != '0':
		prefix = 2 // +82 10-…: the 0 is not written
		if len(nat) > 0 && nat[0] == '2' {
			prefix = 1
		} else if len(nat) > 1 && nat[0] == '5' && nat[1] == '0' {
			prefix = 3
		}
	case len(nat) > 1 && nat[0] == '0' && nat[1] == '2':
		prefix = 2
	case len(nat) > 2 && nat[0] == '0' && nat[1] == '5' && nat[2] == '0':
		prefix = 4
	case len(nat) == 8 && nat[0] != '0':
		prefix = 4 // 1588-1234 has no middle group
	}
	lo, hi := skip+prefix, n-4
	k := 0
	for i := 0; i < len(v); {
		_, w := digitAt(v, i)
		if w == 0 {
			_, w = utf8.DecodeRune(v[i:])
			dst = append(dst, v[i:i+w]...)
			i += w
			continue
		}
		if k >= lo && k < hi {
			dst = append(dst, '*')
		} else {
			dst = append(dst, v[i:i+w]...)
		}
		k++
		i += w
	}
	return dst
}

// maskEmail hides the local part but its first two characters.
func maskEmail(dst, v []byte) []byte {
	at := -1
	for i := len(v) - 1; i >= 0; i-- {
		if v[i] == '@' {
			at = i
			break
		}
	}
	if at < 0 {
		return append(dst, v...)
	}
	k := 0
	for i := 0; i < at; {
		_, w := utf8.DecodeRune(v[i:at])
		if k < 2 {
			dst = append(dst, v[i:i+w]...)
		} else {
			dst = append(dst, '*')
		}
		k++
		i += w
	}
	return append(dst, v[at:]...)
}

// maskIP hides the third octet of IPv4 and the last group of IPv6.
func maskIP(dst, v []byte) []byte {
	colon := -1
	dots := 0
	for i, c := range v {
		if c == ':' {
			colon = i
		}
		if c == '.' {
			dots++
		}
	}
	if colon >= 0 && dots == 0 {
		dst = append(dst, v[:colon+1]...)
		for range v[colon+1:] {
			dst = append(dst, '*')
		}
		return dst
	}
	g := 0
	for _, c := range v {
		if c == '.' {
			g++
			dst = append(dst, c)
			continue
		}
		if g == 2 {
			dst = append(dst, '*')
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// maskName keeps the surname (two syllables for 남궁, 제갈 …) and hides the
// given name: 홍길동 → 홍**.
func maskName(dst, v []byte) []byte {
	keep := 1
	for _, c := range compoundSurnames {
		if len(v) > 6 && string(v[:6]) == c {
			keep = 2
		}
	}
	k := 0
	return mapChars(dst, v, func(r rune) bool {
		k++
		return k > keep && r != ' '
	})
}

// maskAddress keeps the leading 시도 and 시·군·구 words and replaces the
// rest with "***": 서울특별시 강남구 ***.
func maskAddress(dst, v []byte) []byte {
	p, keep, words := 0, 0, 0
	for p < len(v) && words < 3 {
		e := p
		for e < len(v) && v[e] != ' ' {
			e++
		}
		if regionWord(v[p:e]) == 0 {
			break
		}
		keep = e
		words++
		p = e + 1
	}
	if keep == 0 {
		// No region word: keep the first word only.
		for keep < len(v) && v[keep] != ' ' {
			keep++
		}
		if keep >= len(v)-3 {
			keep = 0
		}
	}
	dst = append(dst, v[:keep]...)
	if keep < len(v) {
		if keep > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, "***"...)
	}
	return dst
}
