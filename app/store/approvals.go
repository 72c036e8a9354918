package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// RequestApprovalTx puts a new account in the approval queue.
func (s *Store) RequestApprovalTx(ctx context.Context, tx *sql.Tx, accountID int64) error {
	_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO account_approvals (account_id, requested_at) VALUES (?, ?)`, accountID, s.unix())
	return err
}

// IsAwaitingApproval tells whether an account still waits for an admin.
func (s *Store) IsAwaitingApproval(ctx context.Context, accountID int64) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM account_approvals WHERE account_id = ?`, accountID).Scan(&n)
	return n > 0, err
}

// AwaitingApproval lists the accounts waiting for approval, oldest first,
// with their identities.
func (s *Store) AwaitingApproval(ctx context.Context) ([]AccountWithIdentities, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT account_id FROM account_approvals ORDER BY requested_at, account_id LIMIT 200`)
	if err != nil {
		return nil, fmt.Errorf("approval queue: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []AccountWithIdentities
	for _, id := range ids {
		acc, err := s.AccountByID(ctx, id)
		if err != nil {
			continue
		}
		ids, err := s.IdentitiesOf(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, AccountWithIdentities{Account: *acc, Identities: ids})
	}
	return out, nil
}

// ApproveAccountTx takes an account out of the approval queue; it reports
// ErrNotFound when the account was not waiting.
func (s *Store) ApproveAccountTx(ctx context.Context, tx *sql.Tx, accountID int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM account_approvals WHERE account_id = ?`, accountID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// RecordAdminLogin notes that an administrator logged in.
func (s *Store) RecordAdminLogin(ctx context.Context, accountID int64) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO admin_logins (account_id, last_login_at) VALUES (?, ?)
		ON CONFLICT (account_id) DO UPDATE SET last_login_at = excluded.last_login_at`, accountID, s.unix())
	return err
}

// LastModeratorActivity is the latest of: a moderation log row, an admin's
// login, the creation of an admin account (so a fresh instance counts as
// watched). Zero when the instance has no administrator at all.
func (s *Store) LastModeratorActivity(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT max(
		coalesce((SELECT max(at) FROM moderation_log WHERE moderator_id IS NOT NULL), 0),
		coalesce((SELECT max(last_login_at) FROM admin_logins), 0),
		coalesce((SELECT max(created_at) FROM accounts WHERE is_admin = 1), 0))`).Scan(&at)
	if err != nil || !at.Valid || at.Int64 == 0 {
		return time.Time{}, err
	}
	return time.Unix(at.Int64, 0), nil
}

// PutOnProbationTx holds the next n events of an account for review.
func (s *Store) PutOnProbationTx(ctx context.Context, tx *sql.Tx, accountID int64, n int) error {
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO probation_accounts (account_id, events_left) VALUES (?, ?)`, accountID, n)
	return err
}

// OnProbation tells whether an identity's next published event is held.
func (s *Store) OnProbation(ctx context.Context, identityID int64) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM probation_accounts p JOIN actors a ON a.account_id = p.account_id
		WHERE a.id = ? AND p.events_left > 0`, identityID).Scan(&n)
	return n > 0, err
}

// HoldEvent marks an event as waiting for review.
func (s *Store) HoldEvent(ctx context.Context, eventID int64) error {
	_, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO held_events (event_id, held_at) VALUES (?, ?)`, eventID, s.unix())
	return err
}

// IsEventHeld tells whether an event waits for review.
func (s *Store) IsEventHeld(ctx context.Context, eventID int64) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM held_events WHERE event_id = ?`, eventID).Scan(&n)
	return n > 0, err
}

// HeldEvents lists the events waiting for review, oldest first.
func (s *Store) HeldEvents(ctx context.Context) ([]*Event, error) {
	return s.queryEvents(ctx, "held events", `SELECT `+eventColumns+` FROM held_events h CROSS JOIN events e ON e.id = h.event_id
		ORDER BY h.held_at, h.event_id LIMIT 200`)
}

// ReleaseEventTx takes an event out of review and counts it against its
// organiser's probation; ErrNotFound when it was not held.
func (s *Store) ReleaseEventTx(ctx context.Context, tx *sql.Tx, eventID int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM held_events WHERE event_id = ?`, eventID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	const account = `(SELECT a.account_id FROM events e JOIN actors a ON a.id = e.organizer_id WHERE e.id = ?)`
	if _, err := tx.ExecContext(ctx, `UPDATE probation_accounts SET events_left = events_left - 1 WHERE account_id = `+account, eventID); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM probation_accounts WHERE events_left <= 0`)
	return err
}

// RefuseAccountTx deletes an account still waiting for approval (it could
// not log in, so it owns nothing else than its identities); ErrNotFound
// when it was not waiting.
func (s *Store) RefuseAccountTx(ctx context.Context, tx *sql.Tx, accountID int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE id = ? AND id IN (SELECT account_id FROM account_approvals)`, accountID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
