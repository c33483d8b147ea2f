package source

// The sshd samples were captured from a real OpenSSH 9.2p1 (Debian
// openssh-server) by testdata/capture/logs.sh: a throwaway rsyslogd owned
// /dev/log and wrote RSYSLOG_TraditionalFileFormat (traditional.log) and
// RSYSLOG_FileFormat (fileformat.log); sshd -f <temp config> listened on
// 127.0.0.1:52222 with UsePAM yes, and ssh/sshpass made a password login, a
// key login, a wrong password and an unknown user. bare.log is the same
// sequence from sshd -E <file> (no timestamps: its records are rejected).

import "testing"

func TestSSHDProbeWithoutPasswordIsOneFailure(t *testing.T) {
	recs, _, errs := parseLines(t, "sshd", Options{System: "bastion"},
		"Nov 23 20:16:57 bastion sshd[17303]: Invalid user admin from 10.9.8.7 port 58166",
		"Nov 23 20:17:00 bastion sshd[17303]: Connection closed by invalid user admin 10.9.8.7 port 58166 [preauth]",
		"Nov 23 20:17:01 bastion sshd[17304]: Invalid user root2 from 10.9.8.7 port 58167",
		"Nov 23 20:17:02 bastion sshd[17304]: Failed password for invalid user root2 from 10.9.8.7 port 58167 ssh2",
		"Nov 23 20:17:03 bastion sshd[17304]: Connection closed by invalid user root2 10.9.8.7 port 58167 [preauth]",
		"Nov 23 20:17:04 bastion sshd-session[17305]: Accepted publickey for kim from ::ffff:10.1.1.1 port 1 ssh2: RSA SHA256:abc",
		"Nov 23 20:17:05 bastion CRON[1]: Accepted password for nobody from 1.2.3.4 port 1 ssh2",
	)
	if len(errs) != 0 || len(recs) != 3 {
		t.Fatalf("records %d, errors %v", len(recs), errs)
	}
	if r := recs[0]; r.Action != "login_failed" || r.Actor.ID != "admin" || r.Origin.IP != "10.9.8.7" || r.System != "bastion" || r.Target.Object != "bastion" {
		t.Fatalf("probe: %s", r.Canonical())
	}
	if r := recs[1]; r.Action != "login_failed" || r.Actor.ID != "root2" || r.Auth.Method != "password" {
		t.Fatalf("failed password: %s", r.Canonical())
	}
	if r := recs[2]; r.Action != "login" || r.Auth.Method != "key" || r.Auth.KeyID != "SHA256:abc" || r.Origin.IP != "::ffff:10.1.1.1" {
		t.Fatalf("key login: %s", r.Canonical())
	}
}

func TestSSHDMalformed(t *testing.T) {
	checkMalformed(t, "sshd", Options{System: "vm"}, []malformed{
		{"bad address", []string{"Nov 23 20:16:54 vm sshd[1]: Accepted password for kim from 999.1.1.1 port 1 ssh2"}, 1, "origin.ip", ""},
		{"no from", []string{"Nov 23 20:16:54 vm sshd[1]: Session opened", "Nov 23 20:16:54 vm sshd[1]: Accepted password for kim"}, 2, "message", "from"},
		{"bad iso time", []string{"2026-11-23T25:16:54+09:00 vm sshd[1]: Accepted password for kim from 1.2.3.4 port 1 ssh2"}, 1, "time", ""},
		{"bad month day", []string{"Nov 99 20:16:54 vm sshd[1]: Accepted password for kim from 1.2.3.4 port 1 ssh2"}, 1, "time", ""},
		{"sshd without colon", []string{"Nov 23 20:16:54 vm sshd Accepted password for kim from 1.2.3.4 port 1 ssh2"}, 1, "program", ""},
		{"bare", []string{"Server listening on 0.0.0.0 port 22.", "Accepted password for kim from 1.2.3.4 port 1 ssh2"}, 2, "time", "syslog"},
		{"disconnect without address", []string{"Nov 23 20:16:54 vm sshd[1]: Disconnected from user kim"}, 1, "message", ""},
	})
}
