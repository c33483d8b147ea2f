package detect_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/detect"
	"github.com/jikimi/jikimi/scenario"
)

// TestBuiltinRules checks every built-in rule against its scenario: it
// catches the incident, its alert cites the incident's records, and on the
// normal month (the same organisation without incidents) it stays quiet
// when it is medium or above.
func TestBuiltinRules(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and replays two months")
	}
	ds, got := demo(t)
	_, calm := normal(t)
	rules, err := detect.LoadRules("")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, in := range ds.Incidents {
		for _, r := range in.Rules {
			covered[r] = true
		}
	}
	for _, r := range rules {
		t.Run(r.ID, func(t *testing.T) {
			if r.Silent() {
				t.Skipf("building block of a correlation; tested through it")
			}
			if !covered[r.ID] {
				t.Fatalf("no scenario replays what %s must catch", r.ID)
			}
			for _, in := range ds.Incidents {
				if !slices.Contains(in.Rules, r.ID) {
					continue
				}
				a := caught(ds, got, in.Name, r.ID)
				if a == nil {
					t.Errorf("%s: no %s alert cites its records", in.Name, r.ID)
					continue
				}
				if a.Severity != r.Level {
					t.Errorf("%s: severity %s, want %s", in.Name, a.Severity, r.Level)
				}
				if a.Summary == "" || a.SummaryEn == "" || a.RecordCount < len(a.Records) || len(a.Records) == 0 {
					t.Errorf("%s: incomplete alert %+v", in.Name, a)
				}
				// Cites the right records: for a medium+ alert all of its
				// evidence is the incident's — except a threshold's window,
				// which also counts the same actor's ordinary work of the
				// day; there at least three quarters must be.
				if a.Severity.Rank() >= alert.Medium.Rank() {
					ids := map[string]bool{}
					for _, id := range ds.Incident(in.Name).RecordIDs {
						ids[id] = true
					}
					var other []string
					for _, id := range a.Records {
						if !ids[id] {
							other = append(other, id)
						}
					}
					switch {
					case r.Kind == detect.KindThreshold && len(other)*4 > len(a.Records):
						t.Errorf("%s: alert %s cites %d of %d records that are not the incident's", in.Name, a.ID, len(other), len(a.Records))
					case r.Kind != detect.KindThreshold && len(other) > 0:
						t.Errorf("%s: alert %s cites record %s, which is not the incident's", in.Name, a.ID, other[0])
					}
				}
				t.Logf("%s: %s", in.Name, a.Summary)
			}
			if r.Level.Rank() >= alert.Medium.Rank() {
				if n := len(calm.byRule(r.ID)); n > 0 {
					t.Errorf("%d alerts on the normal month, e.g. %s", n, calm.byRule(r.ID)[0].Summary)
				}
			}
		})
	}
}

// caught returns the first alert of rule citing the incident's records.
func caught(ds *scenario.Dataset, got *run, incident, rule string) *alert.Alert {
	in := ds.Incident(incident)
	ids := map[string]bool{}
	for _, id := range in.RecordIDs {
		ids[id] = true
	}
	for _, a := range got.byRule(rule) {
		for _, id := range a.Records {
			if ids[id] {
				return a
			}
		}
	}
	return nil
}

// TestDemoMonth replays the demo month and prints the detection table of
// BENCHMARKS.md: every incident caught, time to detect in event time, and
// false medium+ alerts per 100 active staff per day, which must stay at or
// below 1.
//
//	go test -run TestDemoMonth -v ./detect/
func TestDemoMonth(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and replays a month")
	}
	ds, got := demo(t)
	days := float64(ds.Config.Days)
	var b strings.Builder
	fmt.Fprintf(&b, "demo month: %s, %d days, %d records, %d active staff, %d incidents; replayed in %v\n\n",
		ds.Config.Start.Format(time.DateOnly), ds.Config.Days, len(ds.Records), ds.ActiveStaff, len(ds.Incidents), got.duration.Round(time.Millisecond))
	fmt.Fprintf(&b, "| incident | rule | severity | time to detect (event time) | evidence records |\n|---|---|---|---|---|\n")
	for _, in := range ds.Incidents {
		for _, rule := range in.Rules {
			a := caught(ds, got, in.Name, rule)
			if a == nil {
				t.Errorf("%s not caught by %s", in.Name, rule)
				fmt.Fprintf(&b, "| %s | %s | — | **missed** | — |\n", in.Name, rule)
				continue
			}
			ttd := got.firstAt[a.ID].Sub(in.Start)
			fmt.Fprintf(&b, "| %s | %s | %s | %v | %d |\n", in.Name, rule, a.Severity, ttd.Round(time.Second), a.RecordCount)
		}
	}
	var falseMed, low int
	perRule := map[string]int{}
	for _, id := range got.order {
		a := got.alerts[id]
		if a.Severity.Rank() < alert.Medium.Rank() {
			low++
			continue
		}
		if incidentOf(ds, a) == "" {
			falseMed++
			perRule[a.Rule]++
			t.Logf("false alert: %s", a.Summary)
		}
	}
	rate := float64(falseMed) / days / (float64(ds.ActiveStaff) / 100)
	fmt.Fprintf(&b, "\nfalse medium+ alerts: %d in %d days = %.3f per 100 active staff per day (budget 1); low review items: %d (%.1f a day)\n",
		falseMed, ds.Config.Days, rate, low, float64(low)/days)
	for _, r := range sortedKeys(perRule) {
		fmt.Fprintf(&b, "  %s: %d\n", r, perRule[r])
	}
	t.Log("\n" + b.String())
	if rate > 1 {
		t.Errorf("false alert rate %.3f per 100 staff per day, budget 1", rate)
	}
}

// TestReplayDeterministic: replaying the same history gives the same
// alerts, ids included.
func TestReplayDeterministic(t *testing.T) {
	ds := scenario.Generate(scenario.Config{Days: 12, Staff: 60, Customers: 5000, Seed: 7})
	a, b := replay(t, ds), replay(t, ds)
	if len(a.alerts) == 0 {
		t.Fatal("no alerts")
	}
	if !slices.Equal(a.order, b.order) {
		t.Fatalf("alert ids differ between replays")
	}
	for id, x := range a.alerts {
		y := b.alerts[id]
		if x.Summary != y.Summary || x.RecordCount != y.RecordCount || !x.Time.Equal(y.Time) {
			t.Fatalf("alert %s differs: %+v vs %+v", id, x, y)
		}
	}
}

// TestReemitChangesOnlyTheCadence: waiting longer to emit a changing alert
// again emits it less often, first at the same moment and last in the same
// state.
func TestReemitChangesOnlyTheCadence(t *testing.T) {
	ds := scenario.Generate(scenario.Config{Days: 12, Staff: 60, Customers: 5000, Seed: 7})
	often, rarely := replay(t, ds), replay(t, ds, func(o *detect.Options) { o.Reemit = time.Hour })
	if rarely.emissions >= often.emissions {
		t.Fatalf("%d emissions with Reemit an hour, %d with a minute: want fewer", rarely.emissions, often.emissions)
	}
	if !slices.Equal(often.order, rarely.order) {
		t.Fatal("alerts were created in another order")
	}
	for id, a := range often.alerts {
		if !often.firstAt[id].Equal(rarely.firstAt[id]) || !reflect.DeepEqual(a, rarely.alerts[id]) {
			t.Fatalf("alert %s differs:\n%+v\n%+v", id, a, rarely.alerts[id])
		}
	}
	t.Logf("%d alerts: %d emissions with Reemit a minute, %d with an hour", len(often.alerts), often.emissions, rarely.emissions)
}

// TestOutOfOrder: records up to a few minutes out of order give the same
// alerts as in order.
func TestOutOfOrder(t *testing.T) {
	ds := scenario.Generate(scenario.Config{Days: 12, Staff: 60, Customers: 5000, Seed: 7})
	want := replay(t, ds)
	shuffled := *ds
	shuffled.Records = slices.Clone(ds.Records)
	// Swap records in blocks: each record moves by at most a few minutes.
	rs := shuffled.Records
	for i := 0; i+1 < len(rs); i += 2 {
		if rs[i+1].Time.Sub(rs[i].Time) < 3*time.Minute {
			rs[i], rs[i+1] = rs[i+1], rs[i]
		}
	}
	slices.Reverse(rs[100:140])
	if rs[139].Time.Sub(rs[100].Time) > 4*time.Minute {
		t.Skip("generated block spans too long")
	}
	got := replay(t, &shuffled)
	if len(got.alerts) != len(want.alerts) {
		t.Fatalf("%d alerts out of order, %d in order", len(got.alerts), len(want.alerts))
	}
	for id, w := range want.alerts {
		g := got.alerts[id]
		if g == nil {
			t.Fatalf("alert %s (%s) missing out of order", id, w.Rule)
		}
		if g.RecordCount != w.RecordCount {
			t.Errorf("alert %s: %d records out of order, %d in order", id, g.RecordCount, w.RecordCount)
		}
	}
}

// TestBenignLookAlikes: on the normal month the look-alikes of misuse page
// nobody — the nightly batch exporting millions of rows, a person working
// late at normal volume (a low review item at most), the new employee, the
// desk move inside an assigned range, meeting-room PCs, remote work over
// the VPN with MFA.
func TestBenignLookAlikes(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and replays a month")
	}
	ds, got := normal(t)
	late := 0
	for _, id := range got.order {
		a := got.alerts[id]
		if a.Severity.Rank() >= alert.Medium.Rank() {
			t.Errorf("medium+ alert on the normal month: %s", a.Summary)
		}
		if a.Rule == "off-hours-access" {
			late++
		}
	}
	if late == 0 {
		t.Error("late work produced no review item")
	}
	// The look-alikes are really in the data.
	seen := map[string]bool{}
	for i := range ds.Records {
		r := &ds.Records[i]
		switch {
		case r.Actor.ID == "svc.batch" && r.Action == "export" && r.Rows() > 1_000_000:
			seen["batch"] = true
		case r.Actor.ID == "cs0003" && r.Origin.IP == "10.20.1.75":
			seen["desk move"] = true
		case r.Actor.ID == "cs0010":
			seen["new employee"] = true
		case r.Origin.Device != "" && strings.HasPrefix(r.Origin.Device, "pc-meeting-"):
			seen["meeting room"] = true
		case r.Auth.External && r.Auth.Method == "mfa":
			seen["vpn"] = true
		}
	}
	for _, k := range []string{"batch", "desk move", "new employee", "meeting room", "vpn"} {
		if !seen[k] {
			t.Errorf("normal month lacks the %s", k)
		}
	}
}
