package detect

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/record"
)

// kst is Korea Standard Time. Working hours, night and holidays are judged
// in Korean local time whatever offset a record carries.
var kst = time.FixedZone("KST", 9*60*60)

// valueKind tells which member of a value is set.
type valueKind uint8

const (
	vMissing valueKind = iota
	vString
	vNumber
	vBool
	vList // several strings (subjects, roles)
)

// value is what a field yields for one record.
type value struct {
	kind valueKind
	b    bool
	n    float64
	s    string
	ss   []string
}

func str(s string) value {
	if s == "" {
		return value{}
	}
	return value{kind: vString, s: s}
}
func num(n float64) value  { return value{kind: vNumber, n: n} }
func boolean(b bool) value { return value{kind: vBool, b: b} }
func list(ss []string) value {
	if len(ss) == 0 {
		return value{}
	}
	return value{kind: vList, ss: ss}
}

// text renders a value for keys and summaries.
func (v value) text() string {
	switch v.kind {
	case vString:
		return v.s
	case vNumber:
		return strconv.FormatFloat(v.n, 'f', -1, 64)
	case vBool:
		return strconv.FormatBool(v.b)
	case vList:
		return strings.Join(v.ss, ",")
	}
	return ""
}

// each calls f with every string form of v (one for scalars, each element
// for lists).
func (v value) each(f func(string)) {
	switch v.kind {
	case vMissing:
	case vList:
		for _, s := range v.ss {
			f(s)
		}
	default:
		f(v.text())
	}
}

// event is one record being evaluated, with the directory facts about it
// looked up at most once.
type event struct {
	e    *Engine
	rec  *record.Record
	t    int64     // event time, Unix nanoseconds
	kst  time.Time // event time in Korea
	done uint16    // which lazy lookups are done

	person  *directory.Person // actor
	owner   *directory.Person // person whose assigned address origin.ip is
	key     *directory.Key
	keyOwn  *directory.Person
	device  *directory.Device
	certN   int // devices registered with origin.cert
	holiday bool
}

const (
	lookPerson = 1 << iota
	lookOwner
	lookKey
	lookDevice
	lookHoliday
)

func (ev *event) actor() *directory.Person {
	if ev.done&lookPerson == 0 {
		ev.done |= lookPerson
		if ev.e.dir != nil {
			ev.person = ev.e.dir.Person(ev.rec.Actor.ID)
		}
	}
	return ev.person
}

func (ev *event) addrOwner() *directory.Person {
	if ev.done&lookOwner == 0 {
		ev.done |= lookOwner
		if ev.rec.Origin.IP != "" {
			ev.owner = ev.e.ownerOf(ev.rec.Origin.IP)
		}
	}
	return ev.owner
}

func (ev *event) signingKey() *directory.Key {
	if ev.done&lookKey == 0 {
		ev.done |= lookKey
		if ev.e.dir != nil && ev.rec.Auth.KeyID != "" {
			ev.key = ev.e.dir.Key(ev.rec.Auth.KeyID)
			if ev.key != nil && ev.key.Owner != "" {
				ev.keyOwn = ev.e.dir.Person(ev.key.Owner)
			}
		}
	}
	return ev.key
}

func (ev *event) dev() *directory.Device {
	if ev.done&lookDevice == 0 {
		ev.done |= lookDevice
		if ev.e.dir != nil {
			if ev.rec.Origin.Device != "" {
				ev.device = ev.e.dir.Device(ev.rec.Origin.Device)
			}
			if ev.rec.Origin.Cert != "" {
				ev.certN = len(ev.e.dir.DevicesWithCert(ev.rec.Origin.Cert))
			}
		}
	}
	return ev.device
}

func (ev *event) isHoliday() bool {
	if ev.done&lookHoliday == 0 {
		ev.done |= lookHoliday
		ev.holiday = ev.e.holiday(ev.kst)
	}
	return ev.holiday
}

// getter reads one field of an event.
type getter func(ev *event) value

// fieldDoc lists the fields a rule may name, with what they mean. doc.go
// repeats it for readers; TestFieldDocs keeps the two in step.
var fieldDoc = map[string]string{
	// Fields of the record itself (shared/schema/access-record.md).
	"id": "record id", "system": "system accessed", "actor.id": "account", "actor.type": "employee, contractor, service, customer, unknown (default employee)",
	"actor.name": "display name (directory name when the record has none)", "actor.dept": "department (directory's when the record has none)",
	"action": "work performed", "origin.ip": "source address", "origin.host": "host name", "origin.device": "device id", "origin.cert": "certificate fingerprint",
	"origin.user_agent": "client software", "auth.method": "authentication method", "auth.session": "session id", "auth.key_id": "signing key id",
	"auth.external": "access from outside (bool)", "target.object": "object touched", "target.kind": "table, api, screen, file, host",
	"detail": "query, URL or command (masked)", "purpose": "stated reason", "result.status": "ok (default), denied, error",
	"result.rows": "rows (missing when unknown)", "result.bytes": "bytes (missing when unknown)", "subjects": "data subjects (pseudonyms; list)",
	"subject_count": "number of data subjects processed", "pii.TYPE": "count of a PII type, e.g. pii.rrn", "attrs.NAME": "free-form extra",
	// Derived by jikimi from the directory, its own state and the calendar.
	"actor.known": "the directory knows the account (bool)", "actor.status": "active, leave, departed (directory)",
	"actor.departed": "the account's person had left at the record's time (bool)", "actor.on_leave": "the person is on leave: a dormant account (bool)",
	"actor.roles": "the person's roles (list)", "actor.working_hours": "within the person's declared working hours, not on a public holiday (bool; true when no hours are declared)",
	"actor.assigned_ip":   "origin.ip is one of the person's assigned addresses (bool; missing when none are assigned)",
	"actor.assigned_host": "origin.host is one of the person's hosts (bool; missing when none are listed)",
	"origin.owner":        "the other active person whose assigned address origin.ip is (id)", "origin.owner_name": "that person's name",
	"origin.foreign": "origin.ip is assigned to another person than the actor (bool)",
	"key.known":      "auth.key_id is in the directory (bool)", "key.owner": "custodian of the signing key", "key.owner_departed": "the key's custodian had left (bool)",
	"key.revoked": "the key was revoked at the record's time (bool)", "device.registered": "origin.device is in the directory (bool)",
	"device.allowed_ip": "origin.ip is among the device's registered addresses (bool)", "device.cert_shared": "origin.cert is registered to more than one device (bool)",
	"device.cert_match": "origin.cert is the certificate registered for origin.device (bool)",
	"session.logged_in": "auth.session appeared in a successful login of the same system (bool; missing without a session)",
	"identity.known":    "the actor exists: in the directory, or (customers) logged in to the system (bool)",
	"time.night":        "22:00–06:00 Korea time (bool)", "time.holiday": "a Korean public holiday (bool)", "time.weekend": "Saturday or Sunday in Korea (bool)",
	"time.hour": "hour of day in Korea (0–23)", "time.weekday": "mon … sun in Korea", "subject.watchlisted": "a subject is on the watch list (bool)",
	"subject.watch_label": "label of the first watch-listed subject",
}

// compileField returns the getter for a field name, or false.
func compileField(name string) (getter, bool) {
	if f, ok := compileFlag(name); ok {
		return func(ev *event) value {
			if b, ok := f(ev); ok {
				return boolean(b)
			}
			return value{}
		}, true
	}
	rec := func(f func(r *record.Record) value) getter { return func(ev *event) value { return f(ev.rec) } }
	optNum := func(p *int64) value {
		if p == nil {
			return value{}
		}
		return num(float64(*p))
	}
	if t, ok := strings.CutPrefix(name, "pii."); ok && t != "" {
		return rec(func(r *record.Record) value {
			if n, ok := r.PII[t]; ok {
				return num(float64(n))
			}
			return value{}
		}), true
	}
	if a, ok := strings.CutPrefix(name, "attrs."); ok && a != "" {
		return rec(func(r *record.Record) value { return str(r.Attrs[a]) }), true
	}
	switch name {
	case "id":
		return rec(func(r *record.Record) value { return str(r.ID) }), true
	case "system":
		return rec(func(r *record.Record) value { return str(r.System) }), true
	case "actor.id":
		return rec(func(r *record.Record) value { return str(r.Actor.ID) }), true
	case "actor.type":
		return rec(func(r *record.Record) value { return str(r.ActorType()) }), true
	case "actor.name":
		return func(ev *event) value {
			if ev.rec.Actor.Name == "" && ev.actor() != nil {
				return str(ev.person.Name)
			}
			return str(ev.rec.Actor.Name)
		}, true
	case "actor.dept":
		return func(ev *event) value {
			if ev.rec.Actor.Dept == "" && ev.actor() != nil {
				return str(ev.person.Dept)
			}
			return str(ev.rec.Actor.Dept)
		}, true
	case "action":
		return rec(func(r *record.Record) value { return str(string(r.Action)) }), true
	case "origin.ip":
		return rec(func(r *record.Record) value { return str(r.Origin.IP) }), true
	case "origin.host":
		return rec(func(r *record.Record) value { return str(r.Origin.Host) }), true
	case "origin.device":
		return rec(func(r *record.Record) value { return str(r.Origin.Device) }), true
	case "origin.cert":
		return rec(func(r *record.Record) value { return str(r.Origin.Cert) }), true
	case "origin.user_agent":
		return rec(func(r *record.Record) value { return str(r.Origin.UserAgent) }), true
	case "auth.method":
		return rec(func(r *record.Record) value { return str(r.Auth.Method) }), true
	case "auth.session":
		return rec(func(r *record.Record) value { return str(r.Auth.Session) }), true
	case "auth.key_id":
		return rec(func(r *record.Record) value { return str(r.Auth.KeyID) }), true
	case "target.object":
		return rec(func(r *record.Record) value { return str(r.Target.Object) }), true
	case "target.kind":
		return rec(func(r *record.Record) value { return str(r.Target.Kind) }), true
	case "detail":
		return rec(func(r *record.Record) value { return str(r.Detail) }), true
	case "purpose":
		return rec(func(r *record.Record) value { return str(strings.TrimSpace(r.Purpose)) }), true
	case "result.status":
		return rec(func(r *record.Record) value { return str(r.Status()) }), true
	case "result.rows":
		return rec(func(r *record.Record) value { return optNum(r.Result.Rows) }), true
	case "result.bytes":
		return rec(func(r *record.Record) value { return optNum(r.Result.Bytes) }), true
	case "subjects":
		return rec(func(r *record.Record) value { return list(r.Subjects) }), true
	case "subject_count":
		return rec(func(r *record.Record) value { return num(float64(r.SubjectTotal())) }), true

	case "actor.status":
		return func(ev *event) value {
			if p := ev.actor(); p != nil {
				if p.Status == "" {
					return str("active")
				}
				return str(p.Status)
			}
			return value{}
		}, true
	case "actor.roles":
		return func(ev *event) value {
			if p := ev.actor(); p != nil {
				return list(p.Roles)
			}
			return value{}
		}, true
	case "origin.owner":
		return func(ev *event) value {
			if o := ev.otherOwner(); o != nil {
				return str(o.ID)
			}
			return value{}
		}, true
	case "origin.owner_name":
		return func(ev *event) value {
			if o := ev.otherOwner(); o != nil {
				return str(o.Name)
			}
			return value{}
		}, true
	case "key.owner":
		return func(ev *event) value {
			if k := ev.signingKey(); k != nil {
				return str(k.Owner)
			}
			return value{}
		}, true
	case "time.hour":
		return func(ev *event) value { return num(float64(ev.kst.Hour())) }, true
	case "time.weekday":
		return func(ev *event) value { return str(weekdayNames[ev.kst.Weekday()]) }, true
	case "subject.watch_label":
		return func(ev *event) value {
			if l, ok := ev.watchLabel(); ok {
				return str(l)
			}
			return value{}
		}, true
	}
	return nil, false
}

// flag reads a bool field of an event; ok is false when the field is
// missing (a device fact of a record without a device).
type flag func(ev *event) (b, ok bool)

// compileFlag returns the reader of a bool field, or false when the field
// is not one. Rules test these facts more than anything else, and a
// flagCond reads them without going through value.
func compileFlag(name string) (flag, bool) {
	switch name {
	case "auth.external":
		return func(ev *event) (bool, bool) { return ev.rec.Auth.External, true }, true
	case "actor.known":
		return func(ev *event) (bool, bool) { return ev.actor() != nil, true }, true
	case "actor.departed":
		return func(ev *event) (bool, bool) {
			p := ev.actor()
			return p != nil && p.Departed(ev.kst), true
		}, true
	case "actor.on_leave":
		return func(ev *event) (bool, bool) {
			p := ev.actor()
			return p != nil && p.Status == "leave", true
		}, true
	case "actor.working_hours":
		return func(ev *event) (bool, bool) {
			p := ev.actor()
			if p == nil || !p.HasWorkHours() {
				return true, true
			}
			return p.Working(ev.kst) && !ev.isHoliday(), true
		}, true
	case "actor.assigned_ip":
		return func(ev *event) (bool, bool) {
			p := ev.actor()
			if p == nil || !p.HasAssignedAddresses() || ev.rec.Origin.IP == "" {
				return false, false
			}
			return ev.e.assigned(p, ev.rec.Origin.IP), true
		}, true
	case "actor.assigned_host":
		return func(ev *event) (bool, bool) {
			p := ev.actor()
			if p == nil || len(p.Hosts) == 0 || ev.rec.Origin.Host == "" {
				return false, false
			}
			return slices.ContainsFunc(p.Hosts, func(h string) bool { return strings.EqualFold(h, ev.rec.Origin.Host) }), true
		}, true
	case "origin.foreign":
		return func(ev *event) (bool, bool) { return ev.otherOwner() != nil, true }, true
	case "key.known":
		return func(ev *event) (bool, bool) {
			if ev.rec.Auth.KeyID == "" {
				return false, false
			}
			return ev.signingKey() != nil, true
		}, true
	case "key.owner_departed":
		return func(ev *event) (bool, bool) {
			if ev.signingKey() == nil {
				return false, false
			}
			return ev.keyOwn != nil && ev.keyOwn.Departed(ev.kst), true
		}, true
	case "key.revoked":
		return func(ev *event) (bool, bool) {
			k := ev.signingKey()
			if k == nil {
				return false, false
			}
			return k.Revoked(ev.kst), true
		}, true
	case "device.registered":
		return func(ev *event) (bool, bool) {
			if ev.rec.Origin.Device == "" {
				return false, false
			}
			return ev.dev() != nil, true
		}, true
	case "device.allowed_ip":
		return func(ev *event) (bool, bool) {
			d := ev.dev()
			if d == nil || ev.rec.Origin.IP == "" {
				return false, false
			}
			return d.Allowed(ev.rec.Origin.IP), true
		}, true
	case "device.cert_shared":
		return func(ev *event) (bool, bool) {
			if ev.rec.Origin.Cert == "" {
				return false, false
			}
			ev.dev()
			return ev.certN > 1, true
		}, true
	case "device.cert_match":
		return func(ev *event) (bool, bool) {
			d := ev.dev()
			if d == nil || ev.rec.Origin.Cert == "" {
				return false, false
			}
			return d.Cert == ev.rec.Origin.Cert, true
		}, true
	case "session.logged_in":
		return func(ev *event) (bool, bool) {
			if ev.rec.Auth.Session == "" {
				return false, false
			}
			return ev.e.sessions.loggedIn(ev), true
		}, true
	case "identity.known":
		return func(ev *event) (bool, bool) {
			if ev.actor() != nil {
				return true, true
			}
			if ev.rec.ActorType() == "customer" {
				return ev.e.sessions.customerKnown(ev), true
			}
			return ev.e.dir == nil, true
		}, true
	case "time.night":
		return func(ev *event) (bool, bool) { h := ev.kst.Hour(); return h >= 22 || h < 6, true }, true
	case "time.holiday":
		return func(ev *event) (bool, bool) { return ev.isHoliday(), true }, true
	case "time.weekend":
		return func(ev *event) (bool, bool) {
			d := ev.kst.Weekday()
			return d == time.Saturday || d == time.Sunday, true
		}, true
	case "subject.watchlisted":
		return func(ev *event) (bool, bool) {
			_, ok := ev.watchLabel()
			return ok, true
		}, true
	}
	return nil, false
}

// otherOwner is the person whose assigned address origin.ip is, when it is
// not the actor.
func (ev *event) otherOwner() *directory.Person {
	if o := ev.addrOwner(); o != nil && o.ID != ev.rec.Actor.ID {
		return o
	}
	return nil
}

// watchLabel is the label of the first watch-listed subject.
func (ev *event) watchLabel() (string, bool) {
	for _, s := range ev.rec.Subjects {
		if l, ok := ev.e.opt.Watchlist[s]; ok {
			return l, true
		}
	}
	return "", false
}

var weekdayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
