package pii

import "bytes"

// Counts is what Count finds in a text.
type Counts struct {
	// Types holds the number of distinct values per type (medium and high
	// confidence only). Types with none are absent.
	Types map[Type]int
	// Subjects is the number of rows or lines that carry at least one
	// identifying value: an estimate of the data subjects the text
	// evidences.
	Subjects int
}

// Count detects the text's format (CSV, TSV, JSON lines or free text),
// scans it with column names as context and counts distinct values per
// type and the rows that carry an identifying one. It is what the ingest
// pipeline calls on a record's payload and detail.
func Count(text []byte) Counts {
	c := Counts{Types: map[Type]int{}}
	s := NewScanner()
	seen := map[valueKey]struct{}{}
	// The callbacks are made once: line and rows change under them.
	var (
		line []byte
		rows []bool
		hit  bool
	)
	add := func(f Finding) bool {
		if f.Confidence < Medium {
			return false
		}
		v := line[f.Start:f.End]
		k := valueKey{f.Type, valueHash(f.Type, v)}
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
			c.Types[f.Type]++
		}
		return identifying(f.Type, v)
	}
	onText := func(f Finding) {
		if add(f) {
			hit = true
		}
	}
	onRow := func(f Finding, row int) {
		if add(f) {
			for len(rows) <= row {
				rows = append(rows, false)
			}
			rows[row] = true
		}
	}
	format := DetectFormat(text[:min(len(text), 4096)])
	var t *Table
	if format != FormatText {
		t = NewTable(s, format)
	}
	for len(text) > 0 {
		nl := bytes.IndexByte(text, '\n')
		line = text
		if nl >= 0 {
			line, text = text[:nl], text[nl+1:]
		} else {
			text = nil
		}
		if t == nil {
			hit = false
			s.Scan(line, onText)
			if hit {
				c.Subjects++
			}
			continue
		}
		rows = rows[:0]
		t.Record(line, onRow)
		for _, r := range rows {
			if r {
				c.Subjects++
			}
		}
	}
	return c
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
