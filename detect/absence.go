package detect

import (
	"fmt"
	"slices"
	"strings"
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
	name    string
	last    int64
	id      string
	alerted bool
	// expected is the directory's expected_silence when last read, and
	// expectedGap its value (0 when it does not parse): absence is checked
	// every minute.
	expected    string
	expectedGap time.Duration
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
		s = &sysState{name: ev.rec.System}
		rr.sys[s.name] = s
		i, _ := slices.BinarySearchFunc(rr.sysOrder, s.name, func(x *sysState, name string) int { return strings.Compare(x.name, name) })
		rr.sysOrder = slices.Insert(rr.sysOrder, i, s)
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
		for _, s := range rr.sysOrder {
			if s.alerted {
				continue
			}
			silence := e.silenceOf(rr.r, s)
			if silence <= 0 || now-s.last <= int64(silence) {
				continue
			}
			s.alerted = true
			gap := time.Duration(now - s.last).Round(time.Minute)
			rr.fire(s.name, &finding{keys: map[string]string{"system": s.name}, t: now, first: s.last, ids: []string{s.id},
				why: wording{
					fmt.Sprintf("%s 동안 기록 없음 (평소 최대 간격 %s)", koGap(gap), koGap(silence)),
					fmt.Sprintf("no records for %s (expected gap at most %s)", enGap(gap), enGap(silence))}})
		}
	}
}

// silenceOf is how long system s may be silent: the directory's
// expected_silence when it gives a valid one, else the rule's.
func (e *Engine) silenceOf(r *Rule, s *sysState) time.Duration {
	if e.dir == nil {
		return r.silence
	}
	sys := e.dir.System(s.name)
	if sys == nil || sys.ExpectedSilence == "" {
		return r.silence
	}
	if sys.ExpectedSilence != s.expected {
		d, err := directory.ParseDuration(sys.ExpectedSilence)
		if err != nil {
			d = 0
		}
		s.expected, s.expectedGap = sys.ExpectedSilence, d
	}
	if s.expectedGap > 0 {
		return s.expectedGap
	}
	return r.silence
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
