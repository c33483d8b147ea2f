package source

// The integration tests start their own throwaway PostgreSQL 15 (with
// pgaudit) and MariaDB (with server_audit) on free loopback ports, run
// statements through the real clients, and parse the fresh logs. They never
// touch the machine's own servers. Debian packages: postgresql-15,
// postgresql-15-pgaudit, postgresql-client-15, mariadb-server,
// mariadb-client. As root, PostgreSQL runs as the "postgres" user through
// runuser (initdb refuses root).

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jikimi/jikimi/record"
)

const pgBin = "/usr/lib/postgresql/15/bin"

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// run runs a command to completion and fails the test with its output.
func run(t *testing.T, env []string, stdin string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func needBinaries(t *testing.T, paths ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test skipped in -short mode")
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			if _, err := exec.LookPath(p); err != nil {
				t.Skipf("integration test needs %s (install the Debian packages named in integration_test.go)", p)
			}
		}
	}
}

// readAll parses a log file with a fresh parser of format.
func readAll(t *testing.T, path, format string, opts Options) ([]*record.Record, []*LineError) {
	t.Helper()
	p, err := New(format, opts)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []*record.Record
	var rejects []*LineError
	if err := Read(f, path, p, func(r *record.Record, _ int) error { recs = append(recs, r); return nil },
		func(e *LineError) { rejects = append(rejects, e) }); err != nil {
		t.Fatal(err)
	}
	return recs, rejects
}

// find returns the first record for which ok holds, or fails.
func find(t *testing.T, what string, recs []*record.Record, ok func(*record.Record) bool) *record.Record {
	t.Helper()
	for _, r := range recs {
		if ok(r) {
			return r
		}
	}
	var all bytes.Buffer
	for _, r := range recs {
		all.Write(r.Canonical())
		all.WriteByte('\n')
	}
	t.Fatalf("no record %s among:\n%s", what, all.String())
	return nil
}

func TestIntegrationPostgresPGAudit(t *testing.T) {
	needBinaries(t, pgBin+"/initdb", pgBin+"/pg_ctl", "/usr/lib/postgresql/15/lib/pgaudit.so", "psql")
	dir := t.TempDir()
	// As root, the server runs as postgres, which must reach the directory.
	asServer := func(name string, args ...string) (string, []string) { return name, args }
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root needs the postgres user (Debian postgresql-15)")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		asServer = func(name string, args ...string) (string, []string) {
			return "runuser", append([]string{"-u", "postgres", "--", name}, args...)
		}
	}
	data, logs := filepath.Join(dir, "data"), filepath.Join(dir, "log")
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("superpw\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	name, args := asServer(pgBin+"/initdb", "-D", data, "-U", "postgres", "--pwfile", pw, "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "--no-instructions")
	run(t, nil, "", name, args...)
	port := freePort(t)
	conf := fmt.Sprintf(`
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
lc_messages = 'C'
fsync = off
shared_preload_libraries = 'pgaudit'
pgaudit.log = 'read,write,ddl,role'
pgaudit.log_rows = on
pgaudit.log_relation = on
pgaudit.log_catalog = off
log_connections = on
log_disconnections = on
logging_collector = on
log_destination = 'stderr,csvlog,jsonlog'
log_directory = '%s'
log_filename = 'postgresql'
log_file_mode = 0644
log_line_prefix = '%s'
log_timezone = 'Asia/Seoul'
`, port, dir, logs, PGLogLinePrefix)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(conf)
	f.Close()
	name, args = asServer(pgBin+"/pg_ctl", "-D", data, "-w", "-t", "30", "-l", filepath.Join(dir, "server.log"), "start")
	run(t, nil, "", name, args...)
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			name, args := asServer(pgBin+"/pg_ctl", "-D", data, "-w", "-m", "fast", "stop")
			if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
				t.Logf("pg_ctl stop: %v\n%s", err, out)
			}
		}
	}
	t.Cleanup(stop)

	psql := func(user, password, db, sql string) {
		run(t, []string{"PGPASSWORD=" + password}, sql, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
			"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", user, "-d", db)
	}
	psql("postgres", "superpw", "postgres", "CREATE ROLE kim LOGIN PASSWORD 'kimpw';\nCREATE DATABASE crm OWNER kim;\n")
	psql("kim", "kimpw", "crm", `CREATE TABLE customer (id int PRIMARY KEY, name text, phone text);
INSERT INTO customer VALUES (1, '홍길동', '010-1234-5678'), (2, '김철수', '010-2222-3333');
SELECT name FROM customer WHERE id = 1;
COPY customer TO STDOUT;
UPDATE customer SET phone = '010-0000-0000' WHERE id = 2;
DELETE FROM customer WHERE id = 2;
`)
	cmd := exec.Command("psql", "-X", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "kim", "-d", "crm", "-c", "select 1")
	cmd.Env = append(os.Environ(), "PGPASSWORD=wrong")
	if err := cmd.Run(); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	stop() // the collector has written everything once the server is down

	stderr, rej := readAll(t, filepath.Join(logs, "postgresql"), "pgaudit", Options{})
	if len(rej) != 0 {
		t.Fatalf("stderr log rejects: %v", rej)
	}
	csv, rej := readAll(t, filepath.Join(logs, "postgresql.csv"), "pgaudit-csv", Options{})
	if len(rej) != 0 {
		t.Fatalf("csvlog rejects: %v", rej)
	}
	js, rej := readAll(t, filepath.Join(logs, "postgresql.json"), "pgaudit-json", Options{})
	if len(rej) != 0 {
		t.Fatalf("jsonlog rejects: %v", rej)
	}
	canon := func(recs []*record.Record) string {
		var s []string
		for _, r := range recs {
			s = append(s, string(r.Canonical()))
		}
		sort.Strings(s)
		return strings.Join(s, "\n")
	}
	if canon(stderr) != canon(csv) || canon(csv) != canon(js) {
		t.Fatalf("the three logs disagree:\nstderr:\n%s\ncsvlog:\n%s\njsonlog:\n%s", canon(stderr), canon(csv), canon(js))
	}

	recs := stderr
	login := find(t, "login of kim", recs, func(r *record.Record) bool { return r.Action == "login" && r.Actor.ID == "kim" })
	if login.System != "crm" || login.Origin.IP != "127.0.0.1" || login.Auth.Method != "password" || login.Auth.Session == "" {
		t.Errorf("login: %s", login.Canonical())
	}
	ins := find(t, "INSERT", recs, func(r *record.Record) bool { return r.Action == "create" && r.Target.Object == "public.customer" })
	if ins.Rows() != 2 || !strings.HasPrefix(ins.Detail, "INSERT INTO customer") || ins.Auth.Session != login.Auth.Session {
		t.Errorf("insert: %s", ins.Canonical())
	}
	sel := find(t, "SELECT", recs, func(r *record.Record) bool { return r.Action == "view" && r.Target.Object == "public.customer" })
	if sel.Rows() != 1 || sel.Detail != "SELECT name FROM customer WHERE id = 1;" || sel.Actor.ID != "kim" || !strings.HasPrefix(sel.ID, "crm:") {
		t.Errorf("select: %s", sel.Canonical())
	}
	exp := find(t, "COPY TO", recs, func(r *record.Record) bool { return r.Action == "export" })
	if exp.Result.Rows != nil || exp.Target.Object != "customer" || exp.Detail != "COPY customer TO STDOUT;" {
		t.Errorf("COPY TO must be an export of unknown size: %s", exp.Canonical())
	}
	upd := find(t, "UPDATE", recs, func(r *record.Record) bool { return r.Action == "update" })
	del := find(t, "DELETE", recs, func(r *record.Record) bool { return r.Action == "delete" })
	if upd.Rows() != 1 || del.Rows() != 1 {
		t.Errorf("update/delete rows: %s / %s", upd.Canonical(), del.Canonical())
	}
	find(t, "CREATE TABLE", recs, func(r *record.Record) bool {
		return r.Action == "admin" && strings.HasPrefix(r.Detail, "CREATE TABLE customer")
	})
	failed := find(t, "failed login", recs, func(r *record.Record) bool { return r.Action == "login_failed" })
	if failed.Actor.ID != "kim" || failed.Status() != "denied" || failed.Auth.Method != "password" {
		t.Errorf("failed login: %s", failed.Canonical())
	}
	find(t, "logout", recs, func(r *record.Record) bool { return r.Action == "logout" && r.Actor.ID == "kim" })
	for _, r := range recs {
		if strings.Contains(string(r.Canonical()), "kimpw") || strings.Contains(string(r.Canonical()), "superpw") {
			t.Errorf("a password reached a record: %s", r.Canonical())
		}
	}
}

func TestIntegrationMariaDBServerAudit(t *testing.T) {
	mariadbd := "/usr/sbin/mariadbd"
	needBinaries(t, mariadbd, "mariadb-install-db", "mariadb")
	dir := t.TempDir()
	data, sock, audit := filepath.Join(dir, "data"), filepath.Join(dir, "sock"), filepath.Join(dir, "server_audit.log")
	var asUser []string
	if os.Geteuid() == 0 {
		asUser = []string{"--user=root"}
	}
	run(t, nil, "", "mariadb-install-db", append([]string{"--no-defaults", "--datadir=" + data,
		"--auth-root-authentication-method=normal", "--skip-test-db"}, asUser...)...)
	port := freePort(t)
	args := append([]string{"--no-defaults", "--datadir=" + data, "--socket=" + sock,
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--skip-name-resolve",
		"--character-set-server=utf8mb4", "--innodb-buffer-pool-size=16M", "--skip-log-bin",
		"--pid-file=" + filepath.Join(dir, "pid"), "--log-error=" + filepath.Join(dir, "error.log"),
		"--plugin-load-add=server_audit", "--server-audit-logging=ON",
		"--server-audit-events=CONNECT,QUERY_DML,QUERY_DDL,QUERY_DCL,TABLE",
		"--server-audit-file-path=" + audit}, asUser...)
	srv := exec.Command(mariadbd, args...)
	srv.Env = append(os.Environ(), "TZ=Asia/Seoul")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Wait(); close(done) }()
	stop := func() {
		select {
		case <-done:
			return
		default:
		}
		srv.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			srv.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("mariadbd exited:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("mariadbd did not open its socket in 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	root := []string{"--no-defaults", "-S", sock, "-u", "root"}
	run(t, nil, `CREATE DATABASE crm;
CREATE USER 'kim'@'%' IDENTIFIED BY 'kimpw';
GRANT SELECT, INSERT, UPDATE, DELETE ON crm.* TO 'kim'@'%';
CREATE TABLE crm.customer (id int PRIMARY KEY, name varchar(40), phone varchar(20));
`, "mariadb", root...)
	kim := []string{"--no-defaults", "-h", "127.0.0.1", "-P", strconv.Itoa(port), "-u", "kim", "-pkimpw", "crm"}
	run(t, nil, `INSERT INTO customer VALUES (1, '홍길동', '010-1234-5678'), (2, '김철수', '010-2222-3333');
SELECT name FROM customer WHERE id = 1;
DELETE FROM customer WHERE id = 2;
`, "mariadb", kim...)
	bad := exec.Command("mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", strconv.Itoa(port), "-u", "kim", "-pwrong", "-e", "select 1")
	if err := bad.Run(); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	denied := exec.Command("mariadb", append(kim, "-e", "DROP TABLE customer")...)
	if err := denied.Run(); err == nil {
		t.Fatal("DROP TABLE by kim succeeded")
	}
	stop()

	recs, rej := readAll(t, audit, "mariadb-audit", Options{})
	if len(rej) != 0 {
		log, _ := os.ReadFile(audit)
		t.Fatalf("rejects: %v\n%s", rej, log)
	}
	login := find(t, "login of kim", recs, func(r *record.Record) bool { return r.Action == "login" && r.Actor.ID == "kim" })
	if login.Origin.IP != "127.0.0.1" || login.Auth.Session == "" {
		t.Errorf("login: %s", login.Canonical())
	}
	ins := find(t, "INSERT", recs, func(r *record.Record) bool { return r.Action == "create" && r.Actor.ID == "kim" })
	if ins.Target.Object != "crm.customer" || ins.Auth.Session != login.Auth.Session || !strings.Contains(ins.Detail, "'홍길동'") {
		t.Errorf("insert: %s", ins.Canonical())
	}
	sel := find(t, "SELECT", recs, func(r *record.Record) bool { return r.Action == "view" && r.Actor.ID == "kim" })
	if sel.Target.Object != "crm.customer" || sel.Detail != "SELECT name FROM customer WHERE id = 1" || sel.Result.Rows != nil {
		t.Errorf("select: %s", sel.Canonical())
	}
	find(t, "DELETE", recs, func(r *record.Record) bool { return r.Action == "delete" && r.Target.Object == "crm.customer" })
	find(t, "failed login", recs, func(r *record.Record) bool { return r.Action == "login_failed" && r.Actor.ID == "kim" })
	drop := find(t, "denied DROP", recs, func(r *record.Record) bool { return strings.HasPrefix(r.Detail, "DROP TABLE") })
	if drop.Status() != "denied" || drop.Action != "admin" {
		t.Errorf("denied DROP: %s", drop.Canonical())
	}
	find(t, "logout of kim", recs, func(r *record.Record) bool { return r.Action == "logout" && r.Actor.ID == "kim" })
	for _, r := range recs {
		if strings.Contains(string(r.Canonical()), "kimpw") {
			t.Errorf("a password reached a record: %s", r.Canonical())
		}
	}
}
