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

// lazyOnce runs a loader the first time it is needed, and again after a
// failure (sync.Once would remember the failure). The zero value is ready.
type lazyOnce struct {
	mu   sync.Mutex
	done bool
}

func (o *lazyOnce) do(fn func() error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return nil
	}
	if err := fn(); err != nil {
		return err
	}
	o.done = true
	return nil
}

// ensure runs ddl once per DB and name (again after a failure).
func (s *DB) ensure(ctx context.Context, name, ddl string) error {
	v, _ := lazySchemas.LoadOrStore(lazyKey{s, name}, &lazyOnce{})
	return v.(*lazyOnce).do(func() error {
		_, err := s.db.ExecContext(ctx, ddl)
		return err
	})
}
