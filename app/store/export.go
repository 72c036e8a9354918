package store

import (
	"context"
	"fmt"
	"time"
)

// EventsOfAccount returns every event organised by one of the account's
// identities (drafts, private and past ones included), oldest first, with
// organizers, tags and links: what the account's own data export holds.
func (s *Store) EventsOfAccount(ctx context.Context, accountID int64) ([]*Event, error) {
	return s.queryEvents(ctx, "events of account", `SELECT `+eventColumns+` FROM events e
		WHERE e.organizer_id IN (SELECT id FROM actors WHERE account_id = ?)
		ORDER BY e.created_at, e.id`, accountID)
}

// AccountParticipation is one "I'm coming" of one of an account's
// identities, with what the export shows of the event.
type AccountParticipation struct {
	Identity   string
	State      string
	Message    string
	CreatedAt  time.Time
	EventUUID  string
	EventTitle string
	StartsAt   time.Time
	Timezone   string
}

// AllParticipationsOfAccount lists every participation (cancelled ones too) of every identity of
// the account, oldest first.
func (s *Store) AllParticipationsOfAccount(ctx context.Context, accountID int64) ([]AccountParticipation, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT a.username, p.state, p.message, p.created_at, e.uuid, e.title, e.starts_at, e.timezone
		FROM participations p JOIN actors a ON a.id = p.actor_id JOIN events e ON e.id = p.event_id
		WHERE a.account_id = ? ORDER BY p.created_at, p.id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("participations of account: %w", err)
	}
	defer rows.Close()
	var out []AccountParticipation
	for rows.Next() {
		var p AccountParticipation
		var created, starts int64
		if err := rows.Scan(&p.Identity, &p.State, &p.Message, &created, &p.EventUUID, &p.EventTitle, &starts, &p.Timezone); err != nil {
			return nil, err
		}
		p.CreatedAt, p.StartsAt = time.Unix(created, 0).UTC(), time.Unix(starts, 0).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}
