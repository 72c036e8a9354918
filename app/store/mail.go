package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Mail is one outgoing email, already rendered in its recipient's
// language.
type Mail struct {
	ID        int64
	To        string
	Subject   string
	Text      string
	HTML      string
	Attempts  int
	LastError string
}

// EnqueueMail queues a message on its own.
func (s *Store) EnqueueMail(ctx context.Context, m Mail) error {
	return s.Tx(ctx, func(tx *sql.Tx) error { return s.EnqueueMailTx(ctx, tx, m) })
}

// EnqueueMailTx queues a message inside the transaction of the change it
// tells about, so that either both happen or neither does.
func (s *Store) EnqueueMailTx(ctx context.Context, tx *sql.Tx, m Mail) error {
	now := s.unix()
	_, err := tx.ExecContext(ctx, `
		INSERT INTO mail_queue (recipient, subject, text_body, html_body, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, m.To, m.Subject, m.Text, m.HTML, now, now)
	if err != nil {
		return fmt.Errorf("enqueue mail: %w", err)
	}
	return nil
}

// ClaimDueMail takes up to limit messages whose time has come and pushes
// their next attempt lease ahead, so that a second worker (or a test
// draining the queue beside the worker) does not send them twice.
func (s *Store) ClaimDueMail(ctx context.Context, lease time.Duration, limit int) ([]Mail, error) {
	var out []Mail
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		rows, err := tx.QueryContext(ctx, `
			SELECT id, recipient, subject, text_body, html_body, attempts, last_error FROM mail_queue
			WHERE failed_at IS NULL AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id LIMIT ?`, now.Unix(), limit)
		if err != nil {
			return fmt.Errorf("due mail: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m Mail
			if err := rows.Scan(&m.ID, &m.To, &m.Subject, &m.Text, &m.HTML, &m.Attempts, &m.LastError); err != nil {
				return err
			}
			out = append(out, m)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		for _, m := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE mail_queue SET next_attempt_at = ? WHERE id = ?`,
				now.Add(lease).Unix(), m.ID); err != nil {
				return fmt.Errorf("claim mail: %w", err)
			}
		}
		return nil
	})
	return out, err
}

// MailSent forgets a delivered message: its body may hold one-time links.
func (s *Store) MailSent(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM mail_queue WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("mail sent: %w", err)
	}
	return nil
}

// MailFailed records a failed attempt: the message is tried again at next,
// or kept as given up when giveUp is set (an administrator can see it).
func (s *Store) MailFailed(ctx context.Context, id int64, next time.Time, reason string, giveUp bool) error {
	var failed any
	if giveUp {
		failed = s.unix()
	}
	_, err := s.db.ExecContext(ctx, `
		UPDATE mail_queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, failed_at = ?
		WHERE id = ?`, next.Unix(), reason, failed, id)
	if err != nil {
		return fmt.Errorf("mail failed: %w", err)
	}
	return nil
}

// MailQueueStats counts the messages waiting to be sent and those given up.
func (s *Store) MailQueueStats(ctx context.Context) (waiting, failed int, err error) {
	err = s.db.QueryRowContext(ctx, `
		SELECT count(*) FILTER (WHERE failed_at IS NULL), count(*) FILTER (WHERE failed_at IS NOT NULL)
		FROM mail_queue`).Scan(&waiting, &failed)
	if err != nil {
		return 0, 0, fmt.Errorf("mail queue stats: %w", err)
	}
	return waiting, failed, nil
}

// NextMailDue tells when the earliest waiting message is due (zero when
// none waits), so the worker sleeps exactly as long as it can.
func (s *Store) NextMailDue(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM mail_queue WHERE failed_at IS NULL`).Scan(&next)
	if err != nil {
		return time.Time{}, fmt.Errorf("next mail due: %w", err)
	}
	if !next.Valid {
		return time.Time{}, nil
	}
	return time.Unix(next.Int64, 0), nil
}
