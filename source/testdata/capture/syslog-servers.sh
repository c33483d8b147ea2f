#!/bin/bash
# Capture MariaDB server_audit and PostgreSQL/pgaudit output sent to syslog,
# through a throwaway rsyslogd that owns /dev/log (absent on this machine).
set -e
D=/tmp/cap/sys2; rm -rf $D; mkdir -p $D; chmod 755 $D
test ! -e /dev/log
cat > $D/rsyslog.conf <<CONF
module(load="imuxsock" SysSock.Name="/dev/log")
\$WorkDirectory $D
*.* action(type="omfile" file="$D/rfc5424.log" template="RSYSLOG_SyslogProtocol23Format")
CONF
TZ=Asia/Seoul rsyslogd -f $D/rsyslog.conf -i $D/rsyslog.pid
sleep 0.5
# MariaDB with server_audit_output_type=syslog
mariadb-install-db --no-defaults --datadir=$D/maria --auth-root-authentication-method=normal --user=root >/dev/null 2>&1
TZ=Asia/Seoul mariadbd --no-defaults --skip-name-resolve --datadir=$D/maria --socket=$D/msock --port=53307 --bind-address=127.0.0.1 \
  --user=root --plugin-load-add=server_audit --server-audit-logging=ON --server-audit-output-type=syslog \
  --server-audit-events=CONNECT,QUERY_DML,QUERY_DDL --pid-file=$D/mpid --log-error=$D/merr.log &
for i in $(seq 50); do [ -S $D/msock ] && break; sleep 0.2; done
mariadb --no-defaults -S $D/msock -u root -e "CREATE DATABASE crm; CREATE TABLE crm.t (id int); INSERT INTO crm.t VALUES (1); SELECT * FROM crm.t WHERE id = 1"
kill $(cat $D/mpid); wait
# PostgreSQL with log_destination=syslog
chown postgres $D
runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D $D/pg -A trust >/dev/null
cat >> $D/pg/postgresql.conf <<CONF
listen_addresses = '127.0.0.1'
port = 55433
unix_socket_directories = '$D'
lc_messages = 'C'
shared_preload_libraries = 'pgaudit'
pgaudit.log = 'read,write'
pgaudit.log_rows = on
log_connections = on
log_destination = 'syslog'
log_line_prefix = '%m [%p] %q%u@%d %r %c %l '
log_timezone = 'Asia/Seoul'
CONF
runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D $D/pg -w -l $D/pgstart.log start >/dev/null
psql -X -q -h 127.0.0.1 -p 55433 -U postgres -d postgres <<'SQL'
CREATE TABLE t (id int, note text);
INSERT INTO t VALUES (1, 'a'), (2, 'b');
SELECT id,
  note
FROM t WHERE id = 1;
SQL
runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D $D/pg -w stop >/dev/null
sleep 0.3
kill $(cat $D/rsyslog.pid)
sleep 0.3
rm -f /dev/log
