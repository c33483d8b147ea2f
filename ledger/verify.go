package ledger

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jikimi/jikimi/record"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
)

// Finding kinds: what verification found wrong, each named in doc.go.
const (
	KindAltered      = "altered"
	KindDeleted      = "deleted"
	KindInvented     = "invented"
	KindReordered    = "reordered"
	KindTruncated    = "truncated"
	KindRolledBack   = "rolled_back"
	KindBadSignature = "bad_signature"
	KindInconsistent = "inconsistent"
)

// Finding is one thing verification found wrong. RecordID is empty when the
// record is unknown (a deleted row the store kept no trace of) or the
// finding is about the log itself; Slot is -1 when it is about a whole leaf
// or the log.
type Finding struct {
	Kind     string `json:"kind"`
	Period   string `json:"period"`
	RecordID string `json:"record_id,omitempty"`
	Leaf     uint64 `json:"leaf"`
	Slot     int    `json:"slot"`
	Detail   string `json:"detail"`
}

func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.Kind)
	if f.Period != "" {
		fmt.Fprintf(&b, ": period %s", f.Period)
	}
	if f.RecordID != "" {
		fmt.Fprintf(&b, " record %s", f.RecordID)
	}
	if f.Slot >= 0 {
		fmt.Fprintf(&b, " at leaf %d slot %d", f.Leaf, f.Slot)
	}
	return b.String() + ": " + f.Detail
}

// Report is the outcome of verifying one period.
type Report struct {
	Period string `json:"period"`
	Origin string `json:"origin"`
	// CheckpointSize is the leaf count of the latest published checkpoint;
	// LogSize the leaves read, larger when integrated leaves await their
	// checkpoint.
	CheckpointSize uint64 `json:"checkpoint_size"`
	LogSize        uint64 `json:"log_size"`
	Anchored       int    `json:"anchored_checkpoints"`
	// Records matched their sealed hash; Pending of them lie in leaves no
	// checkpoint covers yet; Retained slots hold tombstones of records
	// deleted by retention.
	Records  int64 `json:"records"`
	Pending  int64 `json:"pending"`
	Retained int64 `json:"retained"`
	// Resealed slots hold a second seal of a record proven at a later
	// position: what sealing again after a crash leaves (the store had not
	// recorded where the first seal went).
	Resealed int64     `json:"resealed,omitempty"`
	Findings []Finding `json:"findings"`
}

// OK reports whether nothing was found wrong.
func (r *Report) OK() bool { return len(r.Findings) == 0 }

// ErrOrder is returned by Finish when positions were not fed in ascending
// (leaf, slot) order.
var ErrOrder = errors.New("ledger: verifier fed out of (leaf, slot) order")

// VerifyOptions choose whom to trust.
type VerifyOptions struct {
	// TrustedKeys are note verifier strings (PublicKeys output kept by the
	// operator). When empty, the keys in the anchor are trusted if an
	// anchor is configured, else the keys in KeyDir.
	TrustedKeys []string
}

// maxOrphans bounds the memory spent on telling reordered from altered.
const maxOrphans = 1 << 20

type anchoredCP struct {
	name string
	cp   Checkpoint
}

type slotRef struct {
	pos    Position
	id     string
	hash   record.Hash // the record's hash (mismatch) or the sealed hash (missing)
	sealed record.Hash // the sealed hash (mismatch)
	// invented marks a mismatch at a position whose true record came later.
	invented bool
}

// PeriodVerifier checks the stored records of one period against its log.
// Feed it every stored record of the period in ascending (leaf, slot) order
// with Add, Deleted and Missing (Unsealed at any time), then call Finish. It
// reads the log's entry bundles and tiles as it goes, so memory stays flat.
// A PeriodVerifier is not safe for concurrent use.
type PeriodVerifier struct {
	ctx    context.Context
	period string
	fetch  client.FileFetcher
	rep    Report
	logF   []Finding // findings about the log, reported first
	recF   []Finding

	cpRoot      []byte
	anchors     []anchoredCP // ascending size
	nextAnchor  int          // first anchor whose root is not checked yet
	maxAnchored uint64
	shrunk      bool   // evidence the log lost leaves
	integrated  uint64 // Tessera's unsigned integrated size

	// Leaf cursor: leaves below next are hashed into rng.
	next     uint64
	open     bool
	cur      uint64
	data     []byte // current leaf; nil when unreadable
	seen     []bool
	mismAt   []int32 // per slot of the open leaf: index into mism, or -1
	rng      *compact.Range
	rngOK    bool
	bundleAt uint64
	bundle   [][]byte
	tile     []byte // level-0 tile hashes of the current bundle, nil if missing
	loaded   bool

	mism    []slotRef
	missing []slotRef
	orphans map[record.Hash]Position
	// resealed marks orphaned slots whose hash a record matched later on.
	resealed map[Position]bool
	err      error
}

// NewVerifier starts verifying period with the default trust (see
// VerifyOptions).
func (l *Ledger) NewVerifier(ctx context.Context, period string) (*PeriodVerifier, error) {
	return l.NewVerifierWith(ctx, period, VerifyOptions{})
}

// NewVerifierWith starts verifying period. It checks the checkpoint and
// every anchored checkpoint of the period now; records are checked as they
// are fed. Feed a consistent snapshot of the store: a record sealed after
// NewVerifier lies beyond the log it read and is reported invented.
func (l *Ledger) NewVerifierWith(ctx context.Context, period string, vo VerifyOptions) (*PeriodVerifier, error) {
	if err := checkPeriod(period); err != nil {
		return nil, err
	}
	dir := filepath.Join(l.o.Dir, period)
	v := &PeriodVerifier{
		ctx: ctx, period: period, fetch: client.FileFetcher{Root: dir},
		rep:     Report{Period: period, Origin: l.Origin(period)},
		rng:     (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewEmptyRange(0),
		rngOK:   true,
		seen:    make([]bool, MaxHashesPerLeaf),
		mismAt:  make([]int32, MaxHashesPerLeaf),
		orphans: map[record.Hash]Position{}, resealed: map[Position]bool{},
	}
	trusted, err := l.trustedKeys(ctx, vo, v)
	if err != nil {
		return nil, err
	}

	// The latest published checkpoint.
	raw, err := os.ReadFile(filepath.Join(dir, layout.CheckpointPath))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("ledger: verify %s: %w", period, err)
	default:
		cp, err := openCheckpoint(raw, v.rep.Origin, trusted)
		if err != nil {
			v.logFinding(KindBadSignature, 0, "latest checkpoint: %v", err)
			if cp, err = parseCheckpoint(raw); err != nil {
				v.logFinding(KindInconsistent, 0, "latest checkpoint unreadable: %v", err)
			}
		}
		v.rep.CheckpointSize, v.cpRoot = cp.Size, cp.Root
	}

	// Every anchored checkpoint: signed, and not larger than the log.
	if a := l.o.Anchor; a != nil {
		names, err := a.List(ctx, "checkpoint/"+period+"/")
		if err != nil {
			return nil, fmt.Errorf("ledger: verify %s: list anchors: %w", period, err)
		}
		for _, name := range names {
			raw, err := a.Get(ctx, name)
			if err != nil {
				return nil, fmt.Errorf("ledger: verify %s: %w", period, err)
			}
			cp, err := openCheckpoint(raw, v.rep.Origin, trusted)
			if err != nil {
				v.logFinding(KindBadSignature, 0, "anchored checkpoint %s: %v", name, err)
				if cp, err = parseCheckpoint(raw); err != nil {
					continue
				}
			}
			v.anchors = append(v.anchors, anchoredCP{name: name, cp: cp})
			v.maxAnchored = max(v.maxAnchored, cp.Size)
		}
		slices.SortStableFunc(v.anchors, func(a, b anchoredCP) int {
			return cmp.Compare(a.cp.Size, b.cp.Size)
		})
		v.rep.Anchored = len(v.anchors)
	}
	if v.maxAnchored > v.rep.CheckpointSize {
		what := "its latest checkpoint has size"
		if raw == nil {
			what = "its log is missing from the data directory; size"
		}
		v.logFinding(KindRolledBack, v.rep.CheckpointSize,
			"anchored checkpoint %s commits to %d leaves but %s %d: the data directory was replaced by an older copy or truncated",
			v.anchors[len(v.anchors)-1].name, v.maxAnchored, what, v.rep.CheckpointSize)
		v.shrunk = true
	}

	v.integrated, _, _ = readTreeState(dir)
	v.rep.LogSize = max(v.rep.CheckpointSize, v.integrated, v.maxAnchored)
	if v.rep.CheckpointSize == 0 && v.cpRoot == nil {
		v.cpRoot = rfc6962.DefaultHasher.EmptyRoot()
	}
	return v, nil
}

// trustedKeys applies the trust policy of VerifyOptions.
func (l *Ledger) trustedKeys(ctx context.Context, vo VerifyOptions, v *PeriodVerifier) ([]ed25519.PublicKey, error) {
	var out []ed25519.PublicKey
	if len(vo.TrustedKeys) > 0 {
		for _, s := range vo.TrustedKeys {
			pk, err := ParsePublicKey(s)
			if err != nil {
				return nil, err
			}
			out = append(out, pk.Key)
		}
		return out, nil
	}
	l.mu.RLock()
	own := l.ownPublicKeys()
	l.mu.RUnlock()
	if l.o.Anchor == nil {
		return own, nil
	}
	names, err := l.o.Anchor.List(ctx, "key/")
	if err != nil {
		return nil, fmt.Errorf("ledger: list anchored keys: %w", err)
	}
	for _, n := range names {
		raw, err := l.o.Anchor.Get(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("ledger: anchored key: %w", err)
		}
		pk, err := ParsePublicKey(string(raw))
		if err != nil {
			v.logFinding(KindBadSignature, 0, "anchored key %s: %v", n, err)
			continue
		}
		out = append(out, pk.Key)
	}
	if len(out) == 0 {
		v.logFinding(KindBadSignature, 0, "the anchor holds no public key: trusting the key directory")
		return own, nil
	}
	for _, k := range own {
		if !slices.ContainsFunc(out, func(a ed25519.PublicKey) bool { return a.Equal(k) }) {
			v.logFinding(KindBadSignature, 0, "key %s in the key directory was never anchored: checkpoints it signs are not trusted",
				PublicKey{Name: l.o.Origin, Key: k})
		}
	}
	return out, nil
}

func (v *PeriodVerifier) logFinding(kind string, leaf uint64, format string, args ...any) {
	v.logF = append(v.logF, Finding{Kind: kind, Period: v.period, Leaf: leaf, Slot: -1, Detail: fmt.Sprintf(format, args...)})
}

func (v *PeriodVerifier) recFinding(kind, id string, pos Position, format string, args ...any) {
	v.recF = append(v.recF, Finding{Kind: kind, Period: v.period, RecordID: id, Leaf: pos.Leaf, Slot: int(pos.Slot), Detail: fmt.Sprintf(format, args...)})
}

// Add checks one stored record: id, its stored position and the hash
// recomputed from its stored canonical bytes.
func (v *PeriodVerifier) Add(id string, pos Position, h record.Hash) { v.check(id, pos, h, false) }

// Deleted accounts for a record deleted by retention: the store's tombstone
// keeps its id, position and original hash, so the leaf still verifies.
func (v *PeriodVerifier) Deleted(id string, pos Position, h record.Hash) { v.check(id, pos, h, true) }

// Missing reports a record the store knows by id and position (e.g. from a
// position index) whose stored bytes are gone; it is reported "deleted"
// under its id.
func (v *PeriodVerifier) Missing(id string, pos Position) {
	if !v.locate(id, pos) || v.claimed(id, pos, nil, false) {
		return
	}
	v.seen[pos.Slot] = true
	var sealed record.Hash
	copy(sealed[:], v.slot(int(pos.Slot)))
	v.missing = append(v.missing, slotRef{pos: pos, id: id, hash: sealed})
}

// Unsealed reports a stored record that has no ledger position at all.
func (v *PeriodVerifier) Unsealed(id string, h record.Hash) {
	v.recF = append(v.recF, Finding{Kind: KindInvented, Period: v.period, RecordID: id, Slot: -1,
		Detail: fmt.Sprintf("record (hash %s) has no ledger position: it was never sealed", h)})
}

func (v *PeriodVerifier) slot(i int) []byte { return v.data[i*32 : i*32+32] }

// locate moves the cursor to pos and reports whether its slot is there to
// compare; otherwise it records why not.
func (v *PeriodVerifier) locate(id string, pos Position) bool {
	if pos.Period != v.period {
		v.recFinding(KindInvented, id, pos, "position belongs to period %q, not %q", pos.Period, v.period)
		return false
	}
	if (v.open && pos.Leaf < v.cur) || (!v.open && pos.Leaf < v.next) {
		if v.err == nil {
			v.err = fmt.Errorf("%w: %s after leaf %d", ErrOrder, pos, v.next)
		}
		return false
	}
	v.advance(pos.Leaf)
	if pos.Leaf >= v.rep.LogSize {
		if v.shrunk {
			v.recFinding(KindTruncated, id, pos, "the log ends at leaf %d: this record's leaf was lost", v.rep.LogSize)
		} else {
			v.recFinding(KindInvented, id, pos, "position is beyond the log's end (%d leaves): nothing was sealed there", v.rep.LogSize)
		}
		return false
	}
	if v.data == nil {
		v.recFinding(KindTruncated, id, pos, "the leaf is missing from the log: the record cannot be proven")
		return false
	}
	n := len(v.data) / 32
	if int(pos.Slot) >= n {
		v.recFinding(KindInvented, id, pos, "the leaf has only %d slots", n)
		return false
	}
	return true
}

// claimed handles a second record at an already claimed position: the one
// matching the sealed hash is genuine, the other invented.
func (v *PeriodVerifier) claimed(id string, pos Position, h *record.Hash, tombstone bool) bool {
	if !v.seen[pos.Slot] {
		return false
	}
	if i := v.mismAt[pos.Slot]; h != nil && i >= 0 && bytes.Equal(v.slot(int(pos.Slot)), h[:]) {
		v.mism[i].invented = true
		v.mismAt[pos.Slot] = -1
		if tombstone {
			v.rep.Retained++
		} else {
			v.rep.Records++
		}
		return true
	}
	v.recFinding(KindInvented, id, pos, "another record already claims this position")
	return true
}

func (v *PeriodVerifier) check(id string, pos Position, h record.Hash, tombstone bool) {
	if !v.locate(id, pos) || v.claimed(id, pos, &h, tombstone) {
		return
	}
	v.seen[pos.Slot] = true
	sealed := v.slot(int(pos.Slot))
	if bytes.Equal(sealed, h[:]) {
		if p, ok := v.orphans[h]; ok && p != pos && !tombstone {
			v.resealed[p] = true
		}
		switch {
		case tombstone:
			v.rep.Retained++
		case pos.Leaf >= v.rep.CheckpointSize:
			v.rep.Records++
			v.rep.Pending++
		default:
			v.rep.Records++
		}
		return
	}
	if tombstone {
		v.recFinding(KindAltered, id, pos, "retention tombstone hash %s differs from the sealed hash %x", h, sealed)
		return
	}
	v.mismAt[pos.Slot] = int32(len(v.mism))
	v.mism = append(v.mism, slotRef{pos: pos, id: id, hash: h, sealed: record.Hash(sealed)})
	if len(v.orphans) < maxOrphans {
		v.orphans[record.Hash(sealed)] = pos
	}
}

// advance closes every leaf before leaf and opens leaf, if it is in the log.
func (v *PeriodVerifier) advance(leaf uint64) {
	for {
		if v.open {
			if v.cur == leaf {
				return
			}
			v.closeLeaf()
		}
		if v.next > leaf || v.next >= v.rep.LogSize {
			return
		}
		v.openLeaf(v.next)
	}
}

func (v *PeriodVerifier) openLeaf(i uint64) {
	b := i / layout.EntryBundleWidth
	if !v.loaded || b != v.bundleAt {
		v.loadBundle(b)
	}
	v.open, v.cur, v.data = true, i, nil
	if k := i % layout.EntryBundleWidth; k < uint64(len(v.bundle)) {
		v.data = v.bundle[k]
	}
	if v.data != nil && len(v.data)%32 != 0 {
		v.logFinding(KindInconsistent, i, "leaf %d is %d bytes, not a whole number of hashes", i, len(v.data))
		v.data = v.data[:len(v.data)/32*32]
	}
	if v.data != nil {
		n := len(v.data) / 32
		clear(v.seen[:n])
		for s := range n {
			v.mismAt[s] = -1
		}
	}
}

// loadBundle reads entry bundle b and its level-0 tile.
func (v *PeriodVerifier) loadBundle(b uint64) {
	v.loaded, v.bundleAt, v.bundle, v.tile = true, b, nil, nil
	want := min(uint64(layout.EntryBundleWidth), v.rep.LogSize-b*layout.EntryBundleWidth)
	var err error
	for _, p := range v.partials(b) {
		var raw []byte
		if raw, err = v.fetch.ReadEntryBundle(v.ctx, b, p); err != nil {
			continue
		}
		var eb api.EntryBundle
		if err = eb.UnmarshalText(raw); err == nil {
			v.bundle = eb.Entries[:min(uint64(len(eb.Entries)), want)]
			break
		}
	}
	if uint64(len(v.bundle)) < want {
		v.shrunk = true
		v.logFinding(KindTruncated, b*layout.EntryBundleWidth+uint64(len(v.bundle)),
			"entry bundle %d holds %d of its %d leaves (%v): leaves from %d on are gone",
			b, len(v.bundle), want, err, b*layout.EntryBundleWidth+uint64(len(v.bundle)))
	}
	for _, p := range v.partials(b) {
		var raw []byte
		if raw, err = v.fetch.ReadTile(v.ctx, 0, b, p); err != nil {
			continue
		}
		var t api.HashTile
		if err = t.UnmarshalText(raw); err == nil {
			v.tile = bytes.Join(t.Nodes, nil)
			break
		}
	}
	if n := uint64(len(v.bundle)) * 32; uint64(len(v.tile)) < n {
		v.logFinding(KindTruncated, b*layout.EntryBundleWidth, "hash tile 0/%d is missing or short (%v)", b, err)
		v.shrunk = true
	}
}

// partials lists the partial sizes bundle b may be stored under, largest
// log size first: the log may be shorter than an anchor says.
func (v *PeriodVerifier) partials(b uint64) []uint8 {
	var ps []uint8
	for _, size := range []uint64{v.rep.LogSize, v.integrated, v.rep.CheckpointSize} {
		if size <= b*layout.EntryBundleWidth {
			continue
		}
		if p := layout.PartialTileSize(0, b, size); !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	return ps
}

// closeLeaf hashes the open leaf into the tree, checks it against the tile
// and every checkpoint that ends there, and notes its unclaimed slots.
func (v *PeriodVerifier) closeLeaf() {
	i := v.cur
	v.open = false
	v.next = i + 1
	if v.data == nil {
		v.rngOK = false
		return
	}
	for s := range len(v.data) / 32 {
		if !v.seen[s] {
			var sealed record.Hash
			copy(sealed[:], v.slot(s))
			pos := Position{Period: v.period, Leaf: i, Slot: uint16(s)}
			v.missing = append(v.missing, slotRef{pos: pos, hash: sealed})
			if len(v.orphans) < maxOrphans {
				v.orphans[sealed] = pos
			}
		}
	}
	lh := rfc6962.DefaultHasher.HashLeaf(v.data)
	if k := (i % layout.EntryBundleWidth) * 32; k+32 <= uint64(len(v.tile)) && !bytes.Equal(v.tile[k:k+32], lh) {
		v.logFinding(KindInconsistent, i, "leaf %d does not hash to its entry in the hash tiles: the entry bundle was rewritten", i)
	}
	if !v.rngOK {
		return
	}
	if err := v.rng.Append(lh, nil); err != nil {
		v.rngOK = false
		return
	}
	size := i + 1
	if size == v.rep.CheckpointSize {
		v.checkRoot(size, v.cpRoot, "the latest checkpoint")
	}
	for ; v.nextAnchor < len(v.anchors) && v.anchors[v.nextAnchor].cp.Size <= size; v.nextAnchor++ {
		if a := v.anchors[v.nextAnchor]; a.cp.Size == size {
			v.checkRoot(size, a.cp.Root, "anchored checkpoint "+a.name)
		}
	}
}

func (v *PeriodVerifier) checkRoot(size uint64, want []byte, what string) {
	got, err := v.rng.GetRootHash(nil)
	if err != nil || !bytes.Equal(got, want) {
		v.logFinding(KindInconsistent, size, "the first %d leaves do not hash to the root of %s: the log was rewritten", size, what)
	}
}

// Finish closes the remaining leaves, classifies what did not match and
// returns the report. Its error is about the verification itself (I/O,
// order); what is wrong with the data is in the report's findings.
func (v *PeriodVerifier) Finish() (*Report, error) {
	if v.err != nil {
		return nil, v.err
	}
	v.advance(math.MaxUint64)
	if v.rep.LogSize == 0 {
		for _, a := range v.anchors {
			if a.cp.Size == 0 && !bytes.Equal(a.cp.Root, rfc6962.DefaultHasher.EmptyRoot()) {
				v.logFinding(KindInconsistent, 0, "anchored checkpoint %s has a bad empty root", a.name)
			}
		}
	}
	v.checkConsistencyProofs()

	claimed := map[Position]bool{}
	var vacated []slotRef // positions whose record moved elsewhere
	for _, m := range v.mism {
		if m.invented {
			v.recFinding(KindInvented, m.id, m.pos, "another record holds this position and matches the sealed hash %s; this one (hash %s) was never sealed", m.sealed, m.hash)
			continue
		}
		if p, ok := v.orphans[m.hash]; ok && p != m.pos {
			v.recFinding(KindReordered, m.id, m.pos, "its hash is sealed at leaf %d slot %d, not here", p.Leaf, p.Slot)
			claimed[p] = true
			vacated = append(vacated, m)
			continue
		}
		v.recFinding(KindAltered, m.id, m.pos, "stored record hashes to %s, but %s was sealed", m.hash, m.sealed)
	}
	// A record removed from the middle of a run shifts the ones after it:
	// each is reordered, and the hash sealed where the removed one sat is
	// claimed by no stored record.
	for _, m := range vacated {
		if !claimed[m.pos] {
			v.recFinding(KindDeleted, "", m.pos, "no stored record for the sealed hash %s (the records after it were moved up)", m.sealed)
		}
	}
	for _, m := range v.missing {
		if claimed[m.pos] {
			continue
		}
		if v.resealed[m.pos] {
			v.rep.Resealed++
			continue
		}
		detail := "no stored record for the sealed hash %s (and no retention tombstone)"
		if m.id != "" {
			detail = "the stored record is gone; its sealed hash is %s (and no retention tombstone)"
		}
		v.recFinding(KindDeleted, m.id, m.pos, detail, m.hash)
	}
	slices.SortStableFunc(v.recF, func(a, b Finding) int {
		if c := cmp.Compare(a.Leaf, b.Leaf); c != 0 {
			return c
		}
		return a.Slot - b.Slot
	})
	v.rep.Findings = append(v.logF, v.recF...)
	if v.rep.Findings == nil {
		v.rep.Findings = []Finding{}
	}
	return &v.rep, nil
}

// maxProofAnchors bounds the consistency proofs built per period: every
// anchored root is already checked by recomputing the tree, so the proofs
// of the latest few suffice to check the upper hash tiles as a third party
// holding only the anchors would.
const maxProofAnchors = 64

// checkConsistencyProofs proves, from the hash tiles, that the latest
// anchored checkpoints are prefixes of the latest checkpoint (RFC 6962
// consistency proofs).
func (v *PeriodVerifier) checkConsistencyProofs() {
	size := v.rep.CheckpointSize
	if size == 0 || len(v.anchors) == 0 {
		return
	}
	pb, err := client.NewProofBuilder(v.ctx, size, v.fetch.ReadTile)
	if err != nil {
		return
	}
	for _, a := range v.anchors[max(0, len(v.anchors)-maxProofAnchors):] {
		if a.cp.Size == 0 || a.cp.Size > size {
			continue
		}
		p, err := pb.ConsistencyProof(v.ctx, a.cp.Size, size)
		if err == nil {
			err = proof.VerifyConsistency(rfc6962.DefaultHasher, a.cp.Size, size, p, a.cp.Root, v.cpRoot)
		}
		if err != nil {
			v.logFinding(KindInconsistent, a.cp.Size, "no consistency proof from anchored checkpoint %s to the latest checkpoint: %v", a.name, err)
		}
	}
}
