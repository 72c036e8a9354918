package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Post visibilities.
const (
	PostPublic   = "public"
	PostUnlisted = "unlisted"
	PostMembers  = "members"
)

// Post is a group's announcement.
type Post struct {
	ID          int64
	Slug        string
	URI         string // remote posts only
	GroupID     int64
	AuthorID    int64
	Author      *Actor
	Title       string
	BodyMD      string
	BodyHTML    string
	BannerID    int64
	BannerUUID  string
	Visibility  string
	PublishedAt time.Time
	UpdatedAt   time.Time
}

const postColumns = `p.id, p.slug, coalesce(p.uri, ''), p.group_id, p.author_id, p.title, p.body_md, p.body_html,
	coalesce(p.banner_id, 0), coalesce((SELECT uuid FROM media WHERE id = p.banner_id), ''), p.visibility, p.published_at, p.updated_at`

func scanPost(row interface{ Scan(...any) error }) (*Post, error) {
	var p Post
	var pub, upd int64
	if err := row.Scan(&p.ID, &p.Slug, &p.URI, &p.GroupID, &p.AuthorID, &p.Title, &p.BodyMD, &p.BodyHTML,
		&p.BannerID, &p.BannerUUID, &p.Visibility, &pub, &upd); err != nil {
		return nil, notFound(err)
	}
	p.PublishedAt, p.UpdatedAt = time.Unix(pub, 0).UTC(), time.Unix(upd, 0).UTC()
	return &p, nil
}

// CreatePostTx stores a post.
func (s *Store) CreatePostTx(ctx context.Context, tx *sql.Tx, p *Post) error {
	now := s.unix()
	if p.Slug == "" {
		p.Slug = uuid.NewString()
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO group_posts (slug, uri, group_id, author_id, title, body_md, body_html,
		banner_id, visibility, published_at, updated_at) VALUES (?, nullif(?, ''), ?, ?, ?, ?, ?, nullif(?, 0), ?, ?, ?)`,
		p.Slug, p.URI, p.GroupID, p.AuthorID, p.Title, p.BodyMD, p.BodyHTML, p.BannerID, p.Visibility, now, now)
	if isUniqueViolation(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("create post: %w", err)
	}
	p.ID, _ = res.LastInsertId()
	p.PublishedAt, p.UpdatedAt = time.Unix(now, 0).UTC(), time.Unix(now, 0).UTC()
	return nil
}

// DeletePostTx removes a post.
func (s *Store) DeletePostTx(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM group_posts WHERE id = ?`, id)
	return err
}

// UpdatePostTx replaces what a post says, its banner and who may read it.
func (s *Store) UpdatePostTx(ctx context.Context, tx *sql.Tx, p *Post) error {
	_, err := tx.ExecContext(ctx, `UPDATE group_posts SET title = ?, body_md = ?, body_html = ?, banner_id = nullif(?, 0),
		visibility = ?, updated_at = ? WHERE id = ?`,
		p.Title, p.BodyMD, p.BodyHTML, p.BannerID, p.Visibility, s.unix(), p.ID)
	return err
}

// PostBySlug returns a group's post.
func (s *Store) PostBySlug(ctx context.Context, groupID int64, slug string) (*Post, error) {
	p, err := scanPost(s.db.QueryRowContext(ctx, `SELECT `+postColumns+` FROM group_posts p WHERE p.group_id = ? AND p.slug = ?`, groupID, slug))
	if err != nil {
		return nil, err
	}
	p.Author, err = s.ActorByID(ctx, p.AuthorID)
	return p, err
}

// PostBySlugTx is PostBySlug inside a transaction, without its author.
func (s *Store) PostBySlugTx(ctx context.Context, tx *sql.Tx, groupID int64, slug string) (*Post, error) {
	return scanPost(tx.QueryRowContext(ctx, `SELECT `+postColumns+` FROM group_posts p WHERE p.group_id = ? AND p.slug = ?`, groupID, slug))
}

// PostByURI returns a post by its remote id.
func (s *Store) PostByURI(ctx context.Context, uri string) (*Post, error) {
	return scanPost(s.db.QueryRowContext(ctx, `SELECT `+postColumns+` FROM group_posts p WHERE p.uri = ?`, uri))
}

// ListPosts lists a group's posts in the given visibilities, newest first.
func (s *Store) ListPosts(ctx context.Context, groupID int64, visibilities []string, limit, offset int) ([]*Post, error) {
	args := []any{groupID}
	in := ""
	for i, v := range visibilities {
		if i > 0 {
			in += ", "
		}
		in += "?"
		args = append(args, v)
	}
	args = append(args, limit, offset)
	rows, err := s.db.QueryContext(ctx, `SELECT `+postColumns+` FROM group_posts p WHERE p.group_id = ? AND p.visibility IN (`+in+`)
		ORDER BY p.published_at DESC, p.id DESC LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	var out []*Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, p := range out {
		if p.Author, err = s.ActorByID(ctx, p.AuthorID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CountPosts counts a group's posts in the given visibilities.
func (s *Store) CountPosts(ctx context.Context, groupID int64, visibilities ...string) (int, error) {
	args := []any{groupID}
	in := ""
	for i, v := range visibilities {
		if i > 0 {
			in += ", "
		}
		in += "?"
		args = append(args, v)
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM group_posts WHERE group_id = ? AND visibility IN (`+in+`)`, args...).Scan(&n)
	return n, err
}
