package detect

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/directory"
	"gopkg.in/yaml.v3"
)

//go:embed rules/*.yml
var builtin embed.FS

// The rule kinds (see DESIGN.md, "Detection").
const (
	KindMatch       = "match"
	KindThreshold   = "threshold"
	KindNewValue    = "new_value"
	KindBaseline    = "baseline"
	KindSequence    = "sequence"
	KindAbsence     = "absence"
	KindSessionless = "sessionless"
)

// Rule is one compiled detection rule. Its exported fields describe it for
// listing; the rest is what the engine runs.
type Rule struct {
	ID            string         `json:"id"`
	Name          string         `json:"name,omitempty"` // Sigma's name, for correlation references
	Title         string         `json:"title"`          // Korean
	TitleEn       string         `json:"title_en"`
	Description   string         `json:"description"` // Korean when given, else English
	DescriptionEn string         `json:"description_en"`
	Level         alert.Severity `json:"level"`
	Kind          string         `json:"kind"`
	Builtin       bool           `json:"builtin"`
	File          string         `json:"file"`
	Line          int            `json:"line"`

	filter  cond     // nil for correlations over other rules
	groupBy []string // entity fields
	getters []getter
	merge   time.Duration

	// correlation (threshold and sequence)
	corrType string   // event_count, value_count, value_sum, temporal_ordered
	refs     []string // referenced rule names or ids
	refRules []*Rule
	generate bool // referenced rules also alert (Sigma's "generate")
	timespan time.Duration
	field    string
	fieldGet getter
	cmp      numMatcher

	// jikimi extensions
	lookback, learn     time.Duration // new_value
	bucket              time.Duration // baseline
	season              string        // baseline: none, day_of_week, hour_of_week
	history, minHistory int           // baseline
	k, factor, minValue float64       // baseline
	peer                string        // baseline peer-group field
	peerGet             getter
	silence             time.Duration // absence default
	silent              bool          // referenced only by correlations that do not generate
}

// RuleError names the rule file, line and reason a rule was refused.
type RuleError struct {
	File   string
	Line   int
	Reason string
}

func (e *RuleError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason) }

// LoadRules returns the built-in rules and, when userDir is not empty, the
// rules in its *.yml and *.yaml files (a user rule with the id of a built-in
// one replaces it). The first rule with an error is refused with a
// *RuleError naming its file, line and reason.
func LoadRules(userDir string) ([]*Rule, error) {
	var rules []*Rule
	names, err := fs.Glob(builtin, "rules/*.yml")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	for _, name := range names {
		b, err := builtin.ReadFile(name)
		if err != nil {
			return nil, err
		}
		rs, err := ParseRules(bytes.NewReader(b), "builtin:"+name)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			r.Builtin = true
		}
		rules = append(rules, rs...)
	}
	if userDir != "" {
		entries, err := os.ReadDir(userDir)
		if err != nil {
			return nil, fmt.Errorf("read rules: %w", err)
		}
		for _, de := range entries {
			n := de.Name()
			if de.IsDir() || !(strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".yaml")) {
				continue
			}
			p := filepath.Join(userDir, n)
			f, err := os.Open(p)
			if err != nil {
				return nil, err
			}
			rs, err := ParseRules(f, p)
			f.Close()
			if err != nil {
				return nil, err
			}
			for _, r := range rs {
				if i := slices.IndexFunc(rules, func(b *Rule) bool { return b.ID == r.ID }); i >= 0 && rules[i].Builtin {
					rules = slices.Delete(rules, i, i+1)
				}
			}
			rules = append(rules, rs...)
		}
	}
	if err := link(rules); err != nil {
		return nil, err
	}
	return rules, nil
}

// ParseRules reads the rules of one YAML file (several documents separated
// by "---" are several rules). References between rules are resolved by
// LoadRules and New.
func ParseRules(r io.Reader, file string) ([]*Rule, error) {
	dec := yaml.NewDecoder(r)
	var out []*Rule
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var te *yaml.TypeError
			if errors.As(err, &te) {
				err = errors.New(strings.Join(te.Errors, "; "))
			}
			msg := err.Error()
			if _, after, ok := strings.Cut(msg, "line "); ok {
				n, _ := strconv.Atoi(strings.SplitN(after, ":", 2)[0])
				line = n
			}
			return nil, &RuleError{File: file, Line: line, Reason: "YAML: " + msg}
		}
		if len(doc.Content) == 0 {
			continue
		}
		rule, cerr := compileRule(doc.Content[0])
		if cerr != nil {
			return nil, &RuleError{File: file, Line: cerr.line, Reason: cerr.reason}
		}
		rule.File = file
		out = append(out, rule)
	}
	return out, nil
}

// node helpers over a YAML mapping.
type mapping struct{ n *yaml.Node }

func (m mapping) get(key string) *yaml.Node {
	for i := 0; i+1 < len(m.n.Content); i += 2 {
		if m.n.Content[i].Value == key {
			return m.n.Content[i+1]
		}
	}
	return nil
}

func (m mapping) str(key string) string {
	if v := m.get(key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

func (m mapping) keys() []*yaml.Node {
	var ks []*yaml.Node
	for i := 0; i < len(m.n.Content); i += 2 {
		ks = append(ks, m.n.Content[i])
	}
	return ks
}

func strList(n *yaml.Node) ([]string, *compileError) {
	if n == nil {
		return nil, nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(n, "want a list of names")
	}
	var out []string
	for _, x := range n.Content {
		if x.Kind != yaml.ScalarNode {
			return nil, errAt(x, "want a name")
		}
		out = append(out, x.Value)
	}
	return out, nil
}

func durationAt(n *yaml.Node, def time.Duration) (time.Duration, *compileError) {
	if n == nil {
		return def, nil
	}
	d, err := directory.ParseDuration(n.Value)
	if err != nil || d <= 0 {
		return 0, errAt(n, "bad duration %q (e.g. 30m, 1h, 1d, 4w)", n.Value)
	}
	return d, nil
}

func floatAt(n *yaml.Node, def float64) (float64, *compileError) {
	if n == nil {
		return def, nil
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil {
		return 0, errAt(n, "want a number, got %q", n.Value)
	}
	return f, nil
}

var topKeys = set("title", "id", "name", "status", "description", "author", "date", "modified", "references", "tags", "level",
	"logsource", "detection", "correlation", "falsepositives", "fields", "license", "related", "jikimi", "scope", "taxonomy")
var jikimiKeys = set("kind", "title_ko", "title_en", "description_ko", "group-by", "merge", "field", "lookback", "learn", "bucket",
	"season", "history", "min_history", "k", "factor", "min_value", "peer", "silence")

func set(vs ...string) map[string]bool {
	m := map[string]bool{}
	for _, v := range vs {
		m[v] = true
	}
	return m
}

func compileRule(n *yaml.Node) (*Rule, *compileError) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(n, "a rule is a YAML map")
	}
	m := mapping{n}
	for _, k := range m.keys() {
		if !topKeys[k.Value] {
			return nil, errAt(k, "unknown key %q", k.Value)
		}
	}
	r := &Rule{Line: n.Line, ID: m.str("id"), Name: m.str("name"), TitleEn: m.str("title"), DescriptionEn: m.str("description")}
	if r.ID == "" {
		return nil, errAt(n, "id is required")
	}
	if r.TitleEn == "" {
		return nil, errAt(n, "title is required")
	}
	if ls := m.get("logsource"); ls != nil {
		if p := (mapping{ls}).str("product"); p != "" && p != "jikimi" {
			return nil, errAt(ls, "logsource.product must be jikimi (records are normalised access records), got %q", p)
		}
	}
	lv := m.get("level")
	switch sev := alert.Severity(m.str("level")); sev {
	case alert.Low, alert.Medium, alert.High, alert.Critical:
		r.Level = sev
	case "informational":
		r.Level = alert.Low
	default:
		return nil, errAt(lv, "level must be low, medium, high or critical, got %q", m.str("level"))
	}
	r.Title, r.Description = r.TitleEn, r.DescriptionEn
	j := mapping{&yaml.Node{Kind: yaml.MappingNode}}
	if jn := m.get("jikimi"); jn != nil {
		if jn.Kind != yaml.MappingNode {
			return nil, errAt(jn, "jikimi: want a map")
		}
		j = mapping{jn}
		for _, k := range j.keys() {
			if !jikimiKeys[k.Value] {
				return nil, errAt(k, "unknown jikimi key %q", k.Value)
			}
		}
		if t := j.str("title_ko"); t != "" {
			r.Title = t
		}
		if d := j.str("description_ko"); d != "" {
			r.Description = d
		}
	}

	if det := m.get("detection"); det != nil {
		c, err := compileDetection(det)
		if err != nil {
			return nil, err
		}
		r.filter = c
	}
	var err *compileError
	if r.merge, err = durationAt(j.get("merge"), 0); err != nil {
		return nil, err
	}
	if gb := j.get("group-by"); gb != nil {
		if r.groupBy, err = strList(gb); err != nil {
			return nil, err
		}
	}

	if cn := m.get("correlation"); cn != nil {
		if err := compileCorrelation(r, cn); err != nil {
			return nil, err
		}
		if j.get("kind") != nil {
			return nil, errAt(j.get("kind"), "a correlation rule takes its kind from correlation.type")
		}
	} else {
		kind := j.str("kind")
		if kind == "" {
			kind = KindMatch
		}
		r.Kind = kind
		if r.filter == nil && kind != KindAbsence {
			return nil, errAt(n, "detection is required")
		}
		if r.filter == nil {
			r.filter = trueCond{}
		}
		switch kind {
		case KindMatch:
		case KindSessionless:
			r.filter = andCond{r.filter, sessionlessCond()}
		case KindNewValue:
			if r.field = j.str("field"); r.field == "" {
				return nil, errAt(j.n, "new_value needs jikimi.field")
			}
			if r.lookback, err = durationAt(j.get("lookback"), 30*24*time.Hour); err != nil {
				return nil, err
			}
			if r.learn, err = durationAt(j.get("learn"), 7*24*time.Hour); err != nil {
				return nil, err
			}
		case KindBaseline:
			if err := compileBaseline(r, j); err != nil {
				return nil, err
			}
		case KindAbsence:
			if r.silence, err = durationAt(j.get("silence"), 0); err != nil && j.get("silence") != nil {
				return nil, err
			}
			if len(r.groupBy) == 0 {
				r.groupBy = []string{"system"}
			}
			if len(r.groupBy) != 1 || r.groupBy[0] != "system" {
				return nil, errAt(j.get("group-by"), "absence is judged per system: group-by must be [system]")
			}
		default:
			return nil, errAt(j.get("kind"), "unknown kind %q (match, new_value, baseline, absence, sessionless; threshold and sequence are Sigma correlations)", kind)
		}
	}
	if len(r.groupBy) == 0 {
		r.groupBy = []string{"actor.id"}
	}
	for _, g := range r.groupBy {
		get, ok := compileField(g)
		if !ok {
			return nil, errAt(n, "group-by: unknown field %q", g)
		}
		r.getters = append(r.getters, get)
	}
	if r.field != "" {
		get, ok := compileField(r.field)
		if !ok {
			return nil, errAt(n, "unknown field %q", r.field)
		}
		r.fieldGet = get
	}
	if r.merge == 0 {
		r.merge = time.Hour
		if r.timespan > r.merge {
			r.merge = r.timespan
		}
		if r.bucket > r.merge {
			r.merge = r.bucket
		}
	}
	return r, nil
}

func compileDetection(det *yaml.Node) (cond, *compileError) {
	if det.Kind != yaml.MappingNode {
		return nil, errAt(det, "detection: want a map of selections and a condition")
	}
	dm := mapping{det}
	sels := map[string]cond{}
	var condNode *yaml.Node
	for i := 0; i+1 < len(det.Content); i += 2 {
		k, v := det.Content[i], det.Content[i+1]
		switch k.Value {
		case "condition":
			condNode = v
		case "timeframe":
			return nil, errAt(k, "timeframe is deprecated in Sigma: write a correlation rule")
		default:
			c, err := compileSelection(v)
			if err != nil {
				var ce *compileError
				if errors.As(err, &ce) {
					return nil, ce
				}
				return nil, errAt(v, "%v", err)
			}
			sels[k.Value] = c
		}
	}
	if condNode == nil {
		return nil, errAt(det, "detection.condition is required")
	}
	if condNode.Kind == yaml.SequenceNode {
		return nil, errAt(condNode, "a list of conditions is deprecated in Sigma: join them with or")
	}
	_ = dm
	c, err := compileCondition(condNode, sels)
	if err != nil {
		var ce *compileError
		if errors.As(err, &ce) {
			return nil, ce
		}
		return nil, errAt(condNode, "%v", err)
	}
	return c, nil
}

func compileCorrelation(r *Rule, cn *yaml.Node) *compileError {
	if cn.Kind != yaml.MappingNode {
		return errAt(cn, "correlation: want a map")
	}
	c := mapping{cn}
	for _, k := range c.keys() {
		switch k.Value {
		case "type", "rules", "group-by", "timespan", "condition", "generate", "aliases":
		default:
			return errAt(k, "unknown correlation key %q", k.Value)
		}
	}
	if c.get("aliases") != nil {
		return errAt(c.get("aliases"), "correlation aliases are not supported: group by one field present in every referenced rule")
	}
	r.corrType = c.str("type")
	switch r.corrType {
	case "event_count", "value_count", "value_sum":
		r.Kind = KindThreshold
	case "temporal_ordered":
		r.Kind = KindSequence
	case "temporal":
		return errAt(c.get("type"), "correlation type temporal (unordered) is not supported: use temporal_ordered")
	default:
		return errAt(cn, "correlation.type must be event_count, value_count, value_sum or temporal_ordered, got %q", r.corrType)
	}
	var err *compileError
	if r.refs, err = strList(c.get("rules")); err != nil {
		return err
	}
	if len(r.refs) == 0 && r.filter == nil {
		return errAt(cn, "correlation.rules is required (or, as a jikimi extension, a detection block in the same rule)")
	}
	if len(r.refs) > 0 && r.filter != nil {
		return errAt(cn, "give either correlation.rules or a detection block, not both")
	}
	if r.Kind == KindSequence && len(r.refs) < 2 {
		return errAt(cn, "temporal_ordered needs at least two rules")
	}
	if r.groupBy, err = strList(c.get("group-by")); err != nil {
		return err
	}
	if len(r.groupBy) == 0 {
		return errAt(cn, "correlation.group-by is required")
	}
	if c.get("timespan") == nil {
		return errAt(cn, "correlation.timespan is required")
	}
	if r.timespan, err = durationAt(c.get("timespan"), 0); err != nil {
		return err
	}
	if g := c.get("generate"); g != nil {
		r.generate = g.Value == "true"
	}
	if r.Kind == KindSequence {
		return nil
	}
	cond := c.get("condition")
	if cond == nil || cond.Kind != yaml.MappingNode {
		return errAt(cn, "correlation.condition is required, e.g. {gte: 100}")
	}
	cm := mapping{cond}
	r.field = cm.str("field")
	if r.corrType != "event_count" && r.field == "" {
		return errAt(cond, "%s needs condition.field", r.corrType)
	}
	set := 0
	for _, k := range cm.keys() {
		op, ok := map[string]cmpOp{"gt": opGt, "gte": opGte, "lt": opLt, "lte": opLte, "eq": opEq}[k.Value]
		if k.Value == "field" {
			continue
		}
		if !ok {
			return errAt(k, "unknown condition operator %q (gt, gte, lt, lte, eq)", k.Value)
		}
		if op == opLt || op == opLte {
			return errAt(k, "%s cannot be decided while a window is still open: use gt or gte", k.Value)
		}
		f, err := floatAt(cm.get(k.Value), 0)
		if err != nil {
			return err
		}
		r.cmp = numMatcher{op: op, n: f}
		set++
	}
	if set != 1 {
		return errAt(cond, "correlation.condition needs exactly one of gt, gte, eq")
	}
	return nil
}

func compileBaseline(r *Rule, j mapping) *compileError {
	var err *compileError
	r.field = j.str("field") // empty: count records
	if r.bucket, err = durationAt(j.get("bucket"), 24*time.Hour); err != nil {
		return err
	}
	if r.bucket != time.Hour && r.bucket != 24*time.Hour {
		return errAt(j.get("bucket"), "baseline bucket must be 1h or 1d")
	}
	r.season = j.str("season")
	switch r.season {
	case "", "none":
		r.season = "none"
	case "day_of_week":
		if r.bucket != 24*time.Hour {
			return errAt(j.get("season"), "season day_of_week needs bucket 1d")
		}
	case "hour_of_week":
		if r.bucket != time.Hour {
			return errAt(j.get("season"), "season hour_of_week needs bucket 1h")
		}
	default:
		return errAt(j.get("season"), "season must be none, day_of_week or hour_of_week")
	}
	var h, mh float64
	if h, err = floatAt(j.get("history"), 28); err != nil {
		return err
	}
	if mh, err = floatAt(j.get("min_history"), 7); err != nil {
		return err
	}
	r.history, r.minHistory = int(h), int(mh)
	if r.history < 3 || r.history > 366 || r.minHistory < 1 || r.minHistory > r.history {
		return errAt(j.n, "history must be 3–366 and min_history 1–history")
	}
	if r.k, err = floatAt(j.get("k"), 6); err != nil {
		return err
	}
	if r.factor, err = floatAt(j.get("factor"), 3); err != nil {
		return err
	}
	if r.minValue, err = floatAt(j.get("min_value"), 1); err != nil {
		return err
	}
	if p := j.str("peer"); p != "" {
		get, ok := compileField(p)
		if !ok {
			return errAt(j.get("peer"), "unknown field %q", p)
		}
		r.peer, r.peerGet = p, get
	}
	if math.IsNaN(r.k) || r.k <= 0 {
		return errAt(j.get("k"), "k must be positive")
	}
	return nil
}

// link resolves correlation references and decides which rules alert.
func link(rules []*Rule) error {
	byRef := map[string]*Rule{}
	ids := map[string]*Rule{}
	for _, r := range rules {
		if o, dup := ids[r.ID]; dup {
			return &RuleError{File: r.File, Line: r.Line, Reason: fmt.Sprintf("duplicate rule id %q (also in %s:%d)", r.ID, o.File, o.Line)}
		}
		ids[r.ID] = r
		byRef[r.ID] = r
		if r.Name != "" {
			byRef[r.Name] = r
		}
	}
	for _, r := range rules {
		r.silent = false
	}
	for _, r := range rules {
		r.refRules = r.refRules[:0]
		for _, ref := range r.refs {
			b, ok := byRef[ref]
			if !ok {
				return &RuleError{File: r.File, Line: r.Line, Reason: fmt.Sprintf("correlation refers to unknown rule %q", ref)}
			}
			if b == r {
				return &RuleError{File: r.File, Line: r.Line, Reason: "a correlation cannot refer to itself"}
			}
			r.refRules = append(r.refRules, b)
		}
	}
	// Sigma: rules referenced by a correlation do not alert on their own
	// unless the correlation says generate: true.
	for _, r := range rules {
		for _, b := range r.refRules {
			if !r.generate {
				b.silent = true
			}
		}
	}
	// Cycles would loop signals forever.
	var visit func(r *Rule, path []*Rule) error
	visit = func(r *Rule, path []*Rule) error {
		if slices.Contains(path, r) {
			return &RuleError{File: r.File, Line: r.Line, Reason: "correlation references form a cycle"}
		}
		for _, b := range r.refRules {
			if err := visit(b, append(path, r)); err != nil {
				return err
			}
		}
		return nil
	}
	for _, r := range rules {
		if err := visit(r, nil); err != nil {
			return err
		}
	}
	return nil
}

// Silent reports whether the rule only feeds correlations (Sigma: it is
// referenced by a correlation without generate: true) and so never alerts
// on its own.
func (r *Rule) Silent() bool { return r.silent }
