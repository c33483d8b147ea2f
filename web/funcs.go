package web

import (
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"maps"
	"slices"
	"time"

	"github.com/jikimi/jikimi/pii"
	"github.com/jikimi/jikimi/report"
)

var funcs = template.FuncMap{
	"t": tr,
	"kst": func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(kst).Format("2006-01-02 15:04:05")
	},
	"kstMin": func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(kst).Format("2006-01-02 15:04")
	},
	"mmdd": func(t time.Time) string { return t.In(kst).Format("01/02") },
	"wday": func(lang string, t time.Time) string {
		return string([]rune(tr(lang, "week"))[(int(t.Weekday())+6)%7])
	},
	"weekday": func(lang string, i int) string { return string([]rune(tr(lang, "week"))[i]) },
	// level buckets n against max into 0–9 for the shading classes.
	"level": func(n, max int64) int {
		if n <= 0 || max <= 0 {
			return 0
		}
		return 1 + int(8*n/max)
	},
	"maskIP": func(ip string) string {
		if ip == "" {
			return ""
		}
		return string(pii.Mask(pii.IP, []byte(ip)))
	},
	"mask":   pii.MaskString,
	"pseudo": shortPseudonym,
	"num":    func(n int64) string { return report.Thousands(n) },
	"inum":   func(n int) string { return report.Thousands(int64(n)) },
	"add":    func(a, b int) int { return a + b },
	"sub":    func(a, b int) int { return a - b },
	"status": func(lang, s string) string { return tr(lang, "st_"+s) },
	"role":   func(lang, s string) string { return tr(lang, "role_"+s) },
	"step":   func(lang, s string) string { return tr(lang, "do_"+s) },
	"hours":  func() []int { return hours24 },
	"days7":  func() []int { return []int{0, 1, 2, 3, 4, 5, 6} },
	"pick": func(lang, ko, en string) string {
		if lang == "en" && en != "" {
			return en
		}
		return ko
	},
}

var hours24 = func() []int {
	h := make([]int, 24)
	for i := range h {
		h[i] = i
	}
	return h
}()

// shortPseudonym shows the first 8 hex digits of a subject pseudonym:
// enough to tell two apart on screen, not a stable join key for a screenshot.
func shortPseudonym(p string) string {
	if len(p) > 8 {
		return p[:8] + "…"
	}
	return p
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
