package breach

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Incident is a suspected or confirmed breach: when the organisation
// became aware of it, what it covers, and the legal duties it set running.
type Incident struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	AwareAt   time.Time `json:"aware_at"` // every deadline runs from here
	OpenedAt  time.Time `json:"opened_at"`
	OpenedBy  string    `json:"opened_by,omitempty"`
	Intrusion bool      `json:"intrusion"` // outside unauthorised access (hacking, 침해사고)
	Scope     Scope     `json:"scope"`
	// Impact at opening: what the duties were decided on.
	Subjects  int64     `json:"subjects"`
	Records   int64     `json:"records"`
	PII       []string  `json:"pii"`
	UniqueIDs []string  `json:"unique_ids,omitempty"`
	First     time.Time `json:"first,omitzero"`
	Last      time.Time `json:"last,omitzero"`
	Duties    []Duty    `json:"duties"`
	Notice    Notice    `json:"notice"`
}

// Notice holds what the notices say that access records cannot: who the
// organisation is, how the breach happened, what it did, and where people
// can ask. Empty fields are left for the editor and marked as such.
type Notice struct {
	Org          string `json:"org,omitempty"`
	How          string `json:"how,omitempty"`      // 경위
	Measures     string `json:"measures,omitempty"` // 대응조치
	ContactDept  string `json:"contact_dept,omitempty"`
	ContactPhone string `json:"contact_phone,omitempty"`
	ContactEmail string `json:"contact_email,omitempty"`
}

// Merge returns n with the non-empty fields of o applied.
func (n Notice) Merge(o Notice) Notice {
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&n.Org, o.Org}, {&n.How, o.How}, {&n.Measures, o.Measures},
		{&n.ContactDept, o.ContactDept}, {&n.ContactPhone, o.ContactPhone}, {&n.ContactEmail, o.ContactEmail},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	return n
}

// The duties a breach can set running.
const (
	// DutyNotify: tell the data subjects (PIPA art. 34(1); enforcement
	// decree art. 40(1): within 72 hours of becoming aware).
	DutyNotify = "notify-subjects"
	// DutyReport: report to the PIPC or KISA (PIPA art. 34(3); enforcement
	// decree art. 39(1): within 72 hours).
	DutyReport = "report-pipc"
	// DutyIntrusion: report an intrusion incident (침해사고) to the MSIT or
	// KISA (Network Act art. 48-3(1) and its enforcement decree
	// art. 58-2: within 24 hours of becoming aware).
	DutyIntrusion = "report-intrusion"
)

// The deadlines of the duties.
const (
	NotifyWithin    = 72 * time.Hour
	ReportWithin    = 72 * time.Hour
	IntrusionWithin = 24 * time.Hour
	// ReportThreshold is the number of data subjects from which the report
	// to the regulator is mandatory (enforcement decree art. 39(1)1).
	ReportThreshold = 1000
)

// Duty is one legal duty of an incident and its deadline.
type Duty struct {
	Name     string    `json:"name"`
	Title    string    `json:"title"`  // Korean
	Law      string    `json:"law"`    // the articles it comes from
	Reason   string    `json:"reason"` // why it applies to this incident, Korean
	Deadline time.Time `json:"deadline"`
	DoneAt   time.Time `json:"done_at,omitzero"`
	DoneBy   string    `json:"done_by,omitempty"`
	Note     string    `json:"note,omitempty"`
}

// Duties returns the duties an incident with this impact sets running,
// with their deadlines counted from awareAt.
//
// Notifying the data subjects applies to every leak (PIPA art. 34(1): "지체
// 없이", made concrete as 72 hours by enforcement decree art. 40(1); where
// contacts are unknown, a notice on the website for at least 30 days
// replaces it, art. 40(3)). Reporting to the PIPC or KISA applies when 1,000
// or more subjects, any sensitive or unique identifying information, or a
// leak by outside unauthorised access is involved (PIPA art. 34(3),
// enforcement decree art. 39(1)1–3), also within 72 hours. An intrusion
// (침해사고) must in addition be reported to the MSIT or KISA within 24 hours
// under the Network Act (art. 48-3(1)).
func Duties(awareAt time.Time, subjects int64, uniqueIDs []string, intrusion bool) []Duty {
	duties := []Duty{{
		Name: DutyNotify, Title: "정보주체 통지",
		Law:      "개인정보 보호법 제34조제1항, 같은 법 시행령 제40조제1항",
		Reason:   "개인정보가 유출등이 된 정보주체에게는 규모와 관계없이 통지해야 함 (연락처를 알 수 없으면 홈페이지 30일 이상 게시로 갈음, 시행령 제40조제3항)",
		Deadline: awareAt.Add(NotifyWithin),
	}}
	var why []string
	if subjects >= ReportThreshold {
		why = append(why, fmt.Sprintf("정보주체 %d명(1천명 이상, 시행령 제39조제1항제1호)", subjects))
	}
	if len(uniqueIDs) > 0 {
		why = append(why, "고유식별정보("+KoreanTypes(uniqueIDs)+") 포함(시행령 제39조제1항제2호)")
	}
	if intrusion {
		why = append(why, "외부로부터의 불법적인 접근에 의한 유출(시행령 제39조제1항제3호)")
	}
	if len(why) > 0 {
		duties = append(duties, Duty{
			Name: DutyReport, Title: "개인정보보호위원회 또는 한국인터넷진흥원 신고",
			Law:      "개인정보 보호법 제34조제3항, 같은 법 시행령 제39조제1항",
			Reason:   strings.Join(why, "; "),
			Deadline: awareAt.Add(ReportWithin),
		})
	}
	if intrusion {
		duties = append(duties, Duty{
			Name: DutyIntrusion, Title: "침해사고 신고 (과학기술정보통신부 또는 한국인터넷진흥원)",
			Law:      "정보통신망 이용촉진 및 정보보호 등에 관한 법률 제48조의3제1항, 같은 법 시행령 제58조의2",
			Reason:   "침해사고(해킹 등)가 발생함",
			Deadline: awareAt.Add(IntrusionWithin),
		})
	}
	return duties
}

// Countdown says where a duty stands at now, in Korean: done (and whether
// on time), the time left, or how long overdue.
func (d Duty) Countdown(now time.Time) string {
	if !d.DoneAt.IsZero() {
		if d.DoneAt.After(d.Deadline) {
			return "완료(기한 " + span(d.DoneAt.Sub(d.Deadline)) + " 초과)"
		}
		return "완료"
	}
	if left := d.Deadline.Sub(now); left >= 0 {
		return span(left) + " 남음"
	}
	return span(now.Sub(d.Deadline)) + " 초과"
}

// span writes a duration as days, hours and minutes in Korean.
func span(d time.Duration) string {
	d = d.Truncate(time.Minute)
	days, h, m := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%d일 %d시간 %d분", days, h, m)
	case h > 0:
		return fmt.Sprintf("%d시간 %d분", h, m)
	}
	return fmt.Sprintf("%d분", m)
}

// ErrUnknownDuty is returned when marking a duty the incident does not have.
var ErrUnknownDuty = errors.New("no such duty for this incident")

// MarkDone records that duty was done at by whom. It returns ErrUnknownDuty
// (wrapped) when the incident does not have that duty.
func (inc *Incident) MarkDone(duty string, at time.Time, by, note string) error {
	for i := range inc.Duties {
		if inc.Duties[i].Name == duty {
			inc.Duties[i].DoneAt, inc.Duties[i].DoneBy, inc.Duties[i].Note = at, by, note
			return nil
		}
	}
	names := make([]string, len(inc.Duties))
	for i, d := range inc.Duties {
		names[i] = d.Name
	}
	return fmt.Errorf("incident %d, duty %q (it has %s): %w", inc.ID, duty, strings.Join(names, ", "), ErrUnknownDuty)
}

// Open builds an incident from the impact of its scope: the duties it sets
// running are decided here, from rep. The caller stores it (IncidentStore),
// which also places the legal hold.
func Open(title string, awareAt, now time.Time, by string, intrusion bool, rep *Report, notice Notice) (*Incident, error) {
	if strings.TrimSpace(title) == "" {
		return nil, errors.New("an incident needs a title")
	}
	if awareAt.IsZero() {
		return nil, errors.New("an incident needs the time the organisation became aware of it (every deadline runs from it)")
	}
	inc := &Incident{
		Title: title, AwareAt: awareAt, OpenedAt: now, OpenedBy: by, Intrusion: intrusion,
		Scope: rep.Scope, Subjects: rep.Subjects, Records: rep.Records, PII: rep.PIITypes(),
		UniqueIDs: rep.UniqueIDs(), First: rep.First, Last: rep.Last, Notice: notice,
	}
	inc.Duties = Duties(awareAt, rep.Subjects, inc.UniqueIDs, intrusion)
	return inc, nil
}

// IncidentStore keeps incidents and their legal holds. store/sqlite
// implements it.
type IncidentStore interface {
	// CreateIncident stores a new incident, sets inc.ID and places its
	// legal hold (HoldFor) in the same transaction.
	CreateIncident(ctx context.Context, inc *Incident) error
	// Incident returns the incident with id, or store.ErrNotFound (wrapped).
	Incident(ctx context.Context, id int64) (*Incident, error)
	// Incidents returns every incident, newest first.
	Incidents(ctx context.Context) ([]Incident, error)
	// UpdateIncident calls fn with the stored incident and stores what fn
	// left, atomically. fn's error aborts the update and is returned.
	UpdateIncident(ctx context.Context, id int64, fn func(*Incident) error) error
	// Holds returns every legal hold in force.
	Holds(ctx context.Context) ([]Hold, error)
}
