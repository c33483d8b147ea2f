package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// EnvPrefix starts every environment variable that overrides an option.
// The name is the option's path in upper case with "_" for ".", and the
// index of a list element as a number: serve.addr is JIKIMI_SERVE_ADDR,
// collect.sources[0].paths is JIKIMI_COLLECT_SOURCES_0_PATHS. Lists of
// strings (paths) are comma-separated; maps (programs) are
// "prog=format,prog=format". A variable for list element N creates the
// element when the file has fewer.
const EnvPrefix = "JIKIMI_"

// setting is one option that an environment variable can set.
type setting struct {
	path string
	set  func(string) error
}

func str(p *string) func(string) error { return func(v string) error { *p = v; return nil } }

func integer(p *int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not an integer", v)
		}
		*p = n
		return nil
	}
}

func boolean(p *bool) func(string) error {
	return func(v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*p = b
		return nil
	}
}

func duration(p *Duration) func(string) error {
	return func(v string) (err error) { *p, err = ParseDuration(v); return err }
}

func size(p *Size) func(string) error {
	return func(v string) (err error) { *p, err = ParseSize(v); return err }
}

func list(p *[]string) func(string) error {
	return func(v string) error {
		*p = nil
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				*p = append(*p, s)
			}
		}
		return nil
	}
}

func programs(p *map[string]string) func(string) error {
	return func(v string) error {
		m := map[string]string{}
		for _, kv := range strings.Split(v, ",") {
			if kv = strings.TrimSpace(kv); kv == "" {
				continue
			}
			k, val, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("%q is not program=format", kv)
			}
			m[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
		*p = m
		return nil
	}
}

// settings lists every option of f, its list elements included.
func (f *File) settings() []setting {
	s, c := &f.Serve, &f.Collect
	out := []setting{
		{"serve.data", str(&s.Data)},
		{"serve.addr", str(&s.Addr)},
		{"serve.otlp.enabled", boolean(&s.OTLP.Enabled)},
		{"serve.otlp.system", str(&s.OTLP.System)},
		{"serve.otlp.location", str(&s.OTLP.Location)},
	}
	for i := range s.Syslog {
		l := &s.Syslog[i]
		p := fmt.Sprintf("serve.syslog[%d].", i)
		out = append(out,
			setting{p + "name", str(&l.Name)},
			setting{p + "network", str(&l.Network)},
			setting{p + "addr", str(&l.Addr)},
			setting{p + "inner", str(&l.Inner)},
			setting{p + "programs", programs(&l.Programs)},
			setting{p + "system", str(&l.System)},
			setting{p + "location", str(&l.Location)},
			setting{p + "tls.cert", str(&l.TLS.Cert)},
			setting{p + "tls.key", str(&l.TLS.Key)},
			setting{p + "tls.client_ca", str(&l.TLS.ClientCA)},
			setting{p + "max_message_bytes", size(&l.MaxMessageBytes)},
			setting{p + "batch.size", integer(&l.Batch.Size)},
			setting{p + "batch.wait", duration(&l.Batch.Wait)},
		)
	}
	out = append(out,
		setting{"collect.server", str(&c.Server)},
		setting{"collect.token", str(&c.Token)},
		setting{"collect.token_file", str(&c.TokenFile)},
		setting{"collect.tls.ca", str(&c.TLS.CA)},
		setting{"collect.state_dir", str(&c.StateDir)},
		setting{"collect.buffer.max_bytes", size(&c.Buffer.MaxBytes)},
		setting{"collect.batch.size", integer(&c.Batch.Size)},
		setting{"collect.batch.wait", duration(&c.Batch.Wait)},
		setting{"collect.backoff.min", duration(&c.Backoff.Min)},
		setting{"collect.backoff.max", duration(&c.Backoff.Max)},
		setting{"collect.senders", integer(&c.Senders)},
		setting{"collect.poll", duration(&c.Poll)},
		setting{"collect.timeout", duration(&c.Timeout)},
		setting{"collect.metrics_addr", str(&c.MetricsAddr)},
	)
	for i := range c.Sources {
		src := &c.Sources[i]
		p := fmt.Sprintf("collect.sources[%d].", i)
		out = append(out,
			setting{p + "name", str(&src.Name)},
			setting{p + "paths", list(&src.Paths)},
			setting{p + "format", str(&src.Format)},
			setting{p + "system", str(&src.System)},
			setting{p + "inner", str(&src.Inner)},
			setting{p + "user_field", str(&src.UserField)},
			setting{p + "location", str(&src.Location)},
		)
	}
	return out
}

// EnvName returns the environment variable of an option path.
func EnvName(path string) string {
	r := strings.NewReplacer(".", "_", "[", "_", "]", "")
	return EnvPrefix + strings.ToUpper(r.Replace(path))
}

// EnvNames lists the variables of every option of f (list elements as
// they are in f), for documentation.
func (f *File) EnvNames() []string {
	var names []string
	for _, s := range f.settings() {
		names = append(names, EnvName(s.path))
	}
	return names
}

var listEnvRE = regexp.MustCompile(`^JIKIMI_(SERVE_SYSLOG|COLLECT_SOURCES)_(\d+)_`)

// applyEnv sets the options whose variables are set and returns which
// variable set each path.
func (f *File) applyEnv(getenv func(string) string, environ []string) (map[string]string, Errors) {
	// Variables may name list elements the file lacks: grow the lists.
	for _, kv := range environ {
		m := listEnvRE.FindStringSubmatch(kv)
		if m == nil {
			continue
		}
		n, err := strconv.Atoi(m[2])
		if err != nil || n > 1000 {
			continue
		}
		if m[1] == "SERVE_SYSLOG" && n >= len(f.Serve.Syslog) {
			f.Serve.Syslog = append(f.Serve.Syslog, make([]Syslog, n+1-len(f.Serve.Syslog))...)
		}
		if m[1] == "COLLECT_SOURCES" && n >= len(f.Collect.Sources) {
			f.Collect.Sources = append(f.Collect.Sources, make([]FileSource, n+1-len(f.Collect.Sources))...)
		}
	}
	set := map[string]string{}
	var errs Errors
	for _, s := range f.settings() {
		name := EnvName(s.path)
		v := getenv(name)
		if v == "" {
			continue
		}
		set[s.path] = name
		if err := s.set(v); err != nil {
			errs = append(errs, &Error{Env: name, Path: s.path, Msg: err.Error()})
		}
	}
	// serve.data also follows $JIKIMI_DATA, as --data does.
	if _, ok := set["serve.data"]; !ok {
		if v := getenv("JIKIMI_DATA"); v != "" {
			f.Serve.Data = v
			set["serve.data"] = "JIKIMI_DATA"
		}
	}
	return set, errs
}
