// Package ledger makes every stored access record provable: it seals the
// SHA-256 of each record's canonical bytes into a Merkle-tree transparency
// log, publishes signed checkpoints, anchors them outside the data
// directory, and verifies the store against all of it, naming exactly what
// was altered, deleted, invented, reordered, truncated or rolled back
// (issue 4).
//
// # What is sealed
//
// Only hashes: record.Hash, the SHA-256 of a record's canonical JSON
// (record.Canonical). No personal data enters the ledger ("Seal hashes, not
// people" in DESIGN.md). The store keeps the records and, for each, the
// Position that Seal returned.
//
// # Leaves
//
// Sealing one record per leaf could not keep up with ingest, so a leaf
// carries up to Options.HashesPerLeaf record hashes (default 256, at most
// 2047), concatenated:
//
//	leaf data = hash[0] || hash[1] || … || hash[n-1]     (n × 32 bytes, 1 ≤ n ≤ HashesPerLeaf)
//	leaf hash = SHA-256(0x00 || leaf data)                (RFC 6962)
//
// A record's Position is (period, leaf index, slot): its hash is bytes
// [32·slot, 32·slot+32) of the leaf. Concurrent Seal calls of one period are
// grouped (a group commit: calls that arrive while earlier groups are being
// written share the next group's leaves), so leaves stay full under load and
// one round of fsyncs seals tens of thousands of records. A leaf may hold
// fewer than HashesPerLeaf hashes; its length says how many.
//
// Seal returns only when every leaf holding the caller's hashes is durably
// sequenced and integrated: Tessera's POSIX driver resolves an Add future
// after the entry bundle, the hash tiles and its tree state are written
// with O_SYNC and their directories fsynced. A record acknowledged to a
// sender is therefore durable in the ledger, across kill -9
// (TestCrashDurability).
//
// # Periods
//
// One log per period ("One log per period" in DESIGN.md): PeriodOf gives a
// record's month in Korea time, e.g. "2026-07". Each period is its own
// Tessera POSIX log (github.com/transparency-dev/tessera v1.0.x) in
// <Dir>/<period>/, in the C2SP tlog-tiles layout:
//
//	<Dir>/2026-07/checkpoint            latest signed checkpoint
//	<Dir>/2026-07/tile/entries/000…     entry bundles: 256 leaves each (the leaf data)
//	<Dir>/2026-07/tile/0/000…           hash tiles: the Merkle tree, 8 levels per tile
//	<Dir>/2026-07/.state/               Tessera's private state (integrated size)
//
// An old period can be dropped whole when its retention ends; a damaged
// period spoils no other.
//
// # Checkpoints and keys
//
// Tessera publishes a checkpoint (https://c2sp.org/tlog-checkpoint) at most
// every Options.CheckpointInterval while a period grows, and Close waits
// until one covers every sealed leaf. It is a signed note
// (golang.org/x/mod/sumdb/note):
//
//	jikimi.example/2026-07          origin: Options.Origin + "/" + period
//	40960                           tree size in leaves
//	Xq…base64 root hash…=
//
//	— jikimi.example/2026-07 AbCd…Ed25519 signature…
//
// The Ed25519 key is created on first Open in KeyDir (ledger-0001.key, mode
// 0600; ledger-0001.pub holds the public key). PublicKeys returns every
// public key ever used as note verifier strings named Options.Origin, e.g.
// "jikimi.example+1a2b3c4d+AV…"; for a period the verifier key name is
// extended with "/<period>", which VerifyBundle and the verifier do
// themselves. RotateKey adds a key: the new key signs from then on and the
// previous one co-signs for Options.KeyOverlap, so each checkpoint carries
// both signatures during the overlap. A running period log keeps the signers
// it was opened with; the overlap ends for it when it is reopened (the next
// Open, RotateKey or the next period). Old keys are never deleted.
//
// # Anchors
//
// With Options.AnchorDir (or any Anchor, such as an S3 bucket with object
// lock) the ledger writes, once and never overwriting:
//
//	key/0001-1a2b3c4d.vkey                          every public key
//	checkpoint/2026-07/00000000000000040960         the latest checkpoint of each open
//	                                                period, every AnchorInterval and at Close
//
// Anchors are what the data directory's administrator cannot rewrite: a
// data directory replaced by an older copy has a checkpoint smaller than an
// anchored one, and a log re-signed with a new key is signed by a key the
// anchor never saw. The window an attacker has is one AnchorInterval of
// unanchored growth (default one minute).
//
// # Verification
//
// NewVerifier checks, for one period, the latest checkpoint and every
// anchored checkpoint against the trusted keys (VerifyOptions.TrustedKeys,
// else the anchored keys, else KeyDir's). The caller then streams the
// period's stored records in (leaf, slot) order:
//
//	v, err := l.NewVerifier(ctx, "2026-07")
//	for each stored row, ordered by (leaf, slot):
//	    v.Add(id, pos, record.HashOf(canonical))   // a live record
//	    v.Deleted(id, pos, tombstoneHash)          // deleted by retention: the tombstone keeps the hash
//	    v.Missing(id, pos)                         // id and position known, bytes gone
//	for each row without a position:
//	    v.Unsealed(id, record.HashOf(canonical))
//	report, err := v.Finish()
//
// The verifier reads the entry bundles and hash tiles alongside, compares
// each record's hash with its slot, rehashes every leaf into a compact
// Merkle range and compares the root with the latest checkpoint and with
// every anchored checkpoint at its size, then proves each anchored
// checkpoint consistent with the latest from the tiles (RFC 6962
// consistency proofs, github.com/transparency-dev/merkle). Memory stays flat
// apart from what is found wrong. Each problem is one Finding:
//
//	altered       a stored record (named) hashes differently from its slot: its bytes changed
//	deleted       a slot has no stored record and no retention tombstone; named when the
//	              store kept the id (Missing), otherwise only the position is known
//	invented      a stored record (named) with no position, a position beyond the log, a
//	              slot that does not exist, or a position another record matches
//	reordered     a stored record (named) whose hash is sealed at another position
//	truncated     entry bundles or hash tiles are missing; each record in a lost leaf is named
//	rolled_back   an anchored checkpoint is larger than the log: the data directory was
//	              replaced by an older copy (or the period's log removed)
//	bad_signature a checkpoint, latest or anchored, is not signed by a trusted key; or the
//	              key directory holds a key the anchor never saw (a re-signed log)
//	inconsistent  leaves do not hash to a signed or anchored root, a tile disagrees with
//	              its entry bundle, or an anchored checkpoint has no consistency proof
//
// Untouched records still count in Report.Records. Retention deletes
// records, never leaves: pass the tombstones to Deleted and the leaf still
// verifies (Report.Retained). A crash after sealing but before the store
// recorded where makes the pipeline seal the same hashes again on restart;
// the first seals, which no record claims but whose hashes records match
// later in the log, are counted in Report.Resealed, not named.
//
// # Proof bundles
//
// Proof writes a self-contained JSON bundle for one record; VerifyBundle
// checks it with nothing but public keys:
//
//	{
//	  "format": "jikimi-proof/1",
//	  "period": "2026-07", "origin": "jikimi.example/2026-07",
//	  "record": "{\"id\":\"crm-000321\",…}",          canonical bytes (record_base64 if not UTF-8)
//	  "record_hash": "9f…",                            hex SHA-256 of record
//	  "leaf_index": 20, "slot": 1,
//	  "leaf_hashes": ["…", "9f…", …],                  every hash of the leaf, in slot order
//	  "tree_size": 40960,
//	  "inclusion_proof": ["…", …],                     RFC 6962, leaf to root, hex
//	  "checkpoint": "jikimi.example/2026-07\n40960\n…\n\n— jikimi.example/2026-07 …\n"
//	}
//
// VerifyBundle recomputes the record hash, finds it at slot, rebuilds the
// leaf hash from leaf_hashes, verifies the inclusion proof against the
// checkpoint's root, and the checkpoint's signature with a given key whose
// name + "/" + period is the origin.
package ledger
