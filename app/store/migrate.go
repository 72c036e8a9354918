package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations bring a database from version i+1 to i+2. Version 1 is the
// schema the first release shipped (kept in testdata/schema-v1.sql); a
// fresh database gets schema.sql and jumps straight to the last version.
// Append only: never edit a migration that has shipped.
var migrations = []func(ctx context.Context, tx *sql.Tx) error{
	migrateCertmagicTables,
	migrateMailQueue,
	migrateSyndication,
	migrateParticipations,
	migrateEventsDuration,
	migrateFederation,
	migrateGroups,
}

// migrateCertmagicTables adds the tables where TLS certificates live.
func migrateCertmagicTables(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE TABLE certmagic_data (
    key         TEXT    PRIMARY KEY,
    value       BLOB    NOT NULL,
    modified_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE certmagic_locks (
    name       TEXT    PRIMARY KEY,
    token      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;`)
	return err
}

// migrateMailQueue adds the outgoing mail queue.
func migrateMailQueue(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE TABLE mail_queue (
    id              INTEGER PRIMARY KEY,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    text_body       TEXT    NOT NULL,
    html_body       TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    failed_at       INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX mail_queue_due ON mail_queue(failed_at, next_attempt_at);`)
	return err
}

// migrateParticipations adds participations and in-app notifications.
func migrateParticipations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE TABLE participations (
    id                 INTEGER PRIMARY KEY,
    event_id           INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    actor_id           INTEGER REFERENCES actors(id) ON DELETE CASCADE,
    name               TEXT    NOT NULL DEFAULT '',
    email              TEXT,
    state              TEXT    NOT NULL
                       CHECK (state IN ('unconfirmed', 'invited', 'pending', 'confirmed', 'rejected', 'cancelled')),
    message            TEXT    NOT NULL DEFAULT '',
    confirm_token_hash TEXT    UNIQUE,
    confirm_expires_at INTEGER,
    cancel_token_hash  TEXT    UNIQUE,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CHECK ((actor_id IS NULL) <> (email IS NULL))
);
CREATE UNIQUE INDEX participations_actor ON participations(event_id, actor_id) WHERE actor_id IS NOT NULL;
CREATE UNIQUE INDEX participations_email ON participations(event_id, lower(email)) WHERE email IS NOT NULL;
CREATE INDEX participations_event_state ON participations(event_id, state);
CREATE INDEX participations_by_actor ON participations(actor_id);

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    actor_id   INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    event_id   INTEGER REFERENCES events(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('message', 'accepted', 'rejected', 'invited')),
    body       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX notifications_actor ON notifications(actor_id, created_at);
`)
	return err
}

// migrateEventsDuration indexes events' durations so that upcoming lists
// know at once how far back a still-running event may have started.
func migrateEventsDuration(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `CREATE INDEX events_duration ON events(ends_at - starts_at);`)
	return err
}

// migrateFederation adds remote actors' keys, follows, the delivery queue,
// the inbox queue and remote objects.
func migrateFederation(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE TABLE remote_actors (
    actor_id      INTEGER PRIMARY KEY REFERENCES actors(id) ON DELETE CASCADE,
    key_id        TEXT    NOT NULL DEFAULT '',
    url           TEXT    NOT NULL DEFAULT '',
    followers_url TEXT    NOT NULL DEFAULT '',
    fetched_at    INTEGER NOT NULL
);
CREATE INDEX remote_actors_key ON remote_actors(key_id);

CREATE TABLE follows (
    id           INTEGER PRIMARY KEY,
    follower_id  INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    followed_id  INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    activity_uri TEXT    NOT NULL UNIQUE,
    state        TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted')),
    created_at   INTEGER NOT NULL,
    accepted_at  INTEGER,
    UNIQUE (follower_id, followed_id)
);
CREATE INDEX follows_followed ON follows(followed_id, state);

CREATE TABLE outgoing_activities (
    id         INTEGER PRIMARY KEY,
    uri        TEXT    NOT NULL UNIQUE,
    actor_id   INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    activity_id     INTEGER NOT NULL REFERENCES outgoing_activities(id) ON DELETE CASCADE,
    inbox_url       TEXT    NOT NULL,
    host            TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    failed_at       INTEGER,
    created_at      INTEGER NOT NULL,
    UNIQUE (activity_id, inbox_url)
);
CREATE INDEX deliveries_due ON deliveries(failed_at, next_attempt_at);

CREATE TABLE inbox_activities (
    id              INTEGER PRIMARY KEY,
    uri             TEXT    NOT NULL UNIQUE,
    actor_uri       TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    received_at     INTEGER NOT NULL,
    processed_at    INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX inbox_activities_due ON inbox_activities(processed_at, next_attempt_at);

CREATE TABLE remote_objects (
    id          INTEGER PRIMARY KEY,
    uri         TEXT    NOT NULL UNIQUE,
    type        TEXT    NOT NULL,
    actor_id    INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    in_reply_to TEXT    NOT NULL DEFAULT '',
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX remote_objects_actor ON remote_objects(actor_id);`)
	return err
}

// SchemaVersion is the version schema.sql describes.
func SchemaVersion() int { return len(migrations) + 1 }

func (s *Store) migrate(ctx context.Context, schema string) error {
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > SchemaVersion() {
		return fmt.Errorf("the database is at schema version %d, newer than this program (%d): run a newer convene", version, SchemaVersion())
	}
	if version == 0 {
		return s.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, schema); err != nil {
				return fmt.Errorf("apply schema: %w", err)
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion()))
			return err
		})
	}
	for v := version; v < SchemaVersion(); v++ {
		err := s.Tx(ctx, func(tx *sql.Tx) error {
			if err := migrations[v-1](ctx, tx); err != nil {
				return fmt.Errorf("migrate to version %d: %w", v+1, err)
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
