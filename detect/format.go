package detect

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"time"
)

// How summaries write counts, sizes, durations and times, in Korean and
// English. Each appendX writes into a buffer, as summaries are written at
// every emission; X returns it as a string for the rarer wordings.

// cat appends strings to b.
func cat(b []byte, ss ...string) []byte {
	for _, s := range ss {
		b = append(b, s...)
	}
	return b
}

func appendJoined(b []byte, ss []string, sep string) []byte {
	for i, s := range ss {
		if i > 0 {
			b = append(b, sep...)
		}
		b = append(b, s...)
	}
	return b
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func sortedKeys(m map[string]string) [][2]string {
	var out [][2]string
	for k, v := range m {
		out = append(out, [2]string{k, v})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// kstTime is an instant in Korea split into what summaries print.
type kstTime struct {
	year, day, hour, min int
	month                time.Month
}

func kstOf(t int64) kstTime {
	x := time.Unix(0, t).In(kst)
	y, m, d := x.Date()
	h, mi, _ := x.Clock()
	return kstTime{year: y, month: m, day: d, hour: h, min: mi}
}

func (t kstTime) sameDay(u kstTime) bool {
	return t.year == u.year && t.month == u.month && t.day == u.day
}

// appendKo writes "9월 24일 20:40".
func (t kstTime) appendKo(b []byte) []byte {
	b = cat(strconv.AppendInt(b, int64(t.month), 10), "월 ")
	b = cat(strconv.AppendInt(b, int64(t.day), 10), "일 ")
	return t.appendClock(b)
}

// appendEn writes "Sep 24 20:40".
func (t kstTime) appendEn(b []byte) []byte {
	b = cat(b, t.month.String()[:3], " ")
	return t.appendClock(cat(strconv.AppendInt(b, int64(t.day), 10), " "))
}

// appendClock writes "20:40".
func (t kstTime) appendClock(b []byte) []byte {
	return append(b, byte('0'+t.hour/10), byte('0'+t.hour%10), ':', byte('0'+t.min/10), byte('0'+t.min%10))
}

// appendKoSpan writes "9월 24일 20:40–21:15", or both dates when they differ.
func appendKoSpan(b []byte, x, y kstTime) []byte {
	b = cat(x.appendKo(b), "–")
	if x.sameDay(y) {
		return y.appendClock(b)
	}
	return y.appendKo(b)
}

// appendEnSpan writes "Sep 24 20:40–21:15 KST", or both dates when they
// differ.
func appendEnSpan(b []byte, x, y kstTime) []byte {
	b = cat(x.appendEn(b), "–")
	if x.sameDay(y) {
		return cat(y.appendClock(b), " KST")
	}
	return cat(y.appendEn(b), " KST")
}

// koCount writes a count the Korean way: 1,200 / 3,500만 / 1.2억.
func koCount(n int64) string { return string(appendKoCount(nil, n)) }

func appendKoCount(b []byte, n int64) []byte {
	switch {
	case n >= 100_000_000:
		return cat(appendTrimFloat(b, float64(n)/1e8), "억")
	case n >= 1_000_000:
		return cat(appendCommas(b, int64(float64(n)/1e4+0.5)), "만")
	case n >= 10_000:
		return cat(appendTrimFloat(b, float64(n)/1e4), "만")
	}
	return appendCommas(b, n)
}

func enCount(n int64) string { return string(appendEnCount(nil, n)) }

func appendEnCount(b []byte, n int64) []byte {
	switch {
	case n >= 1_000_000_000:
		return cat(appendTrimFloat(b, float64(n)/1e9), " billion")
	case n >= 1_000_000:
		return cat(appendTrimFloat(b, float64(n)/1e6), " million")
	}
	return appendCommas(b, n)
}

// appendTrimFloat writes f with one decimal, without a trailing ".0".
func appendTrimFloat(b []byte, f float64) []byte {
	b = strconv.AppendFloat(b, f, 'f', 1, 64)
	if bytes.HasSuffix(b, []byte(".0")) {
		b = b[:len(b)-2]
	}
	return b
}

// appendCommas writes n with thousands separators.
func appendCommas(b []byte, n int64) []byte {
	u := uint64(n)
	if n < 0 {
		b = append(b, '-')
		u = uint64(-n) // right for math.MinInt64 too
	}
	var d [20]byte
	digits := strconv.AppendUint(d[:0], u, 10)
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, c)
	}
	return b
}

func humanBytes(n int64) string { return string(appendHumanBytes(nil, n)) }

var byteUnits = [...]string{"KB", "MB", "GB", "TB", "PB"}

func appendHumanBytes(b []byte, n int64) []byte {
	const unit = 1024
	if n < unit {
		return cat(strconv.AppendInt(b, n, 10), " B")
	}
	f := float64(n) / unit
	i := 0
	for f >= unit && i < len(byteUnits)-1 {
		f /= unit
		i++
	}
	return cat(appendTrimFloat(b, f), " ", byteUnits[i])
}

// amount renders a measured quantity of a field in both languages.
func amount(field string, v float64) (ko, en string) {
	k, g := appendAmount(nil, nil, field, v)
	return string(k), string(g)
}

// appendAmount writes a measured quantity of a field in Korean to k and
// in English to g.
func appendAmount(k, g []byte, field string, v float64) ([]byte, []byte) {
	n := int64(v + 0.5)
	switch field {
	case "result.rows":
		return cat(appendKoCount(k, n), "행"), cat(appendEnCount(g, n), " rows")
	case "result.bytes":
		return appendHumanBytes(k, n), appendHumanBytes(g, n)
	case "subjects", "subject_count":
		return cat(appendKoCount(cat(k, "정보주체 "), n), "명"), cat(appendEnCount(g, n), " data subjects")
	case "":
		return cat(appendKoCount(k, n), "건"), cat(appendEnCount(g, n), " records")
	}
	return appendKoCount(k, n), appendEnCount(g, n)
}

func koDuration(d time.Duration) string { return string(appendKoDuration(nil, d)) }

// appendKoDuration writes "3일", "1시간" or "30분".
func appendKoDuration(b []byte, d time.Duration) []byte {
	switch {
	case d%(24*time.Hour) == 0:
		return cat(strconv.AppendInt(b, int64(d/(24*time.Hour)), 10), "일")
	case d%time.Hour == 0:
		return cat(strconv.AppendInt(b, int64(d/time.Hour), 10), "시간")
	}
	return cat(strconv.AppendInt(b, int64(d/time.Minute), 10), "분")
}

func enDuration(d time.Duration) string { return string(appendEnDuration(nil, d)) }

// appendEnDuration writes "3 days", "1 hour" or "30 min".
func appendEnDuration(b []byte, d time.Duration) []byte {
	switch {
	case d%(24*time.Hour) == 0:
		n := int(d / (24 * time.Hour))
		return cat(strconv.AppendInt(b, int64(n), 10), " ", plural(n, "day", "days"))
	case d%time.Hour == 0:
		n := int(d / time.Hour)
		return cat(strconv.AppendInt(b, int64(n), 10), " ", plural(n, "hour", "hours"))
	}
	return cat(strconv.AppendInt(b, int64(d/time.Minute), 10), " min")
}
