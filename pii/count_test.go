package pii

import (
	"reflect"
	"strings"
	"testing"
)

func TestCount(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Counts
	}{
		{
			"csv with header",
			"이름,주민등록번호,휴대폰,메모\n홍길동,971013-9019902,010-1234-5678,VIP\n김철수,8801011234567,01098765432,\n홍길동,971013-9019902,010-1234-5678,재가입\n",
			Counts{Types: map[Type]int{Name: 2, RRN: 2, Phone: 2}, Subjects: 3},
		},
		{
			"tsv",
			"name\tphone\n홍길동\t010-1234-5678\n이영희\t010-2222-3333\n",
			Counts{Types: map[Type]int{Name: 2, Phone: 2}, Subjects: 2},
		},
		{
			"json lines",
			`{"user":"홍길동","phone":"010-1234-5678","ts":1705312345678}` + "\n" + `{"user":"x","email":"a.b@example.com","order_id":"20240115-0001234"}` + "\n",
			Counts{Types: map[Type]int{Phone: 1, Email: 1}, Subjects: 2},
		},
		{
			"json array of rows",
			`[{"성명":"홍길동","연락처":"010-1234-5678"},{"성명":"이영희","연락처":"010-2222-3333"},{"성명":"박민수"}]`,
			Counts{Types: map[Type]int{Name: 3, Phone: 2}, Subjects: 3},
		},
		{
			"json unicode escapes",
			`{"name":"\ud64d\uae38\ub3d9","rrn":"971013-9019902"}`,
			Counts{Types: map[Type]int{Name: 1, RRN: 1}, Subjects: 1},
		},
		{
			"text",
			"홍길동님 연락처 010-1234-5678\n사업자 116-82-00276 문의\n같은 번호 01012345678\n",
			Counts{Types: map[Type]int{Name: 1, Phone: 1, BRN: 1}, Subjects: 2},
		},
		{
			"nothing",
			"2024-01-15 10:23:45 GET /index.html 200 1,234 bytes\n",
			Counts{Types: nil, Subjects: 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Count([]byte(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Count()\n got %+v\nwant %+v", got, tt.want)
			}
			if got := CountString(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CountString()\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
	}{
		{`{"a":1}`, FormatJSON},
		{"  [1,2]", FormatJSON},
		{"a,b,c\n1,2,3\n", FormatCSV},
		{"a\tb\n1\t2\n", FormatTSV},
		{"그냥 문장입니다, 쉼표 하나.\n둘째 줄\n", FormatText},
		{"one line, with a comma", FormatText},
	}
	for _, tt := range tests {
		if got := DetectFormat([]byte(tt.in)); got != tt.want {
			t.Errorf("DetectFormat(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestShortZeroAllocs holds the ingest pipeline's cost: counting and
// masking a short text without personal data allocates nothing.
func TestShortZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	for _, in := range shortTexts {
		if strings.HasSuffix(in.name, "_pii") {
			continue
		}
		text := []byte(in.text)
		if n := testing.AllocsPerRun(100, func() { Count(text) }); n != 0 {
			t.Errorf("Count(%s) allocations = %v, want 0", in.name, n)
		}
		if n := testing.AllocsPerRun(100, func() { CountString(in.text) }); n != 0 {
			t.Errorf("CountString(%s) allocations = %v, want 0", in.name, n)
		}
		if n := testing.AllocsPerRun(100, func() { MaskString(in.text) }); n != 0 {
			t.Errorf("MaskString(%s) allocations = %v, want 0", in.name, n)
		}
		if got := MaskString(in.text); got != in.text {
			t.Errorf("MaskString(%s) = %q, want it unchanged", in.name, got)
		}
	}
}
