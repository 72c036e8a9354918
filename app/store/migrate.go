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
	migrateModeration,
	migrateFeedIndex,
	migrateFederationInteractions,
	migrateSpamDefaults,
	migrateProbation,
	migrateGroupSyncs,
	migrateMessageSources,
	migrateTombstonePublished,
	migrateRemotePictures,
	migratePeerServers,
	migrateMediaThumbnails,
	migrateAccountSelfService,
	migrateSuspensionHiddenEvents,
	migrateWaitingSeen,
	migrateNotificationPrefs,
	migrateParticipationReminders,
	migrateMaps,
	migrateParticipantListing,
	migratePlaces,
	migratePendingUploads,
	migrateAccountDeletion,
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

// migrateModeration adds the federation policy, followed sources and
// their remote events, tombstones, suspensions, rules, reports and the
// moderation log.
func migrateModeration(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `-- Federation policy: one row per (domain, kind). A domain covers its
-- subdomains; the longest matching suffix wins (app/policy.go decides).
CREATE TABLE domain_policies (
    domain          TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('block', 'allow')),
    severity        TEXT    NOT NULL DEFAULT 'suspend' CHECK (severity IN ('silence', 'suspend')),
    reject_media    INTEGER NOT NULL DEFAULT 0,
    reject_reports  INTEGER NOT NULL DEFAULT 0,
    public_comment  TEXT    NOT NULL DEFAULT '',
    private_comment TEXT    NOT NULL DEFAULT '',
    obfuscate       INTEGER NOT NULL DEFAULT 0,
    origin          TEXT    NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual', 'import', 'subscription')),
    created_by      INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (domain, kind)
) WITHOUT ROWID;

-- Remote actors the instance follows for their events (Mobilizon relays,
-- groups, Gancio instances, other Convene instances or identities,
-- Mastodon accounts). The Follow itself is a follows row of the instance
-- actor; this says what kind of source it is and whether its events are
-- shown on the public calendar.
CREATE TABLE follow_sources (
    actor_id          INTEGER PRIMARY KEY REFERENCES actors(id) ON DELETE CASCADE,
    kind              TEXT    NOT NULL CHECK (kind IN ('instance', 'group', 'person', 'account')),
    state             TEXT    NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'accepted', 'rejected', 'cancelled')),
    follow_uri        TEXT    NOT NULL,
    display           INTEGER NOT NULL DEFAULT 1,
    created_by        INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    created_at        INTEGER NOT NULL,
    accepted_at       INTEGER,
    last_refreshed_at INTEGER
);

-- What we know of an event published elsewhere, beside its events row
-- (which has uri set and a remote organiser): where to see it, the
-- audience it was sent to, the origin's last update, the raw JSON.
CREATE TABLE remote_events (
    event_id       INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    url            TEXT    NOT NULL DEFAULT '',
    origin_domain  TEXT    NOT NULL,
    public_in_to   INTEGER NOT NULL DEFAULT 0,
    remote_join    TEXT    NOT NULL DEFAULT '',
    remote_updated INTEGER NOT NULL DEFAULT 0,
    fetched_at     INTEGER NOT NULL,
    hidden         INTEGER NOT NULL DEFAULT 0,
    raw            TEXT    NOT NULL
);
CREATE INDEX remote_events_domain ON remote_events(origin_domain);

-- Which followed source brought a remote event (Mobilizon's Share).
CREATE TABLE event_sources (
    event_id  INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    source_id INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    via       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (event_id, source_id)
) WITHOUT ROWID;
CREATE INDEX event_sources_source ON event_sources(source_id);

-- Remote objects deleted at their origin or by moderation: never taken in
-- again.
CREATE TABLE tombstones (
    uri        TEXT    PRIMARY KEY,
    domain     TEXT    NOT NULL,
    deleted_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Remote actors suspended by a moderator, by id (the actors row goes).
CREATE TABLE suspended_actors (
    uri          TEXT    PRIMARY KEY,
    suspended_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Local accounts suspended by a moderator: they cannot log in.
CREATE TABLE account_suspensions (
    account_id   INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    suspended_at INTEGER NOT NULL
);

-- The instance's rules, in order (shown on /about, chosen in reports).
CREATE TABLE instance_rules (
    id       INTEGER PRIMARY KEY,
    position INTEGER NOT NULL,
    text     TEXT    NOT NULL,
    hint     TEXT    NOT NULL DEFAULT ''
);

-- Reports of events and identities, made here or received as Flags.
-- target_key names what is reported (an event's or else an actor's id),
-- so that admins are emailed once while a report on it is open.
CREATE TABLE reports (
    id                  INTEGER PRIMARY KEY,
    uri                 TEXT    UNIQUE,
    local               INTEGER NOT NULL,
    reporter_account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    reporter_actor      TEXT    NOT NULL DEFAULT '',
    target_actor_id     INTEGER REFERENCES actors(id) ON DELETE SET NULL,
    target_actor_uri    TEXT    NOT NULL DEFAULT '',
    target_event_id     INTEGER REFERENCES events(id) ON DELETE SET NULL,
    target_event_uri    TEXT    NOT NULL DEFAULT '',
    target_title        TEXT    NOT NULL DEFAULT '',
    target_key          TEXT    NOT NULL,
    comment             TEXT    NOT NULL DEFAULT '',
    category            TEXT    NOT NULL CHECK (category IN ('spam', 'legal', 'violation', 'other')),
    rule_ids            TEXT    NOT NULL DEFAULT '',
    forward             INTEGER NOT NULL DEFAULT 0,
    forwarded_to        TEXT    NOT NULL DEFAULT '',
    status              TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'closed')),
    handled_by          INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX reports_status ON reports(status, created_at);
CREATE INDEX reports_target ON reports(target_key, status);

CREATE TABLE report_notes (
    id         INTEGER PRIMARY KEY,
    report_id  INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    author_id  INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX report_notes_report ON report_notes(report_id);

-- Every moderation action, one row each. Append-only: the triggers refuse
-- changes, and the moderator's name is copied so the row outlives them.
CREATE TABLE moderation_log (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    moderator_id INTEGER,
    moderator    TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    target_type  TEXT    NOT NULL,
    target_id    TEXT    NOT NULL,
    report_id    INTEGER,
    snapshot     TEXT    NOT NULL DEFAULT '{}'
);
CREATE TRIGGER moderation_log_no_update BEFORE UPDATE ON moderation_log
BEGIN SELECT RAISE(ABORT, 'the moderation log is append-only'); END;
CREATE TRIGGER moderation_log_no_delete BEFORE DELETE ON moderation_log
BEGIN SELECT RAISE(ABORT, 'the moderation log is append-only'); END;`)
	return err
}

// migrateFederationInteractions adds comments, likes and announces of our
// events, and the Join activities of federated participations.
func migrateFederationInteractions(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE TABLE comments (
    id           INTEGER PRIMARY KEY,
    uuid         TEXT    NOT NULL UNIQUE,
    uri          TEXT    UNIQUE,
    event_id     INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    author_id    INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    in_reply_to  INTEGER REFERENCES comments(id) ON DELETE SET NULL,
    content_html TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'visible' CHECK (state IN ('visible', 'held', 'rejected')),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX comments_event ON comments(event_id, state, created_at);
CREATE INDEX comments_author ON comments(author_id);

CREATE TABLE event_reactions (
    event_id     INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    actor_id     INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('like', 'announce')),
    activity_uri TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (event_id, actor_id, kind)
) WITHOUT ROWID;
CREATE INDEX event_reactions_actor ON event_reactions(actor_id);

CREATE TABLE federated_joins (
    participation_id INTEGER PRIMARY KEY REFERENCES participations(id) ON DELETE CASCADE,
    activity_uri     TEXT    NOT NULL UNIQUE
);`)
	return err
}

// migrateSpamDefaults adds the approval queue of new accounts, the
// administrators' last logins and the events held for review.
func migrateSpamDefaults(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `-- Accounts created while registrations need approval: they cannot log in
-- until an administrator approves them (or refuses, deleting the account).
CREATE TABLE account_approvals (
    account_id   INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    requested_at INTEGER NOT NULL
);

-- When each administrator last logged in: with the moderation log, the
-- moderators' activity that keeps open registrations open.
CREATE TABLE admin_logins (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    last_login_at INTEGER NOT NULL
);

-- A new account's first published events, waiting for a moderator before
-- they are listed or federated.
CREATE TABLE held_events (
    event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    held_at  INTEGER NOT NULL
);`)
	return err
}

// migrateProbation adds the accounts whose first events are held.
func migrateProbation(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `-- Accounts that signed up by themselves: their first events_left events
-- are held for a moderator's review before they are listed.
CREATE TABLE probation_accounts (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    events_left INTEGER NOT NULL
);`)
	return err
}

// migrateGroupSyncs adds the remote groups waiting to be read again.
func migrateGroupSyncs(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `-- Remote groups to read again soon: after someone here accepts an
-- invitation, until the group lets them read (tries counts the attempts).
CREATE TABLE group_syncs (
    group_id INTEGER PRIMARY KEY REFERENCES actors(id) ON DELETE CASCADE,
    due_at   INTEGER NOT NULL,
    tries    INTEGER NOT NULL DEFAULT 0
);`)
	return err
}

// migrateMessageSources keeps what a local author typed, so that they can
// edit their discussion messages, and when a message was edited.
func migrateMessageSources(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
ALTER TABLE discussion_messages ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE discussion_messages ADD COLUMN edited_at INTEGER;`)
	return err
}

// migrateTombstonePublished remembers when a deleted remote event was
// published, to tell an origin's new event reusing its id (Gancio on
// SQLite) from the deleted one coming back.
func migrateTombstonePublished(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `ALTER TABLE tombstones ADD COLUMN object_published INTEGER NOT NULL DEFAULT 0;`)
	return err
}

// migrateRemotePictures adds our copies of remote events' pictures.
func migrateRemotePictures(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `-- The picture a remote event's origin names, and our copy of it (media):
-- pages show only the copy. A copy goes when its row goes (the event's
-- deletion cascades here) or when the origin names another picture.
CREATE TABLE remote_pictures (
    event_id   INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    url        TEXT    NOT NULL,
    media_id   INTEGER REFERENCES media(id) ON DELETE SET NULL,
    tries      INTEGER NOT NULL DEFAULT 0,
    due_at     INTEGER,
    last_error TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX remote_pictures_due ON remote_pictures(due_at);
CREATE TRIGGER remote_pictures_drop_copy AFTER DELETE ON remote_pictures
WHEN OLD.media_id IS NOT NULL BEGIN
    DELETE FROM media WHERE id = OLD.media_id;
END;
CREATE TRIGGER remote_pictures_replace_copy AFTER UPDATE OF media_id ON remote_pictures
WHEN OLD.media_id IS NOT NULL AND OLD.media_id IS NOT NEW.media_id BEGIN
    DELETE FROM media WHERE id = OLD.media_id;
END;`)
	return err
}

// migratePeerServers remembers what software other servers run, to keep
// unlisted events from those that show everything they receive.
func migratePeerServers(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE TABLE peer_servers (
    host             TEXT    PRIMARY KEY,
    software         TEXT    NOT NULL DEFAULT '',
    ignores_audience INTEGER NOT NULL DEFAULT 0,
    checked_at       INTEGER NOT NULL
) WITHOUT ROWID;`)
	return err
}

// migrateMediaThumbnails adds the smaller copies of pictures. Pictures
// stored before get theirs the first time one is asked for.
func migrateMediaThumbnails(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE TABLE media_thumbnails (
    media_id     INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    data         BLOB    NOT NULL,
    PRIMARY KEY (media_id, width)
);`)
	return err
}

// migrateAccountSelfService lets people see their sessions and change
// their email, and administrators see when an account was last active.
func migrateAccountSelfService(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
ALTER TABLE accounts ADD COLUMN last_seen_at INTEGER;
ALTER TABLE sessions ADD COLUMN device TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
-- A change of an account's email waiting for the link sent to the new
-- address. Only the link's hash is kept.
CREATE TABLE email_changes (
    token_hash TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    new_email  TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX email_changes_account ON email_changes(account_id);`)
	return err
}

// migrateSuspensionHiddenEvents remembers which events a suspension took
// off, so that unsuspending puts back exactly those.
func migrateSuspensionHiddenEvents(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE TABLE suspension_hidden_events (
    event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE
);`)
	return err
}

// migrateWaitingSeen remembers when each account last looked at what
// waits for it, so that news it has seen stop counting in the badge.
func migrateWaitingSeen(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `ALTER TABLE accounts ADD COLUMN waiting_seen_at INTEGER NOT NULL DEFAULT 0;`)
	return err
}

// migrateNotificationPrefs adds how identities want to be emailed about
// what waits for them.
func migrateNotificationPrefs(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE TABLE notification_prefs (
    identity_id  INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,
    mode         TEXT    NOT NULL CHECK (mode IN ('now', 'digest')),
    mailed_until INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (identity_id, kind)
) WITHOUT ROWID;
CREATE INDEX notification_prefs_mode ON notification_prefs(mode);`)
	return err
}

// migrateParticipationReminders adds reminders before events.
func migrateParticipationReminders(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE TABLE participation_reminders (
    participation_id  INTEGER PRIMARY KEY REFERENCES participations(id) ON DELETE CASCADE,
    choice            TEXT    NOT NULL DEFAULT 'day' CHECK (choice IN ('none', 'day', 'hour')),
    sent_at           INTEGER,
    cancel_token_hash TEXT    UNIQUE
);`)
	return err
}

// migrateMaps adds the geocoder's answers, kept so that an address is
// asked once (app/geocode), and the index of events' positions for
// "near" searches.
func migrateMaps(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE TABLE geocode_cache (
    query      TEXT    PRIMARY KEY,
    places     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX events_position ON events(latitude, longitude);`)
	return err
}

// migrateParticipantListing keeps the name of a visitor who stays
// anonymous (organisers still need it) and records the choice apart, so
// the public list of participants can leave them out.
func migrateParticipantListing(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `ALTER TABLE participations ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 0;`)
	return err
}

// migratePlaces adds the venues events were held at, one per name and
// town, and each event's place.
func migratePlaces(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE TABLE places (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    name_key     TEXT    NOT NULL, -- lower case, no accents: one place however it is spelt
    street       TEXT    NOT NULL DEFAULT '',
    postal_code  TEXT    NOT NULL DEFAULT '',
    locality     TEXT    NOT NULL DEFAULT '',
    locality_key TEXT    NOT NULL DEFAULT '',
    region       TEXT    NOT NULL DEFAULT '',
    country      TEXT    NOT NULL DEFAULT '',
    latitude     REAL,
    longitude    REAL,
    created_by   INTEGER REFERENCES actors(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (name_key, locality_key)
);
ALTER TABLE events ADD COLUMN place_id INTEGER REFERENCES places(id) ON DELETE SET NULL;
CREATE INDEX events_place ON events(place_id, starts_at);`)
	return err
}

// migratePendingUploads adds the pictures kept from a form sent with
// errors, until the form is sent again (or they expire).
func migratePendingUploads(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, pendingUploadsSQL)
	return err
}

const pendingUploadsSQL = `
CREATE TABLE pending_uploads (
    token_hash TEXT    PRIMARY KEY,
    media_id   INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    actor_id   INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX pending_uploads_created ON pending_uploads(created_at);
CREATE INDEX pending_uploads_actor ON pending_uploads(actor_id);`

// migrateAccountDeletion keeps what a deleted identity leaves: a
// tombstone of its address, and the key its last activities are signed
// with.
func migrateAccountDeletion(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
ALTER TABLE outgoing_activities ADD COLUMN signer_key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE outgoing_activities ADD COLUMN signer_key_pem TEXT NOT NULL DEFAULT '';
CREATE TABLE deleted_actors (
    username   TEXT    PRIMARY KEY,
    uri        TEXT    NOT NULL,
    deleted_at INTEGER NOT NULL
) WITHOUT ROWID;`)
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
