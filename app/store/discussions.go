package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Discussion is a titled, flat thread of a group.
type Discussion struct {
	ID            int64
	Slug          string
	URI           string // set when it was started on another instance
	GroupID       int64
	AuthorID      int64
	Author        *Actor
	Title         string
	MessageCount  int
	LastMessageAt time.Time
	CreatedAt     time.Time
}

// Message is one message of a discussion; the first is the opening one.
type Message struct {
	ID           int64
	DiscussionID int64
	URI          string // set when it was written on another instance
	AuthorID     int64
	Author       *Actor
	BodyHTML     string
	Source       string // the Markdown its author typed here ("" for others); not read for pages of messages
	HasSource    bool   // Source is kept: its author may change the message
	CreatedAt    time.Time
	EditedAt     time.Time // zero unless changed after it was written
}

const discussionColumns = `d.id, d.slug, coalesce(d.uri, ''), d.group_id, d.author_id, d.title,
	(SELECT count(*) FROM discussion_messages WHERE discussion_id = d.id), d.last_message_at, d.created_at`

func (s *Store) scanDiscussion(ctx context.Context, row interface{ Scan(...any) error }) (*Discussion, error) {
	var d Discussion
	var last, created int64
	if err := row.Scan(&d.ID, &d.Slug, &d.URI, &d.GroupID, &d.AuthorID, &d.Title, &d.MessageCount, &last, &created); err != nil {
		return nil, notFound(err)
	}
	d.LastMessageAt, d.CreatedAt = time.Unix(last, 0).UTC(), time.Unix(created, 0).UTC()
	return &d, nil
}

// CreateDiscussionTx starts a discussion with its first message. The
// message's uri is the discussion's, as Mobilizon has it.
func (s *Store) CreateDiscussionTx(ctx context.Context, tx *sql.Tx, d *Discussion, first *Message) error {
	now := s.unix()
	at := writtenAt(first.CreatedAt, now)
	if d.Slug == "" {
		d.Slug = uuid.NewString()
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO discussions (slug, uri, group_id, author_id, title, last_message_at, created_at, updated_at)
		VALUES (?, nullif(?, ''), ?, ?, ?, ?, ?, ?)`, d.Slug, d.URI, d.GroupID, d.AuthorID, d.Title, at, at, now)
	if isUniqueViolation(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("create discussion: %w", err)
	}
	d.ID, _ = res.LastInsertId()
	d.CreatedAt, d.LastMessageAt = time.Unix(at, 0).UTC(), time.Unix(at, 0).UTC()
	first.DiscussionID = d.ID
	first.AuthorID = d.AuthorID
	return s.AddMessageTx(ctx, tx, first)
}

// AddMessageTx appends a message to a discussion, written now or, when
// m.CreatedAt is set (a message read back from another server), then.
func (s *Store) AddMessageTx(ctx context.Context, tx *sql.Tx, m *Message) error {
	now := s.unix()
	at := writtenAt(m.CreatedAt, now)
	res, err := tx.ExecContext(ctx, `INSERT INTO discussion_messages (discussion_id, uri, author_id, body_html, source, created_at)
		VALUES (?, nullif(?, ''), ?, ?, ?, ?)`, m.DiscussionID, m.URI, m.AuthorID, m.BodyHTML, m.Source, at)
	if isUniqueViolation(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("add message: %w", err)
	}
	m.ID, _ = res.LastInsertId()
	m.CreatedAt = time.Unix(at, 0).UTC()
	_, err = tx.ExecContext(ctx, `UPDATE discussions SET last_message_at = max(last_message_at, ?), updated_at = ? WHERE id = ?`,
		at, now, m.DiscussionID)
	return err
}

// writtenAt is when a message was written: t when set and not in the
// future, else now.
func writtenAt(t time.Time, now int64) int64 {
	if t.IsZero() || t.Unix() > now {
		return now
	}
	return t.Unix()
}

// RenameDiscussionTx changes a discussion's title.
func (s *Store) RenameDiscussionTx(ctx context.Context, tx *sql.Tx, id int64, title string) error {
	_, err := tx.ExecContext(ctx, `UPDATE discussions SET title = ?, updated_at = ? WHERE id = ?`, title, s.unix(), id)
	return err
}

// EditMessageTx replaces a message's text (source is its Markdown when
// typed here) and marks it edited.
func (s *Store) EditMessageTx(ctx context.Context, tx *sql.Tx, id int64, bodyHTML, source string) error {
	_, err := tx.ExecContext(ctx, `UPDATE discussion_messages SET body_html = ?, source = ?, edited_at = ? WHERE id = ?`,
		bodyHTML, source, s.unix(), id)
	return err
}

// DeleteDiscussion removes a discussion and its messages.
func (s *Store) DeleteDiscussion(ctx context.Context, id int64) error {
	return s.Tx(ctx, func(tx *sql.Tx) error { return s.DeleteDiscussionTx(ctx, tx, id) })
}

// DeleteDiscussionTx deletes a discussion and its messages in tx.
func (s *Store) DeleteDiscussionTx(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM discussions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete discussion: %w", err)
	}
	return nil
}

// DiscussionBySlug returns a group's discussion.
func (s *Store) DiscussionBySlug(ctx context.Context, groupID int64, slug string) (*Discussion, error) {
	return s.scanDiscussion(ctx, s.db.QueryRowContext(ctx, `SELECT `+discussionColumns+` FROM discussions d
		WHERE d.group_id = ? AND d.slug = ?`, groupID, slug))
}

// DiscussionByURI returns the discussion a remote id names.
func (s *Store) DiscussionByURI(ctx context.Context, uri string) (*Discussion, error) {
	return s.scanDiscussion(ctx, s.db.QueryRowContext(ctx, `SELECT `+discussionColumns+` FROM discussions d WHERE d.uri = ?`, uri))
}

// ListDiscussions lists a group's discussions, the most recently active first.
func (s *Store) ListDiscussions(ctx context.Context, groupID int64, limit, offset int) ([]*Discussion, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+discussionColumns+` FROM discussions d WHERE d.group_id = ?
		ORDER BY d.last_message_at DESC, d.id DESC LIMIT ? OFFSET ?`, groupID, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list discussions: %w", err)
	}
	var out []*Discussion
	for rows.Next() {
		d, err := s.scanDiscussion(ctx, rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, d := range out {
		if d.Author, err = s.ActorByID(ctx, d.AuthorID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CountDiscussions counts a group's discussions.
func (s *Store) CountDiscussions(ctx context.Context, groupID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM discussions WHERE group_id = ?`, groupID).Scan(&n)
	return n, err
}

// Messages returns up to limit messages of a discussion after the message
// afterID (0: from the start), in order, with their authors. Pages are
// keyed on the id so a long thread is read in bounded slices.
func (s *Store) Messages(ctx context.Context, discussionID, afterID int64, limit int) ([]*Message, error) {
	return s.messages(ctx, discussionID, `WHERE m.discussion_id = ? AND m.id > ? ORDER BY m.id LIMIT ?`, discussionID, afterID, limit)
}

// MessagesAt returns up to limit messages of a discussion from the
// offset-th (0: the first), in order: the pages of a collection.
func (s *Store) MessagesAt(ctx context.Context, discussionID int64, offset, limit int) ([]*Message, error) {
	return s.messages(ctx, discussionID, `WHERE m.discussion_id = ? ORDER BY m.id LIMIT ? OFFSET ?`, discussionID, limit, offset)
}

// messages reads a page of discussionID's messages (where selects them).
func (s *Store) messages(ctx context.Context, discussionID int64, where string, args ...any) ([]*Message, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+pageMessageColumns+` FROM discussion_messages m `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	defer rows.Close()
	var out []*Message
	var x messageScan
	x.m.DiscussionID = discussionID
	dest := x.pageDest()
	var authorIDs []int64
	seen := map[int64]bool{}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		m := x.message()
		if !seen[m.AuthorID] {
			seen[m.AuthorID] = true
			authorIDs = append(authorIDs, m.AuthorID)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	// The authors once each: a page is mostly a few people talking, and
	// reading each one's columns again on every row was half the page's
	// reading time.
	rows, err = s.db.QueryContext(ctx, `SELECT `+actorColumns+` FROM actors a WHERE a.id IN (SELECT value FROM json_each(?))`, jsonIDs(authorIDs))
	if err != nil {
		return nil, fmt.Errorf("message authors: %w", err)
	}
	actors, err := scanActors(rows)
	if err != nil {
		return nil, fmt.Errorf("message authors: %w", err)
	}
	authors := make(map[int64]*Actor, len(actors))
	for i := range actors {
		authors[actors[i].ID] = &actors[i]
	}
	// A message whose author is gone is left out, as the join it replaces did.
	kept := out[:0]
	for _, m := range out {
		if m.Author = authors[m.AuthorID]; m.Author != nil {
			kept = append(kept, m)
		}
	}
	return kept, nil
}

// messageColumns are read for one message. A page of messages reads
// pageMessageColumns: without the Markdown, which only the form changing
// one message needs, so a page costs what it shows.
const (
	messageColumns     = `m.id, m.discussion_id, coalesce(m.uri, ''), m.author_id, m.body_html, m.source, m.source != '', m.created_at, coalesce(m.edited_at, 0)`
	pageMessageColumns = `m.id, coalesce(m.uri, ''), m.author_id, m.body_html, m.source != '', m.created_at, coalesce(m.edited_at, 0)`
)

// messageScan is where a row of messageColumns (or pageMessageColumns)
// is scanned: the same places row after row, so that a page of messages
// does not allocate them for each.
type messageScan struct {
	m               Message
	created, edited int64
}

func (x *messageScan) dest() []any {
	return []any{&x.m.ID, &x.m.DiscussionID, &x.m.URI, &x.m.AuthorID, &x.m.BodyHTML, &x.m.Source, &x.m.HasSource, &x.created, &x.edited}
}

// pageDest is dest for pageMessageColumns: no discussion (the caller
// knows it), no source. Each column read costs SQLite's connection mutex
// several times over, 50 rows to a page.
func (x *messageScan) pageDest() []any {
	return []any{&x.m.ID, &x.m.URI, &x.m.AuthorID, &x.m.BodyHTML, &x.m.HasSource, &x.created, &x.edited}
}

// message is a copy of the message scanned last, its times set.
func (x *messageScan) message() *Message {
	m := x.m
	m.CreatedAt = time.Unix(x.created, 0).UTC()
	if x.edited != 0 {
		m.EditedAt = time.Unix(x.edited, 0).UTC()
	}
	return &m
}

// MessageByURI returns a message by its remote id.
func (s *Store) MessageByURI(ctx context.Context, uri string) (*Message, error) {
	return s.message(ctx, `m.uri = ?`, uri)
}

// MessageByID returns one message.
func (s *Store) MessageByID(ctx context.Context, id int64) (*Message, error) {
	return s.message(ctx, `m.id = ?`, id)
}

func (s *Store) message(ctx context.Context, where string, arg any) (*Message, error) {
	var x messageScan
	if err := s.db.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM discussion_messages m WHERE `+where, arg).Scan(x.dest()...); err != nil {
		return nil, notFound(err)
	}
	return x.message(), nil
}

// LastMessageID is the id of a discussion's latest message.
func (s *Store) LastMessageID(ctx context.Context, discussionID int64) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM discussion_messages WHERE discussion_id = ?`, discussionID).Scan(&id)
	return id, err
}

// DiscussionByID returns one discussion.
func (s *Store) DiscussionByID(ctx context.Context, id int64) (*Discussion, error) {
	return s.scanDiscussion(ctx, s.db.QueryRowContext(ctx, `SELECT `+discussionColumns+` FROM discussions d WHERE d.id = ?`, id))
}

// LastMessages returns a discussion's last limit messages, in order.
func (s *Store) LastMessages(ctx context.Context, discussionID int64, limit int) ([]*Message, error) {
	var from int64
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(min(id), 1) - 1 FROM (SELECT id FROM discussion_messages
		WHERE discussion_id = ? ORDER BY id DESC LIMIT ?)`, discussionID, limit).Scan(&from)
	if err != nil {
		return nil, err
	}
	return s.Messages(ctx, discussionID, from, limit)
}

// LocalMembersToTell lists the local members of a group who hear of
// discussions (each message, or in a digest), but the author.
func (s *Store) LocalMembersToTell(ctx context.Context, q queryer, groupID, authorID int64) ([]Membership, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+membershipColumns+` FROM group_members m JOIN actors a ON a.id = m.actor_id
		WHERE m.group_id = ? AND m.actor_id != ? AND a.domain = '' AND m.notify != 'off'
		AND m.role IN ('member', 'moderator', 'administrator')`, groupID, authorID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Membership
	for rows.Next() {
		m, err := scanMembership(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	return out, rows.Err()
}
