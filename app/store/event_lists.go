package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// EventQuery selects events for lists. The zero value lists nothing useful:
// set at least Now.
type EventQuery struct {
	Now         time.Time // what "upcoming" and "published" are relative to
	Past        bool      // events that ended before Now, newest first; else upcoming (not yet ended), soonest first
	OrganizerID int64     // only this organizer's events
	Tag         string
	Category    string
	// Listed restricts to public, published, non-draft events: what anyone
	// may see in a list. Turn it off only for the organizer's own views.
	Listed bool
	Limit  int
	Offset int
}

// ListEvents returns events matching q, with organizers, tags and links.
func (s *Store) ListEvents(ctx context.Context, q EventQuery) ([]*Event, error) {
	var where []string
	var args []any
	now := q.Now.Unix()
	if q.Past {
		where = append(where, "e.ends_at < ?")
	} else {
		where = append(where, "e.ends_at >= ?")
	}
	args = append(args, now)
	if q.Listed {
		where = append(where, "e.visibility = 'public' AND e.draft = 0 AND e.published_at <= ?")
		args = append(args, now)
	}
	if q.OrganizerID != 0 {
		where = append(where, "e.organizer_id = ?")
		args = append(args, q.OrganizerID)
	}
	if q.Tag != "" {
		where = append(where, "e.id IN (SELECT event_id FROM event_tags WHERE tag = ?)")
		args = append(args, q.Tag)
	}
	if q.Category != "" {
		where = append(where, "e.category = ?")
		args = append(args, q.Category)
	}
	order := "e.starts_at ASC, e.id ASC"
	if q.Past {
		order = "e.starts_at DESC, e.id DESC"
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	query := `SELECT ` + eventColumns + ` FROM events e WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	args = append(args, limit, q.Offset)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []*Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if err := s.fillEvents(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}
