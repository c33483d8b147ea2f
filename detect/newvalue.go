package detect

import (
	"fmt"
	"strings"
)

// New-value rules (jikimi kind new_value) alert when a field takes a value
// not seen for the same group-by key within jikimi.lookback. Nothing is
// reported during jikimi.learn after the engine's first record (of any
// rule), while every key is still new.

// maxValues bounds the values remembered per key; the least recently seen
// is forgotten first.
const maxValues = 64

type newValueState struct {
	vals map[string]int64 // value → last seen
}

func (rr *ruleRun) newValue(en *entity, ev *event) {
	r := rr.r
	v := r.fieldGet(ev)
	if v.kind == vMissing {
		return
	}
	st := en.nv
	if st == nil {
		st = &newValueState{vals: map[string]int64{}}
		en.nv = st
	}
	v.each(func(s string) {
		last, ok := st.vals[s]
		known := ok && ev.t-last <= int64(r.lookback)
		if !ok && len(st.vals) >= maxValues {
			oldK, oldT := "", int64(1<<62)
			for k, t := range st.vals {
				if t < oldT || t == oldT && k < oldK {
					oldK, oldT = k, t
				}
			}
			delete(st.vals, oldK)
		}
		n := len(st.vals)
		st.vals[s] = ev.t
		if known || ev.t-rr.e.first < int64(r.learn) {
			return
		}
		seen := make([]string, 0, 3)
		for k := range st.vals {
			if k != s && len(seen) < 3 {
				seen = append(seen, k)
			}
		}
		f := &finding{ev: ev, t: ev.t, first: ev.t, ids: []string{ev.rec.ID}}
		if n == 0 {
			f.why = wording{fmt.Sprintf("처음 보는 %s 값 %s (이전 기록 없음)", r.field, s), fmt.Sprintf("new %s %s (none seen before)", r.field, s)}
		} else {
			list := strings.Join(sorted(seen), ", ")
			f.why = wording{fmt.Sprintf("처음 보는 %s 값 %s (지난 %s 동안 본 값 %d개: %s)", r.field, s, koDuration(r.lookback), n, list),
				fmt.Sprintf("new %s %s (%d seen within %s: %s)", r.field, s, n, enDuration(r.lookback), list)}
		}
		rr.fire(en.key, f)
	})
}
