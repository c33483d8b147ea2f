package ledger

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	f_log "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a parsed C2SP tlog-checkpoint: the log's origin, its size in
// leaves and its RFC 6962 root hash.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
}

// ErrSignature reports a checkpoint that no trusted key signed, or whose
// signature by a trusted key is invalid.
type ErrSignature struct {
	Origin string
	Err    error
}

func (e *ErrSignature) Error() string {
	return fmt.Sprintf("ledger: checkpoint of %s: bad signature: %v", e.Origin, e.Err)
}
func (e *ErrSignature) Unwrap() error { return e.Err }

// parseCheckpoint parses the checkpoint body of a signed note without
// checking any signature.
func parseCheckpoint(raw []byte) (Checkpoint, error) {
	var c f_log.Checkpoint
	text := raw
	if i := indexBlank(raw); i >= 0 {
		text = raw[:i+1]
	}
	if _, err := c.Unmarshal(text); err != nil {
		return Checkpoint{}, fmt.Errorf("ledger: malformed checkpoint: %w", err)
	}
	return Checkpoint{Origin: c.Origin, Size: c.Size, Root: c.Hash}, nil
}

// indexBlank returns the index of the "\n\n" separating a note's text from
// its signatures.
func indexBlank(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\n' && b[i+1] == '\n' {
			return i
		}
	}
	return -1
}

// openCheckpoint verifies that a trusted key signed raw for origin and
// parses it.
func openCheckpoint(raw []byte, origin string, trusted []ed25519.PublicKey) (Checkpoint, error) {
	n, err := note.Open(raw, verifiersFor(origin, trusted))
	if err != nil {
		return Checkpoint{}, &ErrSignature{Origin: origin, Err: err}
	}
	cp, err := parseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, err
	}
	if cp.Origin != origin {
		return Checkpoint{}, &ErrSignature{Origin: origin, Err: fmt.Errorf("origin is %q", cp.Origin)}
	}
	return cp, nil
}

// readCheckpointFile parses a period log's published checkpoint, unverified.
func readCheckpointFile(dir string) (Checkpoint, error) {
	raw, err := os.ReadFile(filepath.Join(dir, layout.CheckpointPath))
	if err != nil {
		return Checkpoint{}, err
	}
	return parseCheckpoint(raw)
}

// readTreeState reads the size and root Tessera's POSIX driver has
// integrated (its private .state/treeState file), which can run ahead of
// the published checkpoint. It is unsigned: verification uses it only to
// look at leaves the checkpoint does not cover yet.
func readTreeState(dir string) (uint64, []byte, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ".state", "treeState"))
	if err != nil {
		return 0, nil, err
	}
	var ts struct {
		Size uint64 `json:"size"`
		Root []byte `json:"root"`
	}
	if err := json.Unmarshal(raw, &ts); err != nil {
		return 0, nil, errors.New("ledger: malformed tree state")
	}
	return ts.Size, ts.Root, nil
}
