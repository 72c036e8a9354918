package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrateSyndication adds what calendars, feeds, recurring events and
// imports need: series of events, private calendar tokens and imports.
func migrateSyndication(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE TABLE series (
    id              INTEGER PRIMARY KEY,
    uuid            TEXT    NOT NULL UNIQUE,
    organizer_id    INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    rule            TEXT    NOT NULL,
    first_start     TEXT    NOT NULL, -- local wall clock, 2006-01-02T15:04:05
    duration        INTEGER NOT NULL, -- seconds
    timezone        TEXT    NOT NULL,
    generated_until INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
ALTER TABLE events ADD COLUMN
    series_id               INTEGER REFERENCES series(id) ON DELETE SET NULL;
CREATE INDEX events_series ON events(series_id, starts_at);
CREATE TABLE calendar_tokens (
    identity_id INTEGER PRIMARY KEY REFERENCES actors(id) ON DELETE CASCADE,
    token_hash  TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);
CREATE TABLE calendar_imports (
    id               INTEGER PRIMARY KEY,
    organizer_id     INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    url              TEXT    NOT NULL DEFAULT '',
    publish          INTEGER NOT NULL DEFAULT 0,
    keep_in_sync     INTEGER NOT NULL DEFAULT 0,
    last_sync_at     INTEGER,
    last_sync_result TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL
);
CREATE INDEX calendar_imports_organizer ON calendar_imports(organizer_id);
CREATE TABLE imported_events (
    import_id  INTEGER NOT NULL REFERENCES calendar_imports(id) ON DELETE CASCADE,
    remote_uid TEXT    NOT NULL, -- UID, plus RECURRENCE-ID for one occurrence
    event_id   INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    digest     TEXT    NOT NULL, -- of what was imported, to skip unchanged ones
    PRIMARY KEY (import_id, remote_uid)
) WITHOUT ROWID;
CREATE INDEX imported_events_event ON imported_events(event_id);`)
	if err != nil {
		return fmt.Errorf("syndication tables: %w", err)
	}
	return nil
}

// migrateFeedIndex lets a feed read its latest published events from an
// index instead of sorting every listed event.
func migrateFeedIndex(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `CREATE INDEX events_published ON events(visibility, draft, published_at, updated_at);`)
	return err
}
