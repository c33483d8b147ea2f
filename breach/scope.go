package breach

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/subject"
)

// Scope says which records a breach involves: every record that matches all
// of its non-empty fields. Actor, System, IP and the time window are
// indexed by the store; KeyID, Device and Session are read from the
// records' canonical bytes after the indexed conditions have narrowed the
// search. Alert names an alert whose evidence records are the scope;
// Records holds their ids once resolved (see Resolve), so that a stored
// scope — and the legal hold built from it — no longer depends on the
// alert.
type Scope struct {
	Actor   string    `json:"actor,omitempty"`
	IP      string    `json:"ip,omitempty"`
	KeyID   string    `json:"key_id,omitempty"`
	Device  string    `json:"device,omitempty"`
	Session string    `json:"session,omitempty"`
	System  string    `json:"system,omitempty"`
	From    time.Time `json:"from,omitzero"` // inclusive
	To      time.Time `json:"to,omitzero"`   // exclusive
	Alert   string    `json:"alert,omitempty"`
	Records []string  `json:"records,omitempty"`
	// AlertTruncated is set when the alert counted more evidence records
	// than it keeps (alert.MaxRecords): the scope then misses some.
	AlertTruncated bool `json:"alert_truncated,omitempty"`
}

// ErrEmptyScope is returned for a scope with no condition at all: "every
// record ever stored" is never what an operator means by a breach.
var ErrEmptyScope = errors.New("breach scope: give at least one of actor, ip, key id, device, session, system, a time window or an alert")

// Empty reports whether s has no condition.
func (s Scope) Empty() bool {
	return s.Actor == "" && s.IP == "" && s.KeyID == "" && s.Device == "" && s.Session == "" &&
		s.System == "" && s.From.IsZero() && s.To.IsZero() && s.Alert == "" && len(s.Records) == 0
}

// Query returns the indexed part of s as a store query.
func (s Scope) Query() store.Query {
	return store.Query{Actor: s.Actor, System: s.System, IP: s.IP, From: s.From, To: s.To}
}

// Filter returns the part of s the store must read from canonical bytes.
func (s Scope) Filter() Filter {
	return Filter{KeyID: s.KeyID, Device: s.Device, Session: s.Session, IDs: s.Records}
}

// Filter holds the conditions of a scope that are not indexed. Zero fields
// do not filter.
type Filter struct {
	KeyID   string   // auth.key_id
	Device  string   // origin.device
	Session string   // auth.session
	IDs     []string // record ids; nil: any record
}

// Row is what impact analysis needs of one record.
type Row struct {
	ID           string
	Time         time.Time
	System       string
	Actor        string
	SubjectCount int64 // subject_count as stored (at least the listed subjects)
	Listed       int64 // identifiers listed in the record's subjects
	// Subjects are the dense subject numbers of the listed identifiers. The
	// bitmap belongs to the callee: fn may keep it.
	Subjects *roaring.Bitmap
	PII      map[string]int64 // nil when the record has no counts
	Status   string           // result.status; empty means ok
}

// Failed reports whether the access was denied or failed: it exposed
// nothing, so its subjects are not affected.
func (r *Row) Failed() bool { return r.Status != "" && r.Status != "ok" }

// Truncated reports whether the source listed fewer subjects than it
// processed, so that only the source system can enumerate the rest.
func (r *Row) Truncated() bool { return r.SubjectCount > r.Listed }

// Store is what impact analysis reads. store/sqlite implements it.
type Store interface {
	// ImpactRows calls fn for each record that matches q (Limit ignored)
	// and f, oldest first. An actor, system or address never stored
	// matches nothing. It stops at fn's first error and returns it.
	ImpactRows(ctx context.Context, q store.Query, f Filter, fn func(*Row) error) error
	// Alerts returns alerts matching q (see store.Store).
	Alerts(ctx context.Context, q store.AlertQuery) ([]alert.Alert, error)
}

// SealedSource opens the way back from subject numbers to identifiers
// (store/sqlite's DB.SealedSubjects): fn gets each number's pseudonym and
// sealed identifier, which only the subject key opens.
type SealedSource interface {
	SealedSubjects(ctx context.Context, nums []uint32, fn func(num uint32, p subject.Pseudonym, sealed []byte) error) error
}

// Resolve checks s and, when it names an alert, fills Records with the
// alert's evidence record ids. It returns ErrEmptyScope for an empty scope
// and store.ErrNotFound (wrapped) for an unknown alert.
func Resolve(ctx context.Context, st Store, s Scope) (Scope, error) {
	if s.Empty() {
		return s, ErrEmptyScope
	}
	if !s.From.IsZero() && !s.To.IsZero() && !s.From.Before(s.To) {
		return s, fmt.Errorf("breach scope: from %s is not before to %s", s.From.Format(time.RFC3339), s.To.Format(time.RFC3339))
	}
	if s.Alert == "" || len(s.Records) > 0 {
		return s, nil
	}
	alerts, err := st.Alerts(ctx, store.AlertQuery{})
	if err != nil {
		return s, fmt.Errorf("find alert %s: %w", s.Alert, err)
	}
	for _, a := range alerts {
		if a.ID != s.Alert {
			continue
		}
		s.Records = slices.Clone(a.Records)
		s.AlertTruncated = a.RecordCount > len(a.Records)
		if len(s.Records) == 0 {
			return s, fmt.Errorf("alert %s has no evidence records", s.Alert)
		}
		return s, nil
	}
	return s, fmt.Errorf("alert %q: %w", s.Alert, store.ErrNotFound)
}

// Hold is a legal hold: the records of an incident's scope must not be
// deleted while it stands (DESIGN.md: "a legal hold blocks deletion").
// Opening an incident places one. From and To repeat the scope's window
// (zero: unbounded), so that retention can skip whole periods a hold
// cannot touch without reading them.
type Hold struct {
	Incident int64     `json:"incident"`
	Scope    Scope     `json:"scope"`
	From     time.Time `json:"from,omitzero"`
	To       time.Time `json:"to,omitzero"`
	PlacedAt time.Time `json:"placed_at"`
}

// Covered reports whether the hold h covers the stored record r, which
// retention must then keep. It is what `jikimi retention` consults before
// deleting a record: a record is covered when it matches every condition
// of the hold's scope. A record whose canonical bytes cannot be read is
// covered: when in doubt, keep the evidence.
func Covered(h Hold, r store.Stored) bool {
	s := h.Scope
	if !h.From.IsZero() && r.Time.Before(h.From) || !h.To.IsZero() && !r.Time.Before(h.To) {
		return false
	}
	if s.Actor != "" && r.Actor != s.Actor || s.System != "" && r.System != s.System {
		return false
	}
	if len(s.Records) > 0 && !slices.Contains(s.Records, r.ID) {
		return false
	}
	if s.IP == "" && s.KeyID == "" && s.Device == "" && s.Session == "" {
		return true
	}
	rec, err := record.Parse(r.Canonical)
	if err != nil {
		return true
	}
	return (s.IP == "" || rec.Origin.IP == s.IP) && (s.KeyID == "" || rec.Auth.KeyID == s.KeyID) &&
		(s.Device == "" || rec.Origin.Device == s.Device) && (s.Session == "" || rec.Auth.Session == s.Session)
}

// HoldFor returns the hold that opening incident inc places.
func HoldFor(inc *Incident) Hold {
	return Hold{Incident: inc.ID, Scope: inc.Scope, From: inc.Scope.From, To: inc.Scope.To, PlacedAt: inc.OpenedAt}
}
