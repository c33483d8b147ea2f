// Package store is the query side of jikimi: records with their canonical
// bytes, pseudonymous subject sets, seal positions and alerts.
//
// The interfaces here are what the pipeline, the commands and the console
// use; store/sqlite implements them on an embedded database in the data
// directory. A PostgreSQL implementation for deployments that outgrow one
// node implements the same interfaces and passes the same contract tests.
package store

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/subject"
)

// ErrNotFound is returned when a record or alert id is not stored.
var ErrNotFound = errors.New("not found")

// Entry is a record prepared for storage: its canonical bytes (with subject
// identifiers already replaced by pseudonyms, detail masked and payload
// dropped) and the indexed fields taken from it.
type Entry struct {
	ID           string
	Time         time.Time
	System       string
	Actor        string
	Action       string
	IP           string
	KeyID        string // auth.key_id
	Device       string // origin.device
	Session      string // auth.session
	Rows         int64  // -1 when unknown
	Bytes        int64  // -1 when unknown
	SubjectCount int64
	Subjects     []SubjectRef
	Canonical    []byte
	Period       string // the seal period the record's hash goes into
}

// EntryOf returns the entry of r with its indexed fields filled as the
// store indexes them. Subjects, Canonical and Period are left to the
// caller: the pipeline fills them when it prepares r, and verification
// compares what a store indexed with what EntryOf takes from the sealed
// canonical bytes.
func EntryOf(r *record.Record) Entry {
	var bytes int64 = -1
	if r.Result.Bytes != nil {
		bytes = *r.Result.Bytes
	}
	return Entry{
		ID: r.ID, Time: r.Time, System: r.System, Actor: r.Actor.ID,
		Action: string(r.Action), IP: r.Origin.IP, Rows: r.Rows(), Bytes: bytes,
		KeyID: r.Auth.KeyID, Device: r.Origin.Device, Session: r.Auth.Session,
		SubjectCount: r.SubjectTotal(),
	}
}

// SubjectRef is one data subject of a record: its pseudonym and the sealed
// identifier that re-identification opens.
type SubjectRef struct {
	Pseudonym subject.Pseudonym
	Sealed    []byte
}

// Stored is a record as read back.
type Stored struct {
	Seq       int64 // the store's own key of the record; larger is stored later
	ID        string
	Time      time.Time
	System    string
	Actor     string
	Action    string
	Canonical []byte  // nil for a tombstone
	Seal      SealRef // zero when not yet sealed
	// Deleted marks the tombstone of a record deleted by retention: its
	// canonical bytes are gone, Hash is what was sealed.
	Deleted bool
	// Hash is, in what Scan yields, the SHA-256 of the record's stored
	// canonical bytes computed as they were read, or a tombstone's kept
	// hash; elsewhere only a tombstone's.
	Hash record.Hash
}

// ErrUnreadable is wrapped by the errors Scan yields for stored records it
// cannot read back (damaged or altered storage). Scan goes on after them.
var ErrUnreadable = errors.New("stored records unreadable")

// ErrMisindexed is wrapped by the errors Scan yields, with ScanOptions.Index,
// where what the store indexed for searching disagrees with the sealed
// canonical bytes: a record's indexed fields, a block's time range or the
// term index. Such a record is intact and sealed, but searches may miss
// it or count it wrongly.
var ErrMisindexed = errors.New("search index disagrees with the sealed records")

// ScanOptions say what Scan checks besides reading every record back.
type ScanOptions struct {
	// Index re-derives every record's indexed fields from its canonical
	// bytes and compares them, and the term index, with what the store
	// holds.
	Index bool
}

// SealRef says where the record's hash was sealed: the ordinal of the hash
// among those sealed for Period in ingest batch Batch.
type SealRef struct {
	Batch  int64
	Period string
	Ord    int
}

// Query selects records. Zero fields do not filter. Results are newest first.
type Query struct {
	Actor   string
	System  string
	Action  string
	IP      string
	Subject *subject.Pseudonym
	From    time.Time // inclusive
	To      time.Time // exclusive
	Limit   int       // 0: no limit
}

// AlertQuery selects alerts, newest first.
type AlertQuery struct {
	Since time.Time
	Rule  string
	Limit int
}

// Store is an open store. Its methods may be called concurrently, but only
// one write transaction is open at a time (Begin blocks).
type Store interface {
	// Begin starts the write transaction of one ingest batch.
	Begin(ctx context.Context) (Tx, error)
	// Records returns the records that match q, newest first.
	Records(ctx context.Context, q Query) ([]Stored, error)
	// Count returns how many records match q (Limit is ignored).
	Count(ctx context.Context, q Query) (int64, error)
	// Record returns the record with id, or ErrNotFound.
	Record(ctx context.Context, id string) (Stored, error)
	// SubjectSet returns the union of the subject sets of the records that
	// match q, with their number and the sum of their subject counts.
	SubjectSet(ctx context.Context, q Query) (*roaring.Bitmap, error)
	// Alerts returns alerts matching q.
	Alerts(ctx context.Context, q AlertQuery) ([]alert.Alert, error)
	// Unsealed returns the records stored but not yet sealed (a crash came
	// between the two), by batch and period in ordinal order, filled as by
	// Scan (their hashes are what the pipeline seals on start).
	Unsealed(ctx context.Context) ([]UnsealedBatch, error)
	// SetSeals records where the hashes of a batch's records were sealed:
	// for each period, positions[i] belongs to the record with ordinal i.
	SetSeals(ctx context.Context, batch int64, positions map[string][]byte) error
	// SealPositions returns what SetSeals recorded for a batch and period,
	// or ErrNotFound.
	SealPositions(ctx context.Context, batch int64, period string) ([]byte, error)
	// Scan yields every stored record and every tombstone in seal order
	// (batch, period, ordinal): what verification walks. Only Seq, ID,
	// Seal, Deleted and Hash are filled: the hash is computed from the
	// stored bytes as they are read, which are not kept. An error wrapping
	// ErrUnreadable comes with the Stored of the record it concerns, ID and
	// Seal filled when they could still be read; Scan then goes on. Any
	// other error ends it. With o.Index, disagreements of the search index
	// come as errors wrapping ErrMisindexed: with the record they concern,
	// filled as above, or, for the term index, after every record, with a
	// zero Stored.
	Scan(ctx context.Context, o ScanOptions) iter.Seq2[Stored, error]
	Close() error
}

// UnsealedBatch is a batch's records for one period, in ordinal order.
type UnsealedBatch struct {
	Batch   int64
	Period  string
	Records []Stored
}

// Tx is one write transaction. Nothing is visible or durable before Commit.
type Tx interface {
	// Batch is the number of the ingest batch this transaction writes.
	Batch() int64
	// Insert stores entries whose id is not yet stored and reports, for each
	// entry, whether it was new. New entries get seal ordinals 0, 1, … per
	// period in the order given: the order in which the caller seals them.
	// An id repeated within entries is stored once.
	Insert(entries []*Entry) (inserted []bool, err error)
	// PutAlerts inserts or replaces alerts by id.
	PutAlerts(alerts []*alert.Alert) error
	// SetSeals records, with this transaction, where an earlier batch's
	// records were sealed (see Store.SetSeals).
	SetSeals(batch int64, positions map[string][]byte) error
	// Commit makes the transaction durable (it returns after fsync).
	Commit() error
	Rollback() error
}
