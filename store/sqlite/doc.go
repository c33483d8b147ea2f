// Package sqlite implements jikimi's store on an embedded SQLite database
// (modernc.org/sqlite: pure Go, no cgo) in the data directory. Commits are
// durable when they return (WAL with synchronous=FULL).
//
// # Records in blocks
//
// Records are not rows. Each write transaction packs its new records, by
// seal period and in seal order, into blocks of up to block.MaxRecords
// (package store/block): an uncompressed head (time, actor, system,
// action), zstd-compressed cols (id, address, key id, device, session,
// sizes, subject set) and canonical bytes in S2 frames of about 64 KiB.
// A block is two rows: its place (blocks: batch, period, first seal
// ordinal, count, time range), which Open reads into memory, and its
// sections (block_data). Writing a record therefore costs its share of two
// row inserts and of compression, not a row and five index entries, and
// the store holds a record in about a fifth of its canonical size (190
// bytes a record on the demo month, with the term index and the
// subjects; one row a record took 616).
//
// Names of systems, actors and actions are kept once in a dictionary and
// blocks refer to them by number. Data subjects get dense numbers, kept
// with their pseudonym and sealed identifier in one chunk row per
// transaction (subjects.go); a record's subject set is a short list of
// those numbers or, past 64, a roaring bitmap (subjectset.go).
//
// # Finding records
//
// A term index (terms.go) maps each record id, data subject, actor,
// system, action, address, key id, device and session to the blocks that
// hold it. It is a small log-structured merge tree: recent pairs in
// memory, older ones in immutable sorted runs with a Bloom filter over
// record ids, merged in the background. The index is derived data: a
// crash loses at most its in-memory tail, which Open rebuilds from the
// blocks.
//
// A search resolves its conditions to term keys, intersects their block
// lists, drops blocks outside its time range (from the in-memory places)
// and reads the rest, checking every record exactly. Newest-first searches
// read blocks by descending end time and stop as soon as no remaining block
// can hold a newer match; they decompress only the frames of the records
// they return. Counts by time alone add up whole blocks without reading
// them.
//
// # Verification and retention
//
// Scan reads every block in seal order on every core, re-hashing each
// record's canonical bytes as it goes; a block or frame that fails to
// decode is reported (store.ErrUnreadable) with whatever of its records'
// ids and positions can still be read, and the scan goes on. With
// store.ScanOptions.Index it also derives every record's indexed fields,
// its block's place and its term postings from the canonical bytes and
// reports what the store holds otherwise (indexcheck.go). Retention
// rewrites a block with tombstones in place of the deleted records: id,
// position and sealed hash stay, so the ledger still verifies.
//
// # Locks
//
// writeMu serialises writers (ingest transactions, seal bookkeeping,
// retention, index flushes and the merge's writes). mu guards the
// in-memory state and is held only briefly. The term index's chunksMu is
// held shared while a search reads chunks and exclusively while a merge
// deletes the runs it replaced. Lock order: writeMu, chunksMu, mu.
package sqlite
