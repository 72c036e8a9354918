package store

import (
	"context"
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

// CreateMedia stores a re-encoded picture.
func (s *Store) CreateMedia(ctx context.Context, contentType string, width, height int, data []byte) (*Media, error) {
	m := &Media{UUID: uuid.NewString(), ContentType: contentType, Width: width, Height: height, Data: data, CreatedAt: s.now().UTC()}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO media (uuid, content_type, width, height, data, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		m.UUID, contentType, width, height, data, m.CreatedAt.Unix())
	if err != nil {
		return nil, fmt.Errorf("insert media: %w", err)
	}
	m.ID, _ = res.LastInsertId()
	return m, nil
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
