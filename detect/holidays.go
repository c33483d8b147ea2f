package detect

import (
	"slices"
	"sort"
	"time"
)

// Korean public holidays (공휴일) 2011–2030, as the Regulation on Holidays
// of Government Offices (관공서의 공휴일에 관한 규정, Presidential Decree)
// defines them: fixed national days, the lunar holidays, substitute
// holidays (대체공휴일, Art. 3: from 2014 for 설날, 추석 and 어린이날; from
// August 2021 for 3·1절, 광복절, 개천절 and 한글날; from May 2023 for
// 부처님오신날 and 성탄절), election days and the temporary holidays
// declared so far. The solar dates of the lunar holidays follow the lunar
// calendar the Korea Astronomy and Space Science Institute (KASI,
// 한국천문연구원) publishes; they were transcribed by hand, and
// TestKoreanHolidays checks them and the substitute rules against holidays
// as they were observed — re-check the table against KASI when extending
// it. Temporary holidays not yet declared cannot be known in advance;
// Options.Holidays overrides this table.

// lunar holds, per year, the solar dates (month, day) of 설날, 부처님오신날
// and 추석 (the day itself; 설날 and 추석 add the day before and after).
var lunar = map[int][3][2]int{
	2011: {{2, 3}, {5, 10}, {9, 12}}, 2012: {{1, 23}, {5, 28}, {9, 30}}, 2013: {{2, 10}, {5, 17}, {9, 19}},
	2014: {{1, 31}, {5, 6}, {9, 8}}, 2015: {{2, 19}, {5, 25}, {9, 27}}, 2016: {{2, 8}, {5, 14}, {9, 15}},
	2017: {{1, 28}, {5, 3}, {10, 4}}, 2018: {{2, 16}, {5, 22}, {9, 24}}, 2019: {{2, 5}, {5, 12}, {9, 13}},
	2020: {{1, 25}, {4, 30}, {10, 1}}, 2021: {{2, 12}, {5, 19}, {9, 21}}, 2022: {{2, 1}, {5, 8}, {9, 10}},
	2023: {{1, 22}, {5, 27}, {9, 29}}, 2024: {{2, 10}, {5, 15}, {9, 17}}, 2025: {{1, 29}, {5, 5}, {10, 6}},
	2026: {{2, 17}, {5, 24}, {9, 25}}, 2027: {{2, 7}, {5, 13}, {9, 15}}, 2028: {{1, 27}, {5, 2}, {10, 3}},
	2029: {{2, 13}, {5, 20}, {9, 22}}, 2030: {{2, 3}, {5, 9}, {9, 12}},
}

// declared are election days and temporary holidays (임시공휴일).
var declared = []string{
	"2012-04-11", "2012-12-19", "2014-06-04", "2015-08-14", "2016-04-13", "2016-05-06", "2017-05-09",
	"2017-10-02", "2018-06-13", "2020-04-15", "2020-08-17", "2022-03-09", "2022-06-01", "2023-10-02",
	"2024-04-10", "2024-10-01", "2025-01-27", "2025-06-03", "2026-06-03", "2028-04-12", "2030-06-05",
}

type ymd struct {
	y int
	m time.Month
	d int
}

var holidaySet = buildHolidays()

func buildHolidays() map[ymd]bool {
	set := map[ymd]bool{}
	day := func(t time.Time) ymd { return ymd{t.Year(), t.Month(), t.Day()} }
	date := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	for _, s := range declared {
		t, _ := time.Parse(time.DateOnly, s)
		set[day(t)] = true
	}
	type group struct {
		days       []time.Time
		subst      bool
		onSaturday bool // a Saturday also earns a substitute
	}
	for y := 2011; y <= 2030; y++ {
		var gs []group
		fixed := func(m, d int, substFrom time.Time) {
			t := date(y, m, d)
			gs = append(gs, group{days: []time.Time{t}, subst: !t.Before(substFrom), onSaturday: true})
		}
		never := date(9999, 1, 1)
		fixed(1, 1, never)
		fixed(3, 1, date(2022, 1, 1))
		fixed(5, 5, date(2014, 1, 1))
		fixed(6, 6, never)
		fixed(8, 15, date(2021, 8, 1))
		fixed(10, 3, date(2021, 8, 1))
		if y >= 2013 {
			fixed(10, 9, date(2021, 8, 1))
		}
		fixed(12, 25, date(2023, 5, 1))
		l := lunar[y]
		three := func(m, d int) []time.Time {
			t := date(y, m, d)
			return []time.Time{t.AddDate(0, 0, -1), t, t.AddDate(0, 0, 1)}
		}
		gs = append(gs, group{days: three(l[0][0], l[0][1]), subst: y >= 2014})
		b := date(y, l[1][0], l[1][1])
		gs = append(gs, group{days: []time.Time{b}, subst: !b.Before(date(2023, 5, 1)), onSaturday: true})
		gs = append(gs, group{days: three(l[2][0], l[2][1]), subst: y >= 2014})
		count := map[ymd]int{}
		for _, g := range gs {
			for _, t := range g.days {
				set[day(t)] = true
				count[day(t)]++
			}
		}
		for _, s := range declared {
			t, _ := time.Parse(time.DateOnly, s)
			count[day(t)]++
		}
		// Substitutes, in date order so that one substitute does not land on
		// another.
		sort.SliceStable(gs, func(i, j int) bool { return gs[i].days[0].Before(gs[j].days[0]) })
		for _, g := range gs {
			if !g.subst {
				continue
			}
			need := 0
			for _, t := range g.days {
				wd := t.Weekday()
				if wd == time.Sunday || g.onSaturday && wd == time.Saturday || count[day(t)] > 1 {
					need++
				}
			}
			t := g.days[len(g.days)-1]
			for need > 0 {
				t = t.AddDate(0, 0, 1)
				if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday || set[day(t)] {
					continue
				}
				set[day(t)] = true
				need--
			}
		}
	}
	return set
}

// KoreanHoliday reports whether t (read in Korea time) falls on a Korean
// public holiday. Weekends are not holidays here: see time.weekend.
func KoreanHoliday(t time.Time) bool {
	k := t.In(kst)
	return holidaySet[ymd{k.Year(), k.Month(), k.Day()}]
}

func sorted(ss []string) []string { slices.Sort(ss); return ss }
