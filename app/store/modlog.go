package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ModerationEntry is one row of the append-only moderation log.
type ModerationEntry struct {
	ID          int64
	At          time.Time
	ModeratorID int64
	Moderator   string // the moderator's email or handle, copied when written
	Action      string
	TargetType  string // event, actor, account, domain, report, source
	TargetID    string
	ReportID    int64
	Snapshot    string // JSON: what the target was when acted on
}

// AppendModerationLogTx appends one entry, in the transaction of the
// action it records.
func (s *Store) AppendModerationLogTx(ctx context.Context, tx *sql.Tx, e ModerationEntry) error {
	if e.Snapshot == "" {
		e.Snapshot = "{}"
	}
	var mod, rep any
	if e.ModeratorID != 0 {
		mod = e.ModeratorID
	}
	if e.ReportID != 0 {
		rep = e.ReportID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO moderation_log (at, moderator_id, moderator, action, target_type, target_id, report_id, snapshot)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.unix(), mod, e.Moderator, e.Action, e.TargetType, e.TargetID, rep, e.Snapshot)
	if err != nil {
		return fmt.Errorf("moderation log: %w", err)
	}
	return nil
}

// ModerationLog lists entries, newest first.
func (s *Store) ModerationLog(ctx context.Context, limit, offset int) ([]ModerationEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, coalesce(moderator_id, 0), moderator, action, target_type, target_id,
		coalesce(report_id, 0), snapshot FROM moderation_log ORDER BY id DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("moderation log: %w", err)
	}
	defer rows.Close()
	var out []ModerationEntry
	for rows.Next() {
		var e ModerationEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.ModeratorID, &e.Moderator, &e.Action, &e.TargetType, &e.TargetID, &e.ReportID, &e.Snapshot); err != nil {
			return nil, err
		}
		e.At = time.Unix(at, 0).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// CountModerationLog counts log entries (tests and the admin page).
func (s *Store) CountModerationLog(ctx context.Context, action string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM moderation_log WHERE ? = '' OR action = ?`, action, action).Scan(&n)
	return n, err
}
