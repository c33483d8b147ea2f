package breach

import (
	"bytes"
	"context"
	"fmt"
	"github.com/jikimi/jikimi/internal/chromium"
	htmltemplate "html/template"
	"slices"
	"strings"
	"text/template"
	"time"
)

// Kinds of notice.
const (
	KindSubject   = "subject"   // to the data subjects (PIPA art. 34(1))
	KindRegulator = "regulator" // to the PIPC or KISA (PIPA art. 34(3))
)

// typeNames are the Korean names of pii-types.md's types.
var typeNames = map[string]string{
	"rrn": "주민등록번호", "frn": "외국인등록번호", "passport": "여권번호", "driver_license": "운전면허번호",
	"phone": "휴대전화번호", "phone_business": "전화번호(사업장)", "email": "이메일 주소", "card": "신용카드번호",
	"card_masked": "신용카드번호(일부 가림)", "account": "계좌번호", "brn": "사업자등록번호", "address": "주소",
	"name": "이름", "ip": "IP 주소", "ip_private": "내부 IP 주소", "birth_date": "생년월일",
}

// KoreanTypes names types of personal information in Korean, joined by ", ".
func KoreanTypes(types []string) string {
	out := make([]string, len(types))
	for i, t := range types {
		if n, ok := typeNames[t]; ok {
			out[i] = n
		} else {
			out[i] = t
		}
	}
	return strings.Join(out, ", ")
}

// advice is what a data subject can do about each type leaked, in Korean
// (PIPA art. 34(1)3: "피해를 최소화하기 위하여 정보주체가 할 수 있는 방법").
var advice = []struct {
	types []string
	text  string
}{
	{[]string{"rrn", "frn"}, "명의도용이 우려되면 명의도용 방지서비스(엠세이퍼 www.msafer.or.kr)에 가입하고, 피해가 있거나 우려되는 경우 주민등록번호 변경을 신청할 수 있습니다(주민등록법 제7조의4)."},
	{[]string{"passport", "driver_license"}, "여권·운전면허가 도용되지 않도록 분실·재발급 신고를 검토하시고, 본인 모르게 발급된 내역이 없는지 확인하십시오."},
	{[]string{"card", "card_masked", "account"}, "카드사·은행에 알려 거래 내역을 확인하고, 필요하면 카드 재발급·계좌 비밀번호 변경을 하십시오. 금융감독원 개인정보노출자 사고예방시스템(pd.fss.or.kr)에 등록할 수 있습니다."},
	{[]string{"phone", "phone_business", "address", "name", "birth_date"}, "당사를 사칭한 전화·문자(스미싱)·우편에 주의하시고, 문자 속 인터넷 주소를 누르거나 금융정보·인증번호를 알려 주지 마십시오."},
	{[]string{"email"}, "당사를 사칭한 피싱 메일에 주의하시고, 같은 비밀번호를 쓰는 다른 서비스의 비밀번호를 바꾸십시오."},
}

// Advice returns the advice that fits the leaked types, always ending
// with the general advice.
func Advice(types []string) []string {
	var out []string
	for _, a := range advice {
		if slices.ContainsFunc(a.types, func(t string) bool { return slices.Contains(types, t) }) {
			out = append(out, a.text)
		}
	}
	return append(out, "당사 서비스의 비밀번호를 변경하시고, 의심스러운 연락을 받으시면 아래 담당부서로 알려 주십시오.")
}

// NoticeData is what a notice template is filled with.
type NoticeData struct {
	Kind      string
	Incident  *Incident
	Notice    Notice
	Types     string   // leaked items, in Korean
	Advice    []string // what the subject can do
	First     string   // first access in scope, KST
	Last      string
	AwareAt   string
	Subjects  int64
	Records   int64
	Systems   string
	Duties    []Duty
	Written   string
	Unfilled  string // marker for what the editor must still write
	Enumerate int    // records whose subjects the source must enumerate
}

const unfilled = "[작성 필요]"

// NewNoticeData prepares a notice of kind for an incident and its current
// impact. o overrides the notice fields stored with the incident.
func NewNoticeData(kind string, inc *Incident, rep *Report, o Notice, now time.Time) (*NoticeData, error) {
	if kind != KindSubject && kind != KindRegulator {
		return nil, fmt.Errorf("notice kind %q: want %s or %s", kind, KindSubject, KindRegulator)
	}
	n := inc.Notice.Merge(o)
	for _, f := range []*string{&n.Org, &n.How, &n.Measures, &n.ContactDept, &n.ContactPhone, &n.ContactEmail} {
		if *f == "" {
			*f = unfilled
		}
	}
	types := rep.PIITypes()
	// The gravest first: unique identifiers, then the rest as sorted.
	slices.SortStableFunc(types, func(a, b string) int {
		return cmpBool(slices.Contains(UniqueIDTypes, b), slices.Contains(UniqueIDTypes, a))
	})
	d := &NoticeData{
		Kind: kind, Incident: inc, Notice: n, Types: KoreanTypes(types), Advice: Advice(types),
		AwareAt: kstTime(inc.AwareAt), First: kstTime(rep.First), Last: kstTime(rep.Last),
		Subjects: rep.Subjects, Records: rep.Records, Duties: inc.Duties, Written: kstTime(now),
		Unfilled: unfilled, Enumerate: len(rep.NeedsEnumeration),
	}
	if d.Types == "" {
		d.Types = unfilled + " (접속기록에 개인정보 항목이 기록되지 않았습니다. 유출된 항목을 확인해 적으십시오)"
	}
	var systems []string
	for _, s := range rep.Systems {
		if s.Name != "" {
			systems = append(systems, fmt.Sprintf("%s(%s)", s.Name, s.System))
		} else {
			systems = append(systems, s.System)
		}
	}
	d.Systems = strings.Join(systems, ", ")
	return d, nil
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func kstTime(t time.Time) string {
	if t.IsZero() {
		return unfilled
	}
	return t.In(KST).Format("2006년 1월 2일 15시 04분")
}

// The notices' text. Every item the law requires has its own numbered
// heading, so that an editor sees at once what is still missing.
const noticeText = `{{if eq .Kind "subject"}}개인정보 유출 사실 안내 (통지)

{{.Notice.Org}}은(는) 고객님의 개인정보가 유출(또는 유출된 것으로 의심)되었음을 알게 되어, 개인정보 보호법 제34조제1항에 따라 다음과 같이 알려 드립니다. 고객님께 걱정을 끼쳐 드려 깊이 사과드립니다.

1. 유출된 개인정보 항목
   {{.Types}}

2. 유출된 시점과 그 경위
   - 시점: {{.First}} ~ {{.Last}} (당사가 알게 된 때: {{.AwareAt}})
   - 경위: {{.Notice.How}}
   - 관련 시스템: {{.Systems}}

3. 피해를 최소화하기 위하여 고객님께서 하실 수 있는 방법
{{range .Advice}}   - {{.}}
{{end}}
4. 당사의 대응조치 및 피해 구제절차
   - 대응조치: {{.Notice.Measures}}
   - 피해 구제절차: 피해가 발생하였거나 우려되는 경우 아래 담당부서로 신고하시면 확인 후 안내해 드립니다. 개인정보 보호법 제39조 및 제39조의2에 따라 손해배상을 청구하실 수 있고, 개인정보 분쟁조정위원회(www.kopico.go.kr, 1833-6972)에 분쟁조정을 신청하실 수 있습니다.

5. 피해 신고·상담을 접수하는 담당부서 및 연락처
   - 담당부서: {{.Notice.ContactDept}}
   - 전화: {{.Notice.ContactPhone}}
   - 이메일: {{.Notice.ContactEmail}}
   - 개인정보침해 신고센터(한국인터넷진흥원): 국번 없이 118, privacy.kisa.or.kr

6. 정보주체의 권리
   고객님은 당사가 처리하는 본인의 개인정보에 대하여 열람(개인정보 보호법 제35조), 정정·삭제(제36조), 처리정지 및 동의 철회(제37조)를 요구하실 수 있으며, 위 담당부서로 요청하시면 지체 없이 조치하겠습니다.

{{.Written}}
{{.Notice.Org}}
{{else}}개인정보 유출등 신고서

신고기관: 개인정보보호위원회 / 한국인터넷진흥원 (개인정보 포털 privacy.go.kr)
근거: 개인정보 보호법 제34조제3항, 같은 법 시행령 제39조
작성일시: {{.Written}}

1. 신고 기관(개인정보처리자): {{.Notice.Org}}

2. 유출등이 된 개인정보 항목 및 규모
   - 항목: {{.Types}}
   - 규모: 정보주체 {{.Subjects}}명 (접속기록 {{.Records}}건 기준){{if .Enumerate}}
   - 원천 시스템이 정보주체를 모두 기록하지 않은 대량 처리 기록 {{.Enumerate}}건: 해당 시스템에서 정보주체 목록을 추출하여 규모를 확정해야 함(위 인원은 상한){{end}}
   - 관련 시스템: {{.Systems}}

3. 유출등이 된 시점과 그 경위
   - 시점: {{.First}} ~ {{.Last}}
   - 알게 된 일시: {{.AwareAt}}
   - 경위: {{.Notice.How}}{{if .Incident.Intrusion}}
   - 외부로부터의 불법적인 접근(해킹 등)에 의한 유출{{end}}

4. 유출등으로 인한 피해를 최소화하기 위한 대책·조치 및 그 결과
   {{.Notice.Measures}}

5. 정보주체가 피해를 최소화하기 위하여 할 수 있는 방법 및 구제절차
{{range .Advice}}   - {{.}}
{{end}}   - 구제절차: 담당부서 신고 접수, 손해배상 청구(개인정보 보호법 제39조, 제39조의2), 개인정보 분쟁조정위원회 분쟁조정 신청

6. 정보주체 통지 여부 및 통지 방법
{{range .Duties}}{{if eq .Name "notify-subjects"}}   - 통지 기한: {{kst .Deadline}}{{if .DoneAt.IsZero}} (미완료){{else}} — {{kst .DoneAt}} 통지 완료({{.DoneBy}}){{end}}
{{end}}{{end}}   - 통지 방법: {{.Unfilled}} (서면, 전자우편, 문자 등 / 연락처를 알 수 없는 경우 홈페이지 30일 이상 게시)

7. 피해 신고 접수 담당부서 및 연락처
   - 담당부서: {{.Notice.ContactDept}}
   - 전화: {{.Notice.ContactPhone}}
   - 이메일: {{.Notice.ContactEmail}}

8. 관련 의무와 기한 (알게 된 때부터)
{{range .Duties}}   - {{.Title}}: {{kst .Deadline}} 까지 — {{.Law}}
{{end}}{{end}}`

var funcs = map[string]any{"kst": kstTime}

var textTmpl = template.Must(template.New("notice").Funcs(funcs).Parse(noticeText))

// htmlPage wraps the text in a printable page: A4, the headings in bold.
var htmlTmpl = htmltemplate.Must(htmltemplate.New("page").Parse(`<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:"Noto Sans KR","Malgun Gothic","Apple SD Gothic Neo",sans-serif;line-height:1.7;max-width:46em;margin:2em auto;color:#111}
h1{font-size:1.5em;border-bottom:2px solid #111;padding-bottom:.3em}
pre{white-space:pre-wrap;font-family:inherit;font-size:1em}
.unfilled{background:#ffe08a}
@media print{@page{size:A4;margin:20mm}body{margin:0;max-width:none}.unfilled{background:none;border-bottom:1px dashed #000}}
</style></head><body><h1>{{.Title}}</h1><pre>{{.Body}}</pre></body></html>
`))

// Text renders the notice as plain text.
func (d *NoticeData) Text() ([]byte, error) {
	var b bytes.Buffer
	if err := textTmpl.Execute(&b, d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// HTML renders the notice as a printable HTML page; the items still to be
// written are highlighted on screen.
func (d *NoticeData) HTML() ([]byte, error) {
	text, err := d.Text()
	if err != nil {
		return nil, err
	}
	title, body, _ := strings.Cut(string(text), "\n")
	escaped := htmltemplate.HTMLEscapeString(body)
	marked := strings.ReplaceAll(escaped, htmltemplate.HTMLEscapeString(unfilled), `<span class="unfilled">`+htmltemplate.HTMLEscapeString(unfilled)+`</span>`)
	var b bytes.Buffer
	err = htmlTmpl.Execute(&b, struct {
		Title string
		Body  htmltemplate.HTML
	}{title, htmltemplate.HTML(marked)}) // escaped above
	return b.Bytes(), err
}

// Chromium is where PDF rendering looks for a headless browser.
const Chromium = chromium.Path

// ErrNoChromium is returned (wrapped) by PDF when Chromium is not installed.
var ErrNoChromium = chromium.ErrNotFound

// PDF prints a notice's HTML to a PDF file (mode 0600: a notice names the
// incident) with headless Chromium.
func PDF(ctx context.Context, html []byte, out string) error {
	return chromium.PDF(ctx, Chromium, html, out)
}
