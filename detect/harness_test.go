package detect_test

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/detect"
	"github.com/jikimi/jikimi/scenario"
)

// The demo month and its normal control month are generated once per test
// binary: they are large.
var (
	demoOnce, normalOnce sync.Once
	demoDS, normalDS     *scenario.Dataset
	demoRun, normalRun   *run
)

func demo(tb testing.TB) (*scenario.Dataset, *run) {
	tb.Helper()
	demoOnce.Do(func() {
		demoDS = scenario.Generate(scenario.Config{})
		demoRun = replay(tb, demoDS)
	})
	return demoDS, demoRun
}

func normal(tb testing.TB) (*scenario.Dataset, *run) {
	tb.Helper()
	normalOnce.Do(func() {
		normalDS = scenario.Generate(scenario.Config{Normal: true})
		normalRun = replay(tb, normalDS)
	})
	return normalDS, normalRun
}

// run is what replaying a data set through the engine produced.
type run struct {
	alerts    map[string]*alert.Alert // latest version by id
	firstAt   map[string]time.Time    // event time when the alert was first emitted
	order     []string
	duration  time.Duration
	records   int
	emissions int
}

func newEngine(tb testing.TB, ds *scenario.Dataset, opts ...func(*detect.Options)) *detect.Engine {
	tb.Helper()
	rules, err := detect.LoadRules("")
	if err != nil {
		tb.Fatal(err)
	}
	dir, err := ds.LoadDirectory()
	if err != nil {
		tb.Fatal(err)
	}
	o := detect.Options{Directory: dir, Watchlist: ds.Watchlist}
	for _, f := range opts {
		f(&o)
	}
	e, err := detect.New(rules, o)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func replay(tb testing.TB, ds *scenario.Dataset, opts ...func(*detect.Options)) *run {
	e := newEngine(tb, ds, opts...)
	r := &run{alerts: map[string]*alert.Alert{}, firstAt: map[string]time.Time{}, records: len(ds.Records)}
	var now time.Time
	emit := func(a *alert.Alert) {
		r.emissions++
		if _, ok := r.alerts[a.ID]; !ok {
			r.firstAt[a.ID] = now
			r.order = append(r.order, a.ID)
		}
		r.alerts[a.ID] = a
	}
	start := time.Now()
	for i := range ds.Records {
		now = ds.Records[i].Time
		e.Process(&ds.Records[i], emit)
	}
	e.Flush(emit)
	r.duration = time.Since(start)
	return r
}

// byRule returns the alerts of a rule, oldest first.
func (r *run) byRule(rule string) []*alert.Alert {
	var out []*alert.Alert
	for _, id := range r.order {
		if a := r.alerts[id]; a.Rule == rule {
			out = append(out, a)
		}
	}
	return out
}

func (r *run) counts() map[string]int {
	m := map[string]int{}
	for _, a := range r.alerts {
		m[a.Rule]++
	}
	return m
}

func sortedKeys(m map[string]int) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// incidentOf returns the incident whose records an alert cites, or "".
func incidentOf(ds *scenario.Dataset, a *alert.Alert) string {
	for _, in := range ds.Incidents {
		set := make(map[string]bool, len(in.RecordIDs))
		for _, id := range in.RecordIDs {
			set[id] = true
		}
		for _, id := range a.Records {
			if set[id] {
				return in.Name
			}
		}
	}
	return ""
}
