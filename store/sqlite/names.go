package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
)

// Names of systems, actors and actions get dense numbers in the order they
// are first seen; the names a transaction adds are written as one chunk
// row (for each: kind byte, uvarint length, name), so that a new actor, of
// which a busy customer site sees many, costs bytes in a row rather than a
// row and an index entry.

// Name kinds in the dictionary.
const (
	kindSystem = 1
	kindActor  = 2
	kindAction = 3
)

type nameKey struct {
	kind int
	name string
}

// loadNames reads the dictionary into memory.
func (s *DB) loadNames(ctx context.Context) error {
	for k := range s.names {
		s.names[k] = map[string]uint32{}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT first, data FROM name_chunks ORDER BY first`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var first uint32
		var data []byte
		if err := rows.Scan(&first, &data); err != nil {
			return err
		}
		if first != uint32(len(s.nameByNum))+1 {
			return fmt.Errorf("name chunk at %d, want %d", first, len(s.nameByNum)+1)
		}
		for num := first; len(data) > 0; num++ {
			kind := int(data[0])
			l, n := binary.Uvarint(data[1:])
			if n <= 0 || l > uint64(len(data)-1-n) || kind < 1 || kind >= len(s.names) {
				return fmt.Errorf("name chunk %d: corrupt at name %d", first, num)
			}
			name := string(data[1+n : 1+n+int(l)])
			data = data[1+n+int(l):]
			s.names[kind][name] = num
			s.nameByNum = append(s.nameByNum, name)
		}
	}
	return rows.Err()
}

// writeNames stores the names a transaction added, numbered from first on.
func writeNames(ctx context.Context, tx *sql.Tx, first uint32, keys []nameKey) error {
	if len(keys) == 0 {
		return nil
	}
	var data []byte
	for _, k := range keys {
		data = append(data, byte(k.kind))
		data = binary.AppendUvarint(data, uint64(len(k.name)))
		data = append(data, k.name...)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO name_chunks (first, data) VALUES (?, ?)`, first, data)
	return err
}

// nameNum returns the number of a dictionary name, or false.
func (s *DB) nameNum(kind int, name string) (uint32, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, ok := s.names[kind][name]
	return n, ok
}

// nameOf returns the name of a dictionary number.
func (s *DB) nameOf(num uint32) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.nameLocked(num)
}

// nameLocked is nameOf with mu held.
func (s *DB) nameLocked(num uint32) string {
	if num == 0 || int(num) > len(s.nameByNum) {
		return ""
	}
	return s.nameByNum[num-1]
}

// name returns the dictionary number of a name, numbering it when new.
// mu is held for reading.
func (t *tx) name(kind int, name string) uint32 {
	if n, ok := t.s.names[kind][name]; ok {
		return n
	}
	k := nameKey{kind, name}
	if n, ok := t.newNames[k]; ok {
		return n
	}
	n := t.firstName + uint32(len(t.nameList))
	t.newNames[k] = n
	t.nameList = append(t.nameList, k)
	return n
}
