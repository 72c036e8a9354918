package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Comment states: only visible ones are shown to everyone.
const (
	CommentVisible  = "visible"
	CommentHeld     = "held"
	CommentRejected = "rejected"
)

// Comment is a comment on an event, by a local identity or a remote actor.
type Comment struct {
	ID      int64
	UUID    string
	URI     string // the Note's id for a remote comment; empty for ours
	EventID int64
	// AuthorID is who wrote it; Author and AuthorURL (their profile page,
	// for a remote author) are filled by reads.
	AuthorID    int64
	Author      *Actor
	AuthorURL   string
	InReplyToID int64 // the comment it answers, 0 when it answers the event
	ContentHTML string
	State       string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const commentColumns = `c.id, c.uuid, coalesce(c.uri, ''), c.event_id, c.author_id, coalesce(c.in_reply_to, 0),
	c.content_html, c.state, c.created_at, c.updated_at,
	coalesce((SELECT CASE WHEN r.url != '' THEN r.url ELSE a.uri END FROM remote_actors r WHERE r.actor_id = a.id), ''), ` + actorColumns

func scanComment(row interface{ Scan(...any) error }) (*Comment, error) {
	var c Comment
	var a Actor
	var created, updated, aCreated, aUpdated int64
	err := row.Scan(&c.ID, &c.UUID, &c.URI, &c.EventID, &c.AuthorID, &c.InReplyToID, &c.ContentHTML, &c.State,
		&created, &updated, &c.AuthorURL,
		&a.ID, &a.Kind, &a.Username, &a.Domain, &a.AccountID, &a.DisplayName, &a.Bio,
		&a.AvatarUUID, &a.URI, &a.InboxURL, &a.SharedInboxURL, &a.ManuallyApproves, &aCreated, &aUpdated)
	if err != nil {
		return nil, notFound(err)
	}
	c.CreatedAt, c.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	a.CreatedAt, a.UpdatedAt = time.Unix(aCreated, 0).UTC(), time.Unix(aUpdated, 0).UTC()
	c.Author = &a
	return &c, nil
}

func (s *Store) oneComment(ctx context.Context, q queryer, where string, args ...any) (*Comment, error) {
	return scanComment(q.QueryRowContext(ctx, `SELECT `+commentColumns+` FROM comments c JOIN actors a ON a.id = c.author_id WHERE `+where, args...))
}

// CommentByURI finds a remote comment by its Note's id.
func (s *Store) CommentByURI(ctx context.Context, uri string) (*Comment, error) {
	return s.oneComment(ctx, s.db, `c.uri = ?`, uri)
}

// CommentByUUID finds a comment by the uuid in its address.
func (s *Store) CommentByUUID(ctx context.Context, id string) (*Comment, error) {
	return s.oneComment(ctx, s.db, `c.uuid = ?`, id)
}

// CommentByUUIDTx is CommentByUUID inside a transaction.
func (s *Store) CommentByUUIDTx(ctx context.Context, tx *sql.Tx, id string) (*Comment, error) {
	return s.oneComment(ctx, tx, `c.uuid = ?`, id)
}

// InsertCommentTx stores a new comment and sets its ID, UUID and times;
// ErrConflict when a comment with that Note id exists.
func (s *Store) InsertCommentTx(ctx context.Context, tx *sql.Tx, c *Comment) error {
	now := s.now().UTC().Truncate(time.Second)
	if c.UUID == "" {
		c.UUID = uuid.NewString()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	c.UpdatedAt = now
	res, err := tx.ExecContext(ctx, `
		INSERT INTO comments (uuid, uri, event_id, author_id, in_reply_to, content_html, state, created_at, updated_at)
		VALUES (?, nullif(?, ''), ?, ?, nullif(?, 0), ?, ?, ?, ?)`,
		c.UUID, c.URI, c.EventID, c.AuthorID, c.InReplyToID, c.ContentHTML, c.State, c.CreatedAt.Unix(), now.Unix())
	if isUniqueViolation(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("insert comment: %w", err)
	}
	c.ID, err = res.LastInsertId()
	return err
}

// UpdateCommentContent replaces a comment's text (its author edited it).
func (s *Store) UpdateCommentContent(ctx context.Context, id int64, html string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE comments SET content_html = ?, updated_at = ? WHERE id = ?`, html, s.unix(), id)
	if err != nil {
		return fmt.Errorf("update comment: %w", err)
	}
	return nil
}

// SetCommentStateTx moves a comment between visible, held and rejected.
func (s *Store) SetCommentStateTx(ctx context.Context, tx *sql.Tx, id int64, state string) error {
	_, err := tx.ExecContext(ctx, `UPDATE comments SET state = ?, updated_at = ? WHERE id = ?`, state, s.unix(), id)
	if err != nil {
		return fmt.Errorf("set comment state: %w", err)
	}
	return nil
}

// DeleteCommentTx removes a comment; answers to it stay, answering the event.
func (s *Store) DeleteCommentTx(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM comments WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete comment: %w", err)
	}
	return nil
}

// DeleteComment is DeleteCommentTx in its own transaction.
func (s *Store) DeleteComment(ctx context.Context, id int64) error {
	return s.Tx(ctx, func(tx *sql.Tx) error { return s.DeleteCommentTx(ctx, tx, id) })
}

// ListComments returns an event's comments in the states asked for,
// oldest first, with their authors.
func (s *Store) ListComments(ctx context.Context, eventID int64, states ...string) ([]*Comment, error) {
	query := `SELECT ` + commentColumns + ` FROM comments c JOIN actors a ON a.id = c.author_id WHERE c.event_id = ?`
	args := []any{eventID}
	if len(states) > 0 {
		query += ` AND c.state IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ") + `)`
		for _, st := range states {
			args = append(args, st)
		}
	}
	query += ` ORDER BY c.created_at, c.id LIMIT 1000`
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list comments: %w", err)
	}
	defer rows.Close()
	var out []*Comment
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CountComments counts an event's comments in one state.
func (s *Store) CountComments(ctx context.Context, eventID int64, state string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM comments WHERE event_id = ? AND state = ?`, eventID, state).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count comments: %w", err)
	}
	return n, nil
}
