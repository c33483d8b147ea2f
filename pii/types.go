package pii

// Type names a kind of personal information. The values are stable
// identifiers shared with the record's pii object, scan output and rules
// (see shared/schema/pii-types.md).
type Type string

// The types jikimi detects.
const (
	RRN           Type = "rrn"            // 주민등록번호
	FRN           Type = "frn"            // 외국인등록번호
	Passport      Type = "passport"       // 여권번호
	DriverLicense Type = "driver_license" // 운전면허번호
	Phone         Type = "phone"          // personal phone number
	PhoneBusiness Type = "phone_business" // 15xx/16xx/18xx, 080, 060: not a person
	Email         Type = "email"
	Card          Type = "card"        // payment card number
	CardMasked    Type = "card_masked" // card number already masked in the input
	Account       Type = "account"     // bank account number
	BRN           Type = "brn"         // 사업자등록번호
	Address       Type = "address"
	Name          Type = "name"
	IP            Type = "ip"
	IPPrivate     Type = "ip_private"
	BirthDate     Type = "birth_date"
)

// Types lists every type in a fixed order, for reports.
var Types = []Type{RRN, FRN, Passport, DriverLicense, Phone, PhoneBusiness, Email,
	Card, CardMasked, Account, BRN, Address, Name, IP, IPPrivate, BirthDate}

// Korean returns the Korean name of t, for tables shown to people.
func (t Type) Korean() string {
	switch t {
	case RRN:
		return "주민등록번호"
	case FRN:
		return "외국인등록번호"
	case Passport:
		return "여권번호"
	case DriverLicense:
		return "운전면허번호"
	case Phone:
		return "전화번호"
	case PhoneBusiness:
		return "대표번호"
	case Email:
		return "이메일"
	case Card:
		return "카드번호"
	case CardMasked:
		return "카드번호(마스킹)"
	case Account:
		return "계좌번호"
	case BRN:
		return "사업자등록번호"
	case Address:
		return "주소"
	case Name:
		return "성명"
	case IP:
		return "IP주소"
	case IPPrivate:
		return "사설IP"
	case BirthDate:
		return "생년월일"
	}
	return string(t)
}

// Identifying reports whether a value of type t points at one data subject,
// so that a row carrying it counts as a subject. Business phone numbers,
// IP addresses and organisations' business numbers do not; Count also
// leaves out business numbers whose middle digits mark an organisation.
func (t Type) Identifying() bool {
	switch t {
	case PhoneBusiness, IP, IPPrivate:
		return false
	}
	return t != ""
}

// Confidence says how sure a finding is. Pipelines count Medium and High.
type Confidence uint8

// Confidence levels, ordered.
const (
	// Low means the shape alone matched.
	Low Confidence = iota + 1
	// Medium means the shape matched with partial validation or context.
	Medium
	// High means the value validates (check digit, Luhn, real date with a
	// label, …) or sits under a column or label that names its type.
	High
)

func (c Confidence) String() string {
	switch c {
	case Low:
		return "low"
	case Medium:
		return "medium"
	case High:
		return "high"
	}
	return "none"
}

// ParseConfidence parses "low", "medium" or "high".
func ParseConfidence(s string) (Confidence, bool) {
	switch s {
	case "low":
		return Low, true
	case "medium":
		return Medium, true
	case "high":
		return High, true
	}
	return 0, false
}

// Finding is one detected value: b[Start:End] of the scanned input.
type Finding struct {
	Type       Type
	Start, End int
	Confidence Confidence
	// Masked is true when the value was already (partly) masked in the
	// input, such as 880101-1****** or 1234-56**-****-3456.
	Masked bool
}
