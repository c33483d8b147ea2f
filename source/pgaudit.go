package source

import (
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/jikimi/jikimi/record"
)

// pgEntry is one PostgreSQL log message, whichever log format carried it.
type pgEntry struct {
	line      int // first input line of the message
	time      time.Time
	user, db  string
	ip        string
	session   string // %c: process start time and pid in hex, unique per server
	sessLine  string // %l: the message's number within its session
	severity  string // LOG, ERROR, FATAL, STATEMENT …
	message   string
	statement string // the failing statement (csvlog/jsonlog carry it on the ERROR itself)
}

// pgGroup is a record held back until every line of its statement is seen:
// pgaudit writes one OBJECT and one SESSION line per relation a statement
// touches, all with the same statement and substatement ids.
type pgGroup struct {
	key     string // "<statement id>,<substatement id>", or "denied"
	line    int
	rec     *record.Record
	objects []string
}

// pgaudit turns PostgreSQL log messages into records. The three log formats
// (stderr, csvlog, jsonlog) only differ in how they carry a message; all
// mapping is here.
type pgaudit struct {
	opts    Options
	pending map[string]*pgGroup // by session: at most one statement in flight
	method  map[string]string   // by session: from "connection authenticated"
	stmt    map[string]string   // by session: last statement text, for log_statement_once
}

func newPGAudit(opts Options) *pgaudit {
	return &pgaudit{opts: opts, pending: map[string]*pgGroup{}, method: map[string]string{}, stmt: map[string]string{}}
}

func (p *pgaudit) system(e *pgEntry) string {
	if p.opts.System != "" {
		return p.opts.System
	}
	return e.db
}

// base returns a record with the fields every message of a session shares.
func (p *pgaudit) base(e *pgEntry, user string) *record.Record {
	return &record.Record{
		Time:   e.time,
		System: p.system(e),
		Actor:  record.Actor{ID: user},
		Origin: record.Origin{IP: e.ip},
		Auth:   record.Auth{Session: e.session},
	}
}

// lineID is the id of a record made from one message: the session id and
// the message's number in the session are unique on a server.
func (p *pgaudit) lineID(e *pgEntry, rec *record.Record) string {
	if e.session == "" || e.sessLine == "" {
		return ""
	}
	return rec.System + ":" + e.session + ":l" + e.sessLine
}

// entry processes one complete message.
func (p *pgaudit) entry(e *pgEntry, emit EmitFunc) error {
	if e.session == "" { // postmaster and background processes: no access
		return nil
	}
	msg := e.message
	if rest, ok := strings.CutPrefix(msg, "AUDIT: "); ok {
		return p.audit(e, rest, emit)
	}
	g := p.pending[e.session]
	if e.severity == "STATEMENT" {
		if g != nil && g.key == "denied" && g.rec.Detail == "" {
			g.rec.Detail = msg
			g.rec.Action = pgStatementAction(msg)
			p.emitGroup(e.session, emit)
		}
		return nil
	}
	if g != nil {
		p.emitGroup(e.session, emit)
	}
	switch {
	case strings.HasPrefix(msg, "connection authenticated: "):
		if m := kvValue(msg, "method="); m != "" {
			bound(p.method)
			p.method[e.session] = m
		}
		return nil
	case strings.HasPrefix(msg, "connection authorized: "):
		user := kvValue(msg, "user=")
		if user == "" {
			user = e.user
		}
		rec := p.base(e, user)
		rec.Action = record.Login
		rec.Auth.Method = pgAuthMethod(p.method[e.session])
		delete(p.method, e.session)
		rec.ID = p.lineID(e, rec)
		return finish(rec, e.line, emit)
	case strings.HasPrefix(msg, "disconnection: "):
		delete(p.method, e.session)
		delete(p.stmt, e.session)
		user := kvValue(msg, "user=")
		if user == "" {
			user = e.user
		}
		rec := p.base(e, user)
		rec.Action = record.Logout
		rec.ID = p.lineID(e, rec)
		return finish(rec, e.line, emit)
	case e.severity == "FATAL":
		user, method, ok := pgLoginFailure(msg)
		if !ok {
			return nil
		}
		if user == "" {
			user = e.user
		}
		delete(p.method, e.session)
		rec := p.base(e, user)
		rec.Action = record.LoginFailed
		rec.Auth.Method = method
		rec.Result.Status = "denied"
		rec.Detail = msg
		rec.ID = p.lineID(e, rec)
		return finish(rec, e.line, emit)
	case e.severity == "ERROR" && strings.HasPrefix(msg, "permission denied for "):
		// The statement follows as a STATEMENT message (stderr) or rides on
		// this one (csvlog, jsonlog).
		rec := p.base(e, e.user)
		rec.Result.Status = "denied"
		rec.Action = pgStatementAction(e.statement)
		rec.Detail = e.statement
		kind, obj, _ := strings.Cut(strings.TrimPrefix(msg, "permission denied for "), " ")
		if obj != "" {
			rec.Target.Object = obj
			if kind == "table" || kind == "view" || kind == "materialized" || kind == "sequence" {
				rec.Target.Kind = "table"
			}
		}
		rec.ID = p.lineID(e, rec)
		if err := rec.Validate(); err != nil {
			return fieldError(e.line, err)
		}
		if e.statement != "" {
			emit(rec, e.line)
			return nil
		}
		p.pending[e.session] = &pgGroup{key: "denied", line: e.line, rec: rec}
	}
	return nil
}

// audit handles the CSV tail of an "AUDIT: " message:
// AUDIT_TYPE,STATEMENT_ID,SUBSTATEMENT_ID,CLASS,COMMAND,OBJECT_TYPE,OBJECT_NAME,STATEMENT,PARAMETER[,ROWS]
// PARAMETER (bind values) is deliberately never read.
func (p *pgaudit) audit(e *pgEntry, tail string, emit EmitFunc) error {
	r := csv.NewReader(strings.NewReader(tail))
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	f, err := r.Read()
	if err != nil {
		return lineErr(e.line, "message", "AUDIT fields are not valid CSV: %v", err)
	}
	if len(f) < 9 {
		return lineErr(e.line, "message", "AUDIT has %d fields, want at least 9 (pgaudit 1.x)", len(f))
	}
	if f[0] != "SESSION" && f[0] != "OBJECT" {
		return lineErr(e.line, "message", "AUDIT type %q is neither SESSION nor OBJECT", f[0])
	}
	if _, err := strconv.ParseUint(f[1], 10, 64); err != nil {
		return lineErr(e.line, "message", "AUDIT statement id %q is not a number", f[1])
	}
	if _, err := strconv.ParseUint(f[2], 10, 64); err != nil {
		return lineErr(e.line, "message", "AUDIT substatement id %q is not a number", f[2])
	}
	class, command, objType, object, stmt := f[3], f[4], f[5], f[6], f[7]
	key := f[1] + "," + f[2]
	var rows *int64
	if len(f) >= 10 && f[9] != "" {
		n, err := strconv.ParseInt(f[9], 10, 64)
		if err != nil || n < 0 {
			return lineErr(e.line, "message", "AUDIT rows %q is not a count", f[9])
		}
		// pgaudit 1.7 reports COPY with 0 rows whatever it copied: unknown,
		// never "0 rows". Other commands (DDL, PREPARE …) return no rows.
		switch command {
		case "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE":
			rows = record.Int64(n)
		case "COPY":
			if n > 0 {
				rows = record.Int64(n)
			}
		}
	}
	switch stmt {
	case "<not logged>":
		stmt = ""
	case "<previously logged>": // pgaudit.log_statement_once
		stmt = p.stmt[e.session]
	default:
		bound(p.stmt)
		p.stmt[e.session] = stmt
	}

	if g := p.pending[e.session]; g != nil {
		if g.key == key {
			g.addObject(object)
			if rows != nil && (g.rec.Result.Rows == nil || *rows > *g.rec.Result.Rows) {
				g.rec.Result.Rows = rows
			}
			if g.rec.Detail == "" {
				g.rec.Detail = stmt
			}
			return nil
		}
		p.emitGroup(e.session, emit)
	}
	rec := p.base(e, e.user)
	rec.Action = pgAuditAction(class, command, stmt)
	rec.Detail = stmt
	rec.Result.Rows = rows
	if object == "" && command == "COPY" {
		object = copyTable(stmt)
		objType = "TABLE"
	}
	if object != "" && pgTableLike(objType) {
		rec.Target.Kind = "table"
	}
	rec.Attrs = map[string]string{"pgaudit.class": class, "pgaudit.command": command}
	if rec.System != "" {
		rec.ID = rec.System + ":" + e.session + ":" + f[1] + ":" + f[2]
	}
	if err := rec.Validate(); err != nil {
		return fieldError(e.line, err)
	}
	if len(p.pending) >= maxTracked { // sessions that went quiet: don't hold forever
		p.flush(emit)
	}
	g := &pgGroup{key: key, line: e.line, rec: rec}
	g.addObject(object)
	p.pending[e.session] = g
	return nil
}

func (g *pgGroup) addObject(o string) {
	if o != "" && !contains(g.objects, o) {
		g.objects = append(g.objects, o)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// emitGroup emits and forgets the session's held record. A statement over
// several relations names the first in target.object and all of them in
// attrs["pgaudit.objects"].
func (p *pgaudit) emitGroup(session string, emit EmitFunc) {
	g := p.pending[session]
	if g == nil {
		return
	}
	delete(p.pending, session)
	if len(g.objects) > 0 {
		g.rec.Target.Object = g.objects[0]
	}
	if len(g.objects) > 1 {
		g.rec.Attrs["pgaudit.objects"] = strings.Join(g.objects, ",")
	}
	emit(g.rec, g.line)
}

// flush emits every held record in input order.
func (p *pgaudit) flush(emit EmitFunc) {
	for len(p.pending) > 0 {
		first := ""
		for s, g := range p.pending {
			if first == "" || g.line < p.pending[first].line {
				first = s
			}
		}
		p.emitGroup(first, emit)
	}
}

// pgAuditAction maps a pgaudit class and command to an action.
func pgAuditAction(class, command, stmt string) record.Action {
	switch command {
	case "SELECT":
		return record.View
	case "INSERT":
		return record.Create
	case "UPDATE", "MERGE":
		return record.Update
	case "DELETE", "TRUNCATE TABLE":
		return record.Delete
	case "COPY":
		// pgaudit classes COPY TO as READ and COPY FROM as WRITE.
		if class == "READ" {
			return record.Export
		}
		return record.Create
	case "GRANT":
		return record.Grant
	case "REVOKE":
		return record.Revoke
	}
	if class == "DDL" || class == "ROLE" {
		return record.Admin
	}
	return record.Other
}

// pgStatementAction guesses the action of a statement from its first word,
// for statements that failed before pgaudit saw them.
func pgStatementAction(stmt string) record.Action {
	f := strings.Fields(stmt)
	if len(f) == 0 {
		return record.Other
	}
	switch strings.ToUpper(f[0]) {
	case "SELECT", "WITH", "TABLE":
		return record.View
	case "INSERT":
		return record.Create
	case "UPDATE", "MERGE":
		return record.Update
	case "DELETE", "TRUNCATE":
		return record.Delete
	case "COPY":
		if hasWord(f, "TO") {
			return record.Export
		}
		return record.Create
	case "GRANT":
		return record.Grant
	case "REVOKE":
		return record.Revoke
	case "CREATE", "ALTER", "DROP":
		return record.Admin
	}
	return record.Other
}

func hasWord(words []string, w string) bool {
	for _, x := range words {
		if strings.EqualFold(x, w) {
			return true
		}
	}
	return false
}

// copyTable returns the table of "COPY table [(cols)] TO|FROM …", which
// pgaudit 1.7 leaves out of the object fields.
func copyTable(stmt string) string {
	f := strings.Fields(stmt)
	if len(f) < 2 || !strings.EqualFold(f[0], "COPY") || strings.HasPrefix(f[1], "(") {
		return ""
	}
	t, _, _ := strings.Cut(f[1], "(")
	return t
}

func pgTableLike(objType string) bool {
	switch objType {
	case "TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE", "PARTITIONED TABLE", "TOAST TABLE":
		return true
	}
	return false
}

// pgAuthMethod maps pg_hba methods to auth.method.
func pgAuthMethod(m string) string {
	switch m {
	case "scram-sha-256", "md5", "password", "ldap", "radius", "pam", "bsd":
		return "password"
	case "cert":
		return "cert"
	case "gss", "sspi":
		return "token"
	case "trust":
		return "none"
	}
	return ""
}

// pgLoginFailure recognises the FATAL messages of a refused connection and
// returns the user they name.
func pgLoginFailure(msg string) (user, method string, ok bool) {
	switch {
	case strings.HasPrefix(msg, "password authentication failed for user "):
		return quoted(msg), "password", true
	case strings.Contains(msg, " authentication failed for user "):
		_, after, _ := strings.Cut(msg, " authentication failed for user ")
		return quoted(after), "", true
	case strings.HasPrefix(msg, "no pg_hba.conf entry for "):
		_, after, _ := strings.Cut(msg, `user "`)
		u, _, _ := strings.Cut(after, `"`)
		return u, "", true
	case strings.HasPrefix(msg, "role ") && strings.HasSuffix(msg, " does not exist"):
		return quoted(msg), "", true
	}
	return "", "", false
}

// quoted returns the first "…"-quoted word of s.
func quoted(s string) string {
	_, after, ok := strings.Cut(s, `"`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, `"`)
	return v
}

// kvValue returns the value after key (e.g. "user=") in a space-separated
// key=value message.
func kvValue(msg, key string) string {
	i := strings.Index(msg, " "+key)
	if i < 0 {
		return ""
	}
	v := msg[i+1+len(key):]
	if j := strings.IndexByte(v, ' '); j >= 0 {
		v = v[:j]
	}
	return v
}

// parsePGTime parses %m / csvlog / jsonlog times: "2026-11-23 20:14:16.898 KST".
// PostgreSQL prints a zone abbreviation, which only means something in a
// known location: UTC/GMT, or the abbreviation Options.Location uses then.
func parsePGTime(s string, loc *time.Location) (time.Time, bool) {
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return time.Time{}, false
	}
	wall, abbr := s[:i], s[i+1:]
	layout := "2006-01-02 15:04:05"
	if strings.IndexByte(wall, '.') >= 0 {
		layout = "2006-01-02 15:04:05.999999"
	}
	switch abbr {
	case "UTC", "GMT":
		t, err := time.ParseInLocation(layout, wall, time.UTC)
		return t, err == nil
	}
	t, err := time.ParseInLocation(layout, wall, loc)
	if err != nil {
		return time.Time{}, false
	}
	if name, _ := t.Zone(); name != abbr {
		// "+09"-style abbreviations from a numeric log_timezone.
		if off, ok := numericZone(abbr); ok {
			t, err = time.ParseInLocation(layout, wall, time.FixedZone(abbr, off))
			return t, err == nil
		}
		return time.Time{}, false
	}
	return t, true
}

// numericZone parses "+09", "-0330" style zone names.
func numericZone(s string) (int, bool) {
	if len(s) != 3 && len(s) != 5 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	h, err := strconv.Atoi(s[1:3])
	if err != nil {
		return 0, false
	}
	m := 0
	if len(s) == 5 {
		if m, err = strconv.Atoi(s[3:]); err != nil {
			return 0, false
		}
	}
	off := h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	return off, true
}
