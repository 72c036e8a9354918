package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// SeriesLocalLayout is how a series keeps the wall-clock start of its first
// occurrence: local time in the series' zone, no offset.
const SeriesLocalLayout = "2006-01-02T15:04:05"

// Series is a recurring event. Its occurrences are ordinary events that
// point at it; new ones are copied from the latest occurrence.
type Series struct {
	ID             int64
	UUID           string
	OrganizerID    int64
	Rule           string // RFC 5545 RRULE value, without "RRULE:"
	FirstStart     string // SeriesLocalLayout, in Timezone
	Duration       time.Duration
	Timezone       string
	GeneratedUntil time.Time // occurrences exist up to here
}

const seriesColumns = `id, uuid, organizer_id, rule, first_start, duration, timezone, generated_until`

func scanSeries(row interface{ Scan(...any) error }) (*Series, error) {
	var s Series
	var duration, until int64
	if err := row.Scan(&s.ID, &s.UUID, &s.OrganizerID, &s.Rule, &s.FirstStart, &duration, &s.Timezone, &until); err != nil {
		return nil, notFound(err)
	}
	s.Duration = time.Duration(duration) * time.Second
	s.GeneratedUntil = time.Unix(until, 0).UTC()
	return &s, nil
}

// CreateSeriesTx stores a new series and makes an existing event its first
// occurrence.
func (s *Store) CreateSeriesTx(ctx context.Context, tx *sql.Tx, sr *Series, firstEventID int64) error {
	if sr.UUID == "" {
		sr.UUID = uuid.NewString()
	}
	now := s.unix()
	res, err := tx.ExecContext(ctx, `INSERT INTO series (uuid, organizer_id, rule, first_start, duration, timezone,
		generated_until, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sr.UUID, sr.OrganizerID, sr.Rule, sr.FirstStart, int64(sr.Duration/time.Second), sr.Timezone,
		sr.GeneratedUntil.Unix(), now, now)
	if err != nil {
		return fmt.Errorf("insert series: %w", err)
	}
	sr.ID, _ = res.LastInsertId()
	return s.SetEventSeriesTx(ctx, tx, firstEventID, sr.ID)
}

// SetEventSeriesTx makes an event an occurrence of a series.
func (s *Store) SetEventSeriesTx(ctx context.Context, tx *sql.Tx, eventID, seriesID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE events SET series_id = ? WHERE id = ?`, seriesID, eventID); err != nil {
		return fmt.Errorf("set event series: %w", err)
	}
	return nil
}

// UpdateSeriesTx rewrites a series' rule, start, duration and how far it
// has been generated.
func (s *Store) UpdateSeriesTx(ctx context.Context, tx *sql.Tx, sr *Series) error {
	_, err := tx.ExecContext(ctx, `UPDATE series SET rule = ?, first_start = ?, duration = ?, timezone = ?,
		generated_until = ?, updated_at = ? WHERE id = ?`,
		sr.Rule, sr.FirstStart, int64(sr.Duration/time.Second), sr.Timezone, sr.GeneratedUntil.Unix(), s.unix(), sr.ID)
	if err != nil {
		return fmt.Errorf("update series: %w", err)
	}
	return nil
}

// SeriesByID returns one series.
func (s *Store) SeriesByID(ctx context.Context, id int64) (*Series, error) {
	return scanSeries(s.db.QueryRowContext(ctx, `SELECT `+seriesColumns+` FROM series WHERE id = ?`, id))
}

// SeriesOfEvent returns the series an event belongs to (ErrNotFound when
// it stands alone).
func (s *Store) SeriesOfEvent(ctx context.Context, eventID int64) (*Series, error) {
	return scanSeries(s.db.QueryRowContext(ctx, `SELECT `+seriesColumns+` FROM series
		WHERE id = (SELECT series_id FROM events WHERE id = ?)`, eventID))
}

// SeriesDue lists the series generated less far than horizon.
func (s *Store) SeriesDue(ctx context.Context, horizon time.Time) ([]*Series, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+seriesColumns+` FROM series WHERE generated_until < ? ORDER BY id`, horizon.Unix())
	if err != nil {
		return nil, fmt.Errorf("series due: %w", err)
	}
	defer rows.Close()
	var out []*Series
	for rows.Next() {
		sr, err := scanSeries(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sr)
	}
	return out, rows.Err()
}

// Occurrence is one event of a series, as listed on its siblings' pages.
type Occurrence struct {
	ID       int64
	UUID     string
	Title    string
	StartsAt time.Time
	Timezone string
	Status   string
	Listed   bool
}

// SeriesOccurrences lists the occurrences of a series, soonest first.
func (s *Store) SeriesOccurrences(ctx context.Context, seriesID int64) ([]Occurrence, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, uuid, title, starts_at, timezone, status,
		visibility = 'public' AND draft = 0 AND published_at <= ?
		FROM events WHERE series_id = ? ORDER BY starts_at, id`, s.unix(), seriesID)
	if err != nil {
		return nil, fmt.Errorf("series occurrences: %w", err)
	}
	defer rows.Close()
	var out []Occurrence
	for rows.Next() {
		var o Occurrence
		var start int64
		if err := rows.Scan(&o.ID, &o.UUID, &o.Title, &start, &o.Timezone, &o.Status, &o.Listed); err != nil {
			return nil, err
		}
		o.StartsAt = time.Unix(start, 0).UTC()
		out = append(out, o)
	}
	return out, rows.Err()
}

// LatestOccurrenceTx returns the last occurrence of a series (the model
// for the next ones), with tags and links.
func (s *Store) LatestOccurrenceTx(ctx context.Context, tx *sql.Tx, seriesID int64) (*Event, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM events WHERE series_id = ? ORDER BY starts_at DESC, id DESC LIMIT 1`, seriesID).Scan(&id)
	if err != nil {
		return nil, notFound(err)
	}
	return s.eventByIDTx(ctx, tx, id)
}

// OccurrencesFromTx returns the occurrences of a series starting at or
// after from, with tags and links, soonest first.
func (s *Store) OccurrencesFromTx(ctx context.Context, tx *sql.Tx, seriesID int64, from time.Time) ([]*Event, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM events WHERE series_id = ? AND starts_at >= ? ORDER BY starts_at, id`,
		seriesID, from.Unix())
	if err != nil {
		return nil, fmt.Errorf("occurrences: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*Event, 0, len(ids))
	for _, id := range ids {
		e, err := s.eventByIDTx(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// eventByIDTx reads one event with its tags and links inside tx (the
// organizer is not loaded: writers do not need it).
func (s *Store) eventByIDTx(ctx context.Context, tx *sql.Tx, id int64) (*Event, error) {
	e, err := scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events e WHERE e.id = ?`, id))
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT tag FROM event_tags WHERE event_id = ? ORDER BY tag`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, err
		}
		e.Tags = append(e.Tags, t)
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, `SELECT kind, title, url FROM event_links WHERE event_id = ? ORDER BY position`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var l Link
		if err := rows.Scan(&l.Kind, &l.Title, &l.URL); err != nil {
			rows.Close()
			return nil, err
		}
		e.Links = append(e.Links, l)
	}
	rows.Close()
	return e, rows.Err()
}
