package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// GroupSync is a remote group waiting to be read again.
type GroupSync struct {
	GroupID int64
	Tries   int
}

// ScheduleGroupSyncTx asks for a remote group to be read at due, starting
// its count of attempts again.
func (s *Store) ScheduleGroupSyncTx(ctx context.Context, tx *sql.Tx, groupID int64, due time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO group_syncs (group_id, due_at, tries) VALUES (?, ?, 0)
		ON CONFLICT (group_id) DO UPDATE SET due_at = excluded.due_at, tries = 0`, groupID, due.Unix())
	if err != nil {
		return fmt.Errorf("schedule group sync: %w", err)
	}
	return nil
}

// DueGroupSyncs lists the groups due to be read now.
func (s *Store) DueGroupSyncs(ctx context.Context) ([]GroupSync, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT group_id, tries FROM group_syncs WHERE due_at <= ? ORDER BY due_at`, s.unix())
	if err != nil {
		return nil, fmt.Errorf("due group syncs: %w", err)
	}
	defer rows.Close()
	var out []GroupSync
	for rows.Next() {
		var gs GroupSync
		if err := rows.Scan(&gs.GroupID, &gs.Tries); err != nil {
			return nil, fmt.Errorf("due group syncs: %w", err)
		}
		out = append(out, gs)
	}
	return out, rows.Err()
}

// GroupSyncAgain counts an attempt and sets the next one.
func (s *Store) GroupSyncAgain(ctx context.Context, groupID int64, next time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE group_syncs SET tries = tries + 1, due_at = ? WHERE group_id = ?`, next.Unix(), groupID)
	if err != nil {
		return fmt.Errorf("group sync again: %w", err)
	}
	return nil
}

// GroupSyncDone forgets a group's pending read.
func (s *Store) GroupSyncDone(ctx context.Context, groupID int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM group_syncs WHERE group_id = ?`, groupID); err != nil {
		return fmt.Errorf("group sync done: %w", err)
	}
	return nil
}

// NextGroupSyncDue is when the next read is due (zero when none waits).
func (s *Store) NextGroupSyncDue(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(due_at) FROM group_syncs`).Scan(&next); err != nil {
		return time.Time{}, fmt.Errorf("next group sync due: %w", err)
	}
	if !next.Valid {
		return time.Time{}, nil
	}
	return time.Unix(next.Int64, 0), nil
}
