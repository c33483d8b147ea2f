package pii

import (
	"bytes"
	"testing"
)

var fuzzSeeds = []string{
	"주민번호 971013-9019902, 연락처 010-1234-5678",
	"880101-1****** 1234-56**-****-3456 ho****@example.com",
	"성명: 홍길동 / 김철수 씨 / 이영희 고객님",
	"서울특별시 강남구 테헤란로4길 15, 101동 1001호 (역삼동)",
	"+82 10-1234-5678 ０１０－１２３４－５６７８ 1588-1234",
	"2001:db8::1 fe80::1 192.168.0.1:8080 255.255.255.0",
	"합계 1,234,567원 v1.2.3 550e8400-e29b-41d4-a716-446655440000",
	"여권 M123A4567 면허 서울 05-123456-01 사업자 116-82-00276",
	"생년월일: 1988.01.01 DOB 880101",
	"a@b.cd @@ 1-2-3-4-5-6-7-8-9-0-1-2 ****-**",
	"\xef\xbc\x90\xef\xbc\xef 12,3 ,345 ",
	"외국인등록번호 900101-5123456, 000000-700000*",
	"1000 0000 0000 0000 0 / 1234 4111 1111 1111 1111 / 1234 4111 11** **** 1111",
	"000000-000서울00 000000 00, 면허 서울 05-123456-01",
}

func FuzzScan(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "phone")
	}
	f.Add([]byte("홍길동"), "성명")
	f.Add([]byte("서울 강남구 역삼동 1"), "주소")
	s := NewScanner()
	f.Fuzz(func(t *testing.T, b []byte, column string) {
		check := func(last *int) func(Finding) {
			return func(fd Finding) {
				if fd.Start < *last || fd.End <= fd.Start || fd.End > len(b) {
					t.Fatalf("finding %+v out of range or order (last end %d, len %d)", fd, *last, len(b))
				}
				if fd.Confidence < Low || fd.Confidence > High {
					t.Fatalf("finding %+v has bad confidence", fd)
				}
				known := false
				for _, k := range Types {
					known = known || k == fd.Type
				}
				if !known {
					t.Fatalf("finding %+v has unknown type", fd)
				}
				*last = fd.End
			}
		}
		last := 0
		s.Scan(b, check(&last))
		last = 0
		s.ScanField(column, b, check(&last))
	})
}

func FuzzMask(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(uint8(i), []byte(s))
	}
	f.Add(uint8(12), []byte("홍길동"))
	f.Add(uint8(11), []byte("서울특별시 강남구 테헤란로 123"))
	f.Fuzz(func(t *testing.T, k uint8, b []byte) {
		typ := Types[int(k)%len(Types)]
		m := Mask(typ, b)
		limit := len(b)
		if typ == Address {
			limit += 4 // " ***" may replace less than that
		}
		if len(m) > limit {
			t.Fatalf("Mask(%s, %q) = %q grew", typ, b, m)
		}
		if again := Mask(typ, m); !bytes.Equal(again, m) {
			t.Fatalf("Mask(%s) not idempotent: %q -> %q -> %q", typ, b, m, again)
		}
		mt := MaskText(b)
		if len(mt) > len(b) {
			t.Fatalf("MaskText(%q) = %q grew", b, mt)
		}
		// Masking what is already masked leaves nothing new to hide.
		if again := MaskText(mt); !bytes.Equal(again, mt) {
			t.Fatalf("MaskText not idempotent: %q -> %q -> %q", b, mt, again)
		}
	})
}

// FuzzMaskStream streams lines repeated past several chunk cuts and
// checks that the chunks, masked in parallel, give what MaskText gives for
// the whole. (Within one line of hundreds of kilobytes a cut may fall where
// the reading of a value depends on more than the context kept before it,
// as it did when chunks were masked one after another; lines are what the
// cut is made for.)
func FuzzMaskStream(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		unit := append(bytes.Clone(b), '\n')
		in := bytes.Repeat(unit, 3*streamChunk/len(unit)+1)
		var out bytes.Buffer
		if err := MaskStream(&out, bytes.NewReader(in), func(f Finding) bool { return f.Confidence >= Medium }); err != nil {
			t.Fatal(err)
		}
		if want := MaskText(in); !bytes.Equal(out.Bytes(), want) {
			i := 0
			for i < min(out.Len(), len(want)) && out.Bytes()[i] == want[i] {
				i++
			}
			t.Fatalf("MaskStream differs from MaskText at byte %d of %d (line %q)", i, len(in), unit)
		}
	})
}
