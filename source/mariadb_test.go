package source

// testdata/mariadb/server_audit.log was captured from a real MariaDB
// 10.11.19 (Debian mariadb-server) by testdata/capture/mariadb.sh:
// mariadb-install-db --no-defaults --datadir=/tmp/…, then
// TZ=Asia/Seoul mariadbd --no-defaults --skip-name-resolve
// --plugin-load-add=server_audit --server-audit-logging=ON
// --server-audit-events=CONNECT,QUERY_DML,QUERY_DDL,QUERY_DCL,TABLE
// --server-audit-file-path=…; the mariadb client created a user and a
// table, then as that user over TCP ran INSERT/SELECT/UPDATE/DELETE, a
// quoted and a multi-line query, a query on a missing table, a login with a
// wrong password and a denied DROP DATABASE.

import "testing"

func TestMariaDBQueryRecord(t *testing.T) {
	recs, at, errs := parseLines(t, "mariadb-audit", Options{System: "custdb"},
		`20261123 20:16:07,vm,kim,10.0.0.7,4,9,READ,crm,customer,`,
		`20261123 20:16:07,vm,kim,10.0.0.7,4,9,READ,crm,orders,`,
		`20261123 20:16:07,vm,kim,10.0.0.7,4,9,QUERY,crm,'SELECT * FROM customer c, orders o WHERE c.name = \'it\\\'s\'\nAND 1',0`,
		`20261123 20:16:08,vm,kim,10.0.0.7,4,10,QUERY,crm,'SELECT * FROM customer INTO OUTFILE \'/tmp/c.txt\'',0`,
	)
	if len(errs) != 0 || len(recs) != 2 {
		t.Fatalf("records %d, errors %v", len(recs), errs)
	}
	r := recs[0]
	if at[0] != 3 || r.System != "custdb" || r.Action != "view" || r.Target.Object != "crm.customer" || r.Attrs["objects"] != "crm.customer,crm.orders" ||
		r.Detail != "SELECT * FROM customer c, orders o WHERE c.name = 'it\\'s'\nAND 1" || r.Origin.IP != "10.0.0.7" || r.Auth.Session != "4" {
		t.Fatalf("query record at %d: %s", at[0], r.Canonical())
	}
	if recs[1].Action != "export" || recs[1].Target.Object != "" {
		t.Fatalf("INTO OUTFILE record: %s", recs[1].Canonical())
	}
}

func TestMariaDBFailedConnectIsNoLogout(t *testing.T) {
	recs, _, _ := parseLines(t, "mariadb-audit", Options{},
		`20261123 20:15:58,vm,kim,127.0.0.1,5,0,FAILED_CONNECT,,,1045`,
		`20261123 20:15:58,vm,kim,127.0.0.1,5,0,DISCONNECT,,,0`)
	if len(recs) != 1 || recs[0].Action != "login_failed" || recs[0].Status() != "denied" {
		t.Fatalf("records: %d %v", len(recs), recs)
	}
}

func TestMariaDBMalformed(t *testing.T) {
	checkMalformed(t, "mariadb-audit", Options{}, []malformed{
		{"no fields", []string{"hello"}, 1, "(line)", ""},
		{"bad timestamp", []string{`2026-11-23 20:15:58,vm,kim,127.0.0.1,5,0,CONNECT,,,0`}, 1, "timestamp", ""},
		{"few fields", []string{`20261123 20:15:58,vm,kim,127.0.0.1,5`}, 1, "(line)", "fields"},
		{"bad connection id", []string{`20261123 20:15:58,vm,kim,127.0.0.1,x,0,CONNECT,,,0`}, 1, "connectionid", ""},
		{"bad query id", []string{`20261123 20:15:58,vm,kim,127.0.0.1,5,-1,CONNECT,,,0`}, 1, "queryid", ""},
		{"bad retcode", []string{`20261123 20:15:58,vm,kim,127.0.0.1,5,0,CONNECT,,,zero`}, 1, "retcode", ""},
		{"unknown operation", []string{`20261123 20:15:57,vm,kim,127.0.0.1,5,0,CONNECT,,,0`, `20261123 20:15:58,vm,kim,127.0.0.1,5,0,TELEPORT,,,0`}, 2, "operation", "TELEPORT"},
		{"no user", []string{`20261123 20:15:58,vm,,127.0.0.1,5,0,FAILED_CONNECT,,,1160`, `20261123 20:15:58,vm,,127.0.0.1,6,0,CONNECT,,,0`}, 2, "actor.id", "required"},
	})
}

func TestUnquoteAudit(t *testing.T) {
	for in, want := range map[string]string{
		`'a\'b'`:  `a'b`,
		`'a\\nb'`: `a\nb`,
		`'a\nb'`:  "a\nb",
		`plain`:   `plain`,
		`''`:      ``,
		`'x\`:     `'x\`,
	} {
		if got := unquoteAudit(in); got != want {
			t.Errorf("unquoteAudit(%q)=%q, want %q", in, got, want)
		}
	}
}
