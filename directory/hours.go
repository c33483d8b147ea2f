package directory

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// WorkHours is a weekly working pattern such as "Mon-Fri 08:00-19:00".
// Several patterns may be joined with ";" or ",", e.g.
// "Mon-Fri 09:00-18:00; Sat 09:00-13:00". A range whose end is before its
// start runs past midnight ("Mon-Sun 22:00-06:00" for a night shift).
// Times are read in the record's own offset, which is local time in Korea.
type WorkHours struct {
	set   bool
	spans []span
}

type span struct {
	days       [7]bool // by time.Weekday
	start, end int     // minutes since midnight
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseWorkHours parses a working-hours pattern; "" means no restriction.
func ParseWorkHours(s string) (WorkHours, error) {
	var w WorkHours
	s = strings.TrimSpace(s)
	if s == "" {
		return w, nil
	}
	for part := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ';' || r == ',' }) {
		fields := strings.Fields(part)
		if len(fields) != 2 {
			return w, fmt.Errorf("%q: want DAYS HH:MM-HH:MM, e.g. \"Mon-Fri 08:00-19:00\"", part)
		}
		var sp span
		from, to, isRange := strings.Cut(strings.ToLower(fields[0]), "-")
		d1, ok1 := weekdays[from]
		d2, ok2 := d1, true
		if isRange {
			d2, ok2 = weekdays[to]
		}
		if !ok1 || !ok2 {
			return w, fmt.Errorf("%q: unknown day (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)", fields[0])
		}
		for d := d1; ; d = (d + 1) % 7 {
			sp.days[d] = true
			if d == d2 {
				break
			}
		}
		a, b, ok := strings.Cut(fields[1], "-")
		var err error
		if sp.start, err = minutes(a); ok && err == nil {
			sp.end, err = minutes(b)
		}
		if !ok || err != nil {
			return w, fmt.Errorf("%q: want HH:MM-HH:MM", fields[1])
		}
		w.spans = append(w.spans, sp)
	}
	w.set = true
	return w, nil
}

func minutes(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return hh*60 + mm, nil
}

// Contains reports whether t falls within the working hours; with no
// pattern set it is always true.
func (w WorkHours) Contains(t time.Time) bool {
	if !w.set {
		return true
	}
	m := t.Hour()*60 + t.Minute()
	day := t.Weekday()
	for _, sp := range w.spans {
		if sp.start <= sp.end {
			if sp.days[day] && m >= sp.start && m < sp.end {
				return true
			}
			continue
		}
		// Past midnight: the evening part belongs to day, the morning part
		// to the day before.
		if sp.days[day] && m >= sp.start || sp.days[(day+6)%7] && m < sp.end {
			return true
		}
	}
	return false
}

// ParseDuration reads durations as people write them in a directory or a
// configuration file: Go's forms ("90m", "1h30m") plus days, weeks, months
// and years ("2d", "1w", "6mo", "2y"; a month is 30 days, a year 365).
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"mo", 30 * 24 * time.Hour}, {"y", 365 * 24 * time.Hour}, {"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil || v < 0 {
				return 0, fmt.Errorf("bad duration %q", s)
			}
			return time.Duration(v * float64(u.unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration %q (e.g. 90m, 1h, 2d, 1w, 6mo, 2y)", s)
	}
	return d, nil
}
