package breach

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/subject"
)

// Roles that may re-identify data subjects for notification. The console
// issue brings real accounts; until then the actor must be a person in the
// directory holding one of these roles.
var NotifyRoles = []string{"privacy_officer", "cpo"}

// AuditSystem is the system id of jikimi's own access records.
const AuditSystem = "jikimi"

// MaxAuditSubjects is how many identifiers the audit record of a
// re-identification lists (as pseudonyms, like any record's subjects);
// subject_count always holds the full number.
const MaxAuditSubjects = 10_000

// Errors of Notify: the request is refused before anything is revealed.
var (
	ErrNoReason   = errors.New("re-identification needs a stated reason")
	ErrNotAllowed = errors.New("re-identification needs the privacy-officer role")
)

// Notifier re-identifies the subjects of an incident for the notification
// system. Every field is required except Directory's absence, which
// refuses every actor.
type Notifier struct {
	Store     Store
	Sealed    SealedSource
	Keyer     *subject.Keyer
	Directory *directory.Directory
	Options   *Options
	// Audit stores jikimi's own access record of the re-identification
	// through the ingest pipeline. It MUST NOT return before the record is
	// durable: nothing is revealed to the caller otherwise.
	Audit func(ctx context.Context, rec *record.Record) error
}

// Subject is one affected data subject, re-identified.
type Subject struct {
	Identifier string
	Systems    []string
	First      time.Time
	Last       time.Time
	PII        []string
	Records    int
}

// NotificationList is the result of a re-identification.
type NotificationList struct {
	Incident int64
	AuditID  string // id of the audit record of system jikimi
	Subjects []Subject
	// NeedsEnumeration repeats the records whose unlisted subjects the
	// list cannot hold.
	NeedsEnumeration []Enumeration
}

// Allowed reports whether actor may re-identify: an active person in the
// directory holding one of NotifyRoles.
func Allowed(d *directory.Directory, actor string, now time.Time) error {
	if d == nil {
		return fmt.Errorf("%w: no directory", ErrNotAllowed)
	}
	p := d.Person(actor)
	if p == nil {
		return fmt.Errorf("%w: %q is not a person in the directory", ErrNotAllowed, actor)
	}
	if p.Departed(now) || p.Status == "leave" {
		return fmt.Errorf("%w: %q is not active (%s)", ErrNotAllowed, actor, p.Status)
	}
	for _, r := range p.Roles {
		if slices.Contains(NotifyRoles, r) {
			return nil
		}
	}
	return fmt.Errorf("%w: %q has roles %v, needs one of %v", ErrNotAllowed, actor, p.Roles, NotifyRoles)
}

// Notify re-identifies the data subjects an incident affects. The order is
// the promise: check the actor's role and reason, compute the impact,
// reveal the identifiers in memory, store the audit record (system jikimi,
// action export, purpose the reason, subject_count the number revealed,
// target breach-notification/<id>), and only then return the list.
func (n *Notifier) Notify(ctx context.Context, inc *Incident, actor, reason string, now time.Time) (*NotificationList, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, ErrNoReason
	}
	if err := Allowed(n.Directory, actor, now); err != nil {
		return nil, err
	}
	opts := n.Options
	if opts == nil {
		opts = &Options{}
	}
	type acc struct {
		systems map[string]bool
		pii     map[string]bool
		first   time.Time
		last    time.Time
		records int
	}
	subs := map[uint32]*acc{}
	var enum []Enumeration
	err := n.Store.ImpactRows(ctx, inc.Scope.Query(), inc.Scope.Filter(), func(row *Row) error {
		if row.Failed() && !opts.IncludeFailed {
			return nil
		}
		if row.Truncated() {
			enum = append(enum, Enumeration{System: row.System, Record: row.ID, SubjectCount: row.SubjectCount, Listed: row.Listed})
		}
		if row.Subjects == nil {
			return nil
		}
		it := row.Subjects.Iterator()
		for it.HasNext() {
			num := it.Next()
			a := subs[num]
			if a == nil {
				a = &acc{systems: map[string]bool{}, pii: map[string]bool{}, first: row.Time, last: row.Time}
				subs[num] = a
			}
			a.records++
			a.systems[row.System] = true
			for t, c := range row.PII {
				if c > 0 {
					a.pii[t] = true
				}
			}
			for _, t := range opts.Declared[row.System] {
				a.pii[t] = true
			}
			if row.Time.Before(a.first) {
				a.first = row.Time
			}
			if row.Time.After(a.last) {
				a.last = row.Time
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	nums := slices.Sorted(maps.Keys(subs))
	list := &NotificationList{Incident: inc.ID, NeedsEnumeration: enum, Subjects: make([]Subject, 0, len(nums))}
	err = n.Sealed.SealedSubjects(ctx, nums, func(num uint32, p subject.Pseudonym, sealed []byte) error {
		id, err := n.Keyer.Reveal(p, sealed)
		if err != nil {
			return err
		}
		a := subs[num]
		list.Subjects = append(list.Subjects, Subject{
			Identifier: id, Systems: slices.Sorted(maps.Keys(a.systems)), First: a.first, Last: a.last,
			PII: slices.Sorted(maps.Keys(a.pii)), Records: a.records,
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("re-identify: %w", err)
	}
	if len(list.Subjects) != len(nums) {
		return nil, fmt.Errorf("re-identify: %d of %d subject numbers have no sealed identifier", len(nums)-len(list.Subjects), len(nums))
	}
	slices.SortFunc(list.Subjects, func(a, b Subject) int { return strings.Compare(a.Identifier, b.Identifier) })

	rec := AuditRecord(inc, actor, reason, now, list)
	list.AuditID = rec.ID
	if err := n.Audit(ctx, rec); err != nil {
		return nil, fmt.Errorf("record the re-identification (nothing was exported): %w", err)
	}
	return list, nil
}

// AuditRecord is jikimi's own access record of a re-identification.
func AuditRecord(inc *Incident, actor, reason string, now time.Time, list *NotificationList) *record.Record {
	ids := make([]string, 0, min(len(list.Subjects), MaxAuditSubjects))
	for _, s := range list.Subjects[:min(len(list.Subjects), MaxAuditSubjects)] {
		ids = append(ids, s.Identifier)
	}
	n := int64(len(list.Subjects))
	return &record.Record{
		ID:           fmt.Sprintf("jikimi-breach-notify-%d-%d", inc.ID, now.UnixNano()),
		Time:         now,
		System:       AuditSystem,
		Actor:        record.Actor{ID: actor},
		Action:       record.Export,
		Auth:         record.Auth{Method: "none"},
		Target:       record.Target{Object: fmt.Sprintf("breach-notification/%d", inc.ID), Kind: "file"},
		Detail:       fmt.Sprintf("breach notify: incident %d (%s), %d subjects re-identified for notification", inc.ID, inc.Title, n),
		Purpose:      reason,
		Result:       record.Result{Status: "ok", Rows: record.Int64(n)},
		Subjects:     ids,
		SubjectCount: n,
	}
}

// CSVHeader is the first line of the file for the notification system.
var CSVHeader = []string{"identifier", "systems", "first_access", "last_access", "pii_types", "records"}

// WriteCSV writes the list for the notification system: one line per
// subject, systems and types separated by ';', times in RFC 3339 (KST).
func (l *NotificationList) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, s := range l.Subjects {
		if err := cw.Write([]string{
			s.Identifier, strings.Join(s.Systems, ";"),
			s.First.In(KST).Format(time.RFC3339), s.Last.In(KST).Format(time.RFC3339),
			strings.Join(s.PII, ";"), strconv.Itoa(s.Records),
		}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
