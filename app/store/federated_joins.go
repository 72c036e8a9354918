package store

import (
	"context"
	"database/sql"
	"fmt"
)

// SetJoinActivityTx records the Join activity behind a participation (a
// new Join of the same participation replaces the old one).
func (s *Store) SetJoinActivityTx(ctx context.Context, tx *sql.Tx, participationID int64, uri string) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO federated_joins (participation_id, activity_uri) VALUES (?, ?)
		ON CONFLICT (participation_id) DO UPDATE SET activity_uri = excluded.activity_uri`, participationID, uri)
	if isUniqueViolation(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("set join activity: %w", err)
	}
	return nil
}

// JoinActivityTx returns the Join activity id of a participation, "" when
// it has none (a participation made here, by form).
func (s *Store) JoinActivityTx(ctx context.Context, tx *sql.Tx, participationID int64) (string, error) {
	var uri string
	err := tx.QueryRowContext(ctx, `SELECT activity_uri FROM federated_joins WHERE participation_id = ?`, participationID).Scan(&uri)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("join activity: %w", err)
	}
	return uri, nil
}

// ParticipationByJoinActivity finds the participation a Join id names.
func (s *Store) ParticipationByJoinActivity(ctx context.Context, uri string) (*Participation, error) {
	return s.oneParticipation(ctx, s.db, `p.id = (SELECT participation_id FROM federated_joins WHERE activity_uri = ?)`, uri)
}
