package detect

import (
	"testing"
	"time"
)

// The wording of counts, sizes and times, including cases the demo and
// normal months (TestAlertsGolden) do not reach.

func TestCounts(t *testing.T) {
	for _, c := range []struct {
		n      int64
		ko, en string
	}{
		{0, "0", "0"},
		{999, "999", "999"},
		{1000, "1,000", "1,000"},
		{9999, "9,999", "9,999"},
		{10000, "1만", "10,000"},
		{12345, "1.2만", "12,345"},
		{999999, "100만", "999,999"},
		{1000000, "100만", "1 million"},
		{35000000, "3,500만", "35 million"},
		{99999999, "10,000만", "100 million"},
		{100000000, "1억", "100 million"},
		{123456789, "1.2억", "123.5 million"},
		{-1234, "-1,234", "-1,234"},
		{-9223372036854775808, "-9,223,372,036,854,775,808", "-9,223,372,036,854,775,808"},
	} {
		if got := koCount(c.n); got != c.ko {
			t.Errorf("koCount(%d)=%q, want %q", c.n, got, c.ko)
		}
		if got := enCount(c.n); got != c.en {
			t.Errorf("enCount(%d)=%q, want %q", c.n, got, c.en)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1 KB"},
		{1536, "1.5 KB"},
		{1048576, "1 MB"},
		{5 << 30, "5 GB"},
		{1 << 50, "1 PB"},
		{1 << 62, "4096 PB"},
	} {
		if got := humanBytes(c.n); got != c.want {
			t.Errorf("humanBytes(%d)=%q, want %q", c.n, got, c.want)
		}
	}
}

func TestSpans(t *testing.T) {
	for _, c := range []struct {
		from, to          string
		ko, en            string
		fromKo, fromEnKST string
	}{
		{"2025-09-24T20:40:00+09:00", "2025-09-24T21:05:59+09:00", "9월 24일 20:40–21:05", "Sep 24 20:40–21:05 KST", "9월 24일 20:40", "Sep 24 20:40 KST"},
		{"2025-09-30T23:59:00+09:00", "2025-10-01T00:01:00+09:00", "9월 30일 23:59–10월 1일 00:01", "Sep 30 23:59–Oct 1 00:01 KST", "9월 30일 23:59", "Sep 30 23:59 KST"},
		// Judged in Korea whatever the record's offset.
		{"2025-12-31T14:59:00Z", "2025-12-31T15:00:00Z", "12월 31일 23:59–1월 1일 00:00", "Dec 31 23:59–Jan 1 00:00 KST", "12월 31일 23:59", "Dec 31 23:59 KST"},
		// The same day of another year.
		{"2024-09-24T08:00:00+09:00", "2025-09-24T09:00:00+09:00", "9월 24일 08:00–9월 24일 09:00", "Sep 24 08:00–Sep 24 09:00 KST", "9월 24일 08:00", "Sep 24 08:00 KST"},
	} {
		from, to := kstOf(instant(t, c.from)), kstOf(instant(t, c.to))
		if got := string(appendKoSpan(nil, from, to)); got != c.ko {
			t.Errorf("appendKoSpan(%s, %s)=%q, want %q", c.from, c.to, got, c.ko)
		}
		if got := string(appendEnSpan(nil, from, to)); got != c.en {
			t.Errorf("appendEnSpan(%s, %s)=%q, want %q", c.from, c.to, got, c.en)
		}
		if got := string(from.appendKo(nil)); got != c.fromKo {
			t.Errorf("appendKo(%s)=%q, want %q", c.from, got, c.fromKo)
		}
		if got := string(from.appendEn(nil)) + " KST"; got != c.fromEnKST {
			t.Errorf("appendEn(%s)=%q, want %q", c.from, got, c.fromEnKST)
		}
	}
}

func TestAmounts(t *testing.T) {
	for _, c := range []struct {
		field, ko, en string
		distinct      bool
	}{
		{"result.rows", "1.2만행", "12,346 rows", false},
		{"result.bytes", "12.1 KB", "12.1 KB", false},
		{"subjects", "정보주체 1.2만명", "12,346 data subjects", false},
		{"subject_count", "정보주체 1.2만명", "12,346 data subjects", false},
		{"", "1.2만건", "12,346 records", false},
		{"pii.rrn", "1.2만", "12,346", false},
		{"subjects", "서로 다른 정보주체 1.2만명", "12,346 distinct data subjects", true},
		{"actor.id", "서로 다른 계정 1.2만개", "12,346 distinct accounts", true},
		{"origin.ip", "서로 다른 origin.ip 값 1.2만개", "12,346 distinct values of origin.ip", true},
	} {
		measure := appendAmount
		if c.distinct {
			measure = appendDistinct
		}
		k, g := measure(nil, nil, c.field, 12345.6)
		if string(k) != c.ko || string(g) != c.en {
			t.Errorf("%s (distinct %v): %q, %q; want %q, %q", c.field, c.distinct, k, g, c.ko, c.en)
		}
	}
}

func TestDurations(t *testing.T) {
	for _, c := range []struct {
		d      time.Duration
		ko, en string
	}{
		{30 * time.Minute, "30분", "30 min"},
		{time.Hour, "1시간", "1 hour"},
		{6 * time.Hour, "6시간", "6 hours"},
		{24 * time.Hour, "1일", "1 day"},
		{30 * 24 * time.Hour, "30일", "30 days"},
		{90 * time.Minute, "90분", "90 min"},
	} {
		if ko, en := koDuration(c.d), enDuration(c.d); ko != c.ko || en != c.en {
			t.Errorf("%v: %q, %q; want %q, %q", c.d, ko, en, c.ko, c.en)
		}
	}
}

func instant(tb testing.TB, s string) int64 {
	tb.Helper()
	x, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return x.UnixNano()
}
