package detect

import (
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jikimi/jikimi/record"
	"gopkg.in/yaml.v3"
)

// cond is a compiled condition over one event.
type cond interface{ eval(ev *event) bool }

type andCond []cond
type orCond []cond
type notCond struct{ c cond }
type trueCond struct{}

func (c andCond) eval(ev *event) bool {
	for _, x := range c {
		if !x.eval(ev) {
			return false
		}
	}
	return true
}
func (c orCond) eval(ev *event) bool {
	for _, x := range c {
		if x.eval(ev) {
			return true
		}
	}
	return false
}
func (c notCond) eval(ev *event) bool { return !c.c.eval(ev) }
func (trueCond) eval(*event) bool     { return true }

// fieldCond is one "field|modifiers: values" line of a selection.
type fieldCond struct {
	name string
	get  getter
	all  bool // |all: every value must match
	ms   []matcher
}

func (c *fieldCond) eval(ev *event) bool {
	v := c.get(ev)
	if c.all {
		for _, m := range c.ms {
			if !m.match(v) {
				return false
			}
		}
		return true
	}
	for _, m := range c.ms {
		if m.match(v) {
			return true
		}
	}
	return false
}

// matcher tests one value against one pattern.
type matcher interface{ match(v value) bool }

// nullMatcher matches a missing (or empty) field: Sigma's "field: null".
type nullMatcher struct{}

func (nullMatcher) match(v value) bool { return v.kind == vMissing }

type existsMatcher struct{ want bool }

func (m existsMatcher) match(v value) bool { return (v.kind != vMissing) == m.want }

type boolMatcher struct{ want bool }

func (m boolMatcher) match(v value) bool {
	switch v.kind {
	case vBool:
		return v.b == m.want
	case vString:
		b, err := strconv.ParseBool(v.s)
		return err == nil && b == m.want
	}
	return false
}

type cmpOp uint8

const (
	opEq cmpOp = iota
	opGt
	opGte
	opLt
	opLte
)

type numMatcher struct {
	op cmpOp
	n  float64
}

func (m numMatcher) match(v value) bool {
	var x float64
	switch v.kind {
	case vNumber:
		x = v.n
	case vString:
		f, err := strconv.ParseFloat(v.s, 64)
		if err != nil {
			return false
		}
		x = f
	case vBool:
		return false
	case vList:
		for _, s := range v.ss {
			if m.match(str(s)) {
				return true
			}
		}
		return false
	default:
		return false
	}
	switch m.op {
	case opGt:
		return x > m.n
	case opGte:
		return x >= m.n
	case opLt:
		return x < m.n
	case opLte:
		return x <= m.n
	}
	return x == m.n
}

type strOp uint8

const (
	sEq strOp = iota
	sContains
	sPrefix
	sSuffix
	sGlob
)

// strMatcher compares case-insensitively, as Sigma does.
type strMatcher struct {
	op  strOp
	pat string // lower case
}

func (m strMatcher) match(v value) bool {
	switch v.kind {
	case vString:
		return m.matchString(v.s)
	case vNumber, vBool:
		return m.matchString(v.text())
	case vList:
		for _, s := range v.ss {
			if m.matchString(s) {
				return true
			}
		}
	}
	return false
}

func (m strMatcher) matchString(s string) bool {
	switch m.op {
	case sEq:
		return len(s) == len(m.pat) && strings.EqualFold(s, m.pat)
	case sPrefix:
		return len(s) >= len(m.pat) && strings.EqualFold(s[:len(m.pat)], m.pat)
	case sSuffix:
		return len(s) >= len(m.pat) && strings.EqualFold(s[len(s)-len(m.pat):], m.pat)
	case sContains:
		return containsFold(s, m.pat)
	case sGlob:
		ok, _ := path.Match(m.pat, lower(s))
		return ok
	}
	return false
}

// containsFold reports whether s contains the lower-case pattern, ignoring
// case, without allocating for ASCII text.
func containsFold(s, pat string) bool {
	if len(pat) == 0 {
		return true
	}
	if !isASCII(s) || !isASCII(pat) {
		return strings.Contains(strings.ToLower(s), pat)
	}
	first := pat[0]
	for i := 0; i+len(pat) <= len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c == first && strings.EqualFold(s[i:i+len(pat)], pat) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lower(s string) string {
	if isASCII(s) {
		for i := 0; i < len(s); i++ {
			if 'A' <= s[i] && s[i] <= 'Z' {
				return strings.ToLower(s)
			}
		}
		return s
	}
	return strings.ToLower(s)
}

type reMatcher struct{ re *regexp.Regexp }

func (m reMatcher) match(v value) bool {
	found := false
	v.each(func(s string) { found = found || m.re.MatchString(s) })
	return found
}

type cidrMatcher struct{ p netip.Prefix }

func (m cidrMatcher) match(v value) bool {
	found := false
	v.each(func(s string) {
		if a, err := netip.ParseAddr(s); err == nil && m.p.Contains(a.Unmap()) {
			found = true
		}
	})
	return found
}

// compileError carries the YAML line of a problem.
type compileError struct {
	line   int
	reason string
}

func (e *compileError) Error() string { return e.reason }

func errAt(n *yaml.Node, format string, args ...any) *compileError {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &compileError{line: line, reason: fmt.Sprintf(format, args...)}
}

// compileSelection compiles one named selection: a map (all lines must
// hold) or a list of maps (any map may hold).
func compileSelection(n *yaml.Node) (cond, error) {
	switch n.Kind {
	case yaml.MappingNode:
		var and andCond
		for i := 0; i+1 < len(n.Content); i += 2 {
			c, err := compileFieldLine(n.Content[i], n.Content[i+1])
			if err != nil {
				return nil, err
			}
			and = append(and, c)
		}
		if len(and) == 0 {
			return nil, errAt(n, "empty selection")
		}
		// Cheap tests first: fields of the record before facts looked up in
		// the directory or the engine's state.
		slices.SortStableFunc(and, func(a, b cond) int { return costOf(a) - costOf(b) })
		return and, nil
	case yaml.SequenceNode:
		var or orCond
		for _, m := range n.Content {
			if m.Kind != yaml.MappingNode {
				return nil, errAt(m, "keyword selections (plain strings) are not supported: name the field, e.g. detail|contains: %q", m.Value)
			}
			c, err := compileSelection(m)
			if err != nil {
				return nil, err
			}
			or = append(or, c)
		}
		return or, nil
	}
	return nil, errAt(n, "a selection is a map of field: value, or a list of such maps")
}

// costOf ranks a condition by what evaluating it costs: fields of the
// record (1) before facts from the directory or the engine's state (2).
func costOf(c cond) int {
	switch c := c.(type) {
	case *eqCond:
		return 0
	case *fieldCond:
		return fieldCost(c.name)
	case *flagCond:
		return fieldCost(c.name)
	case andCond:
		n := 0
		for _, x := range c {
			n = max(n, costOf(x))
		}
		return n
	case orCond:
		n := 0
		for _, x := range c {
			n = max(n, costOf(x))
		}
		return n
	case notCond:
		return costOf(c.c)
	}
	return 3
}

// fieldCost is 2 for a fact from the directory or the engine's state, 1
// for a field of the record.
func fieldCost(name string) int {
	for _, p := range []string{"actor.known", "actor.status", "actor.departed", "actor.on_leave", "actor.roles", "actor.working_hours",
		"actor.assigned_", "origin.owner", "origin.foreign", "key.", "device.", "session.", "identity.", "time.", "subject."} {
		if strings.HasPrefix(name, p) {
			return 2
		}
	}
	return 1
}

func compileFieldLine(k, v *yaml.Node) (cond, error) {
	parts := strings.Split(k.Value, "|")
	name := parts[0]
	get, ok := compileField(name)
	if !ok {
		return nil, errAt(k, "unknown field %q (see the field list in package detect's documentation)", name)
	}
	fc := &fieldCond{name: name, get: get}
	var op, reFlags string
	for _, m := range parts[1:] {
		switch m {
		case "all":
			fc.all = true
		case "contains", "startswith", "endswith", "re", "cidr", "gt", "gte", "lt", "lte", "exists":
			if op != "" {
				return nil, errAt(k, "modifiers |%s and |%s cannot be combined", op, m)
			}
			op = m
		case "i", "m", "s":
			// Sigma's regular-expression flags: |re|i, |re|m, |re|s.
			if op != "re" {
				return nil, errAt(k, "|%s is a flag of |re and must follow it", m)
			}
			reFlags += m
		case "cased":
			return nil, errAt(k, "|cased (case-sensitive matching) is not supported: strings compare case-insensitively; use |re")
		default:
			return nil, errAt(k, "unsupported modifier |%s (supported: contains, startswith, endswith, re with i, m, s, cidr, gt, gte, lt, lte, exists, all)", m)
		}
	}
	var vals []*yaml.Node
	switch v.Kind {
	case yaml.SequenceNode:
		vals = v.Content
	case yaml.ScalarNode:
		vals = []*yaml.Node{v}
	default:
		return nil, errAt(v, "field %q: want a value or a list of values", name)
	}
	if len(vals) == 0 {
		return nil, errAt(v, "field %q: empty list of values", name)
	}
	for _, x := range vals {
		if x.Kind != yaml.ScalarNode {
			return nil, errAt(x, "field %q: want a plain value", name)
		}
		if reFlags != "" {
			x = &yaml.Node{Kind: x.Kind, Tag: x.Tag, Line: x.Line, Value: "(?" + reFlags + ")" + x.Value}
		}
		m, err := compileValue(op, x)
		if err != nil {
			return nil, err
		}
		fc.ms = append(fc.ms, m)
	}
	// Fast path for the commonest test: a field of the record equal to one
	// of a few strings.
	if sg := recordString(name); sg != nil && !fc.all {
		eq := &eqCond{name: name, get: sg}
		for _, m := range fc.ms {
			sm, ok := m.(strMatcher)
			if !ok || sm.op != sEq {
				return fc, nil
			}
			eq.pats = append(eq.pats, sm.pat)
		}
		return eq, nil
	}
	// And for the commonest test of a derived fact: a bool field.
	if f, ok := compileFlag(name); ok && !fc.all && len(fc.ms) == 1 {
		if bm, ok := fc.ms[0].(boolMatcher); ok {
			return &flagCond{name: name, get: f, want: bm.want}, nil
		}
	}
	return fc, nil
}

func compileValue(op string, x *yaml.Node) (matcher, error) {
	s := x.Value
	switch op {
	case "exists":
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, errAt(x, "|exists wants true or false, got %q", s)
		}
		return existsMatcher{b}, nil
	case "gt", "gte", "lt", "lte":
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
		if err != nil {
			return nil, errAt(x, "|%s wants a number, got %q", op, s)
		}
		return numMatcher{op: map[string]cmpOp{"gt": opGt, "gte": opGte, "lt": opLt, "lte": opLte}[op], n: f}, nil
	case "re":
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, errAt(x, "bad regular expression: %v", err)
		}
		return reMatcher{re}, nil
	case "cidr":
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, errAt(x, "|cidr wants an address range such as 10.20.0.0/16, got %q", s)
		}
		return cidrMatcher{p.Masked()}, nil
	case "contains":
		return strMatcher{sContains, lower(s)}, nil
	case "startswith":
		return strMatcher{sPrefix, lower(s)}, nil
	case "endswith":
		return strMatcher{sSuffix, lower(s)}, nil
	}
	switch x.Tag {
	case "!!null":
		return nullMatcher{}, nil
	case "!!bool":
		b, _ := strconv.ParseBool(strings.ToLower(s))
		return boolMatcher{b}, nil
	case "!!int", "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
		if err == nil {
			return numMatcher{op: opEq, n: f}, nil
		}
	}
	if strings.ContainsAny(s, "*?") {
		return strMatcher{sGlob, lower(s)}, nil
	}
	return strMatcher{sEq, lower(s)}, nil
}

// compileCondition parses a Sigma condition ("sel and not filter",
// "1 of sel_*", "all of them", parentheses) over named selections.
func compileCondition(n *yaml.Node, sels map[string]cond) (cond, error) {
	p := &condParser{toks: tokenize(n.Value), sels: sels, node: n}
	if len(p.toks) == 0 {
		return nil, errAt(n, "empty condition")
	}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i != len(p.toks) {
		return nil, errAt(n, "condition: unexpected %q", p.toks[p.i])
	}
	return c, nil
}

func tokenize(s string) []string {
	var out []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(' || r == ')':
			flush()
			out = append(out, string(r))
		case r == ' ' || r == '\t' || r == '\n':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return out
}

type condParser struct {
	toks []string
	i    int
	sels map[string]cond
	node *yaml.Node
}

func (p *condParser) peek() string {
	if p.i < len(p.toks) {
		return strings.ToLower(p.toks[p.i])
	}
	return ""
}

func (p *condParser) or() (cond, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	out := orCond{l}
	for p.peek() == "or" {
		p.i++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if len(out) == 1 {
		return l, nil
	}
	return out, nil
}

func (p *condParser) and() (cond, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	out := andCond{l}
	for p.peek() == "and" {
		p.i++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if len(out) == 1 {
		return l, nil
	}
	// Conditions have no side effects: test the cheap ones first.
	slices.SortStableFunc(out, func(a, b cond) int { return costOf(a) - costOf(b) })
	return out, nil
}

func (p *condParser) unary() (cond, error) {
	switch t := p.peek(); t {
	case "":
		return nil, errAt(p.node, "condition ends too early")
	case "not":
		p.i++
		c, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notCond{c}, nil
	case "(":
		p.i++
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, errAt(p.node, "condition: missing )")
		}
		p.i++
		return c, nil
	case "1", "all", "any":
		if p.i+2 < len(p.toks) && strings.ToLower(p.toks[p.i+1]) == "of" {
			quant, pat := t, p.toks[p.i+2]
			p.i += 3
			var cs []cond
			names := make([]string, 0, len(p.sels))
			for name := range p.sels {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				if ok, _ := path.Match(pat, name); ok || pat == "them" {
					cs = append(cs, p.sels[name])
				}
			}
			if len(cs) == 0 {
				return nil, errAt(p.node, "condition: %q names no selection", pat)
			}
			if quant == "all" {
				return andCond(cs), nil
			}
			return orCond(cs), nil
		}
	case ")", "and", "or", "of":
		return nil, errAt(p.node, "condition: unexpected %q", t)
	}
	name := p.toks[p.i]
	c, ok := p.sels[name]
	if !ok {
		return nil, errAt(p.node, "condition: no selection named %q", name)
	}
	p.i++
	return c, nil
}

// eqCond is a fieldCond of string equality on a field of the record.
type eqCond struct {
	name string
	get  func(r *record.Record) string
	pats []string // lower case
}

func (c *eqCond) eval(ev *event) bool {
	s := c.get(ev.rec)
	for _, p := range c.pats {
		if len(s) == len(p) && strings.EqualFold(s, p) {
			return true
		}
	}
	return false
}

// flagCond is a fieldCond of a bool field against true or false.
type flagCond struct {
	name string
	get  flag
	want bool
}

func (c *flagCond) eval(ev *event) bool {
	b, ok := c.get(ev)
	return ok && b == c.want
}

func recordString(name string) func(r *record.Record) string {
	switch name {
	case "system":
		return func(r *record.Record) string { return r.System }
	case "actor.id":
		return func(r *record.Record) string { return r.Actor.ID }
	case "actor.type":
		return func(r *record.Record) string { return r.ActorType() }
	case "action":
		return func(r *record.Record) string { return string(r.Action) }
	case "origin.ip":
		return func(r *record.Record) string { return r.Origin.IP }
	case "origin.host":
		return func(r *record.Record) string { return r.Origin.Host }
	case "origin.device":
		return func(r *record.Record) string { return r.Origin.Device }
	case "auth.method":
		return func(r *record.Record) string { return r.Auth.Method }
	case "target.object":
		return func(r *record.Record) string { return r.Target.Object }
	case "target.kind":
		return func(r *record.Record) string { return r.Target.Kind }
	case "result.status":
		return func(r *record.Record) string { return r.Status() }
	}
	if a, ok := strings.CutPrefix(name, "attrs."); ok && a != "" {
		return func(r *record.Record) string { return r.Attrs[a] }
	}
	return nil
}
