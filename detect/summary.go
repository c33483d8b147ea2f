package detect

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jikimi/jikimi/alert"
)

// openAlert is an alert still accepting merged findings, with what its
// summary needs to say who, what, when and how much.
type openAlert struct {
	a           alert.Alert
	first, last int64
	evidence    evidenceSet
	emitted     int64 // event time of the last emission; 0 never
	dirty       bool  // changed since

	actors  []string // up to maxListed
	moreAct bool     // and others
	names   map[string]string
	renamed int // changes to names
	ips     []string
	owner   string // "이영희(dev.e, pc-e)": whose assigned address was used
	ownerEn string
	objects []string
	moreObj bool
	actions []string
	n       int // evidence records noted
	rows    int64
	bytes   int64
	subj    int64
	why     reason // kind-specific amount and comparison

	phrases phrases
}

const maxListed = 3

// reason says how much, compared with what: the end of an alert's summary.
// It is worded when the alert is sent rather than when found, as a window
// past its threshold finds with every record.
type reason interface {
	// appendTo appends the reason in Korean to k and in English to g.
	appendTo(k, g []byte) ([]byte, []byte)
}

// wording is a reason worded when it was found.
type wording struct{ ko, en string }

func (w wording) appendTo(k, g []byte) ([]byte, []byte) { return cat(k, w.ko), cat(g, w.en) }

// maxObjects is how many distinct objects an alert counts exactly.
const maxObjects = 100

// addListed appends x to xs unless it is empty, listed already or xs
// holds max; full reports that x was left out for lack of room.
func addListed(xs []string, x string, max int) (_ []string, full bool) {
	if x == "" || slices.Contains(xs, x) {
		return xs, false
	}
	if len(xs) >= max {
		return xs, true
	}
	return append(xs, x), false
}

// note adds one evidence record to the alert's description.
func (o *openAlert) note(e *Engine, ev *event) {
	r := ev.rec
	o.n++
	if o.a.System == "" {
		o.a.System = r.System
	}
	// Once a list has overflowed it is final: an alert of 100,000 records
	// does not scan it for each.
	if !o.moreAct {
		o.actors, o.moreAct = addListed(o.actors, r.Actor.ID, maxListed)
	}
	if p := ev.actor(); p != nil && p.Name != "" && o.names[r.Actor.ID] != p.Name {
		if o.names == nil {
			o.names = map[string]string{}
		}
		o.names[r.Actor.ID] = p.Name
		o.renamed++
	}
	o.ips, _ = addListed(o.ips, r.Origin.IP, maxListed)
	if o.owner == "" {
		if w := ev.addrOwner(); w != nil && w.ID != r.Actor.ID {
			host := ""
			if len(w.Hosts) > 0 {
				host = ", " + w.Hosts[0]
			}
			o.owner = fmt.Sprintf("다른 사람 %s(%s%s)에게 배정된 주소", w.Name, w.ID, host)
			o.ownerEn = fmt.Sprintf("an address assigned to someone else, %s (%s%s)", w.Name, w.ID, host)
		}
	}
	if !o.moreObj {
		o.objects, o.moreObj = addListed(o.objects, r.Target.Object, maxObjects)
	}
	o.actions, _ = addListed(o.actions, string(r.Action), 4)
	if r.Result.Rows != nil {
		o.rows += *r.Result.Rows
	}
	if r.Result.Bytes != nil {
		o.bytes += *r.Result.Bytes
	}
	o.subj += r.SubjectTotal()
	if len(o.actors) == 1 {
		o.a.Actor = o.actors[0]
	} else {
		o.a.Actor = ""
	}
}

// summaryBuf is scratch space for summaries, kept by the engine so that an
// emission allocates only the two strings it sends.
type summaryBuf struct{ ko, en []byte }

// summarise writes the alert's reason in Korean and English. It runs at
// every emission, once a minute of event time while findings merge into
// the alert (an incident can go on for days), so it appends into reused
// buffers instead of going through fmt.
func (o *openAlert) summarise(r *Rule, buf *summaryBuf) (ko, en string) {
	buf.ko, buf.en = o.describe(r, buf.ko[:0], buf.en[:0])
	return string(buf.ko), string(buf.en)
}

// describe appends the Korean summary to k and the English one to g.
func (o *openAlert) describe(r *Rule, k, g []byte) ([]byte, []byte) {
	if o.n == 0 {
		// No record to describe (absence): the entity and the times say it.
		k = cat(k, "[", r.Title, "] ")
		g = cat(g, "[", r.TitleEn, "] ")
		for _, kv := range sortedKeys(o.a.Keys) {
			k = cat(k, kv[0], "=", kv[1], " ")
			g = cat(g, kv[0], "=", kv[1], " ")
		}
		from := kstOf(o.first)
		k = cat(from.appendKo(k), " 이후 ")
		g = cat(from.appendEn(cat(g, "since ")), " KST ")
		if o.why != nil {
			k, g = o.why.appendTo(k, g)
		}
		return bytes.TrimSpace(k), bytes.TrimSpace(g)
	}
	if o.phrases.koHead == nil || o.phrases.of != o.listing() {
		o.phrases = o.writePhrases(r)
	}
	p := &o.phrases
	from, to := kstOf(o.first), kstOf(o.last)
	n := int64(o.a.RecordCount)
	k = append(appendKoSpan(append(k, p.koHead...), from, to), p.koMid...)
	k = cat(appendKoCount(k, n), "건")
	g = append(appendEnSpan(append(g, p.enHead...), from, to), p.enMid...)
	g = append(cat(appendEnCount(g, n), " ", plural(o.a.RecordCount, "time", "times")), p.enTail...)
	k, g = o.appendAmounts(k, g)
	if o.why != nil {
		k, g = o.why.appendTo(cat(k, " — "), cat(g, " — "))
	}
	return k, g
}

// phrases are the parts of an alert's summaries that only a newly listed
// account, name, address, object or action changes; describe reuses them
// while the listing they were written from holds, as an incident that goes
// on for days is summarised once a minute.
type phrases struct {
	of     listing
	koHead []byte // "[title] a(이름), b 계정이 "
	koMid  []byte // " 사이 10.0.0.5에서 crm 고객상세에 view "
	enHead []byte // "[title] accounts a(이름), b between "
	enMid  []byte // " from 10.0.0.5 view "
	enTail []byte // " on crm 고객상세"
}

// listing is what phrases are written from, besides the rule's titles; the
// lists only grow, so their lengths stand for their contents.
type listing struct {
	actors, ips, objects, actions, renamed int
	moreAct, moreObj                       bool
	owner, system                          string
}

func (o *openAlert) listing() listing {
	return listing{len(o.actors), len(o.ips), len(o.objects), len(o.actions), o.renamed, o.moreAct, o.moreObj, o.owner, o.a.System}
}

func (o *openAlert) writePhrases(r *Rule) phrases {
	p := phrases{of: o.listing()}
	k, g := o.appendWho(cat(nil, "[", r.Title, "] "), cat(nil, "[", r.TitleEn, "] "))
	p.koHead, p.enHead = k, cat(g, "between ")
	k, g = cat(nil, " 사이 "), cat(nil, " ")
	if len(o.ips) > 0 {
		k, g = appendJoined(k, o.ips, ", "), appendJoined(cat(g, "from "), o.ips, ", ")
		if o.owner != "" {
			k, g = cat(k, "(", o.owner, ")"), cat(g, " (", o.ownerEn, ")")
		}
		k, g = cat(k, "에서 "), cat(g, " ")
	}
	k = cat(o.appendObjectsKo(cat(k, o.a.System, " ")), "에 ")
	p.koMid = cat(appendJoined(k, o.actions, "/"), " ")
	p.enMid = cat(appendJoined(g, o.actions, "/"), " ")
	p.enTail = o.appendObjectsEn(cat(nil, " on ", o.a.System, " "))
	return p
}

// appendWho names the accounts: "a(이름), b 계정이 ", "accounts a(이름), b ".
func (o *openAlert) appendWho(k, g []byte) ([]byte, []byte) {
	if len(o.actors) == 0 {
		return k, g
	}
	k = o.appendActors(k)
	if o.moreAct {
		k = cat(k, " 등 여러 계정이 ")
	} else {
		k = cat(k, " 계정이 ")
	}
	switch {
	case o.moreAct:
		g = cat(o.appendActors(cat(g, "accounts ")), " and others ")
	case len(o.actors) > 1:
		g = cat(o.appendActors(cat(g, "accounts ")), " ")
	default:
		g = cat(o.appendActors(cat(g, "account ")), " ")
	}
	return k, g
}

func (o *openAlert) appendActors(b []byte) []byte {
	for i, a := range o.actors {
		if i > 0 {
			b = cat(b, ", ")
		}
		b = cat(b, a)
		if n := o.names[a]; n != "" {
			b = cat(b, "(", n, ")")
		}
	}
	return b
}

func (o *openAlert) appendObjectsKo(b []byte) []byte {
	switch {
	case len(o.objects) == 0:
		return b
	case o.moreObj:
		return cat(strconv.AppendInt(cat(b, o.objects[0], " 등 "), maxObjects, 10), "개 이상 대상")
	case len(o.objects) > 1:
		return cat(strconv.AppendInt(cat(b, o.objects[0], " 등 "), int64(len(o.objects)), 10), "개 대상")
	}
	return cat(b, o.objects[0])
}

func (o *openAlert) appendObjectsEn(b []byte) []byte {
	switch {
	case len(o.objects) == 0:
		return b
	case o.moreObj:
		return cat(strconv.AppendInt(cat(b, o.objects[0], " and "), maxObjects-1, 10), "+ more objects")
	case len(o.objects) > 1:
		return cat(strconv.AppendInt(cat(b, o.objects[0], " and "), int64(len(o.objects)-1), 10), " more objects")
	}
	return cat(b, o.objects[0])
}

// appendAmounts writes " (rows, bytes, data subjects)" when every evidence
// record was noted here; otherwise (a window's earlier records) the rule's
// own measure says how much.
func (o *openAlert) appendAmounts(k, g []byte) ([]byte, []byte) {
	if o.n < o.a.RecordCount || o.rows <= 0 && o.bytes <= 0 && o.subj <= 0 {
		return k, g
	}
	sep := " ("
	for _, m := range [...]struct {
		field string
		n     int64
	}{{"result.rows", o.rows}, {"result.bytes", o.bytes}, {"subjects", o.subj}} {
		if m.n > 0 {
			k, g = appendAmount(cat(k, sep), cat(g, sep), m.field, float64(m.n))
			sep = ", "
		}
	}
	return cat(k, ")"), cat(g, ")")
}

// cat appends strings to b.
func cat(b []byte, ss ...string) []byte {
	for _, s := range ss {
		b = append(b, s...)
	}
	return b
}

func appendJoined(b []byte, ss []string, sep string) []byte {
	for i, s := range ss {
		if i > 0 {
			b = append(b, sep...)
		}
		b = append(b, s...)
	}
	return b
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func sortedKeys(m map[string]string) [][2]string {
	var out [][2]string
	for k, v := range m {
		out = append(out, [2]string{k, v})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// kstTime is an instant in Korea split into what summaries print.
type kstTime struct {
	year, day, hour, min int
	month                time.Month
}

func kstOf(t int64) kstTime {
	x := time.Unix(0, t).In(kst)
	y, m, d := x.Date()
	h, mi, _ := x.Clock()
	return kstTime{year: y, month: m, day: d, hour: h, min: mi}
}

func (t kstTime) sameDay(u kstTime) bool {
	return t.year == u.year && t.month == u.month && t.day == u.day
}

// appendKo writes "9월 24일 20:40".
func (t kstTime) appendKo(b []byte) []byte {
	b = cat(strconv.AppendInt(b, int64(t.month), 10), "월 ")
	b = cat(strconv.AppendInt(b, int64(t.day), 10), "일 ")
	return t.appendClock(b)
}

// appendEn writes "Sep 24 20:40".
func (t kstTime) appendEn(b []byte) []byte {
	b = cat(b, t.month.String()[:3], " ")
	return t.appendClock(cat(strconv.AppendInt(b, int64(t.day), 10), " "))
}

// appendClock writes "20:40".
func (t kstTime) appendClock(b []byte) []byte {
	return append(b, byte('0'+t.hour/10), byte('0'+t.hour%10), ':', byte('0'+t.min/10), byte('0'+t.min%10))
}

// appendKoSpan writes "9월 24일 20:40–21:15", or both dates when they differ.
func appendKoSpan(b []byte, x, y kstTime) []byte {
	b = cat(x.appendKo(b), "–")
	if x.sameDay(y) {
		return y.appendClock(b)
	}
	return y.appendKo(b)
}

// appendEnSpan writes "Sep 24 20:40–21:15 KST", or both dates when they
// differ.
func appendEnSpan(b []byte, x, y kstTime) []byte {
	b = cat(x.appendEn(b), "–")
	if x.sameDay(y) {
		return cat(y.appendClock(b), " KST")
	}
	return cat(y.appendEn(b), " KST")
}

// koCount writes a count the Korean way: 1,200 / 3,500만 / 1.2억.
func koCount(n int64) string { return string(appendKoCount(nil, n)) }

func appendKoCount(b []byte, n int64) []byte {
	switch {
	case n >= 100_000_000:
		return cat(appendTrimFloat(b, float64(n)/1e8), "억")
	case n >= 1_000_000:
		return cat(appendCommas(b, int64(float64(n)/1e4+0.5)), "만")
	case n >= 10_000:
		return cat(appendTrimFloat(b, float64(n)/1e4), "만")
	}
	return appendCommas(b, n)
}

func enCount(n int64) string { return string(appendEnCount(nil, n)) }

func appendEnCount(b []byte, n int64) []byte {
	switch {
	case n >= 1_000_000_000:
		return cat(appendTrimFloat(b, float64(n)/1e9), " billion")
	case n >= 1_000_000:
		return cat(appendTrimFloat(b, float64(n)/1e6), " million")
	}
	return appendCommas(b, n)
}

// appendTrimFloat writes f with one decimal, without a trailing ".0".
func appendTrimFloat(b []byte, f float64) []byte {
	b = strconv.AppendFloat(b, f, 'f', 1, 64)
	if bytes.HasSuffix(b, []byte(".0")) {
		b = b[:len(b)-2]
	}
	return b
}

// appendCommas writes n with thousands separators.
func appendCommas(b []byte, n int64) []byte {
	u := uint64(n)
	if n < 0 {
		b = append(b, '-')
		u = uint64(-n) // right for math.MinInt64 too
	}
	var d [20]byte
	digits := strconv.AppendUint(d[:0], u, 10)
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, c)
	}
	return b
}

func humanBytes(n int64) string { return string(appendHumanBytes(nil, n)) }

var byteUnits = [...]string{"KB", "MB", "GB", "TB", "PB"}

func appendHumanBytes(b []byte, n int64) []byte {
	const unit = 1024
	if n < unit {
		return cat(strconv.AppendInt(b, n, 10), " B")
	}
	f := float64(n) / unit
	i := 0
	for f >= unit && i < len(byteUnits)-1 {
		f /= unit
		i++
	}
	return cat(appendTrimFloat(b, f), " ", byteUnits[i])
}

// amount renders a measured quantity of a field in both languages.
func amount(field string, v float64) (ko, en string) {
	k, g := appendAmount(nil, nil, field, v)
	return string(k), string(g)
}

// appendAmount writes a measured quantity of a field in Korean to k and
// in English to g.
func appendAmount(k, g []byte, field string, v float64) ([]byte, []byte) {
	n := int64(v + 0.5)
	switch field {
	case "result.rows":
		return cat(appendKoCount(k, n), "행"), cat(appendEnCount(g, n), " rows")
	case "result.bytes":
		return appendHumanBytes(k, n), appendHumanBytes(g, n)
	case "subjects", "subject_count":
		return cat(appendKoCount(cat(k, "정보주체 "), n), "명"), cat(appendEnCount(g, n), " data subjects")
	case "":
		return cat(appendKoCount(k, n), "건"), cat(appendEnCount(g, n), " records")
	}
	return appendKoCount(k, n), appendEnCount(g, n)
}

func koDuration(d time.Duration) string { return string(appendKoDuration(nil, d)) }

// appendKoDuration writes "3일", "1시간" or "30분".
func appendKoDuration(b []byte, d time.Duration) []byte {
	switch {
	case d%(24*time.Hour) == 0:
		return cat(strconv.AppendInt(b, int64(d/(24*time.Hour)), 10), "일")
	case d%time.Hour == 0:
		return cat(strconv.AppendInt(b, int64(d/time.Hour), 10), "시간")
	}
	return cat(strconv.AppendInt(b, int64(d/time.Minute), 10), "분")
}

func enDuration(d time.Duration) string { return string(appendEnDuration(nil, d)) }

// appendEnDuration writes "3 days", "1 hour" or "30 min".
func appendEnDuration(b []byte, d time.Duration) []byte {
	switch {
	case d%(24*time.Hour) == 0:
		n := int(d / (24 * time.Hour))
		return cat(strconv.AppendInt(b, int64(n), 10), " ", plural(n, "day", "days"))
	case d%time.Hour == 0:
		n := int(d / time.Hour)
		return cat(strconv.AppendInt(b, int64(n), 10), " ", plural(n, "hour", "hours"))
	}
	return cat(strconv.AppendInt(b, int64(d/time.Minute), 10), " min")
}
