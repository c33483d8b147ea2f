#!/bin/bash
# Capture pgaudit output from a throwaway PostgreSQL 15.
set -e
D=/tmp/cap/pg; rm -rf $D; mkdir -p $D; chown postgres $D
B=/usr/lib/postgresql/15/bin
echo secret > $D/pw; chown postgres $D/pw
runuser -u postgres -- $B/initdb -D $D/data -U postgres --pwfile=$D/pw --auth-local=trust --auth-host=scram-sha-256 >/dev/null
cat >> $D/data/postgresql.conf <<CONF
listen_addresses = '127.0.0.1'
port = 55432
unix_socket_directories = '$D'
lc_messages = 'C'
shared_preload_libraries = 'pgaudit'
pgaudit.log = 'read,write,ddl,role'
pgaudit.log_rows = on
pgaudit.log_catalog = off
pgaudit.log_relation = on
pgaudit.role = 'auditor'
log_connections = on
log_disconnections = on
logging_collector = on
log_destination = 'stderr,csvlog,jsonlog'
log_directory = '$D/log'
log_filename = 'postgresql'
log_line_prefix = '%m [%p] %q%u@%d %r %c %l '
log_timezone = 'Asia/Seoul'
CONF
runuser -u postgres -- $B/pg_ctl -D $D/data -w -l $D/startup.log start >/dev/null
P="psql -X -q -h 127.0.0.1 -p 55432"
export PGPASSWORD=secret
$P -U postgres -d postgres <<SQL
CREATE ROLE auditor NOLOGIN;
CREATE ROLE kim LOGIN PASSWORD 'kimpw';
CREATE ROLE lee LOGIN PASSWORD 'leepw';
CREATE DATABASE crm OWNER kim;
SQL
$P -U postgres -d crm -c 'GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO auditor' -c 'ALTER DEFAULT PRIVILEGES FOR ROLE kim IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO auditor'
PGPASSWORD=kimpw $P -U kim -d crm <<'SQL'
CREATE TABLE customer (id int PRIMARY KEY, name text, phone text);
INSERT INTO customer VALUES (1,'홍길동','010-1234-5678'),(2,'김철수','010-2222-3333');
SELECT name, phone FROM customer WHERE id = 1;
UPDATE customer SET phone = '010-9999-0000' WHERE id = 2;
COPY customer TO STDOUT;
COPY (SELECT id, name FROM customer) TO STDOUT WITH (FORMAT csv);
DELETE FROM customer WHERE id = 2;
PREPARE q(int) AS SELECT name FROM customer WHERE id = $1;
EXECUTE q(1);
SQL
$P -U postgres -d crm <<'SQL'
GRANT SELECT ON customer TO lee;
REVOKE SELECT ON customer FROM lee;
SQL
PGPASSWORD=leepw $P -U lee -d crm -c 'SELECT count(*) FROM customer' 2>/dev/null || true
PGPASSWORD=kimpw $P -U kim -d crm <<'SQL'
SELECT count(*) FROM customer;
SELECT c.name FROM customer c JOIN customer d ON c.id = d.id;
\copy customer from stdin
3	이영희	010-3333-4444
\.
SELECT 'multi
line', 1 AS "x,y";
SQL
PGPASSWORD=wrong $P -U kim -d crm -c 'select 1' 2>/dev/null || true
PGPASSWORD=x $P -U nobody -d crm -c 'select 1' 2>/dev/null || true
sleep 1
runuser -u postgres -- $B/pg_ctl -D $D/data -w stop >/dev/null
ls -la $D/log
