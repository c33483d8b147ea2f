package detect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jikimi/jikimi/record"
)

// Sequence rules are Sigma correlations of type temporal_ordered: the
// referenced rules must fire in the order listed, for the same group-by
// key, all within correlation.timespan of the first.

type seqState struct {
	step int   // steps done
	t0   int64 // time of the first step
	ids  []string
	// recs are a few records of the steps, so that the alert can say who
	// did what in every step, not only the last.
	recs []*record.Record
}

// seqRecords bounds the records a sequence keeps per entity.
const seqRecords = 8

func (rr *ruleRun) sequenceStep(en *entity, f *finding, k int) {
	r := rr.r
	st := en.seq
	if st == nil {
		st = &seqState{}
		en.seq = st
	}
	if st.step > 0 && f.t-st.t0 > int64(r.timespan) {
		st.step, st.ids = 0, st.ids[:0]
		clear(st.recs)
		st.recs = st.recs[:0]
	}
	switch {
	case k == 0 && st.step == 0:
		st.step, st.t0 = 1, f.first
	case k == st.step && k < len(r.refRules):
		st.step++
	case k < st.step:
		// more evidence for a step already done
	default:
		return // out of order
	}
	for _, id := range f.ids {
		if len(st.ids) < 1000 && !slices.Contains(st.ids, id) {
			st.ids = append(st.ids, id)
		}
	}
	if f.ev != nil && len(st.recs) < seqRecords && !slices.Contains(st.recs, f.ev.rec) {
		st.recs = append(st.recs, f.ev.rec)
	}
	if st.step < len(r.refRules) {
		return
	}
	names := make([]string, len(r.refRules))
	namesEn := make([]string, len(r.refRules))
	for i, b := range r.refRules {
		names[i], namesEn[i] = b.Title, b.TitleEn
	}
	rr.fire(en.key, &finding{ev: f.ev, keys: f.keys, t: f.t, first: st.t0, ids: slices.Clone(st.ids), recs: st.recs,
		why: wording{fmt.Sprintf("%s 순서로 %s 안에 일어남", strings.Join(names, " → "), koDuration(r.timespan)),
			fmt.Sprintf("%s, in this order within %s", strings.Join(namesEn, " → "), enDuration(r.timespan))}})
}
