package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/record"
)

// ruleRun is one rule's live state: its entities, least recently active
// last, and the correlations listening to it.
type ruleRun struct {
	e          *Engine
	r          *Rule
	listed     cond // r's detection for records served by Engine.byAction (withoutListed)
	ents       map[string]*entity
	head, tail *entity // most and least recently active
	horizon    int64   // idle entities older than this are forgotten
	subs       []sub
	peers      map[string]*peerState
	// open are the alerts still accepting findings, by entity key. They
	// are kept apart from entity state, which may be forgotten sooner
	// (a window that emptied), so that a finding within the merge window
	// still extends its alert.
	open map[string]*openAlert
	// openUntil is a time before which no open alert is past its merge
	// window (the earliest last finding plus merge, as it stood when
	// computed), so that sweeps need not scan open every minute.
	openUntil int64
	keyBuf    []string
	kb        []byte
	sys       map[string]*sysState // absence
	sysOrder  []*sysState          // sys by name: checked every minute
	lastSys   *sysState            // the system of the previous record
	lastName  string
}

// sub is a correlation listening to a rule as step i.
type sub struct {
	rr   *ruleRun
	step int
}

// entity is the state of one rule for one group-by key.
type entity struct {
	key        string
	last       int64 // event time of the latest activity
	prev, next *entity

	win window         // threshold (inline: most entities of a threshold rule see one record)
	nv  *newValueState // new_value
	bl  *baselineState // baseline
	seq *seqState      // sequence
}

// horizonOf is how long a rule needs to remember an idle entity: past its
// window, look-back or baseline history the state is empty or stale.
func horizonOf(r *Rule) int64 {
	h := time.Minute
	for _, d := range []time.Duration{r.timespan, r.lookback} {
		if d > h {
			h = d
		}
	}
	if r.Kind == KindBaseline {
		slots := 1
		if r.season == "day_of_week" {
			slots = 7
		} else if r.season == "hour_of_week" {
			slots = 168
		}
		if d := r.bucket * time.Duration(r.history*slots); d > h {
			h = d
		}
	}
	return int64(h)
}

// entity returns the state for key, creating it, and marks it active.
func (rr *ruleRun) entity(key string, t int64) *entity {
	en := rr.ents[key]
	if en == nil {
		key = strings.Clone(key)
		en = &entity{key: key, last: t}
		rr.ents[key] = en
		rr.e.entities++
		rr.e.peak = max(rr.e.peak, rr.e.entities)
		rr.pushFront(en)
		if rr.e.entities > rr.e.opt.MaxEntities {
			rr.e.evictOldest(en)
		}
		return en
	}
	if t > en.last {
		en.last = t
	}
	if rr.head != en {
		rr.unlink(en)
		rr.pushFront(en)
	}
	return en
}

func (rr *ruleRun) pushFront(en *entity) {
	en.prev, en.next = nil, rr.head
	if rr.head != nil {
		rr.head.prev = en
	}
	rr.head = en
	if rr.tail == nil {
		rr.tail = en
	}
}

func (rr *ruleRun) unlink(en *entity) {
	if en.prev != nil {
		en.prev.next = en.next
	} else {
		rr.head = en.next
	}
	if en.next != nil {
		en.next.prev = en.prev
	} else {
		rr.tail = en.prev
	}
	en.prev, en.next = nil, nil
}

func (rr *ruleRun) remove(en *entity) {
	rr.unlink(en)
	delete(rr.ents, en.key)
	rr.e.entities--
}

// evictOldest forgets the least recently active entity of all rules
// (never keep, the one just created).
func (e *Engine) evictOldest(keep *entity) {
	var victim *ruleRun
	for _, rr := range e.runs {
		t := rr.tail
		if t == keep {
			t = t.prev
		}
		if t != nil && (victim == nil || t.last < victim.tail.last) {
			victim = rr
		}
	}
	if victim != nil {
		t := victim.tail
		if t == keep {
			t = t.prev
		}
		victim.remove(t)
	}
}

// finding is one piece of evidence that a rule holds for an entity.
type finding struct {
	ev    *event            // the record that decided it; nil for absence
	keys  map[string]string // group values when ev is nil
	t     int64             // latest evidence time
	first int64             // earliest evidence time
	ids   []string          // evidence record ids
	recs  []*record.Record  // more evidence records to describe (sequence steps)
	why   reason            // how much, compared with what
}

// fire reports a finding: it becomes (or extends) an alert unless the rule
// is only a building block, and is passed to the correlations listening.
func (rr *ruleRun) fire(key string, f *finding) {
	if !rr.r.silent {
		rr.upsert(key, f)
	}
	for _, s := range rr.subs {
		s.rr.onSignal(f, s.step)
	}
}

// onEvent handles a record that passed the rule's detection.
func (rr *ruleRun) onEvent(ev *event) {
	rr.keyBuf = rr.keysOf(ev, rr.keyBuf)
	for _, key := range rr.keyBuf {
		switch rr.r.Kind {
		case KindMatch, KindSessionless:
			// No state of its own: only the open alert, to merge into.
			rr.fire(key, &finding{ev: ev, t: ev.t, first: ev.t, ids: []string{ev.rec.ID}})
		case KindThreshold:
			rr.thresholdAdd(rr.entity(key, ev.t), ev, ev.t, ev.t, ev.rec.ID, nil)
		case KindNewValue:
			rr.newValue(rr.entity(key, ev.t), ev)
		case KindBaseline:
			rr.baselineAdd(rr.entity(key, ev.t), ev)
		}
	}
}

// onSignal handles a finding of a referenced rule.
func (rr *ruleRun) onSignal(f *finding, step int) {
	var keys []string
	if f.ev != nil {
		keys = rr.keysOf(f.ev, nil)
	} else {
		var k string
		for i, g := range rr.r.groupBy {
			v, ok := f.keys[g]
			if !ok {
				return
			}
			if i > 0 {
				k += "\x00"
			}
			k += v
		}
		keys = []string{k}
	}
	for _, key := range keys {
		en := rr.entity(key, f.t)
		switch rr.r.Kind {
		case KindThreshold:
			rr.thresholdAdd(en, f.ev, f.t, f.first, "", f.ids)
		case KindSequence:
			rr.sequenceStep(en, f, step)
		}
	}
}

// maxSeen bounds the evidence ids an open alert remembers to avoid counting
// one twice; past it RecordCount may count a record re-sent by a window.
const maxSeen = 4096

// evidenceSet remembers, for up to maxSeen record ids each, which ids an
// alert has counted and which records it has described, so that neither
// happens twice. One map serves both: the record a finding counts is
// usually the one it describes, and the second look-up then finds its
// entry in cache.
type evidenceSet struct {
	marks map[string]uint8
	n     [2]int // ids with each mark
}

type mark uint8

const (
	counted mark = iota
	described
)

// first reports whether id does not have mark m yet, and gives it the
// mark unless maxSeen ids have it.
func (s *evidenceSet) first(id string, m mark) bool {
	bit := uint8(1) << m
	have := s.marks[id]
	if have&bit != 0 {
		return false
	}
	if s.n[m] < maxSeen {
		if s.marks == nil {
			s.marks = map[string]uint8{}
		}
		s.marks[id] = have | bit
		s.n[m]++
	}
	return true
}

// alertID is deterministic: replaying the same history gives the same ids.
func alertID(rule, key string, first int64) string {
	h := sha256.New()
	h.Write([]byte(rule))
	h.Write([]byte{0})
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatInt(first, 10)))
	return "al-" + hex.EncodeToString(h.Sum(nil)[:10])
}

// upsert creates an alert for the entity or merges the finding into the
// one still open, and emits it.
func (rr *ruleRun) upsert(key string, f *finding) {
	o := rr.openFor(key, f)
	o.merge(rr.e, f)
	rr.e.changed(o, rr.r, f.t)
}

// openFor returns the alert still open for key, or a new one when there is
// none or the finding is past the rule's merge window.
func (rr *ruleRun) openFor(key string, f *finding) *openAlert {
	if o := rr.open[key]; o != nil && f.t-o.last <= int64(rr.r.merge) {
		return o
	}
	key = strings.Clone(key) // it may alias a reused buffer
	o := &openAlert{first: f.first}
	o.a = alert.Alert{ID: alertID(rr.r.ID, key, f.first), Rule: rr.r.ID, Severity: rr.r.Level, Keys: rr.keyMap(key)}
	if f.ev == nil {
		o.a.Keys = f.keys
	}
	rr.open[key] = o
	rr.openUntil = min(rr.openUntil, f.t+int64(rr.r.merge))
	return o
}

// closeIdle lets go of the open alerts with no finding within the merge
// window of now.
func (rr *ruleRun) closeIdle(now int64) {
	rr.openUntil = math.MaxInt64
	for k, o := range rr.open {
		until := o.last + int64(rr.r.merge)
		if now > until {
			delete(rr.open, k) // a pending change is still sent: e.dirty holds it
			continue
		}
		rr.openUntil = min(rr.openUntil, until)
	}
}

// merge adds a finding's times, evidence and description to the alert.
func (o *openAlert) merge(e *Engine, f *finding) {
	o.last = max(o.last, f.t)
	o.first = min(o.first, f.first)
	o.count(f.ids)
	for _, r := range f.recs {
		if (f.ev == nil || r != f.ev.rec) && o.evidence.first(r.ID, described) {
			o.note(e, &event{e: e, rec: r, t: r.Time.UnixNano(), kst: r.Time.In(kst)})
		}
	}
	if f.ev != nil {
		if o.evidence.first(f.ev.rec.ID, described) {
			o.note(e, f.ev)
		}
	} else if s := f.keys["system"]; s != "" && o.a.System == "" {
		o.a.System = s
	}
	if f.why != nil {
		o.why = f.why
	}
}

// count adds evidence record ids not seen before.
func (o *openAlert) count(ids []string) {
	for _, id := range ids {
		if !o.evidence.first(id, counted) {
			continue
		}
		o.a.RecordCount++
		if len(o.a.Records) < alert.MaxRecords {
			o.a.Records = append(o.a.Records, id)
		}
	}
}

// changed emits an alert that changed at now, or holds it until a sweep
// after Options.Reemit since its last emission, or Flush: the last state
// is never lost.
func (e *Engine) changed(o *openAlert, r *Rule, now int64) {
	if o.emitted == 0 || now-o.emitted >= int64(e.opt.Reemit) {
		e.send(o, r, now)
	} else if !o.dirty {
		o.dirty = true
		e.dirty = append(e.dirty, pending{o, r})
	}
}

type pending struct {
	o *openAlert
	r *Rule
}

// send writes the alert's times and summary, which only its emissions
// show, and emits a copy of it.
func (e *Engine) send(o *openAlert, r *Rule, now int64) {
	o.dirty = false
	o.emitted = max(now, 1)
	o.a.Time = time.Unix(0, o.first).In(kst)
	o.a.LastTime = time.Unix(0, o.last).In(kst)
	o.a.Summary, o.a.SummaryEn = o.summarise(r, &e.summary)
	if e.emit != nil {
		a := o.a
		a.Records = o.a.Records[:len(o.a.Records):len(o.a.Records)]
		e.emit(&a)
	}
}

// sendPending emits the alerts changed since they were last emitted: those
// emitted at least Options.Reemit ago, or all of them.
func (e *Engine) sendPending(now int64, all bool) {
	keep := e.dirty[:0]
	for _, p := range e.dirty {
		switch {
		case !p.o.dirty:
		case all || now-p.o.emitted >= int64(e.opt.Reemit):
			e.send(p.o, p.r, now)
		default:
			keep = append(keep, p)
		}
	}
	clear(e.dirty[len(keep):])
	e.dirty = keep
}
