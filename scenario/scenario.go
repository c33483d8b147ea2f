// Package scenario generates a realistic organisation that processes
// personal information — staff in departments, customers, a customer API,
// a nightly batch, femtocells, a privileged-access system, subscriber
// authentication servers — with a month of normal access records and
// replays of the incidents jikimi must catch (shared/DESIGN.md, "Why it
// exists"). The same seed always gives the same data set, so it feeds the
// detection tests, the benchmarks and `jikimi demo`.
//
// Normal traffic and incidents come from separate random streams: a data
// set with incidents holds exactly the normal month's records plus the
// incidents' (minus the records a silenced source would have sent), so the
// normal month is the control group of every detection test.
package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/record"
)

// KST is the offset every generated record carries.
var KST = time.FixedZone("KST", 9*60*60)

// Defaults applied by Generate to a zero Config field.
const (
	DefaultSeed      = 20250922
	DefaultDays      = 30
	DefaultStaff     = 300
	DefaultCustomers = 100_000
)

// DefaultStart is the first day of the demo month: Monday 22 September 2025,
// so the month holds 개천절, the 추석 holidays with their substitute day and
// 한글날 — the holidays a detector must not mistake for misuse.
var DefaultStart = time.Date(2025, 9, 22, 0, 0, 0, 0, KST)

// Config sets what is generated. The zero value gives the demo month.
type Config struct {
	Seed      uint64
	Start     time.Time // first day (midnight, Korea time)
	Days      int
	Staff     int
	Customers int
	// Normal leaves the incidents out: the normal month, for measuring
	// false alerts.
	Normal bool
	// APIShare scales the customer API's traffic (1 = about 1,500 logins a
	// day); 0 means 1.
	APIShare float64
}

// Incident is one replayed incident with its ground truth.
type Incident struct {
	Name      string    `json:"name"`
	Title     string    `json:"title"` // Korean
	Rules     []string  `json:"rules"` // rules that must catch it
	Start     time.Time `json:"start"`
	RecordIDs []string  `json:"record_ids"`
	// AffectedSubjects are the data subjects whose information the
	// incident exposed (ground truth for breach impact); nonexistent
	// identities are left out.
	AffectedSubjects []string `json:"affected_subjects"`
}

// Dataset is a generated organisation and its month.
type Dataset struct {
	Config Config
	// Directory holds JSON lines of kinds person, key, device and system
	// (shared/schema/access-record.md).
	Directory [][]byte
	// Records are in time order, ids set.
	Records   []record.Record
	Incidents []Incident
	// Watchlist maps watch-listed subjects (as in records, before
	// pseudonymisation) to a label.
	Watchlist map[string]string
	// ActiveStaff counts the people who acted during the month.
	ActiveStaff int
}

// WriteJSONL writes the records as canonical JSON lines, ready for
// `jikimi ingest`.
func (d *Dataset) WriteJSONL(w io.Writer) error {
	buf := make([]byte, 0, 1<<16)
	for i := range d.Records {
		buf = d.Records[i].AppendCanonical(buf)
		buf = append(buf, '\n')
		if len(buf) > 1<<15 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	_, err := w.Write(buf)
	return err
}

// WriteDirectory writes the directory's JSON lines, ready for
// `jikimi directory import`.
func (d *Dataset) WriteDirectory(w io.Writer) error {
	for _, l := range d.Directory {
		if _, err := w.Write(append(slices.Clip(l), '\n')); err != nil {
			return err
		}
	}
	return nil
}

// LoadDirectory imports the data set's directory.
func (d *Dataset) LoadDirectory() (*directory.Directory, error) {
	var b bytes.Buffer
	if err := d.WriteDirectory(&b); err != nil {
		return nil, err
	}
	dir := directory.New()
	if _, err := dir.Import(&b, "scenario"); err != nil {
		return nil, err
	}
	return dir, nil
}

// Incident returns the incident named name, or nil.
func (d *Dataset) Incident(name string) *Incident {
	for i := range d.Incidents {
		if d.Incidents[i].Name == name {
			return &d.Incidents[i]
		}
	}
	return nil
}

func dirLine(kind string, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("scenario: marshal %s: %v", kind, err)) // static types: cannot fail
	}
	return append([]byte(`{"kind":"`+kind+`",`), b[1:]...)
}

// Generate builds the data set for cfg.
func Generate(cfg Config) *Dataset {
	if cfg.Seed == 0 {
		cfg.Seed = DefaultSeed
	}
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart
	}
	cfg.Start = time.Date(cfg.Start.Year(), cfg.Start.Month(), cfg.Start.Day(), 0, 0, 0, 0, KST)
	if cfg.Days == 0 {
		cfg.Days = DefaultDays
	}
	if cfg.Staff == 0 {
		cfg.Staff = DefaultStaff
	}
	if cfg.Staff < 40 {
		cfg.Staff = 40
	}
	if cfg.Customers == 0 {
		cfg.Customers = DefaultCustomers
	}
	if cfg.Customers < 5000 {
		cfg.Customers = 5000
	}
	if cfg.APIShare == 0 {
		cfg.APIShare = 1
	}
	g := newGen(cfg)
	g.organisation()
	g.normalMonth()
	if !cfg.Normal {
		g.incidents()
	}
	return g.finish()
}

// finish sorts records by time, drops what silenced sources would not have
// sent, and collects the data set.
func (g *gen) finish() *Dataset {
	recs := g.recs[:0]
	for _, r := range g.recs {
		if g.silenced(r) {
			continue
		}
		recs = append(recs, r)
	}
	slices.SortFunc(recs, func(a, b record.Record) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	active := map[string]bool{}
	for i := range recs {
		if p := g.people[recs[i].Actor.ID]; p != nil && p.kind != "service" {
			active[p.ID] = true
		}
	}
	for i := range g.incs {
		slices.Sort(g.incs[i].AffectedSubjects)
		g.incs[i].AffectedSubjects = slices.Compact(g.incs[i].AffectedSubjects)
	}
	return &Dataset{Config: g.cfg, Directory: g.dir, Records: recs, Incidents: g.incs, Watchlist: g.watch, ActiveStaff: len(active)}
}
