package source

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/jikimi/jikimi/record"
)

// mariadb reads the file log of MariaDB's server_audit plugin:
//
//	timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode
//
// CONNECT, DISCONNECT, FAILED_CONNECT and QUERY become records. TABLE events
// (READ, WRITE, CREATE, ALTER, DROP, RENAME), which the plugin writes just
// before the QUERY of the same connection and query id, name its
// target.object.
type mariadb struct {
	opts   Options
	tables map[string][]string // by connection id: objects of the query in flight
	tableQ map[string]string   // by connection id: that query's id
	failed map[string]bool     // connection ids whose login failed: their DISCONNECT is no logout
}

var _ Parser = (*mariadb)(nil)

func newMariaDB(opts Options) (Parser, error) { return newMariaDBParser(opts), nil }

func newMariaDBParser(opts Options) *mariadb {
	return &mariadb{opts: opts, tables: map[string][]string{}, tableQ: map[string]string{}, failed: map[string]bool{}}
}

func (m *mariadb) Flush(EmitFunc) {}

func (m *mariadb) Line(line []byte, lineNo int, emit EmitFunc) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	s := string(line)
	ts, rest, ok := strings.Cut(s, ",")
	if !ok {
		return lineErr(lineNo, "(line)", "not a server_audit line")
	}
	t, err := time.ParseInLocation("20060102 15:04:05", ts, m.opts.Location)
	if err != nil {
		return lineErr(lineNo, "timestamp", "%q is not YYYYMMDD hh:mm:ss", ts)
	}
	return m.fields(t, rest, lineNo, emit)
}

// fields parses the line after its timestamp. server_audit's syslog output
// starts here (the time is in the syslog header).
func (m *mariadb) fields(t time.Time, s string, lineNo int, emit EmitFunc) error {
	f := strings.SplitN(s, ",", 7)
	if len(f) < 7 {
		return lineErr(lineNo, "(line)", "server_audit line has %d fields, want 10", len(f)+1)
	}
	serverhost, user, host, conn, query, op := f[0], f[1], f[2], f[3], f[4], f[5]
	// database,object,retcode: the object may be a quoted query with commas.
	db, tail, ok := strings.Cut(f[6], ",")
	if !ok {
		return lineErr(lineNo, "(line)", "server_audit line has no object and retcode fields")
	}
	i := strings.LastIndexByte(tail, ',')
	if i < 0 {
		return lineErr(lineNo, "(line)", "server_audit line has no retcode field")
	}
	object, retcode := tail[:i], tail[i+1:]
	if _, err := strconv.ParseUint(conn, 10, 64); err != nil {
		return lineErr(lineNo, "connectionid", "%q is not a number", conn)
	}
	if _, err := strconv.ParseUint(query, 10, 64); err != nil {
		return lineErr(lineNo, "queryid", "%q is not a number", query)
	}
	code := 0
	if retcode != "" {
		n, err := strconv.Atoi(retcode)
		if err != nil {
			return lineErr(lineNo, "retcode", "%q is not a number", retcode)
		}
		code = n
	}
	system := m.opts.System
	if system == "" {
		system = serverhost // not the database: a login names none, and queries switch
	}
	rec := &record.Record{
		Time:   t,
		System: system,
		Actor:  record.Actor{ID: user},
		Auth:   record.Auth{Session: conn},
	}
	if a, err := netip.ParseAddr(host); err == nil {
		rec.Origin.IP = a.String()
	} else if host != "localhost" {
		rec.Origin.Host = host
	}
	if db != "" {
		rec.Attrs = map[string]string{"database": db}
	}
	// Connection and query ids restart with the server: the time keeps ids
	// of different server runs apart.
	rec.ID = serverhost + ":" + conn + ":" + query + ":" + strings.ToLower(op) + ":" + t.Format("20060102T150405")
	switch op {
	case "CONNECT", "FAILED_CONNECT":
		rec.Action = record.Login
		if code != 0 || op == "FAILED_CONNECT" {
			rec.Action = record.LoginFailed
			rec.Result.Status = mariadbStatus(code)
			rec.Attrs = setAttr(rec.Attrs, "retcode", retcode)
			bound(m.failed)
			m.failed[conn] = true
			if user == "" {
				// A client that left before naming itself (a probe, a
				// health check): still an attempt worth counting.
				rec.Actor = record.Actor{ID: "anonymous", Type: "unknown"}
			}
		}
	case "DISCONNECT":
		delete(m.tables, conn)
		delete(m.tableQ, conn)
		if m.failed[conn] {
			delete(m.failed, conn)
			return nil
		}
		rec.Action = record.Logout
	case "QUERY", "QUERY_DDL", "QUERY_DML", "QUERY_DCL", "QUERY_DML_NO_SELECT":
		stmt := unquoteAudit(object)
		rec.Detail = stmt
		rec.Action = pgStatementAction(stmt) // SQL's first word means the same here
		if isOutfile(stmt) {
			rec.Action = record.Export
		}
		if code != 0 {
			rec.Result.Status = mariadbStatus(code)
			rec.Attrs = setAttr(rec.Attrs, "retcode", retcode)
		}
		if m.tableQ[conn] == query {
			if objs := m.tables[conn]; len(objs) > 0 {
				rec.Target = record.Target{Object: objs[0], Kind: "table"}
				if len(objs) > 1 {
					rec.Attrs = setAttr(rec.Attrs, "objects", strings.Join(objs, ","))
				}
			}
		}
		delete(m.tables, conn)
		delete(m.tableQ, conn)
	case "READ", "WRITE", "CREATE", "ALTER", "DROP", "RENAME":
		if m.tableQ[conn] != query {
			bound(m.tableQ)
			bound(m.tables)
			m.tableQ[conn] = query
			m.tables[conn] = nil
		}
		if db == "mysql" || db == "information_schema" || db == "performance_schema" || db == "sys" {
			return nil // the server's own bookkeeping, not the data touched
		}
		obj := db + "." + object
		if !contains(m.tables[conn], obj) {
			m.tables[conn] = append(m.tables[conn], obj)
		}
		return nil
	default:
		return lineErr(lineNo, "operation", "unknown server_audit operation %q", op)
	}
	return finish(rec, lineNo, emit)
}

func setAttr(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// mariadbStatus maps a server error number to result.status: access-denied
// errors are denials, the rest errors.
func mariadbStatus(code int) string {
	switch code {
	case 1044, 1045, 1142, 1143, 1227, 1370, 1698:
		return "denied"
	}
	return "error"
}

func isOutfile(stmt string) bool {
	u := strings.ToUpper(stmt)
	return strings.HasPrefix(strings.TrimSpace(u), "SELECT") && (strings.Contains(u, "INTO OUTFILE") || strings.Contains(u, "INTO DUMPFILE"))
}

// unquoteAudit undoes server_audit's quoting of the query: '…' with \' \\
// \n \r \t escapes.
func unquoteAudit(s string) string {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return s // unquoted (empty or a plain object)
	}
	s = s[1 : len(s)-1]
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
