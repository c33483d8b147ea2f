package pii

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

type corpusRow struct {
	pos   bool
	typ   Type
	text  string
	value string
}

func loadCorpus(tb testing.TB) []corpusRow {
	tb.Helper()
	f, err := os.Open("testdata/corpus.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var rows []corpusRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		p := strings.Split(line, "\t")
		if len(p) != 4 {
			tb.Fatalf("bad corpus line %q", line)
		}
		rows = append(rows, corpusRow{pos: p[0] == "pos", typ: Type(p[1]), text: p[2], value: p[3]})
	}
	return rows
}

type prCount struct{ tp, fp, fn int }

func (c prCount) precision() float64 {
	if c.tp+c.fp == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fp)
}

func (c prCount) recall() float64 {
	if c.tp+c.fn == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fn)
}

// corpusScores scans every corpus line and counts, per type, findings of
// medium or high confidence that match the labelled value (tp), findings
// that match nothing (fp) and labelled values not found (fn).
func corpusScores(tb testing.TB) (map[Type]*prCount, []string) {
	rows := loadCorpus(tb)
	sc := map[Type]*prCount{}
	get := func(t Type) *prCount {
		if sc[t] == nil {
			sc[t] = &prCount{}
		}
		return sc[t]
	}
	var misses []string
	s := NewScanner()
	for _, r := range rows {
		b := []byte(r.text)
		start := strings.Index(r.text, r.value)
		found := false
		s.Scan(b, func(f Finding) {
			if f.Confidence < Medium {
				return
			}
			if r.pos && f.Type == r.typ && f.Start == start && f.End == start+len(r.value) {
				found = true
				get(f.Type).tp++
				return
			}
			get(f.Type).fp++
			misses = append(misses, fmt.Sprintf("FP %s %s %q in %q", f.Type, f.Confidence, r.text[f.Start:f.End], r.text))
		})
		if r.pos && !found {
			get(r.typ).fn++
			misses = append(misses, fmt.Sprintf("FN %s %q in %q", r.typ, r.value, r.text))
		}
	}
	return sc, misses
}

func TestCorpusPrecisionRecall(t *testing.T) {
	sc, misses := corpusScores(t)
	for _, m := range misses {
		t.Log(m)
	}
	var types []string
	for k := range sc {
		types = append(types, string(k))
	}
	sort.Strings(types)
	t.Logf("%-15s %5s %4s %4s %9s %6s", "type", "tp", "fp", "fn", "precision", "recall")
	for _, k := range types {
		c := sc[Type(k)]
		t.Logf("%-15s %5d %4d %4d %9.3f %6.3f", k, c.tp, c.fp, c.fn, c.precision(), c.recall())
	}
	// The targets for the validated types.
	for _, typ := range []Type{RRN, FRN, Phone, Email, Card} {
		c := sc[typ]
		if c == nil || c.tp < 50 {
			t.Fatalf("%s: too few positives in the corpus", typ)
		}
		if p := c.precision(); p < 0.99 {
			t.Errorf("%s precision = %.3f, want >= 0.99", typ, p)
		}
		if r := c.recall(); r < 0.98 {
			t.Errorf("%s recall = %.3f, want >= 0.98", typ, r)
		}
	}
	// Context-dependent types: the corpus is small, so hold what we reach.
	for typ, c := range sc {
		if p := c.precision(); p < 0.8 {
			t.Errorf("%s precision = %.3f, want >= 0.8", typ, p)
		}
		if r := c.recall(); r < 0.8 {
			t.Errorf("%s recall = %.3f, want >= 0.8", typ, r)
		}
	}
}
