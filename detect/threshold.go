package detect

import "fmt"

// Threshold rules are Sigma correlations of type event_count (records),
// value_count (distinct values of a field) and value_sum (a jikimi
// extension: the sum of a numeric field), over a sliding window of
// correlation.timespan per group-by key.

// maxWindowEntries bounds one entity's window; past it the oldest entries
// are dropped (the count then undercounts, never overcounts).
const maxWindowEntries = 1 << 16 // a power of two, as every ring size

type winEntry struct {
	t  int64
	v  float64
	s  string // distinct value (value_count)
	id string
}

type window struct {
	q        []winEntry // ring buffer in time order
	head, n  int
	sum      float64
	distinct map[string]int32
	firing   bool
}

func (w *window) at(i int) *winEntry { return &w.q[(w.head+i)&(len(w.q)-1)] }

func (w *window) push(x winEntry) {
	if w.n == len(w.q) {
		if len(w.q) >= maxWindowEntries {
			w.popFront()
		} else {
			nq := make([]winEntry, max(1, 2*len(w.q)))
			for i := 0; i < w.n; i++ {
				nq[i] = *w.at(i)
			}
			w.q, w.head = nq, 0
		}
	}
	w.q[(w.head+w.n)&(len(w.q)-1)] = x
	w.n++
	w.sum += x.v
	if w.distinct != nil {
		w.distinct[x.s]++
	}
}

func (w *window) popFront() {
	x := w.at(0)
	w.sum -= x.v
	if w.distinct != nil {
		if c := w.distinct[x.s] - 1; c <= 0 {
			delete(w.distinct, x.s)
		} else {
			w.distinct[x.s] = c
		}
	}
	*x = winEntry{}
	w.head = (w.head + 1) & (len(w.q) - 1)
	w.n--
}

// thresholdAdd adds evidence (a record, or a finding of a referenced rule)
// to the entity's window and fires while the condition holds.
func (rr *ruleRun) thresholdAdd(en *entity, ev *event, t, first int64, id string, ids []string) {
	r := rr.r
	w := &en.win
	if w.distinct == nil && r.corrType == "value_count" {
		w.distinct = map[string]int32{}
	}
	for w.n > 0 && w.at(0).t < t-int64(r.timespan) {
		w.popFront()
	}
	if w.n == 0 {
		w.firing = false
	}
	if id == "" && len(ids) > 0 {
		id = ids[len(ids)-1]
	}
	switch r.corrType {
	case "event_count":
		w.push(winEntry{t: first, v: 1, id: id})
	case "value_sum":
		if ev == nil {
			return
		}
		v := r.fieldGet(ev)
		if v.kind != vNumber {
			return
		}
		w.push(winEntry{t: first, v: v.n, id: id})
	case "value_count":
		if ev == nil {
			return
		}
		switch v := r.fieldGet(ev); v.kind {
		case vMissing:
		case vList:
			for _, s := range v.ss {
				w.push(winEntry{t: first, v: 1, s: s, id: id})
			}
		case vString:
			w.push(winEntry{t: first, v: 1, s: v.s, id: id})
		default:
			w.push(winEntry{t: first, v: 1, s: v.text(), id: id})
		}
	}
	var got float64
	switch r.corrType {
	case "event_count":
		got = float64(w.n)
	case "value_sum":
		got = w.sum
	case "value_count":
		got = float64(len(w.distinct))
	}
	if !r.cmp.match(num(got)) {
		w.firing = false
		return
	}
	f := &finding{ev: ev, t: t, first: first}
	if !w.firing {
		// First crossing: the whole window is the evidence.
		w.firing = true
		f.first = w.at(0).t
		f.ids = make([]string, 0, min(w.n, 1000))
		last := ""
		for i := 0; i < w.n && len(f.ids) < 1000; i++ {
			if x := w.at(i); x.id != last && x.id != "" {
				f.ids = append(f.ids, x.id)
				last = x.id
			}
		}
	} else if ids != nil {
		f.ids = ids
	} else {
		f.ids = []string{id}
	}
	what, whatEn := amount(r.field, got)
	if r.corrType == "value_count" {
		what, whatEn = distinctAmount(r.field, got)
	}
	limit, limitEn := amount(r.field, r.cmp.n)
	if r.corrType == "value_count" {
		limit, limitEn = distinctAmount(r.field, r.cmp.n)
	}
	f.ko = fmt.Sprintf("%s 동안 %s (기준 %s 이상)", koDuration(r.timespan), what, limit)
	f.en = fmt.Sprintf("%s within %s (threshold %s)", whatEn, enDuration(r.timespan), limitEn)
	rr.fire(en.key, f)
}

func distinctAmount(field string, v float64) (string, string) {
	n := int64(v + 0.5)
	switch field {
	case "subjects":
		return "서로 다른 정보주체 " + koCount(n) + "명", enCount(n) + " distinct data subjects"
	case "actor.id":
		return "서로 다른 계정 " + koCount(n) + "개", enCount(n) + " distinct accounts"
	}
	return fmt.Sprintf("서로 다른 %s 값 %s개", field, koCount(n)), fmt.Sprintf("%s distinct values of %s", enCount(n), field)
}
