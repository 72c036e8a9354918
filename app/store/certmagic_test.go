package store

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestCertStorageKeysAndDirectories(t *testing.T) {
	ctx := context.Background()
	c := openTestStore(t).CertStorage()

	if _, err := c.Load(ctx, "certificates/ca/a.test/a.test.crt"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("load of a missing key: %v, want fs.ErrNotExist", err)
	}
	for _, k := range []string{
		"certificates/ca/a.test/a.test.crt",
		"certificates/ca/a.test/a.test.key",
		"certificates/ca/b.test/b.test.crt",
		"certificates/ca0", // a sibling sorting right after the directory: must not leak into it
		"acme/ca/users/x/x.json",
	} {
		if err := c.Store(ctx, k, []byte("data of "+k)); err != nil {
			t.Fatal(err)
		}
	}
	v, err := c.Load(ctx, "certificates/ca/a.test/a.test.key")
	if err != nil || string(v) != "data of certificates/ca/a.test/a.test.key" {
		t.Fatalf("load: %q, %v", v, err)
	}
	if err := c.Store(ctx, "certificates/ca/a.test/a.test.key", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Load(ctx, "certificates/ca/a.test/a.test.key"); string(v) != "new" {
		t.Fatalf("overwrite: got %q", v)
	}

	top, err := c.List(ctx, "certificates/ca", false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"certificates/ca/a.test", "certificates/ca/b.test"}; !slices.Equal(top, want) {
		t.Fatalf("list: %q, want %q", top, want)
	}
	all, _ := c.List(ctx, "certificates", true)
	if len(all) != 4 {
		t.Fatalf("recursive list: %q", all)
	}

	dir, err := c.Stat(ctx, "certificates/ca/a.test")
	if err != nil || dir.IsTerminal {
		t.Fatalf("stat of a directory: %+v, %v", dir, err)
	}
	file, err := c.Stat(ctx, "certificates/ca/a.test/a.test.key")
	if err != nil || !file.IsTerminal || file.Size != 3 {
		t.Fatalf("stat of a key: %+v, %v", file, err)
	}
	if !c.Exists(ctx, "certificates/ca/b.test") || c.Exists(ctx, "certificates/ca/c.test") {
		t.Fatal("Exists disagrees with what was stored")
	}

	if err := c.Delete(ctx, "certificates/ca/a.test"); err != nil {
		t.Fatal(err)
	}
	if c.Exists(ctx, "certificates/ca/a.test/a.test.crt") {
		t.Fatal("deleting a directory left its keys")
	}
	if !c.Exists(ctx, "certificates/ca/b.test/b.test.crt") || !c.Exists(ctx, "certificates/ca0") {
		t.Fatal("deleting a directory removed keys outside it")
	}
}

// A second process on the same file waits for the lock; a holder that
// crashed (its lock never refreshed) stops blocking once the lock expires.
func TestCertStorageLocks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "locks.db")
	schema := readSchema(t, "../../schema.sql")
	s1, err := Open(ctx, path, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := Open(ctx, path, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	now := time.Unix(1_800_000_000, 0)
	s2.SetClock(func() time.Time { return now })
	s1.SetClock(func() time.Time { return now })
	first, second := s1.CertStorage(), s2.CertStorage()

	if err := first.Lock(ctx, "issue_cert_a.test"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 1200*time.Millisecond)
	err = second.Lock(short, "issue_cert_a.test")
	cancel()
	if err == nil {
		t.Fatal("a second holder took a lock that is held")
	}
	if err := first.Unlock(ctx, "issue_cert_a.test"); err != nil {
		t.Fatal(err)
	}
	if err := second.Lock(ctx, "issue_cert_a.test"); err != nil {
		t.Fatalf("lock after release: %v", err)
	}

	// The second holder "crashes": nothing refreshes its lock any more.
	second.mu.Lock()
	close(second.held["issue_cert_a.test"].stop)
	second.mu.Unlock()
	now = now.Add(certLockTTL + time.Second)
	short, cancel = context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := first.Lock(short, "issue_cert_a.test"); err != nil {
		t.Fatalf("an expired lock still blocks: %v", err)
	}
	if err := first.Unlock(ctx, "issue_cert_a.test"); err != nil {
		t.Fatal(err)
	}
}
