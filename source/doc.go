// Package source turns the logs of personal-information processing systems
// into access records (record.Record): one Parser per input format.
//
// # Using it
//
//	p, err := source.New("pgaudit", source.Options{})
//	err = source.Read(file, "postgresql.log", p,
//		func(rec *record.Record, line int) error { return ingest(rec) },
//		func(e *source.LineError) { log.Print(e) }) // "file:line: field: reason"
//
// Read feeds a Parser line by line; a bad line is rejected with its line and
// field and reading goes on, so a bad line never loses good ones. Lines over
// MaxLineBytes (1 MiB) are rejected. Every record a parser emits passes
// record.Validate. A Parser may hold a record back until a later line
// completes it (pgaudit's several lines per statement, a csvlog field that
// spans lines): a collector tailing a live file calls Flush when the input
// goes idle. Parsers are not safe for concurrent use; use one per input.
//
// Parsers set Record.ID only where the source gives a unique id; otherwise
// the pipeline derives one from the canonical bytes.
//
// Times without an offset (syslog RFC 3164, sshd, MariaDB's audit log,
// PostgreSQL's zone abbreviations) are read in Options.Location, by default
// Asia/Seoul; RFC 3164 and sshd times take Options.Year (default: this year).
//
// # jsonl
//
// The canonical form of shared/schema/access-record.md, one object per line,
// read strictly by record.Parse: an unknown field is rejected with its name.
//
// # pgaudit, pgaudit-csv, pgaudit-json
//
// PostgreSQL with the pgaudit extension (Debian postgresql-15-pgaudit,
// pgaudit 1.7), from the stderr log, csvlog or jsonlog (PostgreSQL 15+). The
// configuration in postgresql.conf:
//
//	shared_preload_libraries = 'pgaudit'
//	pgaudit.log = 'read,write,ddl,role'
//	pgaudit.log_rows = on             # rows as the last AUDIT field
//	pgaudit.log_relation = on         # one line per table touched
//	pgaudit.log_catalog = off
//	pgaudit.log_parameter = off       # bind values are never read anyway
//	log_connections = on              # login records
//	log_disconnections = on           # logout records
//	lc_messages = 'C'                 # the parser reads English messages
//	log_timezone = 'Asia/Seoul'       # or 'UTC'; another zone needs Options.Location
//	logging_collector = on
//	log_destination = 'stderr,csvlog,jsonlog'   # any of them
//	log_line_prefix = '%m [%p] %q%u@%d %r %c %l '   # required for "pgaudit" (stderr)
//
// The stderr format needs exactly that log_line_prefix (PGLogLinePrefix):
// time with zone, pid, and for session processes user@database, client
// address(port), session id and the message's number in its session.
// csvlog and jsonlog carry those fields themselves.
//
// Mapping:
//
//	AUDIT SESSION/OBJECT lines   one record per statement and substatement:
//	                             all lines with the same ids (SESSION, OBJECT,
//	                             one per relation) merge into one record
//	  id                         <system>:<session id>:<statement id>:<substatement id>
//	  time, actor.id             log time, %u
//	  system                     Options.System, else the database (%d)
//	  origin.ip, auth.session    client address (%r), session id (%c)
//	  action                     SELECT→view, INSERT→create, UPDATE/MERGE→update,
//	                             DELETE/TRUNCATE→delete, COPY TO (class READ)→export,
//	                             COPY FROM→create, GRANT→grant, REVOKE→revoke,
//	                             other DDL and ROLE→admin, the rest→other
//	  target.object, kind        the first schema.table (all in attrs
//	                             "pgaudit.objects"), kind table; for COPY the
//	                             table named in the statement
//	  detail                     the statement text (never the bind parameters)
//	  result.rows                the rows field for SELECT/INSERT/UPDATE/DELETE/MERGE;
//	                             COPY's "0" (pgaudit 1.7 logs COPY … TO with no
//	                             object and 0 rows) is unknown, never 0 rows
//	  attrs                      pgaudit.class, pgaudit.command
//	connection authorized        login (auth.method from "connection authenticated":
//	                             scram-sha-256/md5/password/ldap/pam→password, cert→cert)
//	disconnection                logout
//	FATAL … authentication failed, no pg_hba.conf entry, role does not exist
//	                             login_failed, result denied
//	ERROR permission denied for  the statement's action, result denied, the
//	                             statement (STATEMENT line or csv/json field) in detail
//
// Records of non-AUDIT messages have the id <system>:<session id>:l<line>.
// Via syslog (log_destination = 'syslog'), PostgreSQL's "[n-m] " chunk
// numbers are undone; a statement longer than PostgreSQL's 900-byte syslog
// chunks is split mid-line and comes out with line breaks added.
//
// # mariadb-audit
//
// MariaDB's server_audit plugin, file output:
//
//	timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode
//
// In my.cnf (or mariadbd flags, or INSTALL SONAME 'server_audit' and SET GLOBAL):
//
//	[mariadbd]
//	plugin-load-add = server_audit
//	server_audit_logging = ON
//	server_audit_events = CONNECT,QUERY_DML,QUERY_DDL,QUERY_DCL,TABLE
//	server_audit_file_path = /var/log/mysql/server_audit.log
//	skip-name-resolve                  # host is then the client address
//
// CONNECT→login (failing retcode: login_failed), FAILED_CONNECT→login_failed
// (a client that never named itself becomes actor "anonymous", type
// unknown), DISCONNECT→logout (not after a failed login), QUERY→the
// statement's first word as for pgaudit (SELECT … INTO OUTFILE→export),
// retcode 1044/1045/1142/1143/1227/1370/1698→denied, other non-zero→error.
// TABLE events (READ, WRITE, …) of the same connection and query id give
// target.object "db.table" (tables of mysql, sys and the schemas skipped).
// system is Options.System else serverhost (not the database, which a login
// lacks and queries switch); the database is in attrs "database";
// auth.session is the connection id; the query, unescaped, is detail; the
// plugin logs no rows. id: serverhost:connection:query:operation:time, the
// time because ids restart with the server. server_audit_output_type=syslog
// (ident mysql-server_auditing) is read by the syslog format.
//
// # nginx, nginx-json
//
// Options.System (the site) is required. "nginx" reads the predefined
// combined format; "nginx-json" reads a JSON log_format such as
//
//	log_format jikimi_json escape=json '{"time":"$time_iso8601","request_id":"$request_id",'
//	  '"remote_addr":"$remote_addr","remote_user":"$remote_user","request_method":"$request_method",'
//	  '"request_uri":"$request_uri","status":$status,"body_bytes_sent":$body_bytes_sent,'
//	  '"request_time":$request_time,"host":"$host","http_user_agent":"$http_user_agent",'
//	  '"http_x_user":"$http_x_user"}';
//	access_log /var/log/nginx/access.json jikimi_json;
//
// Recognised keys: time/time_iso8601/time_local/msec, request_id (id
// <system>:<request_id>), remote_addr, remote_user, request_method,
// request_uri (or uri and args, or request), status, body_bytes_sent,
// http_user_agent. Options.UserField names the key of the user (default
// remote_user; e.g. http_x_user, or a variable set from a verified token).
// Other keys go to attrs as "nginx.<key>", except credentials: keys naming
// an authorization, cookie, token, session, secret, password … are dropped.
//
// Mapping: actor.id the user ("anonymous", type unknown, when empty);
// origin.ip remote_addr; origin.user_agent; detail "METHOD path?query" with
// the values of credential-like parameters (token, password, key, sid,
// code, …) replaced by "***" (personal data in it is masked later by the
// pipeline); target.object the path, kind api; action GET/HEAD→view (→download
// when the path contains export or download), POST→create, PUT/PATCH→update,
// DELETE→delete, else other; result.status 401/403→denied, ≥500→error;
// result.bytes body_bytes_sent; attrs http.status. The referer is not kept.
//
// # sshd
//
// OpenSSH's authentication messages as written to syslog or the journal:
// "Nov 23 10:00:01 host sshd[123]: …" (rsyslog's default file format),
// "2026-11-23T10:00:01.5+09:00 host sshd[123]: …" (RSYSLOG_FileFormat,
// journalctl -o short-iso) or inside syslog messages. Lines of other programs
// are skipped. Bare messages (sshd -e/-E) carry no time and are rejected.
// Options.System (the host's system name) is required. sshd needs
// LogLevel INFO (the default).
//
//	Accepted password|publickey|… for U from IP …   login, auth.method password/key,
//	                                                auth.key_id the key fingerprint
//	Failed password for [invalid user] U from IP …  login_failed, denied
//	Invalid user U … then Connection closed by invalid user U without a
//	Failed line (a probe that never tried)           login_failed, actor type unknown
//	Disconnected from user U IP port N               logout
//
// target.object is the host from the prefix, kind host.
//
// # syslog
//
// RFC 5424 ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG") and RFC 3164
// ("<PRI>Mmm dd hh:mm:ss HOST TAG: MSG", or with an RFC 3339 time) messages,
// one per line, parsed by github.com/leodido/go-syslog/v4. MSG is read as
// Options.Inner, or by APP-NAME: sshd→sshd, postgres→pgaudit,
// mysqld/mariadbd/mysql-server_auditing→mariadb-audit, nginx→nginx, else
// jsonl. Without Options.System the HOSTNAME names the system of sshd and
// nginx messages. rsyslog writes this form with
//
//	*.* action(type="omfile" file="/var/log/jikimi.log" template="RSYSLOG_SyslogProtocol23Format")
//
// or forwards it with omfwd template RSYSLOG_SyslogProtocol23Format.
//
// # otlp-json
//
// OpenTelemetry logs as OTLP/HTTP JSON: a whole ExportLogsServiceRequest per
// line (OTLPJSON decodes one request body). One record per logRecord:
// timeUnixNano (else observedTimeUnixNano) is time; attributes — resource
// attributes first, then a key-value body, then the logRecord's — whose keys
// are record field paths (id, system, actor.id, actor.type, action,
// origin.ip, origin.host, origin.device, origin.cert, origin.user_agent,
// auth.method, auth.session, auth.key_id, auth.external, target.object,
// target.kind, detail, purpose, result.status, result.rows, result.bytes,
// subjects, subject_count, payload, pii.<type>) fill those fields, as do the
// semantic-convention names enduser.id/user.id→actor.id,
// client.address/source.address→origin.ip (origin.host when not an
// address), session.id→auth.session, user_agent.original→origin.user_agent,
// service.name→system. A string body is detail unless a detail attribute is
// set. Other attributes go to attrs.
package source
