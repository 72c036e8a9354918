package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
)

// Inspector looks at a database file without changing it: no schema
// applied, no migration, a read-only connection. Backups, health checks and
// `convene doctor` use it, including while a server runs on the same file.
type Inspector struct {
	db *sql.DB
}

// Inspect opens path read-only. It fails when the file does not exist.
func Inspect(ctx context.Context, path string) (*Inspector, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Set("mode", "ro")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return &Inspector{db: db}, nil
}

// Close releases the file.
func (i *Inspector) Close() error { return i.db.Close() }

// QuickCheck runs SQLite's quick_check (structure, not every index entry)
// and returns its first complaint, or "ok".
func (i *Inspector) QuickCheck(ctx context.Context) (string, error) {
	return i.check(ctx, "PRAGMA quick_check(1)")
}

// IntegrityCheck runs the full integrity_check; "ok" when sound.
func (i *Inspector) IntegrityCheck(ctx context.Context) (string, error) {
	return i.check(ctx, "PRAGMA integrity_check(1)")
}

func (i *Inspector) check(ctx context.Context, pragma string) (string, error) {
	var res string
	if err := i.db.QueryRowContext(ctx, pragma).Scan(&res); err != nil {
		return "", err
	}
	return res, nil
}

// SchemaVersion is the database's schema version (0 for an empty file).
func (i *Inspector) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := i.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// CopyInto writes a consistent copy of the database to dest, a file that
// must not exist yet: VACUUM INTO reads one snapshot, so writers carry on
// meanwhile and the copy holds every transaction committed before it began.
func (i *Inspector) CopyInto(ctx context.Context, dest string) error {
	_, err := i.db.ExecContext(ctx, "VACUUM INTO ?", dest)
	return err
}

// Count returns the number of rows of a table that the program knows (for
// reports; the name is never user input).
func (i *Inspector) Count(ctx context.Context, table string) (int64, error) {
	var n int64
	err := i.db.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM %q", table)).Scan(&n)
	return n, err
}

// Writable proves the file takes writes by taking the write lock and
// giving it back, changing nothing.
func Writable(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "ROLLBACK")
	return err
}

// Ping proves the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	return s.db.QueryRowContext(ctx, "SELECT count(*) FROM settings").Scan(&n)
}
