package pii

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestMask(t *testing.T) {
	tests := []struct {
		typ      Type
		in, want string
	}{
		{RRN, "880101-1234567", "******-1******"},
		{RRN, "8801011234567", "******1******"},
		{RRN, "880101-1******", "******-1******"},
		{FRN, "900101-5123452", "******-***3452"},
		{Phone, "010-1234-5678", "010-****-5678"},
		{Phone, "02-123-4567", "02-***-4567"},
		{Phone, "01012345678", "010****5678"},
		{Phone, "+82 10-1234-5678", "+82 10-****-5678"},
		{Phone, "0505-123-4567", "0505-***-4567"},
		{Phone, "０１０－１２３４－５６７８", "０１０－****－５６７８"},
		{PhoneBusiness, "1588-1234", "1588-1234"},
		{Email, "hong@example.com", "ho**@example.com"},
		{Email, "hong.gildong@example.com", "ho**********@example.com"},
		{Card, "1234-5678-9012-3456", "1234-56**-****-3456"},
		{Card, "1234567890123456", "123456******3456"},
		{CardMasked, "1234-56**-****-3456", "1234-56**-****-3456"},
		{Account, "110-123-456789", "***-***-**6789"},
		{Passport, "M12345678", "*****5678"},
		{DriverLicense, "11-05-123456-01", "**-**-****56-01"},
		{BRN, "116-82-00276", "***-**-*0276"},
		{IP, "192.168.100.10", "192.168.***.10"},
		{IP, "2001:db8::1:abcd", "2001:db8::1:****"},
		{Name, "홍길동", "홍**"},
		{Name, "남궁민수", "남궁**"},
		{Address, "서울특별시 강남구 테헤란로 123", "서울특별시 강남구 ***"},
		{Address, "경기도 성남시 분당구 판교역로 235", "경기도 성남시 분당구 ***"},
		{BirthDate, "1988-01-01", "****-**-**"},
		{BirthDate, "1988년 1월 1일", "****년 *월 *일"},
		{Phone, "(02) 123-4567", "(02) ***-4567"},
		{FRN, "９００１０１－５１２３４５２", "******－***３４５２"},
	}
	for _, tt := range tests {
		got := string(Mask(tt.typ, []byte(tt.in)))
		if got != tt.want {
			t.Errorf("Mask(%s, %q) = %q, want %q", tt.typ, tt.in, got, tt.want)
		}
		if again := string(Mask(tt.typ, []byte(got))); again != got {
			t.Errorf("Mask(%s, %q) = %q, not idempotent", tt.typ, got, again)
		}
	}
}

func TestMaskText(t *testing.T) {
	in := "성명: 홍길동, 주민번호 971013-9019902, 연락처 010-1234-5678, 메일 hong@example.com, 주소 서울특별시 강남구 테헤란로 123, 주문번호 20240115-0001234"
	want := "성명: 홍**, 주민번호 ******-1******, 연락처 010-****-5678, 메일 ho**@example.com, 주소 서울특별시 강남구 ***, 주문번호 20240115-0001234"
	// 971013-9019902 has G=9: the gender digit stays visible.
	want = strings.Replace(want, "******-1******", "******-9******", 1)
	if got := MaskString(in); got != want {
		t.Errorf("MaskString()\n got %q\nwant %q", got, want)
	}
	if got := MaskString(want); got != want {
		t.Errorf("MaskString(masked) changed it: %q", got)
	}
}

// TestMaskStreamBoundaries feeds inputs one byte at a time and in large
// chunks: a value crossing a read or chunk boundary is still masked and
// the output equals MaskText's.
func TestMaskStreamBoundaries(t *testing.T) {
	line := "고객 홍길동님 010-1234-5678 주민번호 971013-9019902 hong@example.com\n"
	long := strings.Repeat("가나다라마바사 ", 40000) + "010-1234-5678 " + strings.Repeat("x", 300000) + " 971013-9019902"
	inputs := []string{
		strings.Repeat(line, 10000), // many chunks, cut at line breaks
		long,                        // no line break for more than a chunk
		"010-1234-5678",
		"",
	}
	all := func(f Finding) bool { return f.Confidence >= Medium }
	for i, in := range inputs {
		want := MaskText([]byte(in))
		for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in)), iotest.HalfReader(strings.NewReader(in))} {
			var out bytes.Buffer
			if err := MaskStream(&out, r, all); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("input %d: MaskStream differs from MaskText (len %d vs %d)", i, out.Len(), len(want))
			}
		}
	}
	// Values that straddle the chunk cut inside a very long line (the
	// first chunk is cut streamChunk bytes in), and a value that straddles
	// the cut of a chunk after a label just before it.
	for shift := 0; shift < 20; shift++ {
		in := strings.Repeat("a", streamChunk-7+shift) + " 010-1234-5678 " + strings.Repeat("b", 3*streamChunk)
		var out bytes.Buffer
		if err := MaskStream(&out, strings.NewReader(in), all); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(out.Bytes(), []byte("010-****-5678")) || bytes.Contains(out.Bytes(), []byte("1234")) {
			t.Fatalf("shift %d: phone across the cut not masked", shift)
		}
		if want := MaskText([]byte(in)); !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("shift %d: MaskStream differs from MaskText", shift)
		}
		in = strings.Repeat("a", streamChunk-30+shift) + " 주민번호 971013-9019902 " + strings.Repeat("b", streamChunk)
		out.Reset()
		if err := MaskStream(&out, strings.NewReader(in), all); err != nil {
			t.Fatal(err)
		}
		if want := MaskText([]byte(in)); !bytes.Equal(out.Bytes(), want) || bytes.Contains(out.Bytes(), []byte("9019902")) {
			t.Fatalf("shift %d: labelled number across the cut: not masked as MaskText masks it", shift)
		}
	}
}

func TestMaskStreamTypes(t *testing.T) {
	in := "010-1234-5678 hong@example.com\n"
	var out bytes.Buffer
	err := MaskStream(&out, strings.NewReader(in), func(f Finding) bool { return f.Type == Phone })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "010-****-5678 hong@example.com\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestMaskStreamErrors(t *testing.T) {
	all := func(Finding) bool { return true }
	in := strings.Repeat("고객 010-1234-5678\n", 100000) // several chunks
	broken := io.MultiReader(strings.NewReader(in), iotest.ErrReader(errors.New("read failed")))
	var out bytes.Buffer
	if err := MaskStream(&out, broken, all); err == nil || err.Error() != "read failed" {
		t.Fatalf("read error: %v", err)
	}
	if !bytes.HasPrefix(MaskText([]byte(in)), out.Bytes()) {
		t.Fatal("the output before a read error is not the masked input's start")
	}
	before := runtime.NumGoroutine()
	if err := MaskStream(errWriter{}, strings.NewReader(in), all); err == nil || err.Error() != "disk full" {
		t.Fatalf("write error: %v", err)
	}
	// Its workers have stopped when it returns; its reader stops once its
	// Read returns, which this one does at once.
	if left := runtime.NumGoroutine() - before; left > 1 {
		t.Fatalf("%d goroutines still running as MaskStream returned", left)
	}
	for deadline := time.Now().Add(time.Second); runtime.NumGoroutine() > before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left running after MaskStream returned", runtime.NumGoroutine()-before)
		}
	}
}
