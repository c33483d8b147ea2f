package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/jikimi/jikimi/account"
)

const accountSchema = `
CREATE TABLE IF NOT EXISTS console_users (
	id  TEXT PRIMARY KEY,
	doc BLOB NOT NULL
);`

var _ account.Store = (*DB)(nil)

// User implements account.Store.
func (s *DB) User(ctx context.Context, id string) (account.User, error) {
	var u account.User
	if err := s.ensure(ctx, "account", accountSchema); err != nil {
		return u, err
	}
	var doc []byte
	err := s.db.QueryRowContext(ctx, `SELECT doc FROM console_users WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return u, account.ErrNoUser
	}
	if err != nil {
		return u, err
	}
	return u, json.Unmarshal(doc, &u)
}

// Users implements account.Store.
func (s *DB) Users(ctx context.Context) ([]account.User, error) {
	if err := s.ensure(ctx, "account", accountSchema); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT doc FROM console_users ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var us []account.User
	for rows.Next() {
		var doc []byte
		var u account.User
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(doc, &u); err != nil {
			return nil, err
		}
		us = append(us, u)
	}
	return us, rows.Err()
}

// PutUser implements account.Store.
func (s *DB) PutUser(ctx context.Context, u account.User) error {
	if err := s.ensure(ctx, "account", accountSchema); err != nil {
		return err
	}
	doc, err := json.Marshal(u)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO console_users (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`, u.ID, doc)
	return err
}
