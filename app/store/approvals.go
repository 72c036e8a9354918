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
