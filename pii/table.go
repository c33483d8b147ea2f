package pii

import (
	"bytes"
	"unicode/utf8"
)

// Format is the layout of a text given to Count or scanned by a Table.
type Format uint8

// Formats.
const (
	FormatAuto Format = iota
	FormatText
	FormatCSV
	FormatTSV
	FormatJSON // JSON lines, or one JSON document per line
)

func (f Format) String() string {
	switch f {
	case FormatText:
		return "text"
	case FormatCSV:
		return "csv"
	case FormatTSV:
		return "tsv"
	case FormatJSON:
		return "jsonl"
	}
	return "auto"
}

// ParseFormat parses auto, text, csv, tsv, json or jsonl.
func ParseFormat(s string) (Format, bool) {
	switch s {
	case "auto", "":
		return FormatAuto, true
	case "text":
		return FormatText, true
	case "csv":
		return FormatCSV, true
	case "tsv":
		return FormatTSV, true
	case "json", "jsonl":
		return FormatJSON, true
	}
	return 0, false
}

// DetectFormat guesses the format from the first bytes of a text: JSON if
// it opens with '{' or '[', TSV or CSV if its first lines (at least two)
// have the same non-zero number of tabs or commas, text otherwise.
func DetectFormat(head []byte) Format {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	i := 0
	for i < len(head) && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n') {
		i++
	}
	if i < len(head) && (head[i] == '{' || head[i] == '[') {
		return FormatJSON
	}
	rest := head[i:]
	if nl := bytes.IndexByte(rest, '\n'); nl < 0 || nl == len(rest)-1 {
		return FormatText // one line: most payloads, and no table
	}
	var tabs, commas [5]int
	lines := 0
	for lines < 5 && len(rest) > 0 {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			if lines > 0 && len(head) >= 4096 {
				break // probably a cut line
			}
			nl = len(rest)
		}
		line := rest[:nl]
		tabs[lines] = bytes.Count(line, []byte{'\t'})
		commas[lines] = csvFields(line, ',') - 1
		lines++
		if nl == len(rest) {
			break
		}
		rest = rest[nl+1:]
	}
	if lines < 2 {
		return FormatText
	}
	same := func(c *[5]int) bool {
		for k := 1; k < lines; k++ {
			if c[k] != c[0] {
				return false
			}
		}
		return c[0] > 0
	}
	switch {
	case same(&tabs):
		return FormatTSV
	case same(&commas):
		return FormatCSV
	}
	return FormatText
}

// csvFields counts the fields of a CSV line, honouring quotes.
func csvFields(line []byte, sep byte) int {
	if bytes.IndexByte(line, '"') < 0 {
		return bytes.Count(line, []byte{sep}) + 1
	}
	n, q := 1, false
	for _, c := range line {
		switch {
		case c == '"':
			q = !q
		case c == sep && !q:
			n++
		}
	}
	return n
}

// Table scans the records of a CSV, TSV or JSON-lines text, one line at a
// time, giving every value its column or key name as context. A CSV or TSV
// table's first line is its header when no field of it looks like data.
// A Table is not safe for concurrent use.
type Table struct {
	s       *Scanner
	format  Format
	started bool
	names   []byte // a copy of the header line, which header points into
	header  [][]byte
	cols    []column          // the header's columns, classified
	keys    map[string]column // JSON keys seen, classified

	// Per-value state for emitField, so that no closure is made per value.
	out     func(Finding, int)
	off     int
	row     int
	mapped  bool // offsets go through pos
	emitter func(Finding)

	// JSON scratch, reused between records.
	stack []jsonFrame
	dec   []byte
	pos   []int
}

// column is a column or key name classified by columnContext.
type column struct {
	m ctxMask
	t Type
}

// key classifies a JSON key, remembering the answer.
func (t *Table) key(k []byte) column {
	if c, ok := t.keys[string(k)]; ok {
		return c
	}
	if t.keys == nil {
		t.keys = map[string]column{}
	}
	m, typ := columnContext(string(k))
	c := column{m, typ}
	if len(t.keys) < 4096 {
		t.keys[string(k)] = c
	}
	return c
}

type jsonFrame struct {
	array bool
	key   []byte // the key the container sits under
}

// NewTable returns a Table for format f (CSV, TSV or JSON) scanning with s.
func NewTable(s *Scanner, f Format) *Table {
	t := &Table{s: s, format: f}
	t.emitter = t.emitField
	return t
}

// restart makes t ready for another text in format f. It keeps t's
// buffers and the JSON keys it has classified, so that Count allocates
// nothing for them.
func (t *Table) restart(f Format) {
	t.format, t.started = f, false
	t.names, t.header, t.cols = t.names[:0], t.header[:0], t.cols[:0]
}

// emitField moves a finding from value to line offsets and passes it on.
func (t *Table) emitField(f Finding) {
	if t.mapped {
		f.Start, f.End = t.pos[f.Start], t.pos[f.End]
	} else {
		f.Start += t.off
		f.End += t.off
	}
	t.out(f, t.row)
}

// Columns returns the header's column names, if the table has a header.
func (t *Table) Columns() [][]byte { return t.header }

// Record scans one record, a line without its line break. Offsets in the
// findings are relative to line. row numbers the data subjects inside the
// record: 0 for the record itself, 1, 2, … for the objects of a JSON array
// (each is a row of its own).
func (t *Table) Record(line []byte, fn func(f Finding, row int)) {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	switch t.format {
	case FormatJSON:
		t.json(line, fn)
	case FormatTSV:
		t.delimited(line, '\t', fn)
	default:
		t.delimited(line, ',', fn)
	}
}

func (t *Table) delimited(line []byte, sep byte, fn func(Finding, int)) {
	if !t.started {
		t.started = true
		if looksLikeHeader(line, sep) {
			t.names = append(t.names, line...) // line is the caller's
			forFields(t.names, sep, func(_ int, v []byte) {
				t.header = append(t.header, v)
				m, typ := columnContext(string(v))
				t.cols = append(t.cols, column{m, typ})
			})
			return
		}
	}
	forFields(line, sep, func(col int, v []byte) {
		var c column
		if col < len(t.cols) {
			c = t.cols[col]
		}
		t.out, t.off, t.row, t.mapped = fn, offsetIn(line, v), 0, false
		t.s.scanField(c.m, c.t, v, t.emitter)
	})
}

// offsetIn returns the offset of sub inside b (sub must be a sub-slice).
func offsetIn(b, sub []byte) int {
	if len(sub) == 0 {
		return 0
	}
	return cap(b) - cap(sub)
}

// forFields calls fn with each field of a delimited line; quoted fields
// are passed without their quotes.
func forFields(line []byte, sep byte, fn func(col int, v []byte)) {
	col, i := 0, 0
	for i <= len(line) {
		if i < len(line) && line[i] == '"' && sep == ',' {
			j := i + 1
			for j < len(line) {
				if line[j] == '"' {
					if j+1 < len(line) && line[j+1] == '"' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			fn(col, line[i+1:j])
			col++
			k := bytes.IndexByte(line[min(j, len(line)):], sep)
			if k < 0 {
				return
			}
			i = j + k + 1
			continue
		}
		k := bytes.IndexByte(line[i:], sep)
		if k < 0 {
			fn(col, line[i:])
			return
		}
		fn(col, line[i:i+k])
		col++
		i += k + 1
	}
}

// looksLikeHeader: short fields, none with six digits in a row or an '@'.
func looksLikeHeader(line []byte, sep byte) bool {
	ok := true
	forFields(line, sep, func(_ int, v []byte) {
		if len(v) > 64 || bytes.IndexByte(v, '@') >= 0 {
			ok = false
			return
		}
		run := 0
		for _, c := range v {
			if isDigit(c) {
				run++
				if run >= 6 {
					ok = false
					return
				}
			} else {
				run = 0
			}
		}
	})
	return ok
}

func (t *Table) json(line []byte, fn func(Finding, int)) {
	t.stack = t.stack[:0]
	var key []byte
	rowDepth, row, nrows := -1, 0, 0
	i := 0
	for i < len(line) {
		c := line[i]
		switch c {
		case '{', '[':
			depth := len(t.stack)
			parentArray := depth > 0 && t.stack[depth-1].array
			t.stack = append(t.stack, jsonFrame{array: c == '[', key: key})
			if c == '{' && parentArray && rowDepth < 0 {
				rowDepth = depth
				nrows++
				row = nrows
			}
			i++
		case '}', ']':
			if n := len(t.stack); n > 0 {
				key = t.stack[n-1].key
				t.stack = t.stack[:n-1]
				if len(t.stack) == rowDepth {
					rowDepth, row = -1, 0
				}
			}
			i++
		case '"':
			j, esc := jsonStringEnd(line, i+1)
			v := line[i+1 : j]
			k := j + 1
			for k < len(line) && (line[k] == ' ' || line[k] == '\t') {
				k++
			}
			inObject := len(t.stack) > 0 && !t.stack[len(t.stack)-1].array
			if k < len(line) && line[k] == ':' && inObject {
				key = v
				i = k + 1
				continue
			}
			t.jsonValue(key, v, i+1, esc, row, fn)
			i = j + 1
		case ' ', '\t', ',', ':':
			i++
		default:
			j := i
			for j < len(line) && line[j] != ',' && line[j] != '}' && line[j] != ']' && line[j] != ' ' {
				j++
			}
			if c == '-' || isDigit(c) {
				t.jsonValue(key, line[i:j], i, false, row, fn)
			}
			if j == i {
				j++
			}
			i = j
		}
	}
}

// jsonStringEnd returns the index of the closing quote of a string whose
// content starts at i, and whether it has escapes.
func jsonStringEnd(b []byte, i int) (int, bool) {
	esc := false
	for {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b), esc || bytes.IndexByte(b[i:], '\\') >= 0
		}
		bs := bytes.IndexByte(b[i:i+q], '\\')
		if bs < 0 {
			return i + q, esc
		}
		// A backslash escapes the byte after it, which may be the quote.
		esc = true
		if i += bs + 2; i >= len(b) {
			return len(b), true
		}
	}
}

func (t *Table) jsonValue(key, v []byte, off int, esc bool, row int, fn func(Finding, int)) {
	c := t.key(key)
	t.out, t.off, t.row, t.mapped = fn, off, row, esc
	if !esc {
		t.s.scanField(c.m, c.t, v, t.emitter)
		return
	}
	t.unescape(v, off)
	t.s.scanField(c.m, c.t, t.dec, t.emitter)
}

// unescape decodes a JSON string's escapes into t.dec, with t.pos mapping
// each decoded byte (and the end) to its offset in the line.
func (t *Table) unescape(v []byte, off int) {
	t.dec, t.pos = t.dec[:0], t.pos[:0]
	for i := 0; i < len(v); {
		c := v[i]
		if c != '\\' || i+1 >= len(v) {
			t.dec = append(t.dec, c)
			t.pos = append(t.pos, off+i)
			i++
			continue
		}
		start := i
		var r rune
		switch v[i+1] {
		case 'n':
			r, i = '\n', i+2
		case 't':
			r, i = '\t', i+2
		case 'r':
			r, i = '\r', i+2
		case 'b', 'f':
			r, i = ' ', i+2
		case 'u':
			if i+6 > len(v) {
				r, i = utf8.RuneError, len(v)
				break
			}
			r = rune(hex4(v[i+2 : i+6]))
			i += 6
			if r >= 0xD800 && r < 0xDC00 && i+6 <= len(v) && v[i] == '\\' && v[i+1] == 'u' {
				lo := rune(hex4(v[i+2 : i+6]))
				if lo >= 0xDC00 && lo < 0xE000 {
					r = (r-0xD800)<<10 | (lo - 0xDC00) + 0x10000
					i += 6
				}
			}
		default:
			r, i = rune(v[i+1]), i+2
		}
		n := len(t.dec)
		t.dec = utf8.AppendRune(t.dec, r)
		for k := n; k < len(t.dec); k++ {
			t.pos = append(t.pos, off+start)
		}
	}
	t.pos = append(t.pos, off+len(v))
}

func hex4(b []byte) int {
	n := 0
	for _, c := range b {
		n <<= 4
		switch {
		case isDigit(c):
			n |= int(c - '0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			n |= int(c|0x20-'a') + 10
		default:
			return 0xFFFD
		}
	}
	return n
}
