package pii

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
	"time"
)

// loop runs f b.N times on a locked OS thread and reports MB per CPU
// second of that thread (cpuMB/s) next to Go's MB/s per wall second.
func loop(b *testing.B, size int, f func()) { loopCPU(b, size, threadCPU, f) }

// loopCPU is loop with CPU time measured by cpu.
func loopCPU(b *testing.B, size int, cpu func() time.Duration, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	c0 := cpu()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if c := cpu() - c0; c > 0 {
		b.ReportMetric(float64(size)*float64(n)/c.Seconds()/1e6, "cpuMB/s")
	}
}

// The benchmark inputs are generated, deterministic and about 1 MiB each.
const benchSize = 1 << 20

var proseSentences = []string{
	"오늘 회의에서는 다음 분기 계획과 예산 배분에 대해 논의했습니다. ",
	"개인정보 보호를 위해 접근 권한을 최소한으로 부여하는 것이 원칙입니다. ",
	"담당자는 처리 결과를 정리하여 주간 보고서에 반영하기로 했다. ",
	"시스템 점검은 매월 셋째 주 토요일 새벽에 진행되며 약 2시간이 소요된다. ",
	"고객 문의가 늘어나면서 상담 인력을 보강해야 한다는 의견이 많았다. ",
	"작년 대비 처리 건수는 15% 증가했고 평균 응답 시간은 줄었다. ",
	"새로운 정책은 2025년 1월 1일부터 시행될 예정이라고 안내했다. ",
	"이번 교육에는 모든 부서의 취급자가 참석해야 하며 불참 시 재교육을 받는다. ",
}

// benchProse is Korean prose with sparse digits and rare personal data.
func benchProse() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for b.Len() < benchSize {
		b.WriteString(proseSentences[r.IntN(len(proseSentences))])
		switch r.IntN(40) {
		case 0:
			fmt.Fprintf(&b, "문의는 010-%04d-%04d로 연락 바랍니다. ", r.IntN(8000)+2000, r.IntN(10000))
		case 1:
			b.WriteString("홍길동 고객님의 요청을 처리했습니다. ")
		case 2:
			b.WriteString("\n")
		}
	}
	return b.Bytes()
}

// benchLog is a digit-dense application log.
func benchLog() []byte {
	r := rand.New(rand.NewPCG(3, 4))
	var b bytes.Buffer
	for b.Len() < benchSize {
		fmt.Fprintf(&b, "2024-01-%02d %02d:%02d:%02d.%03d INFO [req=%08x-%04x-%04x-%04x-%012x] ip=%d.%d.%d.%d user=%d latency=%dms bytes=%d order=2024%04d-%07d",
			r.IntN(28)+1, r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1000),
			r.Uint32(), r.IntN(1<<16), r.IntN(1<<16), r.IntN(1<<16), r.Uint64()&(1<<48-1),
			r.IntN(223)+1, r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(100000), r.IntN(2000), r.IntN(1<<20), r.IntN(10000), r.IntN(10000000))
		if r.IntN(4) == 0 {
			fmt.Fprintf(&b, " phone=010-%04d-%04d email=user%d@example.com", r.IntN(8000)+2000, r.IntN(10000), r.IntN(1000))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// benchCSV is an export of customer rows.
func benchCSV() []byte {
	r := rand.New(rand.NewPCG(5, 6))
	var b bytes.Buffer
	b.WriteString("id,성명,휴대폰,이메일,주민등록번호,금액,가입일시\n")
	names := []string{"홍길동", "김민준", "이서연", "박지훈", "최수아"}
	for i := 1; b.Len() < benchSize; i++ {
		fmt.Fprintf(&b, "%d,%s,010-%04d-%04d,user%d@example.com,%02d%02d%02d-%d%06d,%d,2024-%02d-%02d %02d:%02d:%02d\n",
			i, names[r.IntN(len(names))], r.IntN(8000)+2000, r.IntN(10000), i,
			r.IntN(100), r.IntN(12)+1, r.IntN(28)+1, r.IntN(2)+1, r.IntN(1000000), r.IntN(10000000),
			r.IntN(12)+1, r.IntN(28)+1, r.IntN(24), r.IntN(60), r.IntN(60))
	}
	return b.Bytes()
}

// benchPattern is the regular expression the Regexp sub-benchmarks (and
// ripgrep, see BENCHMARKS.md) run: the shapes of rrn/frn, phone, card,
// e-mail, brn, IPv4, passport and driver's licence, without validation.
const benchPattern = `\d{6}\s?-?\s?[1-8]\d{6}` +
	`|(?:\+82[ -]?)?0(?:1[016789]|2|[3-6][1-5]|70)[-. ]?\d{3,4}[-. ]?\d{4}` +
	`|(?:\d{4}[- ]?){3}\d{1,4}` +
	`|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}` +
	`|\d{3}-\d{2}-\d{5}` +
	`|(?:\d{1,3}\.){3}\d{1,3}` +
	`|[MSRGDO]\d{3}[A-Z0-9]\d{4}` +
	`|\d{2}-\d{2}-\d{6}-\d{2}`

var benchInputs = []struct {
	name string
	gen  func() []byte
}{
	{"prose", benchProse},
	{"log", benchLog},
	{"csv", benchCSV},
}

func BenchmarkScan(b *testing.B) {
	re := regexp.MustCompile(benchPattern)
	for _, in := range benchInputs {
		data := in.gen()
		b.Run(in.name+"/Scanner", func(b *testing.B) {
			s := NewScanner()
			n := 0
			fn := func(Finding) { n++ }
			loop(b, len(data), func() { s.Scan(data, fn) })
		})
		b.Run(in.name+"/Regexp", func(b *testing.B) {
			loop(b, len(data), func() { re.FindAllIndex(data, -1) })
		})
	}
}

// BenchmarkScanTable scans the CSV export with column context, as Count
// and `jikimi scan` do.
func BenchmarkScanTable(b *testing.B) {
	data := benchCSV()
	s := NewScanner()
	fn := func(Finding, int) {}
	loop(b, len(data), func() {
		t := NewTable(s, FormatCSV)
		rest := data
		for len(rest) > 0 {
			i := bytes.IndexByte(rest, '\n')
			if i < 0 {
				i = len(rest) - 1
			}
			t.Record(rest[:i], fn)
			rest = rest[i+1:]
		}
	})
}

// BenchmarkMaskStream streams each input 16 times over (16 MiB, 64
// chunks: what `jikimi mask` does with a large file) and reports MB per
// CPU second of the whole process, since chunks are masked on every core.
func BenchmarkMaskStream(b *testing.B) {
	const copies = 16
	for _, in := range benchInputs {
		data := in.gen()
		b.Run(in.name, func(b *testing.B) {
			all := func(f Finding) bool { return f.Confidence >= Medium }
			loopCPU(b, copies*len(data), processCPU, func() {
				rs := make([]io.Reader, copies)
				for i := range rs {
					rs[i] = bytes.NewReader(data)
				}
				if err := MaskStream(io.Discard, io.MultiReader(rs...), all); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkCount(b *testing.B) {
	data := benchCSV()
	loop(b, len(data), func() { Count(data) })
}

// TestWriteBenchInputs writes the benchmark inputs and the pattern to
// $JIKIMI_PII_BENCH_DIR so that ripgrep can run on the same bytes.
func TestWriteBenchInputs(t *testing.T) {
	dir := os.Getenv("JIKIMI_PII_BENCH_DIR")
	if dir == "" {
		t.Skip("JIKIMI_PII_BENCH_DIR not set")
	}
	for _, in := range benchInputs {
		if err := os.WriteFile(filepath.Join(dir, in.name+".txt"), in.gen(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "pattern.txt"), []byte(benchPattern), 0o644); err != nil {
		t.Fatal(err)
	}
}

// shortTexts are what the ingest pipeline hands Count (a record's payload)
// and MaskString (its detail): a few hundred bytes, usually without
// personal data.
var shortTexts = []struct{ name, text string }{
	{"sql", "SELECT id, name, grade, dept_code FROM hr.employees WHERE dept_code = 'D0042' AND hired_at >= '2024-01-01' ORDER BY hired_at DESC LIMIT 50 OFFSET 100 /* report=monthly-headcount v2.3 */"},
	{"json", `{"query_id":"q-20240115-0042","rows":50,"elapsed_ms":123,"status":"ok","columns":["id","grade","dept_code","hired_at"],"client":"report-service/2.3.1","trace":"4bf92f3577b34da6a3ce929d0e0e4736"}`},
	{"korean", "사용자가 인사 시스템에서 월간 인원 현황 보고서를 조회했습니다. 조회 조건은 부서 코드와 입사일 기준이며 결과는 50건입니다."},
	{"sql_pii", "SELECT id, name, grade FROM crm.customers WHERE phone = '010-2345-6789' OR email = 'hong.gd@example.com' ORDER BY id LIMIT 10 /* lookup by contact, ticket 4521 */"},
}

// BenchmarkShort measures the per-call cost of Count and MaskString on
// short texts, which bounds the ingest pipeline's records per second.
func BenchmarkShort(b *testing.B) {
	for _, in := range shortTexts {
		text := []byte(in.text)
		b.Run("Count/"+in.name, func(b *testing.B) {
			loop(b, len(text), func() { Count(text) })
		})
		b.Run("MaskString/"+in.name, func(b *testing.B) {
			loop(b, len(in.text), func() { MaskString(in.text) })
		})
	}
}
