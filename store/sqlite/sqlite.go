package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/jikimi/jikimi/subject"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// File is the database's file name in the data directory.
const File = "jikimi.db"

const schema = `
-- The dictionary of system, actor and action names (names.go).
CREATE TABLE IF NOT EXISTS name_chunks (
	first INTEGER PRIMARY KEY,
	data  BLOB NOT NULL
);
-- One row a block (see package store/block); its sections are in
-- block_data, so that reading every block's place at start-up reads only
-- this small table.
CREATE TABLE IF NOT EXISTS blocks (
	num       INTEGER PRIMARY KEY,
	batch     INTEGER NOT NULL,
	period    TEXT NOT NULL,
	first_ord INTEGER NOT NULL, -- seal ordinal of its first record within (batch, period)
	n         INTEGER NOT NULL,
	live      INTEGER NOT NULL, -- records not deleted by retention
	t_min     INTEGER NOT NULL, -- unix nanoseconds
	t_max     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS block_data (
	num   INTEGER PRIMARY KEY,
	head  BLOB NOT NULL,
	cols  BLOB NOT NULL,
	canon BLOB NOT NULL
);
-- Data subjects by dense number, in chunks of consecutive numbers:
-- pseudonym and sealed identifier of each.
CREATE TABLE IF NOT EXISTS subject_chunks (
	first INTEGER PRIMARY KEY,
	data  BLOB NOT NULL
);
-- The term index (see terms.go): immutable sorted runs of (term, block).
CREATE TABLE IF NOT EXISTS term_runs (
	run    INTEGER PRIMARY KEY,
	level  INTEGER NOT NULL,
	pairs  INTEGER NOT NULL,
	ids    INTEGER NOT NULL, -- record-id pairs, what the bloom filter holds
	fences BLOB NOT NULL,
	bloom  BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS term_chunks (
	id   INTEGER PRIMARY KEY, -- run << 24 | chunk
	data BLOB NOT NULL
);
-- Retention acts: a deleted record's tombstone names the act by number.
CREATE TABLE IF NOT EXISTS deletions (
	num    INTEGER PRIMARY KEY,
	at     INTEGER NOT NULL,
	reason TEXT NOT NULL,
	n      INTEGER NOT NULL
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

// DB is an open store. See store.Store for the contract and doc.go for the
// layout.
type DB struct {
	db *sql.DB

	// writeMu serialises write transactions: Begin takes it, Commit or
	// Rollback gives it back. Retention, seal bookkeeping and the term
	// index's flushes take it too.
	writeMu sync.Mutex
	// nextBatch and sealedBatch are guarded by writeMu.
	nextBatch   int64
	sealedBatch int64 // every record of a batch <= sealedBatch is sealed

	// mu guards the in-memory state below; it is held only briefly, so
	// searches never wait for a write transaction.
	mu        sync.RWMutex
	names     [4]map[string]uint32         // by kind
	nameByNum []string                     // name of number n at n-1
	subjects  map[subject.Pseudonym]uint32 // loaded on first use (subjectsLoad)
	chunks    []uint32                     // first subject number of each subject chunk, ascending
	blocks    []blockMeta
	periods   []string // interned period names, by blockMeta.period
	periodNum map[string]uint16

	subjectsLoad lazyOnce
	terms        terms
	// tailPairs and fanIn are the term index's defaults (terms.go), kept
	// per DB so that tests can make flushes and merges happen sooner.
	tailPairs, fanIn int
}

// Open opens (creating if needed) the store in dataDir.
func Open(ctx context.Context, dataDir string) (*DB, error) {
	// The page cache is per connection (four of them): 16 MiB each holds
	// the dictionaries' and the term index's pages; blocks are read whole
	// and rarely twice, which the operating system's cache serves as well.
	// (64 MiB each held 90 MB more at the demo month's peak.)
	dsn := "file:" + filepath.Join(dataDir, File) +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=cache_size(-16384)&_pragma=temp_store(MEMORY)" +
		// Larger, rarer checkpoints than the default 1,000 pages write the
		// database file more sequentially; the size limit gives the disk back.
		"&_pragma=wal_autocheckpoint(8192)&_pragma=journal_size_limit(67108864)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	if err := checkLayout(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", dataDir, err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", dataDir, err)
	}
	s := &DB{db: db, subjects: map[subject.Pseudonym]uint32{}, periodNum: map[string]uint16{},
		tailPairs: defaultTailPairs, fanIn: defaultFanIn}
	if err := s.load(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", dataDir, err)
	}
	return s, nil
}

// ErrOldLayout is returned by Open for a data directory written by a jikimi
// that kept one table row a record (before the block layout).
var ErrOldLayout = errors.New("this data directory was written by an earlier jikimi (one row a record); ingest its sources again into a new data directory")

func checkLayout(ctx context.Context, db *sql.DB) error {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'records'`).Scan(&n)
	if err == nil && n > 0 {
		return ErrOldLayout
	}
	return err
}

// load reads the dictionaries, the blocks' places and the term index into
// memory.
func (s *DB) load(ctx context.Context) error {
	if err := s.loadNames(ctx); err != nil {
		return err
	}
	if err := s.loadBlocks(ctx); err != nil {
		return err
	}
	if n := len(s.blocks); n > 0 {
		s.nextBatch = s.blocks[n-1].batch
	}
	var sealedBatch int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(batch),0) FROM seals`).Scan(&sealedBatch); err != nil {
		return err
	}
	s.nextBatch = max(s.nextBatch, sealedBatch)
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM meta WHERE key='sealed_batch'),0)`).Scan(&s.sealedBatch); err != nil {
		return err
	}
	return s.loadTerms(ctx)
}

// Close stops the term index's background merge, writes its in-memory
// part when this process added to it, and closes the database.
func (s *DB) Close() error {
	return errors.Join(s.closeTerms(), s.db.Close())
}

// setMeta records a counter in the meta table.
func setMeta(ctx context.Context, tx *sql.Tx, key string, v int64) error {
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)`, key, v)
	return err
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

var errClosedTx = errors.New("transaction already finished")
