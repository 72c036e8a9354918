package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Account is a person who logs in. What the public sees is never the
// account but one of its identities.
type Account struct {
	ID           int64
	Email        string
	PasswordHash string
	IsAdmin      bool
	Locale       string
	CreatedAt    time.Time
}

const accountColumns = `id, email, password_hash, is_admin, locale, created_at`

func scanAccount(row interface{ Scan(...any) error }) (*Account, error) {
	var a Account
	var created int64
	if err := row.Scan(&a.ID, &a.Email, &a.PasswordHash, &a.IsAdmin, &a.Locale, &created); err != nil {
		return nil, notFound(err)
	}
	a.CreatedAt = time.Unix(created, 0).UTC()
	return &a, nil
}

// ErrEmailTaken and ErrUsernameTaken say which uniqueness rule a new account
// or identity broke, so a form can show the message next to the right
// field. Both are ErrConflict for callers that do not care which.
var (
	ErrEmailTaken    = fmt.Errorf("email %w", ErrConflict)
	ErrUsernameTaken = fmt.Errorf("username %w", ErrConflict)
)

// CreateAccountWithIdentity creates an account and its first identity in one
// transaction. ErrEmailTaken or ErrUsernameTaken (both ErrConflict) mean
// the email or the username is taken.
func (s *Store) CreateAccountWithIdentity(ctx context.Context, email, passwordHash string, isAdmin bool, id NewIdentity) (*Account, *Actor, error) {
	var acc *Account
	var actor *Actor
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		acc, actor, err = s.CreateAccountWithIdentityTx(ctx, tx, email, passwordHash, isAdmin, id)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return acc, actor, nil
}

// CreateAccountWithIdentityTx is CreateAccountWithIdentity inside a caller's
// transaction, so that using an invitation commits (or not) with the account.
func (s *Store) CreateAccountWithIdentityTx(ctx context.Context, tx *sql.Tx, email, passwordHash string, isAdmin bool, id NewIdentity) (*Account, *Actor, error) {
	now := s.unix()
	res, err := tx.ExecContext(ctx,
		`INSERT INTO accounts (email, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)`,
		email, passwordHash, boolInt(isAdmin), now)
	if isUniqueViolation(err) {
		return nil, nil, ErrEmailTaken
	}
	if err != nil {
		return nil, nil, fmt.Errorf("insert account: %w", err)
	}
	accountID, _ := res.LastInsertId()
	actor, err := s.createIdentity(ctx, tx, accountID, id)
	if err != nil {
		return nil, nil, err
	}
	acc, err := scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, accountID))
	if err != nil {
		return nil, nil, err
	}
	return acc, actor, nil
}

// SetLocale sets an account's language ("" follows the browser).
func (s *Store) SetLocale(ctx context.Context, accountID int64, locale string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET locale = ? WHERE id = ?`, locale, accountID)
	if err != nil {
		return fmt.Errorf("set locale: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// AccountByID returns one account.
func (s *Store) AccountByID(ctx context.Context, id int64) (*Account, error) {
	return scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
}

// AccountByEmail returns the account with that email, compared without case.
func (s *Store) AccountByEmail(ctx context.Context, email string) (*Account, error) {
	return scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE email = ?`, email))
}

// AccountByLogin finds an account by email or by the username of one of
// its identities, so people can log in with either.
func (s *Store) AccountByLogin(ctx context.Context, login string) (*Account, error) {
	return scanAccount(s.db.QueryRowContext(ctx, `
		SELECT `+accountColumns+` FROM accounts WHERE email = ?1
		UNION ALL
		SELECT a.id, a.email, a.password_hash, a.is_admin, a.locale, a.created_at
		FROM accounts a JOIN actors i ON i.account_id = a.id
		WHERE i.domain = '' AND i.username = lower(?1)
		LIMIT 1`, login))
}

// SetPassword replaces an account's password hash.
func (s *Store) SetPassword(ctx context.Context, accountID int64, hash string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET password_hash = ? WHERE id = ?`, hash, accountID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// ChangePassword replaces an account's password hash and ends every
// session of the account but the one whose secret is keepSession, in one
// transaction: whoever knew the old password is logged out.
func (s *Store) ChangePassword(ctx context.Context, accountID int64, hash, keepSession string) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET password_hash = ? WHERE id = ?`, hash, accountID)
		if err != nil {
			return fmt.Errorf("change password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = ? AND token_hash <> ?`,
			accountID, HashSecret(keepSession)); err != nil {
			return fmt.Errorf("end other sessions: %w", err)
		}
		return nil
	})
}

// CountAccounts is the number of accounts on the instance.
func (s *Store) CountAccounts(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM accounts`).Scan(&n)
	return n, err
}

// ListAccounts lists accounts, newest first.
func (s *Store) ListAccounts(ctx context.Context, limit, offset int) ([]Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY id DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// AccountWithIdentities is an account as the admin's user list shows it.
type AccountWithIdentities struct {
	Account
	Identities []Actor
	// Set by AdminAccount(s) only.
	LastSeen  time.Time // zero: never seen since it was recorded
	Suspended bool
}

// ListAccountsWithIdentities lists accounts, newest first, each with its
// local identities (two queries, whatever the page size).
func (s *Store) ListAccountsWithIdentities(ctx context.Context, limit, offset int) ([]AccountWithIdentities, error) {
	accounts, err := s.ListAccounts(ctx, limit, offset)
	if err != nil || len(accounts) == 0 {
		return nil, err
	}
	out := make([]AccountWithIdentities, len(accounts))
	index := map[int64]int{}
	for i, a := range accounts {
		out[i].Account = a
		index[a.ID] = i
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+actorColumns+` FROM actors a
		WHERE a.account_id IN (SELECT id FROM accounts ORDER BY id DESC LIMIT ? OFFSET ?)
		ORDER BY a.id`, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list identities of accounts: %w", err)
	}
	actors, err := scanActors(rows)
	if err != nil {
		return nil, err
	}
	for _, actor := range actors {
		if i, ok := index[actor.AccountID]; ok {
			out[i].Identities = append(out[i].Identities, actor)
		}
	}
	return out, nil
}

// AdminExistsTx tells whether any account administers the instance.
func (s *Store) AdminExistsTx(ctx context.Context, tx *sql.Tx) (bool, error) {
	return adminExists(ctx, tx)
}

// AdminExists is AdminExistsTx outside a transaction.
func (s *Store) AdminExists(ctx context.Context) (bool, error) {
	return adminExists(ctx, s.db)
}

func adminExists(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (bool, error) {
	var exists bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE is_admin = 1)`).Scan(&exists)
	if err != nil {
		return false, fmt.Errorf("look for an administrator: %w", err)
	}
	return exists, nil
}

// ResetPasswordTx sets an account's password from an emailed or printed
// link and ends all its sessions: whoever knew the old password, or held
// a session opened with it, is out.
func (s *Store) ResetPasswordTx(ctx context.Context, tx *sql.Tx, accountID int64, hash string) error {
	res, err := tx.ExecContext(ctx, `UPDATE accounts SET password_hash = ? WHERE id = ?`, hash, accountID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = ?`, accountID); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	return nil
}
