package scenario

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/record"
)

// person is a member of staff or a service account.
type person struct {
	directory.Person
	kind        string // cs, sales, mkt, dev, dba, sysadmin, back, service
	ip          string // address used
	joined      int    // first working day index (new employee)
	remote      bool   // works from home through the VPN some days
	vpnIP       string
	laptop      string
	moveIP      string // address used from moveDay on (inside the assigned range)
	moveOn      int
	holidayDuty bool
}

type gen struct {
	cfg    Config
	rng    *rand.Rand // normal traffic
	irng   *rand.Rand // incidents
	people map[string]*person
	staff  []*person // in creation order
	byKind map[string][]*person
	dir    [][]byte
	recs   []record.Record
	incs   []Incident
	watch  map[string]string
	seq    map[string]int
	femtos []femto
	silent []silence
}

type femto struct {
	id, ip, owner string
}

type silence struct {
	system   string
	from, to time.Time
}

func newGen(cfg Config) *gen {
	return &gen{
		cfg:    cfg,
		rng:    rand.New(rand.NewPCG(cfg.Seed, 1)),
		irng:   rand.New(rand.NewPCG(cfg.Seed, 2)),
		people: map[string]*person{},
		byKind: map[string][]*person{},
		watch:  map[string]string{},
		seq:    map[string]int{},
	}
}

func (g *gen) silenced(r record.Record) bool {
	for _, s := range g.silent {
		if r.System == s.system && !r.Time.Before(s.from) && r.Time.Before(s.to) {
			return true
		}
	}
	return false
}

// The shared manufacturer certificate every femtocell presents.
const femtoCert = "sha256:4f:1c:9a:77:e2:0b:5d:aa:13:c8:6e:90:21:fe:47:b3"

var surnames = []string{"김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권", "황", "안", "송", "류", "홍"}
var given = []string{"민준", "서연", "도윤", "지우", "하준", "서현", "시우", "민서", "주원", "하은", "지호", "윤서", "예준", "지민", "현우", "수빈", "건우", "다은", "우진", "채원", "선우", "지원", "영희", "철수", "미경", "성호", "정훈", "은지", "혜진", "동현"}

func (g *gen) name(r *rand.Rand) string {
	return surnames[r.IntN(len(surnames))] + given[r.IntN(len(given))]
}

type dept struct {
	kind, name string
	share      float64
	subnet     int
	hours      string
}

var depts = []dept{
	{"cs", "고객센터", 0.42, 1, "Mon-Fri 08:00-19:00"},
	{"sales", "영업팀", 0.2, 2, "Mon-Fri 09:00-18:00"},
	{"mkt", "마케팅팀", 0.1, 3, "Mon-Fri 09:00-18:00"},
	{"dev", "개발팀", 0.14, 4, "Mon-Fri 09:00-18:00"},
	{"back", "경영지원팀", 0.1, 6, "Mon-Fri 09:00-18:00"},
}

// organisation creates the directory: people, service accounts, keys,
// femtocells and systems.
func (g *gen) organisation() {
	r := g.rng
	n := 0
	add := func(p *person) {
		g.people[p.ID] = p
		g.staff = append(g.staff, p)
		g.byKind[p.kind] = append(g.byKind[p.kind], p)
	}
	fixed := 4 + 3 // DBAs and sysadmins
	for _, d := range depts {
		count := int(float64(g.cfg.Staff-fixed) * d.share)
		for i := 0; i < count; i++ {
			n++
			id := fmt.Sprintf("%s%04d", d.kind, i+1)
			p := &person{kind: d.kind}
			p.ID, p.Name, p.Dept, p.WorkHours = id, g.name(r), d.name, d.hours
			p.Status = "active"
			host := (i % 250) + 2
			p.ip = fmt.Sprintf("10.20.%d.%d", d.subnet+(i/250)*10, host)
			p.IPs = []string{p.ip}
			p.Hosts = []string{"pc-" + id}
			if d.kind == "sales" && i < 12 || d.kind == "dev" && i < 6 {
				p.remote = true
				p.vpnIP = fmt.Sprintf("10.99.%d.%d", d.subnet, i+10)
				p.laptop = "nb-" + id
				p.IPs = append(p.IPs, p.vpnIP)
				p.Hosts = append(p.Hosts, p.laptop)
			}
			if d.kind == "cs" && i < 6 {
				p.holidayDuty = true
			}
			p.Roles = []string{"staff"}
			add(p)
		}
	}
	// An address change inside an assigned range: cs0003 has a /28 and
	// moves desks on day 12.
	if p := g.people["cs0003"]; p != nil {
		p.IPs = []string{"10.20.1.64/28"}
		p.ip, p.moveIP, p.moveOn = "10.20.1.66", "10.20.1.75", 12
	}
	// A new employee who starts on day 10.
	if p := g.people["cs0010"]; p != nil {
		p.joined = 10
	}
	for i := 1; i <= 4; i++ {
		p := &person{kind: "dba"}
		p.ID, p.Name, p.Dept, p.WorkHours, p.Status = fmt.Sprintf("dba%02d", i), g.name(r), "DB운영팀", "Mon-Fri 09:00-18:00", "active"
		p.ip = fmt.Sprintf("10.20.5.%d", 10+i)
		p.IPs, p.Hosts, p.Roles = []string{p.ip}, []string{"pc-" + p.ID}, []string{"dba"}
		add(p)
	}
	for i := 1; i <= 3; i++ {
		p := &person{kind: "sysadmin"}
		p.ID, p.Name, p.Dept, p.WorkHours, p.Status = fmt.Sprintf("sys%02d", i), g.name(r), "인프라운영팀", "Mon-Fri 09:00-18:00", "active"
		p.ip = fmt.Sprintf("10.20.5.%d", 30+i)
		p.IPs, p.Hosts, p.Roles = []string{p.ip}, []string{"pc-" + p.ID}, []string{"sysadmin"}
		add(p)
	}
	svc := func(id, name, ip, host string, roles ...string) {
		p := &person{kind: "service"}
		p.ID, p.Name, p.Dept, p.Status, p.ip = id, name, "시스템", "active", ip
		p.IPs, p.Hosts, p.Roles = []string{ip}, []string{host}, roles
		add(p)
	}
	svc("svc.batch", "야간 정산 배치", "10.10.1.5", "batch01", "batch")
	svc("svc.pam", "PAM 상태 점검", "10.10.2.2", "pam01", "monitor")
	svc("svc.hss-sync", "가입자인증 DR 동기화", "10.30.1.10", "hss01", "sync")
	// People who are not working: one departed, one on leave.
	dep := &person{kind: "sales"}
	dep.ID, dep.Name, dep.Dept, dep.Status = "sales.former", g.name(r), "영업팀", "departed"
	dep.DepartedAt = g.cfg.Start.AddDate(0, -2, 0)
	dep.IPs, dep.Hosts, dep.WorkHours = []string{"10.20.2.240"}, []string{"pc-sales.former"}, "Mon-Fri 09:00-18:00"
	g.people[dep.ID] = dep
	leave := &person{kind: "cs"}
	leave.ID, leave.Name, leave.Dept, leave.Status = "cs.leave", g.name(r), "고객센터", "leave"
	leave.IPs, leave.Hosts, leave.WorkHours = []string{"10.20.1.241"}, []string{"pc-cs.leave"}, "Mon-Fri 08:00-19:00"
	g.people[leave.ID] = leave
	devFormer := &person{kind: "dev"}
	devFormer.ID, devFormer.Name, devFormer.Dept, devFormer.Status = "dev.former", g.name(r), "개발팀", "departed"
	devFormer.DepartedAt = g.cfg.Start.AddDate(0, -5, 0)
	devFormer.IPs, devFormer.Hosts = []string{"10.20.4.242"}, []string{"pc-dev.former"}
	g.people[devFormer.ID] = devFormer

	for _, id := range sortedIDs(g.people) {
		g.dir = append(g.dir, dirLine("person", g.people[id].Person))
	}
	g.dir = append(g.dir,
		dirLine("key", directory.Key{ID: "jwt-2024", Owner: "dev0001"}),
		dirLine("key", directory.Key{ID: "jwt-2022", Owner: "dev.former"}), // never revoked: the e-commerce incident
	)
	for room := 1; room <= 6; room++ {
		g.dir = append(g.dir, dirLine("device", directory.Device{ID: fmt.Sprintf("pc-meeting-%d", room), Owner: "back0001", IPs: []string{fmt.Sprintf("10.20.9.%d", 10+room)}}))
	}
	nf := 150
	for i := 1; i <= nf; i++ {
		f := femto{id: fmt.Sprintf("FC-%05d", i), ip: fmt.Sprintf("121.%d.%d.%d", 130+i%5, r.IntN(250)+1, r.IntN(250)+1), owner: g.customer(r)}
		g.femtos = append(g.femtos, f)
		g.dir = append(g.dir, dirLine("device", directory.Device{ID: f.id, Cert: femtoCert, Owner: f.owner, IPs: []string{f.ip}}))
	}
	for _, s := range []directory.System{
		{ID: "crm", Name: "고객관리 시스템", Owner: "cs0001", Subjects: int64(g.cfg.Customers), Retention: "2y"},
		{ID: "custdb", Name: "고객 DB", Owner: "dba01", Subjects: int64(g.cfg.Customers), Retention: "2y"},
		{ID: "member-api", Name: "회원 API", Owner: "dev0001", Subjects: int64(g.cfg.Customers), Retention: "2y", ExpectedSilence: "1h"},
		{ID: "femto-gw", Name: "펨토셀 게이트웨이", Owner: "sys01", Subjects: int64(g.cfg.Customers), Retention: "2y", ExpectedSilence: "1h"},
		{ID: "pam", Name: "서버 접근제어(PAM)", Owner: "sys01", Subjects: 0, Retention: "2y", ExpectedSilence: "30m"},
		{ID: "hss-auth", Name: "가입자 인증 서버", Owner: "sys02", Subjects: int64(g.cfg.Customers), Retention: "2y", ExpectedSilence: "3h"},
		{ID: "egress", Name: "인터넷 게이트웨이", Owner: "sys03", Retention: "1y"},
	} {
		g.dir = append(g.dir, dirLine("system", s))
	}
	// The watch list: public figures among the customers.
	for i, label := range []string{"연예인", "연예인", "정치인", "임직원 가족", "보호 대상(스토킹 피해자)"} {
		g.watch[fmt.Sprintf("C%08d", 77777+i*1111)] = label
	}
}

func sortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for k := range m {
		ids = append(ids, k)
	}
	sortStrings(ids)
	return ids
}

// customer returns a random existing customer id.
func (g *gen) customer(r *rand.Rand) string {
	for {
		id := fmt.Sprintf("C%08d", r.IntN(g.cfg.Customers)+1)
		if _, watched := g.watch[id]; !watched {
			return id
		}
	}
}

// id numbers records per system, in generation order.
func (g *gen) id(prefix string) string {
	g.seq[prefix]++
	return fmt.Sprintf("%s-%07d", prefix, g.seq[prefix])
}

func (g *gen) day(d int) time.Time { return g.cfg.Start.AddDate(0, 0, d) }

// customerIP is the address a customer usually connects from: 30% behind
// a carrier's NAT pool.
func customerIP(id string) string {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	if h%10 < 3 {
		return fmt.Sprintf("106.101.%d.%d", (h>>8)%8, (h>>16)%250+1)
	}
	return fmt.Sprintf("%d.%d.%d.%d", 110+(h>>4)%100, (h>>8)%250+1, (h>>16)%250+1, (h>>24)%250+1)
}

// rrn makes a resident registration number with a valid check digit.
func rrn(r *rand.Rand) string {
	y, m, d := 60+r.IntN(40), 1+r.IntN(12), 1+r.IntN(28)
	s := fmt.Sprintf("%02d%02d%02d%d%05d", y, m, d, 1+r.IntN(2), r.IntN(100000))
	w := []int{2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5}
	sum := 0
	for i, c := range s {
		sum += int(c-'0') * w[i]
	}
	return s[:6] + "-" + s[6:] + fmt.Sprint((11-sum%11)%10)
}

func phone(r *rand.Rand) string { return fmt.Sprintf("010-%04d-%04d", r.IntN(10000), r.IntN(10000)) }

var streets = []string{"서울특별시 강남구 테헤란로", "서울특별시 마포구 월드컵북로", "경기도 성남시 분당구 판교역로", "부산광역시 해운대구 센텀중앙로", "대전광역시 유성구 대학로"}

func address(r *rand.Rand) string {
	return fmt.Sprintf("%s %d, %d동 %d호", streets[r.IntN(len(streets))], 1+r.IntN(300), 101+r.IntN(10), 101+r.IntN(1500))
}

// payload is a sample of what a screen or an export returned.
func (g *gen) payload(r *rand.Rand, rows int) string {
	var b []byte
	b = append(b, "이름,휴대전화,주민등록번호,주소\n"...)
	for i := 0; i < rows; i++ {
		b = fmt.Appendf(b, "%s,%s,%s,%s\n", g.name(r), phone(r), rrn(r), address(r))
	}
	return string(b)
}
