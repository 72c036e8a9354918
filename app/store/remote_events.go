package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RemoteEvent is what we know of an event published elsewhere beside its
// events row.
type RemoteEvent struct {
	EventID       int64
	UUID          string
	URI           string
	URL           string // the page to "view on <domain>"; URI when the origin gave none
	OriginDomain  string
	OrganizerID   int64
	PublicInTo    bool
	RemoteJoin    string // the origin's joinMode: free, restricted, external, ...
	RemoteUpdated time.Time
	FetchedAt     time.Time
	Hidden        bool
	Sources       []Actor // the followed sources that brought it
}

// RemoteEventByURI returns a cached remote event by its ActivityStreams id.
func (s *Store) RemoteEventByURI(ctx context.Context, uri string) (*RemoteEvent, error) {
	return s.remoteEventWhere(ctx, `e.uri = ?`, uri)
}

// RemoteEventByID returns the remote part of an event, ErrNotFound for a
// local event.
func (s *Store) RemoteEventByID(ctx context.Context, eventID int64) (*RemoteEvent, error) {
	return s.remoteEventWhere(ctx, `e.id = ?`, eventID)
}

func (s *Store) remoteEventWhere(ctx context.Context, where string, arg any) (*RemoteEvent, error) {
	var r RemoteEvent
	var updated, fetched int64
	err := s.db.QueryRowContext(ctx, `SELECT e.id, e.uuid, e.uri, r.url, r.origin_domain, e.organizer_id, r.public_in_to,
		r.remote_join, r.remote_updated, r.fetched_at, r.hidden
		FROM remote_events r JOIN events e ON e.id = r.event_id WHERE `+where, arg).Scan(
		&r.EventID, &r.UUID, &r.URI, &r.URL, &r.OriginDomain, &r.OrganizerID, &r.PublicInTo, &r.RemoteJoin,
		&updated, &fetched, &r.Hidden)
	if err != nil {
		return nil, notFound(err)
	}
	r.RemoteUpdated, r.FetchedAt = time.Unix(updated, 0).UTC(), time.Unix(fetched, 0).UTC()
	if r.URL == "" {
		r.URL = r.URI
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+actorColumns+` FROM event_sources es JOIN actors a ON a.id = es.source_id
		WHERE es.event_id = ? ORDER BY a.id`, r.EventID)
	if err != nil {
		return nil, fmt.Errorf("event sources: %w", err)
	}
	if r.Sources, err = scanActors(rows); err != nil {
		return nil, err
	}
	return &r, nil
}

// RemoteEventMeta is the remote part written with an event.
type RemoteEventMeta struct {
	URL           string
	OriginDomain  string
	PublicInTo    bool
	RemoteJoin    string
	RemoteUpdated time.Time
	Raw           []byte
}

// SaveRemoteEventTx creates or rewrites a remote event (e.URI set, e.ID
// zero for a new one) with its remote part. The event's visibility is set
// afterwards by RelistRemoteEventsTx.
func (s *Store) SaveRemoteEventTx(ctx context.Context, tx *sql.Tx, e *Event, m RemoteEventMeta) error {
	if e.ID == 0 {
		if err := s.CreateEventTx(ctx, tx, e); err != nil {
			return err
		}
	} else if err := s.UpdateEventTx(ctx, tx, e); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO remote_events (event_id, url, origin_domain, public_in_to, remote_join,
		remote_updated, fetched_at, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (event_id) DO UPDATE SET url = excluded.url, public_in_to = excluded.public_in_to,
		  remote_join = excluded.remote_join, remote_updated = excluded.remote_updated,
		  fetched_at = excluded.fetched_at, raw = excluded.raw`,
		e.ID, m.URL, m.OriginDomain, boolInt(m.PublicInTo), m.RemoteJoin, m.RemoteUpdated.Unix(), s.unix(), string(m.Raw))
	if err != nil {
		return fmt.Errorf("save remote event: %w", err)
	}
	return nil
}

// TouchRemoteEvent records that a remote event was checked just now.
func (s *Store) TouchRemoteEvent(ctx context.Context, eventID int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE remote_events SET fetched_at = ? WHERE event_id = ?`, s.unix(), eventID)
	return err
}

// LinkEventSourceTx records that source brought the event.
func (s *Store) LinkEventSourceTx(ctx context.Context, tx *sql.Tx, eventID, sourceID int64, via string) error {
	_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO event_sources (event_id, source_id, via) VALUES (?, ?, ?)`, eventID, sourceID, via)
	return err
}

// UnlinkSourceTx forgets that source brought any event (an unfollow) or
// one event (an Undo of an Announce, eventID set).
func (s *Store) UnlinkSourceTx(ctx context.Context, tx *sql.Tx, sourceID, eventID int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM event_sources WHERE source_id = ? AND (? = 0 OR event_id = ?)`, sourceID, eventID, eventID)
	return err
}

// RelistRemoteEventsTx sets which remote events anyone may see in lists,
// search and feeds (visibility public) and which only on their source's
// page (unlisted): public ones were sent to Public in "to", are not
// hidden, were brought by an accepted source shown on the calendar, and
// their domain is not silenced. eventID 0 means every remote event.
func (s *Store) RelistRemoteEventsTx(ctx context.Context, tx *sql.Tx, eventID int64, silenced []string) error {
	if silenced == nil {
		silenced = []string{}
	}
	list := make([]string, len(silenced))
	for i, d := range silenced {
		list[i] = `"` + strings.ReplaceAll(d, `"`, ``) + `"`
	}
	_, err := tx.ExecContext(ctx, `UPDATE events SET visibility = CASE WHEN r.public_in_to = 1 AND r.hidden = 0
		  AND NOT EXISTS (SELECT 1 FROM json_each(?) j WHERE r.origin_domain = j.value
		    OR r.origin_domain LIKE j.value || ':%' OR r.origin_domain LIKE '%.' || j.value OR r.origin_domain LIKE '%.' || j.value || ':%')
		  AND EXISTS (SELECT 1 FROM event_sources es JOIN follow_sources fs ON fs.actor_id = es.source_id
		    WHERE es.event_id = r.event_id AND fs.state = 'accepted' AND fs.display = 1)
		THEN 'public' ELSE 'unlisted' END
		FROM remote_events r WHERE r.event_id = events.id AND (? = 0 OR r.event_id = ?)`,
		"["+strings.Join(list, ",")+"]", eventID, eventID)
	if err != nil {
		return fmt.Errorf("relist remote events: %w", err)
	}
	return nil
}

// DeleteRemoteEventTx removes a remote event and writes its tombstone so
// that it is never taken in again.
func (s *Store) DeleteRemoteEventTx(ctx context.Context, tx *sql.Tx, eventID int64, uri, domain string) error {
	// The tombstone remembers when the deleted event was published, so
	// that an id its origin gives to a new event can be told from the old
	// one coming back (see app/remote_events.go, tombstoneAllows).
	if _, err := tx.ExecContext(ctx, `INSERT INTO tombstones (uri, domain, deleted_at, object_published)
		VALUES (?, ?, ?, coalesce((SELECT published_at FROM events WHERE id = ?), 0))
		ON CONFLICT (uri) DO UPDATE SET deleted_at = excluded.deleted_at, object_published = excluded.object_published`,
		uri, domain, s.unix(), eventID); err != nil {
		return fmt.Errorf("tombstone: %w", err)
	}
	return s.DeleteEventTx(ctx, tx, eventID)
}

// AddTombstone records that an object is gone for good.
func (s *Store) AddTombstone(ctx context.Context, uri, domain string) error {
	_, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO tombstones (uri, domain, deleted_at) VALUES (?, ?, ?)`, uri, domain, s.unix())
	return err
}

// IsTombstoned tells whether an object was deleted.
func (s *Store) IsTombstoned(ctx context.Context, uri string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM tombstones WHERE uri = ?`, uri).Scan(&n)
	return n > 0, err
}

// Tombstone is what is remembered of a deleted remote object.
type Tombstone struct {
	URI       string
	Domain    string
	DeletedAt time.Time
	// ObjectPublished is when the deleted object said it was published
	// (zero when unknown).
	ObjectPublished time.Time
}

// TombstoneOf returns the tombstone of uri, ErrNotFound if none.
func (s *Store) TombstoneOf(ctx context.Context, uri string) (*Tombstone, error) {
	t := &Tombstone{URI: uri}
	var deleted, published int64
	err := s.db.QueryRowContext(ctx, `SELECT domain, deleted_at, object_published FROM tombstones WHERE uri = ?`, uri).
		Scan(&t.Domain, &deleted, &published)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("tombstone: %w", err)
	}
	t.DeletedAt = time.Unix(deleted, 0).UTC()
	if published != 0 {
		t.ObjectPublished = time.Unix(published, 0).UTC()
	}
	return t, nil
}

// RemoveTombstoneTx forgets a tombstone: its id names a new object.
func (s *Store) RemoveTombstoneTx(ctx context.Context, tx *sql.Tx, uri string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM tombstones WHERE uri = ?`, uri); err != nil {
		return fmt.Errorf("remove tombstone: %w", err)
	}
	return nil
}

// PurgeTombstones forgets tombstones older than before.
func (s *Store) PurgeTombstones(ctx context.Context, before time.Time) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM tombstones WHERE deleted_at < ?`, before.Unix())
	return err
}

// PurgeEndedRemoteEvents deletes remote events that ended before the
// given time and returns how many.
func (s *Store) PurgeEndedRemoteEvents(ctx context.Context, endedBefore time.Time) (int64, error) {
	var n int64
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		const sel = `SELECT e.id FROM events e JOIN remote_events r ON r.event_id = e.id WHERE e.ends_at < ?`
		if _, err := tx.ExecContext(ctx, `DELETE FROM events_fts WHERE rowid IN (`+sel+`)`, endedBefore.Unix()); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE id IN (`+sel+`)`, endedBefore.Unix())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge remote events: %w", err)
	}
	return n, nil
}

// RemoteEventsToRefresh lists the ids of remote events starting between
// now and until that were not fetched since staleBefore.
func (s *Store) RemoteEventsToRefresh(ctx context.Context, now, until, staleBefore time.Time, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT e.uri FROM events e JOIN remote_events r ON r.event_id = e.id
		WHERE e.starts_at >= ? AND e.starts_at < ? AND r.fetched_at < ? ORDER BY e.starts_at LIMIT ?`,
		now.Unix(), until.Unix(), staleBefore.Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("remote events to refresh: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// RemoteEventDomains lists the distinct origin domains of cached events.
func (s *Store) CountRemoteEvents(ctx context.Context, domain string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM remote_events r WHERE ? = '' OR `+fmt.Sprintf(hostUnder, "r.origin_domain"),
		append([]any{domain}, underArgs(domain)...)...).Scan(&n)
	return n, err
}

// EventsOfSource lists the upcoming events a source brought, whatever
// their audience (the source's own page, for administrators).
func (s *Store) EventsOfSource(ctx context.Context, sourceID int64, now time.Time, limit int) ([]*Event, error) {
	return s.queryEvents(ctx, "events of source", `SELECT `+eventColumns+` FROM event_sources es CROSS JOIN events e ON e.id = es.event_id
		WHERE es.source_id = ? AND e.ends_at >= ? ORDER BY e.starts_at, e.id LIMIT ?`, sourceID, now.Unix(), limit)
}

// SetRemoteEventHiddenTx hides (or shows again) a remote event.
func (s *Store) SetRemoteEventHiddenTx(ctx context.Context, tx *sql.Tx, eventID int64, hidden bool) error {
	_, err := tx.ExecContext(ctx, `UPDATE remote_events SET hidden = ? WHERE event_id = ?`, boolInt(hidden), eventID)
	return err
}

// EventsFollowedByAccount lists the upcoming events of the actors the
// account's identities follow (an accepted follow): remote events
// organised by them, attributed to them or brought by them, and the
// published events of the local groups they follow. This is the person's own
// calendar; whether the events reach the instance's public lists is
// decided by the instance's sources alone.
func (s *Store) EventsFollowedByAccount(ctx context.Context, accountID int64, now time.Time, limit int) ([]*Event, error) {
	return s.queryEvents(ctx, "events followed by account", `SELECT `+eventColumns+` FROM events e LEFT JOIN remote_events r ON r.event_id = e.id
		WHERE e.ends_at >= ? AND CASE WHEN r.event_id IS NULL
		  THEN e.uri IS NULL AND e.draft = 0 AND e.visibility != 'private' AND e.published_at <= ?
		  ELSE r.hidden = 0 END
		AND EXISTS (SELECT 1 FROM follows f JOIN actors me ON me.id = f.follower_id
		  WHERE me.account_id = ? AND me.domain = '' AND f.state = 'accepted'
		    AND (f.followed_id = e.organizer_id OR f.followed_id = e.attributed_to_id
		      OR f.followed_id IN (SELECT es.source_id FROM event_sources es WHERE es.event_id = e.id)))
		ORDER BY e.starts_at, e.id LIMIT ?`, now.Unix(), now.Unix(), accountID, limit)
}
