package pii

import (
	"sync"
	"unicode/utf8"
	"unsafe"
)

// Mask returns value masked for display as the schema's masking table
// (표시제한) says for type t. It is deterministic, never returns a longer
// value (each hidden character becomes one '*'; an address's hidden tail
// becomes "***"), and Mask(t, Mask(t, v)) == Mask(t, v). Value bytes that
// do not fit the type are masked by the type's rule as far as it applies.
func Mask(t Type, value []byte) []byte {
	out := make([]byte, 0, len(value))
	return appendMask(out, t, value)
}

// MaskString is MaskText for strings. It returns s itself, without
// allocating, when there is nothing to mask.
func MaskString(s string) string {
	m := maskers.Get().(*masker)
	out := m.appendMasked(nil, unsafe.Slice(unsafe.StringData(s), len(s)))
	maskers.Put(m)
	if out == nil {
		return s
	}
	return unsafe.String(unsafe.SliceData(out), len(out)) // out is not used again
}

// MaskText returns text with every medium- or high-confidence finding
// masked by Mask. Everything else is copied unchanged. The result is
// always a new slice.
func MaskText(text []byte) []byte {
	m := maskers.Get().(*masker)
	out := m.appendMasked(make([]byte, 0, len(text)), text)
	maskers.Put(m)
	return out
}

// maskers holds the state of MaskText and MaskString between calls: they
// may be called concurrently, and a Scanner is too costly to make for each
// short text.
var maskers = sync.Pool{New: func() any {
	m := &masker{s: NewScanner()}
	m.onFinding = m.finding
	return m
}}

// masker masks the findings of one text at a time.
type masker struct {
	s         *Scanner
	dst, text []byte
	last      int // text[:last] is in dst
	onFinding func(Finding)
}

// appendMasked appends text to dst with every medium- or high-confidence
// finding masked. If there is none, it returns dst unchanged and appends
// nothing, so that a nil dst stays nil.
func (m *masker) appendMasked(dst, text []byte) []byte {
	m.s.today = 0 // a pooled Scanner may be older than today
	m.dst, m.text, m.last = dst, text, 0
	m.s.Scan(text, m.onFinding)
	if m.last > 0 {
		dst = append(m.dst, text[m.last:]...)
	} else if dst != nil {
		dst = append(dst, text...)
	}
	m.dst, m.text = nil, nil
	return dst
}

func (m *masker) finding(f Finding) {
	if f.Confidence < Medium {
		return
	}
	m.dst = append(m.dst, m.text[m.last:f.Start]...)
	m.dst = appendMask(m.dst, f.Type, m.text[f.Start:f.End])
	m.last = f.End
}

// maskSeps are the ASCII separators that masking keeps.
var maskSeps = [256]bool{'-': true, ' ': true, '.': true, ':': true, '+': true}

func isSep(c byte) bool { return maskSeps[c] }

// appendMask appends the masked value to dst.
func appendMask(dst []byte, t Type, v []byte) []byte {
	switch t {
	case RRN:
		// The birth date part and everything after the gender digit.
		return maskChars(dst, v, 1, len(v), 7)
	case BirthDate:
		return maskDigits(dst, v, 0, len(v)) // 1988년 1월 1일 keeps its words
	case Phone, PhoneBusiness:
		return maskPhone(dst, v)
	case Card, CardMasked:
		return maskChars(dst, v, 7, 12, 0)
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
	return maskChars(dst, v, 1, countChars(v)-4, 0)
}

// maskChars copies v, replacing with '*' each character that is not a
// separator and whose position among those characters, counting from 1,
// is in [lo, hi] and is not keep.
func maskChars(dst, v []byte, lo, hi, keep int) []byte {
	// Values are mostly ASCII, one byte a character: copy v and overwrite
	// what is hidden, until a byte says otherwise.
	n := len(dst)
	dst = append(dst, v...)
	out, k := dst[n:], 0
	for i, c := range out {
		if c >= utf8.RuneSelf {
			return maskCharsUTF8(dst[:n], v, lo, hi, keep)
		}
		if !isSep(c) {
			if k++; k >= lo && k <= hi && k != keep {
				out[i] = '*'
			}
		}
	}
	return dst
}

// maskCharsUTF8 is maskChars for values with multi-byte characters.
func maskCharsUTF8(dst, v []byte, lo, hi, keep int) []byte {
	out := starCopy{dst: dst, v: v}
	k := 0
	for i := 0; i < len(v); {
		w, sep := charAt(v, i)
		if !sep {
			if k++; k >= lo && k <= hi && k != keep {
				out.hide(i, w)
			}
		}
		i += w
	}
	return out.done()
}

// starCopy appends v to dst with some characters replaced by '*',
// copying the bytes between them in one go.
type starCopy struct {
	dst, v []byte
	from   int // v[from:] is not copied yet
}

// hide replaces the character v[i:i+w], which must come after the last
// one hidden, with '*'.
func (c *starCopy) hide(i, w int) {
	if c.from < i {
		c.dst = append(c.dst, c.v[c.from:i]...)
	}
	c.dst = append(c.dst, '*')
	c.from = i + w
}

func (c *starCopy) done() []byte { return append(c.dst, c.v[c.from:]...) }

// maskDigits copies v with the digits (ASCII, full-width or '*') numbered
// from to to-1, counting from 0, replaced by '*'.
func maskDigits(dst, v []byte, from, to int) []byte {
	// As in maskChars: ASCII in place, until a byte says otherwise.
	n := len(dst)
	dst = append(dst, v...)
	out, k := dst[n:], 0
	for i, c := range out {
		if c >= utf8.RuneSelf {
			return maskDigitsUTF8(dst[:n], v, from, to)
		}
		if c-'0' < 10 || c == '*' {
			if k >= from && k < to {
				out[i] = '*'
			}
			k++
		}
	}
	return dst
}

// maskDigitsUTF8 is maskDigits for values with multi-byte characters.
func maskDigitsUTF8(dst, v []byte, from, to int) []byte {
	out := starCopy{dst: dst, v: v}
	k := 0
	for i := 0; i < len(v); {
		_, w := digitAt(v, i)
		if w == 0 {
			i += charLen(v, i)
			continue
		}
		if k >= from && k < to {
			out.hide(i, w)
		}
		k++
		i += w
	}
	return out.done()
}

// countChars returns the number of characters of v that are not
// separators, as maskChars counts them.
func countChars(v []byte) int {
	n := 0
	for i := 0; i < len(v); {
		w, sep := charAt(v, i)
		if !sep {
			n++
		}
		i += w
	}
	return n
}

// charAt returns the byte length of the character at v[i] and whether it
// is a separator that masking keeps: - space . : + and the full-width
// hyphen.
func charAt(v []byte, i int) (int, bool) {
	if c := v[i]; c < utf8.RuneSelf {
		return 1, isSep(c)
	}
	r, w := utf8.DecodeRune(v[i:])
	return w, r == '－'
}

// charLen returns the byte length of the character at v[i].
func charLen(v []byte, i int) int {
	if v[i] < utf8.RuneSelf {
		return 1
	}
	_, w := utf8.DecodeRune(v[i:])
	return w
}

// maskPhone hides the middle group (국번): the digits between the area or
// carrier prefix and the last four. Digits past the 24th are left alone.
func maskPhone(dst, v []byte) []byte {
	// The first five digits (ASCII, full-width or '*') tell the prefix.
	var d [5]byte
	n := 0
	for i := 0; i < len(v) && n < 24; {
		c, w := v[i], 1
		switch {
		case c-'0' < 10 || c == '*':
		case c < utf8.RuneSelf:
			i++
			continue
		default:
			if c, w = fullWidthDigitAt(v, i); w == 0 {
				i += charLen(v, i)
				continue
			}
		}
		if n < len(d) {
			d[n] = c
		}
		n++
		i += w
	}
	skip := 0 // leading digits not part of the national number
	if len(v) > 0 && v[0] == '+' && n >= 2 && d[0] == '8' && d[1] == '2' {
		skip = 2
	}
	prefix := 3
	nat, nn := d[skip:], n-skip // the national number's first digits, and its length
	switch {
	case skip == 2 && nn > 0 && nat[0] != '0':
		prefix = 2 // +82 10-…: the 0 is not written
		if nat[0] == '2' {
			prefix = 1
		} else if nn > 1 && nat[0] == '5' && nat[1] == '0' {
			prefix = 3
		}
	case nn > 1 && nat[0] == '0' && nat[1] == '2':
		prefix = 2
	case nn > 2 && nat[0] == '0' && nat[1] == '5' && nat[2] == '0':
		prefix = 4
	case nn == 8 && nat[0] != '0':
		prefix = 4 // 1588-1234 has no middle group
	}
	return maskDigits(dst, v, skip+prefix, n-4)
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
	keep := 0 // bytes of the first two characters
	for k := 0; k < 2 && keep < at; k++ {
		keep += min(charLen(v, keep), at-keep)
	}
	dst = append(dst, v[:keep]...)
	for range utf8.RuneCount(v[keep:at]) {
		dst = append(dst, '*')
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
	out := starCopy{dst: dst, v: v}
	g := 0 // the IPv4 group
	for i, c := range v {
		switch {
		case colon >= 0 && dots == 0:
			if i > colon {
				out.hide(i, 1)
			}
		case c == '.':
			g++
		case g == 2:
			out.hide(i, 1)
		}
	}
	return out.done()
}

// maskName keeps the surname (two syllables for 남궁, 제갈 …) and hides the
// given name: 홍길동 → 홍**.
func maskName(dst, v []byte) []byte {
	keep := 1
	if len(v) > 6 && compoundSurname(v) {
		keep = 2
	}
	return maskChars(dst, v, keep+1, len(v), 0)
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
