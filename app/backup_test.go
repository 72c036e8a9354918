package app

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"convene/app/store"
)

// A backup taken while writers keep committing opens as a sound database
// holding every event committed before the backup began.
func TestBackupWhileBusy(t *testing.T) {
	ctx := context.Background()
	ti := newTestInstance(t)
	_, org := ti.createAccount(t, "org@example.org", "org", "a long enough password", false)

	var mu sync.Mutex
	var committed []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Date(2031, 5, 1, 18, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
				e := &store.Event{OrganizerID: org.ID, Title: fmt.Sprintf("Writer %d event %d", w, i),
					StartsAt: start, EndsAt: start.Add(time.Hour), Timezone: "Europe/Paris", Category: "other",
					Status: "confirmed", Visibility: "public", JoinMode: "free", CommentModeration: "allow_all"}
				if err := ti.App.store.CreateEvent(ctx, e); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				committed = append(committed, e.UUID)
				mu.Unlock()
			}
		})
	}
	// Wait for some commits (slow under -race), then snapshot what is
	// committed: all of it must be in the backup.
	var before []string
	for deadline := time.Now().Add(30 * time.Second); len(before) < 20 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		before = append([]string(nil), committed...)
		mu.Unlock()
	}
	dest := filepath.Join(t.TempDir(), "backup.db")
	size, err := Backup(ctx, ti.App.cfg.DataPath, dest)
	time.Sleep(100 * time.Millisecond) // writers carry on after it, too
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(before) < 10 || size == 0 {
		t.Fatalf("the test wrote too little to prove anything: %d events, %d bytes", len(before), size)
	}

	db, err := sql.Open("sqlite", "file:"+dest+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check of the backup: %q %v", res, err)
	}
	for _, id := range before {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM events WHERE uuid = ?`, id).Scan(&n); err != nil || n != 1 {
			t.Fatalf("event %s committed before the backup is missing from it", id)
		}
	}
	var inBackup int
	db.QueryRow(`SELECT count(*) FROM events`).Scan(&inBackup)
	// The search index is part of the copy too.
	var indexed int
	db.QueryRow(`SELECT count(*) FROM events_fts`).Scan(&indexed)
	if indexed != inBackup {
		t.Fatalf("backup has %d events but %d indexed", inBackup, indexed)
	}
	t.Logf("%d events committed before the backup, %d in it, %d in all", len(before), inBackup, len(committed))

	if _, err := Backup(ctx, ti.App.cfg.DataPath, dest); err == nil {
		t.Fatal("a backup overwrote an existing file")
	}
}

func TestHealthz(t *testing.T) {
	ti := newTestInstance(t)
	res, body := ti.get(t, ti.client(), "/healthz")
	if res.StatusCode != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", res.StatusCode, body)
	}
	ti.App.store.Close() // the database goes away
	res, _ = ti.get(t, ti.client(), "/healthz")
	if res.StatusCode != 503 {
		t.Fatalf("healthz without a database: %d", res.StatusCode)
	}
}
