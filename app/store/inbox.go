package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// InboxActivity is a verified activity waiting to be processed.
type InboxActivity struct {
	ID       int64
	URI      string
	ActorURI string
	Body     []byte
	Attempts int
}

// SaveInboxActivity queues a verified activity. It reports false when an
// activity with that id was already received: a replay is processed once.
func (s *Store) SaveInboxActivity(ctx context.Context, uri, actorURI string, body []byte) (bool, error) {
	now := s.unix()
	res, err := s.db.ExecContext(ctx, `INSERT INTO inbox_activities (uri, actor_uri, body, received_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (uri) DO NOTHING`, uri, actorURI, string(body), now, now)
	if err != nil {
		return false, fmt.Errorf("save inbox activity: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ClaimDueInbox takes up to limit activities to process, leasing them.
func (s *Store) ClaimDueInbox(ctx context.Context, lease time.Duration, limit int) ([]InboxActivity, error) {
	var out []InboxActivity
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		rows, err := tx.QueryContext(ctx, `SELECT id, uri, actor_uri, body, attempts FROM inbox_activities
			WHERE processed_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?`, now.Unix(), limit)
		if err != nil {
			return fmt.Errorf("due inbox: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a InboxActivity
			var body string
			if err := rows.Scan(&a.ID, &a.URI, &a.ActorURI, &body, &a.Attempts); err != nil {
				return err
			}
			a.Body = []byte(body)
			out = append(out, a)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		for _, a := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE inbox_activities SET next_attempt_at = ? WHERE id = ?`,
				now.Add(lease).Unix(), a.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// InboxProcessed marks an activity done and drops its body; the id stays
// so that a replay is recognised.
func (s *Store) InboxProcessed(ctx context.Context, id int64, lastError string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE inbox_activities SET processed_at = ?, body = '', last_error = ? WHERE id = ?`,
		s.unix(), lastError, id)
	return err
}

// InboxRetry schedules another attempt at processing an activity.
func (s *Store) InboxRetry(ctx context.Context, id int64, next time.Time, lastError string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE inbox_activities SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`,
		next.Unix(), lastError, id)
	return err
}

// NextInboxDue tells when the earliest unprocessed activity is due.
func (s *Store) NextInboxDue(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM inbox_activities WHERE processed_at IS NULL`).Scan(&next)
	if err != nil || !next.Valid {
		return time.Time{}, err
	}
	return time.Unix(next.Int64, 0), nil
}

// CountInboxActivities counts received activities (processed or not).
func (s *Store) CountInboxActivities(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM inbox_activities`).Scan(&n)
	return n, err
}

// RemoteObject is an object a remote actor published, as its origin sent it.
type RemoteObject struct {
	ID        int64
	URI       string
	Type      string
	ActorID   int64
	InReplyTo string
	Body      []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SaveRemoteObject creates or replaces a remote object. An existing object
// is only replaced by its own actor.
func (s *Store) SaveRemoteObject(ctx context.Context, o RemoteObject) error {
	now := s.unix()
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO remote_objects (uri, type, actor_id, in_reply_to, body, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (uri) DO UPDATE SET type = excluded.type, in_reply_to = excluded.in_reply_to,
		  body = excluded.body, updated_at = excluded.updated_at
		WHERE remote_objects.actor_id = excluded.actor_id`,
		o.URI, o.Type, o.ActorID, o.InReplyTo, string(o.Body), now, now)
	if err != nil {
		return fmt.Errorf("save remote object: %w", err)
	}
	return nil
}

// DeleteRemoteObject removes a remote object if actorID owns it.
func (s *Store) DeleteRemoteObject(ctx context.Context, uri string, actorID int64) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM remote_objects WHERE uri = ? AND actor_id = ?`, uri, actorID)
	return err
}

// RemoteObjectByURI returns a stored remote object.
func (s *Store) RemoteObjectByURI(ctx context.Context, uri string) (*RemoteObject, error) {
	var o RemoteObject
	var body string
	var created, updated int64
	err := s.db.QueryRowContext(ctx, `SELECT id, uri, type, actor_id, in_reply_to, body, created_at, updated_at
		FROM remote_objects WHERE uri = ?`, uri).Scan(&o.ID, &o.URI, &o.Type, &o.ActorID, &o.InReplyTo, &body, &created, &updated)
	if err != nil {
		return nil, notFound(err)
	}
	o.Body = []byte(body)
	o.CreatedAt, o.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	return &o, nil
}

// CountRemoteObjects counts stored remote objects of a type ("" for all).
func (s *Store) CountRemoteObjects(ctx context.Context, typ string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM remote_objects WHERE ? = '' OR type = ?`, typ, typ).Scan(&n)
	return n, err
}

// CountLocalEvents counts the instance's own published events (for NodeInfo).
func (s *Store) CountLocalEvents(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE uri IS NULL AND draft = 0
		AND visibility = 'public' AND published_at IS NOT NULL AND published_at <= ?`, s.unix()).Scan(&n)
	return n, err
}

// InboxActivitySeen tells whether an activity was received under key,
// and whether it has been processed.
func (s *Store) InboxActivitySeen(ctx context.Context, key string) (seen, processed bool, err error) {
	var processedAt sql.NullInt64
	err = s.db.QueryRowContext(ctx, `SELECT processed_at FROM inbox_activities WHERE uri = ?`, key).Scan(&processedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("inbox activity seen: %w", err)
	}
	return true, processedAt.Valid, nil
}
