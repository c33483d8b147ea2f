package pii

import (
	"fmt"
	"strings"
	"testing"
)

type found struct {
	typ    Type
	value  string
	conf   Confidence
	masked bool
}

func (f found) String() string {
	return fmt.Sprintf("%s %q %s masked=%v", f.typ, f.value, f.conf, f.masked)
}

func scanAll(s *Scanner, text string) []found {
	var got []found
	b := []byte(text)
	s.Scan(b, func(f Finding) {
		got = append(got, found{f.Type, text[f.Start:f.End], f.Confidence, f.Masked})
	})
	return got
}

func TestScan(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []found
	}{
		{"rrn check digit holds", "주민번호 971013-9019902", []found{{RRN, "971013-9019902", High, false}}},
		{"rrn post-2020 random tail", "880101-1234567", []found{{RRN, "880101-1234567", Medium, false}}},
		{"rrn spaces around hyphen", "주민등록번호 971013 - 9019902", []found{{RRN, "971013 - 9019902", High, false}}},
		{"rrn without hyphen needs check digit", "9710139019902", []found{{RRN, "9710139019902", High, false}}},
		{"rrn without hyphen failed check", "8801011234567", []found{{RRN, "8801011234567", Low, false}}},
		{"rrn full-width", "９７１０１３－９０１９９０２", []found{{RRN, "９７１０１３－９０１９９０２", High, false}}},
		{"rrn masked", "880101-1******", []found{{RRN, "880101-1******", High, true}}},
		{"rrn fully masked birth", "******-2******", []found{{RRN, "******-2******", Medium, true}}},
		{"frn", "외국인등록번호 900101-5123452", []found{{FRN, "900101-5123452", High, false}}},
		{"phone mobile", "연락처: 010-1234-5678", []found{{Phone, "010-1234-5678", High, false}}},
		{"phone seoul", "02-123-4567", []found{{Phone, "02-123-4567", High, false}}},
		{"phone area", "031-1234-5678 / 064-712-3456", []found{{Phone, "031-1234-5678", High, false}, {Phone, "064-712-3456", High, false}}},
		{"phone bare mobile", "01012345678", []found{{Phone, "01012345678", High, false}}},
		{"phone international", "+82 10-1234-5678", []found{{Phone, "+82 10-1234-5678", High, false}}},
		{"phone dots", "010.1234.5678", []found{{Phone, "010.1234.5678", High, false}}},
		{"phone after count", "수량 3 010-1234-5678", []found{{Phone, "010-1234-5678", High, false}}},
		{"phone masked", "010-****-5678", []found{{Phone, "010-****-5678", High, true}}},
		{"business 1588", "고객센터 1588-1234", []found{{PhoneBusiness, "1588-1234", Medium, false}}},
		{"business 080", "080-123-4567", []found{{PhoneBusiness, "080-123-4567", High, false}}},
		{"email", "메일 hong.gd@example.co.kr 로", []found{{Email, "hong.gd@example.co.kr", High, false}}},
		{"email masked", "ho****@example.com", []found{{Email, "ho****@example.com", High, true}}},
		{"card visa", "카드 4111 1111 1111 1111", []found{{Card, "4111 1111 1111 1111", High, false}}},
		{"card amex", "378282246310005", []found{{Card, "378282246310005", High, false}}},
		{"card masked", "1234-56**-****-3456", []found{{CardMasked, "1234-56**-****-3456", Medium, true}}},
		{"brn", "사업자 116-82-00276", []found{{BRN, "116-82-00276", High, false}}},
		{"brn bare with label", "사업자등록번호 1348672683", []found{{BRN, "1348672683", High, false}}},
		{"passport new", "여권 M123A4567", []found{{Passport, "M123A4567", High, false}}},
		{"passport without label", "M12345678", []found{{Passport, "M12345678", Low, false}}},
		{"driver licence", "면허 11-05-123456-01", []found{{DriverLicense, "11-05-123456-01", High, false}}},
		{"driver licence old", "서울 05-123456-01", []found{{DriverLicense, "서울 05-123456-01", Medium, false}}},
		{"account", "입금계좌 110-123-456789", []found{{Account, "110-123-456789", High, false}}},
		{"address road", "서울특별시 강남구 테헤란로 123", []found{{Address, "서울특별시 강남구 테헤란로 123", High, false}}},
		{"address glued road", "서울 강남구 테헤란로4길 15", []found{{Address, "서울 강남구 테헤란로4길 15", High, false}}},
		{"address lot", "강남구 역삼동 123-45 2층", []found{{Address, "강남구 역삼동 123-45 2층", Medium, false}}},
		{"name label", "성명: 홍길동, 나이 30", []found{{Name, "홍길동", High, false}}},
		{"name honorific", "김철수 씨가 왔다", []found{{Name, "김철수", Medium, false}}},
		{"name title", "홍길동 고객님", []found{{Name, "홍길동", Medium, false}}},
		{"ipv4", "from 203.0.113.7:443", []found{{IP, "203.0.113.7", Medium, false}}},
		{"ipv4 private", "10.0.0.1", []found{{IPPrivate, "10.0.0.1", Medium, false}}},
		{"ipv6", "2001:db8::8a2e:370:7334", []found{{IP, "2001:db8::8a2e:370:7334", Medium, false}}},
		{"birth date", "생년월일: 1988.01.01", []found{{BirthDate, "1988.01.01", High, false}}},
		{"birth date short", "DOB 880101", []found{{BirthDate, "880101", High, false}}},
		{"birth date in Korean", "생년월일: 1988년 1월 1일", []found{{BirthDate, "1988년 1월 1일", High, false}}},
		{"phone area code in parentheses", "연락처 (02) 123-4567", []found{{Phone, "(02) 123-4567", High, false}}},
		{"phone area code in parentheses, glued", "(031)123-4567", []found{{Phone, "(031)123-4567", High, false}}},
		{"name key", "name: 홍길동", []found{{Name, "홍길동", High, false}}},
		{"name key camelCase", `{"userName": "이서연"}`, []found{{Name, "이서연", High, false}}},
	}
	s := NewScanner()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scanAll(s, tt.text)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Scan(%q)\n got %v\nwant %v", tt.text, got, tt.want)
			}
		})
	}
}

// Hard negatives: numbers that look alike must not be reported at medium
// or high confidence.
func TestScanHardNegatives(t *testing.T) {
	texts := []string{
		"2024-01-15 10:23:45 INFO ok",
		"2024-01-15T10:23:45.123Z",
		"20240115102345",
		"ts=1705312345678",
		"주문번호 20240115-0001234",
		"ORD-2024011512345",
		"합계 1,234,567원",
		"12,345,678,901원",
		"v1.2.3 and 10.0.19041.1",
		"d41d8cd98f00b204e9800998ecf8427e",
		"da39a3ee5e6b4b0d3255bfef95601890afd80709",
		"550e8400-e29b-41d4-a716-446655440000",
		"바코드 8801234567893",
		"운송장번호 6012345678901",
		"881301-1234567",
		"991231-4123456", // born in the future
		"4111-1111-1111-1112",
		"카드 1234 5678 9012 3456",
		"user@localhost",
		"@mention",
		"netmask 255.255.255.0",
		"10:23:45",
		"00:1a:2b:3c:4d:5e",
		"선생님께서",
		"김부장님",
		"M12345678 재고", // passport shape without a label stays low
		"우편번호 06236",
		"작성일 2024-01-15",
		"1588 1234",
		"작성일 2024년 1월 15일",
		"hostname: 서버01",
		"filename: 보고서.pdf",
		"(1) 123-4567",
	}
	s := NewScanner()
	for _, text := range texts {
		for _, f := range scanAll(s, text) {
			if f.conf >= Medium {
				t.Errorf("Scan(%q) reported %v", text, f)
			}
		}
	}
}

func TestScanField(t *testing.T) {
	tests := []struct {
		column, value string
		want          []found
	}{
		{"성명", "홍길동", []found{{Name, "홍길동", High, false}}},
		{"customer_name", " 남궁민수 ", []found{{Name, "남궁민수", High, false}}},
		{"주소", "서울특별시 강남구 테헤란로 123", []found{{Address, "서울특별시 강남구 테헤란로 123", High, false}}},
		{"계좌번호", "110123456789", []found{{Account, "110123456789", Medium, false}}},
		{"account_no", "010-1234-5678", []found{{Account, "010-1234-5678", High, false}}},
		{"jumin", "8801011234567", []found{{RRN, "8801011234567", Medium, false}}},
		{"passport_no", "M12345678", []found{{Passport, "M12345678", High, false}}},
		{"biz_no", "1348672683", []found{{BRN, "1348672683", High, false}}},
		{"birth_date", "19880101", []found{{BirthDate, "19880101", High, false}}},
		{"client_ip", "203.0.113.7", []found{{IP, "203.0.113.7", High, false}}},
		{"phone", "0212345678", []found{{Phone, "0212345678", High, false}}},
		{"memo", "연락처 010-1234-5678", []found{{Phone, "010-1234-5678", High, false}}},
		{"order_id", "8801011234567", nil},
	}
	s := NewScanner()
	for _, tt := range tests {
		var got []found
		b := []byte(tt.value)
		s.ScanField(tt.column, b, func(f Finding) {
			got = append(got, found{f.Type, tt.value[f.Start:f.End], f.Confidence, f.Masked})
		})
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("ScanField(%q, %q)\n got %v\nwant %v", tt.column, tt.value, got, tt.want)
		}
	}
}

func TestScanOffsetsOrdered(t *testing.T) {
	text := strings.Repeat("홍길동 고객님 010-1234-5678 hong@example.com 971013-9019902, 서울 강남구 테헤란로 1\n", 20)
	s := NewScanner()
	last := 0
	n := 0
	s.Scan([]byte(text), func(f Finding) {
		if f.Start < last || f.End <= f.Start || f.End > len(text) {
			t.Fatalf("finding %+v out of order (last end %d)", f, last)
		}
		last = f.End
		n++
	})
	if n != 100 {
		t.Errorf("findings = %d, want 100", n)
	}
}

func TestScanZeroAllocs(t *testing.T) {
	s := NewScanner()
	text := []byte(strings.Repeat("고객 홍길동님 연락처 010-1234-5678, 주민번호 971013-9019902, 카드 4111-1111-1111-1111, hong@example.com, 203.0.113.7 주문번호 20240115-0001234\n", 50))
	n := 0
	fn := func(Finding) { n++ }
	allocs := testing.AllocsPerRun(20, func() {
		s.Scan(text, fn)
		s.ScanField("phone", text[:200], fn)
	})
	if allocs != 0 {
		t.Errorf("allocations per run = %v, want 0", allocs)
	}
}

func TestValidators(t *testing.T) {
	// python-stdnum kr.rrn doctests.
	if !rrnCheck([]byte("9710139019902"), false) {
		t.Error("rrnCheck(971013-9019902) = false, want true")
	}
	if rrnCheck([]byte("9710139019903"), false) {
		t.Error("rrnCheck(971013-9019903) = true, want false")
	}
	// python-stdnum kr.brn: FTC-verified numbers all pass the checksum.
	for _, v := range []string{"1168200276", "1348672683", "1018213065", "8841701026", "8841701220", "2122529409"} {
		if !brnCheck([]byte(v)) {
			t.Errorf("brnCheck(%s) = false, want true", v)
		}
	}
	if !luhn([]byte("4111111111111111")) || luhn([]byte("4111111111111112")) {
		t.Error("luhn wrong")
	}
}
