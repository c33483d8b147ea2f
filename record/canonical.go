package record

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
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
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
	}
	str := func(k, v string) {
		if v != "" {
			key(k)
			b = appendString(b, v)
		}
	}
	str("id", r.ID)
	key("time")
	b = append(b, '"')
	b = r.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	str("system", r.System)

	// Nested objects reuse the same closure by swapping the "first" flag.
	obj := func(k string, fill func()) {
		mark := len(b)
		saved := first
		key(k)
		b = append(b, '{')
		first = true
		fill()
		if first { // nothing written: drop the object entirely
			b = b[:mark]
			first = saved
			return
		}
		b = append(b, '}')
		first = false
	}
	obj("actor", func() {
		str("id", r.Actor.ID)
		str("type", r.Actor.Type)
		str("name", r.Actor.Name)
		str("dept", r.Actor.Dept)
	})
	str("action", string(r.Action))
	obj("origin", func() {
		str("ip", r.Origin.IP)
		str("host", r.Origin.Host)
		str("device", r.Origin.Device)
		str("cert", r.Origin.Cert)
		str("user_agent", r.Origin.UserAgent)
	})
	obj("auth", func() {
		str("method", r.Auth.Method)
		str("session", r.Auth.Session)
		str("key_id", r.Auth.KeyID)
		if r.Auth.External {
			key("external")
			b = append(b, "true"...)
		}
	})
	obj("target", func() {
		str("object", r.Target.Object)
		str("kind", r.Target.Kind)
	})
	str("detail", r.Detail)
	str("purpose", r.Purpose)
	obj("result", func() {
		str("status", r.Result.Status)
		if r.Result.Rows != nil {
			key("rows")
			b = strconv.AppendInt(b, *r.Result.Rows, 10)
		}
		if r.Result.Bytes != nil {
			key("bytes")
			b = strconv.AppendInt(b, *r.Result.Bytes, 10)
		}
	})
	if len(r.Subjects) > 0 {
		key("subjects")
		b = append(b, '[')
		for i, s := range r.Subjects {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		b = append(b, ']')
	}
	if r.SubjectCount != 0 {
		key("subject_count")
		b = strconv.AppendInt(b, r.SubjectCount, 10)
	}
	if len(r.PII) > 0 {
		key("pii")
		b = append(b, '{')
		for i, k := range sortedKeys(r.PII) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = strconv.AppendInt(b, r.PII[k], 10)
		}
		b = append(b, '}')
	}
	str("payload", r.Payload)
	if len(r.Attrs) > 0 {
		key("attrs")
		b = append(b, '{')
		for i, k := range sortedKeys(r.Attrs) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, r.Attrs[k])
		}
		b = append(b, '}')
	}
	return append(b, '}')
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
