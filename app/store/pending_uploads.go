package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"
)

// PendingUpload is a picture kept from a form sent with errors.
type PendingUpload struct {
	MediaID   int64
	MediaUUID string
	Name      string // the file's name, as the person's computer called it
}

// maxPendingPerActor bounds what one identity keeps waiting: the oldest
// go first.
const maxPendingPerActor = 5

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// AddPendingUpload keeps a stored picture for the identity under token
// (random, made by the caller), and removes what has expired (older than
// notBefore) and the identity's oldest beyond a few.
func (s *Store) AddPendingUpload(ctx context.Context, token string, actorID, mediaID int64, name string, notBefore time.Time) error {
	return s.Tx(ctx, func(tx *sql.Tx) error {
		if err := deleteExpiredPending(ctx, tx, notBefore); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO pending_uploads (token_hash, media_id, actor_id, name, created_at) VALUES (?, ?, ?, ?, ?)`,
			hashToken(token), mediaID, actorID, name, s.now().UTC().UnixNano()); err != nil {
			return fmt.Errorf("insert pending upload: %w", err)
		}
		_, err := tx.ExecContext(ctx, `
			DELETE FROM media WHERE id IN (
				SELECT media_id FROM pending_uploads WHERE actor_id = ?
				ORDER BY created_at DESC LIMIT -1 OFFSET ?)`, actorID, maxPendingPerActor)
		if err != nil {
			return fmt.Errorf("trim pending uploads: %w", err)
		}
		return nil
	})
}

// PendingUpload finds the identity's picture kept under token, younger
// than notBefore, or ErrNotFound (a token of someone else, expired, or
// made up).
func (s *Store) PendingUpload(ctx context.Context, token string, actorID int64, notBefore time.Time) (*PendingUpload, error) {
	var p PendingUpload
	err := s.db.QueryRowContext(ctx, `
		SELECT p.media_id, m.uuid, p.name FROM pending_uploads p JOIN media m ON m.id = p.media_id
		WHERE p.token_hash = ? AND p.actor_id = ? AND p.created_at >= ?`,
		hashToken(token), actorID, notBefore.UTC().UnixNano()).Scan(&p.MediaID, &p.MediaUUID, &p.Name)
	if err != nil {
		return nil, notFound(err)
	}
	return &p, nil
}

// ClaimPendingUpload hands the picture over to what uses it: it is no
// longer pending, and stays.
func (s *Store) ClaimPendingUpload(ctx context.Context, token string, actorID int64) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM pending_uploads WHERE token_hash = ? AND actor_id = ?`, hashToken(token), actorID)
	if err != nil {
		return fmt.Errorf("claim pending upload: %w", err)
	}
	return nil
}

// DropPendingUpload deletes the identity's picture kept under token.
func (s *Store) DropPendingUpload(ctx context.Context, token string, actorID int64) error {
	_, err := s.db.ExecContext(ctx, `
		DELETE FROM media WHERE id IN (SELECT media_id FROM pending_uploads WHERE token_hash = ? AND actor_id = ?)`,
		hashToken(token), actorID)
	if err != nil {
		return fmt.Errorf("drop pending upload: %w", err)
	}
	return nil
}

// DeleteExpiredPendingUploads deletes the pictures kept longer than until
// notBefore, and says how many.
func (s *Store) DeleteExpiredPendingUploads(ctx context.Context, notBefore time.Time) (int64, error) {
	var n int64
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pending_uploads WHERE created_at < ?`, notBefore.UTC().UnixNano()).Scan(&n); err != nil {
			return fmt.Errorf("count expired pending uploads: %w", err)
		}
		return deleteExpiredPending(ctx, tx, notBefore)
	})
	return n, err
}

func deleteExpiredPending(ctx context.Context, tx *sql.Tx, notBefore time.Time) error {
	if _, err := tx.ExecContext(ctx, `
		DELETE FROM media WHERE id IN (SELECT media_id FROM pending_uploads WHERE created_at < ?)`,
		notBefore.UTC().UnixNano()); err != nil {
		return fmt.Errorf("delete expired pending uploads: %w", err)
	}
	return nil
}
