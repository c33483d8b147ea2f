package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"

	"github.com/jikimi/jikimi/store/block"
)

// blockMeta is what the store keeps in memory of each block: where it sits
// in time and in the seal order. Blocks are numbered densely from 1 and
// never removed (retention rewrites them), so block n is blocks[n-1]; n
// is 0 only in the hole a removed row leaves.
type blockMeta struct {
	batch      int64
	tmin, tmax int64 // unix nanoseconds
	firstOrd   int32
	period     uint16 // index into DB.periods
	n, live    uint16
}

// loadBlocks reads every block's place.
func (s *DB) loadBlocks(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT num, batch, period, first_ord, n, live, t_min, t_max FROM blocks ORDER BY num`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var num uint32
		var m blockMeta
		var period string
		if err := rows.Scan(&num, &m.batch, &period, &m.firstOrd, &m.n, &m.live, &m.tmin, &m.tmax); err != nil {
			return err
		}
		if num <= uint32(len(s.blocks)) {
			return fmt.Errorf("block %d out of order", num)
		}
		// A block whose row is gone leaves a hole (n 0): its records are
		// lost, and verification names their seal positions.
		for uint32(len(s.blocks))+1 < num {
			s.blocks = append(s.blocks, blockMeta{})
		}
		m.period = s.internPeriod(period)
		s.blocks = append(s.blocks, m)
	}
	return rows.Err()
}

// internPeriod returns the number of a period name, adding it when new.
// It runs with mu held for writing (or before the DB is shared).
func (s *DB) internPeriod(p string) uint16 {
	if n, ok := s.periodNum[p]; ok {
		return n
	}
	n := uint16(len(s.periods))
	s.periods = append(s.periods, p)
	s.periodNum[p] = n
	return n
}

// snapshot returns the blocks stored so far; the slice is never changed
// in place below its length (appends and Retention's live counts go
// through mu), so the caller may read it without the lock.
func (s *DB) snapshot() []blockMeta {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.blocks[:len(s.blocks):len(s.blocks)]
}

// overlaps reports whether the block may hold records with time in
// [from, to) (zero bounds: unbounded).
func (m *blockMeta) overlaps(from, to int64) bool { return m.tmax >= from && m.tmin < to }

// timeBounds turns a query's time range into unix-nanosecond bounds.
func timeBounds(from, to int64, fromZero, toZero bool) (int64, int64) {
	if fromZero {
		from = math.MinInt64
	}
	if toZero {
		to = math.MaxInt64
	}
	return from, to
}

// Parts of a block a read needs.
type parts uint8

const (
	partHead parts = 1 << iota
	partCols
	partCanon
)

// loaded is one block read from the database and decoded as far as asked.
type loaded struct {
	num   uint32
	head  block.Head
	cols  block.Cols
	canon block.Canon
	has   parts
}

// blockReader reads blocks with prepared statements, one per set of parts.
type blockReader struct {
	s     *DB
	stmts map[parts]*sql.Stmt
}

func (s *DB) newBlockReader() *blockReader { return &blockReader{s: s, stmts: map[parts]*sql.Stmt{}} }

func (br *blockReader) close() {
	for _, st := range br.stmts {
		st.Close()
	}
}

// columns lists the block_data columns of a set of parts, in table order,
// so that SQLite reads no further into the row than the last one asked.
func (p parts) columns() string {
	cols := ""
	for _, c := range []struct {
		p    parts
		name string
	}{{partHead, "head"}, {partCols, "cols"}, {partCanon, "canon"}} {
		if p&c.p != 0 {
			if cols != "" {
				cols += ", "
			}
			cols += c.name
		}
	}
	return cols
}

// read reads block num's parts into l (decoding head and cols, and
// preparing canon for Get). What l holds is a copy: it stays valid.
func (br *blockReader) read(ctx context.Context, num uint32, p parts, l *loaded) error {
	p |= partHead // every other part is decoded against the head
	st, err := br.stmt(ctx, p)
	if err != nil {
		return err
	}
	var sec block.Sections
	if err := st.QueryRowContext(ctx, num).Scan(sections(&sec, p)...); err != nil {
		return fmt.Errorf("block %d: %w", num, err)
	}
	return l.decode(num, p, sec)
}

// visit reads block num's parts into l and calls fn while the database's
// own buffers back l: nothing is copied, and l is valid only during fn.
// Verification reads every block once this way.
func (br *blockReader) visit(ctx context.Context, num uint32, p parts, l *loaded, fn func(*loaded) error) error {
	p |= partHead
	st, err := br.stmt(ctx, p)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, num)
	if err != nil {
		return fmt.Errorf("block %d: %w", num, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return fmt.Errorf("block %d: %w", num, cmp.Or(rows.Err(), sql.ErrNoRows))
	}
	var sec block.Sections
	dst := sections(&sec, p)
	raw := make([]sql.RawBytes, len(dst))
	for i := range dst {
		dst[i] = &raw[i]
	}
	if err := rows.Scan(dst...); err != nil {
		return fmt.Errorf("block %d: %w", num, err)
	}
	for i, b := range sections(&sec, p) {
		*b.(*[]byte) = raw[i]
	}
	if err := l.decode(num, p, sec); err != nil {
		return err
	}
	return fn(l)
}

func (br *blockReader) stmt(ctx context.Context, p parts) (*sql.Stmt, error) {
	if st, ok := br.stmts[p]; ok {
		return st, nil
	}
	st, err := br.s.db.PrepareContext(ctx, `SELECT `+p.columns()+` FROM block_data WHERE num = ?`)
	if err != nil {
		return nil, err
	}
	br.stmts[p] = st
	return st, nil
}

// sections returns where a scan puts the sections p names, in column order.
func sections(sec *block.Sections, p parts) []any {
	dst := make([]any, 0, 3)
	for _, c := range []struct {
		p parts
		b *[]byte
	}{{partHead, &sec.Head}, {partCols, &sec.Cols}, {partCanon, &sec.Canon}} {
		if p&c.p != 0 {
			dst = append(dst, c.b)
		}
	}
	return dst
}

// decode decodes the parts p of block num's sections into l.
func (l *loaded) decode(num uint32, p parts, sec block.Sections) error {
	l.num, l.has = num, 0
	if err := block.DecodeHead(sec.Head, &l.head); err != nil {
		return fmt.Errorf("block %d: %w", num, err)
	}
	l.has |= partHead
	if p&partCols != 0 {
		if err := block.DecodeCols(sec.Cols, &l.head, &l.cols); err != nil {
			return fmt.Errorf("block %d: %w", num, err)
		}
		l.has |= partCols
	}
	if p&partCanon != 0 {
		if err := l.canon.Reset(sec.Canon, l.head.N); err != nil {
			return fmt.Errorf("block %d: %w", num, err)
		}
		l.has |= partCanon
	}
	return nil
}
