package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Event statuses, visibilities, join modes and comment moderation options,
// named as Mobilizon names them so federation maps them one to one.
const (
	StatusTentative = "tentative"
	StatusConfirmed = "confirmed"
	StatusCancelled = "cancelled"

	VisibilityPublic   = "public"
	VisibilityUnlisted = "unlisted"
	VisibilityPrivate  = "private"

	JoinFree     = "free"
	JoinApproval = "approval"
	JoinInvite   = "invite"
	JoinExternal = "external"

	CommentsAllowAll  = "allow_all"
	CommentsModerated = "moderated"
	CommentsClosed    = "closed"
)

// Categories is the fixed list of event categories, like Mobilizon's.
var Categories = []string{
	"arts", "book_clubs", "business", "causes", "climate", "comedy", "community",
	"crafts", "family_education", "fashion_beauty", "film_media", "food_drink",
	"games", "health", "language_culture", "learning", "lgbtq", "meeting",
	"movements_politics", "music", "networking", "outdoors_adventure",
	"party", "performing_visual_arts", "pets", "photography", "science_tech",
	"spirituality_religion_beliefs", "sports", "theatre", "other",
}

// LinkKinds are the typed links to external tools an event may carry.
var LinkKinds = []string{"pad", "video", "stream", "poll", "tickets", "other"}

// Address is where an event takes place physically.
type Address struct {
	Venue      string
	Street     string
	PostalCode string
	Locality   string
	Region     string
	Country    string
	Latitude   *float64
	Longitude  *float64
}

// IsZero tells whether no part of the address is filled.
func (a Address) IsZero() bool {
	return a.Venue == "" && a.Street == "" && a.PostalCode == "" && a.Locality == "" &&
		a.Region == "" && a.Country == "" && a.Latitude == nil
}

// OneLine is the address on one line, for cards and summaries.
func (a Address) OneLine() string {
	var parts []string
	for _, p := range []string{a.Venue, a.Street, strings.TrimSpace(a.PostalCode + " " + a.Locality), a.Region, a.Country} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// Link is a typed link to an external tool.
type Link struct {
	Kind  string
	Title string
	URL   string
}

// Event is an event, local or (later) remote.
type Event struct {
	ID          int64
	UUID        string
	URI         string // remote events only
	OrganizerID int64
	Organizer   *Actor // filled by reads
	// AttributedToID is the group the event is organised for (0: none);
	// its organiser is then one of the group's moderators.
	AttributedToID  int64
	Title           string
	DescriptionMD   string
	DescriptionHTML string
	StartsAt        time.Time
	EndsAt          time.Time
	Timezone        string
	Address         Address
	OnlineURL       string
	// OnlineWithheld: the event has an online address this copy does not
	// carry, because it is kept for accepted participants (see
	// WithoutPrivateDetails).
	OnlineWithheld         bool
	Category               string
	BannerID               int64  // set on writes
	BannerUUID             string // filled by reads
	BannerType             string // the banner's media type, filled by reads
	Status                 string
	Visibility             string
	Draft                  bool
	JoinMode               string
	ExternalURL            string
	Capacity               int // 0: no limit
	ParticipationMessage   string
	CommentModeration      string
	AnonymousParticipation bool
	Language               string
	Sequence               int
	PublishedAt            *time.Time
	CreatedAt              time.Time
	UpdatedAt              time.Time
	// PlaceID is the venue (places) of a local event, 0 when none.
	PlaceID int64
	Tags    []string
	Links   []Link

	// Filled by list reads (queryEvents) for cards: the group the event
	// is organised for, how many are coming, and the recurring series it
	// is an occurrence of (0 and "" when it stands alone).
	AttributedTo *Actor
	Going        int
	SeriesID     int64
	SeriesRule   string

	// Snippet is the description with the matched words marked by
	// \x02 ... \x03, filled by a search only.
	Snippet string
	// TitleMarked is the title marked likewise, filled by a search only.
	TitleMarked string
	// DistanceKm is how far the event's place is from where a "near"
	// search looked; nil otherwise.
	DistanceKm *float64
}

// Location returns the event's time zone, UTC when it is unknown.
func (e *Event) Location() *time.Location { return LoadLocation(e.Timezone) }

// locations caches time zones by name: time.LoadLocation reads and parses
// the zone database every time, which showed up as the largest cost of
// rendering a list of events. Zones never change while the program runs,
// so one cache serves every instance in the process.
var locations sync.Map // string -> *time.Location

// LoadLocation is time.LoadLocation, cached, with UTC for an unknown or
// empty name.
func LoadLocation(name string) *time.Location {
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if offset, ok := parseOffsetZone(name); ok {
		loc, err = time.FixedZone(name, offset), nil
	}
	if err != nil {
		// Not cached: only real zone names and offsets (bounded sets)
		// fill the cache.
		return time.UTC
	}
	locations.Store(name, loc)
	return loc
}

// HasEnd tells whether the event has an end. One sent without an end
// (remote events only: the form always sets one) is stored as ending when
// it starts, which is what iCalendar makes of a missing end.
func (e *Event) HasEnd() bool { return e.EndsAt.After(e.StartsAt) }

// OffsetZone names the zone of a time sent with a UTC offset and no zone
// name (Gancio's): "UTC+01:00". The name says only what was sent, never
// "UTC" for a time that was not.
func OffsetZone(offsetSeconds int) string {
	sign := '+'
	if offsetSeconds < 0 {
		sign, offsetSeconds = '-', -offsetSeconds
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, offsetSeconds/3600, offsetSeconds%3600/60)
}

// IsOffsetZone tells whether a zone name is an OffsetZone.
func IsOffsetZone(name string) bool {
	_, ok := parseOffsetZone(name)
	return ok
}

func parseOffsetZone(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "UTC")
	if !ok || len(rest) != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(rest[1:3])
	m, err2 := strconv.Atoi(rest[4:6])
	if err1 != nil || err2 != nil || h > 18 || m > 59 {
		return 0, false
	}
	offset := h*3600 + m*60
	if rest[0] == '-' {
		offset = -offset
	}
	return offset, true
}

// IsOnline tells whether the event has an online address and no place.
func (e *Event) IsOnline() bool { return e.HasOnlineAddress() && e.Address.IsZero() }

// HasOnlineAddress tells whether people meet online too, whether or not
// this copy of the event carries the address.
func (e *Event) HasOnlineAddress() bool { return e.OnlineURL != "" || e.OnlineWithheld }

// privateLinkKinds are the tools of an event that let someone in: a
// members-only event keeps them for those it accepted.
var privateLinkKinds = map[string]bool{"pad": true, "video": true, "stream": true}

// KeepsDetailsPrivate tells whether the event gives its online address
// and the links to its pad, video room and stream only to accepted
// participants and its organisers: so it is when the organisers choose
// who comes (approval or invitation).
func (e *Event) KeepsDetailsPrivate() bool {
	return e.JoinMode == JoinApproval || e.JoinMode == JoinInvite
}

// WithoutPrivateDetails returns the event as anyone may see it: for an
// event that keeps its details private, a copy without the online address
// (OnlineWithheld says there is one) and without the private tool links.
// Otherwise e itself.
func (e *Event) WithoutPrivateDetails() *Event {
	if !e.KeepsDetailsPrivate() || e.OnlineWithheld {
		return e
	}
	c := *e
	c.OnlineWithheld = c.OnlineURL != ""
	c.OnlineURL = ""
	c.Links = nil
	for _, l := range e.Links {
		if !privateLinkKinds[l.Kind] {
			c.Links = append(c.Links, l)
		}
	}
	return &c
}

// PrivateLinks are the links WithoutPrivateDetails leaves out, for the
// message that tells an accepted participant how to get in.
func (e *Event) PrivateLinks() []Link {
	var out []Link
	for _, l := range e.Links {
		if privateLinkKinds[l.Kind] {
			out = append(out, l)
		}
	}
	return out
}

// IsListed tells whether the event may appear in lists, feeds and search
// for everybody at time now.
func (e *Event) IsListed(now time.Time) bool {
	return e.Visibility == VisibilityPublic && !e.Draft && e.PublishedAt != nil && !e.PublishedAt.After(now)
}

const eventColumns = `e.id, e.uuid, coalesce(e.uri, ''), e.organizer_id, e.title, e.description_md, e.description_html,
	e.starts_at, e.ends_at, e.timezone, e.venue, e.street, e.postal_code, e.locality, e.region, e.country,
	e.latitude, e.longitude, e.online_url, e.category, coalesce(e.banner_id, 0),
	coalesce((SELECT uuid FROM media WHERE id = e.banner_id), ''), e.status, e.visibility, e.draft,
	e.join_mode, e.external_url, e.capacity, e.participation_message, e.comment_moderation,
	e.anonymous_participation, e.language, e.sequence, e.published_at, e.created_at, e.updated_at,
	coalesce(e.attributed_to_id, 0), coalesce((SELECT content_type FROM media WHERE id = e.banner_id), ''),
	coalesce(e.series_id, 0), coalesce((SELECT rule FROM series WHERE id = e.series_id), ''), coalesce(e.place_id, 0)`

func scanEvent(row interface{ Scan(...any) error }, extra ...any) (*Event, error) {
	var e Event
	var starts, ends, created, updated int64
	var published *int64
	dest := []any{&e.ID, &e.UUID, &e.URI, &e.OrganizerID, &e.Title, &e.DescriptionMD, &e.DescriptionHTML,
		&starts, &ends, &e.Timezone, &e.Address.Venue, &e.Address.Street, &e.Address.PostalCode,
		&e.Address.Locality, &e.Address.Region, &e.Address.Country, &e.Address.Latitude, &e.Address.Longitude,
		&e.OnlineURL, &e.Category, &e.BannerID, &e.BannerUUID, &e.Status, &e.Visibility, &e.Draft,
		&e.JoinMode, &e.ExternalURL, &e.Capacity, &e.ParticipationMessage, &e.CommentModeration,
		&e.AnonymousParticipation, &e.Language, &e.Sequence, &published, &created, &updated, &e.AttributedToID, &e.BannerType,
		&e.SeriesID, &e.SeriesRule, &e.PlaceID}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, notFound(err)
	}
	e.StartsAt = time.Unix(starts, 0).UTC()
	e.EndsAt = time.Unix(ends, 0).UTC()
	e.CreatedAt = time.Unix(created, 0).UTC()
	e.UpdatedAt = time.Unix(updated, 0).UTC()
	if published != nil {
		t := time.Unix(*published, 0).UTC()
		e.PublishedAt = &t
	}
	return &e, nil
}

// CreateEvent stores a new event with its tags and links, and indexes it
// for search, in one transaction. It sets e.ID, e.UUID and the timestamps.
func (s *Store) CreateEvent(ctx context.Context, e *Event) error {
	return s.Tx(ctx, func(tx *sql.Tx) error { return s.CreateEventTx(ctx, tx, e) })
}

// CreateEventTx is CreateEvent inside a caller's transaction, so that work
// announcing the event (deliveries, later) commits with it.
func (s *Store) CreateEventTx(ctx context.Context, tx *sql.Tx, e *Event) error {
	now := s.now().UTC().Truncate(time.Second)
	if e.UUID == "" {
		e.UUID = uuid.NewString()
	}
	e.CreatedAt, e.UpdatedAt = now, now
	res, err := tx.ExecContext(ctx, `
		INSERT INTO events (uuid, uri, organizer_id, title, description_md, description_html, starts_at, ends_at,
		  timezone, venue, street, postal_code, locality, region, country, latitude, longitude, online_url,
		  category, banner_id, status, visibility, draft, join_mode, external_url, capacity,
		  participation_message, comment_moderation, anonymous_participation, language, sequence,
		  published_at, created_at, updated_at, attributed_to_id, place_id)
		VALUES (?, nullif(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, nullif(?, 0), nullif(?, 0))`,
		e.UUID, e.URI, e.OrganizerID, e.Title, e.DescriptionMD, e.DescriptionHTML, e.StartsAt.Unix(), e.EndsAt.Unix(),
		e.Timezone, e.Address.Venue, e.Address.Street, e.Address.PostalCode, e.Address.Locality, e.Address.Region,
		e.Address.Country, e.Address.Latitude, e.Address.Longitude, e.OnlineURL, e.Category, e.BannerID, e.Status,
		e.Visibility, e.Draft, e.JoinMode, e.ExternalURL, e.Capacity, e.ParticipationMessage, e.CommentModeration,
		e.AnonymousParticipation, e.Language, e.Sequence, unixOrNil(e.PublishedAt), now.Unix(), now.Unix(), e.AttributedToID, e.PlaceID)
	if err != nil {
		return fmt.Errorf("insert event: %w", err)
	}
	e.ID, _ = res.LastInsertId()
	if err := s.readBannerTx(ctx, tx, e); err != nil {
		return err
	}
	return s.writeEventChildren(ctx, tx, e)
}

// readBannerTx fills the banner's UUID and type from BannerID, so that an
// event just written reads as it will when loaded again: what we announce
// of it (its picture included) is what we serve at its URL.
func (s *Store) readBannerTx(ctx context.Context, tx *sql.Tx, e *Event) error {
	e.BannerUUID, e.BannerType = "", ""
	if e.BannerID == 0 {
		return nil
	}
	err := tx.QueryRowContext(ctx, `SELECT uuid, content_type FROM media WHERE id = ?`, e.BannerID).Scan(&e.BannerUUID, &e.BannerType)
	if err != nil {
		return fmt.Errorf("event banner: %w", err)
	}
	return nil
}

// UpdateEvent rewrites an event's fields, tags and links and bumps its
// sequence (calendars use it to notice edits).
func (s *Store) UpdateEvent(ctx context.Context, e *Event) error {
	return s.Tx(ctx, func(tx *sql.Tx) error { return s.UpdateEventTx(ctx, tx, e) })
}

// UpdateEventTx is UpdateEvent inside a caller's transaction.
func (s *Store) UpdateEventTx(ctx context.Context, tx *sql.Tx, e *Event) error {
	now := s.now().UTC().Truncate(time.Second)
	res, err := tx.ExecContext(ctx, `
		UPDATE events SET title = ?, description_md = ?, description_html = ?, starts_at = ?, ends_at = ?,
		  timezone = ?, venue = ?, street = ?, postal_code = ?, locality = ?, region = ?, country = ?,
		  latitude = ?, longitude = ?, online_url = ?, category = ?, banner_id = nullif(?, 0), status = ?,
		  visibility = ?, draft = ?, join_mode = ?, external_url = ?, capacity = ?, participation_message = ?,
		  comment_moderation = ?, anonymous_participation = ?, language = ?, sequence = sequence + 1,
		  published_at = ?, updated_at = ?, place_id = nullif(?, 0)
		WHERE id = ?`,
		e.Title, e.DescriptionMD, e.DescriptionHTML, e.StartsAt.Unix(), e.EndsAt.Unix(), e.Timezone,
		e.Address.Venue, e.Address.Street, e.Address.PostalCode, e.Address.Locality, e.Address.Region,
		e.Address.Country, e.Address.Latitude, e.Address.Longitude, e.OnlineURL, e.Category, e.BannerID,
		e.Status, e.Visibility, e.Draft, e.JoinMode, e.ExternalURL, e.Capacity, e.ParticipationMessage,
		e.CommentModeration, e.AnonymousParticipation, e.Language, unixOrNil(e.PublishedAt), now.Unix(), e.PlaceID, e.ID)
	if err != nil {
		return fmt.Errorf("update event: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	e.UpdatedAt = now
	e.Sequence++
	if err := s.readBannerTx(ctx, tx, e); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM event_tags WHERE event_id = ?`, `DELETE FROM event_links WHERE event_id = ?`, `DELETE FROM events_fts WHERE rowid = ?`} {
		if _, err := tx.ExecContext(ctx, q, e.ID); err != nil {
			return fmt.Errorf("update event: %w", err)
		}
	}
	return s.writeEventChildren(ctx, tx, e)
}

func (s *Store) writeEventChildren(ctx context.Context, tx *sql.Tx, e *Event) error {
	for _, tag := range e.Tags {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO event_tags (event_id, tag) VALUES (?, ?)`, e.ID, tag); err != nil {
			return fmt.Errorf("insert tag: %w", err)
		}
	}
	for i, l := range e.Links {
		if _, err := tx.ExecContext(ctx, `INSERT INTO event_links (event_id, kind, title, url, position) VALUES (?, ?, ?, ?, ?)`,
			e.ID, l.Kind, l.Title, l.URL, i); err != nil {
			return fmt.Errorf("insert link: %w", err)
		}
	}
	place := e.Address.OneLine()
	if _, err := tx.ExecContext(ctx, `INSERT INTO events_fts (rowid, title, description, place, tags) VALUES (?, ?, ?, ?, ?)`,
		e.ID, e.Title, e.DescriptionMD, place, strings.Join(e.Tags, " ")); err != nil {
		return fmt.Errorf("index event: %w", err)
	}
	return nil
}

// DeleteEvent removes an event and everything hanging from it.
func (s *Store) DeleteEvent(ctx context.Context, id int64) error {
	return s.Tx(ctx, func(tx *sql.Tx) error { return s.DeleteEventTx(ctx, tx, id) })
}

// DeleteEventTx is DeleteEvent inside a caller's transaction.
func (s *Store) DeleteEventTx(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM events_fts WHERE rowid = ?`, id); err != nil {
		return fmt.Errorf("delete event: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete event: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// EventByUUID returns one event with its organizer, tags and links.
func (s *Store) EventByUUID(ctx context.Context, id string) (*Event, error) {
	e, err := scanEvent(s.db.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events e WHERE e.uuid = ?`, id))
	if err != nil {
		return nil, err
	}
	if err := s.fillEvents(ctx, []*Event{e}); err != nil {
		return nil, err
	}
	return e, nil
}

// EventByID returns one event with its organizer, tags and links.
func (s *Store) EventByID(ctx context.Context, id int64) (*Event, error) {
	e, err := scanEvent(s.db.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events e WHERE e.id = ?`, id))
	if err != nil {
		return nil, err
	}
	if err := s.fillEvents(ctx, []*Event{e}); err != nil {
		return nil, err
	}
	return e, nil
}

// fillEvents loads organizers, tags and links for events read from a
// list: three queries whatever the number of events, the ids passed as
// one JSON array.
func (s *Store) fillEvents(ctx context.Context, events []*Event) error {
	if len(events) == 0 {
		return nil
	}
	byID := make(map[int64]*Event, len(events))
	var eventIDs, organizerIDs []int64
	seenOrganizer := map[int64]bool{}
	for _, e := range events {
		byID[e.ID] = e
		eventIDs = append(eventIDs, e.ID)
		e.Tags, e.Links = nil, nil
		// The groups events are organised for come with the organizers.
		for _, id := range []int64{e.OrganizerID, e.AttributedToID} {
			if id != 0 && !seenOrganizer[id] {
				seenOrganizer[id] = true
				organizerIDs = append(organizerIDs, id)
			}
		}
	}

	rows, err := s.db.QueryContext(ctx, `SELECT `+actorColumns+` FROM actors a WHERE a.id IN (SELECT value FROM json_each(?))`, jsonIDs(organizerIDs))
	if err != nil {
		return fmt.Errorf("event organizers: %w", err)
	}
	actors, err := scanActors(rows)
	if err != nil {
		return fmt.Errorf("event organizers: %w", err)
	}
	organizers := make(map[int64]*Actor, len(actors))
	for i := range actors {
		organizers[actors[i].ID] = &actors[i]
	}
	for _, e := range events {
		if e.Organizer = organizers[e.OrganizerID]; e.Organizer == nil {
			return fmt.Errorf("event %d: organizer %d: %w", e.ID, e.OrganizerID, ErrNotFound)
		}
		e.AttributedTo = organizers[e.AttributedToID]
	}

	ids := jsonIDs(eventIDs)
	rows, err = s.db.QueryContext(ctx, `SELECT event_id, count(*) FROM participations
		WHERE event_id IN (SELECT value FROM json_each(?)) AND state = 'confirmed' GROUP BY event_id`, ids)
	if err != nil {
		return fmt.Errorf("event participants: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return fmt.Errorf("event participants: %w", err)
		}
		byID[id].Going = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("event participants: %w", err)
	}
	rows.Close()

	rows, err = s.db.QueryContext(ctx, `SELECT event_id, tag FROM event_tags WHERE event_id IN (SELECT value FROM json_each(?)) ORDER BY event_id, tag`, ids)
	if err != nil {
		return fmt.Errorf("event tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var t string
		if err := rows.Scan(&id, &t); err != nil {
			return fmt.Errorf("event tags: %w", err)
		}
		byID[id].Tags = append(byID[id].Tags, t)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("event tags: %w", err)
	}
	rows.Close()

	rows, err = s.db.QueryContext(ctx, `SELECT event_id, kind, title, url FROM event_links WHERE event_id IN (SELECT value FROM json_each(?)) ORDER BY event_id, position`, ids)
	if err != nil {
		return fmt.Errorf("event links: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var l Link
		if err := rows.Scan(&id, &l.Kind, &l.Title, &l.URL); err != nil {
			return fmt.Errorf("event links: %w", err)
		}
		byID[id].Links = append(byID[id].Links, l)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("event links: %w", err)
	}
	return nil
}

// jsonIDs writes ids as a JSON array, for "IN (SELECT value FROM
// json_each(?))": one parameter however many ids.
func jsonIDs(ids []int64) string {
	b := make([]byte, 0, len(ids)*8+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

func unixOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Unix()
}
