package source

import (
	"errors"
	"strings"
	"testing"

	"github.com/jikimi/jikimi/record"
)

// parseLines feeds lines (numbered from 1) through a new parser of format
// and flushes it.
func parseLines(tb testing.TB, format string, opts Options, lines ...string) (recs []*record.Record, at []int, errs []*LineError) {
	tb.Helper()
	if opts.Year == 0 {
		opts.Year = 2026
	}
	p, err := New(format, opts)
	if err != nil {
		tb.Fatalf("New(%q): %v", format, err)
	}
	emit := func(r *record.Record, line int) { recs = append(recs, r); at = append(at, line) }
	for i, l := range lines {
		if err := p.Line([]byte(l), i+1, emit); err != nil {
			var le *LineError
			if !errors.As(err, &le) {
				tb.Fatalf("line %d: error %T %v is not a *LineError", i+1, err, err)
			}
			if le.Line == 0 {
				c := *le
				c.Line = i + 1
				le = &c
			}
			errs = append(errs, le)
		}
	}
	p.Flush(emit)
	return recs, at, errs
}

// malformed is a bad input and where its error must point.
type malformed struct {
	name      string
	lines     []string
	wantLine  int
	wantField string
	wantIn    string // a word the reason must contain, or ""
}

// checkMalformed runs each case and checks that exactly the expected line
// is rejected, naming the expected field, and that no record is emitted for it.
func checkMalformed(t *testing.T, format string, opts Options, cases []malformed) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, _, errs := parseLines(t, format, opts, c.lines...)
			if len(errs) != 1 {
				t.Fatalf("got %d errors %v, want 1 (records: %d)", len(errs), errs, len(recs))
			}
			e := errs[0]
			if e.Line != c.wantLine || e.Field != c.wantField {
				t.Fatalf("error at line %d field %q (%s), want line %d field %q", e.Line, e.Field, e.Reason, c.wantLine, c.wantField)
			}
			if c.wantIn != "" && !strings.Contains(e.Reason, c.wantIn) {
				t.Fatalf("reason %q does not mention %q", e.Reason, c.wantIn)
			}
		})
	}
}
