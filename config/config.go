package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jikimi/jikimi/source"
	"gopkg.in/yaml.v3"
)

// Example is config/example.yaml: every option, with its default and
// meaning. `jikimi config example` prints it; a test keeps it parsing.
//
//go:embed example.yaml
var Example []byte

// Defaults. Each names the option that overrides it.
const (
	DefaultServeAddr       = "127.0.0.1:8080" // serve.addr
	DefaultDataDir         = "./jikimi-data"  // serve.data
	DefaultMaxMessageBytes = 64 << 10         // serve.syslog[].max_message_bytes
	DefaultListenBatchSize = 5000             // serve.syslog[].batch.size
	DefaultListenBatchWait = Duration(5 * time.Millisecond)

	DefaultServer       = "http://127.0.0.1:8080" // collect.server
	DefaultStateDir     = "./jikimi-collect"      // collect.state_dir
	DefaultBufferMax    = Size(1 << 30)           // collect.buffer.max_bytes
	DefaultCollectBatch = 5000                    // collect.batch.size
	DefaultCollectWait  = Duration(200 * time.Millisecond)
	DefaultBackoffMin   = Duration(500 * time.Millisecond) // collect.backoff.min
	DefaultBackoffMax   = Duration(30 * time.Second)       // collect.backoff.max
	DefaultSenders      = 2                                // collect.senders
	DefaultPoll         = Duration(250 * time.Millisecond) // collect.poll
	DefaultTimeout      = Duration(60 * time.Second)       // collect.timeout
	DefaultLocation     = source.DefaultLocation           // location
)

// File is a configuration file: what `jikimi serve` and `jikimi collect`
// read. Either part may be absent.
type File struct {
	Serve   Serve   `yaml:"serve"`
	Collect Collect `yaml:"collect"`
}

// Serve configures `jikimi serve`.
type Serve struct {
	Data   string   `yaml:"data"`
	Addr   string   `yaml:"addr"`
	OTLP   OTLP     `yaml:"otlp"`
	Syslog []Syslog `yaml:"syslog"`
}

// OTLP configures the OTLP/HTTP logs endpoint POST /v1/logs on the API's
// address. It needs the API token like every other ingest path.
type OTLP struct {
	Enabled  bool   `yaml:"enabled"`
	System   string `yaml:"system"`   // system of records without service.name
	Location string `yaml:"location"` // zone of times without an offset
}

// Syslog configures one syslog listener.
type Syslog struct {
	Name            string            `yaml:"name"`
	Network         string            `yaml:"network"` // udp, tcp or tls
	Addr            string            `yaml:"addr"`
	Inner           string            `yaml:"inner"`    // format of MSG; empty: by program
	Programs        map[string]string `yaml:"programs"` // program name → inner format
	System          string            `yaml:"system"`
	Location        string            `yaml:"location"`
	TLS             TLS               `yaml:"tls"`
	MaxMessageBytes Size              `yaml:"max_message_bytes"`
	Batch           Batch             `yaml:"batch"`
}

// TLS names certificate files. For a listener, Cert and Key are required
// and ClientCA, when set, requires clients to present a certificate it
// signed. For collect, CA verifies the server.
type TLS struct {
	Cert     string `yaml:"cert"`
	Key      string `yaml:"key"`
	ClientCA string `yaml:"client_ca"`
	CA       string `yaml:"ca"`
}

// Batch bounds a batch: at most Size records, or whatever came within Wait.
type Batch struct {
	Size int      `yaml:"size"`
	Wait Duration `yaml:"wait"`
}

// Collect configures `jikimi collect`.
type Collect struct {
	Server      string       `yaml:"server"`
	Token       string       `yaml:"token"` // wins over TokenFile
	TokenFile   string       `yaml:"token_file"`
	TLS         TLS          `yaml:"tls"`
	StateDir    string       `yaml:"state_dir"`
	Buffer      Buffer       `yaml:"buffer"`
	Batch       Batch        `yaml:"batch"`
	Backoff     Backoff      `yaml:"backoff"`
	Senders     int          `yaml:"senders"`
	Poll        Duration     `yaml:"poll"`
	Timeout     Duration     `yaml:"timeout"`
	MetricsAddr string       `yaml:"metrics_addr"`
	Sources     []FileSource `yaml:"sources"`
}

// Buffer bounds the disk buffer used while the server is unreachable.
type Buffer struct {
	MaxBytes Size `yaml:"max_bytes"`
}

// Backoff bounds the exponential wait between retries.
type Backoff struct {
	Min Duration `yaml:"min"`
	Max Duration `yaml:"max"`
}

// FileSource is a set of log files of one format.
type FileSource struct {
	Name      string   `yaml:"name"`
	Paths     []string `yaml:"paths"` // glob patterns
	Format    string   `yaml:"format"`
	System    string   `yaml:"system"`
	Inner     string   `yaml:"inner"`
	UserField string   `yaml:"user_field"`
	Location  string   `yaml:"location"`
}

// Options returns the parser options of a file source.
func (s *FileSource) Options() (source.Options, error) {
	return parserOptions(s.System, s.UserField, s.Inner, s.Location)
}

// Options returns the parser options of a listener.
func (s *Syslog) Options() (source.Options, error) {
	return parserOptions(s.System, "", s.Inner, s.Location)
}

// Options returns the parser options of the OTLP endpoint.
func (o *OTLP) Options() (source.Options, error) {
	return parserOptions(o.System, "", "", o.Location)
}

func parserOptions(system, userField, inner, location string) (source.Options, error) {
	loc, err := time.LoadLocation(location)
	if err != nil {
		return source.Options{}, fmt.Errorf("unknown time zone %q", location)
	}
	return source.Options{System: system, UserField: userField, Inner: inner, Location: loc}, nil
}

// Error names where a configuration problem is: the file's line, or the
// environment variable that set the value.
type Error struct {
	File string
	Line int    // 0 when unknown or set by Env
	Env  string // the environment variable, when it set the value
	Path string // e.g. collect.sources[1].format
	Msg  string
}

func (e *Error) Error() string {
	// file:LINE: as compilers write it, so editors jump to the line.
	var b strings.Builder
	switch {
	case e.Env != "":
		fmt.Fprintf(&b, "$%s: ", e.Env)
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		fmt.Fprintf(&b, "%s: ", e.File)
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a file, in line order.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Load reads the file at path (or no file when path is ""), applies the
// environment overrides read through getenv (os.Getenv in production),
// fills in defaults and validates. The error is an Errors naming the line
// or variable of each problem.
func Load(path string, getenv func(string) string, environ []string) (*File, error) {
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, err
		}
	}
	return parse(data, path, getenv, environ)
}

// Check validates a configuration file's bytes without environment
// overrides and returns every problem, each naming its line.
func Check(data []byte, name string) error {
	_, err := parse(data, name, func(string) string { return "" }, nil)
	return err
}

func parse(data []byte, name string, getenv func(string) string, environ []string) (*File, error) {
	f := &File{}
	var root yaml.Node
	var errs Errors
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.Unmarshal(data, &root); err != nil {
			return nil, Errors{yamlError(err, name)}
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(f); err != nil && !errors.Is(err, io.EOF) {
			var te *yaml.TypeError
			if !errors.As(err, &te) {
				return nil, Errors{yamlError(err, name)}
			}
			for _, m := range te.Errors {
				errs = append(errs, yamlMessage(m, name))
			}
		}
	}
	set, envErrs := f.applyEnv(getenv, environ)
	errs = append(errs, envErrs...)
	f.defaults()
	for _, v := range f.validate() {
		e := &Error{File: name, Path: v.path, Msg: v.msg}
		if env, ok := set[v.path]; ok {
			e.Env = env
		} else {
			e.Line = lineOf(&root, v.path)
		}
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return nil, errs
	}
	return f, nil
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// yamlMessage turns one of yaml.v3's "line N: …" messages into an Error.
func yamlMessage(m, name string) *Error {
	e := &Error{File: name, Msg: m}
	if sub := lineRE.FindStringSubmatch(m); sub != nil {
		e.Line, _ = strconv.Atoi(sub[1])
		e.Msg = m[len(sub[0]):]
	}
	return e
}

func yamlError(err error, name string) *Error {
	return yamlMessage(strings.TrimPrefix(err.Error(), "yaml: "), name)
}

// defaults fills in every unset option.
func (f *File) defaults() {
	s := &f.Serve
	if s.Data == "" {
		s.Data = DefaultDataDir
	}
	if s.Addr == "" {
		s.Addr = DefaultServeAddr
	}
	if s.OTLP.Location == "" {
		s.OTLP.Location = DefaultLocation
	}
	for i := range s.Syslog {
		l := &s.Syslog[i]
		if l.Name == "" {
			l.Name = "syslog-" + l.Network
			if len(s.Syslog) > 1 {
				l.Name += "-" + strconv.Itoa(i)
			}
		}
		if l.Location == "" {
			l.Location = DefaultLocation
		}
		if l.MaxMessageBytes == 0 {
			l.MaxMessageBytes = DefaultMaxMessageBytes
		}
		if l.Batch.Size == 0 {
			l.Batch.Size = DefaultListenBatchSize
		}
		if l.Batch.Wait == 0 {
			l.Batch.Wait = DefaultListenBatchWait
		}
	}
	c := &f.Collect
	if c.Server == "" {
		c.Server = DefaultServer
	}
	if c.StateDir == "" {
		c.StateDir = DefaultStateDir
	}
	if c.Buffer.MaxBytes == 0 {
		c.Buffer.MaxBytes = DefaultBufferMax
	}
	if c.Batch.Size == 0 {
		c.Batch.Size = DefaultCollectBatch
	}
	if c.Batch.Wait == 0 {
		c.Batch.Wait = DefaultCollectWait
	}
	if c.Backoff.Min == 0 {
		c.Backoff.Min = DefaultBackoffMin
	}
	if c.Backoff.Max == 0 {
		c.Backoff.Max = DefaultBackoffMax
	}
	if c.Senders == 0 {
		c.Senders = DefaultSenders
	}
	if c.Poll == 0 {
		c.Poll = DefaultPoll
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	for i := range c.Sources {
		if c.Sources[i].Location == "" {
			c.Sources[i].Location = DefaultLocation
		}
	}
}

type problem struct{ path, msg string }

var innerFormats = []string{"jsonl", "pgaudit", "mariadb-audit", "nginx", "sshd"}

// validate checks every option and names the path of each bad one.
func (f *File) validate() []problem {
	var ps []problem
	bad := func(path, format string, args ...any) {
		ps = append(ps, problem{path, fmt.Sprintf(format, args...)})
	}
	checkAddr := func(path, addr string) {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad(path, "address %q is not host:port", addr)
		}
	}
	checkZone := func(path, loc string) {
		if _, err := time.LoadLocation(loc); err != nil {
			bad(path, "unknown time zone %q", loc)
		}
	}
	s := &f.Serve
	checkAddr("serve.addr", s.Addr)
	checkZone("serve.otlp.location", s.OTLP.Location)
	names := map[string]bool{}
	for i := range s.Syslog {
		l := &s.Syslog[i]
		p := fmt.Sprintf("serve.syslog[%d]", i)
		if names[l.Name] {
			bad(p+".name", "listener name %q is used twice", l.Name)
		}
		names[l.Name] = true
		switch l.Network {
		case "udp", "tcp", "tls":
		case "":
			bad(p+".network", "missing: udp, tcp or tls")
		default:
			bad(p+".network", "%q is not udp, tcp or tls", l.Network)
		}
		if l.Addr == "" {
			bad(p+".addr", "missing (e.g. 127.0.0.1:5514)")
		} else {
			checkAddr(p+".addr", l.Addr)
		}
		if l.Inner != "" && !slices.Contains(innerFormats, l.Inner) {
			bad(p+".inner", "%q is not one of %s", l.Inner, strings.Join(innerFormats, ", "))
		}
		progs := make([]string, 0, len(l.Programs))
		for k := range l.Programs {
			progs = append(progs, k)
		}
		slices.Sort(progs)
		for _, prog := range progs {
			if v := l.Programs[prog]; !slices.Contains(innerFormats, v) {
				bad(p+".programs."+prog, "%q is not one of %s", v, strings.Join(innerFormats, ", "))
			}
		}
		checkZone(p+".location", l.Location)
		if l.Network == "tls" {
			if l.TLS.Cert == "" {
				bad(p+".tls.cert", "a tls listener needs a certificate file")
			}
			if l.TLS.Key == "" {
				bad(p+".tls.key", "a tls listener needs a key file")
			}
		} else if l.TLS.Cert != "" || l.TLS.Key != "" || l.TLS.ClientCA != "" {
			bad(p+".tls", "tls is set but network is %q, not tls", l.Network)
		}
		if l.MaxMessageBytes < 480 || l.MaxMessageBytes > source.MaxLineBytes {
			bad(p+".max_message_bytes", "%d is outside 480 … %d", l.MaxMessageBytes, source.MaxLineBytes)
		}
		if l.Batch.Size < 1 {
			bad(p+".batch.size", "must be at least 1")
		}
	}
	if len(f.Collect.Sources) == 0 {
		return ps // collect is not configured: nothing more to check
	}
	c := &f.Collect
	if u, err := url.Parse(c.Server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("collect.server", "%q is not an http:// or https:// URL", c.Server)
	}
	if c.Token == "" && c.TokenFile == "" {
		bad("collect.token_file", "missing: the server's API token (token_file, or token / $JIKIMI_COLLECT_TOKEN)")
	}
	if c.Buffer.MaxBytes < 1<<20 {
		bad("collect.buffer.max_bytes", "%d is below the least useful buffer, 1MiB", c.Buffer.MaxBytes)
	}
	if c.Batch.Size < 1 {
		bad("collect.batch.size", "must be at least 1")
	}
	if c.Backoff.Max < c.Backoff.Min {
		bad("collect.backoff.max", "%s is below backoff.min %s", c.Backoff.Max, c.Backoff.Min)
	}
	if c.Senders < 1 || c.Senders > 64 {
		bad("collect.senders", "%d is outside 1 … 64", c.Senders)
	}
	if c.MetricsAddr != "" {
		checkAddr("collect.metrics_addr", c.MetricsAddr)
	}
	names = map[string]bool{}
	for i := range c.Sources {
		src := &c.Sources[i]
		p := fmt.Sprintf("collect.sources[%d]", i)
		switch {
		case src.Name == "":
			bad(p+".name", "missing: a stable name (it is part of every record id)")
		case strings.ContainsAny(src.Name, ": /"):
			bad(p+".name", "%q may not contain ':', '/' or spaces", src.Name)
		case names[src.Name]:
			bad(p+".name", "source name %q is used twice", src.Name)
		}
		names[src.Name] = true
		if len(src.Paths) == 0 {
			bad(p+".paths", "missing: one or more glob patterns")
		}
		for j, g := range src.Paths {
			if _, err := filepath.Match(g, ""); err != nil {
				bad(fmt.Sprintf("%s.paths[%d]", p, j), "bad glob %q: %v", g, err)
			}
		}
		if src.Format == "" {
			bad(p+".format", "missing: one of %s", strings.Join(source.Formats(), ", "))
			continue
		}
		if !slices.Contains(source.Formats(), src.Format) {
			bad(p+".format", "unknown format %q (known: %s)", src.Format, strings.Join(source.Formats(), ", "))
			continue
		}
		opts, err := src.Options()
		if err != nil {
			bad(p+".location", "%v", err)
			continue
		}
		if (src.Format == "sshd" || src.Format == "nginx" || src.Format == "nginx-json") && src.System == "" {
			bad(p+".system", "format %s needs system (the name of the system the log belongs to)", src.Format)
		} else if _, err := source.New(src.Format, opts); err != nil {
			bad(p+".format", "%v", err)
		}
	}
	return ps
}

// lineOf returns the line of the YAML key at path (e.g.
// "collect.sources[1].format"), or of its nearest existing ancestor.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	if n.Kind == 0 {
		return 0
	}
	for _, part := range strings.Split(path, ".") {
		key, idx := part, -1
		if k, rest, ok := strings.Cut(part, "["); ok {
			key = k
			idx, _ = strconv.Atoi(strings.TrimSuffix(rest, "]"))
		}
		found := false
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					line, n, found = n.Content[i].Line, n.Content[i+1], true
					break
				}
			}
		}
		if !found {
			return line
		}
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return line
			}
			n = n.Content[idx]
			line = n.Line
		}
	}
	return line
}
