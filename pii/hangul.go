package pii

import "bytes"

// Hangul syllables are three bytes in UTF-8 (U+AC00–U+D7A3).

func syllableAt(b []byte, i int) (rune, bool) {
	if i < 0 || i+2 >= len(b) {
		return 0, false
	}
	c0, c1, c2 := b[i], b[i+1], b[i+2]
	if c0 < 0xEA || c0 > 0xED || c1&0xC0 != 0x80 || c2&0xC0 != 0x80 {
		return 0, false
	}
	r := rune(c0&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F)
	if uint32(r-firstSyllable) >= syllables {
		return 0, false
	}
	return r, true
}

// syllableBefore decodes the syllable ending right before b[i].
func syllableBefore(b []byte, i int) (rune, bool) { return syllableAt(b, i-3) }

// surnames holds common Korean surnames (about 99% of the population by
// the 2015 census), one bit per syllable of the block; compoundSurname
// knows the two-syllable ones.
var surnames = func() (set [syllables/64 + 1]uint64) {
	for _, r := range "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감음빈동온호범좌팽승간상시갈단견당화창곡" {
		set[(r-firstSyllable)/64] |= 1 << ((r - firstSyllable) % 64)
	}
	return set
}()

// The Hangul syllables block, U+AC00–U+D7A3.
const (
	firstSyllable = 0xAC00
	syllables     = 0xD7A4 - firstSyllable
)

// isSurname reports whether r is in surnames.
func isSurname(r rune) bool {
	i := r - firstSyllable
	return uint32(i) < syllables && surnames[i/64]&(1<<(i%64)) != 0
}

// compoundSurname reports whether w starts with a two-syllable surname.
func compoundSurname(w []byte) bool {
	if len(w) < 6 {
		return false
	}
	switch string(w[:6]) {
	case "남궁", "제갈", "선우", "황보", "독고", "사공", "서문", "동방":
		return true
	}
	return false
}

// notGiven lists titles and words that follow a surname-like syllable
// before 님 or 씨 but are not given names (김부장님, 이사장님, 구독자님).
var notGiven = map[string]bool{
	"대리": true, "과장": true, "부장": true, "차장": true, "사장": true, "팀장": true, "실장": true,
	"원장": true, "교수": true, "선생": true, "기사": true, "주임": true, "계장": true, "소장": true,
	"국장": true, "회장": true, "이사": true, "상무": true, "전무": true, "대표": true, "반장": true,
	"박사": true, "작가": true, "기자": true, "의원": true, "위원": true, "감독": true, "코치": true,
	"선수": true, "여사": true, "고객": true, "회원": true, "학생": true, "사모": true, "목사": true,
	"장로": true, "집사": true, "권사": true, "약사": true, "총장": true, "단장": true, "관장": true,
	"독자": true, "용자": true, "청자": true, "원자": true, "문자": true, "주문": true, "매자": true,
	"약자": true, "고자": true, "유자": true, "신자": true, "가자": true, "석자": true, "여자": true,
	"튜버": true, "님들": true, "분들": true, "여러": true,
}

// nameLabels end in 명, 름 or 함, the syllables the scanner triggers on.
var nameLabels = []string{"성명", "고객명", "회원명", "환자명", "수취인명", "예금주명", "보호자명",
	"신청인명", "대표자명", "가입자명", "수신자명", "주문자명", "수령인명", "이름", "성함"}

var titles = []string{"고객", "회원", "환자", "학생", "선생", "보호자"}

// atHangul handles the last byte of a syllable that may end a name label
// (성명, 이름, 성함) or an honorific (님, 씨).
func (s *Scanner) atHangul(i int) int {
	b := s.b
	r, ok := syllableAt(b, i-2)
	if !ok {
		return i + 1
	}
	switch r {
	case '명', '름', '함':
		for _, l := range nameLabels {
			if i+1 >= len(l) && string(b[i+1-len(l):i+1]) == l {
				if end, ok := s.nameAfterLabel(i + 1); ok {
					return end
				}
				break
			}
		}
	case '님', '씨':
		s.nameBeforeHonorific(i - 2)
	}
	return i + 1
}

// atNameKey handles a ':' that may end an English name key in free text:
// name: 홍길동, customer_name: 김민준, "userName": "이서연". The key is
// "name" standing alone or ending a snake_case or camelCase key, so that
// filename and hostname are not name keys; the value must still read as a
// Korean name.
func (s *Scanner) atNameKey(i int) int {
	b := s.b
	k := i
	if k > 0 && (b[k-1] == '"' || b[k-1] == '\'') {
		k--
	}
	if k < 4 || lower(b[k-4]) != 'n' || !hasLabelAt(b, k-3, "ame") {
		return i + 1
	}
	if st := k - 4; st > 0 {
		c := b[st-1]
		camel := b[st] == 'N' && c >= 'a' && c <= 'z'
		if isAlnum(c) && !camel {
			return i + 1
		}
	}
	if end, ok := s.nameAfterLabel(i + 1); ok {
		return end
	}
	return i + 1
}

// nameAfterLabel reads "성명: 홍길동" style names.
func (s *Scanner) nameAfterLabel(p int) (int, bool) {
	b := s.b
	for k := 0; k < 8 && p < len(b); k++ {
		c := b[p]
		if c == ' ' || c == ':' || c == '=' || c == '\t' || c == '"' || c == '\'' || c == ')' || c == ']' {
			p++
			continue
		}
		break
	}
	if r, ok := syllableAt(b, p); ok && (r == '은' || r == '는') && p+3 < len(b) && b[p+3] == ' ' {
		p += 4
	}
	st := p
	k := 0
	for k < 6 {
		if _, ok := syllableAt(b, p); !ok {
			break
		}
		p += 3
		k++
	}
	// Drop an honorific glued to the name: 홍길동님.
	if k >= 3 {
		if r, _ := syllableBefore(b, p); r == '님' || r == '씨' {
			p -= 3
			k--
		}
	}
	if k < 2 || k > 4 || !looksLikeName(b[st:p], k) {
		return 0, false
	}
	s.emit(Finding{Type: Name, Start: st, End: p, Confidence: High})
	return p, true
}

// looksLikeName checks the surname of a k-syllable word.
func looksLikeName(w []byte, k int) bool {
	if k >= 3 && compoundSurname(w) {
		return true
	}
	if k == 4 {
		return false
	}
	r, _ := syllableAt(w, 0)
	return isSurname(r)
}

// nameBeforeHonorific reads "홍길동님", "홍길동 씨", "홍길동 고객님". The
// honorific starts at h.
func (s *Scanner) nameBeforeHonorific(h int) {
	b := s.b
	e := h
	if e > 0 && b[e-1] == ' ' {
		e--
	}
	for _, t := range titles {
		if e >= len(t) && string(b[e-len(t):e]) == t {
			if _, ok := syllableBefore(b, e-len(t)); !ok {
				e -= len(t)
				if e > 0 && b[e-1] == ' ' {
					e--
				}
			}
			break
		}
	}
	st, k := e, 0
	for k < 5 {
		if _, ok := syllableBefore(b, st); !ok {
			break
		}
		st -= 3
		k++
	}
	if k != 3 && !(k == 4 && looksLikeName(b[st:e], 4)) {
		return
	}
	if st < s.lastEnd || !looksLikeName(b[st:e], k) || notGiven[string(b[e-6:e])] {
		return
	}
	s.emit(Finding{Type: Name, Start: st, End: e, Confidence: Medium})
}

// provinces are the 17 시도 in long and short forms.
var provinces = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range []string{
		"서울특별시", "서울시", "서울", "부산광역시", "부산시", "부산", "대구광역시", "대구시", "대구",
		"인천광역시", "인천시", "인천", "광주광역시", "광주", "대전광역시", "대전시", "대전",
		"울산광역시", "울산시", "울산", "세종특별자치시", "세종시", "세종", "경기도", "경기",
		"강원도", "강원특별자치도", "강원", "충청북도", "충북", "충청남도", "충남",
		"전라북도", "전북특별자치도", "전북", "전라남도", "전남", "경상북도", "경북",
		"경상남도", "경남", "제주특별자치도", "제주도", "제주",
	} {
		m[p] = true
	}
	return m
}()

func isRoadEnd(r rune) bool {
	return r == '로' || r == '길' || r == '동' || r == '리' || r == '가'
}

// regionWord classifies a word: 2 for a 시도, 1 for a 시·군·구.
func regionWord(w []byte) int {
	if provinces[string(w)] {
		return 2
	}
	n := len(w) / 3
	if n >= 2 && n <= 5 && len(w)%3 == 0 {
		if r, ok := syllableBefore(w, len(w)); ok && (r == '시' || r == '군' || r == '구') {
			for k := 0; k < len(w); k += 3 {
				if _, ok := syllableAt(w, k); !ok {
					return 0
				}
			}
			return 1
		}
	}
	return 0
}

// hangulWordBefore returns the start of the word of syllables and digits
// ending at e. With masked, a '*' belongs to the word as the digit it
// hid did: tryAddress then sees "***남구" whole, a word masking cut, and
// starts no address at its "남구".
func hangulWordBefore(b []byte, e int, masked bool) int {
	for e > 0 {
		if _, ok := syllableBefore(b, e); ok {
			e -= 3
			continue
		}
		if isDigit(b[e-1]) || masked && b[e-1] == '*' {
			e--
			continue
		}
		break
	}
	return e
}

// tryAddress handles a number after a road or lot name (테헤란로 123,
// 역삼동 123-45, 테헤란로4길 15) preceded by a 시도 or 시·군·구.
func (s *Scanner) tryAddress(i int) (int, bool) {
	b := s.b
	var wordEnd, numStart int
	if i > 0 && b[i-1] == ' ' {
		wordEnd, numStart = i-1, i
		r, ok := syllableBefore(b, wordEnd)
		if !ok || !isRoadEnd(r) {
			return 0, false
		}
	} else {
		// The digit is inside the road word: 테헤란로4길 15, 역삼1동 12.
		if _, ok := syllableBefore(b, i); !ok {
			return 0, false
		}
		p := i
		for p < len(b) && isDigit(b[p]) {
			p++
		}
		q := p
		for {
			if _, ok := syllableAt(b, q); !ok {
				break
			}
			q += 3
		}
		if q == p || q+1 >= len(b) || b[q] != ' ' || !isDigit(b[q+1]) {
			return 0, false
		}
		if r, _ := syllableBefore(b, q); !isRoadEnd(r) {
			return 0, false
		}
		wordEnd, numStart = q, q+1
	}
	ws := hangulWordBefore(b, wordEnd, false)
	if ws == wordEnd {
		return 0, false
	}
	start, level := -1, 0
	q := ws
	for k := 0; k < 5 && q > 1 && b[q-1] == ' '; k++ {
		e := q - 1
		st := hangulWordBefore(b, e, true)
		if st == e || st < s.lastEnd || bytes.IndexByte(b[st:e], '*') >= 0 {
			break // a word that masking cut ("***굜로") starts no address
		}
		if lv := regionWord(b[st:e]); lv > 0 {
			start = st
			if lv > level {
				level = lv
			}
			if lv == 2 {
				break
			}
		} else if r, _ := syllableBefore(b, e); !(isRoadEnd(r) || r == '읍' || r == '면') {
			break
		}
		q = st
	}
	if start < 0 {
		return 0, false
	}
	// Building or lot number: 123, 123-45, 123번지.
	p := numStart
	for p < len(b) && isDigit(b[p]) {
		p++
	}
	if p+1 < len(b) && b[p] == '-' && isDigit(b[p+1]) {
		p++
		for p < len(b) && isDigit(b[p]) {
			p++
		}
	}
	if p+6 <= len(b) && string(b[p:p+6]) == "번지" {
		p += 6
	} else if r, ok := syllableAt(b, p); ok && isRoadEnd(r) {
		// 테헤란로 4길 15: the number begins the next road word, whose own
		// number ends the address. (Stopping here instead, masking would
		// leave "***길 15", an address again.)
		return 0, false
	}
	p = addressDetail(b, p)
	conf := Medium
	if level == 2 {
		conf = High
	}
	if s.colCtx&cAddress != 0 {
		conf = High
	}
	s.emit(Finding{Type: Address, Start: start, End: p, Confidence: conf})
	return p, true
}

// addressDetail extends an address over ", 101동 1001호" and a
// parenthesised reference such as "(역삼동)".
func addressDetail(b []byte, p int) int {
	q := p
	if q < len(b) && b[q] == ',' {
		q++
	}
	for k := 0; k < 2; k++ {
		r := q
		if r < len(b) && b[r] == ' ' {
			r++
		}
		d := r
		for d < len(b) && isDigit(b[d]) {
			d++
		}
		if d == r {
			break
		}
		if sy, ok := syllableAt(b, d); ok && (sy == '동' || sy == '호' || sy == '층') {
			q = d + 3
			p = q
			continue
		}
		break
	}
	r := p
	if r < len(b) && b[r] == ' ' {
		r++
	}
	if r < len(b) && b[r] == '(' {
		for e := r + 1; e < len(b) && e-r < 60; e++ {
			c := b[e]
			if c == ')' {
				return e + 1
			}
			if c == '\n' || c == '(' {
				break
			}
		}
	}
	return p
}

// wholeValue reports a value under a name or address column as a whole.
func (s *Scanner) wholeValue(b []byte) (Finding, bool) {
	st, en := 0, len(b)
	for st < en && (b[st] == ' ' || b[st] == '"' || b[st] == '\t') {
		st++
	}
	for en > st && (b[en-1] == ' ' || b[en-1] == '"' || b[en-1] == '\t' || b[en-1] == '\r') {
		en--
	}
	v := b[st:en]
	if len(v) == 0 {
		return Finding{}, false
	}
	switch s.colType {
	case Name:
		k := 0
		for p := 0; p < len(v); p += 3 {
			if _, ok := syllableAt(v, p); !ok {
				return Finding{}, false
			}
			k++
		}
		if k < 2 || k > 5 {
			return Finding{}, false
		}
		c := Medium
		if k <= 4 && looksLikeName(v, k) {
			c = High
		}
		return Finding{Type: Name, Start: st, End: en, Confidence: c}, true
	case Address:
		level := 0
		for p := 0; p < len(v); {
			e := p
			for e < len(v) && v[e] != ' ' {
				e++
			}
			if lv := regionWord(v[p:e]); lv > level {
				level = lv
			}
			p = e + 1
		}
		if level == 0 {
			return Finding{}, false
		}
		return Finding{Type: Address, Start: st, End: en, Confidence: High}, true
	}
	return Finding{}, false
}
