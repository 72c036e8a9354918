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
	GroupID     int64     // only the events organised for this group
	Tag         string
	Category    string
	// LocalOnly leaves out events from other servers.
	LocalOnly bool
	// Listed restricts to public, published, non-draft events: what anyone
	// may see in a list. Turn it off only for the organizer's own views.
	Listed bool
	Limit  int
	Offset int
}

// notEndedSQL keeps events that have not ended by its two parameters (both
// now). Ordering by start, a plain "ends_at >= now" would walk every past
// event in the starts_at index before reaching the first upcoming one; no
// event still running can have started before now minus the longest
// duration of any event, which the events_duration index gives at once.
const notEndedSQL = `e.ends_at >= ? AND e.starts_at >= ? - (SELECT coalesce(max(ends_at - starts_at), 0) FROM events)`

// ListEvents returns events matching q, with organizers, tags and links.
// localOnlySQL keeps the events organised on this instance.
const localOnlySQL = `NOT EXISTS (SELECT 1 FROM remote_events r WHERE r.event_id = e.id)`

func (s *Store) ListEvents(ctx context.Context, q EventQuery) ([]*Event, error) {
	var where []string
	var args []any
	now := q.Now.Unix()
	if q.Past {
		// An event that ended started before now too: saying so lets the
		// index on starts_at skip every upcoming event.
		where = append(where, "e.ends_at < ? AND e.starts_at < ?")
		args = append(args, now, now)
	} else {
		where = append(where, notEndedSQL)
		args = append(args, now, now)
	}
	if q.Listed {
		where = append(where, "e.visibility = 'public' AND e.draft = 0 AND e.published_at <= ?")
		args = append(args, now)
	}
	if q.OrganizerID != 0 {
		where = append(where, "e.organizer_id = ?")
		args = append(args, q.OrganizerID)
	}
	if q.GroupID != 0 {
		where = append(where, "e.attributed_to_id = ?")
		args = append(args, q.GroupID)
	}
	from := "events e"
	if q.Tag != "" {
		// Start from the tag's events (CROSS JOIN fixes the order): a tag
		// is usually rare, the listed events are many.
		from = "event_tags t CROSS JOIN events e ON e.id = t.event_id"
		where = append(where, "t.tag = ?")
		args = append(args, q.Tag)
	}
	if q.Category != "" {
		where = append(where, "e.category = ?")
		args = append(args, q.Category)
	}
	if q.LocalOnly {
		where = append(where, localOnlySQL)
	}
	order := "e.starts_at ASC, e.id ASC"
	if q.Past {
		order = "e.starts_at DESC, e.id DESC"
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	query := `SELECT ` + eventColumns + ` FROM ` + from + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	args = append(args, limit, q.Offset)
	return s.queryEvents(ctx, "list events", query, args...)
}

// queryEvents runs a query selecting eventColumns and returns its events
// with their organizers, tags and links; what names the query in errors.
func (s *Store) queryEvents(ctx context.Context, what, query string, args ...any) ([]*Event, error) {
	out, err := s.scanEvents(ctx, what, query, args...)
	if err != nil {
		return nil, err
	}
	if err := s.fillEvents(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// scanEvents runs a query selecting eventColumns and returns its events
// as the rows hold them: no organizers, tags or links.
func (s *Store) scanEvents(ctx context.Context, what, query string, args ...any) ([]*Event, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
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
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
