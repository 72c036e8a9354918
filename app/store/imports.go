package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// CalendarImport is a calendar imported from a file or a URL.
type CalendarImport struct {
	ID          int64
	OrganizerID int64
	URL         string // empty for an uploaded file
	Publish     bool   // events are published (else drafts)
	KeepInSync  bool
	LastSyncAt  time.Time // zero before the first re-check
	LastResult  string
	CreatedAt   time.Time
}

const importColumns = `id, organizer_id, url, publish, keep_in_sync, coalesce(last_sync_at, 0), last_sync_result, created_at`

func scanImport(row interface{ Scan(...any) error }) (*CalendarImport, error) {
	var im CalendarImport
	var last, created int64
	if err := row.Scan(&im.ID, &im.OrganizerID, &im.URL, &im.Publish, &im.KeepInSync, &last, &im.LastResult, &created); err != nil {
		return nil, notFound(err)
	}
	if last > 0 {
		im.LastSyncAt = time.Unix(last, 0).UTC()
	}
	im.CreatedAt = time.Unix(created, 0).UTC()
	return &im, nil
}

// CreateImportTx records an import.
func (s *Store) CreateImportTx(ctx context.Context, tx *sql.Tx, im *CalendarImport) error {
	now := s.unix()
	res, err := tx.ExecContext(ctx, `INSERT INTO calendar_imports (organizer_id, url, publish, keep_in_sync, last_sync_at,
		last_sync_result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		im.OrganizerID, im.URL, im.Publish, im.KeepInSync, now, im.LastResult, now)
	if err != nil {
		return fmt.Errorf("insert import: %w", err)
	}
	im.ID, _ = res.LastInsertId()
	im.LastSyncAt = time.Unix(now, 0).UTC()
	return nil
}

// ImportedEvent links a remote VEVENT to the event it became.
type ImportedEvent struct {
	EventID int64
	Digest  string
}

// ImportedEventsTx maps the remote UIDs of an import to their events.
func (s *Store) ImportedEventsTx(ctx context.Context, tx *sql.Tx, importID int64) (map[string]ImportedEvent, error) {
	rows, err := tx.QueryContext(ctx, `SELECT remote_uid, event_id, digest FROM imported_events WHERE import_id = ?`, importID)
	if err != nil {
		return nil, fmt.Errorf("imported events: %w", err)
	}
	defer rows.Close()
	out := map[string]ImportedEvent{}
	for rows.Next() {
		var uid string
		var ie ImportedEvent
		if err := rows.Scan(&uid, &ie.EventID, &ie.Digest); err != nil {
			return nil, err
		}
		out[uid] = ie
	}
	return out, rows.Err()
}

// SetImportedEventTx records (or updates) what a remote VEVENT became.
func (s *Store) SetImportedEventTx(ctx context.Context, tx *sql.Tx, importID int64, uid string, ie ImportedEvent) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO imported_events (import_id, remote_uid, event_id, digest) VALUES (?, ?, ?, ?)
		ON CONFLICT (import_id, remote_uid) DO UPDATE SET event_id = excluded.event_id, digest = excluded.digest`,
		importID, uid, ie.EventID, ie.Digest)
	if err != nil {
		return fmt.Errorf("imported event: %w", err)
	}
	return nil
}

// EventByIDTx reads one event with its tags and links inside tx.
func (s *Store) EventByIDTx(ctx context.Context, tx *sql.Tx, id int64) (*Event, error) {
	return s.eventByIDTx(ctx, tx, id)
}

// ImportsOf lists an organizer's imports, newest first.
func (s *Store) ImportsOf(ctx context.Context, organizerID int64) ([]*CalendarImport, error) {
	return s.listImports(ctx, `SELECT `+importColumns+` FROM calendar_imports WHERE organizer_id = ? ORDER BY id DESC`, organizerID)
}

// ImportsDue lists the imports kept in sync not re-checked since before.
func (s *Store) ImportsDue(ctx context.Context, before time.Time) ([]*CalendarImport, error) {
	return s.listImports(ctx, `SELECT `+importColumns+` FROM calendar_imports
		WHERE keep_in_sync = 1 AND url != '' AND coalesce(last_sync_at, 0) < ? ORDER BY id`, before.Unix())
}

// ImportByID returns one import.
func (s *Store) ImportByID(ctx context.Context, id int64) (*CalendarImport, error) {
	return scanImport(s.db.QueryRowContext(ctx, `SELECT `+importColumns+` FROM calendar_imports WHERE id = ?`, id))
}

func (s *Store) listImports(ctx context.Context, q string, args ...any) ([]*CalendarImport, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	defer rows.Close()
	var out []*CalendarImport
	for rows.Next() {
		im, err := scanImport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

// SetImportResult records the outcome of a re-check.
func (s *Store) SetImportResult(ctx context.Context, id int64, result string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE calendar_imports SET last_sync_at = ?, last_sync_result = ? WHERE id = ?`, s.unix(), result, id)
	return err
}

// SetImportResultTx is SetImportResult inside tx, for the first import,
// whose result is known only once its events are created.
func (s *Store) SetImportResultTx(ctx context.Context, tx *sql.Tx, id int64, result string) error {
	_, err := tx.ExecContext(ctx, `UPDATE calendar_imports SET last_sync_at = ?, last_sync_result = ? WHERE id = ?`, s.unix(), result, id)
	return err
}
