package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/jikimi/jikimi/record"
)

// MaxLineBytes is the longest line Read accepts. A longer line is rejected
// with a LineError and skipped, so one runaway line cannot exhaust memory.
const MaxLineBytes = 1 << 20

// DefaultLocation is the zone of times that carry no offset when
// Options.Location is nil: Korean systems log in KST.
const DefaultLocation = "Asia/Seoul"

// LineError names the file, line and field of input that could not be read.
type LineError struct {
	File   string
	Line   int
	Field  string
	Reason string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Reason)
}

// Options configure a parser. The zero value works for the formats that carry
// everything they need (jsonl, pgaudit, mariadb-audit, syslog, otlp-json).
type Options struct {
	// System names the system for formats that don't carry one (sshd host,
	// nginx site). Required for sshd, nginx and nginx-json. For pgaudit and
	// mariadb-audit it overrides the database name or server host.
	System string
	// UserField is the nginx field that identifies the user: "remote_user"
	// (default), or for nginx-json any key of the JSON object, e.g. a
	// variable derived from a header such as "http_x_user".
	UserField string
	// Inner is the syslog format of the MSG part: "jsonl", "pgaudit",
	// "mariadb-audit", "nginx" or "sshd". Empty chooses by APP-NAME/program.
	Inner string
	// Location is the zone of times without an offset (sshd and RFC 3164
	// syslog, MariaDB audit, PostgreSQL zone abbreviations). Default Asia/Seoul.
	Location *time.Location
	// Year completes RFC 3164 and sshd times, which carry none. Default: the
	// current year.
	Year int
}

// withDefaults returns opts with Location and Year filled in.
func (o Options) withDefaults() Options {
	if o.Location == nil {
		loc, err := time.LoadLocation(DefaultLocation)
		if err != nil { // no tzdata on the machine: Korea has no DST
			loc = time.FixedZone("KST", 9*3600)
		}
		o.Location = loc
	}
	if o.Year == 0 {
		o.Year = time.Now().In(o.Location).Year()
	}
	return o
}

// EmitFunc receives a record and the 1-based number of its first input line.
type EmitFunc = func(rec *record.Record, lineNo int)

// Parser turns lines of one format into records. It may hold a record back
// until a later line completes it (pgaudit SESSION+OBJECT lines of one
// statement; csvlog fields spanning lines): a collector that tails a live
// file should call Flush when the input goes idle. Not safe for concurrent
// use.
type Parser interface {
	// Line parses one line (without its newline). It calls emit for each
	// record the line completes (the int is the 1-based number of the
	// record's FIRST line as passed to Line's lineNo) and returns a
	// *LineError (File left empty; Read fills it) for a bad line. Every
	// emitted record passes Validate.
	Line(line []byte, lineNo int, emit EmitFunc) error
	// Flush emits any record still held back (end of input). The parser
	// stays usable afterwards.
	Flush(emit EmitFunc)
}

// formats maps each format name to its constructor and whether its lines
// parse independently (see Independent).
var formats = map[string]struct {
	new         func(Options) (Parser, error)
	independent bool
}{
	"jsonl":         {newJSONL, true},
	"pgaudit":       {newPGStderr, false},
	"pgaudit-csv":   {newPGCSV, false},
	"pgaudit-json":  {newPGJSON, false},
	"mariadb-audit": {newMariaDB, false},
	"nginx":         {newNginxCombined, true},
	"nginx-json":    {newNginxJSON, true},
	"sshd":          {newSSHD, false},
	"syslog":        {newSyslog, false},
	"otlp-json":     {newOTLPJSON, true},
}

// New returns a parser for format (one of Formats()).
func New(format string, opts Options) (Parser, error) {
	f, ok := formats[format]
	if !ok {
		return nil, fmt.Errorf("source: unknown format %q (known: %v)", format, Formats())
	}
	return f.new(opts.withDefaults())
}

// Independent reports whether format's parser keeps nothing from one line
// to the next, so that lines may be parsed on several goroutines, each
// with a Parser of its own (see ReadLines and ParseLine).
func Independent(format string) bool { return formats[format].independent }

// Formats returns the format names New accepts, sorted.
func Formats() []string {
	names := make([]string, 0, len(formats))
	for k := range formats {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Read feeds r line by line through p and flushes it at the end. Good
// records go to emit, each bad line to reject, and reading continues: a bad
// line never loses good lines. Read returns an I/O error, or the first error
// emit returns (after which it stops).
func Read(r io.Reader, file string, p Parser, emit func(rec *record.Record, line int) error, reject func(*LineError)) error {
	var emitErr error
	out := func(rec *record.Record, line int) {
		if emitErr == nil {
			emitErr = emit(rec, line)
		}
	}
	err := ReadLines(r, file, func(line []byte, lineNo int) error {
		if le := ParseLine(p, line, file, lineNo, out); le != nil {
			reject(le)
		}
		return emitErr
	}, reject)
	if err != nil {
		return err
	}
	p.Flush(out)
	return emitErr
}

// ReadLines calls fn with each line of r (without its line ending; valid
// only during the call) and its 1-based number, and reject with each line
// longer than MaxLineBytes, which it skips. It returns an I/O error or the
// first error fn returns.
func ReadLines(r io.Reader, file string, fn func(line []byte, lineNo int) error, reject func(*LineError)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	lineNo := 0
	for {
		lineNo++
		line, tooLong, err := readLine(br, &buf)
		if len(line) == 0 && err == io.EOF && !tooLong {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("source: read %s: %w", file, err)
		}
		if tooLong {
			reject(&LineError{File: file, Line: lineNo, Field: "(line)", Reason: "longer than " + strconv.Itoa(MaxLineBytes) + " bytes"})
		} else if ferr := fn(line, lineNo); ferr != nil {
			return ferr
		}
		if err == io.EOF {
			return nil
		}
	}
}

// ParseLine passes one line of file to p and returns the line's error, if
// any, as a LineError of file.
func ParseLine(p Parser, line []byte, file string, lineNo int, emit EmitFunc) *LineError {
	if err := p.Line(line, lineNo, emit); err != nil {
		return toLineError(err, file, lineNo)
	}
	return nil
}

// readLine returns the next line without its line ending. A line longer
// than MaxLineBytes is consumed and reported as tooLong.
func readLine(br *bufio.Reader, buf *[]byte) (line []byte, tooLong bool, err error) {
	*buf = (*buf)[:0]
	for {
		frag, e := br.ReadSlice('\n')
		if !tooLong {
			if len(*buf)+len(frag) > MaxLineBytes+2 { // +2: the line ending
				tooLong = true
				*buf = (*buf)[:0]
			} else {
				*buf = append(*buf, frag...)
			}
		}
		if e == bufio.ErrBufferFull {
			continue
		}
		err = e
		break
	}
	line = bytes.TrimSuffix(*buf, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if !tooLong && len(line) > MaxLineBytes {
		tooLong = true
	}
	return line, tooLong, err
}

// toLineError turns a parser's error into a LineError of file.
func toLineError(err error, file string, lineNo int) *LineError {
	var le *LineError
	if errors.As(err, &le) {
		c := *le
		c.File = file
		if c.Line == 0 {
			c.Line = lineNo
		}
		if c.Field == "" {
			c.Field = "(line)"
		}
		return &c
	}
	return &LineError{File: file, Line: lineNo, Field: "(line)", Reason: err.Error()}
}

// lineErr builds a LineError without a file.
func lineErr(lineNo int, field, format string, args ...any) *LineError {
	return &LineError{Line: lineNo, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// fieldError turns a record validation error into a LineError.
func fieldError(lineNo int, err error) *LineError {
	var fe *record.FieldError
	if errors.As(err, &fe) {
		field := fe.Field
		if field == "" { // e.g. an unknown key that is the empty string
			field = `""`
		}
		return &LineError{Line: lineNo, Field: field, Reason: fe.Reason}
	}
	return &LineError{Line: lineNo, Field: "(line)", Reason: err.Error()}
}

// finish validates rec and emits it, or returns why it is not a record: a
// parser never emits an invalid record.
func finish(rec *record.Record, lineNo int, emit EmitFunc) error {
	if err := rec.Validate(); err != nil {
		return fieldError(lineNo, err)
	}
	emit(rec, lineNo)
	return nil
}

// statusFromHTTP maps an HTTP status to result.status.
func statusFromHTTP(code int) string {
	switch {
	case code == 401 || code == 403:
		return "denied"
	case code >= 500:
		return "error"
	}
	return ""
}

// maxTracked bounds the per-session state a parser keeps between lines.
// State is normally dropped when a session ends, but a log without its end
// messages (log_disconnections off, a rotated file) must not grow it forever:
// past the bound it is forgotten, at worst costing a detail or a pairing.
const maxTracked = 10000

// bound empties m when it holds more than maxTracked entries.
func bound[V any](m map[string]V) {
	if len(m) > maxTracked {
		clear(m)
	}
}
