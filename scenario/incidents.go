package scenario

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jikimi/jikimi/record"
)

// pick returns the i-th person of a department (wrapping for small
// organisations).
func (g *gen) pick(kind string, i int) *person {
	ps := g.byKind[kind]
	return ps[i%len(ps)]
}

// add records an incident.
func (g *gen) add(name, title string, rules []string, recs []record.Record, affected []string) {
	inc := Incident{Name: name, Title: title, Rules: rules, AffectedSubjects: affected}
	for i, r := range recs {
		inc.RecordIDs = append(inc.RecordIDs, r.ID)
		if i == 0 || r.Time.Before(inc.Start) {
			inc.Start = r.Time
		}
	}
	g.recs = append(g.recs, recs...)
	g.incs = append(g.incs, inc)
}

func (g *gen) incidentDay(d int) time.Time {
	if d >= g.cfg.Days {
		d = g.cfg.Days - 1
	}
	return g.day(d)
}

// incidents replays the incidents of DESIGN.md and the common misuse
// scenarios, placed in the month after the baselines have formed.
func (g *gen) incidents() {
	r := g.irng
	g.portalDump(r)
	g.forgedTokens(r)
	g.rogueFemtocells(r)
	g.pamLeak(r)
	g.authExfil(r)
	g.misuse(r)
	slices.SortStableFunc(g.incs, func(a, b Incident) int { return a.Start.Compare(b.Start) })
}

// 1. Portal, 2011: a DBA's credential used at night from a developer's PC,
// three member tables dumped, then sent out by FTP.
func (g *gen) portalDump(r *rand.Rand) {
	day := g.incidentDay(9)
	dba, victim := g.pick("dba", 1), g.pick("dev", 29)
	ip, host := victim.ip, victim.Hosts[0]
	var recs []record.Record
	var affected []string
	mk := func(min float64, sys string, a record.Action) record.Record {
		rec := g.staffRec("inc1", sys, dba, at(day, min), a, ip, host)
		rec.Auth.Session = "db-night-7731"
		return rec
	}
	login := mk(3*60+8, "custdb", record.Login)
	login.Target.Kind = "table"
	recs = append(recs, login)
	for i, t := range []struct {
		table string
		rows  int64
		gb    int64
		min   float64
	}{{"MEMBER", 25_000_000, 2, 3*60 + 20}, {"MEMBER_DETAIL", 4_000_000, 2, 3*60 + 55}, {"MEMBER_ADDR", 6_000_000, 6, 4*60 + 40}} {
		rec := mk(t.min, "custdb", record.Export)
		rec.Target = record.Target{Object: t.table, Kind: "table"}
		rec.Detail = fmt.Sprintf("exp %s tables=%s file=/tmp/m%d.dmp", dba.ID, t.table, i+1)
		rec.Result.Rows, rec.Result.Bytes = record.Int64(t.rows), record.Int64(t.gb<<30)
		rec.SubjectCount = t.rows
		for k := 0; k < 100; k++ {
			rec.Subjects = append(rec.Subjects, g.customer(r))
		}
		affected = append(affected, rec.Subjects...)
		rec.Payload = g.payload(r, 5)
		recs = append(recs, rec)
	}
	for i, b := range []int64{1_700_000_000, 1_950_000_000} {
		rec := g.staffRec("inc1", "egress", victim, at(day, 5*60+20+float64(i*25)), record.Other, ip, host)
		rec.Auth = record.Auth{}
		rec.Target = record.Target{Object: "ftp://203.0.113.77:21/pub/", Kind: "host"}
		rec.Detail = fmt.Sprintf("STOR m%d.tar.gz", i+1)
		rec.Attrs = map[string]string{"direction": "outbound", "protocol": "ftp"}
		rec.Result.Bytes = record.Int64(b)
		recs = append(recs, rec)
	}
	g.add("portal-dba-dump", "DBA 계정으로 새벽에 다른 직원 PC에서 회원 테이블 덤프 후 FTP 유출 (2011 포털)",
		[]string{"export-beyond-baseline", "privileged-foreign-address", "export-then-outbound", "outbound-volume-baseline", "outbound-transfer-large", "privileged-night-export", "unusual-address", "unusual-terminal"}, recs, affected)
}

// 2. E-commerce, 2025: tokens forged with a departed developer's signing
// key, reading profile and address pages of existing and nonexistent
// members steadily from a few addresses, never logging in.
func (g *gen) forgedTokens(r *rand.Rand) {
	var recs []record.Record
	var affected []string
	from := g.incidentDay(18)
	end := g.day(g.cfg.Days)
	for i, ip := range []string{"45.76.12.34", "45.76.88.9", "149.28.3.77"} {
		for t := from.Add(time.Duration(i*7) * time.Second); t.Before(end); t = t.Add(time.Duration(20+r.IntN(20)) * time.Second) {
			c := g.customer(r)
			exists := r.IntN(10) >= 3
			if !exists {
				c = fmt.Sprintf("C%08d", g.cfg.Customers+1+r.IntN(90_000_000-g.cfg.Customers))
			} else {
				affected = append(affected, c)
			}
			rec := record.Record{ID: g.id("inc2"), Time: t, System: "member-api", Action: record.View}
			rec.Actor = record.Actor{ID: c, Type: "customer"}
			rec.Origin = record.Origin{IP: ip, UserAgent: "python-requests/2.31"}
			rec.Auth = record.Auth{Method: "token", Session: fmt.Sprintf("s-%016x", r.Uint64()), KeyID: "jwt-2022", External: true}
			rec.Target = record.Target{Object: "/api/v1/members/" + c + "/" + []string{"profile", "address"}[r.IntN(2)], Kind: "api"}
			rec.Subjects, rec.SubjectCount = []string{c}, 1
			if exists {
				rec.Result.Rows = record.Int64(1)
				if r.IntN(20) == 0 {
					rec.Payload = fmt.Sprintf(`{"name":"%s","phone":"%s","address":"%s"}`, g.name(r), phone(r), address(r))
				}
			} else {
				rec.Result = record.Result{Status: "error", Rows: record.Int64(0)}
			}
			recs = append(recs, rec)
		}
	}
	g.add("forged-tokens", "퇴사한 개발자의 서명키로 위조한 토큰으로 로그인 없이 회원 정보 열람 (2025 전자상거래)",
		[]string{"key-custodian-departed", "sessionless-access", "many-customers-per-address"}, recs, affected)
}

// 3. Telecom, 2025: rogue femtocells presenting the shared manufacturer
// certificate from unexpected addresses, capturing subscribers' identifiers.
func (g *gen) rogueFemtocells(r *rand.Rand) {
	var recs []record.Record
	victims := make([]string, 368)
	for i := range victims {
		victims[i] = g.customer(r)
	}
	start := g.incidentDay(21).Add(10 * time.Hour)
	clone := g.femtos[41%len(g.femtos)].id
	cells := []struct{ id, ip string }{{"FC-X0001", "58.229.14.7"}, {"FC-X0002", "58.229.14.8"}, {clone, "220.70.3.9"}}
	k := 0
	for i, c := range cells {
		for t := start.Add(time.Duration(i) * time.Minute); t.Before(start.Add(48 * time.Hour)); t = t.Add(time.Duration(3+r.IntN(6)) * time.Minute) {
			rec := g.femtoRec("inc3", r, c.id, c.ip, t, victims[k%len(victims)])
			if r.IntN(4) == 0 {
				rec.Target.Object = "sms_relay"
				rec.Detail = "relay SMS 인증번호 to " + phone(r)
			}
			k++
			recs = append(recs, rec)
		}
	}
	g.add("rogue-femtocell", "공유 제조사 인증서를 복제한 불법 펨토셀이 예상 밖 주소에서 가입자 식별정보 수집 (2025 통신사)",
		[]string{"device-unregistered", "device-outside-range", "shared-cert-rogue-device"}, recs, victims)
}

// 4. Telecom, 2025: the privileged-access system's inventory exported, then
// the servers reinstalled and the source silent.
func (g *gen) pamLeak(r *rand.Rand) {
	day := g.incidentDay(22)
	p := g.pick("sysadmin", 2)
	var recs []record.Record
	mk := func(min float64, a record.Action) record.Record {
		rec := g.staffRec("inc4", "pam", p, at(day, min), a, p.ip, p.Hosts[0])
		rec.Auth.Method = "otp"
		return rec
	}
	recs = append(recs, mk(14*60+10, record.Login))
	exp := mk(14*60+12, record.Export)
	exp.Target = record.Target{Object: "inventory", Kind: "file"}
	exp.Detail = "export servers, accounts, owners to inventory.csv"
	exp.Purpose = "자산 점검"
	exp.Result.Rows, exp.Result.Bytes = record.Int64(4800), record.Int64(1_300_000)
	exp.PII = map[string]int64{"name": 310, "ip_private": 4200}
	recs = append(recs, exp)
	for i := 0; i < 4; i++ {
		a := mk(14*60+40+float64(i*12), record.Admin)
		a.Target = record.Target{Object: fmt.Sprintf("srv-hss-%02d", i+1), Kind: "host"}
		a.Detail = "reinstall os"
		recs = append(recs, a)
	}
	g.silent = append(g.silent, silence{system: "pam", from: at(day, 15*60+16).Add(time.Second), to: g.incidentDay(24).Add(10 * time.Hour)})
	g.add("pam-inventory-leak", "접근제어(PAM) 시스템 자산 목록 대량 반출 후 기록 중단 (2025 통신사)",
		[]string{"export-then-silence", "source-silent"}, recs, nil)
}

// 5. Telecom, 2025: about 10 GB out of the subscriber-authentication servers
// in one day.
func (g *gen) authExfil(r *rand.Rand) {
	day := g.incidentDay(25)
	var recs []record.Record
	for h := 0; h < 24; h++ {
		rec := record.Record{ID: g.id("inc5"), Time: at(day, float64(h*60+30+r.IntN(20))), System: "hss-auth", Action: record.Other}
		rec.Actor = record.Actor{ID: "root", Type: "service"}
		rec.Origin = record.Origin{IP: "10.30.1.10", Host: "hss01"}
		rec.Target = record.Target{Object: "https://185.220.101.4/u", Kind: "host"}
		rec.Attrs = map[string]string{"direction": "outbound", "protocol": "https"}
		rec.Result.Bytes = record.Int64(int64(400e6 + r.Float64()*100e6))
		recs = append(recs, rec)
	}
	g.add("auth-server-exfil", "가입자 인증 서버에서 하루 약 10GB 외부 유출 (2025 통신사)",
		[]string{"outbound-volume-baseline"}, recs, nil)
}

// misuse adds the common misuse scenarios of Korean audits.
func (g *gen) misuse(r *rand.Rand) {
	view := func(prefix string, p *person, t time.Time, ip, host, c string) record.Record {
		rec := g.staffRec(prefix, "crm", p, t, record.View, ip, host)
		rec.Target = record.Target{Object: "고객상세", Kind: "screen"}
		rec.Subjects, rec.SubjectCount = []string{c}, 1
		rec.Result.Rows = record.Int64(1)
		return rec
	}
	// Watch-listed customers looked up out of curiosity.
	{
		p := g.pick("cs", 20)
		day := g.incidentDay(10)
		var recs []record.Record
		celebs := []string{"C00077777", "C00078888"}
		for i, c := range celebs {
			recs = append(recs, view("m1", p, at(day, 14*60+5+float64(i*4)), p.ip, p.Hosts[0], c))
		}
		g.add("celebrity-snooping", "연예인 고객 정보 호기심 조회", []string{"watchlist-lookup"}, recs, celebs)
	}
	// A departed salesperson's account still works.
	{
		p := g.people["sales.former"]
		day := g.incidentDay(8)
		var recs []record.Record
		var aff []string
		for i := 0; i < 15; i++ {
			c := g.customer(r)
			aff = append(aff, c)
			recs = append(recs, view("m2", p, at(day, 10*60+20+float64(i*2)), "10.20.2.200", "pc-sales-guest", c))
		}
		g.add("departed-account-use", "퇴직자 계정으로 고객 정보 조회", []string{"departed-account"}, recs, aff)
	}
	// An account of someone on leave is used.
	{
		p := g.people["cs.leave"]
		day := g.incidentDay(18)
		var recs []record.Record
		var aff []string
		for i := 0; i < 12; i++ {
			c := g.customer(r)
			aff = append(aff, c)
			recs = append(recs, view("m3", p, at(day, 11*60+float64(i*3)), "10.20.1.241", "pc-cs.leave", c))
		}
		g.add("dormant-account-use", "휴직자 계정으로 고객 정보 조회", []string{"dormant-account"}, recs, aff)
	}
	// Bulk lookup: 400 customers in an hour.
	{
		p := g.pick("cs", 29)
		day := g.incidentDay(21)
		var recs []record.Record
		var aff []string
		for i := 0; i < 400; i++ {
			c := g.customer(r)
			aff = append(aff, c)
			recs = append(recs, view("m4", p, at(day, 15*60+float64(i)*0.145), p.ip, p.Hosts[0], c))
		}
		g.add("bulk-lookup", "한 시간에 고객 400명 조회", []string{"bulk-lookup"}, recs, aff)
	}
	// Many small searches adding up to bulk extraction.
	{
		p := g.pick("sales", 9)
		day := g.incidentDay(23)
		var recs []record.Record
		var aff []string
		for i := 0; i < 150; i++ {
			rec := g.staffRec("m5", "crm", p, at(day, 9*60+float64(i)*3.5), record.Search, p.ip, p.Hosts[0])
			rec.Target = record.Target{Object: "고객검색", Kind: "screen"}
			rec.Detail = fmt.Sprintf("region=%d&page=%d", 100+i/10, i%10+1)
			rec.SubjectCount = 25
			for k := 0; k < 5; k++ {
				rec.Subjects = append(rec.Subjects, g.customer(r))
			}
			aff = append(aff, rec.Subjects...)
			rec.Result.Rows = record.Int64(25)
			recs = append(recs, rec)
		}
		g.add("slow-extraction", "소량 검색 150회로 고객 3,750명 추출", []string{"small-queries-bulk"}, recs, aff)
	}
	// The same customer opened again and again (an ex-partner).
	{
		p := g.pick("cs", 43)
		day := g.incidentDay(24)
		var recs []record.Record
		for i := 0; i < 14; i++ {
			recs = append(recs, view("m6", p, at(day, 9*60+30+float64(i*34)), p.ip, p.Hosts[0], "C00031337"))
		}
		g.add("repeated-subject", "동일 고객 정보 하루 14회 조회", []string{"repeated-subject"}, recs, []string{"C00031337"})
	}
	// A download without a stated purpose.
	{
		p := g.pick("mkt", 4)
		rec := g.staffRec("m7", "crm", p, at(g.incidentDay(22), 11*60+30), record.Download, p.ip, p.Hosts[0])
		rec.Target = record.Target{Object: "전체고객.xlsx", Kind: "file"}
		rec.Result.Rows, rec.Result.Bytes = record.Int64(2000), record.Int64(360_000)
		rec.SubjectCount = 2000
		rec.Subjects = []string{g.customer(r), g.customer(r)}
		rec.Payload = g.payload(r, 3)
		g.add("download-without-purpose", "사유 없이 고객 2,000명 다운로드", []string{"download-without-purpose"}, []record.Record{rec}, rec.Subjects)
	}
	// Excessive downloads.
	{
		p := g.pick("sales", 19)
		day := g.incidentDay(28)
		var recs []record.Record
		var aff []string
		for i := 0; i < 40; i++ {
			rec := g.staffRec("m8", "crm", p, at(day, 10*60+float64(i*10)), record.Download, p.ip, p.Hosts[0])
			rec.Target = record.Target{Object: fmt.Sprintf("거래처_%02d.xlsx", i), Kind: "file"}
			rec.Purpose = "거래처 관리"
			rows := int64(10 + r.IntN(40))
			rec.Result.Rows, rec.SubjectCount = record.Int64(rows), rows
			rec.Subjects = []string{g.customer(r)}
			aff = append(aff, rec.Subjects...)
			recs = append(recs, rec)
		}
		g.add("excessive-downloads", "하루 40회 다운로드", []string{"excessive-downloads"}, recs, aff)
	}
	// External access without MFA, from home, late.
	{
		p := g.pick("dev", 2)
		day := g.incidentDay(29)
		var recs []record.Record
		var aff []string
		login := g.staffRec("m9", "crm", p, at(day, 21*60+30), record.Login, "203.0.113.45", "home-pc")
		login.Auth.External = true
		recs = append(recs, login)
		for i := 0; i < 5; i++ {
			c := g.customer(r)
			aff = append(aff, c)
			v := view("m9", p, at(day, 21*60+32+float64(i*2)), "203.0.113.45", "home-pc", c)
			v.Auth.External = true
			recs = append(recs, v)
		}
		g.add("external-no-mfa", "외부(자택)에서 다중인증 없이 접속", []string{"external-without-mfa", "unusual-address", "unusual-terminal"}, recs, aff)
	}
	// Work on a public holiday: a review item (low), not an alarm.
	{
		p := g.pick("sales", 6)
		day := g.incidentDay(14)
		var recs []record.Record
		var aff []string
		for i := 0; i < 8; i++ {
			c := g.customer(r)
			aff = append(aff, c)
			recs = append(recs, view("m10", p, at(day, 10*60+float64(i*6)), p.ip, p.Hosts[0], c))
		}
		g.add("holiday-access", "추석 연휴에 출근해 고객 정보 조회 (검토 대상)", []string{"off-hours-access"}, recs, aff)
	}
}
