package detect

import (
	"fmt"
	"slices"
	"time"

	"github.com/jikimi/jikimi/directory"
)

// Absence rules (jikimi kind absence) alert when a system that has sent
// records falls silent for longer than its expected_silence in the
// directory (or jikimi.silence when the directory gives none). "Now" is the
// latest event time evaluated, never the wall clock: the check runs as
// records arrive, on Advance and on Flush. The rule's detection, when
// given, selects which records count as signs of life.

type sysState struct {
	last    int64
	id      string
	alerted bool
}

// maxSystems bounds the systems an absence rule follows.
const maxSystems = 10000

// alive notes a sign of life of a system.
func (rr *ruleRun) alive(ev *event) {
	if rr.sys == nil {
		rr.sys = map[string]*sysState{}
	}
	s := rr.lastSys
	if s == nil || rr.lastName != ev.rec.System {
		s = rr.sys[ev.rec.System]
	}
	if s == nil {
		if len(rr.sys) >= maxSystems {
			return
		}
		s = &sysState{}
		rr.sys[ev.rec.System] = s
		i, _ := slices.BinarySearch(rr.sysNames, ev.rec.System)
		rr.sysNames = slices.Insert(rr.sysNames, i, ev.rec.System)
	}
	rr.lastSys, rr.lastName = s, ev.rec.System
	if ev.t >= s.last {
		s.last, s.id, s.alerted = ev.t, ev.rec.ID, false
	}
}

// checkAbsence alerts for the systems silent longer than allowed at now.
func (e *Engine) checkAbsence(now int64) {
	for _, rr := range e.runs {
		if rr.r.Kind != KindAbsence {
			continue
		}
		for _, n := range rr.sysNames {
			s := rr.sys[n]
			if s.alerted {
				continue
			}
			silence := rr.r.silence
			if e.dir != nil {
				if sys := e.dir.System(n); sys != nil && sys.ExpectedSilence != "" {
					if d, err := directory.ParseDuration(sys.ExpectedSilence); err == nil && d > 0 {
						silence = d
					}
				}
			}
			if silence <= 0 || now-s.last <= int64(silence) {
				continue
			}
			s.alerted = true
			gap := time.Duration(now - s.last).Round(time.Minute)
			rr.fire(n, &finding{keys: map[string]string{"system": n}, t: now, first: s.last, ids: []string{s.id},
				why: wording{
					fmt.Sprintf("%s 동안 기록 없음 (평소 최대 간격 %s)", koGap(gap), koGap(silence)),
					fmt.Sprintf("no records for %s (expected gap at most %s)", enGap(gap), enGap(silence))}})
		}
	}
}

func koGap(d time.Duration) string {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%d분", m)
	case m == 0:
		return fmt.Sprintf("%d시간", h)
	}
	return fmt.Sprintf("%d시간 %d분", h, m)
}

func enGap(d time.Duration) string {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}
