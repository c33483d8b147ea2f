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
	p.object(func(key []byte, seen *uint32) {
		bit, field := topField(key)
		if p.once(seen, bit) {
			field(&p, r)
		}
	})
	p.ws()
	return p.ok && p.i == len(p.b)
}

// topField returns the bit and decoder of a top-level key; a zero bit for
// a key the fast path does not know.
func topField(key []byte) (uint32, func(*fastParser, *Record)) {
	switch string(key) {
	case "id":
		return 1 << 0, func(p *fastParser, r *Record) { r.ID = p.str() }
	case "time":
		return 1 << 1, func(p *fastParser, r *Record) { p.time(&r.Time) }
	case "system":
		return 1 << 2, func(p *fastParser, r *Record) { r.System = p.str() }
	case "actor":
		return 1 << 3, func(p *fastParser, r *Record) { p.actor(&r.Actor) }
	case "action":
		return 1 << 4, func(p *fastParser, r *Record) { r.Action = Action(p.enum()) }
	case "origin":
		return 1 << 5, func(p *fastParser, r *Record) { p.origin(&r.Origin) }
	case "auth":
		return 1 << 6, func(p *fastParser, r *Record) { p.auth(&r.Auth) }
	case "target":
		return 1 << 7, func(p *fastParser, r *Record) { p.target(&r.Target) }
	case "detail":
		return 1 << 8, func(p *fastParser, r *Record) { r.Detail = p.str() }
	case "purpose":
		return 1 << 9, func(p *fastParser, r *Record) { r.Purpose = p.str() }
	case "result":
		return 1 << 10, func(p *fastParser, r *Record) { p.result(&r.Result) }
	case "subjects":
		return 1 << 11, func(p *fastParser, r *Record) { r.Subjects = p.strings() }
	case "subject_count":
		return 1 << 12, func(p *fastParser, r *Record) { r.SubjectCount = p.int() }
	case "pii":
		return 1 << 13, func(p *fastParser, r *Record) { r.PII = p.counts() }
	case "payload":
		return 1 << 14, func(p *fastParser, r *Record) { r.Payload = p.str() }
	case "attrs":
		return 1 << 15, func(p *fastParser, r *Record) { r.Attrs = p.stringMap() }
	}
	return 0, nil
}

// once marks a known key seen, refusing unknown and repeated ones.
func (p *fastParser) once(seen *uint32, bit uint32) bool {
	if bit == 0 || *seen&bit != 0 {
		p.ok = false
		return false
	}
	*seen |= bit
	return true
}

func (p *fastParser) actor(a *Actor) {
	p.object(func(key []byte, seen *uint32) {
		switch string(key) {
		case "id":
			p.once(seen, 1)
			a.ID = p.str()
		case "type":
			p.once(seen, 2)
			a.Type = p.enum()
		case "name":
			p.once(seen, 4)
			a.Name = p.str()
		case "dept":
			p.once(seen, 8)
			a.Dept = p.str()
		default:
			p.ok = false
		}
	})
}

func (p *fastParser) origin(o *Origin) {
	p.object(func(key []byte, seen *uint32) {
		switch string(key) {
		case "ip":
			p.once(seen, 1)
			o.IP = p.str()
		case "host":
			p.once(seen, 2)
			o.Host = p.str()
		case "device":
			p.once(seen, 4)
			o.Device = p.str()
		case "cert":
			p.once(seen, 8)
			o.Cert = p.str()
		case "user_agent":
			p.once(seen, 16)
			o.UserAgent = p.str()
		default:
			p.ok = false
		}
	})
}

func (p *fastParser) auth(a *Auth) {
	p.object(func(key []byte, seen *uint32) {
		switch string(key) {
		case "method":
			p.once(seen, 1)
			a.Method = p.enum()
		case "session":
			p.once(seen, 2)
			a.Session = p.str()
		case "key_id":
			p.once(seen, 4)
			a.KeyID = p.str()
		case "external":
			p.once(seen, 8)
			a.External = p.bool()
		default:
			p.ok = false
		}
	})
}

func (p *fastParser) target(t *Target) {
	p.object(func(key []byte, seen *uint32) {
		switch string(key) {
		case "object":
			p.once(seen, 1)
			t.Object = p.str()
		case "kind":
			p.once(seen, 2)
			t.Kind = p.enum()
		default:
			p.ok = false
		}
	})
}

func (p *fastParser) result(r *Result) {
	p.object(func(key []byte, seen *uint32) {
		switch string(key) {
		case "status":
			p.once(seen, 1)
			r.Status = p.enum()
		case "rows":
			p.once(seen, 2)
			r.Rows = Int64(p.int())
		case "bytes":
			p.once(seen, 4)
			r.Bytes = Int64(p.int())
		default:
			p.ok = false
		}
	})
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
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

// object reads {"key": value, ...}, calling field with each raw key (valid
// only during the call) positioned at its value. seen is the field's own
// bit set for repeated keys.
func (p *fastParser) object(field func(key []byte, seen *uint32)) {
	if !p.expect('{') {
		return
	}
	var seen uint32
	if p.peek('}') {
		return
	}
	for p.ok {
		key, ok := p.rawKey()
		if !ok || !p.expect(':') {
			p.ok = false
			return
		}
		p.ws()
		field(key, &seen)
		if p.peek(',') {
			continue
		}
		p.expect('}')
		return
	}
}

// rawKey reads a key without escapes (a key with escapes is left to
// encoding/json).
func (p *fastParser) rawKey() ([]byte, bool) {
	if !p.expect('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return p.b[start : p.i-1], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
		p.i++
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
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= 0x20 && p.b[p.i] != '"' && p.b[p.i] != '\\' && p.b[p.i] < utf8.RuneSelf {
		p.i++
	}
	if p.i < len(p.b) && p.b[p.i] == '"' {
		if v, ok := enums[string(p.b[start:p.i])]; ok {
			p.i++
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
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
	}
	n := p.i - digits
	if n == 0 || n > 1 && p.b[digits] == '0' || p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.ok = false
		return 0
	}
	v, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
	if err != nil {
		p.ok = false
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
