package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// A remote event's picture is never shown from its origin: we fetch it,
// re-encode it like an upload and serve our copy (media). remote_pictures
// says which picture an event's origin names, and whether our copy is
// made; the copy goes with the event (a trigger deletes the media row when
// its remote_pictures row goes, which the event's deletion cascades to).

// RemotePicture is a remote event's picture waiting for its copy.
type RemotePicture struct {
	EventID int64
	URL     string
	Tries   int
}

// SetRemotePictureTx records the picture url (empty: none) for a remote
// event just saved. The same picture as before keeps its copy as the
// event's banner; a new one drops the old copy and waits to be fetched.
// It returns whether a fetch is now due.
func (s *Store) SetRemotePictureTx(ctx context.Context, tx *sql.Tx, eventID int64, url string) (bool, error) {
	if url == "" {
		if _, err := tx.ExecContext(ctx, `DELETE FROM remote_pictures WHERE event_id = ?`, eventID); err != nil {
			return false, fmt.Errorf("remote picture: %w", err)
		}
		return false, nil
	}
	var oldURL string
	var mediaID sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT url, media_id FROM remote_pictures WHERE event_id = ?`, eventID).Scan(&oldURL, &mediaID)
	switch {
	case err == nil && oldURL == url:
		if mediaID.Valid {
			_, err = tx.ExecContext(ctx, `UPDATE events SET banner_id = ? WHERE id = ?`, mediaID.Int64, eventID)
		}
		if err != nil {
			return false, fmt.Errorf("remote picture: %w", err)
		}
		return false, nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return false, fmt.Errorf("remote picture: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO remote_pictures (event_id, url, media_id, tries, due_at) VALUES (?, ?, NULL, 0, ?)
		ON CONFLICT (event_id) DO UPDATE SET url = excluded.url, media_id = NULL, tries = 0, due_at = excluded.due_at,
		  last_error = ''`, eventID, url, s.unix()); err != nil {
		return false, fmt.Errorf("remote picture: %w", err)
	}
	return true, nil
}

// DueRemotePictures returns up to limit pictures to fetch.
func (s *Store) DueRemotePictures(ctx context.Context, limit int) ([]RemotePicture, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT event_id, url, tries FROM remote_pictures
		WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at LIMIT ?`, s.unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("due remote pictures: %w", err)
	}
	defer rows.Close()
	var out []RemotePicture
	for rows.Next() {
		var p RemotePicture
		if err := rows.Scan(&p.EventID, &p.URL, &p.Tries); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// NextRemotePictureDue is when the next picture is due (zero if none).
func (s *Store) NextRemotePictureDue(ctx context.Context) (time.Time, error) {
	var due sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(due_at) FROM remote_pictures`).Scan(&due); err != nil {
		return time.Time{}, err
	}
	if !due.Valid {
		return time.Time{}, nil
	}
	return time.Unix(due.Int64, 0), nil
}

// RemotePictureCopied makes our copy (media mediaID) the event's banner,
// if the event still names that picture; otherwise the copy is dropped.
func (s *Store) RemotePictureCopied(ctx context.Context, p RemotePicture, mediaID int64) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE remote_pictures SET media_id = ?, due_at = NULL, last_error = ''
			WHERE event_id = ? AND url = ?`, mediaID, p.EventID, p.URL)
		if err != nil {
			return fmt.Errorf("remote picture copied: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM media WHERE id = ?`, mediaID)
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE events SET banner_id = ? WHERE id = ?`, mediaID, p.EventID)
		return err
	})
}

// RemotePictureFailed records a failed fetch: tried again at retryAt, or
// never when retryAt is zero.
func (s *Store) RemotePictureFailed(ctx context.Context, p RemotePicture, retryAt time.Time, reason string) error {
	var due any
	if !retryAt.IsZero() {
		due = retryAt.Unix()
	}
	_, err := s.db.ExecContext(ctx, `UPDATE remote_pictures SET tries = tries + 1, due_at = ?, last_error = ?
		WHERE event_id = ? AND url = ?`, due, reason, p.EventID, p.URL)
	if err != nil {
		return fmt.Errorf("remote picture failed: %w", err)
	}
	return nil
}
