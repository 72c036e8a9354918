package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Actor kinds.
const (
	KindPerson      = "person"
	KindGroup       = "group"
	KindApplication = "application"
)

// Actor is anyone who acts: a local identity (AccountID set, Domain empty)
// or, once federation lands, a remote person, group or instance.
type Actor struct {
	ID               int64
	Kind             string
	Username         string
	Domain           string
	AccountID        int64
	DisplayName      string
	Bio              string
	AvatarUUID       string // empty when none
	URI              string // remote actors only
	InboxURL         string
	SharedInboxURL   string
	ManuallyApproves bool
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// IsLocal tells whether the actor lives on this instance.
func (a *Actor) IsLocal() bool { return a.Domain == "" }

// Name is what to show: the display name, else the username.
func (a *Actor) Name() string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.Username
}

// Handle is @username for local actors and @username@domain for remote ones.
func (a *Actor) Handle() string {
	if a.Domain == "" {
		return "@" + a.Username
	}
	return "@" + a.Username + "@" + a.Domain
}

const actorColumns = `a.id, a.kind, a.username, a.domain, coalesce(a.account_id, 0), a.display_name, a.bio,
	coalesce((SELECT uuid FROM media WHERE id = a.avatar_id), ''), coalesce(a.uri, ''), a.inbox_url,
	a.shared_inbox_url, a.manually_approves, a.created_at, a.updated_at`

func scanActor(row interface{ Scan(...any) error }) (*Actor, error) {
	var a Actor
	var created, updated int64
	err := row.Scan(&a.ID, &a.Kind, &a.Username, &a.Domain, &a.AccountID, &a.DisplayName, &a.Bio,
		&a.AvatarUUID, &a.URI, &a.InboxURL, &a.SharedInboxURL, &a.ManuallyApproves, &created, &updated)
	if err != nil {
		return nil, notFound(err)
	}
	a.CreatedAt = time.Unix(created, 0).UTC()
	a.UpdatedAt = time.Unix(updated, 0).UTC()
	return &a, nil
}

func scanActors(rows *sql.Rows) ([]Actor, error) {
	defer rows.Close()
	var out []Actor
	for rows.Next() {
		a, err := scanActor(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// NewIdentity is what is needed to create a local identity.
type NewIdentity struct {
	Username    string
	DisplayName string
	Bio         string
}

func (s *Store) createIdentity(ctx context.Context, tx *sql.Tx, accountID int64, id NewIdentity) (*Actor, error) {
	if err := s.usernameHeld(ctx, tx, id.Username); err != nil {
		return nil, err
	}
	now := s.unix()
	res, err := tx.ExecContext(ctx,
		`INSERT INTO actors (kind, username, domain, account_id, display_name, bio, created_at, updated_at)
		 VALUES ('person', ?, '', ?, ?, ?, ?, ?)`,
		id.Username, accountID, id.DisplayName, id.Bio, now, now)
	if isUniqueViolation(err) {
		return nil, ErrUsernameTaken
	}
	if err != nil {
		return nil, fmt.Errorf("insert identity: %w", err)
	}
	actorID, _ := res.LastInsertId()
	return scanActor(tx.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors a WHERE a.id = ?`, actorID))
}

// CreateIdentity adds an identity to an account. ErrUsernameTaken (an
// ErrConflict) means the username is taken (by an identity or, later, a group: one namespace).
func (s *Store) CreateIdentity(ctx context.Context, accountID int64, id NewIdentity) (*Actor, error) {
	var actor *Actor
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		actor, err = s.createIdentity(ctx, tx, accountID, id)
		return err
	})
	return actor, err
}

// ActorByID returns one actor.
func (s *Store) ActorByID(ctx context.Context, id int64) (*Actor, error) {
	return scanActor(s.db.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors a WHERE a.id = ?`, id))
}

// LocalActorByUsername returns the local actor with that username.
func (s *Store) LocalActorByUsername(ctx context.Context, username string) (*Actor, error) {
	return scanActor(s.db.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors a WHERE a.domain = '' AND a.username = ?`, username))
}

// IdentitiesOf lists an account's identities, oldest first.
func (s *Store) IdentitiesOf(ctx context.Context, accountID int64) ([]Actor, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+actorColumns+` FROM actors a WHERE a.account_id = ? ORDER BY a.id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list identities: %w", err)
	}
	return scanActors(rows)
}

// IdentityUpdate holds the editable profile fields of an identity.
type IdentityUpdate struct {
	DisplayName  string
	Bio          string
	AvatarID     int64 // 0 keeps the current avatar
	RemoveAvatar bool
}

// UpdateIdentity edits an identity's profile; accountID must own it. A
// replaced or removed avatar's picture is deleted with it: an avatar
// belongs to one identity only.
func (s *Store) UpdateIdentity(ctx context.Context, accountID, identityID int64, u IdentityUpdate) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		var oldAvatar *int64
		err := tx.QueryRowContext(ctx, `SELECT avatar_id FROM actors WHERE id = ? AND account_id = ?`, identityID, accountID).Scan(&oldAvatar)
		if err != nil {
			return notFound(err)
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE actors SET display_name = ?, bio = ?,
			  avatar_id = CASE WHEN ? THEN NULL WHEN ? > 0 THEN ? ELSE avatar_id END,
			  updated_at = ?
			WHERE id = ? AND account_id = ?`,
			u.DisplayName, u.Bio, u.RemoveAvatar, u.AvatarID, u.AvatarID, s.unix(), identityID, accountID)
		if err != nil {
			return fmt.Errorf("update identity: %w", err)
		}
		if oldAvatar != nil && (u.RemoveAvatar || (u.AvatarID > 0 && u.AvatarID != *oldAvatar)) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM media WHERE id = ?`, *oldAvatar); err != nil {
				return fmt.Errorf("delete old avatar: %w", err)
			}
		}
		return nil
	})
}

// CountLocalIdentities is the number of local person actors.
func (s *Store) CountLocalIdentities(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM actors WHERE domain = '' AND kind = 'person' AND account_id IS NOT NULL`).Scan(&n)
	return n, err
}
