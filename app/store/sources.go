package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Source kinds and states.
const (
	SourceInstance = "instance" // an instance actor: Mobilizon's relay, Gancio's, another Convene's
	SourceGroup    = "group"
	SourcePerson   = "person"  // a Convene identity or another organiser
	SourceAccount  = "account" // a Mastodon-like account that boosts events

	SourcePending   = "pending"
	SourceAccepted  = "accepted"
	SourceRejected  = "rejected"
	SourceCancelled = "cancelled"
)

// Source is a remote actor the instance follows for its events.
type Source struct {
	Actor         Actor
	Kind          string
	State         string
	FollowURI     string
	Display       bool
	CreatedAt     time.Time
	LastRefreshed *time.Time
	Events        int // cached events it brought
}

// SaveSourceTx records (or renews, after a rejection or an unfollow) a
// followed source, pending until its Accept.
func (s *Store) SaveSourceTx(ctx context.Context, tx *sql.Tx, actorID int64, kind, followURI string, createdBy int64) error {
	var by any
	if createdBy != 0 {
		by = createdBy
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO follow_sources (actor_id, kind, state, follow_uri, created_by, created_at)
		VALUES (?, ?, 'pending', ?, ?, ?)
		ON CONFLICT (actor_id) DO UPDATE SET kind = excluded.kind, follow_uri = excluded.follow_uri,
		  state = CASE WHEN follow_sources.state = 'accepted' THEN 'accepted' ELSE 'pending' END`,
		actorID, kind, followURI, by, s.unix())
	if err != nil {
		return fmt.Errorf("save source: %w", err)
	}
	return nil
}

// SetSourceStateTx moves a source to a new state.
func (s *Store) SetSourceStateTx(ctx context.Context, tx queryer, actorID int64, state string) error {
	_, err := tx.ExecContext(ctx, `UPDATE follow_sources SET state = ?,
		accepted_at = CASE WHEN ? = 'accepted' THEN ? ELSE accepted_at END WHERE actor_id = ?`, state, state, s.unix(), actorID)
	return err
}

// SetSourceRefreshed records that a source's events were fetched now.
func (s *Store) SetSourceRefreshed(ctx context.Context, actorID int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE follow_sources SET last_refreshed_at = ? WHERE actor_id = ?`, s.unix(), actorID)
	return err
}

// SetSourceDisplayTx chooses whether a source's events reach the public
// calendar.
func (s *Store) SetSourceDisplayTx(ctx context.Context, tx *sql.Tx, actorID int64, display bool) error {
	_, err := tx.ExecContext(ctx, `UPDATE follow_sources SET display = ? WHERE actor_id = ?`, boolInt(display), actorID)
	return err
}

// DeleteSourceTx forgets a source and which events it brought.
func (s *Store) DeleteSourceTx(ctx context.Context, tx *sql.Tx, actorID int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM event_sources WHERE source_id = ?`, actorID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM follow_sources WHERE actor_id = ?`, actorID)
	return err
}

const sourceColumns = `fs.kind, fs.state, fs.follow_uri, fs.display, fs.created_at, fs.last_refreshed_at,
	(SELECT count(*) FROM event_sources es WHERE es.source_id = fs.actor_id), ` + actorColumns

func scanSource(row interface{ Scan(...any) error }) (*Source, error) {
	var src Source
	var created int64
	var refreshed *int64
	var a Actor
	var ac, au int64
	err := row.Scan(&src.Kind, &src.State, &src.FollowURI, &src.Display, &created, &refreshed, &src.Events,
		&a.ID, &a.Kind, &a.Username, &a.Domain, &a.AccountID, &a.DisplayName, &a.Bio, &a.AvatarUUID, &a.URI,
		&a.InboxURL, &a.SharedInboxURL, &a.ManuallyApproves, &ac, &au)
	if err != nil {
		return nil, notFound(err)
	}
	a.CreatedAt, a.UpdatedAt = time.Unix(ac, 0).UTC(), time.Unix(au, 0).UTC()
	src.Actor = a
	src.CreatedAt = time.Unix(created, 0).UTC()
	if refreshed != nil {
		t := time.Unix(*refreshed, 0).UTC()
		src.LastRefreshed = &t
	}
	return &src, nil
}

// SourceByActor returns the source an actor is, ErrNotFound if none.
func (s *Store) SourceByActor(ctx context.Context, actorID int64) (*Source, error) {
	return scanSource(s.db.QueryRowContext(ctx, `SELECT `+sourceColumns+` FROM follow_sources fs JOIN actors a ON a.id = fs.actor_id
		WHERE fs.actor_id = ?`, actorID))
}

// Sources lists every followed source, newest first.
func (s *Store) Sources(ctx context.Context) ([]Source, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+sourceColumns+` FROM follow_sources fs JOIN actors a ON a.id = fs.actor_id
		ORDER BY fs.created_at DESC, fs.actor_id DESC`)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *src)
	}
	return out, rows.Err()
}

// AcceptedSourceFor finds the accepted source through which an actor's
// new events are welcome: the actor itself, or an accepted instance
// source on the same host (Mobilizon addresses its people's and groups'
// events to its relay's followers). ErrNotFound when there is none.
func (s *Store) AcceptedSourceFor(ctx context.Context, actorID int64, domain string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT fs.actor_id FROM follow_sources fs JOIN actors a ON a.id = fs.actor_id
		WHERE fs.state = 'accepted' AND (fs.actor_id = ? OR (fs.kind = 'instance' AND a.domain = ?))
		ORDER BY fs.actor_id = ? DESC LIMIT 1`, actorID, domain, actorID).Scan(&id)
	return id, notFound(err)
}

// RemoteActorByID returns a remote actor by its row id.
func (s *Store) RemoteActorByID(ctx context.Context, id int64) (*RemoteActorInfo, error) {
	return scanRemoteActor(s.db.QueryRowContext(ctx, `SELECT `+remoteActorColumns+`
		FROM remote_actors r JOIN actors a ON a.id = r.actor_id WHERE a.id = ?`, id))
}

// ActorByHandle finds an identity by username and domain ("" for local).
func (s *Store) ActorByHandle(ctx context.Context, username, domain string) (*Actor, error) {
	return scanActor(s.db.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors a WHERE a.username = ? AND a.domain = ?`, username, domain))
}

// InstanceActorIDTx is the id of the instance actor, 0 when it was never
// made (then nobody follows it).
func (s *Store) InstanceActorIDTx(ctx context.Context, q queryer) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM actors WHERE kind = 'application' AND domain = '' ORDER BY id LIMIT 1`).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return id, err
}
