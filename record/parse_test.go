package record

import (
	"bufio"
	"bytes"
	"os"
	"reflect"
	"testing"
)

// parseCases are lines the fast path must decode as encoding/json does,
// and lines it must leave to encoding/json.
var parseCases = []string{
	`{"id":"custdb2-000412","time":"2011-07-26T03:42:00+09:00","system":"custdb2","actor":{"id":"dba.f","type":"employee"},"action":"export","origin":{"ip":"10.20.3.41","host":"pc-e"},"auth":{"method":"password","session":"s-99"},"target":{"object":"NATE_MEMBER","kind":"table"},"detail":"exp userid=... tables=NATE_MEMBER file=/data/cust.dmp","result":{"status":"ok","rows":25000000,"bytes":2147483648},"subject_count":25000000}`,
	` { "time" : "2026-09-01T10:00:00.123456789Z" , "system":"crm", "actor":{"id":"kim","name":"김지수","dept":"고객지원"},"action":"view","auth":{"external":true,"key_id":"jwt-2022"},"subjects":["C1","C2"],"pii":{"rrn":3,"phone":1},"attrs":{"z":"1","a":"2"}}	`,
	`{"time":"2026-09-01T10:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"search","detail":"SELECT * FROM t WHERE name = \"홍길동\" AND x='\u00e9\ud83d\ude00\ud800' \\ \/ \b\f\n\r\t","subjects":[],"pii":{},"attrs":{}}`,
	"{\"time\":\"2026-09-01T10:00:00+09:00\",\"system\":\"crm\",\"actor\":{\"id\":\"k\xffim\"},\"action\":\"view\",\"result\":{\"rows\":-0,\"bytes\":0}}", // invalid UTF-8
	`{"system":"crm\u0000x","time":"2026-09-01T10:00:00+09:00"}`,
	`{}`,
	// A key repeated within pii keeps its last value, as in encoding/json.
	`{"time":"2026-09-01T10:00:00+09:00","system":"crm","pii":{"rrn":1,"rrn":2},"actor":{"id":"kim"},"action":"view"}`,
	// Left to encoding/json: null, case, repeats, unknown fields, numbers
	// it rejects, bad syntax, trailing values.
	`{"time":"2026-09-01T10:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"view","detail":null}`,
	`{"Time":"2026-09-01T10:00:00+09:00","system":"crm","actor":{"ID":"kim"},"action":"view"}`,
	`{"id":"a","id":"b","time":"2026-09-01T10:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"view"}`,
	`{"time":"2026-09-01T10:00:00+09:00","system":"crm","actor":{"id":"kim","role":"x"},"action":"view"}`,
	`{"time":"2026-09-01T10:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"view","result":{"rows":1.5}}`,
	`{"time":"2026-09-01T10:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"view","result":{"rows":99999999999999999999}}`,
	`{"time":"2026-09-01 10:00:00","system":"crm","actor":{"id":"kim"},"action":"view"}`,
	`{"time":"2026-09-01T10:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"view"} {}`,
	`{"time":"2026-09-01T10:00:00+09:00","system":"crm","actor":{"id":"kim"},"action":"view",}`,
	`{"time":"2026-09-01T10:00:00+09:00","system":5}`,
	`[]`, ``, `{`, `{"id":"x`, `{"id":"\u12g4"}`,
}

// fastCases is how many of parseCases, from the first, the fast path
// decodes; parseCases[fastCases:] it must leave to encoding/json.
const fastCases = 7

// agree checks that the fast path, when it decodes line, gives exactly
// what encoding/json gives, and that encoding/json accepts it.
func agree(t *testing.T, line []byte) (fast bool) {
	t.Helper()
	var got Record
	if !parseFast(line, &got) {
		return false
	}
	want, err := parseStd(line)
	if err != nil {
		t.Fatalf("fast path decoded what encoding/json rejects (%v):\n%q", err, line)
	}
	if !got.Time.Equal(want.Time) || got.Time.Format("Z07:00 MST") != want.Time.Format("Z07:00 MST") {
		t.Fatalf("time %v, encoding/json %v:\n%q", got.Time, want.Time, line)
	}
	got.Time, want.Time = got.Time.UTC(), want.Time.UTC()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fast path:\n%#v\nencoding/json:\n%#v\nline %q", got, want, line)
	}
	return true
}

func TestParseFastAgreesWithEncodingJSON(t *testing.T) {
	for i, c := range parseCases {
		if fast := agree(t, []byte(c)); fast != (i < fastCases) {
			t.Errorf("fast path took %v for case %d, want %v: %q", fast, i, i < fastCases, c)
		}
	}
}

// FuzzParseAgrees mutates real-shaped lines: wherever the fast path
// decodes, it must agree with encoding/json.
func FuzzParseAgrees(f *testing.F) {
	for _, c := range parseCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, line []byte) { agree(t, line) })
}

// BenchmarkParse compares the two paths on the demo month's lines
// (JIKIMI_BENCH_JSONL names a file of them; a few cases otherwise).
func BenchmarkParse(b *testing.B) {
	lines := benchLines(b)
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	for _, bc := range []struct {
		name  string
		parse func([]byte) (Record, error)
	}{{"fast", Parse}, {"encoding-json", func(l []byte) (Record, error) { r, err := parseStd(l); return r, err }}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(size / len(lines)))
			i := 0
			for b.Loop() {
				if _, err := bc.parse(lines[i%len(lines)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func benchLines(b *testing.B) [][]byte {
	if path := os.Getenv("JIKIMI_BENCH_JSONL"); path != "" {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		var out [][]byte
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() && len(out) < 100000 {
			out = append(out, bytes.Clone(sc.Bytes()))
		}
		return out
	}
	var out [][]byte
	for _, c := range parseCases[:4] { // the realistic ones
		out = append(out, []byte(c))
	}
	return out
}
