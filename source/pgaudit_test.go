package source

// The pgaudit samples in testdata/pgaudit were captured from a real
// PostgreSQL 15.20 with pgaudit 1.7.0 (Debian postgresql-15-pgaudit
// 1.7.0-2) by testdata/capture/pgaudit.sh: initdb into /tmp as postgres,
// shared_preload_libraries='pgaudit', pgaudit.log='read,write,ddl,role',
// pgaudit.log_rows=on, pgaudit.role='auditor' (OBJECT lines),
// log_connections/log_disconnections=on, log_destination=
// 'stderr,csvlog,jsonlog' with the logging collector, log_line_prefix =
// '%m [%p] %q%u@%d %r %c %l ', log_timezone='Asia/Seoul'; then psql ran
// CREATE/INSERT/SELECT/UPDATE/COPY TO/COPY (SELECT) TO/DELETE/PREPARE,
// GRANT/REVOKE, a permission-denied SELECT, \copy FROM, a multi-line
// SELECT and two failed logins. stderr.log, csvlog.csv and jsonlog.json are
// the three logs of that one run.

import (
	"sort"
	"strings"
	"testing"
)

func TestPGAuditFormatsAgree(t *testing.T) {
	// One run, three log formats: the same records, except that stderr
	// numbers its separate STATEMENT message, which shifts the session line
	// numbers in the ids of one session's later non-AUDIT records.
	canon := func(c goldenCase) []string {
		recs, _, _ := parseFile(t, c)
		var out []string
		for _, r := range recs {
			r.ID = ""
			out = append(out, string(r.Canonical()))
		}
		sort.Strings(out)
		return out
	}
	cases := goldenCases()
	var stderr, csv, js []string
	for _, c := range cases {
		switch c.name {
		case "pgaudit/stderr":
			stderr = canon(c)
		case "pgaudit/csvlog":
			csv = canon(c)
		case "pgaudit/jsonlog":
			js = canon(c)
		}
	}
	if len(stderr) == 0 || strings.Join(stderr, "\n") != strings.Join(csv, "\n") || strings.Join(csv, "\n") != strings.Join(js, "\n") {
		t.Fatalf("stderr, csvlog and jsonlog disagree:\n%s\n--\n%s", strings.Join(stderr, "\n"), strings.Join(csv, "\n"))
	}
}

const pgPrefix = "2026-11-23 20:14:42.900 KST [15942] kim@crm 127.0.0.1(44628) 6b042022.3e46 "

func TestPGAuditSessionAndObjectLinesMakeOneRecord(t *testing.T) {
	recs, at, errs := parseLines(t, "pgaudit", Options{},
		pgPrefix+`5 LOG:  AUDIT: OBJECT,3,1,READ,SELECT,TABLE,public.customer,"SELECT c.name FROM customer c JOIN orders o ON o.cid = c.id",<not logged>,7`,
		pgPrefix+`6 LOG:  AUDIT: SESSION,3,1,READ,SELECT,TABLE,public.customer,"SELECT c.name FROM customer c JOIN orders o ON o.cid = c.id",<not logged>,7`,
		pgPrefix+`7 LOG:  AUDIT: OBJECT,3,1,READ,SELECT,TABLE,public.orders,"SELECT c.name FROM customer c JOIN orders o ON o.cid = c.id",<not logged>,7`,
		pgPrefix+`8 LOG:  AUDIT: SESSION,3,1,READ,SELECT,TABLE,public.orders,"SELECT c.name FROM customer c JOIN orders o ON o.cid = c.id",<not logged>,7`,
		pgPrefix+`9 LOG:  AUDIT: SESSION,4,1,WRITE,INSERT,TABLE,public.orders,"INSERT INTO orders VALUES (1, 2)",<not logged>,1`,
	)
	if len(errs) != 0 || len(recs) != 2 {
		t.Fatalf("got %d records, errors %v; want 2 records", len(recs), errs)
	}
	r := recs[0]
	if at[0] != 1 || r.ID != "crm:6b042022.3e46:3:1" || r.Action != "view" || r.Target.Object != "public.customer" ||
		r.Attrs["pgaudit.objects"] != "public.customer,public.orders" || r.Rows() != 7 || r.Actor.ID != "kim" || r.System != "crm" {
		t.Fatalf("merged record at line %d: %s", at[0], r.Canonical())
	}
	if at[1] != 5 || recs[1].Action != "create" || recs[1].Rows() != 1 {
		t.Fatalf("second record at line %d: %s", at[1], recs[1].Canonical())
	}
}

func TestPGAuditCopyToIsExportOfUnknownSize(t *testing.T) {
	// pgaudit 1.7 logs COPY … TO with no object and 0 rows.
	recs, _, errs := parseLines(t, "pgaudit", Options{System: "custdb"},
		pgPrefix+`11 LOG:  AUDIT: SESSION,5,1,READ,COPY,,,COPY customer TO '/tmp/c.csv';,<not logged>,0`)
	if len(errs) != 0 || len(recs) != 1 {
		t.Fatalf("records %d, errors %v", len(recs), errs)
	}
	r := recs[0]
	if r.Action != "export" || r.Result.Rows != nil || r.Target.Object != "customer" || r.System != "custdb" || strings.Contains(string(r.Canonical()), `"rows"`) {
		t.Fatalf("COPY TO record: %s", r.Canonical())
	}
}

func TestPGAuditNeverStoresBindParameters(t *testing.T) {
	recs, _, errs := parseLines(t, "pgaudit", Options{},
		pgPrefix+`5 LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.customer,SELECT * FROM customer WHERE rrn = $1,"900101-1234567,x",1`)
	if len(errs) != 0 || len(recs) != 1 {
		t.Fatalf("records %d, errors %v", len(recs), errs)
	}
	if c := string(recs[0].Canonical()); strings.Contains(c, "900101") || !strings.Contains(c, "rrn = $1") {
		t.Fatalf("bind value stored or statement lost: %s", c)
	}
}

func TestPGAuditStatementOnce(t *testing.T) {
	// pgaudit.log_statement_once=on writes the text on the first line only.
	recs, _, _ := parseLines(t, "pgaudit", Options{},
		pgPrefix+`5 LOG:  AUDIT: SESSION,6,1,READ,SELECT,TABLE,public.customer,"COPY (SELECT id FROM customer) TO STDOUT",<not logged>,2`,
		pgPrefix+`6 LOG:  AUDIT: SESSION,6,2,READ,COPY,,,<previously logged>,<previously logged>,0`)
	if len(recs) != 2 || recs[1].Detail != "COPY (SELECT id FROM customer) TO STDOUT" || recs[1].Action != "export" {
		t.Fatalf("records: %v", recs)
	}
}

func TestPGAuditMultiLineStatementStartsAtFirstLine(t *testing.T) {
	recs, at, errs := parseLines(t, "pgaudit", Options{},
		pgPrefix+`9 LOG:  AUDIT: SESSION,2,1,READ,SELECT,,,"SELECT 'multi`,
		"\tline', 1 AS \"\"x,y\"\";\",<not logged>,1",
		"2026-11-23 20:14:43.000 KST [15942] kim@crm 127.0.0.1(44628) 6b042022.3e46 10 LOG:  disconnection: session time: 0:00:00.007 user=kim database=crm host=127.0.0.1 port=59010")
	if len(errs) != 0 || len(recs) != 2 {
		t.Fatalf("records %d, errors %v", len(recs), errs)
	}
	if at[0] != 1 || recs[0].Detail != "SELECT 'multi\nline', 1 AS \"x,y\";" || at[1] != 3 || recs[1].Action != "logout" {
		t.Fatalf("got %s at %d, %s at %d", recs[0].Canonical(), at[0], recs[1].Canonical(), at[1])
	}
}

func TestPGAuditMalformed(t *testing.T) {
	checkMalformed(t, "pgaudit", Options{}, []malformed{
		{"not a log line", []string{"hello world"}, 1, "prefix", "log_line_prefix"},
		{"unknown zone", []string{"2026-11-23 20:14:42.900 PST [1] kim@crm 127.0.0.1(1) 6b.3e 5 LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,x,<none>,1"}, 1, "time", "log_timezone"},
		{"no line number", []string{pgPrefix + "x LOG:  connection authorized: user=kim database=crm"}, 1, "prefix", ""},
		{"no severity", []string{pgPrefix + "5 connection authorized: user=kim"}, 1, "severity", ""},
		{"too few audit fields", []string{pgPrefix + "4 LOG:  connection authorized: user=kim database=crm", pgPrefix + "5 LOG:  AUDIT: SESSION,1,1,READ"}, 2, "message", "fields"},
		{"bad statement id", []string{pgPrefix + "5 LOG:  AUDIT: SESSION,x,1,READ,SELECT,,,s,<none>,1"}, 1, "message", "statement id"},
		{"bad rows", []string{pgPrefix + "5 LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,s,<none>,-3"}, 1, "message", "rows"},
		{"no database", []string{"2026-11-23 20:14:42.900 KST [1] kim@[unknown] 127.0.0.1(1) 6b.3e 5 LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,s,<none>,1"}, 1, "system", "required"},
	})
	checkMalformed(t, "pgaudit-csv", Options{}, []malformed{
		{"few columns", []string{`2026-11-23 20:14:42.749 KST,"kim","crm",1,"127.0.0.1:5",6b.3e,3,"x"`}, 1, "(line)", "columns"},
		{"bad time", []string{`yesterday,"kim","crm",15938,"127.0.0.1:44610",6b042022.3e42,3,"authentication",2026-11-23 20:14:42 KST,3/1,0,LOG,00000,"connection authorized: user=kim database=crm",,,,,,,,,"","client backend",,0`}, 1, "log_time", ""},
		{"multi-line record reported at its first line", []string{
			`2026-11-23 20:14:42.749 KST,"kim","crm",15938,"127.0.0.1:44610",6b042022.3e42,3,"SELECT",2026-11-23 20:14:42 KST,3/1,0,LOG,00000,"AUDIT: SESSION,x,1,READ,SELECT,,,""SELECT 1`,
			`"",<not logged>,1",,,,,,,,,"","client backend",,0`}, 1, "message", "statement id"},
	})
	checkMalformed(t, "pgaudit-json", Options{}, []malformed{
		{"not json", []string{`{"timestamp":`}, 1, "(line)", "JSON"},
		{"wrong type", []string{`{"timestamp":"2026-11-23 20:14:42.749 KST","line_num":"3"}`}, 1, "line_num", ""},
		{"bad time", []string{`{"timestamp":"2026-11-23","user":"kim","dbname":"crm","session_id":"6b.3e","line_num":3,"error_severity":"LOG","message":"connection authorized: user=kim database=crm"}`}, 1, "timestamp", ""},
	})
}
