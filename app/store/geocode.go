package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// GeocodeCached returns the geocoder's answer to query (JSON) when one was
// kept since notBefore.
func (s *Store) GeocodeCached(ctx context.Context, query string, notBefore time.Time) (places string, found bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT places FROM geocode_cache WHERE query = ? AND created_at >= ?`,
		query, notBefore.Unix()).Scan(&places)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read geocode cache: %w", err)
	}
	return places, true, nil
}

// SaveGeocode keeps the geocoder's answer to query (JSON), replacing an
// older one.
func (s *Store) SaveGeocode(ctx context.Context, query, places string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO geocode_cache (query, places, created_at) VALUES (?, ?, ?)
		ON CONFLICT (query) DO UPDATE SET places = excluded.places, created_at = excluded.created_at`,
		query, places, s.unix())
	if err != nil {
		return fmt.Errorf("save geocode: %w", err)
	}
	return nil
}
