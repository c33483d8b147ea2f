package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"unicode/utf8"

	"github.com/jikimi/jikimi/record"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
)

// BundleFormat identifies the proof bundle format.
const BundleFormat = "jikimi-proof/1"

// Bundle is a self-contained, portable proof that one record is sealed: the
// record's canonical bytes, every hash of its leaf, an RFC 6962 inclusion
// proof of that leaf and the signed checkpoint it leads to. VerifyBundle
// checks it with nothing but public keys.
type Bundle struct {
	Format string `json:"format"`
	Period string `json:"period"`
	Origin string `json:"origin"`
	// Record is the canonical JSON of the record; RecordBase64 replaces it
	// when the bytes are not valid UTF-8.
	Record       string `json:"record,omitempty"`
	RecordBase64 []byte `json:"record_base64,omitempty"`
	RecordHash   string `json:"record_hash"`
	Leaf         uint64 `json:"leaf_index"`
	Slot         int    `json:"slot"`
	// LeafHashes are the record hashes the leaf holds, in slot order (hex);
	// the leaf's data is their concatenation.
	LeafHashes []string `json:"leaf_hashes"`
	TreeSize   uint64   `json:"tree_size"`
	// Inclusion is the inclusion proof of the leaf in the tree of TreeSize
	// leaves (hex hashes, leaf to root).
	Inclusion []string `json:"inclusion_proof"`
	// Checkpoint is the signed note of the checkpoint (C2SP tlog-checkpoint).
	Checkpoint string `json:"checkpoint"`
}

// Proof builds the proof bundle of the record with canonical bytes sealed at
// pos, against the latest published checkpoint. It fails with ErrNotSealed
// if the bytes do not hash to the sealed slot, and ErrNoCheckpoint if no
// checkpoint covers the leaf yet (retry after Options.CheckpointInterval).
func (l *Ledger) Proof(ctx context.Context, pos Position, canonical []byte) (*Bundle, error) {
	signed, size, root, err := l.Checkpoint(ctx, pos.Period)
	if err != nil {
		return nil, err
	}
	if pos.Leaf >= size {
		return nil, fmt.Errorf("%w: leaf %d of %s (checkpoint size %d)", ErrNoCheckpoint, pos.Leaf, pos.Period, size)
	}
	f := client.FileFetcher{Root: filepath.Join(l.o.Dir, pos.Period)}
	eb, err := client.GetEntryBundle(ctx, f.ReadEntryBundle, pos.Leaf/layout.EntryBundleWidth, size)
	if err != nil {
		return nil, fmt.Errorf("ledger: proof: %w", err)
	}
	k := pos.Leaf % layout.EntryBundleWidth
	if k >= uint64(len(eb.Entries)) {
		return nil, fmt.Errorf("ledger: proof: leaf %d missing from its bundle", pos.Leaf)
	}
	data := eb.Entries[k]
	h := record.HashOf(canonical)
	if s := int(pos.Slot); (s+1)*32 > len(data) || !bytes.Equal(data[s*32:s*32+32], h[:]) {
		return nil, fmt.Errorf("%w: %s", ErrNotSealed, pos)
	}
	pb, err := client.NewProofBuilder(ctx, size, f.ReadTile)
	if err != nil {
		return nil, fmt.Errorf("ledger: proof: %w", err)
	}
	incl, err := pb.InclusionProof(ctx, pos.Leaf)
	if err != nil {
		return nil, fmt.Errorf("ledger: proof: %w", err)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, pos.Leaf, size, rfc6962.DefaultHasher.HashLeaf(data), incl, root); err != nil {
		return nil, fmt.Errorf("ledger: proof: the log's tiles do not prove leaf %d: %w", pos.Leaf, err)
	}
	b := &Bundle{
		Format: BundleFormat, Period: pos.Period, Origin: l.Origin(pos.Period),
		RecordHash: h.String(), Leaf: pos.Leaf, Slot: int(pos.Slot),
		TreeSize: size, Checkpoint: string(signed),
	}
	if utf8.Valid(canonical) {
		b.Record = string(canonical)
	} else {
		b.RecordBase64 = canonical
	}
	for i := 0; i+32 <= len(data); i += 32 {
		b.LeafHashes = append(b.LeafHashes, hex.EncodeToString(data[i:i+32]))
	}
	for _, p := range incl {
		b.Inclusion = append(b.Inclusion, hex.EncodeToString(p))
	}
	return b, nil
}

// VerifyBundle checks a JSON proof bundle with nothing but public keys (note
// verifier strings, as PublicKeys prints them). A key counts only for the
// log it names: the bundle's origin must be the key's name + "/" + period.
// A nil error means the record bytes in the bundle are sealed in the log and
// a trusted key signed a checkpoint committing to them.
func VerifyBundle(b []byte, publicKeys []string) error {
	var bd Bundle
	if err := json.Unmarshal(b, &bd); err != nil {
		return fmt.Errorf("proof bundle: %w", err)
	}
	if bd.Format != BundleFormat {
		return fmt.Errorf("proof bundle: format %q, want %q", bd.Format, BundleFormat)
	}
	var pubs []ed25519.PublicKey
	for _, s := range publicKeys {
		pk, err := ParsePublicKey(s)
		if err != nil {
			return err
		}
		if pk.Name+"/"+bd.Period == bd.Origin {
			pubs = append(pubs, pk.Key)
		}
	}
	if len(pubs) == 0 {
		return fmt.Errorf("proof bundle: no given key is for log %q", bd.Origin)
	}
	cp, err := openCheckpoint([]byte(bd.Checkpoint), bd.Origin, pubs)
	if err != nil {
		return fmt.Errorf("proof bundle: %w", err)
	}
	if cp.Size != bd.TreeSize {
		return fmt.Errorf("proof bundle: checkpoint size %d, bundle says %d", cp.Size, bd.TreeSize)
	}
	canonical := []byte(bd.Record)
	if bd.RecordBase64 != nil {
		canonical = bd.RecordBase64
	}
	h := record.HashOf(canonical)
	if h.String() != bd.RecordHash {
		return errors.New("proof bundle: the record does not hash to record_hash")
	}
	if bd.Slot < 0 || bd.Slot >= len(bd.LeafHashes) || bd.LeafHashes[bd.Slot] != h.String() {
		return fmt.Errorf("proof bundle: slot %d of the leaf does not hold the record's hash", bd.Slot)
	}
	data := make([]byte, 0, 32*len(bd.LeafHashes))
	for _, s := range bd.LeafHashes {
		x, err := hex.DecodeString(s)
		if err != nil || len(x) != 32 {
			return fmt.Errorf("proof bundle: bad leaf hash %q", s)
		}
		data = append(data, x...)
	}
	incl := make([][]byte, len(bd.Inclusion))
	for i, s := range bd.Inclusion {
		if incl[i], err = hex.DecodeString(s); err != nil {
			return fmt.Errorf("proof bundle: bad proof hash %q", s)
		}
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, bd.Leaf, cp.Size, rfc6962.DefaultHasher.HashLeaf(data), incl, cp.Root); err != nil {
		return fmt.Errorf("proof bundle: leaf %d is not included in the signed checkpoint: %w", bd.Leaf, err)
	}
	return nil
}
