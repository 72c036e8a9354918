package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrLastAdmin refuses what would leave the instance without an
// administrator.
var ErrLastAdmin = errors.New("the last administrator")

// AdminAccounts lists accounts for the administrators' Users page, newest
// first, each with its identities, when it was last seen and whether it
// is suspended. query, when set, keeps accounts whose email, or one of
// whose identities' username or name, contains it.
func (s *Store) AdminAccounts(ctx context.Context, query string, limit, offset int) ([]AccountWithIdentities, error) {
	where, args := "1", []any{}
	if query = strings.TrimSpace(query); query != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(query) + "%"
		where = `(ac.email LIKE ?1 ESCAPE '\' OR EXISTS (SELECT 1 FROM actors i WHERE i.account_id = ac.id
			AND (i.username LIKE ?1 ESCAPE '\' OR i.display_name LIKE ?1 ESCAPE '\')))`
		args = append(args, like)
	}
	args = append(args, limit, offset)
	rows, err := s.db.QueryContext(ctx, `SELECT ac.id FROM accounts ac WHERE `+where+`
		ORDER BY ac.id DESC LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("admin accounts: %w", err)
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
	out := make([]AccountWithIdentities, 0, len(ids))
	for _, id := range ids {
		a, err := s.AdminAccount(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, nil
}

// AdminAccount is one account as the administrators see it.
func (s *Store) AdminAccount(ctx context.Context, id int64) (*AccountWithIdentities, error) {
	acc, err := s.AccountByID(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &AccountWithIdentities{Account: *acc}
	var seen sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT last_seen_at, EXISTS (SELECT 1 FROM account_suspensions WHERE account_id = ?1)
		FROM accounts WHERE id = ?1`, id).Scan(&seen, &out.Suspended); err != nil {
		return nil, notFound(err)
	}
	if seen.Valid {
		out.LastSeen = time.Unix(seen.Int64, 0).UTC()
	}
	if out.Identities, err = s.IdentitiesOf(ctx, id); err != nil {
		return nil, err
	}
	return out, nil
}

// CountAdmins is the number of administrator accounts.
func (s *Store) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE is_admin = 1`).Scan(&n)
	return n, err
}

// SetAdminTx makes an account an administrator or not. Demoting the last
// administrator is refused with ErrLastAdmin.
func (s *Store) SetAdminTx(ctx context.Context, tx *sql.Tx, accountID int64, admin bool) error {
	if !admin {
		var others int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE is_admin = 1 AND id <> ?`, accountID).Scan(&others); err != nil {
			return err
		}
		if others == 0 {
			return ErrLastAdmin
		}
	}
	res, err := tx.ExecContext(ctx, `UPDATE accounts SET is_admin = ? WHERE id = ?`, boolInt(admin), accountID)
	if err != nil {
		return fmt.Errorf("set admin: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// UnsuspendAccountTx lets a suspended account log in again.
func (s *Store) UnsuspendAccountTx(ctx context.Context, tx *sql.Tx, accountID int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM account_suspensions WHERE account_id = ?`, accountID)
	if err != nil {
		return fmt.Errorf("unsuspend: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// PublishedEventsOfAccount lists the local events of an account's
// identities that are not drafts: what a suspension takes off.
func (s *Store) PublishedEventsOfAccount(ctx context.Context, accountID int64) ([]*Event, error) {
	return s.queryEvents(ctx, "events of account", `SELECT `+eventColumns+` FROM events e
		WHERE e.organizer_id IN (SELECT id FROM actors WHERE account_id = ?) AND e.draft = 0 AND e.uri IS NULL
		ORDER BY e.id`, accountID)
}

// EventsHiddenBySuspension lists the events a suspension of the account
// took off, to put back.
func (s *Store) EventsHiddenBySuspension(ctx context.Context, accountID int64) ([]*Event, error) {
	return s.queryEvents(ctx, "events hidden by suspension", `SELECT `+eventColumns+` FROM suspension_hidden_events h
		CROSS JOIN events e ON e.id = h.event_id
		WHERE e.organizer_id IN (SELECT id FROM actors WHERE account_id = ?) ORDER BY e.id`, accountID)
}

// SetEventHiddenBySuspensionTx remembers (or forgets) that a suspension
// turned this event into a draft.
func (s *Store) SetEventHiddenBySuspensionTx(ctx context.Context, tx *sql.Tx, eventID int64, hidden bool) error {
	q := `DELETE FROM suspension_hidden_events WHERE event_id = ?`
	if hidden {
		q = `INSERT OR IGNORE INTO suspension_hidden_events (event_id) VALUES (?)`
	}
	_, err := tx.ExecContext(ctx, q, eventID)
	return err
}

// IsAccountSuspendedTx is IsAccountSuspended inside tx.
func (s *Store) IsAccountSuspendedTx(ctx context.Context, tx *sql.Tx, accountID int64) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM account_suspensions WHERE account_id = ?`, accountID).Scan(&n)
	return n > 0, err
}
