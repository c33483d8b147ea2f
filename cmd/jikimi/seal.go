package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jikimi/jikimi/ledger"
	"github.com/jikimi/jikimi/record"
)

// originFile keeps the ledger's origin (the name in every checkpoint) so
// that it never changes with the host name.
const originFile = "ledger-origin"

// anchorFlag adds --anchor-dir to fs.
func anchorFlag(fs *flag.FlagSet) *string {
	return fs.String("anchor-dir", os.Getenv("JIKIMI_ANCHOR_DIR"),
		"write-once copy of every anchored checkpoint, on another disk or mount (default $JIKIMI_ANCHOR_DIR, else DATA/anchors)")
}

// ledgerOptions returns the ledger options of a data directory, creating
// its origin on first use unless readOnly.
func ledgerOptions(dataDir, anchorDir string, readOnly bool) (ledger.Options, error) {
	o := ledger.Options{
		Dir:       filepath.Join(dataDir, "ledger"),
		KeyDir:    filepath.Join(dataDir, "keys"),
		AnchorDir: anchorDir,
		ReadOnly:  readOnly,
	}
	if o.AnchorDir == "" {
		o.AnchorDir = filepath.Join(dataDir, "anchors")
	}
	path := filepath.Join(dataDir, originFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		o.Origin = strings.TrimSpace(string(b))
	case errors.Is(err, os.ErrNotExist) && !readOnly:
		raw := make([]byte, 8)
		rand.Read(raw)
		o.Origin = "jikimi.local/" + hex.EncodeToString(raw)
		if err := os.WriteFile(path, []byte(o.Origin+"\n"), 0o644); err != nil {
			return o, err
		}
	default:
		return o, fmt.Errorf("ledger origin: %w", err)
	}
	return o, nil
}

// ledgerSealer is the pipeline's Sealer on a ledger: positions are stored
// as uvarint (leaf, slot) pairs, one per record in seal order.
type ledgerSealer struct{ l *ledger.Ledger }

func (s ledgerSealer) Seal(ctx context.Context, period string, hashes []record.Hash) ([]byte, error) {
	pos, err := s.l.Seal(ctx, period, hashes)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 4*len(pos))
	for _, p := range pos {
		b = binary.AppendUvarint(b, p.Leaf)
		b = binary.AppendUvarint(b, uint64(p.Slot))
	}
	return b, nil
}

// decodePositions reads what ledgerSealer.Seal stored.
func decodePositions(period string, b []byte) ([]ledger.Position, error) {
	// Two uvarints a position, each ending in a byte below 0x80: count
	// them first, for verification reads every batch's positions.
	ends := 0
	for _, c := range b {
		if c < 0x80 {
			ends++
		}
	}
	out := make([]ledger.Position, 0, ends/2)
	for len(b) > 0 {
		leaf, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errors.New("corrupt seal positions")
		}
		b = b[n:]
		slot, n := binary.Uvarint(b)
		if n <= 0 || slot > 0xffff {
			return nil, errors.New("corrupt seal positions")
		}
		b = b[n:]
		out = append(out, ledger.Position{Period: period, Leaf: leaf, Slot: uint16(slot)})
	}
	return out, nil
}
