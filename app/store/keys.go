package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// ActorKeys returns an actor's key pair as PEM; both are empty until a key
// has been made (local actors) or fetched (remote actors, public key only).
func (s *Store) ActorKeys(ctx context.Context, actorID int64) (publicPEM, privatePEM string, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT public_key_pem, private_key_pem FROM actors WHERE id = ?`, actorID).
		Scan(&publicPEM, &privatePEM)
	return publicPEM, privatePEM, notFound(err)
}

// SetActorKeysIfNone stores a freshly made key pair unless the actor already
// has one (two requests may race to make it); the caller reads the keys back.
func (s *Store) SetActorKeysIfNone(ctx context.Context, actorID int64, publicPEM, privatePEM string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE actors SET public_key_pem = ?, private_key_pem = ?
		WHERE id = ? AND private_key_pem = ''`, publicPEM, privatePEM, actorID)
	if err != nil {
		return fmt.Errorf("set actor keys: %w", err)
	}
	return nil
}

// InstanceActor returns the local Application actor that speaks for the
// instance, ErrNotFound before it was made.
func (s *Store) InstanceActor(ctx context.Context) (*Actor, error) {
	return scanActor(s.db.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors a
		WHERE a.domain = '' AND a.kind = 'application' ORDER BY a.id LIMIT 1`))
}

// CreateInstanceActor makes the instance actor with the first free username
// of candidates (usernames are one namespace with identities), or returns
// the existing one.
func (s *Store) CreateInstanceActor(ctx context.Context, candidates []string) (*Actor, error) {
	var out *Actor
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		a, err := scanActor(tx.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors a
			WHERE a.domain = '' AND a.kind = 'application' ORDER BY a.id LIMIT 1`))
		if err == nil {
			out = a
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		now := s.unix()
		for _, name := range candidates {
			res, err := tx.ExecContext(ctx, `INSERT INTO actors (kind, username, domain, created_at, updated_at)
				VALUES ('application', ?, '', ?, ?) ON CONFLICT DO NOTHING`, name, now, now)
			if err != nil {
				return fmt.Errorf("create instance actor: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				id, _ := res.LastInsertId()
				out, err = scanActor(tx.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors a WHERE a.id = ?`, id))
				return err
			}
		}
		return fmt.Errorf("create instance actor: every username is taken: %v", candidates)
	})
	return out, err
}

// RemoteActor is what is needed to record an actor of another server.
type RemoteActor struct {
	URI              string
	Kind             string // KindPerson, KindGroup or KindApplication
	Username         string
	Domain           string
	DisplayName      string
	Bio              string
	InboxURL         string
	SharedInboxURL   string
	ManuallyApproves bool
	KeyID            string
	PublicKeyPEM     string
	URL              string
	FollowersURL     string
}

// RemoteActorInfo is a remote actor as stored, with its key.
type RemoteActorInfo struct {
	Actor
	KeyID        string
	PublicKeyPEM string
	URL          string
	FollowersURL string
	FetchedAt    time.Time
}

// SaveRemoteActor creates or refreshes a remote actor by its URI. When its
// preferred username is already used on its server by another URI (servers
// may have several actors of one name in different paths), a suffix made
// from the URI keeps both.
func (s *Store) SaveRemoteActor(ctx context.Context, r RemoteActor) (*Actor, error) {
	var out *Actor
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		now := s.unix()
		username := r.Username
		for attempt := 0; attempt < 2; attempt++ {
			_, err := tx.ExecContext(ctx, `
				INSERT INTO actors (kind, username, domain, display_name, bio, uri, inbox_url, shared_inbox_url,
				  public_key_pem, manually_approves, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (uri) DO UPDATE SET kind = excluded.kind, username = excluded.username,
				  display_name = excluded.display_name, bio = excluded.bio, inbox_url = excluded.inbox_url,
				  shared_inbox_url = excluded.shared_inbox_url, public_key_pem = excluded.public_key_pem,
				  manually_approves = excluded.manually_approves, updated_at = excluded.updated_at`,
				r.Kind, username, r.Domain, r.DisplayName, r.Bio, r.URI, r.InboxURL, r.SharedInboxURL,
				r.PublicKeyPEM, r.ManuallyApproves, now, now)
			if isUniqueViolation(err) && attempt == 0 {
				sum := sha256.Sum256([]byte(r.URI))
				username = r.Username + "~" + hex.EncodeToString(sum[:4])
				continue
			}
			if err != nil {
				return fmt.Errorf("save remote actor: %w", err)
			}
			break
		}
		a, err := scanActor(tx.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors a WHERE a.uri = ?`, r.URI))
		if err != nil {
			return err
		}
		if a.Domain == "" {
			return fmt.Errorf("save remote actor: %s is a local actor", r.URI)
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO remote_actors (actor_id, key_id, url, followers_url, fetched_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (actor_id) DO UPDATE SET key_id = excluded.key_id, url = excluded.url,
			  followers_url = excluded.followers_url, fetched_at = excluded.fetched_at`,
			a.ID, r.KeyID, r.URL, r.FollowersURL, now)
		if err != nil {
			return fmt.Errorf("save remote actor: %w", err)
		}
		out = a
		return nil
	})
	return out, err
}

const remoteActorColumns = actorColumns + `, r.key_id, a.public_key_pem, r.url, r.followers_url, r.fetched_at`

func scanRemoteActor(row *sql.Row) (*RemoteActorInfo, error) {
	var info RemoteActorInfo
	var fetched int64
	a, err := scanActor(scanFunc(func(dest ...any) error {
		return row.Scan(append(dest, &info.KeyID, &info.PublicKeyPEM, &info.URL, &info.FollowersURL, &fetched)...)
	}))
	if err != nil {
		return nil, err
	}
	info.Actor = *a
	info.FetchedAt = time.Unix(fetched, 0).UTC()
	return &info, nil
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// RemoteActorByKeyID returns the remote actor owning a signing key.
func (s *Store) RemoteActorByKeyID(ctx context.Context, keyID string) (*RemoteActorInfo, error) {
	return scanRemoteActor(s.db.QueryRowContext(ctx, `SELECT `+remoteActorColumns+`
		FROM remote_actors r JOIN actors a ON a.id = r.actor_id WHERE r.key_id = ? LIMIT 1`, keyID))
}

// RemoteActorByURI returns a remote actor by its id.
func (s *Store) RemoteActorByURI(ctx context.Context, uri string) (*RemoteActorInfo, error) {
	return scanRemoteActor(s.db.QueryRowContext(ctx, `SELECT `+remoteActorColumns+`
		FROM remote_actors r JOIN actors a ON a.id = r.actor_id WHERE a.uri = ?`, uri))
}

// DeleteRemoteActor forgets a remote actor that deleted itself, with its
// follows and objects.
func (s *Store) DeleteRemoteActor(ctx context.Context, actorID int64) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM actors WHERE id = ? AND domain != ''`, actorID)
	if err != nil {
		return fmt.Errorf("delete remote actor: %w", err)
	}
	return nil
}
