package scenario

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jikimi/jikimi/detect"
	"github.com/jikimi/jikimi/record"
)

func sortStrings(ss []string) { slices.Sort(ss) }

// staffRec starts a record by a person from their usual place.
func (g *gen) staffRec(prefix, system string, p *person, t time.Time, a record.Action, ip, host string) record.Record {
	r := record.Record{ID: g.id(prefix), Time: t, System: system, Action: a}
	r.Actor = record.Actor{ID: p.ID}
	if p.kind == "service" {
		r.Actor.Type = "service"
	}
	r.Origin = record.Origin{IP: ip, Host: host}
	r.Auth.Method = "password"
	return r
}

func at(day time.Time, minute float64) time.Time {
	return day.Add(time.Duration(minute * float64(time.Minute))).Truncate(time.Second)
}

// times returns n sorted random minutes of the day in [from, to).
func times(r *rand.Rand, n int, from, to float64) []float64 {
	ts := make([]float64, n)
	for i := range ts {
		ts[i] = from + r.Float64()*(to-from)
		if ts[i] >= 12*60 && ts[i] < 13*60 && r.IntN(3) > 0 { // lunch
			ts[i] += 60
		}
	}
	slices.Sort(ts)
	return ts
}

func (g *gen) normalMonth() {
	for d := 0; d < g.cfg.Days; d++ {
		day := g.day(d)
		wd := day.Weekday()
		weekend := wd == time.Saturday || wd == time.Sunday
		holiday := detect.KoreanHoliday(day)
		for _, p := range g.staff {
			switch p.kind {
			case "service":
			case "dba":
				if !weekend && !holiday {
					g.dbaDay(p, d, day)
				}
			case "sysadmin":
				if !weekend && !holiday {
					g.sysadminDay(p, day)
				}
			default:
				if p.joined > d {
					continue
				}
				if !weekend && !holiday || holiday && !weekend && p.holidayDuty {
					g.staffDay(p, d, day)
				}
			}
		}
		if !weekend && !holiday {
			g.sharedPC(d, day)
		}
		g.batchNight(day)
		g.pamHeartbeat(day)
		g.hssSync(day)
		g.femtoDay(day)
		g.apiDay(day)
	}
}

// staffDay is one working day of a member of staff.
func (g *gen) staffDay(p *person, d int, day time.Time) {
	r := g.rng
	if r.IntN(100) < 5 { // day off
		return
	}
	start, end := 9*60.0, 18*60.0
	if p.kind == "cs" {
		start, end = 8*60, 19*60
	}
	start += float64(r.IntN(30))
	end -= float64(r.IntN(40))
	if r.IntN(100) < 4 { // working late, at normal volume
		end = 19*60 + float64(r.IntN(200))
	}
	ip, host, external, method := p.ip, p.Hosts[0], false, "password"
	if p.moveIP != "" && d >= p.moveOn {
		ip = p.moveIP
	}
	if p.remote && r.IntN(100) < 20 {
		ip, host, external, method = p.vpnIP, p.laptop, true, "mfa"
	}
	var n int
	switch p.kind {
	case "cs":
		n = 40 + r.IntN(31)
	case "sales":
		n = 15 + r.IntN(16)
	case "mkt":
		n = 4 + r.IntN(7)
	case "dev":
		n = 1 + r.IntN(4)
	default:
		n = r.IntN(4)
	}
	if n == 0 {
		return
	}
	ts := times(r, n+1, start, end)
	session := fmt.Sprintf("crm-%s-%d", p.ID, d)
	mk := func(t float64, a record.Action) record.Record {
		rec := g.staffRec("crm", "crm", p, at(day, t), a, ip, host)
		rec.Auth = record.Auth{Method: method, Session: session, External: external}
		rec.Target.Kind = "screen"
		return rec
	}
	g.recs = append(g.recs, mk(ts[0], record.Login))
	var recent []string
	for _, t := range ts[1:] {
		x := r.IntN(100)
		var rec record.Record
		switch {
		case p.kind == "cs" && x < 70 || p.kind != "cs" && x < 45:
			rec = mk(t, record.View)
			c := g.customer(r)
			if len(recent) > 0 && r.IntN(100) < 15 {
				c = recent[r.IntN(len(recent))]
			}
			recent = append(recent, c)
			if len(recent) > 5 {
				recent = recent[1:]
			}
			rec.Target.Object = "고객상세"
			rec.Subjects, rec.SubjectCount = []string{c}, 1
			rec.Result.Rows = record.Int64(1)
			if r.IntN(10) == 0 {
				rec.Payload = g.payload(r, 1)
			}
		case x < 92:
			rec = mk(t, record.Search)
			k := 1 + r.IntN(20)
			rec.Target.Object = "고객검색"
			rec.Detail = "name=" + g.name(r)
			rec.SubjectCount = int64(k)
			for i := 0; i < min(k, 5); i++ {
				rec.Subjects = append(rec.Subjects, g.customer(r))
			}
			rec.Result.Rows = record.Int64(int64(k))
		default:
			rec = mk(t, record.Update)
			rec.Target.Object = "상담이력"
			rec.Subjects, rec.SubjectCount = []string{g.customer(r)}, 1
		}
		g.recs = append(g.recs, rec)
	}
	// Downloads with a stated purpose.
	takeP := map[string]int{"sales": 30, "mkt": 20}[p.kind]
	if r.IntN(100) < takeP {
		rec := mk(ts[0]+r.Float64()*(end-ts[0]), record.Download)
		rows := int64(20 + r.IntN(280))
		purpose := "영업 실적 분석"
		if p.kind == "mkt" {
			rows, purpose = int64(500+r.IntN(2500)), "캠페인 대상 추출"
		}
		rec.Target = record.Target{Object: "고객목록.xlsx", Kind: "file"}
		rec.Purpose = purpose
		rec.Result.Rows, rec.Result.Bytes = record.Int64(rows), record.Int64(rows*180)
		rec.SubjectCount = rows
		rec.Subjects = []string{g.customer(r), g.customer(r), g.customer(r)}
		rec.Payload = g.payload(r, 3)
		g.recs = append(g.recs, rec)
	}
	// Mail and uploads leaving through the internet gateway.
	if p.kind != "cs" {
		for i := r.IntN(3); i > 0; i-- {
			rec := g.staffRec("egress", "egress", p, at(day, ts[0]+r.Float64()*(end-ts[0])), record.Other, ip, host)
			rec.Auth = record.Auth{}
			rec.Target = record.Target{Object: "smtps://mail.partner.co.kr", Kind: "host"}
			rec.Attrs = map[string]string{"direction": "outbound", "protocol": "smtps"}
			rec.Result.Bytes = record.Int64(int64(math.Exp(r.NormFloat64()*1.2 + 12.5)))
			g.recs = append(g.recs, rec)
		}
	}
}

// sharedPC: on about a third of working days someone uses a meeting-room
// PC — an address and a host assigned to nobody. A benign look-alike of
// access from an unusual place: the PCs are registered devices in the
// directory, and the records name them (origin.device), so the
// unusual-address and unusual-terminal rules know them for what they are.
func (g *gen) sharedPC(d int, day time.Time) {
	r := g.rng
	if r.IntN(100) >= 35 {
		return
	}
	var pool []*person
	for _, k := range []string{"sales", "mkt", "dev", "back"} {
		pool = append(pool, g.byKind[k]...)
	}
	p := pool[r.IntN(len(pool))]
	room := 1 + r.IntN(6)
	ip, host := fmt.Sprintf("10.20.9.%d", 10+room), fmt.Sprintf("pc-meeting-%d", room)
	ts := times(r, 4+r.IntN(4), 10*60, 16*60)
	session := fmt.Sprintf("crm-%s-%d-m", p.ID, d)
	for i, t := range ts {
		a := record.View
		if i == 0 {
			a = record.Login
		}
		rec := g.staffRec("crm", "crm", p, at(day, t), a, ip, host)
		rec.Origin.Device = host
		rec.Auth.Session = session
		rec.Target.Kind = "screen"
		if a == record.View {
			rec.Target.Object = "고객상세"
			rec.Subjects, rec.SubjectCount = []string{g.customer(r)}, 1
			rec.Result.Rows = record.Int64(1)
		}
		g.recs = append(g.recs, rec)
	}
}

var tables = []string{"MEMBER", "MEMBER_DETAIL", "MEMBER_ADDR", "ORDERS", "PAYMENT", "COUPON"}

func (g *gen) dbaDay(p *person, d int, day time.Time) {
	r := g.rng
	n := 3 + r.IntN(8)
	ts := times(r, n+1, 9*60+float64(r.IntN(30)), 18*60-float64(r.IntN(30)))
	session := fmt.Sprintf("db-%s-%d", p.ID, d)
	mk := func(t float64, a record.Action) record.Record {
		rec := g.staffRec("custdb", "custdb", p, at(day, t), a, p.ip, p.Hosts[0])
		rec.Auth.Session = session
		rec.Target.Kind = "table"
		return rec
	}
	g.recs = append(g.recs, mk(ts[0], record.Login))
	for i, t := range ts[1:] {
		tbl := tables[r.IntN(len(tables))]
		var rec record.Record
		if i < 2 && r.IntN(100) < 35 {
			rec = mk(t, record.Export)
			rows := int64(100 + r.IntN(1100))
			rec.Detail = fmt.Sprintf("SELECT * FROM %s WHERE upd_dt >= :d", tbl)
			rec.Purpose = "데이터 정합성 점검"
			rec.Result.Rows, rec.Result.Bytes = record.Int64(rows), record.Int64(rows*220)
			rec.SubjectCount = rows
			rec.Subjects = []string{g.customer(r), g.customer(r)}
		} else {
			rec = mk(t, record.Admin)
			rec.Detail = fmt.Sprintf("ANALYZE TABLE %s", tbl)
		}
		rec.Target.Object = tbl
		g.recs = append(g.recs, rec)
	}
}

func (g *gen) sysadminDay(p *person, day time.Time) {
	r := g.rng
	n := 5 + r.IntN(11)
	ts := times(r, n+1, 9*60, 18*60)
	for i, t := range ts {
		a := record.Admin
		if i == 0 {
			a = record.Login
		}
		rec := g.staffRec("pam", "pam", p, at(day, t), a, p.ip, p.Hosts[0])
		rec.Auth.Method = "otp"
		rec.Target = record.Target{Object: fmt.Sprintf("srv-%s-%02d", []string{"db", "web", "api", "hss"}[r.IntN(4)], 1+r.IntN(20)), Kind: "host"}
		if a == record.Admin {
			rec.Detail = "ssh session via PAM"
		}
		g.recs = append(g.recs, rec)
	}
}

func (g *gen) batchNight(day time.Time) {
	r := g.rng
	p := g.people["svc.batch"]
	t := at(day, 2*60+float64(r.IntN(20)))
	for i, job := range []struct {
		table string
		lo, n int
	}{{"CUSTOMER_DAILY", 1_800_000, 400_000}, {"ORDERS", 400_000, 200_000}} {
		rec := g.staffRec("batch", "custdb", p, t.Add(time.Duration(i*25)*time.Minute), record.Export, p.ip, p.Hosts[0])
		rec.Auth.Method = "key"
		rows := int64(job.lo + r.IntN(job.n))
		rec.Target = record.Target{Object: job.table, Kind: "table"}
		rec.Purpose = "야간 정산 배치"
		rec.Detail = "unload " + job.table + " to /dwh/in"
		rec.Result.Rows, rec.Result.Bytes = record.Int64(rows), record.Int64(rows*300)
		rec.SubjectCount = rows
		rec.Subjects = []string{g.customer(r), g.customer(r), g.customer(r)}
		g.recs = append(g.recs, rec)
	}
}

func (g *gen) pamHeartbeat(day time.Time) {
	p := g.people["svc.pam"]
	for m := 0; m < 24*60; m += 10 {
		rec := g.staffRec("pam", "pam", p, at(day, float64(m)+float64(g.rng.IntN(30))/60), record.Other, p.ip, p.Hosts[0])
		rec.Auth.Method = "key"
		rec.Target = record.Target{Object: "health", Kind: "api"}
		g.recs = append(g.recs, rec)
	}
}

func (g *gen) hssSync(day time.Time) {
	p := g.people["svc.hss-sync"]
	for h := 0; h < 24; h++ {
		rec := g.staffRec("hss", "hss-auth", p, at(day, float64(h*60+5+g.rng.IntN(10))), record.Other, p.ip, p.Hosts[0])
		rec.Auth.Method = "key"
		rec.Target = record.Target{Object: "sftp://hss-dr.backup.example", Kind: "host"}
		rec.Attrs = map[string]string{"direction": "outbound", "protocol": "sftp"}
		rec.Result.Bytes = record.Int64(int64(10e6 + g.rng.Float64()*10e6))
		g.recs = append(g.recs, rec)
	}
}

func (g *gen) femtoRec(prefix string, r *rand.Rand, dev, ip string, t time.Time, sub string) record.Record {
	rec := record.Record{ID: g.id(prefix), Time: t, System: "femto-gw", Action: record.Other}
	rec.Actor = record.Actor{ID: dev, Type: "service"}
	rec.Origin = record.Origin{IP: ip, Device: dev, Cert: femtoCert}
	rec.Auth.Method = "cert"
	rec.Target = record.Target{Object: "ue_attach", Kind: "api"}
	rec.Detail = fmt.Sprintf("ATTACH imsi=45005%010d imei=35%013d", r.Int64N(1e10), r.Int64N(1e13))
	rec.Subjects, rec.SubjectCount = []string{sub}, 1
	return rec
}

func (g *gen) femtoDay(day time.Time) {
	r := g.rng
	for _, f := range g.femtos {
		for m := r.Float64() * 120; m < 24*60; m += 60 + r.Float64()*120 {
			g.recs = append(g.recs, g.femtoRec("femto", r, f.id, f.ip, at(day, m), f.owner))
		}
	}
}

var apiHour = []int{2, 1, 1, 1, 1, 1, 2, 4, 6, 7, 7, 7, 8, 7, 7, 6, 6, 6, 7, 8, 9, 9, 7, 4}

func (g *gen) apiDay(day time.Time) {
	r := g.rng
	total := 0
	for _, w := range apiHour {
		total += w
	}
	logins := int(1500 * g.cfg.APIShare)
	for h, w := range apiHour {
		n := logins * w / total
		for i := 0; i < n; i++ {
			c := g.customer(r)
			t := at(day, float64(h*60)+r.Float64()*60)
			session := fmt.Sprintf("s-%016x", r.Uint64())
			mk := func(t time.Time, a record.Action, object string) record.Record {
				rec := record.Record{ID: g.id("api"), Time: t, System: "member-api", Action: a}
				rec.Actor = record.Actor{ID: c, Type: "customer"}
				rec.Origin = record.Origin{IP: customerIP(c), UserAgent: "ShopApp/5.2 (Android 14)"}
				rec.Auth = record.Auth{Method: "token", Session: session, KeyID: "jwt-2024", External: true}
				rec.Target = record.Target{Object: object, Kind: "api"}
				rec.Subjects, rec.SubjectCount = []string{c}, 1
				return rec
			}
			login := mk(t, record.Login, "/api/v1/login")
			login.Auth.Method = "password"
			g.recs = append(g.recs, login)
			for k := 1 + r.IntN(4); k > 0; k-- {
				t = t.Add(time.Duration(5+r.IntN(120)) * time.Second)
				ep := []string{"profile", "orders", "address"}[r.IntN(3)]
				rec := mk(t, record.View, "/api/v1/members/"+c+"/"+ep)
				rec.Result.Rows = record.Int64(1)
				if r.IntN(10) == 0 {
					rec.Payload = fmt.Sprintf(`{"name":"%s","phone":"%s","address":"%s"}`, g.name(r), phone(r), address(r))
				}
				g.recs = append(g.recs, rec)
			}
		}
	}
}
