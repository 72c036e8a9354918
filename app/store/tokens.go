package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Token purposes.
const (
	TokenSetup    = "setup"    // first-run link: create the owner account
	TokenPassword = "password" // set or reset an account's password
	TokenInvite   = "invite"   // register while registrations are invite-only
)

// Token is a one-time secret sent by link.
type Token struct {
	Purpose   string
	AccountID int64
	ExpiresAt time.Time
}

// CreateToken stores a new one-time token and returns its secret.
func (s *Store) CreateToken(ctx context.Context, purpose string, accountID int64, ttl time.Duration) (string, error) {
	secret := NewSecret()
	now := s.now()
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO tokens (token_hash, purpose, account_id, expires_at, created_at) VALUES (?, ?, nullif(?, 0), ?, ?)`,
		HashSecret(secret), purpose, accountID, now.Add(ttl).Unix(), now.Unix())
	if err != nil {
		return "", fmt.Errorf("create token: %w", err)
	}
	return secret, nil
}

// PeekToken returns a token that is unused and unexpired, without using it.
func (s *Store) PeekToken(ctx context.Context, purpose, secret string) (*Token, error) {
	return peekToken(ctx, s.db, purpose, secret, s.unix())
}

func peekToken(ctx context.Context, q queryer, purpose, secret string, now int64) (*Token, error) {
	var t Token
	var account *int64
	var expires int64
	err := q.QueryRowContext(ctx,
		`SELECT purpose, account_id, expires_at FROM tokens
		 WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?`,
		HashSecret(secret), purpose, now).Scan(&t.Purpose, &account, &expires)
	if err != nil {
		return nil, notFound(err)
	}
	if account != nil {
		t.AccountID = *account
	}
	t.ExpiresAt = time.Unix(expires, 0).UTC()
	return &t, nil
}

// UseToken marks a token used inside tx; ErrNotFound when it was already
// used, expired or never existed, so a link works exactly once.
func (s *Store) UseToken(ctx context.Context, tx *sql.Tx, purpose, secret string) (*Token, error) {
	t, err := peekToken(ctx, tx, purpose, secret, s.unix())
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tokens SET used_at = ? WHERE token_hash = ?`, s.unix(), HashSecret(secret)); err != nil {
		return nil, fmt.Errorf("use token: %w", err)
	}
	return t, nil
}

// HasLiveToken tells whether an unused, unexpired token of that purpose exists.
func (s *Store) HasLiveToken(ctx context.Context, purpose string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE purpose = ? AND used_at IS NULL AND expires_at > ?`, purpose, s.unix()).Scan(&n)
	return n > 0, err
}

// CountLiveTokens counts the unused, unexpired tokens of a purpose.
func (s *Store) CountLiveTokens(ctx context.Context, purpose string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE purpose = ? AND used_at IS NULL AND expires_at > ?`, purpose, s.unix()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count tokens: %w", err)
	}
	return n, nil
}
