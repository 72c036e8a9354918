package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Reminder choices.
const (
	ReminderNone = "none"
	ReminderDay  = "day"
	ReminderHour = "hour"
)

// ReminderCandidate is a confirmed participation in an event starting
// soon whose reminder is not sent yet.
type ReminderCandidate struct {
	ParticipationID int64
	EventID         int64
	Choice          string
	Email           string // the visitor's, or the identity's account's
	Locale          string // the account's language, if any
	Anonymous       bool
}

// ReminderCandidates lists confirmed participations, with an address to
// write to, in local events that are not cancelled and start between now
// and until, whose reminder is wanted and not yet sent.
func (s *Store) ReminderCandidates(ctx context.Context, now, until time.Time) ([]ReminderCandidate, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT p.id, e.id, coalesce(r.choice, 'day'), coalesce(p.email, ac.email), coalesce(ac.locale, ''), p.actor_id IS NULL
		FROM events e
		JOIN participations p ON p.event_id = e.id AND p.state = 'confirmed'
		LEFT JOIN participation_reminders r ON r.participation_id = p.id
		LEFT JOIN actors a ON a.id = p.actor_id
		LEFT JOIN accounts ac ON ac.id = a.account_id
		WHERE e.starts_at > ? AND e.starts_at <= ? AND e.status <> 'cancelled' AND e.uri IS NULL
		  AND r.sent_at IS NULL AND coalesce(r.choice, 'day') <> 'none'
		  AND coalesce(p.email, ac.email) IS NOT NULL
		ORDER BY e.starts_at, p.id`, now.Unix(), until.Unix())
	if err != nil {
		return nil, fmt.Errorf("reminder candidates: %w", err)
	}
	defer rows.Close()
	var out []ReminderCandidate
	for rows.Next() {
		var c ReminderCandidate
		if err := rows.Scan(&c.ParticipationID, &c.EventID, &c.Choice, &c.Email, &c.Locale, &c.Anonymous); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// MarkReminderSentTx claims a participation's reminder inside the
// transaction that queues its mail: false when it was already sent, so a
// reminder goes out once whatever the clock and restarts do. cancelHash
// is the hash of the cancel link the mail carries ("" for none).
func (s *Store) MarkReminderSentTx(ctx context.Context, tx *sql.Tx, participationID int64, cancelHash string) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO participation_reminders (participation_id, sent_at, cancel_token_hash)
		VALUES (?1, ?2, nullif(?3, ''))
		ON CONFLICT (participation_id) DO UPDATE SET sent_at = ?2, cancel_token_hash = nullif(?3, '')
		WHERE participation_reminders.sent_at IS NULL`, participationID, s.unix(), cancelHash)
	if err != nil {
		return false, fmt.Errorf("mark reminder: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SetReminderChoice records when a participant wants their reminder.
func (s *Store) SetReminderChoice(ctx context.Context, participationID int64, choice string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO participation_reminders (participation_id, choice) VALUES (?1, ?2)
		ON CONFLICT (participation_id) DO UPDATE SET choice = ?2`, participationID, choice)
	return err
}

// ReminderChoice is a participation's choice (the day before by default).
func (s *Store) ReminderChoice(ctx context.Context, participationID int64) (string, error) {
	var c string
	err := s.db.QueryRowContext(ctx, `SELECT choice FROM participation_reminders WHERE participation_id = ?`, participationID).Scan(&c)
	if err == sql.ErrNoRows {
		return ReminderDay, nil
	}
	return c, err
}
