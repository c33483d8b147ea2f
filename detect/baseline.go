package detect

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Baseline rules (jikimi kind baseline) sum a field (or count records) per
// group-by key in buckets of an hour or a day of Korean time, and alert
// when the current bucket is far above the key's own history and, when
// jikimi.peer names a field, its peer group's:
//
//	limit = max(median + k·1.4826·MAD, factor·median, min_value)
//
// over the last `history` buckets of the same season slot (every bucket,
// the same weekday, or the same hour of the week). Median and MAD are
// robust: one earlier spike does not raise the limit. Without min_history
// buckets of its own the key is judged against its peers alone (a new
// employee); without either, nothing is judged.

const peerHistory = 512
const bucketIDs = 16 // evidence ids kept per bucket

type baselineState struct {
	bucket int64 // index of the current bucket
	cur    float64
	ids    []idWeight // evidence of the current bucket, at most bucketIDs
	heavy  bool       // the bucket has a record weighing a tenth of the limit
	fired  bool       // the bucket passed its limit
	limit  float64    // for the current bucket; -1 not computed, +Inf no basis
	why    string
	whyEn  string
	hist   []float32 // slots × history, ring per slot
	cnt    []uint32  // values pushed per slot
}

type idWeight struct {
	id    string
	heavy bool
}

type peerState struct {
	vals []float32
	n    int
	last int64
}

func (r *Rule) slots() int {
	switch r.season {
	case "day_of_week":
		return 7
	case "hour_of_week":
		return 168
	}
	return 1
}

func (r *Rule) bucketOf(t int64) int64 { return (t + int64(9*time.Hour)) / int64(r.bucket) }

func (r *Rule) slotOf(b int64) int {
	switch r.season {
	case "day_of_week":
		return int((b + 4) % 7) // 1970-01-01 was a Thursday
	case "hour_of_week":
		return int((b + 4*24) % 168)
	}
	return 0
}

func (st *baselineState) push(r *Rule, b int64, v float64) {
	s := r.slotOf(b)
	st.hist[s*r.history+int(st.cnt[s]%uint32(r.history))] = float32(v)
	st.cnt[s]++
}

func (rr *ruleRun) baselineAdd(en *entity, ev *event) {
	r := rr.r
	v := 1.0
	if r.fieldGet != nil {
		x := r.fieldGet(ev)
		if x.kind != vNumber {
			return
		}
		v = x.n
	}
	st := en.bl
	b := r.bucketOf(ev.t)
	var peer *peerState
	if r.peerGet != nil {
		if pv := r.peerGet(ev); pv.kind != vMissing {
			k := pv.text()
			peer = rr.peers[k]
			if peer == nil && len(rr.peers) < 10000 {
				peer = &peerState{vals: make([]float32, 0, 16)}
				rr.peers[k] = peer
			}
		}
	}
	if st == nil {
		st = &baselineState{bucket: b, limit: -1, hist: make([]float32, r.slots()*r.history), cnt: make([]uint32, r.slots())}
		en.bl = st
	}
	if b > st.bucket {
		st.push(r, st.bucket, st.cur)
		if peer != nil && st.cur > 0 {
			peer.add(st.cur)
		}
		gap := b - st.bucket - 1
		if lim := int64(r.slots() * r.history); gap > lim {
			gap = lim
		}
		for i := b - gap; i < b; i++ {
			st.push(r, i, 0)
		}
		st.bucket, st.cur, st.ids, st.limit, st.heavy, st.fired = b, 0, st.ids[:0], -1, false, false
	}
	if peer != nil {
		peer.last = ev.t
	}
	st.cur += v
	if st.limit < 0 {
		st.limit, st.why, st.whyEn = rr.limit(st, b, peer)
	}
	// A record that carries weight is at least a tenth of the limit on its
	// own: when the bucket has such records they are the evidence, so the
	// day's ordinary traffic does not bury the spike; when the limit is
	// passed by many small records, those are.
	weighty := r.fieldGet != nil && v*10 >= st.limit
	st.heavy = st.heavy || weighty
	switch {
	case len(st.ids) < bucketIDs:
		st.ids = append(st.ids, idWeight{ev.rec.ID, weighty})
	case weighty:
		if i := slices.IndexFunc(st.ids, func(x idWeight) bool { return !x.heavy }); i >= 0 {
			st.ids[i] = idWeight{ev.rec.ID, true}
		}
	}
	if st.cur < st.limit || v <= 0 {
		return
	}
	var ids []string
	if !st.fired {
		for _, x := range st.ids {
			if x.heavy || !st.heavy {
				ids = append(ids, x.id)
			}
		}
		st.fired = true
	} else if weighty || !st.heavy {
		ids = []string{ev.rec.ID}
	} else {
		return
	}
	period, periodEn := "하루", "day"
	if r.bucket == time.Hour {
		period, periodEn = "1시간", "hour"
	}
	got, gotEn := amount(r.field, st.cur)
	f := &finding{ev: ev, t: ev.t, first: ev.t, ids: ids}
	f.why = wording{fmt.Sprintf("%s 합계 %s (%s)", period, got, st.why), fmt.Sprintf("%s in one %s (%s)", gotEn, periodEn, st.whyEn)}
	rr.fire(en.key, f)
}

func (p *peerState) add(v float64) {
	if len(p.vals) < peerHistory {
		p.vals = append(p.vals, float32(v))
	} else {
		p.vals[p.n%peerHistory] = float32(v)
	}
	p.n++
}

// limit computes the current bucket's limit and how to say it.
func (rr *ruleRun) limit(st *baselineState, b int64, peer *peerState) (float64, string, string) {
	r := rr.r
	s := r.slotOf(b)
	n := int(min(st.cnt[s], uint32(r.history)))
	lim := math.Inf(1)
	var ko, en string
	if n >= r.minHistory {
		vals := st.hist[s*r.history : s*r.history+n]
		med, mad, mx := robust(vals)
		lim = max(med+r.k*1.4826*mad, r.factor*med, r.minValue)
		a, aEn := amount(r.field, med)
		m, mEn := amount(r.field, mx)
		l, lEn := amount(r.field, lim)
		ko = fmt.Sprintf("평소 중앙값 %s, 최대 %s, 기준 %s", a, m, l)
		en = fmt.Sprintf("usually median %s, at most %s; limit %s", aEn, mEn, lEn)
	}
	if peer != nil && len(peer.vals) >= r.minHistory {
		med, mad, _ := robust(peer.vals)
		pl := max(med+r.k*1.4826*mad, r.factor*med, r.minValue)
		a, aEn := amount(r.field, med)
		if math.IsInf(lim, 1) {
			lim = pl
			l, lEn := amount(r.field, pl)
			ko = fmt.Sprintf("자기 이력이 짧아 같은 %s 집단과 비교: 중앙값 %s, 기준 %s", r.peer, a, l)
			en = fmt.Sprintf("too little own history, compared with peers by %s: median %s, limit %s", r.peer, aEn, lEn)
		} else if pl > lim {
			lim = pl
			l, lEn := amount(r.field, pl)
			ko += fmt.Sprintf("; 같은 %s 집단 중앙값 %s, 기준 %s", r.peer, a, l)
			en += fmt.Sprintf("; peers by %s median %s, limit %s", r.peer, aEn, lEn)
		}
	}
	return lim, ko, en
}

// robust returns the median, the median absolute deviation and the
// maximum of vals.
func robust(vals []float32) (med, mad, mx float64) {
	if len(vals) == 0 {
		return 0, 0, 0
	}
	xs := make([]float64, len(vals))
	for i, v := range vals {
		xs[i] = float64(v)
		mx = max(mx, xs[i])
	}
	slices.Sort(xs)
	med = median(xs)
	for i := range xs {
		xs[i] = math.Abs(xs[i] - med)
	}
	slices.Sort(xs)
	return med, median(xs), mx
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
