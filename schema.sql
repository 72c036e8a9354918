-- Convene's whole current schema. A fresh database gets exactly this; an
-- older one is brought here by the ordered migrations in app/store/migrate.go,
-- and a test checks that both roads end at the same sqlite_master.
--
-- Times are Unix seconds (UTC) in INTEGER columns; an event's own IANA zone
-- sits beside its times so it is shown the way its organiser wrote it.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT    NOT NULL DEFAULT '',
    is_admin      INTEGER NOT NULL DEFAULT 0,
    locale        TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
, last_seen_at INTEGER, waiting_seen_at INTEGER NOT NULL DEFAULT 0);
-- last_seen_at (when the account last used the site, to the quarter hour,
-- for the administrators' Users page) and waiting_seen_at (when it last
-- looked at "Waiting for you") were added by ALTER TABLE, written the way
-- SQLite records it.

-- Uploaded pictures live in the database so that one file is the whole
-- instance (and one backup is all of it). Every row was re-encoded by us.
CREATE TABLE media (
    id           INTEGER PRIMARY KEY,
    uuid         TEXT    NOT NULL UNIQUE,
    content_type TEXT    NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    data         BLOB    NOT NULL,
    created_at   INTEGER NOT NULL
);

-- Smaller copies of each picture, for lists (widths 400, 800 and 1600,
-- only those narrower than the picture: never scaled up). They go with it.
CREATE TABLE media_thumbnails (
    media_id     INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    data         BLOB    NOT NULL,
    PRIMARY KEY (media_id, width)
);

-- Every actor: local identities (account_id set, domain ''), and, as
-- federation lands, remote people, groups and instance actors (domain set,
-- uri set). Local and remote share one table so that an organiser, a
-- follower or a participant is always an actors row.
CREATE TABLE actors (
    id                INTEGER PRIMARY KEY,
    kind              TEXT    NOT NULL DEFAULT 'person'
                      CHECK (kind IN ('person', 'group', 'application')),
    username          TEXT    NOT NULL,
    domain            TEXT    NOT NULL DEFAULT '',
    account_id        INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    display_name      TEXT    NOT NULL DEFAULT '',
    bio               TEXT    NOT NULL DEFAULT '',
    avatar_id         INTEGER REFERENCES media(id) ON DELETE SET NULL,
    uri               TEXT    UNIQUE,
    inbox_url         TEXT    NOT NULL DEFAULT '',
    shared_inbox_url  TEXT    NOT NULL DEFAULT '',
    public_key_pem    TEXT    NOT NULL DEFAULT '',
    private_key_pem   TEXT    NOT NULL DEFAULT '',
    manually_approves INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (username, domain)
);
CREATE INDEX actors_account ON actors(account_id);

CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    identity_id INTEGER REFERENCES actors(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
, device TEXT NOT NULL DEFAULT '', last_seen_at INTEGER NOT NULL DEFAULT 0);
-- device ("Firefox on Android", never the whole User-Agent) and
-- last_seen_at (to the quarter hour) let people see and end their
-- sessions; added by ALTER TABLE, written the way SQLite records it.
CREATE INDEX sessions_account ON sessions(account_id);

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
CREATE INDEX email_changes_account ON email_changes(account_id);

-- One-time secrets sent by link: the owner's first-run link, "set your
-- password" links, invitations. Only a hash is kept.
CREATE TABLE tokens (
    token_hash TEXT    PRIMARY KEY,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('setup', 'password', 'invite')),
    account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    created_at INTEGER NOT NULL
);

CREATE TABLE events (
    id                      INTEGER PRIMARY KEY,
    uuid                    TEXT    NOT NULL UNIQUE,
    uri                     TEXT    UNIQUE,
    organizer_id            INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    title                   TEXT    NOT NULL,
    description_md          TEXT    NOT NULL DEFAULT '',
    description_html        TEXT    NOT NULL DEFAULT '',
    starts_at               INTEGER NOT NULL,
    ends_at                 INTEGER NOT NULL,
    timezone                TEXT    NOT NULL,
    venue                   TEXT    NOT NULL DEFAULT '',
    street                  TEXT    NOT NULL DEFAULT '',
    postal_code             TEXT    NOT NULL DEFAULT '',
    locality                TEXT    NOT NULL DEFAULT '',
    region                  TEXT    NOT NULL DEFAULT '',
    country                 TEXT    NOT NULL DEFAULT '',
    latitude                REAL,
    longitude               REAL,
    online_url              TEXT    NOT NULL DEFAULT '',
    category                TEXT    NOT NULL DEFAULT 'other',
    banner_id               INTEGER REFERENCES media(id) ON DELETE SET NULL,
    status                  TEXT    NOT NULL DEFAULT 'confirmed'
                            CHECK (status IN ('tentative', 'confirmed', 'cancelled')),
    visibility              TEXT    NOT NULL DEFAULT 'public'
                            CHECK (visibility IN ('public', 'unlisted', 'private')),
    draft                   INTEGER NOT NULL DEFAULT 0,
    join_mode               TEXT    NOT NULL DEFAULT 'free'
                            CHECK (join_mode IN ('free', 'approval', 'invite', 'external')),
    external_url            TEXT    NOT NULL DEFAULT '',
    capacity                INTEGER NOT NULL DEFAULT 0, -- 0: no limit
    participation_message   TEXT    NOT NULL DEFAULT '',
    comment_moderation      TEXT    NOT NULL DEFAULT 'allow_all'
                            CHECK (comment_moderation IN ('allow_all', 'moderated', 'closed')),
    anonymous_participation INTEGER NOT NULL DEFAULT 1,
    language                TEXT    NOT NULL DEFAULT '',
    sequence                INTEGER NOT NULL DEFAULT 0,
    published_at            INTEGER, -- NULL while a draft; in the future when scheduled
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
    , series_id             INTEGER REFERENCES series(id) ON DELETE SET NULL, attributed_to_id INTEGER REFERENCES actors(id) ON DELETE SET NULL, place_id INTEGER REFERENCES places(id) ON DELETE SET NULL);
-- series_id (the recurring series an occurrence belongs to) and
-- attributed_to_id (the group an event is organised for) and place_id (its
-- venue, places below) were added by
-- ALTER TABLE, so they are written the way SQLite records an added column.
CREATE INDEX events_listed ON events(visibility, draft, starts_at);
CREATE INDEX events_organizer ON events(organizer_id, starts_at);
CREATE INDEX events_category ON events(category, starts_at);
CREATE INDEX events_series ON events(series_id, starts_at);
CREATE INDEX events_attributed_to ON events(attributed_to_id, starts_at);
-- Feeds list the latest published events first, and tell whether
-- anything changed from this index alone (it covers updated_at).
CREATE INDEX events_published ON events(visibility, draft, published_at, updated_at);
-- The longest duration of any event, read at once by lists of upcoming
-- events to bound their scan of events_listed (see store.notEndedSQL).
CREATE INDEX events_duration ON events(ends_at - starts_at);
-- "Near" searches look in a latitude/longitude box first (app/geo).
CREATE INDEX events_position ON events(latitude, longitude);
CREATE INDEX events_place ON events(place_id, starts_at);

CREATE TABLE event_tags (
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    tag      TEXT    NOT NULL,
    PRIMARY KEY (event_id, tag)
) WITHOUT ROWID;
CREATE INDEX event_tags_tag ON event_tags(tag, event_id);

-- Typed links to the tools an event uses (pad, video room, stream, ...).
CREATE TABLE event_links (
    id       INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    kind     TEXT    NOT NULL CHECK (kind IN ('pad', 'video', 'stream', 'poll', 'tickets', 'other')),
    title    TEXT    NOT NULL DEFAULT '',
    url      TEXT    NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX event_links_event ON event_links(event_id, position);

-- Full-text index of events, kept by the store in the same transaction as
-- the event row (rowid = events.id).
CREATE VIRTUAL TABLE events_fts USING fts5(
    title, description, place, tags,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- TLS certificates, their keys and the ACME account, kept by certmagic
-- through app/store/certmagic.go so that the database is the whole
-- instance. Keys are slash-separated paths; times are Unix nanoseconds.
CREATE TABLE certmagic_data (
    key         TEXT    PRIMARY KEY,
    value       BLOB    NOT NULL,
    modified_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Locks held while ordering or renewing a certificate; they expire so a
-- crashed holder blocks no one for long.
CREATE TABLE certmagic_locks (
    name       TEXT    PRIMARY KEY,
    token      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Outgoing email, queued in the same transaction as the change it tells
-- about and sent by a background worker, so a slow or absent mail server
-- never blocks a page and a crash loses nothing. A row is deleted once
-- sent (its body may carry one-time links); failed_at marks one given up.
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
CREATE INDEX mail_queue_due ON mail_queue(failed_at, next_attempt_at);

-- A recurring event: its rule (an RFC 5545 RRULE) read in its zone from
-- the wall-clock start of its first occurrence, so a 19:00 class stays at
-- 19:00 across daylight-saving changes. Occurrences are real events
-- (events.series_id), created ahead up to generated_until.
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

-- The secret of each identity's private "events I'm going to" calendar.
-- Only a hash is kept; regenerating replaces it, so the old link dies.
CREATE TABLE calendar_tokens (
    identity_id INTEGER PRIMARY KEY REFERENCES actors(id) ON DELETE CASCADE,
    token_hash  TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

-- Calendars imported from an .ics file or URL; a URL one may be kept in
-- sync by a periodic re-check.
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

-- Which event an imported VEVENT became, so a re-sync updates it rather
-- than creating it again, and cancels it when it disappears.
CREATE TABLE imported_events (
    import_id  INTEGER NOT NULL REFERENCES calendar_imports(id) ON DELETE CASCADE,
    remote_uid TEXT    NOT NULL, -- UID, plus RECURRENCE-ID for one occurrence
    event_id   INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    digest     TEXT    NOT NULL, -- of what was imported, to skip unchanged ones
    PRIMARY KEY (import_id, remote_uid)
) WITHOUT ROWID;
CREATE INDEX imported_events_event ON imported_events(event_id);

-- Who is coming to an event: a local (or, later, remote) identity, or a
-- visitor without an account known by a name and an email. A visitor's
-- email is shown to the event's organisers only; their links (confirm,
-- cancel) are kept as hashes. Only 'confirmed' rows count as coming.
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
    anonymous          INTEGER NOT NULL DEFAULT 0,
    CHECK ((actor_id IS NULL) <> (email IS NULL))
);
CREATE UNIQUE INDEX participations_actor ON participations(event_id, actor_id) WHERE actor_id IS NOT NULL;
CREATE UNIQUE INDEX participations_email ON participations(event_id, lower(email)) WHERE email IS NOT NULL;
CREATE INDEX participations_event_state ON participations(event_id, state);
CREATE INDEX participations_by_actor ON participations(actor_id);

-- What an identity is told in the app: an organiser's message, a decision
-- on a participation, an invitation. Shown on "My events".
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    actor_id   INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    event_id   INTEGER REFERENCES events(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('message', 'accepted', 'rejected', 'invited')),
    body       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX notifications_actor ON notifications(actor_id, created_at);

-- Federation. What we know of a remote actor beyond its actors row: the id
-- of the key it signs with, its profile page and collections, and when we
-- last fetched it (a key is refetched once when a signature fails).
CREATE TABLE remote_actors (
    actor_id      INTEGER PRIMARY KEY REFERENCES actors(id) ON DELETE CASCADE,
    key_id        TEXT    NOT NULL DEFAULT '',
    url           TEXT    NOT NULL DEFAULT '',
    followers_url TEXT    NOT NULL DEFAULT '',
    fetched_at    INTEGER NOT NULL
);
CREATE INDEX remote_actors_key ON remote_actors(key_id);

-- Who follows whom, both ways: remote followers of local identities and
-- local identities following remote actors. activity_uri is the Follow's
-- id, which an Accept, a Reject or an Undo names.
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

-- Activities we send, written in the same transaction as the change they
-- announce; one body, however many inboxes it goes to.
CREATE TABLE outgoing_activities (
    id         INTEGER PRIMARY KEY,
    uri        TEXT    NOT NULL UNIQUE,
    actor_id   INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
, signer_key_id TEXT NOT NULL DEFAULT '', signer_key_pem TEXT NOT NULL DEFAULT '');
-- signer_key_id and signer_key_pem (added by ALTER TABLE, written the way
-- SQLite records it) sign an activity whose actor was deleted since it
-- was queued (its Delete, above all): the row then belongs to the
-- instance actor, and the key leaves with the last delivery.

-- One row per (activity, inbox): a server's shared inbox once for all its
-- followers. A row is deleted once delivered; failed_at marks one given up.
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

-- Verified incoming activities, processed after the 202 by a worker. The
-- row stays (body emptied) once processed so a replay is recognised.
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

-- Objects remote actors published (events of the people we follow, replies
-- to our events), kept as the JSON their origin vouched for.
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
CREATE INDEX remote_objects_actor ON remote_objects(actor_id);

-- Groups. A group is an actors row (kind 'group': one namespace with
-- identities); this holds what only groups have. Remote groups get a row
-- too, with what their actor document said, so their members here know
-- how to join them.
CREATE TABLE groups (
    actor_id    INTEGER PRIMARY KEY REFERENCES actors(id) ON DELETE CASCADE,
    banner_id   INTEGER REFERENCES media(id) ON DELETE SET NULL,
    visibility  TEXT    NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'unlisted')),
    openness    TEXT    NOT NULL DEFAULT 'moderated' CHECK (openness IN ('open', 'moderated', 'invite_only')),
    venue       TEXT    NOT NULL DEFAULT '',
    street      TEXT    NOT NULL DEFAULT '',
    postal_code TEXT    NOT NULL DEFAULT '',
    locality    TEXT    NOT NULL DEFAULT '',
    region      TEXT    NOT NULL DEFAULT '',
    country     TEXT    NOT NULL DEFAULT '',
    latitude    REAL,
    longitude   REAL,
    members_url TEXT    NOT NULL DEFAULT '', -- remote groups: their members collection
    created_at  INTEGER NOT NULL
);

-- Who belongs to a group, and how. 'invited' and 'pending' are not members
-- yet. uri is the membership's id on the wire (the Join's or the Invite's
-- id, Mobilizon's way); notify is how the member hears of new discussions.
CREATE TABLE group_members (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    actor_id    INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    role        TEXT    NOT NULL CHECK (role IN ('invited', 'pending', 'member', 'moderator', 'administrator')),
    uri         TEXT    NOT NULL UNIQUE,
    invited_by  INTEGER REFERENCES actors(id) ON DELETE SET NULL,
    message     TEXT    NOT NULL DEFAULT '',
    notify      TEXT    NOT NULL DEFAULT 'each' CHECK (notify IN ('each', 'digest', 'off')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (group_id, actor_id)
);
CREATE INDEX group_members_actor ON group_members(actor_id);
CREATE INDEX group_members_role ON group_members(group_id, role);

-- Remote groups to read again soon: after someone here accepts an
-- invitation, until the group lets them read (tries counts the attempts).
CREATE TABLE group_syncs (
    group_id INTEGER PRIMARY KEY REFERENCES actors(id) ON DELETE CASCADE,
    due_at   INTEGER NOT NULL,
    tries    INTEGER NOT NULL DEFAULT 0
);

-- What happened to a group's membership, for its administrators.
CREATE TABLE group_log (
    id         INTEGER PRIMARY KEY,
    group_id   INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    actor_id   INTEGER REFERENCES actors(id) ON DELETE SET NULL, -- who acted
    subject_id INTEGER REFERENCES actors(id) ON DELETE SET NULL, -- whom it was about
    action     TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX group_log_group ON group_log(group_id, id);

-- What a local identity is told about its groups, in the app; digest rows
-- wait for the daily email (mailed_at set once sent).
CREATE TABLE group_notifications (
    id         INTEGER PRIMARY KEY,
    actor_id   INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    group_id   INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    body       TEXT    NOT NULL,
    link       TEXT    NOT NULL DEFAULT '',
    digest     INTEGER NOT NULL DEFAULT 0,
    mailed_at  INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX group_notifications_actor ON group_notifications(actor_id, id);
CREATE INDEX group_notifications_digest ON group_notifications(digest, mailed_at);

-- Discussions: titled, flat threads only members read. Remote ones (from
-- a remote group we have members in, or started elsewhere in one of ours)
-- keep their ids in uri.
CREATE TABLE discussions (
    id              INTEGER PRIMARY KEY,
    slug            TEXT    NOT NULL UNIQUE,
    uri             TEXT    UNIQUE,
    group_id        INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    author_id       INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    title           TEXT    NOT NULL,
    last_message_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX discussions_group ON discussions(group_id, last_message_at);

CREATE TABLE discussion_messages (
    id            INTEGER PRIMARY KEY,
    discussion_id INTEGER NOT NULL REFERENCES discussions(id) ON DELETE CASCADE,
    uri           TEXT    UNIQUE,
    author_id     INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    body_html     TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
    , source TEXT NOT NULL DEFAULT '', edited_at INTEGER);
-- source (the Markdown a local author typed, to edit it again) and
-- edited_at were added by ALTER TABLE, written the way SQLite records it.
CREATE INDEX discussion_messages_discussion ON discussion_messages(discussion_id, id);

-- Posts: a group's announcements, written by its moderators.
CREATE TABLE group_posts (
    id           INTEGER PRIMARY KEY,
    slug         TEXT    NOT NULL UNIQUE,
    uri          TEXT    UNIQUE,
    group_id     INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    author_id    INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    title        TEXT    NOT NULL,
    body_md      TEXT    NOT NULL DEFAULT '',
    body_html    TEXT    NOT NULL DEFAULT '',
    banner_id    INTEGER REFERENCES media(id) ON DELETE SET NULL,
    visibility   TEXT    NOT NULL CHECK (visibility IN ('public', 'unlisted', 'members')),
    published_at INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX group_posts_group ON group_posts(group_id, published_at);

-- Resources: folders and links to the group's tools (pads, spreadsheets,
-- video rooms, ...), with the linked page's own title when it gave one.
CREATE TABLE group_resources (
    id            INTEGER PRIMARY KEY,
    uuid          TEXT    NOT NULL UNIQUE,
    uri           TEXT    UNIQUE,
    group_id      INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    parent_id     INTEGER REFERENCES group_resources(id) ON DELETE CASCADE,
    creator_id    INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL CHECK (kind IN ('folder', 'link')),
    tool          TEXT    NOT NULL DEFAULT 'other',
    title         TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    url           TEXT    NOT NULL DEFAULT '',
    preview_title TEXT    NOT NULL DEFAULT '',
    public        INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX group_resources_group ON group_resources(group_id, parent_id);
-- Federation policy: one row per (domain, kind). A domain covers its
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

-- The picture a remote event's origin names, and our copy of it (media):
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
END;

-- What software other servers say they run (NodeInfo), learnt when one of
-- their actors follows one of ours: unlisted and followers-only events are
-- kept from servers that show everything they receive (ignores_audience).
CREATE TABLE peer_servers (
    host             TEXT    PRIMARY KEY,
    software         TEXT    NOT NULL DEFAULT '',
    ignores_audience INTEGER NOT NULL DEFAULT 0,
    checked_at       INTEGER NOT NULL
) WITHOUT ROWID;

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
    , object_published INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
-- object_published (when the deleted object was published, 0 if unknown)
-- was added by ALTER TABLE, written the way SQLite records it.

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

-- Events a suspension turned into drafts, to publish again when the
-- account is unsuspended.
CREATE TABLE suspension_hidden_events (
    event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE
);

-- How an identity wants to be emailed about what waits for it, per kind
-- ('now' or a daily 'digest'; no row: not emailed). mailed_until is the
-- time of the newest item already mailed, so each is mailed once.
CREATE TABLE notification_prefs (
    identity_id  INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,
    mode         TEXT    NOT NULL CHECK (mode IN ('now', 'digest')),
    mailed_until INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (identity_id, kind)
) WITHOUT ROWID;
CREATE INDEX notification_prefs_mode ON notification_prefs(mode);

-- Reminders before an event, per participation: the person's choice
-- ('none', 'day': the day before, 'hour': an hour before; no row: the
-- day before), when the reminder was sent (once), and the hash of the
-- cancel link it carried (a second cancel link for visitors).
CREATE TABLE participation_reminders (
    participation_id  INTEGER PRIMARY KEY REFERENCES participations(id) ON DELETE CASCADE,
    choice            TEXT    NOT NULL DEFAULT 'day' CHECK (choice IN ('none', 'day', 'hour')),
    sent_at           INTEGER,
    cancel_token_hash TEXT    UNIQUE
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
BEGIN SELECT RAISE(ABORT, 'the moderation log is append-only'); END;
-- Comments on our events: written here by identities, or received from the
-- fediverse as a Note replying to the event or to one of its comments
-- (uri is then the Note's id). content_html is already sanitised. A
-- 'held' comment waits for the organisers (moderated events); a 'rejected'
-- one stays so that a later Update of its Note cannot bring it back.
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

-- Likes and Announces (boosts) of our events from the fediverse, one per
-- actor and kind; activity_uri is what an Undo names.
CREATE TABLE event_reactions (
    event_id     INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    actor_id     INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('like', 'announce')),
    activity_uri TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (event_id, actor_id, kind)
) WITHOUT ROWID;
CREATE INDEX event_reactions_actor ON event_reactions(actor_id);

-- The Join activity behind a federated participation, both ways: a remote
-- actor's Join of our event (answered by Accept or Reject naming it), or
-- our identity's Join of a remote event (whose answer names it).
CREATE TABLE federated_joins (
    participation_id INTEGER PRIMARY KEY REFERENCES participations(id) ON DELETE CASCADE,
    activity_uri     TEXT    NOT NULL UNIQUE
);

-- Accounts created while registrations need approval: they cannot log in
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
);

-- Accounts that signed up by themselves: their first events_left events
-- are held for a moderator's review before they are listed.
CREATE TABLE probation_accounts (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    events_left INTEGER NOT NULL
);

-- The geocoder's answers by normalised query (app/geocode): an address is
-- asked once. places is a JSON array of {name, lat, lon}; [] is "not found".
CREATE TABLE geocode_cache (
    query      TEXT    PRIMARY KEY,
    places     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The venues this instance's events were held at, one per name and town
-- however they are spelt (app/store/places.go).
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

-- Local identities deleted with their account: their addresses answer
-- 410 Gone, and their usernames are not given to anyone else for a while
-- (store.DeletedUsernameHold).
CREATE TABLE deleted_actors (
    username   TEXT    PRIMARY KEY,
    uri        TEXT    NOT NULL,
    deleted_at INTEGER NOT NULL
) WITHOUT ROWID;
-- A picture sent with a form that had errors (the event form's banner):
-- stored at once, named in the form shown back by a random token (only
-- its hash is kept), usable only by the identity that sent it, for a day.
-- The media row goes when the form is sent again without it or when it
-- expires; the form that uses it takes the media and drops this row.
CREATE TABLE pending_uploads (
    token_hash TEXT    PRIMARY KEY,
    media_id   INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    actor_id   INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX pending_uploads_created ON pending_uploads(created_at);
CREATE INDEX pending_uploads_actor ON pending_uploads(actor_id);
