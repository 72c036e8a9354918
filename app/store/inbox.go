package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
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
// It returns once the activity is committed, so that the peer is told 202
// only for what a restart will not lose. Concurrent calls share one
// transaction (group commit): the first caller writes everything queued
// while it waited for the database, then hands over to the next waiter.
func (s *Store) SaveInboxActivity(ctx context.Context, uri, actorURI string, body []byte) (bool, error) {
	w := &inboxWrite{uri: uri, actorURI: actorURI, body: body, done: make(chan bool, 1)}
	g := &s.inboxWrites
	g.mu.Lock()
	g.queue = append(g.queue, w)
	if g.leading {
		g.mu.Unlock()
		if lead := <-w.done; !lead {
			return w.fresh, w.err // written by another caller
		}
		g.mu.Lock()
	}
	g.leading = true
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()

	s.writeInbox(context.WithoutCancel(ctx), batch)

	g.mu.Lock()
	if len(g.queue) > 0 {
		next := g.queue[0]
		g.mu.Unlock()
		next.done <- true // its turn to write what queued meanwhile
	} else {
		g.leading = false
		g.mu.Unlock()
	}
	return w.fresh, w.err
}

// inboxWrites gathers concurrent SaveInboxActivity calls.
type inboxWrites struct {
	mu      sync.Mutex
	queue   []*inboxWrite
	leading bool // a caller is writing; the others queue and wait
}

type inboxWrite struct {
	uri, actorURI string
	body          []byte
	fresh         bool
	err           error
	done          chan bool // true: write the queue yourself; false: written
}

// writeInbox inserts a batch in one transaction and tells each waiter.
func (s *Store) writeInbox(ctx context.Context, batch []*inboxWrite) {
	now := s.unix()
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO inbox_activities (uri, actor_uri, body, received_at, next_attempt_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (uri) DO NOTHING`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, w := range batch {
			res, err := stmt.ExecContext(ctx, w.uri, w.actorURI, string(w.body), now, now)
			if err != nil {
				w.err = fmt.Errorf("save inbox activity: %w", err)
				continue
			}
			n, _ := res.RowsAffected()
			w.fresh = n == 1
		}
		return nil
	})
	for _, w := range batch {
		if err != nil {
			w.fresh, w.err = false, fmt.Errorf("save inbox activity: %w", err)
		}
		w.done <- false
	}
}

// ClaimDueInbox takes up to limit activities to process, leasing them,
// oldest first. One statement finds and leases them.
func (s *Store) ClaimDueInbox(ctx context.Context, lease time.Duration, limit int) ([]InboxActivity, error) {
	var out []InboxActivity
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		rows, err := tx.QueryContext(ctx, `UPDATE inbox_activities SET next_attempt_at = ?
			WHERE id IN (SELECT id FROM inbox_activities WHERE processed_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?)
			RETURNING id, uri, actor_uri, body, attempts`, now.Add(lease).Unix(), now.Unix(), limit)
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
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b InboxActivity) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// InboxProcessed marks an activity done and drops its body; the id stays
// so that a replay is recognised.
func (s *Store) InboxProcessed(ctx context.Context, id int64, lastError string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE inbox_activities SET processed_at = ?, body = '', last_error = ? WHERE id = ?`,
		s.unix(), lastError, id)
	return err
}

// InboxProcessedMany marks activities done, as InboxProcessed does, in
// one transaction; errs gives each one's error (empty when none).
func (s *Store) InboxProcessedMany(ctx context.Context, ids []int64, errs []string) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.unix()
	return s.Tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE inbox_activities SET processed_at = ?, body = '', last_error = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, id := range ids {
			if _, err := stmt.ExecContext(ctx, now, errs[i], id); err != nil {
				return err
			}
		}
		return nil
	})
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
