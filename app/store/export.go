package store

import (
	"context"
	"fmt"
)

// EventsOfAccount returns every event organised by one of the account's
// identities (drafts, private and past ones included), oldest first, with
// organizers, tags and links: what the account's own data export holds.
func (s *Store) EventsOfAccount(ctx context.Context, accountID int64) ([]*Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+eventColumns+` FROM events e
		WHERE e.organizer_id IN (SELECT id FROM actors WHERE account_id = ?)
		ORDER BY e.created_at, e.id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("events of account: %w", err)
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
	if err := s.fillEvents(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}
