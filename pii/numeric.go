package pii

import "bytes"

// win is one classified run of digit groups: the whole token or part of it
// split at spaces.
type win struct {
	d          []byte // digits, '*' for masked ones
	ng         int
	gl         [maxGroups]uint8
	sep        [maxGroups]byte
	start, end int
	stars      int
	hyph, dots bool // some separator is '-' / '.'
	spaces     bool
	plus       bool
}

func (w *win) shape(gl ...uint8) bool {
	if w.ng != len(gl) {
		return false
	}
	for i, l := range gl {
		if w.gl[i] != l {
			return false
		}
	}
	return true
}

// classify decides what groups gi..gj of the current token are.
func (s *Scanner) classify(gi, gj int) (Finding, bool) {
	t := &s.tok
	if nd := int(t.gd[gj]) + int(t.gl[gj]) - int(t.gd[gi]); nd < 6 && gj-gi < 3 {
		return Finding{}, false
	}
	var w win
	w.d = t.d[t.gd[gi] : int(t.gd[gj])+int(t.gl[gj])]
	w.ng = gj - gi + 1
	if gi == 0 {
		// Whole arrays in two moves; entries past ng are never read.
		w.gl, w.sep = t.gl, t.sep
	} else {
		copy(w.gl[:w.ng], t.gl[gi:])
		copy(w.sep[1:w.ng], t.sep[gi+1:])
	}
	for _, sp := range w.sep[1:w.ng] {
		switch sp {
		case '-':
			w.hyph = true
		case '.':
			w.dots = true
		case ' ':
			w.spaces = true
		}
	}
	w.start, w.end = t.gs[gi], t.ge[gj]
	if gi == 0 && t.plus {
		w.plus = true
	}
	if t.stars > 0 {
		for _, c := range w.d {
			if c == '*' {
				w.stars++
			}
		}
	}
	nd := len(w.d)
	if nd < 6 && w.ng < 4 {
		return Finding{}, false
	}
	if w.stars > 0 {
		if w.stars == nd {
			return Finding{}, false
		}
		return s.classifyMasked(&w, s.tok.extendsCard(gi, gj))
	}
	if w.dots {
		if w.ng == 4 && !w.hyph && !w.spaces {
			if f, ok := s.ipv4(&w); ok {
				return f, true
			}
		}
		if f, ok := s.phone(&w); ok {
			return f, true
		}
		return s.birthDate(&w)
	}
	switch {
	case nd == 13:
		if f, ok := s.rrn(&w); ok {
			return f, true
		}
	case nd == 10:
		if f, ok := s.brn(&w); ok {
			return f, true
		}
	case nd == 12:
		if f, ok := s.driverLicense(&w); ok {
			return f, true
		}
	}
	if nd >= 13 && nd <= 19 && !s.tok.extendsCard(gi, gj) {
		if f, ok := s.card(&w); ok {
			return f, true
		}
	}
	if nd == 10 && w.ng == 3 && w.gl[0] == 2 && w.gl[1] == 6 && w.gl[2] == 2 {
		if f, ok := s.oldDriverLicense(&w); ok {
			return f, true
		}
	}
	if f, ok := s.phone(&w); ok {
		if s.colCtx&cAccount == 0 || f.Type == PhoneBusiness {
			return f, true
		}
	}
	if nd >= 10 && nd <= 14 {
		if f, ok := s.account(&w); ok {
			return f, true
		}
	}
	if nd == 6 || nd == 8 {
		return s.birthDate(&w)
	}
	return Finding{}, false
}

// pair returns the two-digit number d[k:k+2].
func pair(d []byte, k int) int { return int(d[k]-'0')*10 + int(d[k+1]-'0') }

func num(d []byte) int {
	n := 0
	for _, c := range d {
		n = n*10 + int(c-'0')
	}
	return n
}

func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return d <= 29
		}
		return d <= 28
	case 4, 6, 9, 11:
		return d <= 30
	}
	return d <= 31
}

// rrnCentury maps the gender digit G to the century of birth and says
// whether the number is a foreigner's (G 5–8).
func rrnCentury(g byte) (int, bool) {
	switch g {
	case '9', '0':
		return 1800, false
	case '1', '2':
		return 1900, false
	case '3', '4':
		return 2000, false
	case '5', '6':
		return 1900, true
	case '7', '8':
		return 2000, true
	}
	return 0, false
}

// rrnDate reports whether the first seven digits give a real birth date
// that is not in the future.
func (s *Scanner) rrnDate(d []byte) bool {
	c, _ := rrnCentury(d[6])
	y, m, dd := c+pair(d, 0), pair(d, 2), pair(d, 4)
	return validDate(y, m, dd) && y*10000+m*100+dd <= s.date()
}

// rrnCheck verifies the pre-2020 check digit: (11 − Σ mod 11) mod 10 for
// residents, (13 − Σ mod 11) mod 10 for foreigners, where Σ weighs the
// first twelve digits by 2 3 4 5 6 7 8 9 2 3 4 5.
func rrnCheck(d []byte, foreign bool) bool {
	_ = d[12] // one bounds check for all
	// Unrolled, on the bytes: the weights sum to 58, so 58 × '0' comes off
	// once.
	sum := 2*int(d[0]) + 3*int(d[1]) + 4*int(d[2]) + 5*int(d[3]) + 6*int(d[4]) + 7*int(d[5]) +
		8*int(d[6]) + 9*int(d[7]) + 2*int(d[8]) + 3*int(d[9]) + 4*int(d[10]) + 5*int(d[11]) - 58*'0'
	k := 11
	if foreign {
		k = 13
	}
	return byte((k-sum%11)%10) == d[12]-'0'
}

func eanCheck(d []byte) bool {
	sum := 0
	for i := 0; i < 12; i++ {
		v := int(d[i] - '0')
		if i%2 == 1 {
			v *= 3
		}
		sum += v
	}
	return byte((10-sum%10)%10) == d[12]-'0'
}

func (s *Scanner) rrn(w *win) (Finding, bool) {
	sep := w.shape(6, 7) && w.sep[1] == '-'
	if !sep && !w.shape(13) {
		return Finding{}, false
	}
	if !s.rrnDate(w.d) {
		return Finding{}, false
	}
	_, foreign := rrnCentury(w.d[6])
	typ := RRN
	if foreign {
		typ = FRN
	}
	ok := rrnCheck(w.d, foreign)
	f := Finding{Type: typ, Start: w.start, End: w.end}
	if sep {
		// Since 2020-10 new numbers end in random digits: a failed check
		// lowers confidence but does not reject.
		f.Confidence = Medium
		if ok {
			f.Confidence = High
		}
		return f, true
	}
	ctx := s.context()
	switch {
	case ctx&(cRRN|cFRN) != 0:
		f.Confidence = High
		if !ok {
			f.Confidence = Medium
		}
	case ctx&cNeg != 0:
		return Finding{}, false
	case ok && w.d[0] == '8' && w.d[1] == '8' && w.d[2] == '0' && eanCheck(w.d):
		// A Korean EAN-13 barcode (GS1 prefix 880) that also passes.
		f.Confidence = Low
	case ok:
		f.Confidence = High
	default:
		f.Confidence = Low
	}
	return f, true
}

func luhn(d []byte) bool {
	sum, dbl := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if dbl {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		dbl = !dbl
	}
	return sum%10 == 0
}

// cardBrand reports whether d starts with an issuer prefix whose numbers
// have len(d) digits.
func cardBrand(d []byte) bool {
	n := len(d)
	p2 := pair(d, 0)
	p4 := p2*100 + pair(d, 2)
	switch d[0] {
	case '4': // Visa
		return n == 13 || n == 16 || n == 19
	case '5': // Mastercard
		return p2 >= 51 && p2 <= 55 && n == 16
	case '2': // Mastercard 2-series
		return p4 >= 2221 && p4 <= 2720 && n == 16
	case '3':
		switch {
		case p2 == 34 || p2 == 37: // Amex
			return n == 15
		case p4 >= 3528 && p4 <= 3589: // JCB
			return n >= 16 && n <= 19
		case p2 == 36 || p2 == 38 || p2 == 39 || (p4 >= 3000 && p4 <= 3059): // Diners
			return n >= 14 && n <= 16
		}
	case '6': // Discover, UnionPay
		return (p4 == 6011 || p2 == 65 || p2 == 64 || p2 == 62) && n >= 16 && n <= 19
	case '9': // Korean domestic-only cards
		return n == 16
	}
	return false
}

// cardGroups accepts 4-4-4-4 style groups (last may be shorter), the Amex
// 4-6-5 and Diners 4-6-4 layouts, or no separators.
func cardGroups(w *win) bool {
	if w.ng == 1 {
		return true
	}
	if w.shape(4, 6, 5) || w.shape(4, 6, 4) {
		return true
	}
	for i := 0; i < w.ng-1; i++ {
		if w.gl[i] != 4 {
			return false
		}
	}
	return w.gl[w.ng-1] >= 1 && w.gl[w.ng-1] <= 4
}

// extendsCard reports whether groups gi..gj are inside a longer run of
// 4-digit groups with the same separator (1000 0000 0000 0000 0): a card
// number, masked or not, is then the whole run or none of it. Read as a
// card from its second group, masking would leave a run whose first
// digits show, which a second masking would read, and mask, as a masked
// card from the first. (So 1234 4111 1111 1111 1111, an order number
// right before a card number, is not read as a card either.)
func (t *token) extendsCard(gi, gj int) bool {
	if gj == gi {
		return false
	}
	sep := t.sep[gi+1]
	return gi > 0 && t.gl[gi-1] == 4 && t.sep[gi] == sep ||
		gj+1 < t.ng && t.gl[gj] == 4 && t.gl[gj+1] == 4 && t.sep[gj+1] == sep
}

func (s *Scanner) card(w *win) (Finding, bool) {
	// No payment card number starts with 0 (ISO/IEC 7812 major industry
	// identifier 0 is not a card issuer), as the masked form also says.
	if !cardGroups(w) || w.dots || w.d[0] == '0' {
		return Finding{}, false
	}
	f := Finding{Type: Card, Start: w.start, End: w.end}
	lu, br := luhn(w.d), cardBrand(w.d)
	switch {
	case lu && br:
		f.Confidence = High
		if w.ng == 1 {
			ctx := s.context()
			if ctx&cNeg != 0 && ctx&cCard == 0 {
				return Finding{}, false
			}
		}
	case lu && (w.ng > 1 || s.context()&cCard != 0):
		f.Confidence = Medium
	case br && w.ng == 4:
		f.Confidence = Low
	default:
		return Finding{}, false
	}
	return f, true
}

// phoneNational returns the national number (leading 0) of w in buf.
func phoneNational(w *win, buf *[20]byte) ([]byte, int) {
	d := w.d
	first := 0 // groups belonging to the country code
	if w.plus {
		if len(d) < 4 || d[0] != '8' || d[1] != '2' {
			return nil, 0
		}
		d = d[2:]
		if w.gl[0] == 2 {
			first = 1
		}
		if d[0] == '0' {
			d = d[1:]
		}
		if len(d)+1 > len(buf) {
			return nil, 0
		}
		buf[0] = '0'
		n := copy(buf[1:], d)
		return buf[:n+1], first
	}
	return d, 0
}

// phonePrefix returns the length of the area or carrier prefix of a
// national number and its type, following libphonenumber's KR metadata.
func phonePrefix(d []byte) (int, Type, bool) {
	n := len(d)
	if n < 9 || d[0] != '0' {
		return 0, "", false
	}
	a, b := d[1], d[2]
	switch a {
	case '1': // mobile 010, 011, 016–019
		switch b {
		case '0':
			return 3, Phone, n == 11 && d[3] != '0'
		case '1', '6', '7', '8', '9':
			return 3, Phone, (n == 10 || n == 11) && d[3] != '0'
		}
	case '2': // Seoul
		return 2, Phone, (n == 9 || n == 10) && b != '0'
	case '3', '4', '5', '6':
		hi := byte('4') // 031–033, 041–044, 051–055, 061–064
		switch a {
		case '3':
			hi = '3'
		case '5':
			hi = '5'
		}
		if b >= '1' && b <= hi {
			return 3, Phone, (n == 10 || n == 11) && d[3] != '0'
		}
		if a == '6' && b == '0' { // 060 premium rate
			return 3, PhoneBusiness, n == 10
		}
		if a == '5' && b == '0' { // 050X personal numbers
			return 4, Phone, (n == 11 || n == 12) && d[3] >= '2' && d[3] <= '8'
		}
	case '7':
		return 3, Phone, b == '0' && n == 11
	case '8':
		return 3, PhoneBusiness, b == '0' && n == 10
	}
	return 0, "", false
}

func (s *Scanner) phone(w *win) (Finding, bool) {
	var buf [20]byte
	d, first := phoneNational(w, &buf)
	start := w.start
	if w.plus {
		if d == nil {
			return Finding{}, false
		}
		start = s.tok.start - 1
		if s.b[start] != '+' {
			start--
		}
	}
	if len(d) == 8 && !w.plus && w.ng == 2 && w.gl[0] == 4 && w.sep[1] == '-' &&
		d[0] == '1' && (d[1] == '5' || d[1] == '6' || d[1] == '8') {
		return Finding{Type: PhoneBusiness, Start: start, End: w.end, Confidence: Medium}, true
	}
	pl, typ, ok := phonePrefix(d)
	if !ok {
		return Finding{}, false
	}
	f := Finding{Type: typ, Start: start, End: w.end}
	groups := w.ng - first
	switch {
	case groups == 1:
		f.Confidence = Medium
		if d[1] == '1' && d[2] == '0' || w.plus || s.colCtx&cPhone != 0 {
			f.Confidence = High
		}
		if w.dots {
			return Finding{}, false
		}
	case groups == 3:
		g0, g1, g2 := int(w.gl[first]), int(w.gl[first+1]), int(w.gl[first+2])
		if w.plus {
			g0++ // the national prefix's 0 is not written
		}
		if g0 == pl && (g1 == 3 || g1 == 4) && g2 == 4 {
			f.Confidence = High
		} else {
			f.Confidence = Low
		}
	default:
		f.Confidence = Low
	}
	return f, true
}

// brnCheck verifies a business registration number's check digit with
// keys 1,3,7,1,3,7,1,3,5 (the 9th product's tens digit is added too).
func brnCheck(d []byte) bool {
	keys := [9]int{1, 3, 7, 1, 3, 7, 1, 3, 5}
	sum := 0
	for i, k := range keys {
		sum += int(d[i]-'0') * k
	}
	sum += int(d[8]-'0') * 5 / 10
	return byte((10-sum%10)%10) == d[9]-'0'
}

func (s *Scanner) brn(w *win) (Finding, bool) {
	grouped := w.shape(3, 2, 5) && w.hyph
	if !grouped && !w.shape(10) {
		return Finding{}, false
	}
	d := w.d
	if num(d[:3]) < 101 || (d[3] == '0' && d[4] == '0') || num(d[5:9]) == 0 || !brnCheck(d) {
		if grouped && s.context()&cBRN != 0 {
			return Finding{Type: BRN, Start: w.start, End: w.end, Confidence: Low}, true
		}
		return Finding{}, false
	}
	f := Finding{Type: BRN, Start: w.start, End: w.end, Confidence: High}
	if !grouped {
		f.Confidence = Low
		if s.context()&cBRN != 0 {
			f.Confidence = High
		}
	}
	return f, true
}

// licenceRegion reports whether a driver's licence region number is
// assigned: 11–26 and 28.
func licenceRegion(r int) bool { return r >= 11 && r <= 26 || r == 28 }

func (s *Scanner) driverLicense(w *win) (Finding, bool) {
	grouped := w.shape(2, 2, 6, 2) && w.hyph
	if !grouped && !w.shape(12) {
		return Finding{}, false
	}
	if !licenceRegion(num(w.d[:2])) {
		return Finding{}, false
	}
	ctx := s.context()
	f := Finding{Type: DriverLicense, Start: w.start, End: w.end, Confidence: Medium}
	switch {
	case ctx&cDriver != 0:
		f.Confidence = High
	case !grouped:
		return Finding{}, false
	}
	return f, true
}

var licenceRegions = []string{"서울", "부산", "경기", "강원", "충북", "충남", "전북", "전남",
	"경북", "경남", "제주", "대구", "인천", "광주", "대전", "울산"}

// oldDriverLicense handles licences issued before June 2014, written
// with a region name: 서울 05-123456-01.
func (s *Scanner) oldDriverLicense(w *win) (Finding, bool) {
	st := w.start
	if st > 0 && s.b[st-1] == ' ' {
		st--
	}
	for _, r := range licenceRegions {
		// The region is a word of its own: glued to what comes before it
		// (000서울00 …) it is not a licence's, and masking it would leave
		// the digits before it reading as something else.
		if rs := st - len(r); rs >= 0 && string(s.b[rs:st]) == r && rs >= s.lastEnd && (rs == 0 || !isAlnum(s.b[rs-1]) && s.b[rs-1] != '*') {
			f := Finding{Type: DriverLicense, Start: rs, End: w.end, Confidence: Medium}
			if s.context()&cDriver != 0 {
				f.Confidence = High
			}
			return f, true
		}
	}
	return Finding{}, false
}

// account needs context: a label such as 계좌 or a bank name, or a column.
func (s *Scanner) account(w *win) (Finding, bool) {
	ctx := s.context()
	if ctx&cAccount == 0 {
		return Finding{}, false
	}
	if w.dots || w.spaces && !w.hyph {
		return Finding{}, false
	}
	f := Finding{Type: Account, Start: w.start, End: w.end, Confidence: Medium}
	if w.ng >= 2 && w.ng <= 4 {
		f.Confidence = High
	}
	return f, true
}

// birthDate needs a birth label right before the date.
func (s *Scanner) birthDate(w *win) (Finding, bool) {
	if !s.birthLabel(w.start) {
		return Finding{}, false
	}
	d := w.d
	var y, m, dd int
	switch {
	case len(d) == 8 && (w.ng == 1 || w.shape(4, 2, 2)):
		y, m, dd = num(d[:4]), num(d[4:6]), num(d[6:8])
	case len(d) == 6 && (w.ng == 1 || w.shape(2, 2, 2)):
		y, m, dd = num(d[:2]), num(d[2:4]), num(d[4:6])
		y += 1900
		if (y+100)*10000+m*100+dd <= s.date() {
			y += 100
		}
	default:
		return Finding{}, false
	}
	if !validDate(y, m, dd) || y*10000+m*100+dd > s.date() || y < 1890 {
		return Finding{}, false
	}
	return Finding{Type: BirthDate, Start: w.start, End: w.end, Confidence: High}, true
}

// tryParenPhone reads a phone number whose area code is in parentheses,
// (02) 123-4567 or (031)123-4567, from the digit after the '(' at b[i-1].
func (s *Scanner) tryParenPhone(i int) (int, bool) {
	b := s.b
	a := i + digitRun(b[i:])
	if a-i < 2 || a-i > 4 || b[i] != '0' || a+2 >= len(b) || b[a] != ')' {
		return 0, false
	}
	p := a + 1
	if b[p] == ' ' {
		p++
	}
	if !isDigit(b[p]) {
		return 0, false
	}
	s.readToken(p)
	t := &s.tok
	if t.ng != 2 || t.sep[1] == ' ' || t.stars > 0 || t.long || t.end < len(b) && isAlnum(b[t.end]) {
		return 0, false
	}
	// The area code is the number's first group.
	var w win
	var d [maxDigits]byte
	n := copy(d[:], b[i:a])
	n += copy(d[n:], t.d[:t.nd])
	w.d, w.ng, w.start, w.end = d[:n], 3, i-1, t.end
	w.gl = [maxGroups]uint8{uint8(a - i), t.gl[0], t.gl[1]}
	w.sep[2] = t.sep[1]
	w.hyph, w.dots = t.sep[1] == '-', t.sep[1] == '.'
	f, ok := s.phone(&w)
	if !ok || f.Confidence < High {
		return 0, false
	}
	s.emit(f)
	return t.end, true
}

// tryKoreanDate reads a birth date written 1988년 1월 1일 (spaces optional)
// after a birth label; b[i:j] is the year.
func (s *Scanner) tryKoreanDate(i, j int) (int, bool) {
	b := s.b
	if j+3 > len(b) || string(b[j:j+3]) != "년" || !s.birthLabel(i) {
		return 0, false
	}
	m, p, ok := numberBefore(b, j+3, "월")
	if !ok {
		return 0, false
	}
	d, end, ok := numberBefore(b, p, "일")
	if !ok {
		return 0, false
	}
	y := num(b[i:j])
	if !validDate(y, m, d) || y*10000+m*100+d > s.date() || y < 1890 {
		return 0, false
	}
	s.emit(Finding{Type: BirthDate, Start: i, End: end, Confidence: High})
	return end, true
}

// numberBefore reads an optional space, a number of one or two digits and
// the word unit at b[p:]. It returns the number and the end of unit.
func numberBefore(b []byte, p int, unit string) (int, int, bool) {
	if p < len(b) && b[p] == ' ' {
		p++
	}
	e := p + digitRun(b[p:])
	if e == p || e-p > 2 || e+len(unit) > len(b) || string(b[e:e+len(unit)]) != unit {
		return 0, 0, false
	}
	return num(b[p:e]), e + len(unit), true
}

// classifyMasked handles values already masked with '*'; inRun says the
// groups are part of a longer run that no card is read from.
func (s *Scanner) classifyMasked(w *win, inRun bool) (Finding, bool) {
	d := w.d
	nd := len(d)
	f := Finding{Start: w.start, End: w.end, Masked: true}
	switch {
	case w.dots && w.ng == 4 && !w.hyph && !w.spaces:
		return s.ipv4(w)
	case nd == 13 && w.shape(6, 7) && w.sep[1] == '-':
		// 880101-1******, ******-1******, 880101-*******
		g := d[6]
		typ := RRN
		if g != '*' {
			if _, foreign := rrnCentury(g); foreign {
				typ = FRN
			}
		} else if frnMaskShape(d) {
			typ = FRN // ******-***4567, as an frn is masked
		}
		f.Type = typ
		f.Confidence = Medium
		if d[0] != '*' && g != '*' && s.rrnDate(d) {
			f.Confidence = High
		}
		return f, true
	case nd >= 13 && nd <= 19 && w.ng >= 3 && cardGroups(w) && d[0] != '0' && !inRun:
		// 1234-56**-****-3456: the first digits are the issuer.
		if d[0] == '*' {
			return Finding{}, false
		}
		f.Type, f.Confidence = CardMasked, Medium
		if s.context()&cCard != 0 || cardBrandLoose(d) {
			f.Confidence = High
		}
		return f, true
	case w.ng == 3 && d[0] == '0':
		// 010-****-5678
		pl := 3
		if d[1] == '2' {
			pl = 2
		}
		// The stars are the middle group, as masking a phone leaves it;
		// 010 010 **** is not that (but 010 **** 0000 in it is).
		mid := d[pl : pl+int(w.gl[1])]
		if int(w.gl[0]) == pl && (w.gl[1] == 3 || w.gl[1] == 4) && w.gl[2] == 4 && d[1] != '0' &&
			bytes.Count(mid, []byte{'*'}) == len(mid) && bytes.IndexByte(d[:pl], '*') < 0 && bytes.IndexByte(d[len(d)-4:], '*') < 0 {
			f.Type, f.Confidence = Phone, High
			return f, true
		}
	}
	return Finding{}, false
}

// frnMaskShape reports whether the 13 digits d of a masked value show
// only some of their last four, as masking an frn leaves them: were it
// read as an rrn, masking it again would hide those too.
func frnMaskShape(d []byte) bool {
	for _, c := range d[:9] {
		if c != '*' {
			return false
		}
	}
	for _, c := range d[9:] {
		if c != '*' {
			return true
		}
	}
	return false
}

func cardBrandLoose(d []byte) bool {
	for _, c := range d[:4] {
		if c == '*' {
			return false
		}
	}
	switch d[0] {
	case '2', '3', '4', '5', '6', '9':
		return true
	}
	return false
}
