package source

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	syslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"
)

// syslogInners are the formats a syslog MSG may carry.
var syslogInners = map[string]bool{"jsonl": true, "pgaudit": true, "mariadb-audit": true, "nginx": true, "sshd": true}

// syslogReader reads one syslog message per line, RFC 5424
// ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG") or RFC 3164
// ("<PRI>Mmm dd hh:mm:ss HOST TAG: MSG", also with an RFC 3339 time), and
// hands MSG to the inner format chosen by Options.Inner or the APP-NAME.
// Without Options.System, the syslog HOSTNAME names the system for inner
// formats that need one (sshd, nginx).
type syslogReader struct {
	opts   Options
	p5424  syslog.Machine
	p3164  syslog.Machine
	inners map[string]Parser // by format and, for nginx without Options.System, host
	sshds  map[string]*sshd  // by system: sshd messages need the header's time
	maria  *mariadb          // server_audit's syslog lines lack the time
}

var _ Parser = (*syslogReader)(nil)

func newSyslog(opts Options) (Parser, error) {
	if opts.Inner != "" && !syslogInners[opts.Inner] {
		return nil, fmt.Errorf("source: syslog inner format %q is not one of jsonl, pgaudit, mariadb-audit, nginx, sshd", opts.Inner)
	}
	return &syslogReader{
		opts:  opts,
		p5424: rfc5424.NewParser(rfc5424.WithBestEffort()),
		p3164: rfc3164.NewParser(rfc3164.WithYear(rfc3164.Year{YYYY: opts.Year}),
			rfc3164.WithLocaleTimezone(opts.Location), rfc3164.WithRFC3339(), rfc3164.WithSecondFractions()),
		inners: map[string]Parser{},
		sshds:  map[string]*sshd{},
	}, nil
}

// innerFor chooses the inner format of a message from its program name.
func (s *syslogReader) innerFor(app string) string {
	if s.opts.Inner != "" {
		return s.opts.Inner
	}
	switch app {
	case "sshd", "sshd-session", "sshd-auth":
		return "sshd"
	case "postgres", "postgresql":
		return "pgaudit"
	case "mysqld", "mariadbd", "mysql-server_auditing", "server_audit":
		return "mariadb-audit"
	case "nginx":
		return "nginx"
	}
	return "jsonl"
}

func (s *syslogReader) Line(line []byte, lineNo int, emit EmitFunc) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	if line[0] != '<' {
		return lineErr(lineNo, "pri", "a syslog message starts with <PRI>")
	}
	end := bytes.IndexByte(line, '>')
	var m syslog.Message
	var err error
	if end > 0 && isVersion(line[end+1:]) {
		m, err = s.p5424.Parse(line)
	} else {
		m, err = s.p3164.Parse(line)
	}
	if err != nil && m == nil {
		return lineErr(lineNo, "(line)", "not RFC 5424 or RFC 3164 syslog: %v", err)
	}
	var b *syslog.Base
	switch v := m.(type) {
	case *rfc5424.SyslogMessage:
		b = &v.Base
	case *rfc3164.SyslogMessage:
		b = &v.Base
	default:
		return lineErr(lineNo, "(line)", "unsupported syslog message %T", m)
	}
	if b.Timestamp == nil {
		return lineErr(lineNo, "timestamp", "missing or unreadable")
	}
	if b.Message == nil {
		return nil // nothing inside
	}
	app, host, pid := deref(b.Appname), deref(b.Hostname), deref(b.ProcID)
	msg := strings.TrimLeft(*b.Message, " ")
	format := s.innerFor(app)
	system := s.opts.System
	if system == "" {
		system = host
	}
	switch format {
	case "sshd":
		p := s.sshds[system]
		if p == nil {
			o := s.opts
			o.System = system
			p = newSSHDParser(o)
			s.sshds[system] = p
		}
		// The syslog header carries what sshd's message lacks.
		return p.message(*b.Timestamp, host, pid, msg, lineNo, emit)
	case "mariadb-audit":
		if s.maria == nil {
			s.maria = newMariaDBParser(s.opts)
		}
		if len(msg) > 8 && msg[8] == ' ' && isDigits(msg[:8]) {
			return s.maria.Line([]byte(msg), lineNo, emit) // a file-format line sent whole
		}
		return s.maria.fields(*b.Timestamp, msg, lineNo, emit)
	case "pgaudit":
		// PostgreSQL's syslog messages start with "[line-part] "; parts
		// after the first continue the previous message.
		if strings.HasPrefix(msg, "[") {
			if tag, rest, ok := strings.Cut(msg[1:], "] "); ok {
				if _, part, ok := strings.Cut(tag, "-"); ok {
					if part != "1" {
						// rsyslog escapes the tab PostgreSQL puts after
						// each newline as "#011".
						rest = "\t" + strings.TrimPrefix(strings.TrimPrefix(rest, "#011"), "\t")
					}
					msg = rest
				}
			}
		}
	}
	key := format
	if format == "nginx" {
		key += "\x00" + system
	}
	p, err := s.inner(key, system)
	if err != nil {
		return lineErr(lineNo, "(line)", "%v", err)
	}
	return p.Line([]byte(msg), lineNo, emit)
}

// inner returns the parser for key ("format" or "format\x00system").
func (s *syslogReader) inner(key, system string) (Parser, error) {
	if p := s.inners[key]; p != nil {
		return p, nil
	}
	format, _, _ := strings.Cut(key, "\x00")
	o := s.opts
	if o.System == "" && format == "nginx" {
		o.System = system
	}
	p, err := formats[format].new(o)
	if err != nil {
		return nil, err
	}
	s.inners[key] = p
	return p, nil
}

func (s *syslogReader) Flush(emit EmitFunc) {
	keys := make([]string, 0, len(s.inners))
	for k := range s.inners {
		keys = append(keys, k)
	}
	slices.Sort(keys) // a stable order for held records
	for _, k := range keys {
		s.inners[k].Flush(emit)
	}
}

// isVersion reports whether b starts with an RFC 5424 VERSION and a space:
// what tells it from RFC 3164, whose TIMESTAMP starts with a letter.
func isVersion(b []byte) bool {
	for i := 0; i < len(b) && i < 4; i++ {
		switch c := b[i]; {
		case c == ' ':
			return i > 0
		case c < '0' || c > '9' || (i == 0 && c == '0'):
			return false
		}
	}
	return false
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func isDigits(s string) bool {
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}
