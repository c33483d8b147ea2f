package pii_test

import (
	"fmt"

	"github.com/jikimi/jikimi/pii"
)

func ExampleScanner_Scan() {
	s := pii.NewScanner()
	text := []byte("고객 홍길동님 연락처 010-1234-5678, 주민번호 880101-1******, 주문번호 20240115-0001234")
	s.Scan(text, func(f pii.Finding) {
		fmt.Printf("%s %s %q masked=%v\n", f.Type, f.Confidence, text[f.Start:f.End], f.Masked)
	})
	// Output:
	// name medium "홍길동" masked=false
	// phone high "010-1234-5678" masked=false
	// rrn high "880101-1******" masked=true
}

func ExampleMaskString() {
	fmt.Println(pii.MaskString("성명: 홍길동, 휴대폰 010-1234-5678, hong@example.com, 서울특별시 강남구 테헤란로 123"))
	// Output:
	// 성명: 홍**, 휴대폰 010-****-5678, ho**@example.com, 서울특별시 강남구 ***
}

func ExampleCount() {
	c := pii.Count([]byte("성명,휴대폰\n홍길동,010-1234-5678\n이영희,010-2222-3333\n홍길동,01012345678\n"))
	fmt.Println(c.Types[pii.Name], c.Types[pii.Phone], c.Subjects)
	// Output:
	// 2 2 3
}
