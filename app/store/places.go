package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Place is a venue events of this instance were held at. Events naming
// the same venue in the same town share one place, however they wrote its
// name ("Salle des Fêtes", "salle des fetes").
type Place struct {
	ID        int64
	Address   Address // Address.Venue is the place's name
	CreatedBy int64   // the identity that first used it
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Name is what the place is called.
func (p *Place) Name() string { return p.Address.Venue }

// ErrPlaceTaken says another place already has this name in this town.
var ErrPlaceTaken = errors.New("another place has this name in this town")

// placeKey is what two spellings of one place have in common: lower case,
// no accents, spaces collapsed.
func placeKey(s string) string { return strings.Join(strings.Fields(fold(s)), " ") }

const placeColumns = `id, name, street, postal_code, locality, region, country, latitude, longitude,
	coalesce(created_by, 0), created_at, updated_at`

func scanPlace(row interface{ Scan(...any) error }) (*Place, error) {
	var p Place
	var created, updated int64
	a := &p.Address
	if err := row.Scan(&p.ID, &a.Venue, &a.Street, &a.PostalCode, &a.Locality, &a.Region, &a.Country,
		&a.Latitude, &a.Longitude, &p.CreatedBy, &created, &updated); err != nil {
		return nil, notFound(err)
	}
	p.CreatedAt, p.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	return &p, nil
}

// PlaceByID reads one place.
func (s *Store) PlaceByID(ctx context.Context, id int64) (*Place, error) {
	return scanPlace(s.db.QueryRowContext(ctx, `SELECT `+placeColumns+` FROM places WHERE id = ?`, id))
}

// PlaceNamed finds the place of this name: in this town when a town is
// given, else the first used of that name anywhere.
func (s *Store) PlaceNamed(ctx context.Context, name, locality string) (*Place, error) {
	if locality != "" {
		return scanPlace(s.db.QueryRowContext(ctx, `SELECT `+placeColumns+` FROM places
			WHERE name_key = ? AND locality_key = ?`, placeKey(name), placeKey(locality)))
	}
	return scanPlace(s.db.QueryRowContext(ctx, `SELECT `+placeColumns+` FROM places
		WHERE name_key = ? ORDER BY id LIMIT 1`, placeKey(name)))
}

// EnsurePlace returns the place of addr's venue and town, creating it with
// addr when it is new (by identity createdBy). An address without a venue
// has no place: 0. A known place without a position takes addr's.
func (s *Store) EnsurePlace(ctx context.Context, createdBy int64, addr Address) (int64, error) {
	if placeKey(addr.Venue) == "" {
		return 0, nil
	}
	now := s.now().Unix()
	var id int64
	err := s.db.QueryRowContext(ctx, `
		INSERT INTO places (name, name_key, street, postal_code, locality, locality_key, region, country,
		  latitude, longitude, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, nullif(?, 0), ?, ?)
		ON CONFLICT (name_key, locality_key) DO UPDATE SET
		  latitude = coalesce(places.latitude, excluded.latitude),
		  longitude = CASE WHEN places.latitude IS NULL THEN excluded.longitude ELSE places.longitude END
		RETURNING id`,
		strings.TrimSpace(addr.Venue), placeKey(addr.Venue), addr.Street, addr.PostalCode, addr.Locality,
		placeKey(addr.Locality), addr.Region, addr.Country, addr.Latitude, addr.Longitude, createdBy, now, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("ensure place: %w", err)
	}
	return id, nil
}

// KnownPlaces lists places by name, for the event form's suggestions
// (at most limit: the suggestions stay a short list).
func (s *Store) KnownPlaces(ctx context.Context, limit int) ([]*Place, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+placeColumns+` FROM places ORDER BY name_key, locality_key LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var places []*Place
	for rows.Next() {
		p, err := scanPlace(rows)
		if err != nil {
			return nil, err
		}
		places = append(places, p)
	}
	return places, rows.Err()
}

// UpdatePlace rewrites a place's name and address. It returns
// ErrPlaceTaken when another place has that name in that town.
func (s *Store) UpdatePlace(ctx context.Context, p *Place) error {
	a := p.Address
	_, err := s.db.ExecContext(ctx, `UPDATE places SET name = ?, name_key = ?, street = ?, postal_code = ?,
		  locality = ?, locality_key = ?, region = ?, country = ?, latitude = ?, longitude = ?, updated_at = ?
		WHERE id = ?`,
		strings.TrimSpace(a.Venue), placeKey(a.Venue), a.Street, a.PostalCode, a.Locality, placeKey(a.Locality),
		a.Region, a.Country, a.Latitude, a.Longitude, s.now().Unix(), p.ID)
	if isUniqueViolation(err) {
		return ErrPlaceTaken
	}
	return err
}
