package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// lastSeenStep is how coarse "last seen" is: a session's and an account's
// time is written at most once per step, rounded down to it, so that a
// page view does not cost a write and nobody's minute-by-minute activity
// is kept.
const lastSeenStep = 15 * time.Minute

// CreateTokenTx is CreateToken inside a caller's transaction, so that a
// link and the mail carrying it commit together.
func (s *Store) CreateTokenTx(ctx context.Context, tx *sql.Tx, purpose string, accountID int64, ttl time.Duration) (string, error) {
	secret := NewSecret()
	now := s.now()
	_, err := tx.ExecContext(ctx,
		`INSERT INTO tokens (token_hash, purpose, account_id, expires_at, created_at) VALUES (?, ?, nullif(?, 0), ?, ?)`,
		HashSecret(secret), purpose, accountID, now.Add(ttl).Unix(), now.Unix())
	if err != nil {
		return "", fmt.Errorf("create token: %w", err)
	}
	return secret, nil
}

// CreateSessionFrom is CreateSession remembering the device it was opened
// on (a short description, never the whole User-Agent).
func (s *Store) CreateSessionFrom(ctx context.Context, accountID, identityID int64, ttl time.Duration, device string) (string, error) {
	secret := NewSecret()
	now := s.now()
	seen := now.Truncate(lastSeenStep).Unix()
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO sessions (token_hash, account_id, identity_id, created_at, expires_at, device, last_seen_at)
			 VALUES (?, ?, nullif(?, 0), ?, ?, ?, ?)`,
			HashSecret(secret), accountID, identityID, now.Unix(), now.Add(ttl).Unix(), device, seen); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET last_seen_at = ? WHERE id = ?`, seen, accountID)
		return err
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// SeenThisStep tells whether sess was already recorded as used in the
// current lastSeenStep, so that TouchSession would change nothing. Every
// logged-in request asks: an UPDATE that changes no row still waits for
// the database's one writer, and a page view must not queue behind a
// busy writer (or be one) only to learn that.
func (s *Store) SeenThisStep(sess *Session) bool {
	return sess.LastSeenAt.Unix() >= s.now().Truncate(lastSeenStep).Unix()
}

// TouchSession records that a session was used now, coarsely: nothing is
// written while the stored time is within the same quarter hour.
func (s *Store) TouchSession(ctx context.Context, secret string, accountID int64) error {
	seen := s.now().Truncate(lastSeenStep).Unix()
	res, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ? AND last_seen_at < ?`,
		seen, HashSecret(secret), seen)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	_, err = s.db.ExecContext(ctx, `UPDATE accounts SET last_seen_at = ? WHERE id = ? AND coalesce(last_seen_at, 0) < ?`, seen, accountID, seen)
	return err
}

// SessionInfo is one logged-in browser as its owner sees it.
type SessionInfo struct {
	ID        int64
	Device    string
	CreatedAt time.Time
	LastSeen  time.Time
	Current   bool // the session asking
}

// SessionsOf lists an account's live sessions, most recently used first;
// current is the secret of the session asking.
func (s *Store) SessionsOf(ctx context.Context, accountID int64, current string) ([]SessionInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT rowid, device, created_at, last_seen_at, token_hash = ?
		FROM sessions WHERE account_id = ? AND expires_at > ? ORDER BY last_seen_at DESC, rowid DESC`,
		HashSecret(current), accountID, s.unix())
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []SessionInfo
	for rows.Next() {
		var si SessionInfo
		var created, seen int64
		if err := rows.Scan(&si.ID, &si.Device, &created, &seen, &si.Current); err != nil {
			return nil, err
		}
		si.CreatedAt, si.LastSeen = time.Unix(created, 0).UTC(), time.Unix(max(seen, created), 0).UTC()
		out = append(out, si)
	}
	return out, rows.Err()
}

// EndSession logs out one session of an account by its id.
func (s *Store) EndSession(ctx context.Context, accountID, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE rowid = ? AND account_id = ?`, id, accountID)
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// EndOtherSessions logs out every session of an account but the one whose
// secret is keep.
func (s *Store) EndOtherSessions(ctx context.Context, accountID int64, keep string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = ? AND token_hash <> ?`, accountID, HashSecret(keep))
	if err != nil {
		return fmt.Errorf("end other sessions: %w", err)
	}
	return nil
}

// EmailChange is a change of address waiting for its link.
type EmailChange struct {
	AccountID int64
	NewEmail  string
}

// CreateEmailChangeTx records a change of address and returns the secret
// of the link that confirms it. Earlier pending changes of the account
// stop working: only the last address asked for can be confirmed.
func (s *Store) CreateEmailChangeTx(ctx context.Context, tx *sql.Tx, accountID int64, newEmail string, ttl time.Duration) (string, error) {
	now := s.now()
	if _, err := tx.ExecContext(ctx, `UPDATE email_changes SET used_at = ? WHERE account_id = ? AND used_at IS NULL`, now.Unix(), accountID); err != nil {
		return "", fmt.Errorf("retire email changes: %w", err)
	}
	secret := NewSecret()
	if _, err := tx.ExecContext(ctx, `INSERT INTO email_changes (token_hash, account_id, new_email, expires_at, created_at) VALUES (?, ?, ?, ?, ?)`,
		HashSecret(secret), accountID, newEmail, now.Add(ttl).Unix(), now.Unix()); err != nil {
		return "", fmt.Errorf("create email change: %w", err)
	}
	return secret, nil
}

// PeekEmailChange returns a change whose link is unused and unexpired.
func (s *Store) PeekEmailChange(ctx context.Context, secret string) (*EmailChange, error) {
	return peekEmailChange(ctx, s.db, secret, s.unix())
}

func peekEmailChange(ctx context.Context, q queryer, secret string, now int64) (*EmailChange, error) {
	var c EmailChange
	err := q.QueryRowContext(ctx, `SELECT account_id, new_email FROM email_changes
		WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`, HashSecret(secret), now).Scan(&c.AccountID, &c.NewEmail)
	if err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// ConfirmEmailChangeTx uses the link and changes the address; it returns
// the change and the address it replaced. ErrNotFound: the link is
// wrong, used or expired; ErrEmailTaken: another account took the address
// meanwhile (the link stays unused).
func (s *Store) ConfirmEmailChangeTx(ctx context.Context, tx *sql.Tx, secret string) (change *EmailChange, oldEmail string, err error) {
	now := s.unix()
	c, err := peekEmailChange(ctx, tx, secret, now)
	if err != nil {
		return nil, "", err
	}
	if err := tx.QueryRowContext(ctx, `SELECT email FROM accounts WHERE id = ?`, c.AccountID).Scan(&oldEmail); err != nil {
		return nil, "", notFound(err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE accounts SET email = ? WHERE id = ?`, c.NewEmail, c.AccountID)
	if isUniqueViolation(err) {
		return nil, "", ErrEmailTaken
	}
	if err != nil {
		return nil, "", fmt.Errorf("change email: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE email_changes SET used_at = ? WHERE token_hash = ?`, now, HashSecret(secret)); err != nil {
		return nil, "", fmt.Errorf("use email change: %w", err)
	}
	return c, oldEmail, nil
}
