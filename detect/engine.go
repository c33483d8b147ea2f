package detect

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/record"
)

// Defaults applied by New.
const (
	// DefaultLateness is how far out of order records may arrive and still
	// be evaluated in event-time order.
	DefaultLateness = 5 * time.Minute
	// DefaultReemit is Options.Reemit's default.
	DefaultReemit = time.Minute
	// DefaultMaxEntities caps the per-entity states kept over all rules;
	// past it the least recently active entity is forgotten.
	DefaultMaxEntities = 1 << 20
	// sweepEvery is how often, in event time, idle entities, sessions and
	// silent systems are looked at.
	sweepEvery = time.Minute
)

// Options configure an Engine. The zero value works: no directory (every
// directory-derived field is missing or false), no watch list, Korean
// public holidays, DefaultMaxEntities and DefaultLateness.
type Options struct {
	Directory *directory.Directory
	// Watchlist maps a subject as it appears in records (a pseudonym once
	// ingest has pseudonymised it) to a label such as "연예인".
	Watchlist map[string]string
	// Holidays reports whether a Korean date is a public holiday; nil uses
	// KoreanHoliday.
	Holidays    func(t time.Time) bool
	MaxEntities int
	Lateness    time.Duration
	// Reemit is how long, in event time, an alert that keeps changing
	// waits before it is emitted again (default DefaultReemit); Flush emits
	// every change still waiting. A live server wants its alerts fresh; a
	// replay of history whose alerts are stored as it goes gains nothing
	// from states that the next second's overwrite (jikimi ingest waits an
	// hour).
	Reemit time.Duration
}

// Engine runs rules over a stream of records in event time. It is not safe
// for concurrent use: one goroutine feeds it.
type Engine struct {
	opt     Options
	dir     *directory.Directory
	holiday func(time.Time) bool
	rules   []*Rule
	runs    []*ruleRun
	byRule  map[*Rule]*ruleRun

	// Reorder buffer: records wait until the latest event time is Lateness
	// past them, then are evaluated in time order.
	buf       reorderBuf
	seq       uint64
	maxT      int64 // latest event time seen
	watermark int64 // event time evaluated up to
	lastSweep int64

	first    int64 // event time of the first record evaluated
	entities int   // over all rules
	peak     int
	sessions *sessionTracker
	owners   map[string]*directory.Person // answers of addrs by address
	ownersAt int64                        // when the directory was last read for addresses
	addrs    *addrIndex

	// byAction lists, per action, the rules whose detection can match it;
	// anyAction serves actions outside the schema.
	byAction  [15][6][]*ruleRun // by action, then actor type
	anyAction []*ruleRun

	emit    func(*alert.Alert)
	ev      event
	dirty   []pending
	summary summaryBuf
}

// New compiles an engine over rules (as returned by LoadRules).
func New(rules []*Rule, o Options) (*Engine, error) {
	if o.Lateness == 0 {
		o.Lateness = DefaultLateness
	}
	if o.Lateness < 0 {
		return nil, errors.New("detect: Options.Lateness must not be negative")
	}
	if o.MaxEntities == 0 {
		o.MaxEntities = DefaultMaxEntities
	}
	if o.Reemit == 0 {
		o.Reemit = DefaultReemit
	}
	if o.Reemit < 0 {
		return nil, errors.New("detect: Options.Reemit must not be negative")
	}
	if o.MaxEntities < 0 {
		return nil, errors.New("detect: Options.MaxEntities must not be negative")
	}
	if err := link(rules); err != nil {
		return nil, err
	}
	e := &Engine{opt: o, dir: o.Directory, holiday: o.Holidays, rules: rules, byRule: map[*Rule]*ruleRun{},
		sessions: newSessionTracker(), owners: map[string]*directory.Person{}}
	if e.holiday == nil {
		e.holiday = KoreanHoliday
	}
	for _, r := range rules {
		rr := &ruleRun{e: e, r: r, ents: map[string]*entity{}, open: map[string]*openAlert{}, openUntil: math.MaxInt64, horizon: horizonOf(r)}
		if r.Kind == KindBaseline && r.peer != "" {
			rr.peers = map[string]*peerState{}
		}
		e.runs = append(e.runs, rr)
		e.byRule[r] = rr
	}
	for _, rr := range e.runs {
		if rr.r.filter == nil {
			continue
		}
		e.anyAction = append(e.anyAction, rr)
		rr.listed = withoutListed(rr.r.filter)
		acts := valuesOf(rr.r.filter, "action")
		types := valuesOf(rr.r.filter, "actor.type")
		for i, a := range allActions {
			if acts != nil && !acts[string(a)] {
				continue
			}
			for j, t := range actorTypes {
				if types == nil || types[t] {
					e.byAction[i][j] = append(e.byAction[i][j], rr)
				}
			}
		}
	}
	for _, rr := range e.runs {
		for i, b := range rr.r.refRules {
			br := e.byRule[b]
			if br == nil {
				return nil, fmt.Errorf("detect: rule %s refers to %s, which is not among the rules given", rr.r.ID, b.ID)
			}
			br.subs = append(br.subs, sub{rr, i})
		}
	}
	return e, nil
}

// Rules returns the rules the engine runs.
func (e *Engine) Rules() []*Rule { return e.rules }

// Process feeds one record in arrival order. The record must be validated,
// have its ID set and its subjects pseudonymised; the engine keeps the
// pointer until it has evaluated the record (at most Lateness of event time
// later), so the caller must not change it. emit is called for each alert
// created or changed; an alert changed again keeps its ID.
func (e *Engine) Process(rec *record.Record, emit func(*alert.Alert)) {
	t := rec.Time.UnixNano()
	if t > e.maxT {
		e.maxT = t
	}
	e.seq++
	if t <= e.watermark {
		// Later than Lateness: evaluate now, out of order.
		e.emit = emit
		e.evaluate(rec)
		e.emit = nil
		return
	}
	e.buf.push(held{rec, t, e.seq})
	e.release(e.maxT-int64(e.opt.Lateness), emit)
}

// Advance moves "now" to t without a record, so that absence is noticed
// while a source is silent. Times earlier than the latest event time are
// ignored.
func (e *Engine) Advance(t time.Time, emit func(*alert.Alert)) {
	if n := t.UnixNano(); n > e.maxT {
		e.maxT = n
	}
	e.release(e.maxT-int64(e.opt.Lateness), emit)
}

// Flush ends the input: every held record is evaluated and absence is
// judged at the latest event time.
func (e *Engine) Flush(emit func(*alert.Alert)) {
	e.release(e.maxT, emit)
	e.emit = emit
	e.checkAbsence(e.maxT)
	e.sendPending(e.maxT, true)
	e.emit = nil
}

func (e *Engine) release(upTo int64, emit func(*alert.Alert)) {
	e.emit = emit
	for e.buf.len() > 0 && e.buf.first().t <= upTo {
		e.evaluate(e.buf.pop().rec)
	}
	if upTo > e.watermark {
		e.watermark = upTo
	}
	if e.watermark-e.lastSweep >= int64(sweepEvery) {
		e.lastSweep = e.watermark
		e.sweep(e.watermark)
		e.checkAbsence(e.watermark)
		e.sendPending(e.watermark, false)
	}
	e.emit = nil
}

// evaluate runs every rule over one record.
func (e *Engine) evaluate(rec *record.Record) {
	ev := &e.ev
	*ev = event{e: e, rec: rec, t: rec.Time.UnixNano(), kst: rec.Time.In(kst)}
	if e.first == 0 {
		e.first = ev.t
	}
	e.sessions.observe(ev)
	runs, listed := e.anyAction, false
	if i := actionIndex(rec.Action); i >= 0 {
		runs, listed = e.byAction[i][actorTypeIndex(rec.ActorType())], true
	}
	for _, rr := range runs {
		c := rr.r.filter
		if listed {
			c = rr.listed
		}
		if !c.eval(ev) {
			continue
		}
		if rr.r.Kind == KindAbsence {
			rr.alive(ev)
		} else {
			rr.onEvent(ev)
		}
	}
	ev.rec = nil
}

// sweep forgets entities idle past their rule's horizon.
func (e *Engine) sweep(now int64) {
	for _, rr := range e.runs {
		for rr.tail != nil && rr.tail.last < now-rr.horizon {
			rr.remove(rr.tail)
		}
		if now > rr.openUntil {
			rr.closeIdle(now)
		}
		for k, p := range rr.peers {
			if p.last < now-rr.horizon {
				delete(rr.peers, k)
			}
		}
	}
	e.sessions.sweep(now)
	if now-e.ownersAt > int64(addrRefresh) {
		e.ownersAt = now
		if e.addrs != nil {
			e.refreshAddrs()
		}
	}
}

// addrRefresh is how long, in event time, answers about address owners are
// reused before the directory is read again.
const addrRefresh = time.Hour

// ownerOf returns the active person whose assigned address ip is. Answers
// are cached until the directory's people change (looked at every
// addrRefresh of event time), so that changes are seen soon without
// scanning the directory for every record.
func (e *Engine) ownerOf(ip string) *directory.Person {
	if e.dir == nil {
		return nil
	}
	if p, ok := e.owners[ip]; ok {
		return p
	}
	if len(e.owners) > 1<<16 {
		clear(e.owners)
	}
	if e.addrs == nil {
		e.refreshAddrs()
	}
	p := e.addrs.owner(ip)
	e.owners[ip] = p
	return p
}

// refreshAddrs rebuilds the address index, and forgets the answers it
// gave, when the directory's people are not those it was built from. The
// directory replaces a person it imports rather than changing it, so the
// same pointers mean the same addresses; rebuilding every hour regardless
// took 3–5% of the demo month's detection.
func (e *Engine) refreshAddrs() {
	people := e.dir.People()
	if e.addrs != nil && slices.Equal(people, e.addrs.people) {
		return
	}
	e.addrs = newAddrIndex(people)
	clear(e.owners)
}

var allActions = []record.Action{record.Login, record.LoginFailed, record.Logout, record.View, record.Search,
	record.Export, record.Download, record.Print, record.Create, record.Update, record.Delete, record.Grant,
	record.Revoke, record.Admin, record.Other}

func actionIndex(a record.Action) int {
	switch a {
	case record.Login:
		return 0
	case record.LoginFailed:
		return 1
	case record.Logout:
		return 2
	case record.View:
		return 3
	case record.Search:
		return 4
	case record.Export:
		return 5
	case record.Download:
		return 6
	case record.Print:
		return 7
	case record.Create:
		return 8
	case record.Update:
		return 9
	case record.Delete:
		return 10
	case record.Grant:
		return 11
	case record.Revoke:
		return 12
	case record.Admin:
		return 13
	case record.Other:
		return 14
	}
	return -1
}

// actorTypes are the schema's actor types; the last slot takes any other.
var actorTypes = []string{"employee", "contractor", "service", "customer", "unknown", ""}

func actorTypeIndex(t string) int {
	for i, x := range actorTypes[:5] {
		if t == x {
			return i
		}
	}
	return 5
}

// withoutListed drops from a condition the tests of action and actor.type
// that a record served by Engine.byAction has passed: they are conjuncts
// (of the condition or of an and in it), so the values they accept include
// every action and actor type the rule is listed under, and byAction
// serves only records whose action and actor type are exactly those.
func withoutListed(c cond) cond {
	var keep andCond
	var walk func(c cond)
	walk = func(c cond) {
		switch x := c.(type) {
		case andCond:
			for _, y := range x {
				walk(y)
			}
		case *eqCond:
			if x.name != "action" && x.name != "actor.type" {
				keep = append(keep, x)
			}
		default:
			keep = append(keep, x)
		}
	}
	walk(c)
	switch len(keep) {
	case 0:
		return trueCond{}
	case 1:
		return keep[0]
	}
	return keep
}

// valuesOf returns the values of field a condition can match, or nil when
// it does not constrain the field.
func valuesOf(c cond, field string) map[string]bool {
	switch c := c.(type) {
	case *eqCond:
		if c.name != field {
			return nil
		}
		set := map[string]bool{}
		for _, p := range c.pats {
			set[p] = true
		}
		return set
	case *fieldCond:
		if c.name != field || c.all {
			return nil
		}
		set := map[string]bool{}
		for _, m := range c.ms {
			sm, ok := m.(strMatcher)
			if !ok || sm.op != sEq {
				return nil
			}
			set[sm.pat] = true
		}
		return set
	case andCond:
		var out map[string]bool
		for _, x := range c {
			s := valuesOf(x, field)
			if s == nil {
				continue
			}
			if out == nil {
				out = s
				continue
			}
			for a := range out {
				if !s[a] {
					delete(out, a)
				}
			}
		}
		return out
	case orCond:
		out := map[string]bool{}
		for _, x := range c {
			s := valuesOf(x, field)
			if s == nil {
				return nil
			}
			for a := range s {
				out[a] = true
			}
		}
		return out
	case sessionless:
		return nil
	}
	return nil
}

func (e *Engine) assigned(p *directory.Person, ip string) bool { return p.Assigned(ip) }

// entityKey joins the group-by values of an event; ok is false when one is
// missing. Multi-valued fields give one key per value (at most maxFanout).
func (rr *ruleRun) keysOf(ev *event, keys []string) []string {
	keys = keys[:0]
	if len(rr.r.getters) == 1 {
		v := rr.r.getters[0](ev)
		switch v.kind {
		case vMissing:
			return keys
		case vList:
			for i, s := range v.ss {
				if i == maxFanout {
					break
				}
				keys = append(keys, s)
			}
			return keys
		case vString:
			return append(keys, v.s)
		}
		return append(keys, v.text())
	}
	b := rr.kb[:0]
	for i, g := range rr.r.getters {
		v := g(ev)
		if v.kind == vMissing {
			return keys
		}
		if i > 0 {
			b = append(b, 0)
		}
		switch v.kind {
		case vList:
			b = append(b, v.ss[0]...)
		case vString:
			b = append(b, v.s...)
		default:
			b = append(b, v.text()...)
		}
	}
	rr.kb = b
	// The key aliases rr.kb until the next call: entity clones it when it
	// keeps it.
	return append(keys, unsafe.String(unsafe.SliceData(b), len(b)))
}

const maxFanout = 16

// keyMap renders an entity key as the alert's keys.
func (rr *ruleRun) keyMap(key string) map[string]string {
	m := make(map[string]string, len(rr.r.groupBy))
	parts := strings.Split(key, "\x00")
	for i, g := range rr.r.groupBy {
		if i < len(parts) {
			m[g] = parts[i]
		}
	}
	return m
}
