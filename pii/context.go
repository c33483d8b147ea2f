package pii

// ctxMask is a set of context kinds found in a label before a candidate or
// given by a column name.
type ctxMask uint16

const (
	cRRN ctxMask = 1 << iota
	cFRN
	cPhone
	cCard
	cAccount
	cBRN
	cPassport
	cDriver
	cBirth
	cIP
	cEmail
	cName
	cAddress
	cNeg // order, tracking, barcode, time stamp … : not personal
)

// labels are the words that give a nearby number its meaning. ASCII
// labels match case-insensitively at a word start.
var labels = []struct {
	kw string
	m  ctxMask
}{
	{"주민", cRRN}, {"jumin", cRRN}, {"rrn", cRRN}, {"resident", cRRN},
	{"외국인", cFRN}, {"frn", cFRN}, {"alien", cFRN},
	{"전화", cPhone}, {"연락처", cPhone}, {"휴대", cPhone}, {"핸드폰", cPhone},
	{"tel", cPhone}, {"phone", cPhone}, {"mobile", cPhone}, {"팩스", cPhone},
	{"카드", cCard}, {"card", cCard},
	{"계좌", cAccount}, {"입금", cAccount}, {"송금", cAccount}, {"이체", cAccount},
	{"예금주", cAccount}, {"은행", cAccount}, {"뱅크", cAccount}, {"농협", cAccount},
	{"신협", cAccount}, {"수협", cAccount}, {"새마을", cAccount}, {"우체국", cAccount},
	{"account", cAccount}, {"acct", cAccount}, {"bank", cAccount},
	{"사업자", cBRN}, {"brn", cBRN}, {"business", cBRN},
	{"여권", cPassport}, {"passport", cPassport},
	{"면허", cDriver}, {"license", cDriver}, {"licence", cDriver}, {"driver", cDriver},
	{"생년월일", cBirth}, {"생일", cBirth}, {"출생", cBirth}, {"dob", cBirth}, {"birth", cBirth},
	{"주문", cNeg}, {"송장", cNeg}, {"택배", cNeg}, {"바코드", cNeg}, {"상품", cNeg},
	{"모델", cNeg}, {"일련", cNeg}, {"승인번호", cNeg}, {"거래번호", cNeg}, {"접수번호", cNeg},
	{"예약번호", cNeg}, {"order", cNeg}, {"tracking", cNeg}, {"invoice", cNeg},
	{"barcode", cNeg}, {"serial", cNeg}, {"sku", cNeg}, {"ean", cNeg}, {"isbn", cNeg},
	{"timestamp", cNeg}, {"epoch", cNeg}, {"time", cNeg}, {"ts", cNeg}, {"uuid", cNeg},
}

// labelIndex maps a label's first two bytes (ASCII lower-cased) to the
// labels that start with them, so that a window is checked in one pass.
var labelIndex = func() *[65536][]uint8 {
	var t [65536][]uint8
	for i, l := range labels {
		k := uint16(l.kw[0])<<8 | uint16(l.kw[1])
		t[k] = append(t[k], uint8(i))
	}
	return &t
}()

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

// labelWindow is how far back a label may stand from its value.
const labelWindow = 40

// context returns the label kinds in the line before the current token,
// plus the column's. It is computed at most once per token.
func (s *Scanner) context() ctxMask {
	at := s.tok.start
	if s.ctxAt == at {
		return s.ctxVal
	}
	s.ctxAt = at
	s.ctxVal = labelsIn(s.b, at-labelWindow, at) | s.colCtx
	return s.ctxVal
}

// labelsIn returns the label kinds in b[from:to], not looking past a line
// break.
func labelsIn(b []byte, from, to int) ctxMask {
	if from < 0 {
		from = 0
	}
	for j := to - 1; j >= from; j-- {
		if b[j] == '\n' {
			from = j + 1
			break
		}
	}
	var m ctxMask
	for j := from; j+1 < to; j++ {
		k := uint16(lower(b[j]))<<8 | uint16(lower(b[j+1]))
		for _, li := range labelIndex[k] {
			l := &labels[li]
			if j+len(l.kw) > to || !hasLabelAt(b, j, l.kw) {
				continue
			}
			if l.kw[0] < 0x80 {
				// ASCII labels start a word; short ones also end one.
				if j > 0 && isAlpha(b[j-1]) {
					continue
				}
				if e := j + len(l.kw); len(l.kw) <= 3 && e < len(b) && isAlpha(b[e]) {
					continue
				}
			}
			m |= l.m
		}
	}
	return m
}

func hasLabelAt(b []byte, j int, kw string) bool {
	for k := 0; k < len(kw); k++ {
		if lower(b[j+k]) != kw[k] {
			return false
		}
	}
	return true
}

var birthLabels = []string{"생년월일", "생일", "출생일", "출생", "생년", "dob", "birth", "birthday",
	"birthdate", "birth_date", "date of birth"}

// birthLabel reports whether a birth label stands right before start,
// separated only by spaces, ':', '=', quotes or brackets. Dates are common
// in logs, so this check is kept strict and cheap.
func (s *Scanner) birthLabel(start int) bool {
	if s.colCtx&cBirth != 0 {
		return true
	}
	b := s.b
	j := start
	for k := 0; k < 6 && j > 0; k++ {
		c := b[j-1]
		if c == ' ' || c == ':' || c == '=' || c == '"' || c == '\'' || c == '(' || c == '[' || c == '\t' {
			j--
			continue
		}
		break
	}
	if j == 0 {
		return false
	}
	// The last byte of every birth label: 일, 생, 년, b, h, y, e.
	switch lower(b[j-1]) {
	case 0xBC, 0x9D, 0x84, 'b', 'h', 'y', 'e':
	default:
		return false
	}
	for _, l := range birthLabels {
		if j >= len(l) && hasLabelAt(b, j-len(l), l) {
			return true
		}
	}
	return false
}

// columns maps words in column or key names to the type of the values
// under them. Matching is by substring on the lower-cased name with
// '_', '-', ' ' and '.' removed, so customer_phone_no matches "phone".
var columns = []struct {
	kw string
	m  ctxMask
	t  Type
}{
	{"외국인", cFRN, FRN}, {"frn", cFRN, FRN}, {"alien", cFRN, FRN},
	{"주민", cRRN, RRN}, {"jumin", cRRN, RRN}, {"rrn", cRRN, RRN}, {"ssn", cRRN, RRN}, {"residentno", cRRN, RRN},
	{"여권", cPassport, Passport}, {"passport", cPassport, Passport},
	{"면허", cDriver, DriverLicense}, {"license", cDriver, DriverLicense}, {"licence", cDriver, DriverLicense},
	{"사업자", cBRN, BRN}, {"brn", cBRN, BRN}, {"bizno", cBRN, BRN}, {"businessno", cBRN, BRN},
	{"계좌", cAccount, Account}, {"account", cAccount, Account}, {"acct", cAccount, Account}, {"bankno", cAccount, Account},
	{"카드", cCard, Card}, {"card", cCard, Card},
	{"휴대", cPhone, Phone}, {"전화", cPhone, Phone}, {"연락처", cPhone, Phone}, {"핸드폰", cPhone, Phone},
	{"phone", cPhone, Phone}, {"mobile", cPhone, Phone}, {"tel", cPhone, Phone}, {"hp", cPhone, Phone}, {"cell", cPhone, Phone},
	{"이메일", cEmail, Email}, {"메일", cEmail, Email}, {"email", cEmail, Email}, {"mail", cEmail, Email},
	{"생년월일", cBirth, BirthDate}, {"생일", cBirth, BirthDate}, {"birth", cBirth, BirthDate}, {"dob", cBirth, BirthDate},
	{"주소", cAddress, Address}, {"address", cAddress, Address}, {"addr", cAddress, Address},
	{"ip", cIP, IP},
	{"성명", cName, Name}, {"이름", cName, Name}, {"고객명", cName, Name}, {"회원명", cName, Name},
	{"환자명", cName, Name}, {"예금주", cName, Name}, {"성함", cName, Name}, {"name", cName, Name},
	{"주문", cNeg, ""}, {"order", cNeg, ""}, {"송장", cNeg, ""}, {"tracking", cNeg, ""},
	{"barcode", cNeg, ""}, {"바코드", cNeg, ""}, {"time", cNeg, ""}, {"created", cNeg, ""},
	{"updated", cNeg, ""}, {"date", cNeg, ""}, {"uuid", cNeg, ""}, {"hash", cNeg, ""},
}

// columnContext classifies a column or key name. The first matching word
// wins, so 외국인등록번호 is frn before 주민 could match and username is a
// name column only because nothing earlier matched.
func columnContext(column string) (ctxMask, Type) {
	if column == "" {
		return 0, ""
	}
	var buf [64]byte
	n := 0
	for i := 0; i < len(column) && n < len(buf); i++ {
		c := column[i]
		if c == '_' || c == '-' || c == ' ' || c == '.' {
			continue
		}
		buf[n] = lower(c)
		n++
	}
	name := buf[:n]
	for _, c := range columns {
		if containsString(name, c.kw) {
			// "ip" and "hp" are too short to match inside other words.
			if (c.kw == "ip" || c.kw == "hp" || c.kw == "tel") && !shortColumnMatch(name, c.kw) {
				continue
			}
			return c.m, c.t
		}
	}
	return 0, ""
}

func containsString(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return true
		}
	}
	return false
}

// shortColumnMatch accepts a short word as the whole name or at its start
// or end: ip, client_ip, ipaddr, hp, hp_no, tel.
func shortColumnMatch(name []byte, kw string) bool {
	n := len(kw)
	if len(name) < n {
		return false
	}
	return string(name[:n]) == kw || string(name[len(name)-n:]) == kw ||
		(len(name) >= n+2 && string(name[len(name)-n-2:len(name)-2]) == kw && string(name[len(name)-2:]) == "no")
}
