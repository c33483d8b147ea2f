// Package report builds the periodic review report (점검 보고서): for a
// period, per system, the records and people, the downloads and exports
// with their stated purposes, the alerts by rule, the cases and their
// outcomes, the overdue items and the result of the integrity check.
//
// 개인정보의 안전성 확보조치 기준 제8조② requires the access records to be
// inspected at least once a month, and the reason to be examined for any
// download found; the report is the written trace of that inspection and
// carries the privacy officer's sign-off.
package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jikimi/jikimi/casework"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store/sqlite"
)

// Integrity summarises the ledger's verification: whether every stored
// record is proven in the log, and the latest checkpoint. The lead wires
// it to package ledger. An error means no result is known.
type Integrity interface {
	Summary(ctx context.Context) (ok bool, checkpoint string, err error)
}

// Report is one generated review report. It is stored as JSON when
// generated, so what is signed never changes afterwards.
type Report struct {
	ID          string          `json:"id"`
	Period      string          `json:"period"` // "2026-09"
	From        time.Time       `json:"from"`
	To          time.Time       `json:"to"`
	Generated   time.Time       `json:"generated"`
	GeneratedBy string          `json:"generated_by"`
	Systems     []*System       `json:"systems"`
	Cases       []CaseLine      `json:"cases"`
	Overdue     []CaseLine      `json:"overdue"`
	Integrity   IntegrityResult `json:"integrity"`
	Totals      Totals          `json:"totals"`
	Outcomes    map[string]int  `json:"outcomes"`
}

// Totals sums the systems.
type Totals struct {
	Records, People, Exports, ExportsWithoutPurpose, Alerts int64
}

// System is one system's part of the report.
type System struct {
	System   string         `json:"system"`
	Name     string         `json:"name,omitempty"`
	Records  int64          `json:"records"`
	People   int64          `json:"people"`
	Exports  []ExportLine   `json:"exports"`
	Alerts   []RuleLine     `json:"alerts"`
	Outcomes map[string]int `json:"outcomes"` // case status → count
}

// ExportLine groups the downloads, exports and prints of one stated
// purpose (empty: none stated).
type ExportLine struct {
	Purpose string `json:"purpose"`
	Count   int64  `json:"count"`
	Rows    int64  `json:"rows"`
	Actors  int    `json:"actors"`
}

// RuleLine is how many alerts a rule raised.
type RuleLine struct {
	Rule     string `json:"rule"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Count    int    `json:"count"`
}

// CaseLine is one case in the report.
type CaseLine struct {
	ID       string    `json:"id"`
	System   string    `json:"system"`
	Rule     string    `json:"rule"`
	Person   string    `json:"person"`
	Status   string    `json:"status"`
	AlertAt  time.Time `json:"alert_at"`
	Deadline time.Time `json:"deadline,omitzero"`
	Decision string    `json:"decision"` // the last reviewer comment or close reason
}

// IntegrityResult is what Integrity said, or that nothing is known.
type IntegrityResult struct {
	Known      bool   `json:"known"`
	OK         bool   `json:"ok"`
	Checkpoint string `json:"checkpoint"`
	Error      string `json:"error,omitempty"`
}

// Inputs are what Build reads.
type Inputs struct {
	DB         *sqlite.DB
	Cases      casework.Store
	Integrity  Integrity              // nil: "봉인 검증 정보 없음"
	RuleTitle  func(id string) string // nil: rule ids only
	SystemName func(id string) string // nil: ids only
}

// KST is the zone periods are read in.
var KST = time.FixedZone("KST", 9*3600)

// PeriodRange returns the bounds of a monthly period "YYYY-MM" in Korea
// time.
func PeriodRange(period string) (from, to time.Time, err error) {
	from, err = time.ParseInLocation("2006-01", period, KST)
	if err != nil {
		return from, to, fmt.Errorf("period %q: want YYYY-MM", period)
	}
	return from, from.AddDate(0, 1, 0), nil
}

// Build generates the report of period at now.
func Build(ctx context.Context, in Inputs, id, period, by string, now time.Time) (*Report, error) {
	from, to, err := PeriodRange(period)
	if err != nil {
		return nil, err
	}
	r := &Report{ID: id, Period: period, From: from, To: to, Generated: now, GeneratedBy: by, Outcomes: map[string]int{}}
	bySys := map[string]*System{}
	sys := func(id string) *System {
		s := bySys[id]
		if s == nil {
			s = &System{System: id, Outcomes: map[string]int{}}
			if in.SystemName != nil {
				s.Name = in.SystemName(id)
			}
			bySys[id] = s
		}
		return s
	}
	acts, err := in.DB.PeriodActivity(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("report activity: %w", err)
	}
	for _, a := range acts {
		s := sys(a.System)
		s.Records, s.People = a.Records, a.People
		r.Totals.Records += a.Records
		r.Totals.People += a.People
	}
	type exKey struct{ sys, purpose string }
	exports := map[exKey]*ExportLine{}
	exActors := map[exKey]map[string]bool{}
	err = in.DB.PeriodExports(ctx, from, to, func(rec *record.Record) error {
		k := exKey{rec.System, rec.Purpose}
		e := exports[k]
		if e == nil {
			e = &ExportLine{Purpose: rec.Purpose}
			exports[k], exActors[k] = e, map[string]bool{}
		}
		e.Count++
		if rows := rec.Rows(); rows > 0 {
			e.Rows += rows
		}
		exActors[k][rec.Actor.ID] = true
		r.Totals.Exports++
		if rec.Purpose == "" {
			r.Totals.ExportsWithoutPurpose++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report exports: %w", err)
	}
	for k, e := range exports {
		e.Actors = len(exActors[k])
		s := sys(k.sys)
		s.Exports = append(s.Exports, *e)
	}
	alerts, err := in.DB.PeriodAlerts(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("report alerts: %w", err)
	}
	for _, a := range alerts {
		line := RuleLine{Rule: a.Rule, Severity: a.Severity, Count: a.N}
		if in.RuleTitle != nil {
			line.Title = in.RuleTitle(a.Rule)
		}
		s := sys(a.System)
		s.Alerts = append(s.Alerts, line)
		r.Totals.Alerts += int64(a.N)
	}
	cases, err := in.Cases.Cases(ctx, casework.Filter{From: from, To: to})
	if err != nil {
		return nil, fmt.Errorf("report cases: %w", err)
	}
	for _, c := range cases {
		line := caseLine(c)
		r.Cases = append(r.Cases, line)
		sys(c.System).Outcomes[string(c.Status)]++
		r.Outcomes[string(c.Status)]++
	}
	// Overdue items are those overdue now, whatever the period of their
	// alert: an inspection must list what is still outstanding.
	overdue, err := in.Cases.Cases(ctx, casework.Filter{Overdue: now})
	if err != nil {
		return nil, fmt.Errorf("report overdue: %w", err)
	}
	for _, c := range overdue {
		r.Overdue = append(r.Overdue, caseLine(c))
	}
	for _, s := range bySys {
		slices.SortFunc(s.Exports, func(a, b ExportLine) int { return cmp.Compare(b.Count, a.Count) })
		r.Systems = append(r.Systems, s)
	}
	slices.SortFunc(r.Systems, func(a, b *System) int { return cmp.Compare(a.System, b.System) })
	if in.Integrity != nil {
		ok, cp, err := in.Integrity.Summary(ctx)
		r.Integrity = IntegrityResult{Known: err == nil, OK: ok && err == nil, Checkpoint: cp}
		if err != nil {
			r.Integrity.Error = err.Error()
		}
	}
	return r, nil
}

func caseLine(c *casework.Case) CaseLine {
	l := CaseLine{ID: c.ID, System: c.System, Rule: c.Rule, Person: c.Person, Status: string(c.Status), AlertAt: c.AlertAt, Deadline: c.Deadline}
	for _, st := range c.Steps {
		switch st.What {
		case "approve", "reject", "ask_again", "close":
			l.Decision = st.Comment
		}
	}
	return l
}
