// Package sqlite implements jikimi's store on an embedded SQLite database
// (modernc.org/sqlite: pure Go, no cgo) in the data directory.
//
// Names of systems and actors are kept once in a dictionary and records
// refer to them by number, which keeps the record indexes small. Each
// record's data subjects are a roaring bitmap of dense subject numbers;
// postings (subject, record) answer "every record that touched subject S".
// Commits are durable when they return (WAL with synchronous=FULL).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/jikimi/jikimi/subject"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// File is the database's file name in the data directory.
const File = "jikimi.db"

const schema = `
CREATE TABLE IF NOT EXISTS names (
	num  INTEGER PRIMARY KEY,
	kind INTEGER NOT NULL,
	name TEXT NOT NULL,
	UNIQUE (kind, name)
);
CREATE TABLE IF NOT EXISTS records (
	seq           INTEGER PRIMARY KEY, -- time-ordered key, see seqOf
	id            TEXT NOT NULL UNIQUE,
	time          INTEGER NOT NULL,
	system        INTEGER NOT NULL,
	actor         INTEGER NOT NULL,
	action        TEXT NOT NULL,
	ip            TEXT,
	rows          INTEGER,
	bytes         INTEGER,
	subject_count INTEGER NOT NULL,
	subjects      BLOB,
	canon         BLOB NOT NULL,
	seal_batch    INTEGER NOT NULL,
	seal_period   TEXT NOT NULL,
	seal_ord      INTEGER NOT NULL
);
-- Every index ends in the time-ordered seq implicitly, so an index on actor
-- alone serves "actor X between T1 and T2, newest first".
CREATE INDEX IF NOT EXISTS records_actor ON records (actor);
CREATE INDEX IF NOT EXISTS records_system ON records (system);
CREATE INDEX IF NOT EXISTS records_ip ON records (ip) WHERE ip IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_seal ON records (seal_batch, seal_period, seal_ord);
CREATE TABLE IF NOT EXISTS subjects (
	num    INTEGER PRIMARY KEY,
	pseudo BLOB NOT NULL UNIQUE,
	sealed BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS postings (
	subject INTEGER NOT NULL,
	seq     INTEGER NOT NULL,
	PRIMARY KEY (subject, seq)
) WITHOUT ROWID;
-- A record deleted by retention leaves its tombstone: its seal position and
-- hash, so that verification can still rebuild its leaf and tell a lawful
-- deletion from a tamper.
CREATE TABLE IF NOT EXISTS tombstones (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	time        INTEGER NOT NULL,
	system      INTEGER NOT NULL,
	actor       INTEGER NOT NULL,
	action      TEXT NOT NULL,
	hash        BLOB NOT NULL,
	seal_batch  INTEGER NOT NULL,
	seal_period TEXT NOT NULL,
	seal_ord    INTEGER NOT NULL,
	deleted_at  INTEGER NOT NULL,
	reason      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS seals (
	batch     INTEGER NOT NULL,
	period    TEXT NOT NULL,
	positions BLOB NOT NULL,
	PRIMARY KEY (batch, period)
);
CREATE TABLE IF NOT EXISTS alerts (
	id        TEXT PRIMARY KEY,
	rule      TEXT NOT NULL,
	severity  TEXT NOT NULL,
	time      INTEGER NOT NULL,
	last_time INTEGER NOT NULL,
	system    TEXT NOT NULL,
	actor     TEXT NOT NULL,
	doc       BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_time ON alerts (time);
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
`

// Name kinds in the dictionary.
const (
	kindSystem = 1
	kindActor  = 2
)

// DB is an open store. See store.Store for the contract.
type DB struct {
	db *sql.DB

	// writeMu serialises write transactions and guards everything below.
	writeMu     sync.Mutex
	names       [3]map[string]int64 // by kind
	nameByNum   map[int64]string
	nextName    int64
	subjects    map[subject.Pseudonym]uint32
	nextBatch   int64
	sealedBatch int64 // every record of a batch <= sealedBatch is sealed
}

// Open opens (creating if needed) the store in dataDir.
func Open(ctx context.Context, dataDir string) (*DB, error) {
	dsn := "file:" + filepath.Join(dataDir, File) +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)" +
		// Larger, rarer checkpoints than the default 1,000 pages write the
		// database file more sequentially; the size limit gives the disk back.
		"&_pragma=wal_autocheckpoint(8192)&_pragma=journal_size_limit(67108864)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", dataDir, err)
	}
	s := &DB{db: db, nameByNum: map[int64]string{}, subjects: map[subject.Pseudonym]uint32{}}
	if err := s.load(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", dataDir, err)
	}
	return s, nil
}

// load reads the dictionaries and counters into memory.
func (s *DB) load(ctx context.Context) error {
	for k := range s.names {
		s.names[k] = map[string]int64{}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT num, kind, name FROM names`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var num, kind int64
		var name string
		if err := rows.Scan(&num, &kind, &name); err != nil {
			rows.Close()
			return err
		}
		s.names[kind][name] = num
		s.nameByNum[num] = name
		s.nextName = max(s.nextName, num)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT num, pseudo FROM subjects`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var num uint32
		var p []byte
		if err := rows.Scan(&num, &p); err != nil {
			rows.Close()
			return err
		}
		s.subjects[subject.Pseudonym(p)] = num
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	row := s.db.QueryRowContext(ctx, `SELECT coalesce(max(seal_batch),0) FROM records`)
	if err := row.Scan(&s.nextBatch); err != nil {
		return err
	}
	var sealedBatch int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(batch),0) FROM seals`).Scan(&sealedBatch); err != nil {
		return err
	}
	s.nextBatch = max(s.nextBatch, sealedBatch)
	return s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM meta WHERE key='sealed_batch'),0)`).Scan(&s.sealedBatch)
}

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

// nameNum returns the number of a dictionary name, or false.
func (s *DB) nameNum(kind int, name string) (int64, bool) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	n, ok := s.names[kind][name]
	return n, ok
}

func (s *DB) nameOf(num int64) string {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.nameByNum[num]
}

// subjectNum returns the dense number of a pseudonym, or false.
func (s *DB) subjectNum(p subject.Pseudonym) (uint32, bool) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	n, ok := s.subjects[p]
	return n, ok
}

// SealedSubjects calls fn with the sealed identifiers of subject numbers, for breach
// notification. The caller opens them with the subject key.
func (s *DB) SealedSubjects(ctx context.Context, nums []uint32, fn func(num uint32, p subject.Pseudonym, sealed []byte) error) error {
	const chunk = 500
	for len(nums) > 0 {
		n := min(chunk, len(nums))
		args := make([]any, n)
		for i, v := range nums[:n] {
			args[i] = int64(v)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT num, pseudo, sealed FROM subjects WHERE num IN (`+placeholders(n)+`) ORDER BY num`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var num uint32
			var p, sealed []byte
			if err := rows.Scan(&num, &p, &sealed); err != nil {
				rows.Close()
				return err
			}
			if err := fn(num, subject.Pseudonym(p), sealed); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		nums = nums[n:]
	}
	return nil
}

// seqOf returns the storage key of a record: its time in milliseconds in
// the high bits and 22 bits of its id's hash below, so that the table itself
// is in time order (a time range is a key range, "newest first" a reverse
// scan) and records arriving in time order append. Two records may want
// the same key; the insert then tries the next (see tx.insertRecord).
func seqOf(t time.Time, id string) int64 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return t.UnixMilli()<<seqShift | int64(h.Sum32()&(1<<seqShift-1))
}

const seqShift = 22

// seqBound returns the smallest key of records at or after t.
func seqBound(t time.Time) int64 { return t.UnixMilli() << seqShift }

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func decodeBitmap(b []byte) (*roaring.Bitmap, error) {
	bm := roaring.New()
	if len(b) == 0 {
		return bm, nil
	}
	if _, err := bm.FromUnsafeBytes(b); err != nil {
		return nil, err
	}
	return bm, nil
}

var errClosedTx = errors.New("transaction already finished")
