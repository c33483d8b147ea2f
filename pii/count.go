package pii

import (
	"bytes"
	"sync"
	"unsafe"
)

// Counts is what Count finds in a text.
type Counts struct {
	// Types holds the number of distinct values per type (medium and high
	// confidence only). Types with none are absent; the map is nil if no
	// type has any.
	Types map[Type]int
	// Subjects is the number of rows or lines that carry at least one
	// identifying value: an estimate of the data subjects the text
	// evidences.
	Subjects int
}

// Count detects the text's format (CSV, TSV, JSON lines or free text),
// scans it with column names as context and counts distinct values per
// type and the rows that carry an identifying one. It is what the ingest
// pipeline calls on a record's payload. A text with nothing to count
// costs no allocation, and its Counts has a nil Types map.
func Count(text []byte) Counts {
	k := counters.Get().(*counter)
	k.s.today = 0 // a pooled Scanner may be older than today
	c := k.count(text)
	k.c, k.line = Counts{}, nil
	if len(k.seen) > maxPooledSeen {
		k.seen = nil // do not keep a large text's set in the pool
	}
	clear(k.seen)
	counters.Put(k)
	return c
}

// CountString is Count for a string, without copying it: the pipeline's
// records hold their payload as a string.
func CountString(s string) Counts { return Count(unsafe.Slice(unsafe.StringData(s), len(s))) }

// maxPooledSeen bounds the distinct-value set a pooled counter keeps.
const maxPooledSeen = 1024

// counters holds Count's state between calls: Count may be called
// concurrently, and a Scanner, a Table and the set of values seen are too
// costly to make for each short payload.
var counters = sync.Pool{New: func() any {
	k := &counter{s: NewScanner()}
	k.onText, k.onRow = k.text, k.row
	return k
}}

// counter counts the findings of one text at a time.
type counter struct {
	s     *Scanner
	table *Table
	c     Counts
	seen  map[valueKey]struct{}
	line  []byte // the line being scanned: findings' offsets are in it
	rows  []bool // the rows of the current record that hold an identifying value
	hit   bool   // the current line of free text holds one

	// The callbacks, made once: the fields above change under them.
	onText func(Finding)
	onRow  func(Finding, int)
}

func (k *counter) count(text []byte) Counts {
	var t *Table
	if format := DetectFormat(text[:min(len(text), 4096)]); format != FormatText {
		if k.table == nil {
			k.table = NewTable(k.s, format)
		}
		t = k.table
		t.restart(format)
	}
	for len(text) > 0 {
		nl := bytes.IndexByte(text, '\n')
		k.line = text
		if nl >= 0 {
			k.line, text = text[:nl], text[nl+1:]
		} else {
			text = nil
		}
		if t == nil {
			k.hit = false
			k.s.Scan(k.line, k.onText)
			if k.hit {
				k.c.Subjects++
			}
			continue
		}
		k.rows = k.rows[:0]
		t.Record(k.line, k.onRow)
		for _, r := range k.rows {
			if r {
				k.c.Subjects++
			}
		}
	}
	return k.c
}

// add counts f and reports whether it is an identifying value.
func (k *counter) add(f Finding) bool {
	if f.Confidence < Medium {
		return false
	}
	v := k.line[f.Start:f.End]
	key := valueKey{f.Type, valueHash(f.Type, v)}
	if _, ok := k.seen[key]; !ok {
		if k.seen == nil {
			k.seen = map[valueKey]struct{}{}
		}
		if k.c.Types == nil {
			k.c.Types = map[Type]int{}
		}
		k.seen[key] = struct{}{}
		k.c.Types[f.Type]++
	}
	return identifying(f.Type, v)
}

func (k *counter) text(f Finding) {
	if k.add(f) {
		k.hit = true
	}
}

func (k *counter) row(f Finding, row int) {
	if k.add(f) {
		for len(k.rows) <= row {
			k.rows = append(k.rows, false)
		}
		k.rows[row] = true
	}
}

// Fingerprint returns a hash of the value's normalised form, equal for one
// value written differently (010-1234-5678 and 01012345678). Callers use
// it to count distinct values without keeping them.
func Fingerprint(t Type, value []byte) uint64 { return valueHash(t, value) }

type valueKey struct {
	t Type
	h uint64
}

// valueHash hashes the normalised value: digits only for numbers, lower
// case for e-mail, no spaces otherwise; "010-1234-5678" and "01012345678"
// are one value.
func valueHash(t Type, v []byte) uint64 {
	// FNV-1a, inline: hash/fnv would allocate per value.
	const offset64, prime64 = 14695981039346656037, 1099511628211
	h := uint64(offset64)
	put := func(c byte) {
		h ^= uint64(c)
		h *= prime64
	}
	switch t {
	case Email, Name, Address, Passport, IP, IPPrivate:
		for _, c := range v {
			if c != ' ' {
				put(lower(c))
			}
		}
	default:
		for i := 0; i < len(v); {
			d, w := digitAt(v, i)
			if w == 0 {
				if c := v[i]; isAlpha(c) {
					put(lower(c))
				}
				i++
				continue
			}
			put(d)
			i += w
		}
	}
	return h
}

// identifying reports whether the value points at a person. Business
// numbers with middle digits 81–89 belong to corporations, public bodies
// and religious groups, not to a data subject.
func identifying(t Type, v []byte) bool {
	if !t.Identifying() {
		return false
	}
	if t == BRN {
		var d [10]byte
		n := 0
		for i := 0; i < len(v) && n < 10; {
			c, w := digitAt(v, i)
			if w == 0 {
				i++
				continue
			}
			d[n] = c
			n++
			i += w
		}
		if n == 10 && d[3] == '8' && d[4] >= '1' {
			return false
		}
	}
	return true
}
