package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ExportedComment is a comment one of an account's identities wrote.
type ExportedComment struct {
	Identity   string
	UUID       string
	EventUUID  string
	EventTitle string
	HTML       string
	State      string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ExportedMembership is a group one of an account's identities is in (or
// invited to, or asking to join).
type ExportedMembership struct {
	Identity    string
	GroupName   string
	GroupDomain string
	DisplayName string
	Role        string
	CreatedAt   time.Time
}

// ExportedMessage is a discussion message one of an account's identities
// wrote.
type ExportedMessage struct {
	Identity        string
	GroupName       string
	GroupDomain     string
	DiscussionTitle string
	DiscussionSlug  string
	Source          string
	HTML            string
	CreatedAt       time.Time
	EditedAt        *time.Time
}

// exportRows runs an export query over an account's identities.
func (s *Store) exportRows(ctx context.Context, what, query string, accountID int64, scan func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, query, accountID)
	if err != nil {
		return fmt.Errorf("export %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("export %s: %w", what, err)
		}
	}
	return rows.Err()
}

// CommentsOfAccount lists the comments of an account's identities, oldest first.
func (s *Store) CommentsOfAccount(ctx context.Context, accountID int64) ([]ExportedComment, error) {
	var out []ExportedComment
	err := s.exportRows(ctx, "comments", `SELECT i.username, c.uuid, e.uuid, e.title, c.content_html, c.state, c.created_at, c.updated_at
		FROM comments c JOIN actors i ON i.id = c.author_id JOIN events e ON e.id = c.event_id
		WHERE i.account_id = ? ORDER BY c.created_at, c.id`, accountID, func(rows *sql.Rows) error {
		var c ExportedComment
		var created, updated int64
		if err := rows.Scan(&c.Identity, &c.UUID, &c.EventUUID, &c.EventTitle, &c.HTML, &c.State, &created, &updated); err != nil {
			return err
		}
		c.CreatedAt, c.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
		out = append(out, c)
		return nil
	})
	return out, err
}

// MembershipsOfAccount lists the group memberships of an account's identities.
func (s *Store) MembershipsOfAccount(ctx context.Context, accountID int64) ([]ExportedMembership, error) {
	var out []ExportedMembership
	err := s.exportRows(ctx, "memberships", `SELECT i.username, g.username, g.domain, g.display_name, m.role, m.created_at
		FROM group_members m JOIN actors i ON i.id = m.actor_id JOIN actors g ON g.id = m.group_id
		WHERE i.account_id = ? ORDER BY m.created_at, m.id`, accountID, func(rows *sql.Rows) error {
		var m ExportedMembership
		var created int64
		if err := rows.Scan(&m.Identity, &m.GroupName, &m.GroupDomain, &m.DisplayName, &m.Role, &created); err != nil {
			return err
		}
		m.CreatedAt = time.Unix(created, 0).UTC()
		out = append(out, m)
		return nil
	})
	return out, err
}

// MessagesOfAccount lists the discussion messages of an account's identities.
func (s *Store) MessagesOfAccount(ctx context.Context, accountID int64) ([]ExportedMessage, error) {
	var out []ExportedMessage
	err := s.exportRows(ctx, "messages", `SELECT i.username, g.username, g.domain, d.title, d.slug, m.source, m.body_html,
			m.created_at, m.edited_at
		FROM discussion_messages m JOIN actors i ON i.id = m.author_id JOIN discussions d ON d.id = m.discussion_id
		JOIN actors g ON g.id = d.group_id
		WHERE i.account_id = ? ORDER BY m.created_at, m.id`, accountID, func(rows *sql.Rows) error {
		var m ExportedMessage
		var created int64
		var edited sql.NullInt64
		if err := rows.Scan(&m.Identity, &m.GroupName, &m.GroupDomain, &m.DiscussionTitle, &m.DiscussionSlug, &m.Source, &m.HTML,
			&created, &edited); err != nil {
			return err
		}
		m.CreatedAt = time.Unix(created, 0).UTC()
		if edited.Valid {
			t := time.Unix(edited.Int64, 0).UTC()
			m.EditedAt = &t
		}
		out = append(out, m)
		return nil
	})
	return out, err
}
