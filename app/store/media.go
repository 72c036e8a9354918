package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Media is a picture we re-encoded and keep in the database.
type Media struct {
	ID          int64
	UUID        string
	ContentType string
	Width       int
	Height      int
	Data        []byte
	CreatedAt   time.Time
}

// Thumbnail is a smaller copy of a picture, made when it was stored.
type Thumbnail struct {
	Width       int
	Height      int
	ContentType string
	Data        []byte
}

// CreateMedia stores a re-encoded picture with its thumbnails, in one
// transaction.
func (s *Store) CreateMedia(ctx context.Context, contentType string, width, height int, data []byte, thumbs ...Thumbnail) (*Media, error) {
	m := &Media{UUID: uuid.NewString(), ContentType: contentType, Width: width, Height: height, Data: data, CreatedAt: s.now().UTC()}
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO media (uuid, content_type, width, height, data, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			m.UUID, contentType, width, height, data, m.CreatedAt.Unix())
		if err != nil {
			return fmt.Errorf("insert media: %w", err)
		}
		m.ID, _ = res.LastInsertId()
		return addThumbnails(ctx, tx, m.ID, thumbs)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// AddThumbnails stores the thumbnails of a picture stored before they
// existed. Two visitors asking at once may both make them; the first
// stored wins.
func (s *Store) AddThumbnails(ctx context.Context, mediaID int64, thumbs []Thumbnail) error {
	return s.Tx(ctx, func(tx *sql.Tx) error { return addThumbnails(ctx, tx, mediaID, thumbs) })
}

func addThumbnails(ctx context.Context, tx *sql.Tx, mediaID int64, thumbs []Thumbnail) error {
	for _, t := range thumbs {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO media_thumbnails (media_id, width, height, content_type, data) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT (media_id, width) DO NOTHING`,
			mediaID, t.Width, t.Height, t.ContentType, t.Data); err != nil {
			return fmt.Errorf("insert thumbnail: %w", err)
		}
	}
	return nil
}

// MediaByUUID returns one picture with its bytes.
func (s *Store) MediaByUUID(ctx context.Context, id string) (*Media, error) {
	var m Media
	var created int64
	err := s.db.QueryRowContext(ctx,
		`SELECT id, uuid, content_type, width, height, data, created_at FROM media WHERE uuid = ?`, id).
		Scan(&m.ID, &m.UUID, &m.ContentType, &m.Width, &m.Height, &m.Data, &created)
	if err != nil {
		return nil, notFound(err)
	}
	m.CreatedAt = time.Unix(created, 0).UTC()
	return &m, nil
}

// ThumbnailAtLeast returns the narrowest thumbnail of the picture that is
// at least minWidth wide, or ErrNotFound.
func (s *Store) ThumbnailAtLeast(ctx context.Context, mediaUUID string, minWidth int) (*Thumbnail, error) {
	var t Thumbnail
	err := s.db.QueryRowContext(ctx, `
		SELECT t.width, t.height, t.content_type, t.data
		FROM media_thumbnails t JOIN media m ON m.id = t.media_id
		WHERE m.uuid = ? AND t.width >= ?
		ORDER BY t.width LIMIT 1`, mediaUUID, minWidth).
		Scan(&t.Width, &t.Height, &t.ContentType, &t.Data)
	if err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// HasThumbnails tells whether thumbnails were made for the picture.
func (s *Store) HasThumbnails(ctx context.Context, mediaID int64) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM media_thumbnails WHERE media_id = ?`, mediaID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("count thumbnails: %w", err)
	}
	return n > 0, nil
}
