package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PeerSoftwareCheckedAt is when a server's software was last learnt (zero
// when never).
func (s *Store) PeerSoftwareCheckedAt(ctx context.Context, host string) (time.Time, error) {
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT checked_at FROM peer_servers WHERE host = ?`, host).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("peer software: %w", err)
	}
	return time.Unix(at, 0), nil
}

// SetPeerSoftware records what software a server runs and whether it shows
// what it receives to everyone, whatever the addressing.
func (s *Store) SetPeerSoftware(ctx context.Context, host, software string, ignoresAudience bool, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO peer_servers (host, software, ignores_audience, checked_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (host) DO UPDATE SET software = excluded.software,
			ignores_audience = excluded.ignores_audience, checked_at = excluded.checked_at`,
		host, software, ignoresAudience, at.Unix())
	if err != nil {
		return fmt.Errorf("set peer software: %w", err)
	}
	return nil
}
