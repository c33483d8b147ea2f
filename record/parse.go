package record

import (
	"encoding/binary"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Parse reads canonical JSON lines on two paths. The fast path below
// decodes the shapes real senders write — the schema's fields, each once,
// in lower case, with strings, integers and booleans — in one pass without
// reflection, about ten times faster than encoding/json (BenchmarkParse).
// Anything else (null, a repeated or unknown field, a key in other case,
// a fraction, malformed JSON) makes it give up, and encoding/json decodes
// the line as before, so that every accepted record and every error
// message stays exactly what encoding/json gives (FuzzParseAgrees checks
// that both paths agree).

// fastParser decodes one line; ok turns false at the first thing it does
// not handle.
type fastParser struct {
	b  []byte
	i  int
	ok bool
}

// parseFast decodes line into r and reports whether it could; r is
// unspecified when it could not.
func parseFast(line []byte, r *Record) bool {
	p := fastParser{b: line, ok: true}
	p.ws()
	var seen uint32
	for key, ok := p.member(true); ok; key, ok = p.member(false) {
		switch string(key) {
		case "id":
			p.once(&seen, 1<<0)
			r.ID = p.str()
		case "time":
			p.once(&seen, 1<<1)
			p.time(&r.Time)
		case "system":
			p.once(&seen, 1<<2)
			r.System = p.str()
		case "actor":
			p.once(&seen, 1<<3)
			p.actor(&r.Actor)
		case "action":
			p.once(&seen, 1<<4)
			r.Action = Action(p.enum())
		case "origin":
			p.once(&seen, 1<<5)
			p.origin(&r.Origin)
		case "auth":
			p.once(&seen, 1<<6)
			p.auth(&r.Auth)
		case "target":
			p.once(&seen, 1<<7)
			p.target(&r.Target)
		case "detail":
			p.once(&seen, 1<<8)
			r.Detail = p.str()
		case "purpose":
			p.once(&seen, 1<<9)
			r.Purpose = p.str()
		case "result":
			p.once(&seen, 1<<10)
			p.result(&r.Result)
		case "subjects":
			p.once(&seen, 1<<11)
			r.Subjects = p.strings()
		case "subject_count":
			p.once(&seen, 1<<12)
			r.SubjectCount = p.int()
		case "pii":
			p.once(&seen, 1<<13)
			r.PII = p.counts()
		case "payload":
			p.once(&seen, 1<<14)
			r.Payload = p.str()
		case "attrs":
			p.once(&seen, 1<<15)
			r.Attrs = p.stringMap()
		default:
			p.ok = false // unknown, or in another case: encoding/json decides
		}
	}
	p.ws()
	return p.ok && p.i == len(p.b)
}

// once marks a key seen, refusing a repeated one.
func (p *fastParser) once(seen *uint32, bit uint32) {
	if *seen&bit != 0 {
		p.ok = false
	}
	*seen |= bit
}

// member moves to an object's next member, after its '{' when first or
// after the previous member's value otherwise, and returns the member's
// raw key (valid until the next read) positioned at its value. It returns
// false at the object's end, and on anything the fast path does not read.
func (p *fastParser) member(first bool) ([]byte, bool) {
	if !p.ok {
		return nil, false
	}
	if first {
		if !p.expect('{') || p.peek('}') {
			return nil, false
		}
	} else if !p.peek(',') {
		p.expect('}')
		return nil, false
	}
	key, ok := p.rawKey()
	if !ok || !p.expect(':') {
		p.ok = false
		return nil, false
	}
	p.ws()
	return key, true
}

func (p *fastParser) actor(a *Actor) {
	var seen uint32
	for key, ok := p.member(true); ok; key, ok = p.member(false) {
		switch string(key) {
		case "id":
			p.once(&seen, 1)
			a.ID = p.str()
		case "type":
			p.once(&seen, 2)
			a.Type = p.enum()
		case "name":
			p.once(&seen, 4)
			a.Name = p.str()
		case "dept":
			p.once(&seen, 8)
			a.Dept = p.str()
		default:
			p.ok = false
		}
	}
}

func (p *fastParser) origin(o *Origin) {
	var seen uint32
	for key, ok := p.member(true); ok; key, ok = p.member(false) {
		switch string(key) {
		case "ip":
			p.once(&seen, 1)
			o.IP = p.str()
		case "host":
			p.once(&seen, 2)
			o.Host = p.str()
		case "device":
			p.once(&seen, 4)
			o.Device = p.str()
		case "cert":
			p.once(&seen, 8)
			o.Cert = p.str()
		case "user_agent":
			p.once(&seen, 16)
			o.UserAgent = p.str()
		default:
			p.ok = false
		}
	}
}

func (p *fastParser) auth(a *Auth) {
	var seen uint32
	for key, ok := p.member(true); ok; key, ok = p.member(false) {
		switch string(key) {
		case "method":
			p.once(&seen, 1)
			a.Method = p.enum()
		case "session":
			p.once(&seen, 2)
			a.Session = p.str()
		case "key_id":
			p.once(&seen, 4)
			a.KeyID = p.str()
		case "external":
			p.once(&seen, 8)
			a.External = p.bool()
		default:
			p.ok = false
		}
	}
}

func (p *fastParser) target(t *Target) {
	var seen uint32
	for key, ok := p.member(true); ok; key, ok = p.member(false) {
		switch string(key) {
		case "object":
			p.once(&seen, 1)
			t.Object = p.str()
		case "kind":
			p.once(&seen, 2)
			t.Kind = p.enum()
		default:
			p.ok = false
		}
	}
}

func (p *fastParser) result(r *Result) {
	var seen uint32
	for key, ok := p.member(true); ok; key, ok = p.member(false) {
		switch string(key) {
		case "status":
			p.once(&seen, 1)
			r.Status = p.enum()
		case "rows":
			p.once(&seen, 2)
			r.Rows = Int64(p.int())
		case "bytes":
			p.once(&seen, 4)
			r.Bytes = Int64(p.int())
		default:
			p.ok = false
		}
	}
}

func (p *fastParser) ws() {
	i := p.i
	for i < len(p.b) && (p.b[i] == ' ' || p.b[i] == '\t' || p.b[i] == '\n' || p.b[i] == '\r') {
		i++
	}
	p.i = i
}

// expect consumes c after optional whitespace.
func (p *fastParser) expect(c byte) bool {
	if p.ok && p.i < len(p.b) && p.b[p.i] == c { // no whitespace: the usual case
		p.i++
		return true
	}
	p.ws()
	if p.ok && p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	p.ok = false
	return false
}

// peek reports whether the next byte after whitespace is c, consuming it.
func (p *fastParser) peek(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// rawKey reads a key without escapes (a key with escapes is left to
// encoding/json).
func (p *fastParser) rawKey() ([]byte, bool) {
	if !p.expect('"') {
		return nil, false
	}
	// Loops index a local, not p.i: a field updated through p each byte
	// stays in memory.
	b, start := p.b, p.i
	for i := start; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			p.i = i + 1
			return b[start:i], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// enums are the values of the schema's enumerated fields, returned without
// allocating a new string for each record.
var enums = func() map[string]string {
	m := map[string]string{}
	for _, set := range []map[string]bool{actions, actorTypes, authMethods, targetKinds, statuses} {
		for v := range set {
			m[v] = v
		}
	}
	return m
}()

// enum reads a string that is usually one of the schema's enumerations.
func (p *fastParser) enum() string {
	if !p.expect('"') {
		return ""
	}
	b, start := p.b, p.i
	i := start
	for i < len(b) && b[i] >= 0x20 && b[i] != '"' && b[i] != '\\' && b[i] < utf8.RuneSelf {
		i++
	}
	if i < len(b) && b[i] == '"' {
		if v, ok := enums[string(b[start:i])]; ok {
			p.i = i + 1
			return v
		}
	}
	p.i = start - 1
	return p.str()
}

// str reads a JSON string as encoding/json does: escapes decoded, invalid
// UTF-8 and lone surrogates turned into U+FFFD.
func (p *fastParser) str() string {
	if !p.expect('"') {
		return ""
	}
	start := p.i
	end, plain := scanString(p.b, p.i)
	if end < 0 {
		p.ok = false
		return ""
	}
	if !plain {
		return p.slowStr(start)
	}
	p.i = end + 1
	return string(p.b[start:end])
}

// Bytes of eight equal lanes, for scanString.
const (
	lanes01 = 0x0101010101010101
	lanes20 = 0x2020202020202020
	lanes80 = 0x8080808080808080
)

// jsonSpecial reports whether any of the eight bytes of w is a quote, a
// backslash or below 0x20: what ends or must escape a JSON string. (The
// classic "has a zero byte" test on w^c, and w-0x20 for "below".)
func jsonSpecial(w uint64) bool {
	q, bs := w^(lanes01*'"'), w^(lanes01*'\\')
	return ((q-lanes01)&^q|(bs-lanes01)&^bs|(w-lanes20)&^w)&lanes80 != 0
}

// scanString finds the closing quote of a string whose first byte is at
// i, eight bytes at a time. plain is false when the string holds an
// escape, a control byte or non-ASCII bytes that are not valid UTF-8: then
// slowStr must decode it. end is -1 when the quote is missing.
func scanString(b []byte, i int) (end int, plain bool) {
	start, ascii := i, true
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		ascii = ascii && w&lanes80 == 0
		if jsonSpecial(w) {
			break
		}
	}
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i, (ascii || utf8.Valid(b[start:i]))
		case c == '\\' || c < 0x20:
			return i, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return -1, false
}

// slowStr finishes a string that holds escapes or non-ASCII bytes, from
// its first byte at start.
func (p *fastParser) slowStr(start int) string {
	out := make([]byte, 0, p.i-start+32)
	out = append(out, p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out)
		case c < 0x20:
			p.ok = false
			return ""
		case c == '\\':
			if p.i+1 >= len(p.b) {
				p.ok = false
				return ""
			}
			e := p.b[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := p.hex4()
				if r < 0 {
					p.ok = false
					return ""
				}
				if utf16.IsSurrogate(rune(r)) {
					// A surrogate pair decodes to one rune; a lone surrogate
					// is U+FFFD and what follows is read on its own.
					if p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
						save := p.i
						p.i += 2
						if r2 := p.hex4(); r2 >= 0 {
							if d := utf16.DecodeRune(rune(r), rune(r2)); d != utf8.RuneError {
								out = utf8.AppendRune(out, d)
								continue
							}
						}
						p.i = save
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, rune(r))
			default:
				p.ok = false
				return ""
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, p.b[p.i:p.i+size]...)
			}
			p.i += size
		}
	}
	p.ok = false
	return ""
}

// hex4 reads four hex digits, or returns -1.
func (p *fastParser) hex4() int {
	if p.i+4 > len(p.b) {
		return -1
	}
	v := 0
	for _, c := range p.b[p.i : p.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		v = v<<4 | int(c)
	}
	p.i += 4
	return v
}

// int reads a JSON integer into an int64; fractions, exponents and values
// out of range are left to encoding/json (which rejects them).
func (p *fastParser) int() int64 {
	b, start := p.b, p.i
	i := start
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	digits := i
	var v int64
	for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		v = v*10 + int64(b[i]-'0')
	}
	p.i = i
	n := i - digits
	if n == 0 || n > 1 && b[digits] == '0' || i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
		p.ok = false
		return 0
	}
	if n > 18 { // may not fit: let strconv say
		var err error
		if v, err = strconv.ParseInt(string(b[start:i]), 10, 64); err != nil {
			p.ok = false
		}
		return v
	}
	if neg {
		return -v
	}
	return v
}

func (p *fastParser) bool() bool {
	switch {
	case len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "true":
		p.i += 4
		return true
	case len(p.b)-p.i >= 5 && string(p.b[p.i:p.i+5]) == "false":
		p.i += 5
		return false
	}
	p.ok = false
	return false
}

// time reads an RFC 3339 time exactly as encoding/json does, through
// time.Time's own UnmarshalJSON.
func (p *fastParser) time(t *time.Time) {
	start := p.i
	s := p.str()
	if !p.ok || p.i-start != len(s)+2 { // escapes: leave to encoding/json
		p.ok = false
		return
	}
	if err := t.UnmarshalJSON(p.b[start:p.i]); err != nil {
		p.ok = false
	}
}

func (p *fastParser) strings() []string {
	if !p.expect('[') {
		return nil
	}
	out := []string{}
	if p.peek(']') {
		return out
	}
	for p.ok {
		p.ws()
		out = append(out, p.str())
		if p.peek(',') {
			continue
		}
		p.expect(']')
		break
	}
	return out
}

// counts reads the pii object. A key repeated in it keeps its last value,
// as a map does in encoding/json.
func (p *fastParser) counts() map[string]int64 {
	out := map[string]int64{}
	p.mapObject(func(k string) { out[k] = p.int() })
	return out
}

func (p *fastParser) stringMap() map[string]string {
	out := map[string]string{}
	p.mapObject(func(k string) { out[k] = p.str() })
	return out
}

// mapObject reads an object of any keys (escapes allowed), calling value
// positioned at each value.
func (p *fastParser) mapObject(value func(key string)) {
	if !p.expect('{') {
		return
	}
	if p.peek('}') {
		return
	}
	for p.ok {
		p.ws()
		k := p.str()
		if !p.expect(':') {
			return
		}
		p.ws()
		value(k)
		if p.peek(',') {
			continue
		}
		p.expect('}')
		return
	}
}
