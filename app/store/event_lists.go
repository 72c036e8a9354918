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
	PlaceID     int64 // only the events held at this place
	// LocalOnly leaves out events from other servers.
	LocalOnly bool
	// Listed restricts to public, published, non-draft events: what anyone
	// may see in a list. Turn it off only for the organizer's own views.
	Listed bool
	// OnePerSeries shows a recurring series once, as its next
	// occurrence, in lists of upcoming events people read (not in
	// collections peers read, which want every occurrence).
	OnePerSeries bool
	Limit        int
	Offset       int
}

// notEndedSQL keeps events that have not ended by its two parameters (both
// now). Ordering by start, a plain "ends_at >= now" would walk every past
// event in the starts_at index before reaching the first upcoming one; no
// event still running can have started before now minus the longest
// duration of any event, which the events_duration index gives at once.
const notEndedSQL = `e.ends_at >= ? AND e.starts_at >= ? - (SELECT coalesce(max(ends_at - starts_at), 0) FROM events)`

// localOnlySQL keeps the events organised on this instance.
const localOnlySQL = `NOT EXISTS (SELECT 1 FROM remote_events r WHERE r.event_id = e.id)`

// ListEvents returns events matching q, with organizers, tags and links.
func (s *Store) ListEvents(ctx context.Context, q EventQuery) ([]*Event, error) {
	query, args := q.listSQL()
	return s.queryEvents(ctx, "list events", query, args...)
}

// listSQL is the query ListEvents runs for q, with its arguments.
func (q EventQuery) listSQL() (string, []any) {
	from, where, args := q.filter()
	order := "e.starts_at ASC, e.id ASC"
	if q.Past {
		order = "e.starts_at DESC, e.id DESC"
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	query := `SELECT ` + eventColumns + ` FROM ` + from + ` WHERE ` + where +
		` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	return query, append(args, limit, q.Offset)
}

// CountCap bounds how far a list's events are counted: a count walks
// every match (about 4 µs each on a small machine), and past a hundred
// "more than 100" says as much; the pages go on with "Next".
const CountCap = 100

// CountEvents is how many events ListEvents would give for q without a
// limit, at most CountCap.
func (s *Store) CountEvents(ctx context.Context, q EventQuery) (int, error) {
	from, where, args := q.filter()
	// Ordered as the list is, so that the walk follows the list's index
	// from its first event and stops at the cap, rather than going
	// through the table from its oldest row.
	order := "e.starts_at"
	if q.Past {
		order = "e.starts_at DESC"
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+from+` WHERE `+where+` ORDER BY `+order+` LIMIT ?)`,
		append(args, CountCap)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count events: %w", err)
	}
	return n, nil
}

// filter is the FROM and WHERE of q's events, with their arguments.
func (q EventQuery) filter() (from, where string, args []any) {
	var conds []string
	now := q.Now.Unix()
	if q.Past {
		// An event that ended started before now too: saying so lets the
		// index on starts_at skip every upcoming event.
		conds = append(conds, "e.ends_at < ? AND e.starts_at < ?")
		args = append(args, now, now)
	} else {
		conds = append(conds, notEndedSQL)
		args = append(args, now, now)
		if q.OnePerSeries {
			c, a := nextOfSeriesSQL(now, q.Listed)
			conds = append(conds, c)
			args = append(args, a...)
		}
	}
	if q.Listed {
		conds = append(conds, listedSQL)
		args = append(args, now)
	}
	if q.OrganizerID != 0 {
		conds = append(conds, "e.organizer_id = ?")
		args = append(args, q.OrganizerID)
	}
	if q.GroupID != 0 {
		conds = append(conds, "e.attributed_to_id = ?")
		args = append(args, q.GroupID)
	}
	from = "events e"
	if q.Tag != "" {
		// Start from the tag's events (CROSS JOIN fixes the order): a tag
		// is usually rare, the listed events are many.
		from = "event_tags t CROSS JOIN events e ON e.id = t.event_id"
		conds = append(conds, "t.tag = ?")
		args = append(args, q.Tag)
	}
	if q.Category != "" {
		conds = append(conds, "e.category = ?")
		args = append(args, q.Category)
	}
	if q.PlaceID != 0 {
		conds = append(conds, "e.place_id = ?")
		args = append(args, q.PlaceID)
	}
	if q.LocalOnly {
		conds = append(conds, localOnlySQL)
	}
	return from, strings.Join(conds, " AND "), args
}

// listedSQL keeps what anyone may see in a list: public, published by its
// parameter (now), not a draft.
const listedSQL = `e.visibility = 'public' AND e.draft = 0 AND e.published_at <= ?`

// nextOfSeriesSQL keeps an event that stands alone, or the next
// occurrence of its series that has not ended (a listed one, when
// listed): a weekly workshop fills one card of a list, not the list.
//
// The subquery runs for every occurrence the list walks, so it must be a
// seek, not a scan. Left to itself SQLite picks events_published (two
// equalities) and sorts every public event of the instance per row; the
// series index gives the series' occurrences in start order, and the same
// lower bound as notEndedSQL (its scalar subquery is computed once per
// statement) skips the series' past occurrences: the first row that
// passes is the answer. 165 ms → 0.8 ms for a count of 100 at 10,000
// events, a quarter of them in 40 series.
func nextOfSeriesSQL(now int64, listed bool) (string, []any) {
	cond := `o.series_id = e.series_id AND o.starts_at >= ? - (SELECT coalesce(max(ends_at - starts_at), 0) FROM events) AND o.ends_at >= ?`
	args := []any{now, now}
	if listed {
		cond += ` AND o.visibility = 'public' AND o.draft = 0 AND o.published_at <= ?`
		args = append(args, now)
	}
	return `(e.series_id IS NULL OR e.id = (SELECT o.id FROM events o INDEXED BY events_series WHERE ` + cond + ` ORDER BY o.starts_at, o.id LIMIT 1))`, args
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
