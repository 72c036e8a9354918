package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// FeedQuery selects the listed events of one feed or calendar: the
// instance's (all zero), one organizer's, one tag's or one category's.
type FeedQuery struct {
	Now         time.Time
	OrganizerID int64
	GroupID     int64 // the events organised for a group
	Tag         string
	Category    string
	PlaceID     int64 // only the events held at this place
}

func (q FeedQuery) where() (string, []any) {
	where := []string{"e.visibility = 'public' AND e.draft = 0 AND e.published_at <= ?"}
	args := []any{q.Now.Unix()}
	if q.OrganizerID != 0 {
		where = append(where, "e.organizer_id = ?")
		args = append(args, q.OrganizerID)
	}
	if q.GroupID != 0 {
		where = append(where, "e.attributed_to_id = ?")
		args = append(args, q.GroupID)
	}
	if q.Tag != "" {
		where = append(where, "e.id IN (SELECT event_id FROM event_tags WHERE tag = ?)")
		args = append(args, q.Tag)
	}
	if q.Category != "" {
		where = append(where, "e.category = ?")
		args = append(args, q.Category)
	}
	if q.PlaceID != 0 {
		where = append(where, "e.place_id = ?")
		args = append(args, q.PlaceID)
	}
	return strings.Join(where, " AND "), args
}

// FeedState summarises what a feed would contain, cheaply, so that a
// conditional GET can be answered without reading the events: how many
// there are and when the latest of them changed or was published.
type FeedState struct {
	Count        int
	LastModified time.Time
}

// FeedState returns the state of the feed q selects.
func (s *Store) FeedState(ctx context.Context, q FeedQuery) (FeedState, error) {
	where, args := q.where()
	var st FeedState
	var last int64
	err := s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(max(max(e.updated_at, e.published_at)), 0)
		FROM events e WHERE `+where, args...).Scan(&st.Count, &last)
	if err != nil {
		return st, fmt.Errorf("feed state: %w", err)
	}
	if last > 0 {
		st.LastModified = time.Unix(last, 0).UTC()
	}
	return st, nil
}

// RecentlyPublished returns the latest published events of a feed, newest
// first, with organizers, tags and links.
func (s *Store) RecentlyPublished(ctx context.Context, q FeedQuery, limit int) ([]*Event, error) {
	where, args := q.where()
	return s.queryEvents(ctx, "feed events", `SELECT `+eventColumns+` FROM events e WHERE `+where+`
		ORDER BY e.published_at DESC, e.id DESC LIMIT ?`, append(args, limit)...)
}

// calendarBatch is how many events a calendar reads at a time: memory stays
// bounded however big the calendar, and no read transaction is held open
// while a slow client downloads it.
const calendarBatch = 500

// EachCalendarEvent calls fn for every event q selects, soonest first,
// reading them in batches. Each event carries its tags and a partial
// organizer (names only); links are not loaded.
func (s *Store) EachCalendarEvent(ctx context.Context, q FeedQuery, fn func(*Event) error) error {
	where, args := q.where()
	return s.eachEventBatched(ctx, `FROM events e JOIN actors a ON a.id = e.organizer_id WHERE `+where, args, fn)
}

// eachEventBatched pages through events by (starts_at, id) so each batch is
// a short query of its own.
func (s *Store) eachEventBatched(ctx context.Context, from string, args []any, fn func(*Event) error) error {
	afterStart, afterID := int64(-1<<62), int64(0)
	batch := make([]*Event, 0, calendarBatch)
	for {
		batch = batch[:0]
		query := `SELECT ` + eventColumns + `, a.username, a.domain, a.display_name,
			coalesce((SELECT group_concat(tag, ' ') FROM event_tags WHERE event_id = e.id), '') ` + from + `
			AND (e.starts_at, e.id) > (?, ?) ORDER BY e.starts_at, e.id LIMIT ?`
		rows, err := s.db.QueryContext(ctx, query, append(append([]any{}, args...), afterStart, afterID, calendarBatch)...)
		if err != nil {
			return fmt.Errorf("calendar events: %w", err)
		}
		for rows.Next() {
			org := &Actor{Kind: KindPerson}
			var tags string
			e, err := scanEvent(rows, &org.Username, &org.Domain, &org.DisplayName, &tags)
			if err != nil {
				rows.Close()
				return err
			}
			org.ID = e.OrganizerID
			e.Organizer = org
			if tags != "" {
				e.Tags = strings.Fields(tags)
			}
			batch = append(batch, e)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("calendar events: %w", err)
		}
		for _, e := range batch {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(batch) < calendarBatch {
			return nil
		}
		last := batch[len(batch)-1]
		afterStart, afterID = last.StartsAt.Unix(), last.ID
	}
}

// ZoneSpan is a time zone used by the events of a calendar and the period
// they cover, for writing its VTIMEZONE.
type ZoneSpan struct {
	Timezone string
	From, To time.Time
}

// CalendarZones lists the zones of the events q selects.
func (s *Store) CalendarZones(ctx context.Context, q FeedQuery) ([]ZoneSpan, error) {
	where, args := q.where()
	return s.zoneSpans(ctx, `FROM events e WHERE `+where, args)
}

func (s *Store) zoneSpans(ctx context.Context, from string, args []any) ([]ZoneSpan, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT e.timezone, min(e.starts_at), max(e.ends_at) `+from+
		` GROUP BY e.timezone ORDER BY e.timezone`, args...)
	if err != nil {
		return nil, fmt.Errorf("calendar zones: %w", err)
	}
	defer rows.Close()
	var out []ZoneSpan
	for rows.Next() {
		var z ZoneSpan
		var from, to int64
		if err := rows.Scan(&z.Timezone, &from, &to); err != nil {
			return nil, err
		}
		z.From, z.To = time.Unix(from, 0).UTC(), time.Unix(to, 0).UTC()
		out = append(out, z)
	}
	return out, rows.Err()
}

// IdentityByCalendarSecret returns the identity whose private calendar secret this
// is. ErrNotFound for a wrong or replaced secret.
func (s *Store) IdentityByCalendarSecret(ctx context.Context, secret string) (*Actor, error) {
	return scanActor(s.db.QueryRowContext(ctx, `SELECT `+actorColumns+` FROM actors a
		JOIN calendar_tokens t ON t.identity_id = a.id WHERE t.token_hash = ?`, HashSecret(secret)))
}

// HasCalendarSecret tells whether an identity has a private calendar link.
func (s *Store) HasCalendarSecret(ctx context.Context, identityID int64) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM calendar_tokens WHERE identity_id = ?`, identityID).Scan(&n)
	return n > 0, err
}

// NewCalendarSecret makes a fresh secret for an identity's private
// calendar, replacing the previous one (whose link stops working).
func (s *Store) NewCalendarSecret(ctx context.Context, identityID int64) (string, error) {
	secret := NewSecret()
	_, err := s.db.ExecContext(ctx, `INSERT INTO calendar_tokens (identity_id, token_hash, created_at) VALUES (?, ?, ?)
		ON CONFLICT (identity_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`,
		identityID, HashSecret(secret), s.unix())
	if err != nil {
		return "", fmt.Errorf("calendar secret: %w", err)
	}
	return secret, nil
}

// privateCalendarWhere selects the events of an identity's private
// calendar: those it organizes and those it is confirmed as going to,
// whatever their visibility (drafts aside). The identity's id is bound twice.
const privateCalendarWhere = `e.draft = 0 AND (e.organizer_id = ? OR e.id IN
	(SELECT event_id FROM participations WHERE actor_id = ? AND state = 'confirmed'))`

// EachPrivateCalendarEvent calls fn for every event of an identity's
// private calendar, soonest first, in batches.
func (s *Store) EachPrivateCalendarEvent(ctx context.Context, identityID int64, fn func(*Event) error) error {
	return s.eachEventBatched(ctx, `FROM events e JOIN actors a ON a.id = e.organizer_id WHERE `+privateCalendarWhere,
		[]any{identityID, identityID}, fn)
}

// PrivateCalendarState is FeedState for an identity's private calendar: it
// changes with the events and with the identity's participations (a
// cancelled participation removes an event without touching it).
func (s *Store) PrivateCalendarState(ctx context.Context, identityID int64) (FeedState, error) {
	var st FeedState
	var last, lastParticipation int64
	var participations int
	err := s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(max(e.updated_at), 0) FROM events e WHERE `+
		privateCalendarWhere, identityID, identityID).Scan(&st.Count, &last)
	if err != nil {
		return st, fmt.Errorf("private calendar state: %w", err)
	}
	err = s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(max(updated_at), 0) FROM participations WHERE actor_id = ?`,
		identityID).Scan(&participations, &lastParticipation)
	if err != nil {
		return st, fmt.Errorf("private calendar state: %w", err)
	}
	st.Count = st.Count*1_000_003 + participations
	if lastParticipation > last {
		last = lastParticipation
	}
	if last > 0 {
		st.LastModified = time.Unix(last, 0).UTC()
	}
	return st, nil
}

// PrivateCalendarZones is CalendarZones for an identity's private calendar.
func (s *Store) PrivateCalendarZones(ctx context.Context, identityID int64) ([]ZoneSpan, error) {
	return s.zoneSpans(ctx, `FROM events e WHERE `+privateCalendarWhere, []any{identityID, identityID})
}
