package ledger

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Anchor is write-once storage outside the data directory. The ledger puts
// every anchored checkpoint and every public key there, so that replacing the
// data directory with an older copy, or re-signing a rewritten log with a new
// key, is detectable (issue 4, point 3). An S3-compatible object store with
// object lock in compliance mode satisfies the same contract.
//
// Names are slash-separated, e.g. "checkpoint/2026-07/00000000000000001234".
// Methods may be called concurrently.
type Anchor interface {
	// Put stores data under name. It MUST NOT overwrite: when name already
	// exists it returns an error matching fs.ErrExist and leaves the stored
	// data unchanged. A nil error means data is durable.
	Put(ctx context.Context, name string, data []byte) error
	// Get returns the data stored under name, or an error matching
	// fs.ErrNotExist.
	Get(ctx context.Context, name string) ([]byte, error)
	// List returns the names starting with prefix, sorted; none is no error.
	List(ctx context.Context, prefix string) ([]string, error)
}

// DirAnchor is an Anchor in a local directory (--anchor-dir), meant to be on
// another disk, a write-once mount or a share the data directory's
// administrator cannot rewrite. Files are created read-only and never
// replaced.
type DirAnchor struct {
	Dir string
}

var _ Anchor = DirAnchor{}

func (a DirAnchor) path(name string) (string, error) {
	if name == "" || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("anchor: bad name %q", name)
	}
	return filepath.Join(a.Dir, filepath.FromSlash(name)), nil
}

// Put implements Anchor.
func (a DirAnchor) Put(_ context.Context, name string, data []byte) error {
	p, err := a.path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("anchor: %w", err)
	}
	if err := writeExclusive(p, data, 0o444); err != nil {
		return fmt.Errorf("anchor: %w", err)
	}
	return nil
}

// Get implements Anchor.
func (a DirAnchor) Get(_ context.Context, name string) ([]byte, error) {
	p, err := a.path(name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// List implements Anchor.
func (a DirAnchor) List(_ context.Context, prefix string) ([]string, error) {
	// Walk only the directory the prefix names, not the whole anchor.
	root := a.Dir
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		root = filepath.Join(a.Dir, filepath.FromSlash(prefix[:i]))
	}
	var names []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".tmp-") {
			return nil
		}
		rel, err := filepath.Rel(a.Dir, p)
		if err != nil {
			return err
		}
		if name := filepath.ToSlash(rel); strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
		return nil
	})
	slices.Sort(names)
	return names, err
}

// Anchor names. Sizes are zero-padded so that names sort by tree size.
func anchorCheckpointName(period string, size uint64) string {
	return fmt.Sprintf("checkpoint/%s/%020d", period, size)
}

func anchorKeyName(seq int, hash uint32) string {
	return fmt.Sprintf("key/%04d-%08x.vkey", seq, hash)
}
