package source

// testdata/syslog was captured with rsyslog 8.2302 (Debian rsyslog) by
// testdata/capture/logs.sh: a throwaway rsyslogd (TZ=Asia/Seoul) took
// sshd's messages from /dev/log and nginx's ("access_log
// syslog:server=127.0.0.1:55514,tag=nginx combined") and logger's
// ("logger --rfc5424 -n 127.0.0.1 -P 55514 -d -t crm-app '<jsonl>'" and the
// same with --rfc3164) over UDP, and wrote them with
// RSYSLOG_SyslogProtocol23Format (rfc5424.log) and
// RSYSLOG_TraditionalForwardFormat (rfc3164.log; that template ends no line,
// so the file was split before each "<PRI>Mon "). Other programs' messages
// (useradd, pam, rsyslogd) stay in: with no Inner they are read as jsonl and
// rejected, as the .rejects.golden files show.
//
// servers-rfc5424.log was captured by testdata/capture/syslog-servers.sh:
// the same rsyslogd setup, a throwaway mariadbd with
// --server-audit-output-type=syslog and a throwaway PostgreSQL 15 with
// pgaudit and log_destination='syslog', each running a few statements.

import "testing"

func TestSyslogInnerFormats(t *testing.T) {
	recs, at, errs := parseLines(t, "syslog", Options{},
		// server_audit's syslog output: no time of its own.
		`<14>1 2026-11-23T20:16:07+09:00 db1 mysql-server_auditing - - -   vm,kim,10.0.0.7,4,6,QUERY,crm,'DELETE FROM customer',0`,
		// PostgreSQL's syslog messages: "[line-part] " then log_line_prefix.
		`<134>1 2026-11-23T20:14:42.900+09:00 db2 postgres 15942 - - [5-1] 2026-11-23 20:14:42.900 KST [15942] kim@crm 127.0.0.1(44628) 6b042022.3e46 5 LOG:  AUDIT: SESSION,2,1,WRITE,INSERT,TABLE,public.customer,"INSERT INTO customer VALUES (1,`,
		`<134>1 2026-11-23T20:14:42.900+09:00 db2 postgres 15942 - - [5-2] #011'x')",<not logged>,1`,
		`<134>Nov 23 20:17:01 web1 nginx: 10.0.0.1 - kim [23/Nov/2026:20:17:01 +0900] "GET /a HTTP/1.1" 200 3 "-" "curl"`,
	)
	if len(errs) != 0 || len(recs) != 3 {
		t.Fatalf("records %d, errors %v", len(recs), errs)
	}
	if r := recs[0]; at[0] != 1 || r.Action != "delete" || r.System != "vm" || r.Time.Format("15:04:05") != "20:16:07" {
		t.Fatalf("mariadb via syslog: %s", r.Canonical())
	}
	if r := recs[1]; at[1] != 4 || r.System != "web1" || r.Actor.ID != "kim" {
		t.Fatalf("nginx via RFC 3164: %s", r.Canonical())
	}
	if r := recs[2]; at[2] != 2 || r.Action != "create" || r.Detail != "INSERT INTO customer VALUES (1,\n'x')" || r.Rows() != 1 {
		t.Fatalf("pgaudit via syslog: %s", r.Canonical())
	}
}

func TestSyslogForcedInner(t *testing.T) {
	recs, _, errs := parseLines(t, "syslog", Options{Inner: "sshd", System: "bastion"},
		`<38>1 2026-11-23T20:16:54.8+09:00 vm some-wrapper 17280 - - Accepted password for kim from 10.0.0.1 port 5 ssh2`)
	if len(errs) != 0 || len(recs) != 1 || recs[0].System != "bastion" || recs[0].Action != "login" {
		t.Fatalf("records %v, errors %v", recs, errs)
	}
}

func TestSyslogMalformed(t *testing.T) {
	checkMalformed(t, "syslog", Options{}, []malformed{
		{"no pri", []string{"Nov 23 20:16:54 vm sshd[1]: Accepted password for kim from 1.2.3.4 port 1 ssh2"}, 1, "pri", ""},
		{"garbage", []string{"<>"}, 1, "(line)", "syslog"},
		{"inner error keeps its field", []string{`<13>1 2026-11-23T20:16:07+09:00 vm crm-app - - - {"time":"2026-11-23T20:16:07+09:00","system":"crm","action":"view"}`}, 1, "actor.id", "required"},
		{"inner sshd error", []string{`<38>1 2026-11-23T20:16:54+09:00 vm sshd 1 - - Accepted password for kim from 1.2.3.999 port 1 ssh2`}, 1, "origin.ip", ""},
	})
}
