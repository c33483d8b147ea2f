package detect

import (
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
	seen        map[string]struct{}
	noted       map[string]struct{} // records described (note), bounded by maxSeen
	emitted     int64               // event time of the last emission; 0 never
	dirty       bool                // changed since

	actors  []string // up to maxListed
	moreAct bool     // and others
	names   map[string]string
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
	ko, en  string // kind-specific amount and comparison
}

const maxListed = 3

// maxObjects is how many distinct objects an alert counts exactly.
const maxObjects = 100

func addListed(xs []string, x string, max int) ([]string, bool) {
	if x == "" || slices.Contains(xs, x) {
		return xs, false
	}
	if len(xs) >= max {
		return xs, true
	}
	return append(xs, x), true
}

// first_ reports whether record id is not yet described, and marks it.
func (o *openAlert) firstNote(id string) bool {
	if o.noted == nil {
		o.noted = map[string]struct{}{}
	}
	if _, ok := o.noted[id]; ok {
		return false
	}
	if len(o.noted) < maxSeen {
		o.noted[id] = struct{}{}
	}
	return true
}

// note adds one evidence record to the alert's description.
func (o *openAlert) note(e *Engine, ev *event) {
	r := ev.rec
	o.n++
	if o.a.System == "" {
		o.a.System = r.System
	}
	var added bool
	if o.actors, added = addListed(o.actors, r.Actor.ID, maxListed); added && !slices.Contains(o.actors, r.Actor.ID) {
		o.moreAct = true
	}
	if p := ev.actor(); p != nil && p.Name != "" {
		if o.names == nil {
			o.names = map[string]string{}
		}
		o.names[r.Actor.ID] = p.Name
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
	if o.objects, added = addListed(o.objects, r.Target.Object, maxObjects); added && len(o.objects) == maxObjects && !slices.Contains(o.objects, r.Target.Object) {
		o.moreObj = true
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

// summarise writes the alert's reason in Korean and English.
func (o *openAlert) summarise(r *Rule) (ko, en string) {
	var k, g strings.Builder
	fmt.Fprintf(&k, "[%s] ", r.Title)
	fmt.Fprintf(&g, "[%s] ", r.TitleEn)
	who := func(lang string) string {
		if len(o.actors) == 0 {
			return ""
		}
		parts := make([]string, len(o.actors))
		for i, a := range o.actors {
			if n := o.names[a]; n != "" {
				parts[i] = a + "(" + n + ")"
			} else {
				parts[i] = a
			}
		}
		if lang == "ko" {
			if o.moreAct {
				return strings.Join(parts, ", ") + " 등 여러 계정이 "
			}
			return strings.Join(parts, ", ") + " 계정이 "
		}
		switch {
		case o.moreAct:
			return "accounts " + strings.Join(parts, ", ") + " and others "
		case len(parts) > 1:
			return "accounts " + strings.Join(parts, ", ") + " "
		}
		return "account " + strings.Join(parts, ", ") + " "
	}
	if o.n == 0 {
		// No record to describe (absence): the entity and the times say it.
		for _, kv := range sortedKeys(o.a.Keys) {
			fmt.Fprintf(&k, "%s=%s ", kv[0], kv[1])
			fmt.Fprintf(&g, "%s=%s ", kv[0], kv[1])
		}
		fmt.Fprintf(&k, "%s 이후 ", koTime(o.first))
		fmt.Fprintf(&g, "since %s ", enTime(o.first))
		k.WriteString(o.ko)
		g.WriteString(o.en)
		return strings.TrimSpace(k.String()), strings.TrimSpace(g.String())
	}
	k.WriteString(who("ko"))
	g.WriteString(who("en"))
	fmt.Fprintf(&k, "%s 사이 ", koSpan(o.first, o.last))
	fmt.Fprintf(&g, "between %s ", enSpan(o.first, o.last))
	if len(o.ips) > 0 {
		ips := strings.Join(o.ips, ", ")
		if o.owner != "" {
			fmt.Fprintf(&k, "%s(%s)에서 ", ips, o.owner)
			fmt.Fprintf(&g, "from %s (%s) ", ips, o.ownerEn)
		} else {
			fmt.Fprintf(&k, "%s에서 ", ips)
			fmt.Fprintf(&g, "from %s ", ips)
		}
	}
	obj := ""
	objEn := ""
	if len(o.objects) > 0 {
		obj = o.objects[0]
		objEn = o.objects[0]
		switch {
		case o.moreObj:
			obj = fmt.Sprintf("%s 등 %d개 이상 대상", o.objects[0], maxObjects)
			objEn = fmt.Sprintf("%s and %d+ more objects", o.objects[0], maxObjects-1)
		case len(o.objects) > 1:
			obj = fmt.Sprintf("%s 등 %d개 대상", o.objects[0], len(o.objects))
			objEn = fmt.Sprintf("%s and %d more objects", o.objects[0], len(o.objects)-1)
		}
	}
	fmt.Fprintf(&k, "%s %s에 %s %s건", o.a.System, obj, strings.Join(o.actions, "/"), koCount(int64(o.a.RecordCount)))
	fmt.Fprintf(&g, "%s %s %s on %s %s", strings.Join(o.actions, "/"), enCount(int64(o.a.RecordCount)), plural(o.a.RecordCount, "time", "times"), o.a.System, objEn)
	var amt, amtEn []string
	if o.n < o.a.RecordCount {
		// Not every evidence record was seen here (a window's earlier
		// records): the rule's own measure says how much.
	} else if o.rows > 0 {
		amt = append(amt, koCount(o.rows)+"행")
		amtEn = append(amtEn, enCount(o.rows)+" rows")
	}
	if o.n >= o.a.RecordCount && o.bytes > 0 {
		amt = append(amt, humanBytes(o.bytes))
		amtEn = append(amtEn, humanBytes(o.bytes))
	}
	if o.n >= o.a.RecordCount && o.subj > 0 {
		amt = append(amt, "정보주체 "+koCount(o.subj)+"명")
		amtEn = append(amtEn, enCount(o.subj)+" data subjects")
	}
	if len(amt) > 0 {
		fmt.Fprintf(&k, " (%s)", strings.Join(amt, ", "))
		fmt.Fprintf(&g, " (%s)", strings.Join(amtEn, ", "))
	}
	if o.ko != "" {
		k.WriteString(" — " + o.ko)
		g.WriteString(" — " + o.en)
	}
	return k.String(), g.String()
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

func koTime(t int64) string {
	x := time.Unix(0, t).In(kst)
	return fmt.Sprintf("%d월 %d일 %02d:%02d", x.Month(), x.Day(), x.Hour(), x.Minute())
}

func enTime(t int64) string { return time.Unix(0, t).In(kst).Format("Jan 2 15:04 KST") }

func koSpan(a, b int64) string {
	x, y := time.Unix(0, a).In(kst), time.Unix(0, b).In(kst)
	if x.YearDay() == y.YearDay() && x.Year() == y.Year() {
		return fmt.Sprintf("%d월 %d일 %02d:%02d–%02d:%02d", x.Month(), x.Day(), x.Hour(), x.Minute(), y.Hour(), y.Minute())
	}
	return koTime(a) + "–" + koTime(b)
}

func enSpan(a, b int64) string {
	x, y := time.Unix(0, a).In(kst), time.Unix(0, b).In(kst)
	if x.YearDay() == y.YearDay() && x.Year() == y.Year() {
		return x.Format("Jan 2 15:04") + "–" + y.Format("15:04 KST")
	}
	return x.Format("Jan 2 15:04") + "–" + y.Format("Jan 2 15:04 KST")
}

// koCount writes a count the Korean way: 1,200 / 3,500만 / 1.2억.
func koCount(n int64) string {
	switch {
	case n >= 100_000_000:
		return trimFloat(float64(n)/1e8) + "억"
	case n >= 1_000_000:
		return commas(int64(float64(n)/1e4+0.5)) + "만"
	case n >= 10_000:
		return trimFloat(float64(n)/1e4) + "만"
	}
	return commas(n)
}

func enCount(n int64) string {
	switch {
	case n >= 1_000_000_000:
		return trimFloat(float64(n)/1e9) + " billion"
	case n >= 1_000_000:
		return trimFloat(float64(n)/1e6) + " million"
	}
	return commas(n)
}

func trimFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"KB", "MB", "GB", "TB", "PB"}
	f := float64(n) / unit
	i := 0
	for f >= unit && i < len(units)-1 {
		f /= unit
		i++
	}
	return trimFloat(f) + " " + units[i]
}

// amount renders a measured quantity of a field in both languages.
func amount(field string, v float64) (ko, en string) {
	n := int64(v + 0.5)
	switch field {
	case "result.rows":
		return koCount(n) + "행", enCount(n) + " rows"
	case "result.bytes":
		return humanBytes(n), humanBytes(n)
	case "subjects", "subject_count":
		return "정보주체 " + koCount(n) + "명", enCount(n) + " data subjects"
	case "":
		return koCount(n) + "건", enCount(n) + " records"
	}
	return koCount(n), enCount(n)
}

func koDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "일"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "시간"
	}
	return strconv.Itoa(int(d/time.Minute)) + "분"
}

func enDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		n := int(d / (24 * time.Hour))
		return strconv.Itoa(n) + " " + plural(n, "day", "days")
	case d%time.Hour == 0:
		n := int(d / time.Hour)
		return strconv.Itoa(n) + " " + plural(n, "hour", "hours")
	}
	return strconv.Itoa(int(d/time.Minute)) + " min"
}
