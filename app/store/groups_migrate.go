package store

import (
	"context"
	"database/sql"
)

// migrateGroups adds groups, their memberships, log, notifications,
// discussions, posts and resources, and the group an event is organised
// for.
func migrateGroups(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
ALTER TABLE events ADD COLUMN attributed_to_id INTEGER REFERENCES actors(id) ON DELETE SET NULL;
CREATE INDEX events_attributed_to ON events(attributed_to_id, starts_at);
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
);
CREATE INDEX discussion_messages_discussion ON discussion_messages(discussion_id, id);

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
CREATE INDEX group_resources_group ON group_resources(group_id, parent_id);`)
	return err
}
