#!/bin/bash
# Capture MariaDB server_audit output from a throwaway mariadbd.
set -e
D=/tmp/cap/maria; rm -rf $D; mkdir -p $D
mariadb-install-db --no-defaults --datadir=$D/data --auth-root-authentication-method=normal --user=root >/dev/null 2>&1
TZ=Asia/Seoul mariadbd --no-defaults --character-set-server=utf8mb4 --skip-name-resolve --datadir=$D/data --socket=$D/sock --port=53306 --bind-address=127.0.0.1 \
  --user=root --plugin-load-add=server_audit --server-audit-logging=ON \
  --server-audit-file-path=$D/server_audit.log --server-audit-events=CONNECT,QUERY_DML,QUERY_DDL,QUERY_DCL,TABLE \
  --pid-file=$D/pid --log-error=$D/error.log &
for i in $(seq 50); do [ -S $D/sock ] && break; sleep 0.2; done
M="mariadb --no-defaults -S $D/sock -u root"
$M <<'SQL'
CREATE DATABASE crm;
CREATE USER 'kim'@'%' IDENTIFIED BY 'kimpw';
GRANT SELECT, INSERT, UPDATE, DELETE, FILE ON *.* TO 'kim'@'%';
CREATE TABLE crm.customer (id int PRIMARY KEY, name varchar(40), phone varchar(20));
SQL
mariadb --no-defaults --force -h 127.0.0.1 -P 53306 -u kim -pkimpw crm <<'SQL'
INSERT INTO customer VALUES (1,'홍길동','010-1234-5678'),(2,'김철수','010-2222-3333');
SELECT name, phone FROM customer WHERE id = 1;
UPDATE customer SET phone = '010-9999-0000' WHERE id = 2;
SELECT * FROM customer WHERE name = 'it''s "quoted"\\n';
SELECT 'multi
line';
DELETE FROM customer WHERE id = 2;
SELECT * FROM nosuchtable;
SQL
mariadb --no-defaults -h 127.0.0.1 -P 53306 -u kim -pwrong crm -e 'select 1' 2>/dev/null || true
mariadb --no-defaults -h 127.0.0.1 -P 53306 -u kim -pkimpw -e 'DROP DATABASE crm' 2>/dev/null || true
kill $(cat $D/pid); wait
