package breach

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// KST is Korea Standard Time, in which days are counted.
var KST = time.FixedZone("KST", 9*3600)

// Options adjust impact analysis. The zero value is usable.
type Options struct {
	// Declared lists, by system, the types of personal information the
	// system holds (pii-types.md names), for when the records themselves
	// carry no counts: every affected subject of such a system may have
	// had all of them exposed.
	Declared map[string][]string
	// Names gives systems' display names (from the directory).
	Names map[string]string
	// Location is where days begin; nil means KST.
	Location *time.Location
	// IncludeFailed counts the subjects of denied and failed accesses too
	// (result.status denied or error), which by default exposed nothing
	// and are only counted in Report.Failed.
	IncludeFailed bool
}

// Report is the impact of a breach scope. Its JSON form is what
// `jikimi breach impact --json` prints.
//
// Subjects counts distinct data subjects: the union of the records' subject
// sets, plus, for every record whose list of subjects was truncated by its
// source, the subjects it processed but did not list. Those cannot be told
// apart from the listed ones, so the count is then an upper bound — the
// safe side for deciding whether the 1,000-subject threshold is crossed —
// and NeedsEnumeration names the records whose source must enumerate them.
type Report struct {
	Scope    Scope `json:"scope"`
	Subjects int64 `json:"subjects"`
	Listed   int64 `json:"listed"`   // distinct identifiable subjects (the union)
	Unlisted int64 `json:"unlisted"` // processed but not listed, summed over truncated records
	Records  int64 `json:"records"`
	// Failed counts the records in scope that were denied or failed and
	// so left out (see Options.IncludeFailed).
	Failed  int64            `json:"failed"`
	Systems []SystemImpact   `json:"systems"`
	PII     map[string]int64 `json:"pii"` // summed counts from the records
	// PIIDeclared counts, by type, the subjects of systems that declare
	// the type (Options.Declared).
	PIIDeclared      map[string]int64 `json:"pii_declared,omitempty"`
	First            time.Time        `json:"first,omitzero"`
	Last             time.Time        `json:"last,omitzero"`
	ByDay            []DayImpact      `json:"by_day"`
	NeedsEnumeration []Enumeration    `json:"needs_enumeration"`

	// Set is the union of the records' subject numbers: who can be named.
	Set *roaring.Bitmap `json:"-"`
}

// SystemImpact is the part of a report that concerns one system.
type SystemImpact struct {
	System   string   `json:"system"`
	Name     string   `json:"name,omitempty"`
	Records  int64    `json:"records"`
	Subjects int64    `json:"subjects"`
	Listed   int64    `json:"listed"`
	Unlisted int64    `json:"unlisted"`
	PII      []string `json:"pii"` // types seen in the records or declared
}

// DayImpact is the part of a report that concerns one day.
type DayImpact struct {
	Day      string `json:"day"` // YYYY-MM-DD in Options.Location
	Records  int64  `json:"records"`
	Subjects int64  `json:"subjects"`
}

// Enumeration names a record whose subjects the source system must list:
// it processed SubjectCount subjects but listed only Listed.
type Enumeration struct {
	System       string `json:"system"`
	Record       string `json:"record"`
	SubjectCount int64  `json:"subject_count"`
	Listed       int64  `json:"listed"`
}

// UniqueIDTypes are the pii-types.md names of unique identifying
// information (고유식별정보, PIPA art. 24 and its enforcement decree
// art. 19): resident registration, foreigner registration, passport and
// driver's licence numbers. Any of them leaked makes the report to the
// regulator mandatory whatever the number of subjects (enforcement decree
// art. 39(1)2).
var UniqueIDTypes = []string{"rrn", "frn", "passport", "driver_license"}

// UniqueIDs returns the unique identifying types the report involves,
// from the records' counts or the systems' declared contents.
func (r *Report) UniqueIDs() []string {
	var out []string
	for _, t := range UniqueIDTypes {
		if r.PII[t] > 0 || r.PIIDeclared[t] > 0 {
			out = append(out, t)
		}
	}
	return out
}

// PIITypes returns every type of personal information involved, sorted.
func (r *Report) PIITypes() []string {
	set := map[string]bool{}
	for t, n := range r.PII {
		if n > 0 {
			set[t] = true
		}
	}
	for t, n := range r.PIIDeclared {
		if n > 0 {
			set[t] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// group accumulates the subject sets of a system or a day.
type group struct {
	sets     []*roaring.Bitmap
	records  int64
	unlisted int64
	pii      map[string]bool
}

func (g *group) add(row *Row) {
	g.records++
	if row.Subjects != nil && !row.Subjects.IsEmpty() {
		g.sets = append(g.sets, row.Subjects)
	}
	if row.Truncated() {
		g.unlisted += row.SubjectCount - row.Listed
	}
}

// Impact computes which records and data subjects the scope q involves.
// It resolves an alert scope first (see Resolve). Impact only reads.
func Impact(ctx context.Context, st Store, q Scope, opts *Options) (*Report, error) {
	if opts == nil {
		opts = &Options{}
	}
	loc := opts.Location
	if loc == nil {
		loc = KST
	}
	q, err := Resolve(ctx, st, q)
	if err != nil {
		return nil, err
	}
	rep := &Report{Scope: q, PII: map[string]int64{}, ByDay: []DayImpact{}, NeedsEnumeration: []Enumeration{}, Systems: []SystemImpact{}}
	var all []*roaring.Bitmap
	systems := map[string]*group{}
	days := map[string]*group{}
	var dayOrder []string
	err = st.ImpactRows(ctx, q.Query(), q.Filter(), func(row *Row) error {
		if row.Failed() && !opts.IncludeFailed {
			rep.Failed++
			return nil
		}
		rep.Records++
		if rep.First.IsZero() || row.Time.Before(rep.First) {
			rep.First = row.Time
		}
		if row.Time.After(rep.Last) {
			rep.Last = row.Time
		}
		if row.Subjects != nil && !row.Subjects.IsEmpty() {
			all = append(all, row.Subjects)
		}
		if row.Truncated() {
			rep.Unlisted += row.SubjectCount - row.Listed
			rep.NeedsEnumeration = append(rep.NeedsEnumeration, Enumeration{System: row.System, Record: row.ID, SubjectCount: row.SubjectCount, Listed: row.Listed})
		}
		sg := systems[row.System]
		if sg == nil {
			sg = &group{pii: map[string]bool{}}
			systems[row.System] = sg
		}
		sg.add(row)
		for t, n := range row.PII {
			rep.PII[t] += n
			if n > 0 {
				sg.pii[t] = true
			}
		}
		day := row.Time.In(loc).Format(time.DateOnly)
		dg := days[day]
		if dg == nil {
			dg = &group{}
			days[day] = dg
			dayOrder = append(dayOrder, day)
		}
		dg.add(row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Set = Union(all)
	rep.Listed = int64(rep.Set.GetCardinality())
	rep.Subjects = rep.Listed + rep.Unlisted
	for _, name := range slices.Sorted(maps.Keys(systems)) {
		g := systems[name]
		set := Union(g.sets)
		listed := int64(set.GetCardinality())
		for _, t := range opts.Declared[name] {
			g.pii[t] = true
			if rep.PIIDeclared == nil {
				rep.PIIDeclared = map[string]int64{}
			}
			rep.PIIDeclared[t] += listed + g.unlisted
		}
		rep.Systems = append(rep.Systems, SystemImpact{
			System: name, Name: opts.Names[name], Records: g.records,
			Subjects: listed + g.unlisted, Listed: listed, Unlisted: g.unlisted,
			PII: slices.Sorted(maps.Keys(g.pii)),
		})
	}
	slices.Sort(dayOrder)
	for _, day := range dayOrder {
		g := days[day]
		n := int64(Union(g.sets).GetCardinality())
		rep.ByDay = append(rep.ByDay, DayImpact{Day: day, Records: g.records, Subjects: n + g.unlisted})
	}
	slices.SortFunc(rep.NeedsEnumeration, func(a, b Enumeration) int {
		return cmp.Or(cmp.Compare(a.System, b.System), cmp.Compare(a.Record, b.Record))
	})
	return rep, nil
}
