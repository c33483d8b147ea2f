package detect

// Stats describes the engine's state, for metrics and the benchmarks.
type Stats struct {
	Entities int // per-rule entity states held
	Peak     int // the most entity states held at once
	Held     int // records waiting in the reorder buffer
	Sessions int // sessions and customer identities remembered
	Peers    int // baseline peer groups
	Open     int // alerts still accepting findings
}

// Stats returns the current state counts.
func (e *Engine) Stats() Stats {
	s := Stats{Entities: e.entities, Peak: e.peak, Held: e.buf.len()}
	s.Sessions = len(e.sessions.sessions.cur) + len(e.sessions.sessions.prev) + len(e.sessions.customers.cur) + len(e.sessions.customers.prev)
	for _, rr := range e.runs {
		s.Peers += len(rr.peers)
		s.Open += len(rr.open)
	}
	return s
}
