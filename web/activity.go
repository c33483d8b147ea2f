package web

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jikimi/jikimi/store/sqlite"
)

// activity keeps the records per system and hour in memory for the
// overview. It reads the store once in full at start (in the background)
// and then only the ingest batches that arrived since (see
// sqlite.DB.HourlyCounts), so the overview never scans the records table.
type activity struct {
	db  *sqlite.DB
	log *slog.Logger

	mu    sync.Mutex // guards everything below
	ready bool
	upTo  int64
	hours map[string]map[int64]int64 // system → unix hour → records
}

func newActivity(db *sqlite.DB, log *slog.Logger) *activity {
	return &activity{db: db, log: log, hours: map[string]map[int64]int64{}}
}

// run does the first, full count, then refreshes every few seconds so
// that a page never waits for much.
func (a *activity) run(ctx context.Context) {
	start := time.Now()
	if err := a.refresh(ctx); err != nil {
		if ctx.Err() == nil {
			a.log.Error("console activity count", "err", err)
		}
	}
	a.mu.Lock()
	a.ready = true
	a.mu.Unlock()
	a.log.Debug("console activity counted", "took", time.Since(start))
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.refresh(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("console activity count", "err", err)
			}
		}
	}
}

func (a *activity) refresh(ctx context.Context) error {
	a.mu.Lock()
	from := a.upTo
	a.mu.Unlock()
	counts, upTo, err := a.db.HourlyCounts(ctx, from)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.upTo != from { // another refresh got there first
		return nil
	}
	for _, c := range counts {
		m := a.hours[c.System]
		if m == nil {
			m = map[int64]int64{}
			a.hours[c.System] = m
		}
		m[c.Hour] += c.N
	}
	a.upTo = upTo
	return nil
}

// window is the last 30 days of activity, ending at the newest hour seen.
type window struct {
	Ready   bool
	Days    []time.Time // 30 days, oldest first (midnight KST)
	Systems []systemRow
	Week    [7][24]int64 // Monday first, KST
	WeekMax int64
}

type systemRow struct {
	System string
	Days   []int64
	Max    int64
	Total  int64
}

// window refreshes what arrived since the last read, then sums the last
// 30 days.
func (a *activity) window(ctx context.Context) (window, error) {
	var w window
	a.mu.Lock()
	ready := a.ready
	a.mu.Unlock()
	if !ready {
		return w, nil
	}
	if err := a.refresh(ctx); err != nil {
		return w, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	w.Ready = true
	// The window ends at the newest record of the watched systems: the
	// console's own records (system jikimi) are written now, while the
	// records under review may be a replayed past month.
	var newest int64 = -1
	for sys, m := range a.hours {
		if sys == "jikimi" && len(a.hours) > 1 {
			continue
		}
		for h := range m {
			newest = max(newest, h)
		}
	}
	if newest < 0 {
		return w, nil
	}
	last := time.Unix(newest*3600, 0).In(kst)
	lastDay := time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, kst)
	first := lastDay.AddDate(0, 0, -29)
	for i := range 30 {
		w.Days = append(w.Days, first.AddDate(0, 0, i))
	}
	fromHour := first.Unix() / 3600
	for _, sys := range sortedKeys(a.hours) {
		row := systemRow{System: sys, Days: make([]int64, 30)}
		for h, n := range a.hours[sys] {
			if h < fromHour || h > newest {
				continue
			}
			t := time.Unix(h*3600, 0).In(kst)
			d := int(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, kst).Sub(first).Hours()/24 + 0.5)
			if d >= 0 && d < 30 {
				row.Days[d] += n
			}
			wd := (int(t.Weekday()) + 6) % 7
			w.Week[wd][t.Hour()] += n
			row.Total += n
		}
		for _, n := range row.Days {
			row.Max = max(row.Max, n)
		}
		if row.Total > 0 {
			w.Systems = append(w.Systems, row)
		}
	}
	for d := range w.Week {
		for h := range w.Week[d] {
			w.WeekMax = max(w.WeekMax, w.Week[d][h])
		}
	}
	return w, nil
}

var kst = time.FixedZone("KST", 9*3600)
