package source

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/jikimi/jikimi/record"
)

// sshd reads OpenSSH's authentication messages, with a syslog file prefix
// ("Nov 23 10:00:01 host sshd[123]: …"), an RFC 3339 prefix (rsyslog's
// RSYSLOG_FileFormat, journalctl -o short-iso) or none (sshd -e/-E, which
// print no time: such lines are rejected when they would be records).
//
//	Accepted password|publickey|… for USER from IP port N ssh2[: KEY]  → login
//	Failed password|… for [invalid user] USER from IP port N ssh2      → login_failed
//	Invalid user USER from IP … then Connection closed by invalid user
//	  without a Failed line (a probe that never tried)                  → login_failed
//	Disconnected from user USER IP port N                               → logout
//
// "pam_unix(sshd:session): session closed" duplicates "Disconnected from
// user" and is not read.
type sshd struct {
	opts    Options
	invalid map[string]bool // pid → saw "Invalid user" and no Failed line yet
}

var _ Parser = (*sshd)(nil)

func newSSHD(opts Options) (Parser, error) {
	if opts.System == "" {
		return nil, errors.New("source: sshd needs Options.System (the host's system name)")
	}
	return newSSHDParser(opts), nil
}

func newSSHDParser(opts Options) *sshd { return &sshd{opts: opts, invalid: map[string]bool{}} }

func (s *sshd) Flush(EmitFunc) {}

func (s *sshd) Line(line []byte, lineNo int, emit EmitFunc) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	str := string(line)
	t, host, prog, pid, msg, ok, err := s.prefix(str, lineNo)
	if err != nil {
		return err
	}
	if !ok { // a bare message
		msg = str
		prog = "sshd"
	}
	if !isSSHD(prog) {
		return nil
	}
	return s.message(t, host, pid, msg, lineNo, emit)
}

func isSSHD(prog string) bool {
	return prog == "sshd" || prog == "sshd-session" || prog == "sshd-auth"
}

// prefix splits "TIME HOST PROG[PID]: MSG". ok is false for a bare message.
func (s *sshd) prefix(line string, lineNo int) (t time.Time, host, prog, pid, msg string, ok bool, err error) {
	var rest string
	switch {
	case len(line) > 16 && line[3] == ' ' && line[6] == ' ' && line[9] == ':' && isMonth(line[:3]):
		// "Nov 23 20:16:54 " (day space-padded: "Nov  3")
		t, err = time.ParseInLocation("Jan _2 15:04:05 2006", line[:15]+" 2006", s.opts.Location)
		if err != nil {
			return t, "", "", "", "", false, lineErr(lineNo, "time", "%q is not a syslog time", line[:15])
		}
		t = time.Date(s.opts.Year, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, s.opts.Location)
		rest = line[16:]
	case len(line) > 20 && line[4] == '-' && line[10] == 'T':
		ts, r, _ := strings.Cut(line, " ")
		t, err = time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			if t, err = time.Parse("2006-01-02T15:04:05-0700", ts); err != nil { // journalctl -o short-iso
				return t, "", "", "", "", false, lineErr(lineNo, "time", "%q is not an RFC 3339 time", ts)
			}
		}
		rest = r
	default:
		return t, "", "", "", "", false, nil
	}
	host, rest, _ = strings.Cut(rest, " ")
	tag, msg, found := strings.Cut(rest, ": ")
	if !found { // a tag without a colon: not sshd's, which always writes one
		tag, msg, _ = strings.Cut(rest, " ")
		if isSSHD(tag) {
			return t, "", "", "", "", false, lineErr(lineNo, "program", "no \"sshd[pid]: \" after the host")
		}
	}
	prog, pid, _ = strings.Cut(tag, "[")
	pid = strings.TrimSuffix(pid, "]")
	return t, host, prog, pid, msg, true, nil
}

func isMonth(s string) bool {
	return strings.Contains("JanFebMarAprMayJunJulAugSepOctNovDec", s) && len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z'
}

// message maps one sshd message; t is zero for a bare line.
func (s *sshd) message(t time.Time, host, pid, msg string, lineNo int, emit EmitFunc) error {
	rec := &record.Record{Time: t, System: s.opts.System}
	switch {
	case strings.HasPrefix(msg, "Accepted "), strings.HasPrefix(msg, "Failed "):
		// "Accepted publickey for kim from 10.0.0.1 port 5 ssh2: ED25519 SHA256:…"
		verb, rest, _ := strings.Cut(msg, " ")
		method, rest, _ := strings.Cut(rest, " for ")
		if strings.HasPrefix(rest, "invalid user ") {
			rest = strings.TrimPrefix(rest, "invalid user ")
			delete(s.invalid, pid)
			rec.Actor.Type = "unknown"
		}
		user, from, ok := strings.Cut(rest, " from ")
		if !ok {
			return lineErr(lineNo, "message", "no \"from\" in %q", msg)
		}
		ip, after, _ := strings.Cut(from, " ")
		rec.Actor.ID = user
		rec.Origin.IP = cleanIP(ip)
		rec.Auth.Method = sshMethod(method)
		if _, key, ok := strings.Cut(after, "ssh2: "); ok {
			if _, fp, ok := strings.Cut(key, " "); ok {
				rec.Auth.KeyID = fp
			}
		}
		rec.Attrs = map[string]string{"sshd.method": method}
		if verb == "Accepted" {
			rec.Action = record.Login
		} else {
			rec.Action = record.LoginFailed
			rec.Result.Status = "denied"
		}
	case strings.HasPrefix(msg, "Invalid user "):
		if pid != "" {
			bound(s.invalid)
			s.invalid[pid] = true
		}
		return nil
	case strings.HasPrefix(msg, "Connection closed by invalid user "), strings.HasPrefix(msg, "Disconnected from invalid user "):
		if !s.invalid[pid] {
			return nil // its Failed lines were the records
		}
		delete(s.invalid, pid)
		_, rest, _ := strings.Cut(msg, "invalid user ")
		f := strings.Fields(rest)
		if len(f) < 2 {
			return lineErr(lineNo, "message", "no user and address in %q", msg)
		}
		rec.Actor = record.Actor{ID: f[0], Type: "unknown"}
		rec.Origin.IP = cleanIP(f[1])
		rec.Action = record.LoginFailed
		rec.Result.Status = "denied"
		rec.Attrs = map[string]string{"sshd.reason": "invalid user"}
	case strings.HasPrefix(msg, "Disconnected from user "):
		f := strings.Fields(strings.TrimPrefix(msg, "Disconnected from user "))
		if len(f) < 2 {
			return lineErr(lineNo, "message", "no user and address in %q", msg)
		}
		rec.Actor.ID = f[0]
		rec.Origin.IP = cleanIP(f[1])
		rec.Action = record.Logout
	default:
		return nil
	}
	if t.IsZero() {
		return lineErr(lineNo, "time", "no timestamp: read sshd's log through syslog or journald, not sshd -e/-E")
	}
	if host != "" {
		rec.Target = record.Target{Object: host, Kind: "host"}
	}
	return finish(rec, lineNo, emit)
}

func cleanIP(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return s // Validate names a bad address
}

func sshMethod(m string) string {
	switch m {
	case "password", "keyboard-interactive/pam":
		return "password"
	case "publickey", "hostbased":
		return "key"
	case "gssapi-with-mic", "gssapi-keyex":
		return "token"
	case "none":
		return "none"
	}
	return ""
}
