#!/bin/bash
# Capture sshd, nginx and syslog framing samples. A throwaway rsyslogd owns
# /dev/log (absent on this machine) and a UDP port on 127.0.0.1 and writes
# what it receives in several standard templates; a throwaway sshd and nginx
# run on loopback ports; logger sends RFC 5424 and RFC 3164 messages.
set -e
D=/tmp/cap/logs; rm -rf $D; mkdir -p $D/nginx; chmod 755 $D
test ! -e /dev/log
cat > $D/rsyslog.conf <<CONF
module(load="imuxsock" SysSock.Name="/dev/log")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="55514")
\$WorkDirectory $D
*.* action(type="omfile" file="$D/traditional.log" template="RSYSLOG_TraditionalFileFormat")
*.* action(type="omfile" file="$D/fileformat.log" template="RSYSLOG_FileFormat")
*.* action(type="omfile" file="$D/rfc5424.log" template="RSYSLOG_SyslogProtocol23Format")
*.* action(type="omfile" file="$D/rfc3164.log" template="RSYSLOG_TraditionalForwardFormat")
CONF
TZ=Asia/Seoul rsyslogd -f $D/rsyslog.conf -i $D/rsyslog.pid
sleep 0.5

# sshd: a password login, a key login, a wrong password, an unknown user.
mkdir -p /run/sshd
id sshcap >/dev/null 2>&1 || useradd -m -s /bin/sh sshcap
echo 'sshcap:capture-pw' | chpasswd
ssh-keygen -q -t ed25519 -N '' -f $D/host_key
ssh-keygen -q -t ed25519 -N '' -f $D/client_key
mkdir -p ~sshcap/.ssh; cp $D/client_key.pub ~sshcap/.ssh/authorized_keys; chown -R sshcap ~sshcap/.ssh; chmod 700 ~sshcap/.ssh
cat > $D/sshd_config <<CONF
Port 52222
ListenAddress 127.0.0.1
HostKey $D/host_key
PidFile $D/sshd.pid
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM yes
LogLevel INFO
CONF
TZ=Asia/Seoul /usr/sbin/sshd -f $D/sshd_config
sleep 0.5
O="-p 52222 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
sshpass -p capture-pw ssh $O -o PubkeyAuthentication=no sshcap@127.0.0.1 true
ssh $O -i $D/client_key -o PasswordAuthentication=no sshcap@127.0.0.1 true
sshpass -p wrong ssh $O -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 sshcap@127.0.0.1 true || true
sshpass -p wrong ssh $O -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 nosuchuser@127.0.0.1 true || true
sleep 0.5
kill $(cat $D/sshd.pid)
userdel -r sshcap 2>/dev/null || true

# nginx: combined and JSON access logs, and combined over syslog.
cat > $D/nginx.conf <<CONF
daemon on;
pid $D/nginx.pid;
error_log $D/nginx/error.log;
events {}
http {
  access_log off;
  client_body_temp_path $D/nginx; proxy_temp_path $D/nginx; fastcgi_temp_path $D/nginx; uwsgi_temp_path $D/nginx; scgi_temp_path $D/nginx;
  log_format jikimi_json escape=json '{"time":"\$time_iso8601","msec":"\$msec","request_id":"\$request_id",'
    '"remote_addr":"\$remote_addr","remote_user":"\$remote_user","request_method":"\$request_method",'
    '"request_uri":"\$request_uri","server_protocol":"\$server_protocol","status":\$status,'
    '"body_bytes_sent":\$body_bytes_sent,"request_time":\$request_time,"host":"\$host",'
    '"http_user_agent":"\$http_user_agent","http_x_user":"\$http_x_user"}';
  server {
    listen 127.0.0.1:58080;
    access_log $D/nginx/access.log combined;
    access_log $D/nginx/access.json jikimi_json;
    access_log syslog:server=127.0.0.1:55514,tag=nginx combined;
    location / { return 200 "ok\n"; }
    location /admin { return 403; }
    location /boom { return 502; }
    location /api/export { return 200 "id,name\n1,kim\n"; }
  }
}
CONF
TZ=Asia/Seoul nginx -c $D/nginx.conf
sleep 0.3
U=http://127.0.0.1:58080
curl -s -o /dev/null -u kim:pw "$U/customers?name=%ED%99%8D%EA%B8%B8%EB%8F%99&phone=010-1234-5678"
curl -s -o /dev/null -H 'X-User: lee' -H 'Authorization: Bearer secret' -H 'Cookie: sid=abc' "$U/api/customers/42?access_token=abc123&fields=name"
curl -s -o /dev/null -X POST -d 'name=x' -u kim:pw "$U/customers"
curl -s -o /dev/null -X PUT -u kim:pw "$U/customers/1"
curl -s -o /dev/null -X DELETE -u kim:pw "$U/customers/1"
curl -s -o /dev/null -u kim:pw "$U/api/export/customers.csv"
curl -s -o /dev/null -A 'Mozilla/5.0 "quoted"' "$U/admin/users"
curl -s -o /dev/null "$U/boom"
sleep 0.3
kill $(cat $D/nginx.pid)

# logger: RFC 5424 and RFC 3164 over UDP with a jsonl access record inside.
logger --rfc5424 -n 127.0.0.1 -P 55514 -d -t crm-app '{"time":"2026-11-23T20:16:07+09:00","system":"crm","actor":{"id":"kim"},"action":"view","target":{"object":"customer","kind":"screen"}}'
logger --rfc3164 -n 127.0.0.1 -P 55514 -d -t crm-app '{"time":"2026-11-23T20:16:08+09:00","system":"crm","actor":{"id":"lee"},"action":"search","detail":"name=홍길동"}'
sleep 0.5
kill $(cat $D/rsyslog.pid)
sleep 0.3
rm -f /dev/log
