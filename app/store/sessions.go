package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// NewSecret returns a random URL-safe secret with 256 bits of entropy.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is how secrets are kept: a leaked database gives no usable
// session or link.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Session is a logged-in browser.
type Session struct {
	AccountID  int64
	IdentityID int64 // the identity acting; 0 when none chosen yet
	ExpiresAt  time.Time
	LastSeenAt time.Time // as coarse as lastSeenStep; zero when never seen
}

// CreateSession stores a new session and returns its secret for the cookie.
func (s *Store) CreateSession(ctx context.Context, accountID, identityID int64, ttl time.Duration) (string, error) {
	secret := NewSecret()
	now := s.now()
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO sessions (token_hash, account_id, identity_id, created_at, expires_at) VALUES (?, ?, nullif(?, 0), ?, ?)`,
		HashSecret(secret), accountID, identityID, now.Unix(), now.Add(ttl).Unix())
	if err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return secret, nil
}

// SessionBySecret returns the live session for a cookie value.
func (s *Store) SessionBySecret(ctx context.Context, secret string) (*Session, error) {
	var sess Session
	var identity *int64
	var expires, seen int64
	err := s.db.QueryRowContext(ctx,
		`SELECT account_id, identity_id, expires_at, coalesce(last_seen_at, 0) FROM sessions WHERE token_hash = ? AND expires_at > ?`,
		HashSecret(secret), s.unix()).Scan(&sess.AccountID, &identity, &expires, &seen)
	if err != nil {
		return nil, notFound(err)
	}
	if identity != nil {
		sess.IdentityID = *identity
	}
	sess.ExpiresAt = time.Unix(expires, 0).UTC()
	if seen != 0 {
		sess.LastSeenAt = time.Unix(seen, 0).UTC()
	}
	return &sess, nil
}

// SetSessionIdentity remembers which identity acts in this session. The
// identity must belong to the session's account.
func (s *Store) SetSessionIdentity(ctx context.Context, secret string, identityID int64) error {
	res, err := s.db.ExecContext(ctx, `
		UPDATE sessions SET identity_id = ?2
		WHERE token_hash = ?1
		  AND EXISTS (SELECT 1 FROM actors WHERE id = ?2 AND account_id = sessions.account_id)`,
		HashSecret(secret), identityID)
	if err != nil {
		return fmt.Errorf("set session identity: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteSession logs a browser out.
func (s *Store) DeleteSession(ctx context.Context, secret string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, HashSecret(secret))
	return err
}

// DeleteExpiredSessions removes sessions past their expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, s.unix())
	return err
}
