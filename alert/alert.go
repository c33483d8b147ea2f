// Package alert defines what detection reports: one alert per rule and
// entity, merged while the same misuse continues.
package alert

import "time"

// Severity is a promise about people's time: Low is a review item that pages
// nobody; Medium and above must be acted on now.
type Severity string

// The severities, lowest first.
const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Rank orders severities (low 1 … critical 4; unknown 0).
func (s Severity) Rank() int {
	switch s {
	case Low:
		return 1
	case Medium:
		return 2
	case High:
		return 3
	case Critical:
		return 4
	}
	return 0
}

// MaxRecords is how many evidence record ids an alert keeps; RecordCount
// goes on counting past it.
const MaxRecords = 1000

// Alert is one finding of a rule about one entity. Its JSON form is what
// `jikimi alerts --json` prints.
type Alert struct {
	ID          string            `json:"id"`
	Rule        string            `json:"rule"`
	Severity    Severity          `json:"severity"`
	Time        time.Time         `json:"time"`      // event time of the first evidence
	LastTime    time.Time         `json:"last_time"` // event time of the latest evidence
	System      string            `json:"system"`
	Actor       string            `json:"actor"` // empty when the entity is not an actor
	Keys        map[string]string `json:"keys"`  // grouping values: address, key id, device …
	Summary     string            `json:"summary"`
	SummaryEn   string            `json:"summary_en"`
	Records     []string          `json:"records"` // evidence record ids, at most MaxRecords
	RecordCount int               `json:"record_count"`
}
