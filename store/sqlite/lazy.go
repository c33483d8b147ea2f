package sqlite

import (
	"context"
	"sync"
)

// lazySchemas remembers which of a DB's optional schemas (the console's
// accounts, cases, reports) have been created. They are created on first
// use with CREATE TABLE IF NOT EXISTS, so a store that never serves the
// console never carries them.
var lazySchemas sync.Map // lazyKey → *lazyOnce

type lazyKey struct {
	db   *DB
	name string
}

type lazyOnce struct {
	mu   sync.Mutex
	done bool
}

// ensure runs ddl once per DB and name (again after a failure).
func (s *DB) ensure(ctx context.Context, name, ddl string) error {
	v, _ := lazySchemas.LoadOrStore(lazyKey{s, name}, &lazyOnce{})
	o := v.(*lazyOnce)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, ddl); err != nil {
		return err
	}
	o.done = true
	return nil
}
