package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// DomainQueue is one server's share of the delivery queue.
type DomainQueue struct {
	Host      string
	Pending   int // waiting, including those being retried
	Failing   int // waiting after at least one failed attempt
	GivenUp   int
	LastError string
	NextTry   time.Time // zero when nothing waits
}

// GivenUpDelivery is a delivery we stopped trying.
type GivenUpDelivery struct {
	Host        string
	InboxURL    string
	ActivityURI string
	Attempts    int
	LastError   string
	FailedAt    time.Time
}

// FederationQueue is the state of both queues for the administrators.
type FederationQueue struct {
	Pending, Failing, GivenUp int
	InboxWaiting              int // received, not yet processed
	InboxRetrying             int // of which failed at least once
	InboxKept                 int // processed ids kept to recognise replays
	Domains                   []DomainQueue
	RecentGivenUp             []GivenUpDelivery
}

// FederationQueueOverview reads the queues: totals, the servers with
// deliveries waiting or given up (failing ones first), and the latest
// given-up deliveries.
func (s *Store) FederationQueueOverview(ctx context.Context, limit int) (FederationQueue, error) {
	var q FederationQueue
	err := s.db.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE failed_at IS NULL),
		count(*) FILTER (WHERE failed_at IS NULL AND attempts > 0),
		count(*) FILTER (WHERE failed_at IS NOT NULL) FROM deliveries`).Scan(&q.Pending, &q.Failing, &q.GivenUp)
	if err != nil {
		return q, fmt.Errorf("delivery totals: %w", err)
	}
	err = s.db.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE processed_at IS NULL),
		count(*) FILTER (WHERE processed_at IS NULL AND attempts > 0),
		count(*) FILTER (WHERE processed_at IS NOT NULL) FROM inbox_activities`).Scan(&q.InboxWaiting, &q.InboxRetrying, &q.InboxKept)
	if err != nil {
		return q, fmt.Errorf("inbox totals: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT host,
		count(*) FILTER (WHERE failed_at IS NULL),
		count(*) FILTER (WHERE failed_at IS NULL AND attempts > 0),
		count(*) FILTER (WHERE failed_at IS NOT NULL),
		coalesce((SELECT d2.last_error FROM deliveries d2 WHERE d2.host = d.host AND d2.last_error != ''
			ORDER BY coalesce(d2.failed_at, d2.next_attempt_at) DESC LIMIT 1), ''),
		coalesce(min(next_attempt_at) FILTER (WHERE failed_at IS NULL), 0)
		FROM deliveries d GROUP BY host
		ORDER BY 3 DESC, 4 DESC, 2 DESC, host LIMIT ?`, limit)
	if err != nil {
		return q, fmt.Errorf("delivery domains: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d DomainQueue
		var next int64
		if err := rows.Scan(&d.Host, &d.Pending, &d.Failing, &d.GivenUp, &d.LastError, &next); err != nil {
			return q, err
		}
		if next != 0 {
			d.NextTry = time.Unix(next, 0).UTC()
		}
		q.Domains = append(q.Domains, d)
	}
	if err := rows.Err(); err != nil {
		return q, err
	}
	rows.Close()
	rows, err = s.db.QueryContext(ctx, `SELECT d.host, d.inbox_url, a.uri, d.attempts, d.last_error, d.failed_at
		FROM deliveries d JOIN outgoing_activities a ON a.id = d.activity_id
		WHERE d.failed_at IS NOT NULL ORDER BY d.failed_at DESC, d.id DESC LIMIT ?`, limit)
	if err != nil {
		return q, fmt.Errorf("given-up deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g GivenUpDelivery
		var failed int64
		if err := rows.Scan(&g.Host, &g.InboxURL, &g.ActivityURI, &g.Attempts, &g.LastError, &failed); err != nil {
			return q, err
		}
		g.FailedAt = time.Unix(failed, 0).UTC()
		q.RecentGivenUp = append(q.RecentGivenUp, g)
	}
	return q, rows.Err()
}

// PurgeFederationQueues forgets what is done since before: processed
// inbox ids (a replay that old fails the signature's Date check anyway),
// given-up deliveries, and activities no delivery waits for.
func (s *Store) PurgeFederationQueues(ctx context.Context, before time.Time) (inbox, deliveries int64, err error) {
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM inbox_activities WHERE processed_at IS NOT NULL AND processed_at < ?`, before.Unix())
		if err != nil {
			return fmt.Errorf("purge inbox: %w", err)
		}
		inbox, _ = res.RowsAffected()
		res, err = tx.ExecContext(ctx, `DELETE FROM deliveries WHERE failed_at IS NOT NULL AND failed_at < ?`, before.Unix())
		if err != nil {
			return fmt.Errorf("purge deliveries: %w", err)
		}
		deliveries, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, `DELETE FROM outgoing_activities WHERE created_at < ?
			AND NOT EXISTS (SELECT 1 FROM deliveries WHERE activity_id = outgoing_activities.id)`, before.Unix())
		if err != nil {
			return fmt.Errorf("purge activities: %w", err)
		}
		return nil
	})
	return inbox, deliveries, err
}
