package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/subject"
)

// Data subjects get dense numbers in the order they are first seen; the
// numbers first seen by one transaction are written as one chunk row:
// for each, its pseudonym and uvarint-prefixed sealed identifier. A new
// subject costs a few dozen bytes in a row, not a row and an index entry.

// ensureSubjects reads the subjects into memory the first time a search by
// subject, a re-identification or a write needs them: a store of tens of
// millions of subjects takes seconds to load, which verification and most
// searches never need.
func (s *DB) ensureSubjects(ctx context.Context) error {
	return s.subjectsLoad.do(func() error { return s.loadSubjects(ctx) })
}

// loadSubjects reads every chunk into the pseudonym → number map.
func (s *DB) loadSubjects(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT first, data FROM subject_chunks ORDER BY first`)
	if err != nil {
		return err
	}
	defer rows.Close()
	subjects := map[subject.Pseudonym]uint32{}
	var chunks []uint32
	next := uint32(1)
	for rows.Next() {
		var first uint32
		var data []byte
		if err := rows.Scan(&first, &data); err != nil {
			return err
		}
		if first != next {
			return fmt.Errorf("subject chunk at %d, want %d", first, next)
		}
		chunks = append(chunks, first)
		err := eachSubject(data, first, func(num uint32, p subject.Pseudonym, _ []byte) error {
			subjects[p] = num
			next = num + 1
			return nil
		})
		if err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.subjects, s.chunks = subjects, chunks
	s.mu.Unlock()
	return nil
}

// subjectNum returns the dense number of a pseudonym, or false.
func (s *DB) subjectNum(ctx context.Context, p subject.Pseudonym) (uint32, bool, error) {
	if err := s.ensureSubjects(ctx); err != nil {
		return 0, false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, ok := s.subjects[p]
	return n, ok, nil
}

// eachSubject decodes a subject chunk whose first number is first.
func eachSubject(data []byte, first uint32, fn func(num uint32, p subject.Pseudonym, sealed []byte) error) error {
	for num := first; len(data) > 0; num++ {
		if len(data) < subject.Size {
			return fmt.Errorf("subject chunk %d: truncated at subject %d", first, num)
		}
		p := subject.Pseudonym(data[:subject.Size])
		data = data[subject.Size:]
		l, n := binary.Uvarint(data)
		if n <= 0 || l > uint64(len(data)-n) {
			return fmt.Errorf("subject chunk %d: truncated at subject %d", first, num)
		}
		if err := fn(num, p, data[n:n+int(l)]); err != nil {
			return err
		}
		data = data[n+int(l):]
	}
	return nil
}

// writeSubjects stores the subjects a transaction saw first, numbered
// from first on.
func writeSubjects(ctx context.Context, tx *sql.Tx, first uint32, refs []store.SubjectRef) error {
	if len(refs) == 0 {
		return nil
	}
	size := 0
	for _, r := range refs {
		size += subject.Size + 2 + len(r.Sealed)
	}
	data := make([]byte, 0, size)
	for _, r := range refs {
		data = append(data, r.Pseudonym[:]...)
		data = binary.AppendUvarint(data, uint64(len(r.Sealed)))
		data = append(data, r.Sealed...)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO subject_chunks (first, data) VALUES (?, ?)`, first, data)
	return err
}

// SealedSubjects calls fn with the sealed identifiers of subject numbers,
// in ascending order, for breach notification. The caller opens them with
// the subject key.
func (s *DB) SealedSubjects(ctx context.Context, nums []uint32, fn func(num uint32, p subject.Pseudonym, sealed []byte) error) error {
	if err := s.ensureSubjects(ctx); err != nil {
		return err
	}
	nums = slices.Sorted(slices.Values(nums))
	s.mu.RLock()
	chunks := s.chunks
	s.mu.RUnlock()
	for len(nums) > 0 {
		i, found := slices.BinarySearch(chunks, nums[0])
		if !found {
			i--
		}
		if i < 0 {
			return fmt.Errorf("subject %d: %w", nums[0], store.ErrNotFound)
		}
		var data []byte
		if err := s.db.QueryRowContext(ctx, `SELECT data FROM subject_chunks WHERE first = ?`, chunks[i]).Scan(&data); err != nil {
			return fmt.Errorf("subject chunk %d: %w", chunks[i], err)
		}
		err := eachSubject(data, chunks[i], func(num uint32, p subject.Pseudonym, sealed []byte) error {
			if len(nums) == 0 || nums[0] != num {
				return nil
			}
			for len(nums) > 0 && nums[0] == num {
				nums = nums[1:]
			}
			return fn(num, p, sealed)
		})
		if err != nil {
			return err
		}
		// Numbers this chunk's range holds but no subject has are skipped.
		end := uint32(math.MaxUint32)
		if i+1 < len(chunks) {
			end = chunks[i+1]
		}
		for len(nums) > 0 && nums[0] < end {
			nums = nums[1:]
		}
	}
	return nil
}
