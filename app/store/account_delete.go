package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DeletedUsernameHold is how long the username of a deleted identity is
// kept from anyone else: long enough for peers to forget the actor, so
// that a newcomer is not taken for the person who left.
const DeletedUsernameHold = 365 * 24 * time.Hour

// DeletedAuthorUsername names the one local actor that stands for every
// deleted account whose comments and messages were kept. It cannot be a
// username anyone chooses (a hyphen), and it has no account.
const DeletedAuthorUsername = "deleted-account"

// IsDeletedAuthor tells whether an actor is the stand-in for deleted
// accounts: shown as "deleted account", linked nowhere.
func (a *Actor) IsDeletedAuthor() bool {
	return a != nil && a.Domain == "" && a.AccountID == 0 && a.Username == DeletedAuthorUsername
}

// ErrUsernameHeld says a username belonged to an identity deleted not
// long ago: to the person choosing it, simply taken.
var ErrUsernameHeld = fmt.Errorf("recently deleted: %w", ErrUsernameTaken)

// usernameHeld tells whether a local username is held after a deletion.
func (s *Store) usernameHeld(ctx context.Context, q queryer, username string) error {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM deleted_actors WHERE username = ? AND deleted_at > ?`,
		username, s.now().Add(-DeletedUsernameHold).Unix()).Scan(&n)
	if err != nil {
		return fmt.Errorf("deleted usernames: %w", err)
	}
	if n > 0 {
		return ErrUsernameHeld
	}
	return nil
}

// DeletedActor is what is kept of a deleted local identity: its username
// and address, so that they answer 410 Gone and are not given again soon.
type DeletedActor struct {
	Username  string
	URI       string
	DeletedAt time.Time
}

// DeletedActorByUsername returns the tombstone of a deleted identity.
func (s *Store) DeletedActorByUsername(ctx context.Context, username string) (*DeletedActor, error) {
	var d DeletedActor
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT username, uri, deleted_at FROM deleted_actors WHERE username = ?`, username).
		Scan(&d.Username, &d.URI, &at)
	if err != nil {
		return nil, notFound(err)
	}
	d.DeletedAt = time.Unix(at, 0).UTC()
	return &d, nil
}

// DeletedAuthorTx returns the stand-in actor for deleted accounts,
// creating it the first time.
func (s *Store) DeletedAuthorTx(ctx context.Context, tx *sql.Tx) (*Actor, error) {
	now := s.unix()
	_, err := tx.ExecContext(ctx, `INSERT INTO actors (kind, username, domain, created_at, updated_at)
		VALUES ('person', ?, '', ?, ?) ON CONFLICT DO NOTHING`, DeletedAuthorUsername, now, now)
	if err != nil {
		return nil, fmt.Errorf("deleted author: %w", err)
	}
	return scanActor(tx.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors a
		WHERE a.domain = '' AND a.username = ? AND a.account_id IS NULL`, DeletedAuthorUsername))
}

// AccountContent is what becomes of an account's words when it goes.
type AccountContent struct {
	KeepAnonymised bool  // comments and messages stay, by the stand-in; else removed
	DeletedAuthor  int64 // the stand-in's id (KeepAnonymised, and always for group content)
}

// HandOverEventTx gives a local event to a group: the group organises it
// from now on (its moderators edit it), and so does its series.
func (s *Store) HandOverEventTx(ctx context.Context, tx *sql.Tx, eventID, groupID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE events SET organizer_id = ?, attributed_to_id = ?, updated_at = ? WHERE id = ?`,
		groupID, groupID, s.unix(), eventID); err != nil {
		return fmt.Errorf("hand over event: %w", err)
	}
	_, err := tx.ExecContext(ctx, `UPDATE series SET organizer_id = ? WHERE id = (SELECT series_id FROM events WHERE id = ?)`,
		groupID, eventID)
	return err
}

// DisownContentTx detaches an identity's words from it before it goes:
// comments and discussion messages pass to the stand-in or are removed
// (c.KeepAnonymised); what belongs to a group (discussions it opened,
// posts, resources) always passes to the stand-in, or deleting the
// identity would take other members' messages with it.
func (s *Store) DisownContentTx(ctx context.Context, tx *sql.Tx, identityID int64, c AccountContent) error {
	stmts := []string{
		`UPDATE discussions SET author_id = ?1 WHERE author_id = ?2`,
		`UPDATE group_posts SET author_id = ?1 WHERE author_id = ?2`,
		`UPDATE group_resources SET creator_id = ?1 WHERE creator_id = ?2`,
	}
	if c.KeepAnonymised {
		stmts = append(stmts,
			`UPDATE comments SET author_id = ?1 WHERE author_id = ?2`,
			`UPDATE discussion_messages SET author_id = ?1, source = '' WHERE author_id = ?2`)
	} else {
		stmts = append(stmts,
			`DELETE FROM comments WHERE author_id = ?2`,
			`DELETE FROM discussion_messages WHERE author_id = ?2`)
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q, c.DeletedAuthor, identityID); err != nil {
			return fmt.Errorf("disown content: %w", err)
		}
	}
	return nil
}

// SignerKey is what signs an activity whose actor is gone: the id and
// private key it had.
type SignerKey struct {
	KeyID string
	PEM   string
}

// KeepQueuedActivitiesTx keeps the activities an actor has waiting in the
// delivery queue past its deletion: they pass to the instance actor's
// row (so that deleting the actor does not take them along) and carry
// the actor's own key id and private key to be signed with (only those
// still to be delivered: the key goes with the last delivery).
func (s *Store) KeepQueuedActivitiesTx(ctx context.Context, tx *sql.Tx, actorID, instanceID int64, key SignerKey) error {
	_, err := tx.ExecContext(ctx, `UPDATE outgoing_activities SET actor_id = ?, signer_key_id = ?,
			signer_key_pem = CASE WHEN EXISTS (SELECT 1 FROM deliveries d
				WHERE d.activity_id = outgoing_activities.id AND d.failed_at IS NULL) THEN ? ELSE '' END
		WHERE actor_id = ?`, instanceID, key.KeyID, key.PEM, actorID)
	if err != nil {
		return fmt.Errorf("keep queued activities: %w", err)
	}
	return nil
}

// DeleteAccountTx deletes an account, its identities and everything that
// hangs from them (the schema's cascades), keeping a tombstone of each
// identity's username and address; their pictures go too. The caller has
// already dealt with what must outlive them (DisownContentTx,
// KeepQueuedActivitiesTx, events handed over).
func (s *Store) DeleteAccountTx(ctx context.Context, tx *sql.Tx, accountID int64, uris map[string]string) error {
	now := s.unix()
	for username, uri := range uris {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deleted_actors (username, uri, deleted_at) VALUES (?, ?, ?)
			ON CONFLICT (username) DO UPDATE SET uri = excluded.uri, deleted_at = excluded.deleted_at`, username, uri, now); err != nil {
			return fmt.Errorf("deleted actor: %w", err)
		}
	}
	// Its avatars, and the pictures kept from forms sent with errors
	// (pending uploads), which nothing else refers to.
	rows, err := tx.QueryContext(ctx, `SELECT avatar_id FROM actors WHERE account_id = ? AND avatar_id IS NOT NULL
		UNION SELECT p.media_id FROM pending_uploads p JOIN actors a ON a.id = p.actor_id WHERE a.account_id = ?`,
		accountID, accountID)
	if err != nil {
		return fmt.Errorf("pictures: %w", err)
	}
	var media []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		media = append(media, id)
	}
	rows.Close()
	res, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE id = ?`, accountID)
	if err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	for _, id := range media {
		if _, err := tx.ExecContext(ctx, `DELETE FROM media WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete picture: %w", err)
		}
	}
	return nil
}

// CheckNotLastAdminTx refuses (ErrLastAdmin) to delete the only
// administrator account.
func (s *Store) CheckNotLastAdminTx(ctx context.Context, q queryer, accountID int64) error {
	var admin, others int
	err := q.QueryRowContext(ctx, `SELECT coalesce((SELECT is_admin FROM accounts WHERE id = ?1), 0),
		(SELECT count(*) FROM accounts WHERE is_admin = 1 AND id <> ?1)`, accountID).Scan(&admin, &others)
	if err != nil {
		return err
	}
	if admin == 1 && others == 0 {
		return ErrLastAdmin
	}
	return nil
}

// ErrNotGroupAdmin says an event cannot be handed to a group the account
// does not administer.
var ErrNotGroupAdmin = errors.New("not an administrator of that group")

// AdministeredGroupsOfAccount lists the local groups one of an account's
// identities administers: where its events may be handed.
func (s *Store) AdministeredGroupsOfAccount(ctx context.Context, accountID int64) ([]*Group, error) {
	return s.queryGroups(ctx, "administered groups", `WHERE a.domain = '' AND a.id IN (SELECT m.group_id
		FROM group_members m JOIN actors i ON i.id = m.actor_id
		WHERE i.account_id = ? AND m.role = 'administrator') ORDER BY a.username`, accountID)
}

// LocalEventsOfAccount lists the local events organised by an account's
// identities, drafts included.
func (s *Store) LocalEventsOfAccount(ctx context.Context, accountID int64) ([]*Event, error) {
	return s.queryEvents(ctx, "local events of account", `SELECT `+eventColumns+` FROM events e
		WHERE e.organizer_id IN (SELECT id FROM actors WHERE account_id = ?) AND e.uri IS NULL
		ORDER BY e.starts_at, e.id`, accountID)
}

// ParticipationsOfIdentity lists an identity's participations that still
// stand (not refused nor cancelled), with their events' ids.
func (s *Store) ParticipationsOfIdentityTx(ctx context.Context, tx *sql.Tx, identityID int64) ([]*Participation, error) {
	return s.queryParticipations(ctx, tx, `SELECT `+participationColumns+` FROM participations p
		WHERE p.actor_id = ? AND p.state NOT IN ('rejected', 'cancelled') ORDER BY p.id`, identityID)
}

// MembershipsOfIdentityTx lists an identity's memberships (every role).
func (s *Store) MembershipsOfIdentityTx(ctx context.Context, tx *sql.Tx, identityID int64) ([]*Membership, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+membershipColumns+` FROM group_members m WHERE m.actor_id = ? ORDER BY m.id`, identityID)
	if err != nil {
		return nil, fmt.Errorf("memberships: %w", err)
	}
	defer rows.Close()
	var out []*Membership
	for rows.Next() {
		m, err := scanMembership(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// SuccessorTx picks who takes over a group whose last administrator
// leaves: its oldest moderator, else its oldest member, leaving out the
// account that goes. Nil when nobody is left.
func (s *Store) SuccessorTx(ctx context.Context, tx *sql.Tx, groupID, leavingAccountID int64) (*Membership, error) {
	m, err := scanMembership(tx.QueryRowContext(ctx, `SELECT `+membershipColumns+` FROM group_members m
		JOIN actors a ON a.id = m.actor_id
		WHERE m.group_id = ? AND m.role IN ('moderator', 'member') AND coalesce(a.account_id, 0) <> ?
		ORDER BY m.role = 'moderator' DESC, m.created_at, m.id LIMIT 1`, groupID, leavingAccountID))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return m, err
}

// OtherAdministratorsTx counts a group's administrators outside an account.
func (s *Store) OtherAdministratorsTx(ctx context.Context, tx *sql.Tx, groupID, accountID int64) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM group_members m JOIN actors a ON a.id = m.actor_id
		WHERE m.group_id = ? AND m.role = 'administrator' AND coalesce(a.account_id, 0) <> ?`, groupID, accountID).Scan(&n)
	return n, err
}

// OtherMembersTx counts a group's members (member and above) outside an account.
func (s *Store) OtherMembersTx(ctx context.Context, tx *sql.Tx, groupID, accountID int64) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM group_members m JOIN actors a ON a.id = m.actor_id
		WHERE m.group_id = ? AND m.role IN ('member', 'moderator', 'administrator') AND coalesce(a.account_id, 0) <> ?`,
		groupID, accountID).Scan(&n)
	return n, err
}

// DeleteGroupTx deletes a group inside tx (DeleteGroup).
func (s *Store) DeleteGroupTx(ctx context.Context, tx *sql.Tx, groupID int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM actors WHERE id = ? AND kind = 'group'`, groupID)
	if err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	return nil
}

// ContactInboxesTx lists the servers an identity dealt with beyond its
// followers, to tell them it is gone: those of the actors it follows,
// of the remote events it takes part in and of the remote groups it
// belongs to.
func (s *Store) ContactInboxesTx(ctx context.Context, tx *sql.Tx, identityID int64) ([]Inbox, error) {
	return queryInboxes(ctx, tx, "contact inboxes", `
		SELECT DISTINCT CASE WHEN a.shared_inbox_url != '' THEN a.shared_inbox_url ELSE a.inbox_url END, a.domain
		FROM actors a
		WHERE a.domain != '' AND a.inbox_url != '' AND (
			a.id IN (SELECT followed_id FROM follows WHERE follower_id = ?1)
			OR a.id IN (SELECT e.organizer_id FROM participations p JOIN events e ON e.id = p.event_id WHERE p.actor_id = ?1)
			OR a.id IN (SELECT group_id FROM group_members WHERE actor_id = ?1))`, identityID)
}

// ParticipantInboxesTx lists the servers of an event's remote participants.
func (s *Store) ParticipantInboxesTx(ctx context.Context, tx *sql.Tx, eventID int64) ([]Inbox, error) {
	return queryInboxes(ctx, tx, "participant inboxes", `
		SELECT DISTINCT CASE WHEN a.shared_inbox_url != '' THEN a.shared_inbox_url ELSE a.inbox_url END, a.domain
		FROM participations p JOIN actors a ON a.id = p.actor_id
		WHERE p.event_id = ? AND a.domain != '' AND a.inbox_url != ''`, eventID)
}
