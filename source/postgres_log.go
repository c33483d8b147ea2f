package source

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
)

// PGLogLinePrefix is the log_line_prefix the "pgaudit" (stderr) format
// reads: time with zone, pid, then for session processes user@database,
// client address(port), session id and the message's number in the session.
const PGLogLinePrefix = `%m [%p] %q%u@%d %r %c %l `

// pgSeverities are the message kinds that end the prefix ("LOG:  …").
var pgSeverities = map[string]bool{
	"LOG": true, "ERROR": true, "FATAL": true, "PANIC": true, "WARNING": true,
	"NOTICE": true, "INFO": true, "DEBUG": true, "DEBUG1": true, "DEBUG2": true,
	"DEBUG3": true, "DEBUG4": true, "DEBUG5": true, "DETAIL": true, "HINT": true,
	"STATEMENT": true, "CONTEXT": true, "QUERY": true, "LOCATION": true,
}

// pgStderr reads the stderr log written with PGLogLinePrefix. A message
// continues on following lines that start with a tab. An AUDIT message is
// complete once its CSV quotes balance; other multi-line messages are
// processed on their first line (their tails are DETAIL text), except
// STATEMENT, which is held until the next message because a denied
// statement is completed by it.
type pgStderr struct {
	p    *pgaudit
	held *pgEntry // an AUDIT or STATEMENT message still receiving lines
}

var _ Parser = (*pgStderr)(nil)

func newPGStderr(opts Options) (Parser, error) { return &pgStderr{p: newPGAudit(opts)}, nil }

func (s *pgStderr) Line(line []byte, lineNo int, emit EmitFunc) error {
	if len(line) > 0 && line[0] == '\t' {
		if s.held != nil {
			s.held.message += "\n" + string(line[1:])
			if s.held.severity != "STATEMENT" && quotesBalanced(s.held.message) {
				return s.release(emit)
			}
		}
		return nil // the tail of a message already processed
	}
	var err error
	if s.held != nil {
		err = s.release(emit)
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return err
	}
	e, perr := parsePGStderrLine(string(line), lineNo, s.p.opts)
	if perr != nil {
		return perr // a held message's error is rare; the new line's matters more
	}
	if e.severity == "STATEMENT" || (strings.HasPrefix(e.message, "AUDIT: ") && !quotesBalanced(e.message)) {
		s.held = e
		return err
	}
	if perr := s.p.entry(e, emit); perr != nil {
		return perr
	}
	return err
}

func (s *pgStderr) release(emit EmitFunc) error {
	e := s.held
	s.held = nil
	return s.p.entry(e, emit)
}

// Flush processes a held message. An AUDIT statement cut off by the end of
// input is closed and kept rather than lost.
func (s *pgStderr) Flush(emit EmitFunc) {
	if s.held != nil {
		if s.held.severity != "STATEMENT" && !quotesBalanced(s.held.message) {
			s.held.message += `"`
		}
		_ = s.release(emit) // no caller to report to: the line was checked on arrival
	}
	s.p.flush(emit)
}

// quotesBalanced reports whether s has an even number of double quotes:
// a CSV record is complete.
func quotesBalanced(s string) bool { return strings.Count(s, `"`)%2 == 0 }

// parsePGStderrLine splits a line written with PGLogLinePrefix.
func parsePGStderrLine(line string, lineNo int, opts Options) (*pgEntry, error) {
	bad := func(field, reason string) error {
		return lineErr(lineNo, field, "%s (want log_line_prefix = '%s')", reason, PGLogLinePrefix)
	}
	// "2026-11-23 20:14:42.752 KST [15938] "
	f := strings.SplitN(line, " ", 5)
	if len(f) < 5 || len(f[3]) < 3 || f[3][0] != '[' || f[3][len(f[3])-1] != ']' {
		return nil, bad("prefix", "not a PostgreSQL log line")
	}
	t, ok := parsePGTime(f[0]+" "+f[1]+" "+f[2], opts.Location)
	if !ok {
		return nil, bad("time", "unreadable time or zone "+strconv.Quote(f[0]+" "+f[1]+" "+f[2])+" (use log_timezone 'UTC' or the collector's zone)")
	}
	e := &pgEntry{line: lineNo, time: t}
	rest := f[4]
	if sev, msg, ok := cutSeverity(rest); ok { // %q: not a session process
		e.severity, e.message = sev, msg
		return e, nil
	}
	g := strings.SplitN(rest, " ", 5)
	if len(g) < 5 {
		return nil, bad("prefix", "missing user@database, client, session or line number")
	}
	at := strings.LastIndexByte(g[0], '@')
	if at < 0 {
		return nil, bad("prefix", "missing user@database")
	}
	e.user, e.db = unknownToEmpty(g[0][:at]), unknownToEmpty(g[0][at+1:])
	e.ip = pgClientIP(g[1])
	e.session, e.sessLine = g[2], g[3]
	if _, err := strconv.Atoi(e.sessLine); err != nil {
		return nil, bad("prefix", "session line number "+strconv.Quote(g[3])+" is not a number")
	}
	sev, msg, ok := cutSeverity(g[4])
	if !ok {
		return nil, bad("severity", "missing LOG:/ERROR:/… after the prefix")
	}
	e.severity, e.message = sev, msg
	return e, nil
}

// cutSeverity splits "LOG:  message".
func cutSeverity(s string) (sev, msg string, ok bool) {
	sev, msg, ok = strings.Cut(s, ":  ")
	if !ok || !pgSeverities[sev] {
		return "", "", false
	}
	return sev, msg, true
}

func unknownToEmpty(s string) string {
	if s == "[unknown]" {
		return ""
	}
	return s
}

// pgClientIP returns the address of %r "127.0.0.1(44628)", "[local]" or "".
func pgClientIP(r string) string {
	host, _, _ := strings.Cut(r, "(")
	if a, err := netip.ParseAddr(host); err == nil {
		return a.String()
	}
	return ""
}

// pgCSV reads csvlog. A record spans lines while a quoted field holds
// newlines; columns are PostgreSQL 13–16's (23 or more).
type pgCSV struct {
	p     *pgaudit
	buf   strings.Builder
	first int // line of the record in buf
}

var _ Parser = (*pgCSV)(nil)

func newPGCSV(opts Options) (Parser, error) { return &pgCSV{p: newPGAudit(opts)}, nil }

// csvlog columns.
const (
	csvTime      = 0
	csvUser      = 1
	csvDB        = 2
	csvFrom      = 4
	csvSession   = 5
	csvLineNum   = 6
	csvSeverity  = 11
	csvMessage   = 13
	csvQuery     = 19
	csvMinFields = 23
)

func (c *pgCSV) Line(line []byte, lineNo int, emit EmitFunc) error {
	if c.buf.Len() == 0 {
		if len(bytes.TrimSpace(line)) == 0 {
			return nil
		}
		c.first = lineNo
	} else {
		c.buf.WriteByte('\n')
	}
	c.buf.Write(line)
	if c.buf.Len() > MaxLineBytes {
		c.buf.Reset()
		return lineErr(c.first, "(line)", "csvlog record longer than %d bytes (unbalanced quotes?)", MaxLineBytes)
	}
	if !quotesBalanced(c.buf.String()) {
		return nil
	}
	return c.record(emit)
}

func (c *pgCSV) record(emit EmitFunc) error {
	s := c.buf.String()
	c.buf.Reset()
	r := csv.NewReader(strings.NewReader(s))
	r.FieldsPerRecord = -1
	f, err := r.Read()
	if err != nil {
		return lineErr(c.first, "(line)", "not a csvlog record: %v", err)
	}
	if len(f) < csvMinFields {
		return lineErr(c.first, "(line)", "csvlog record has %d columns, want at least %d", len(f), csvMinFields)
	}
	t, ok := parsePGTime(f[csvTime], c.p.opts.Location)
	if !ok {
		return lineErr(c.first, "log_time", "unreadable time or zone %q (use log_timezone 'UTC' or the collector's zone)", f[csvTime])
	}
	host := f[csvFrom]
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	e := &pgEntry{
		line: c.first, time: t, user: f[csvUser], db: f[csvDB], session: f[csvSession],
		sessLine: f[csvLineNum], severity: f[csvSeverity], message: f[csvMessage], statement: f[csvQuery],
	}
	if a, err := netip.ParseAddr(host); err == nil {
		e.ip = a.String()
	}
	if f[csvUser] == "" && f[csvDB] == "" && f[csvFrom] == "" {
		e.session = "" // postmaster and background processes
	}
	return c.p.entry(e, emit)
}

func (c *pgCSV) Flush(emit EmitFunc) {
	if c.buf.Len() > 0 {
		c.buf.WriteByte('"') // a record cut off by the end of input
		_ = c.record(emit)
	}
	c.p.flush(emit)
}

// pgJSON reads jsonlog (PostgreSQL 15+), one object per line.
type pgJSON struct{ p *pgaudit }

var _ Parser = (*pgJSON)(nil)

func newPGJSON(opts Options) (Parser, error) { return &pgJSON{p: newPGAudit(opts)}, nil }

type pgJSONLine struct {
	Timestamp  string `json:"timestamp"`
	User       string `json:"user"`
	DBName     string `json:"dbname"`
	RemoteHost string `json:"remote_host"`
	SessionID  string `json:"session_id"`
	LineNum    *int64 `json:"line_num"`
	Severity   string `json:"error_severity"`
	Message    string `json:"message"`
	Statement  string `json:"statement"`
}

func (j *pgJSON) Line(line []byte, lineNo int, emit EmitFunc) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	var l pgJSONLine
	if err := json.Unmarshal(line, &l); err != nil {
		return fieldError(lineNo, decodeJSONError(err))
	}
	t, ok := parsePGTime(l.Timestamp, j.p.opts.Location)
	if !ok {
		return lineErr(lineNo, "timestamp", "unreadable time or zone %q (use log_timezone 'UTC' or the collector's zone)", l.Timestamp)
	}
	e := &pgEntry{line: lineNo, time: t, user: l.User, db: l.DBName, session: l.SessionID,
		severity: l.Severity, message: l.Message, statement: l.Statement}
	if l.LineNum != nil {
		e.sessLine = strconv.FormatInt(*l.LineNum, 10)
	}
	if a, err := netip.ParseAddr(l.RemoteHost); err == nil {
		e.ip = a.String()
	}
	if l.User == "" && l.DBName == "" && l.RemoteHost == "" {
		e.session = ""
	}
	return j.p.entry(e, emit)
}

func (j *pgJSON) Flush(emit EmitFunc) { j.p.flush(emit) }
