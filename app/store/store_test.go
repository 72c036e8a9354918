package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

func readSchema(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// openTestStore opens a fresh store on a temp file with the real schema.
func openTestStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), readSchema(t, "../../schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// schemaOf lists what sqlite_master holds, normalised for comparison.
func schemaOf(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.db.Query(`SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, name, tbl, sql string
		if err := rows.Scan(&typ, &name, &tbl, &sql); err != nil {
			t.Fatal(err)
		}
		out = append(out, typ+" "+name+" "+tbl+" "+strings.Join(strings.Fields(sql), " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// A database created by the first release and brought forward by the
// migrations must be the same as one created from today's schema.sql.
func TestMigratedDatabaseEqualsFreshOne(t *testing.T) {
	ctx := context.Background()
	oldPath := filepath.Join(t.TempDir(), "old.db")
	old, err := Open(ctx, oldPath, readSchema(t, "testdata/schema-v1.sql"))
	if err != nil {
		t.Fatal(err)
	}
	// Pretend it was written by version 1, then reopen with today's code.
	if _, err := old.db.Exec(`PRAGMA user_version = 1`); err != nil {
		t.Fatal(err)
	}
	old.Close()
	migrated, err := Open(ctx, oldPath, readSchema(t, "../../schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	defer migrated.Close()
	fresh := openTestStore(t)

	got, want := schemaOf(t, migrated), schemaOf(t, fresh)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("migrated schema differs from schema.sql\nmigrated:\n%s\n\nfresh:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var v int
	migrated.db.QueryRow(`PRAGMA user_version`).Scan(&v)
	if v != SchemaVersion() {
		t.Errorf("migrated user_version = %d, want %d", v, SchemaVersion())
	}
}

func TestNewerDatabaseRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "new.db")
	s, err := Open(ctx, path, readSchema(t, "../../schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	s.db.Exec(`PRAGMA user_version = 999`)
	s.Close()
	if _, err := Open(ctx, path, readSchema(t, "../../schema.sql")); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("opening a database from a newer version: %v", err)
	}
}

func TestUsernamesAreOneNamespace(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	acc, _, err := s.CreateAccountWithIdentity(ctx, "a@example.org", "", false, NewIdentity{Username: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateIdentity(ctx, acc.ID, NewIdentity{Username: "ana"}); !errors.Is(err, ErrUsernameTaken) || !errors.Is(err, ErrConflict) {
		t.Fatalf("second identity named ana: %v, want ErrUsernameTaken", err)
	}
	if _, _, err := s.CreateAccountWithIdentity(ctx, "A@EXAMPLE.ORG", "", false, NewIdentity{Username: "other"}); !errors.Is(err, ErrEmailTaken) || !errors.Is(err, ErrConflict) {
		t.Fatalf("same email in other case: %v, want ErrEmailTaken", err)
	}
	// The refused account left nothing behind.
	if _, err := s.LocalActorByUsername(ctx, "other"); err != ErrNotFound {
		t.Fatalf("identity of a refused account: %v", err)
	}
}

// The write generation moves on with every write that changes a row, and
// not with one that changes none (a logged-in request's "last seen", most
// of the time), so caches of what readers see survive browsing.
func TestGenerationCountsOnlyChangingWrites(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	acc, id, err := s.CreateAccountWithIdentity(ctx, "ann@example.org", "", false, NewIdentity{Username: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := s.CreateSession(ctx, acc.ID, id.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.TouchSession(ctx, secret, acc.ID); err != nil {
		t.Fatal(err)
	}
	before := s.Generation()
	for range 3 {
		if err := s.TouchSession(ctx, secret, acc.ID); err != nil {
			t.Fatal(err)
		}
	}
	if s.Generation() != before {
		t.Errorf("a write that changed nothing moved the generation from %d to %d", before, s.Generation())
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE accounts SET locale = 'fr' WHERE id = ?`, acc.ID); err != nil {
		t.Fatal(err)
	}
	if s.Generation() == before {
		t.Error("a write that changed a row left the generation as it was")
	}
}

// Reads made for a request (whose context can be cancelled) start no
// goroutine of their own: under load those piled up by thousands, each
// with its stack, ahead of the requests on the CPU. A deadline still
// ends a read.
func TestReadsStartNoGoroutinePerQuery(t *testing.T) {
	s := openTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	before := runtime.NumGoroutine()
	var open []*sql.Rows
	for range 5 {
		rows, err := s.db.QueryContext(ctx, `SELECT 1 UNION ALL SELECT 2`)
		if err != nil {
			t.Fatal(err)
		}
		rows.Next()
		open = append(open, rows)
	}
	during := runtime.NumGoroutine()
	for _, rows := range open {
		rows.Close()
	}
	if during > before {
		t.Errorf("%d goroutines with 5 result sets open, %d before", during, before)
	}
	short, stop := context.WithTimeout(context.Background(), time.Nanosecond)
	defer stop()
	time.Sleep(time.Millisecond)
	var n int
	if err := s.db.QueryRowContext(short, `SELECT 1`).Scan(&n); err == nil {
		t.Error("a read past its deadline succeeded")
	}
}
