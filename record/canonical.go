package record

import (
	"encoding/binary"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

// AppendCanonical appends the canonical JSON encoding of r to b and returns
// the extended buffer.
//
// The encoding is the schema's field order, with empty strings, false,
// zero counts and empty objects left out, map keys sorted, times in RFC 3339
// with their original offset and nanoseconds only when present, and strings
// escaped minimally (", \ and control characters; invalid UTF-8 becomes
// U+FFFD). It never changes for a given record: the ledger depends on it.
func (r *Record) AppendCanonical(b []byte) []byte {
	w := canonWriter{b: append(b, '{'), first: true}
	w.str("id", r.ID)
	w.key("time")
	w.b = append(w.b, '"')
	w.b = r.Time.AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
	w.str("system", r.System)
	mark := w.open("actor")
	w.str("id", r.Actor.ID)
	w.str("type", r.Actor.Type)
	w.str("name", r.Actor.Name)
	w.str("dept", r.Actor.Dept)
	w.close(mark)
	w.str("action", string(r.Action))
	mark = w.open("origin")
	w.str("ip", r.Origin.IP)
	w.str("host", r.Origin.Host)
	w.str("device", r.Origin.Device)
	w.str("cert", r.Origin.Cert)
	w.str("user_agent", r.Origin.UserAgent)
	w.close(mark)
	mark = w.open("auth")
	w.str("method", r.Auth.Method)
	w.str("session", r.Auth.Session)
	w.str("key_id", r.Auth.KeyID)
	if r.Auth.External {
		w.key("external")
		w.b = append(w.b, "true"...)
	}
	w.close(mark)
	mark = w.open("target")
	w.str("object", r.Target.Object)
	w.str("kind", r.Target.Kind)
	w.close(mark)
	w.str("detail", r.Detail)
	w.str("purpose", r.Purpose)
	mark = w.open("result")
	w.str("status", r.Result.Status)
	if r.Result.Rows != nil {
		w.key("rows")
		w.b = strconv.AppendInt(w.b, *r.Result.Rows, 10)
	}
	if r.Result.Bytes != nil {
		w.key("bytes")
		w.b = strconv.AppendInt(w.b, *r.Result.Bytes, 10)
	}
	w.close(mark)
	if len(r.Subjects) > 0 {
		w.key("subjects")
		w.b = append(w.b, '[')
		for i, s := range r.Subjects {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendString(w.b, s)
		}
		w.b = append(w.b, ']')
	}
	if r.SubjectCount != 0 {
		w.key("subject_count")
		w.b = strconv.AppendInt(w.b, r.SubjectCount, 10)
	}
	if len(r.PII) > 0 {
		w.key("pii")
		w.b = append(w.b, '{')
		for i, k := range sortedKeys(r.PII) {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendString(w.b, k)
			w.b = append(w.b, ':')
			w.b = strconv.AppendInt(w.b, r.PII[k], 10)
		}
		w.b = append(w.b, '}')
	}
	w.str("payload", r.Payload)
	if len(r.Attrs) > 0 {
		w.key("attrs")
		w.b = append(w.b, '{')
		for i, k := range sortedKeys(r.Attrs) {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendString(w.b, k)
			w.b = append(w.b, ':')
			w.b = appendString(w.b, r.Attrs[k])
		}
		w.b = append(w.b, '}')
	}
	return append(w.b, '}')
}

// canonWriter appends the members of one JSON object level at a time; a
// value type on the caller's stack (closures over the buffer would move it
// to the heap, and this runs for every record twice).
type canonWriter struct {
	b     []byte
	first bool // no member written yet at this level
}

func (w *canonWriter) key(k string) {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

// str writes a string member unless v is empty.
func (w *canonWriter) str(k, v string) {
	if v != "" {
		w.key(k)
		w.b = appendString(w.b, v)
	}
}

// objMark is where a nested object began, to drop it if it stays empty.
type objMark struct {
	at    int
	first bool
}

func (w *canonWriter) open(k string) objMark {
	m := objMark{len(w.b), w.first}
	w.key(k)
	w.b = append(w.b, '{')
	w.first = true
	return m
}

func (w *canonWriter) close(m objMark) {
	if w.first { // nothing written: leave the object out entirely
		w.b, w.first = w.b[:m.at], m.first
		return
	}
	w.b = append(w.b, '}')
	w.first = false
}

// Canonical returns the canonical JSON encoding of r.
func (r *Record) Canonical() []byte { return r.AppendCanonical(make([]byte, 0, 512)) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string with minimal escaping.
func appendString(b []byte, s string) []byte {
	if plainString(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainString reports whether s needs no escaping (no quote, backslash or
// control byte) and is valid UTF-8, as nearly every string is: it checks
// eight bytes at a time, and validates UTF-8 only when a byte is not ASCII.
func plainString(s string) bool {
	b := unsafe.Slice(unsafe.StringData(s), len(s)) // read only
	var high uint64
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if jsonSpecial(w) {
			return false
		}
		high |= w
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c == '"' || c == '\\' {
			return false
		}
		high |= uint64(b[i])
	}
	return high&lanes80 == 0 || utf8.Valid(b)
}
