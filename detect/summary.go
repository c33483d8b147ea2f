package detect

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"

	"github.com/jikimi/jikimi/alert"
)

// openAlert is an alert still accepting merged findings, with what its
// summary needs to say who, what, when and how much.
type openAlert struct {
	a           alert.Alert
	first, last int64
	evidence    evidenceSet
	emitted     int64 // event time of the last emission; 0 never
	dirty       bool  // changed since

	actors  []string // up to maxListed
	moreAct bool     // and others
	names   map[string]string
	renamed int // changes to names
	ips     []string
	owner   string // "이영희(dev.e, pc-e)": whose assigned address was used
	ownerEn string
	objects []string
	moreObj bool
	actions []string
	n       int // evidence records noted
	rows    int64
	bytes   int64
	subj    int64
	why     reason // kind-specific amount and comparison

	phrases phrases
}

const maxListed = 3

// reason says how much, compared with what: the end of an alert's summary.
// It is worded when the alert is sent rather than when found, as a window
// past its threshold finds with every record.
type reason interface {
	// appendTo appends the reason in Korean to k and in English to g.
	appendTo(k, g []byte) ([]byte, []byte)
}

// wording is a reason worded when it was found.
type wording struct{ ko, en string }

func (w wording) appendTo(k, g []byte) ([]byte, []byte) { return cat(k, w.ko), cat(g, w.en) }

// maxObjects is how many distinct objects an alert counts exactly.
const maxObjects = 100

// addListed appends x to xs unless it is empty, listed already or xs
// holds max; full reports that x was left out for lack of room.
func addListed(xs []string, x string, max int) (_ []string, full bool) {
	if x == "" || slices.Contains(xs, x) {
		return xs, false
	}
	if len(xs) >= max {
		return xs, true
	}
	return append(xs, x), false
}

// note adds one evidence record to the alert's description.
func (o *openAlert) note(e *Engine, ev *event) {
	r := ev.rec
	o.n++
	if o.a.System == "" {
		o.a.System = r.System
	}
	// Once a list has overflowed it is final: an alert of 100,000 records
	// does not scan it for each.
	if !o.moreAct {
		o.actors, o.moreAct = addListed(o.actors, r.Actor.ID, maxListed)
	}
	if p := ev.actor(); p != nil && p.Name != "" && o.names[r.Actor.ID] != p.Name {
		if o.names == nil {
			o.names = map[string]string{}
		}
		o.names[r.Actor.ID] = p.Name
		o.renamed++
	}
	o.ips, _ = addListed(o.ips, r.Origin.IP, maxListed)
	if o.owner == "" {
		if w := ev.addrOwner(); w != nil && w.ID != r.Actor.ID {
			host := ""
			if len(w.Hosts) > 0 {
				host = ", " + w.Hosts[0]
			}
			o.owner = fmt.Sprintf("다른 사람 %s(%s%s)에게 배정된 주소", w.Name, w.ID, host)
			o.ownerEn = fmt.Sprintf("an address assigned to someone else, %s (%s%s)", w.Name, w.ID, host)
		}
	}
	if !o.moreObj {
		o.objects, o.moreObj = addListed(o.objects, r.Target.Object, maxObjects)
	}
	o.actions, _ = addListed(o.actions, string(r.Action), 4)
	if r.Result.Rows != nil {
		o.rows += *r.Result.Rows
	}
	if r.Result.Bytes != nil {
		o.bytes += *r.Result.Bytes
	}
	o.subj += r.SubjectTotal()
	if len(o.actors) == 1 {
		o.a.Actor = o.actors[0]
	} else {
		o.a.Actor = ""
	}
}

// summaryBuf is scratch space for summaries, kept by the engine so that an
// emission allocates only the two strings it sends.
type summaryBuf struct{ ko, en []byte }

// summarise writes the alert's reason in Korean and English. It runs at
// every emission, once a minute of event time while findings merge into
// the alert (an incident can go on for days), so it appends into reused
// buffers instead of going through fmt.
func (o *openAlert) summarise(r *Rule, buf *summaryBuf) (ko, en string) {
	buf.ko, buf.en = o.describe(r, buf.ko[:0], buf.en[:0])
	return string(buf.ko), string(buf.en)
}

// describe appends the Korean summary to k and the English one to g.
func (o *openAlert) describe(r *Rule, k, g []byte) ([]byte, []byte) {
	if o.n == 0 {
		// No record to describe (absence): the entity and the times say it.
		k = cat(k, "[", r.Title, "] ")
		g = cat(g, "[", r.TitleEn, "] ")
		for _, kv := range sortedKeys(o.a.Keys) {
			k = cat(k, kv[0], "=", kv[1], " ")
			g = cat(g, kv[0], "=", kv[1], " ")
		}
		from := kstOf(o.first)
		k = cat(from.appendKo(k), " 이후 ")
		g = cat(from.appendEn(cat(g, "since ")), " KST ")
		if o.why != nil {
			k, g = o.why.appendTo(k, g)
		}
		return bytes.TrimSpace(k), bytes.TrimSpace(g)
	}
	if o.phrases.koHead == nil || o.phrases.of != o.listing() {
		o.phrases = o.writePhrases(r)
	}
	p := &o.phrases
	from, to := kstOf(o.first), kstOf(o.last)
	n := int64(o.a.RecordCount)
	k = append(appendKoSpan(append(k, p.koHead...), from, to), p.koMid...)
	k = cat(appendKoCount(k, n), "건")
	g = append(appendEnSpan(append(g, p.enHead...), from, to), p.enMid...)
	g = append(cat(appendEnCount(g, n), " ", plural(o.a.RecordCount, "time", "times")), p.enTail...)
	k, g = o.appendAmounts(k, g)
	if o.why != nil {
		k, g = o.why.appendTo(cat(k, " — "), cat(g, " — "))
	}
	return k, g
}

// phrases are the parts of an alert's summaries that only a newly listed
// account, name, address, object or action changes; describe reuses them
// while the listing they were written from holds, as an incident that goes
// on for days is summarised once a minute.
type phrases struct {
	of     listing
	koHead []byte // "[title] a(이름), b 계정이 "
	koMid  []byte // " 사이 10.0.0.5에서 crm 고객상세에 view "
	enHead []byte // "[title] accounts a(이름), b between "
	enMid  []byte // " from 10.0.0.5 view "
	enTail []byte // " on crm 고객상세"
}

// listing is what phrases are written from, besides the rule's titles; the
// lists only grow, so their lengths stand for their contents.
type listing struct {
	actors, ips, objects, actions, renamed int
	moreAct, moreObj                       bool
	owner, system                          string
}

func (o *openAlert) listing() listing {
	return listing{len(o.actors), len(o.ips), len(o.objects), len(o.actions), o.renamed, o.moreAct, o.moreObj, o.owner, o.a.System}
}

func (o *openAlert) writePhrases(r *Rule) phrases {
	p := phrases{of: o.listing()}
	k, g := o.appendWho(cat(nil, "[", r.Title, "] "), cat(nil, "[", r.TitleEn, "] "))
	p.koHead, p.enHead = k, cat(g, "between ")
	k, g = cat(nil, " 사이 "), cat(nil, " ")
	if len(o.ips) > 0 {
		k, g = appendJoined(k, o.ips, ", "), appendJoined(cat(g, "from "), o.ips, ", ")
		if o.owner != "" {
			k, g = cat(k, "(", o.owner, ")"), cat(g, " (", o.ownerEn, ")")
		}
		k, g = cat(k, "에서 "), cat(g, " ")
	}
	k = cat(o.appendObjectsKo(cat(k, o.a.System, " ")), "에 ")
	p.koMid = cat(appendJoined(k, o.actions, "/"), " ")
	p.enMid = cat(appendJoined(g, o.actions, "/"), " ")
	p.enTail = o.appendObjectsEn(cat(nil, " on ", o.a.System, " "))
	return p
}

// appendWho names the accounts: "a(이름), b 계정이 ", "accounts a(이름), b ".
func (o *openAlert) appendWho(k, g []byte) ([]byte, []byte) {
	if len(o.actors) == 0 {
		return k, g
	}
	k = o.appendActors(k)
	if o.moreAct {
		k = cat(k, " 등 여러 계정이 ")
	} else {
		k = cat(k, " 계정이 ")
	}
	switch {
	case o.moreAct:
		g = cat(o.appendActors(cat(g, "accounts ")), " and others ")
	case len(o.actors) > 1:
		g = cat(o.appendActors(cat(g, "accounts ")), " ")
	default:
		g = cat(o.appendActors(cat(g, "account ")), " ")
	}
	return k, g
}

func (o *openAlert) appendActors(b []byte) []byte {
	for i, a := range o.actors {
		if i > 0 {
			b = cat(b, ", ")
		}
		b = cat(b, a)
		if n := o.names[a]; n != "" {
			b = cat(b, "(", n, ")")
		}
	}
	return b
}

func (o *openAlert) appendObjectsKo(b []byte) []byte {
	switch {
	case len(o.objects) == 0:
		return b
	case o.moreObj:
		return cat(strconv.AppendInt(cat(b, o.objects[0], " 등 "), maxObjects, 10), "개 이상 대상")
	case len(o.objects) > 1:
		return cat(strconv.AppendInt(cat(b, o.objects[0], " 등 "), int64(len(o.objects)), 10), "개 대상")
	}
	return cat(b, o.objects[0])
}

func (o *openAlert) appendObjectsEn(b []byte) []byte {
	switch {
	case len(o.objects) == 0:
		return b
	case o.moreObj:
		return cat(strconv.AppendInt(cat(b, o.objects[0], " and "), maxObjects-1, 10), "+ more objects")
	case len(o.objects) > 1:
		return cat(strconv.AppendInt(cat(b, o.objects[0], " and "), int64(len(o.objects)-1), 10), " more objects")
	}
	return cat(b, o.objects[0])
}

// appendAmounts writes " (rows, bytes, data subjects)" when every evidence
// record was noted here; otherwise (a window's earlier records) the rule's
// own measure says how much.
func (o *openAlert) appendAmounts(k, g []byte) ([]byte, []byte) {
	if o.n < o.a.RecordCount || o.rows <= 0 && o.bytes <= 0 && o.subj <= 0 {
		return k, g
	}
	sep := " ("
	for _, m := range [...]struct {
		field string
		n     int64
	}{{"result.rows", o.rows}, {"result.bytes", o.bytes}, {"subjects", o.subj}} {
		if m.n > 0 {
			k, g = appendAmount(cat(k, sep), cat(g, sep), m.field, float64(m.n))
			sep = ", "
		}
	}
	return cat(k, ")"), cat(g, ")")
}
