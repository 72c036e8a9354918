// Package store is the only place in Convene that speaks SQL. It wraps one
// SQLite file opened with the pragmas every pooled connection needs, and
// gives the rest of the program plain Go types and methods.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned when a row asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write would break a uniqueness rule
// (a username or an email already taken).
var ErrConflict = errors.New("already exists")

// Store is the database of one Convene instance.
type Store struct {
	db  *preparedDB
	now func() time.Time

	inboxWrites inboxWrites // group commit of received activities
}

// Open opens (creating if needed) the database file at path and brings its
// schema to the current version: a fresh file gets schema, an older one the
// migrations it lacks.
func Open(ctx context.Context, path, schema string) (*Store, error) {
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Writes are serialised by SQLite anyway; a few readers run beside them
	// thanks to WAL.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: newPreparedDB(db), now: time.Now}
	if err := s.migrate(ctx, schema); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// dsn sets the pragmas in the connection string so that every connection of
// the pool gets them: busy_timeout first (so that switching to WAL waits
// rather than fails), foreign keys, and immediate transactions so that a
// read-then-write transaction never dead-ends on SQLITE_BUSY.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// SetClock replaces the clock used to stamp rows; tests use it.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// DB gives the underlying handle to code that needs raw access for
// maintenance (backup, checkpoint).
func (s *Store) DB() *sql.DB { return s.db.DB }

// Close checkpoints the write-ahead log into the main file and closes.
func (s *Store) Close() error {
	_, _ = s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return s.db.Close()
}

// Tx runs fn in one immediate transaction, committed when fn returns nil.
// Inside a Batch it is a savepoint of the batch's transaction.
func (s *Store) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if b := batchOf(ctx); b != nil {
		return s.Savepoint(ctx, func(context.Context) error { return fn(b.tx) })
	}
	// Counted whatever the outcome: after a commit what readers see may
	// have changed (see Generation).
	defer s.db.generation.Add(1)
	EndReads(ctx) // what fn reads is read after the request's earlier reads, fresh
	defer s.db.write(ctx)()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *Store) unix() int64 { return s.now().Unix() }

// queryer is what *sql.DB and *sql.Tx have in common, so one read method
// serves both inside and outside a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
