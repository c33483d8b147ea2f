package collect

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jikimi/jikimi/internal/fsutil"
)

// stateFile holds the committed read positions in Config.StateDir.
const stateFile = "positions.json"

// position is where reading a file resumes after a restart. It is
// committed only once every record before Offset was acknowledged by the
// server or is in the disk buffer.
type position struct {
	Path   string `json:"path"`   // last path seen (for people; the key is the identity)
	Offset int64  `json:"offset"` // bytes of the file consumed
	Gen    int    `json:"gen"`    // truncations seen: a new generation of the same inode
	// ID is the file's part of derived record ids: a hash of device, inode,
	// generation and first line, so that ids stay stable across restarts
	// and differ after a truncation or when an inode is reused.
	ID string `json:"id"`
	// First is the hash of the file's first line and FirstLen its length
	// with the newline: a different first line means a different file.
	First    string `json:"first"`
	FirstLen int    `json:"first_len"`
	// Drop, in a batch's positions, removes the entry: the file was
	// rotated away and read to its end.
	Drop bool `json:"-"`
}

// state is the set of committed positions, by source name and file key
// ("device:inode").
type state struct {
	Files map[string]map[string]position `json:"files"`
}

func loadState(dir string) (*state, error) {
	s := &state{Files: map[string]map[string]position{}}
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("collect: read positions %s: %w", filepath.Join(dir, stateFile), err)
	}
	if s.Files == nil {
		s.Files = map[string]map[string]position{}
	}
	return s, nil
}

// apply merges a batch's positions.
func (s *state) apply(src string, ps map[string]position) {
	m := s.Files[src]
	if m == nil {
		m = map[string]position{}
		s.Files[src] = m
	}
	for k, p := range ps {
		if p.Drop {
			delete(m, k)
		} else {
			m[k] = p
		}
	}
}

// writeDurable replaces dir/name with data durably (see fsutil).
func writeDurable(dir, name string, data []byte) error {
	return fsutil.WriteFileAtomic(filepath.Join(dir, name), data, 0o600)
}
