package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// OutgoingActivity is an activity to send, stored before any attempt.
type OutgoingActivity struct {
	URI     string
	ActorID int64 // who signs it
	Body    []byte
}

// EnqueueActivityTx stores an activity and one delivery per inbox, inside
// the transaction of the change it announces. inboxes should already be
// deduplicated (shared inboxes); duplicates are ignored. notBefore delays
// the first attempt (a scheduled event is announced when it is published).
func (s *Store) EnqueueActivityTx(ctx context.Context, tx *sql.Tx, act OutgoingActivity, inboxes []Inbox, notBefore time.Time) error {
	if len(inboxes) == 0 {
		return nil
	}
	now := s.unix()
	due := now
	if notBefore.Unix() > due {
		due = notBefore.Unix()
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO outgoing_activities (uri, actor_id, body, created_at) VALUES (?, ?, ?, ?)`,
		act.URI, act.ActorID, string(act.Body), now)
	if err != nil {
		return fmt.Errorf("enqueue activity: %w", err)
	}
	id, _ := res.LastInsertId()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO deliveries (activity_id, inbox_url, host, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("enqueue deliveries: %w", err)
	}
	defer stmt.Close()
	for _, in := range inboxes {
		if _, err := stmt.ExecContext(ctx, id, in.URL, in.Host, due, now); err != nil {
			return fmt.Errorf("enqueue delivery: %w", err)
		}
	}
	return nil
}

// Inbox is where a delivery goes, with the host it is counted against.
type Inbox struct {
	URL  string
	Host string
}

// FollowerInboxesTx lists the distinct inboxes of an actor's accepted
// remote followers: the shared inbox of a server once for all its followers
// there, else each follower's own inbox.
func (s *Store) FollowerInboxesTx(ctx context.Context, q queryer, actorID int64) ([]Inbox, error) {
	return s.followerInboxes(ctx, q, actorID, false)
}

// PeopleFollowerInboxesTx is FollowerInboxesTx without the followers that
// are servers (instance or relay actors) or on a server known to ignore
// addressing (peer_servers): they show what they receive to everyone,
// whatever its addressing says.
func (s *Store) PeopleFollowerInboxesTx(ctx context.Context, q queryer, actorID int64) ([]Inbox, error) {
	return s.followerInboxes(ctx, q, actorID, true)
}

func (s *Store) followerInboxes(ctx context.Context, q queryer, actorID int64, peopleOnly bool) ([]Inbox, error) {
	return queryInboxes(ctx, q, "follower inboxes", `
		SELECT DISTINCT CASE WHEN a.shared_inbox_url != '' THEN a.shared_inbox_url ELSE a.inbox_url END, a.domain
		FROM follows f JOIN actors a ON a.id = f.follower_id
		WHERE f.followed_id = ? AND f.state = 'accepted' AND a.domain != '' AND a.inbox_url != ''
		  AND NOT (? AND (a.kind = ? OR a.domain IN (SELECT host FROM peer_servers WHERE ignores_audience)))`,
		actorID, peopleOnly, KindApplication)
}

// queryInboxes runs a query selecting (inbox URL, host) rows and reads
// them; what names the list in an error.
func queryInboxes(ctx context.Context, q queryer, what, query string, args ...any) ([]Inbox, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []Inbox
	for rows.Next() {
		var in Inbox
		if err := rows.Scan(&in.URL, &in.Host); err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// Delivery is one activity to POST to one inbox.
type Delivery struct {
	ID        int64
	ActorID   int64
	URI       string
	Body      []byte
	InboxURL  string
	Host      string
	Attempts  int
	CreatedAt time.Time
	// Signer is set when the actor was deleted after queueing: sign with
	// its own key, kept with the activity.
	Signer SignerKey
}

// ClaimDueDeliveries takes up to limit due deliveries and pushes their next
// attempt a lease ahead, so a crash mid-send only delays them and a second
// drainer does not send them twice.
func (s *Store) ClaimDueDeliveries(ctx context.Context, lease time.Duration, limit int) ([]Delivery, error) {
	var out []Delivery
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		rows, err := tx.QueryContext(ctx, `
			SELECT d.id, o.actor_id, o.uri, o.body, d.inbox_url, d.host, d.attempts, d.created_at,
				o.signer_key_id, o.signer_key_pem
			FROM deliveries d JOIN outgoing_activities o ON o.id = d.activity_id
			WHERE d.failed_at IS NULL AND d.next_attempt_at <= ?
			ORDER BY d.next_attempt_at, d.id LIMIT ?`, now.Unix(), limit)
		if err != nil {
			return fmt.Errorf("due deliveries: %w", err)
		}
		defer rows.Close()
		// One activity goes to many inboxes: its body is held once.
		bodies := map[string][]byte{}
		for rows.Next() {
			var d Delivery
			var body sql.RawBytes
			var created int64
			if err := rows.Scan(&d.ID, &d.ActorID, &d.URI, &body, &d.InboxURL, &d.Host, &d.Attempts, &created,
				&d.Signer.KeyID, &d.Signer.PEM); err != nil {
				return err
			}
			if d.Body = bodies[d.URI]; d.Body == nil || !bytes.Equal(d.Body, body) {
				d.Body = bytes.Clone(body)
				bodies[d.URI] = d.Body
			}
			d.CreatedAt = time.Unix(created, 0).UTC()
			out = append(out, d)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		stmt, err := tx.PrepareContext(ctx, `UPDATE deliveries SET next_attempt_at = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, d := range out {
			if _, err := stmt.ExecContext(ctx, now.Add(lease).Unix(), d.ID); err != nil {
				return fmt.Errorf("claim delivery: %w", err)
			}
		}
		return nil
	})
	return out, err
}

// DeliveryDone forgets a delivered row, and its activity once no inbox
// waits for it any more.
func (s *Store) DeliveryDone(ctx context.Context, id int64) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		var activityID int64
		if err := tx.QueryRowContext(ctx, `DELETE FROM deliveries WHERE id = ? RETURNING activity_id`, id).Scan(&activityID); err != nil {
			return notFound(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM outgoing_activities WHERE id = ?
			AND NOT EXISTS (SELECT 1 FROM deliveries WHERE activity_id = ?)`, activityID, activityID); err != nil {
			return err
		}
		return dropKeptKey(ctx, tx, activityID)
	})
}

// DeliveriesDone forgets delivered rows, and their activities once no
// inbox waits for them any more, in one transaction: a fan-out to
// thousands of inboxes commits once per batch, not once per inbox.
func (s *Store) DeliveriesDone(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.Tx(ctx, func(tx *sql.Tx) error {
		del, err := tx.PrepareContext(ctx, `DELETE FROM deliveries WHERE id = ? RETURNING activity_id`)
		if err != nil {
			return err
		}
		defer del.Close()
		activities := map[int64]bool{}
		for _, id := range ids {
			var activityID int64
			switch err := del.QueryRowContext(ctx, id).Scan(&activityID); {
			case errors.Is(err, sql.ErrNoRows):
				continue // already gone
			case err != nil:
				return fmt.Errorf("delivery done: %w", err)
			}
			activities[activityID] = true
		}
		for activityID := range activities {
			if _, err := tx.ExecContext(ctx, `DELETE FROM outgoing_activities WHERE id = ?
				AND NOT EXISTS (SELECT 1 FROM deliveries WHERE activity_id = ?)`, activityID, activityID); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeliveryFailed records a failed attempt: tried again at next, or kept as
// given up (for the administrator to see) when giveUp is set.
func (s *Store) DeliveryFailed(ctx context.Context, id int64, next time.Time, reason string, giveUp bool) error {
	var failed any
	if giveUp {
		failed = s.unix()
	}
	_, err := s.db.ExecContext(ctx, `UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?,
		last_error = ?, failed_at = ? WHERE id = ?`, next.Unix(), reason, failed, id)
	if err != nil {
		return fmt.Errorf("delivery failed: %w", err)
	}
	if giveUp {
		var activityID int64
		if err := s.db.QueryRowContext(ctx, `SELECT activity_id FROM deliveries WHERE id = ?`, id).Scan(&activityID); err != nil {
			return notFound(err)
		}
		return dropKeptKey(ctx, s.db, activityID)
	}
	return nil
}

// dropKeptKey forgets the key kept to sign a deleted actor's activity
// once no delivery of it waits any more (delivered or given up).
func dropKeptKey(ctx context.Context, q queryer, activityID int64) error {
	_, err := q.ExecContext(ctx, `UPDATE outgoing_activities SET signer_key_pem = ''
		WHERE id = ? AND signer_key_pem != ''
		  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.activity_id = outgoing_activities.id AND d.failed_at IS NULL)`, activityID)
	if err != nil {
		return fmt.Errorf("drop kept key: %w", err)
	}
	return nil
}

// NextDeliveryDue tells when the earliest waiting delivery is due (zero
// when none waits).
func (s *Store) NextDeliveryDue(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM deliveries WHERE failed_at IS NULL`).Scan(&next)
	if err != nil {
		return time.Time{}, fmt.Errorf("next delivery due: %w", err)
	}
	if !next.Valid {
		return time.Time{}, nil
	}
	return time.Unix(next.Int64, 0), nil
}

// DeliveryStats counts deliveries waiting and given up.
type DeliveryStats struct {
	Waiting, Failed int
}

// DeliveryQueueStats counts the queue.
func (s *Store) DeliveryQueueStats(ctx context.Context) (DeliveryStats, error) {
	var st DeliveryStats
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE failed_at IS NULL),
		count(*) FILTER (WHERE failed_at IS NOT NULL) FROM deliveries`).Scan(&st.Waiting, &st.Failed)
	if err != nil {
		return st, fmt.Errorf("delivery stats: %w", err)
	}
	return st, nil
}

// OutboxEvents lists the ids of an organiser's events that belong in its
// outbox: local, public, published, not drafts; newest first.
func (s *Store) OutboxEvents(ctx context.Context, organizerID int64, limit, offset int) ([]int64, int, error) {
	return s.outboxEvents(ctx, ` AND organizer_id = ?`, []any{organizerID}, limit, offset)
}

// InstanceOutboxEvents lists every local public event for the instance
// actor's outbox: a server following the instance receives all of them as
// they are published, so it must also find them when it backfills. Events
// held for review are not listed yet.
func (s *Store) InstanceOutboxEvents(ctx context.Context, limit, offset int) ([]int64, int, error) {
	return s.outboxEvents(ctx, ` AND id NOT IN (SELECT event_id FROM held_events)`, nil, limit, offset)
}

func (s *Store) outboxEvents(ctx context.Context, filter string, args []any, limit, offset int) ([]int64, int, error) {
	where := ` FROM events WHERE uri IS NULL AND visibility = 'public' AND draft = 0
		AND published_at IS NOT NULL AND published_at <= ?` + filter
	args = append([]any{s.unix()}, args...)
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*)`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("outbox count: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id`+where+` ORDER BY published_at DESC, id DESC LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("outbox events: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	return ids, total, rows.Err()
}
