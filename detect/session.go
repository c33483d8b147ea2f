package detect

import (
	"time"

	"github.com/jikimi/jikimi/record"
)

// Sessions and customer identities. An access whose auth.session never
// appeared in a successful login of the same system is sessionless; a
// customer account that never logged in to the system is an unknown
// identity. What was seen is kept for sessionTTL (customers: identityTTL)
// after its last use. During warmUp after a system's first record, sessions
// opened before jikimi started are given the benefit of the doubt.
const (
	sessionTTL  = 24 * time.Hour
	identityTTL = 90 * 24 * time.Hour
	warmUp      = time.Hour
	// maxSessions bounds each generation; past it the older generation is
	// dropped early.
	maxSessions = 1 << 21
)

type pair struct{ a, b string }

type sessionTracker struct {
	sessions  generations // system, session → last use
	customers generations // system, actor → last login
	firstSeen map[string]int64
}

func newSessionTracker() *sessionTracker {
	return &sessionTracker{sessions: newGenerations(sessionTTL), customers: newGenerations(identityTTL), firstSeen: map[string]int64{}}
}

// generations is a map whose entries live between ttl and 2·ttl after
// their last use: it is kept as two maps, the current one and the one
// before, and the older is dropped whole every ttl. No scan, no per-entry
// timer.
type generations struct {
	ttl       int64
	cur, prev map[pair]int64
	since     int64 // when cur was started
}

func newGenerations(ttl time.Duration) generations {
	return generations{ttl: int64(ttl), cur: map[pair]int64{}, prev: map[pair]int64{}}
}

func (g *generations) get(k pair) (int64, bool) {
	if t, ok := g.cur[k]; ok {
		return t, true
	}
	t, ok := g.prev[k]
	return t, ok
}

func (g *generations) put(k pair, t int64) {
	if len(g.cur) >= maxSessions {
		g.rotate(t)
	}
	g.cur[k] = t
}

func (g *generations) rotate(now int64) {
	g.prev, g.cur, g.since = g.cur, make(map[pair]int64, len(g.cur)/2), now
}

func (g *generations) sweep(now int64) {
	if g.since == 0 {
		g.since = now
	}
	if now-g.since >= g.ttl {
		g.rotate(now)
	}
}

func (s *sessionTracker) observe(ev *event) {
	r := ev.rec
	if _, ok := s.firstSeen[r.System]; !ok && len(s.firstSeen) < maxSystems {
		s.firstSeen[r.System] = ev.t
	}
	if r.Action == record.Login && r.Status() == "ok" {
		if r.Auth.Session != "" {
			s.sessions.put(pair{r.System, r.Auth.Session}, ev.t)
		}
		if r.ActorType() == "customer" {
			s.customers.put(pair{r.System, r.Actor.ID}, ev.t)
		}
	}
}

func (s *sessionTracker) warming(ev *event) bool {
	f, ok := s.firstSeen[ev.rec.System]
	return ok && ev.t-f < int64(warmUp)
}

func (s *sessionTracker) loggedIn(ev *event) bool {
	k := pair{ev.rec.System, ev.rec.Auth.Session}
	if t, ok := s.sessions.get(k); ok && ev.t-t <= int64(sessionTTL) {
		if ev.t-t > int64(time.Minute) {
			s.sessions.put(k, ev.t)
		}
		return true
	}
	return s.warming(ev)
}

func (s *sessionTracker) customerKnown(ev *event) bool {
	if t, ok := s.customers.get(pair{ev.rec.System, ev.rec.Actor.ID}); ok && ev.t-t <= int64(identityTTL) {
		return true
	}
	return s.warming(ev)
}

func (s *sessionTracker) sweep(now int64) {
	s.sessions.sweep(now)
	s.customers.sweep(now)
}

// sessionlessCond is what kind sessionless adds to a rule's detection:
// not a login itself, and either a session that never logged in or an
// identity that does not exist.
func sessionlessCond() cond { return sessionless{} }

type sessionless struct{}

func (sessionless) eval(ev *event) bool {
	switch ev.rec.Action {
	case record.Login, record.LoginFailed, record.Logout:
		return false
	}
	if ev.rec.Auth.Session != "" && !ev.e.sessions.loggedIn(ev) {
		return true
	}
	if ev.actor() != nil {
		return false
	}
	if ev.rec.ActorType() == "customer" {
		return !ev.e.sessions.customerKnown(ev)
	}
	return ev.e.dir != nil
}
