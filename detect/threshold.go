package detect

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
	f.why = windowReason{r, got}
	rr.fire(en.key, f)
}

// windowReason is a window's measure against the rule's threshold.
type windowReason struct {
	r   *Rule
	got float64
}

// appendTo writes "1시간 동안 서로 다른 정보주체 150명 (기준 서로 다른
// 정보주체 100명 이상)".
func (w windowReason) appendTo(k, g []byte) ([]byte, []byte) {
	r := w.r
	measure := appendAmount
	if r.corrType == "value_count" {
		measure = appendDistinct
	}
	k = cat(appendKoDuration(k, r.timespan), " 동안 ")
	k, g = measure(k, g, r.field, w.got)
	k = cat(k, " (기준 ")
	g = cat(appendEnDuration(cat(g, " within "), r.timespan), " (threshold ")
	k, g = measure(k, g, r.field, r.cmp.n)
	return cat(k, " 이상)"), cat(g, ")")
}

// appendDistinct writes a count of distinct values of a field, as
// appendAmount does a quantity.
func appendDistinct(k, g []byte, field string, v float64) ([]byte, []byte) {
	n := int64(v + 0.5)
	switch field {
	case "subjects":
		return cat(appendKoCount(cat(k, "서로 다른 정보주체 "), n), "명"), cat(appendEnCount(g, n), " distinct data subjects")
	case "actor.id":
		return cat(appendKoCount(cat(k, "서로 다른 계정 "), n), "개"), cat(appendEnCount(g, n), " distinct accounts")
	}
	return cat(appendKoCount(cat(k, "서로 다른 ", field, " 값 "), n), "개"), cat(appendEnCount(g, n), " distinct values of ", field)
}
