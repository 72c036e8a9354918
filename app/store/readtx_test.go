package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// A request's reads share one read transaction (ReadTogether), yet none
// of them is older than the last write: a session ended by another
// request while this one reads is gone for this one's next read, and a
// request's own write is seen by its reads after it.
func TestReadTogetherSeesEveryWrite(t *testing.T) {
	s := openTestStore(t)
	bg := context.Background()
	ana, _, err := s.CreateAccountWithIdentity(bg, "ana@example.org", "h", false, NewIdentity{Username: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := s.CreateSession(bg, ana.ID, 0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	// Another request logs ana out while this one is reading.
	ctx, end := s.ReadTogether(bg)
	defer end()
	if _, err := s.SessionBySecret(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if readTxOf(ctx) == nil {
		t.Fatal("no read transaction: the test would prove nothing")
	}
	if err := s.DeleteSession(bg, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionBySecret(ctx, secret); !errors.Is(err, ErrNotFound) {
		t.Errorf("a session ended by another request is still read: %v", err)
	}

	// This request writes, then reads what it wrote.
	ctx2, end2 := s.ReadTogether(bg)
	defer end2()
	if _, err := s.WaitingSeenAt(ctx2, ana.ID); err != nil {
		t.Fatal(err)
	}
	seen := time.Unix(2_000_000_000, 0).UTC()
	if err := s.MarkWaitingSeen(ctx2, ana.ID, seen); err != nil {
		t.Fatal(err)
	}
	if got, err := s.WaitingSeenAt(ctx2, ana.ID); err != nil || !got.Equal(seen) {
		t.Errorf("after its own write the request reads %v (%v), want %v", got, err, seen)
	}
}

// A cache filled by a reader checks the write generation before reading:
// what it reads after that must be at least as new as the generation it
// saw, or a stale copy would be kept as current.
func TestReadTogetherNeverOlderThanTheGeneration(t *testing.T) {
	s := openTestStore(t)
	bg := context.Background()
	ana, _, err := s.CreateAccountWithIdentity(bg, "ana@example.org", "h", false, NewIdentity{Username: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, end := s.ReadTogether(bg)
	defer end()
	if _, err := s.WaitingSeenAt(ctx, ana.ID); err != nil {
		t.Fatal(err)
	}
	seen := time.Unix(2_000_000_000, 0).UTC()
	if err := s.MarkWaitingSeen(bg, ana.ID, seen); err != nil { // another request
		t.Fatal(err)
	}
	gen := s.Generation()
	got, err := s.WaitingSeenAt(ctx, ana.ID)
	if err != nil || !got.Equal(seen) {
		t.Errorf("read at generation %d: %v (%v), want %v", gen, got, err, seen)
	}
}

// Many requests at once, each holding its reads together and each also
// needing a second connection (a read outside the store's handle), never
// wait for each other forever: only some hold a connection this way, the
// others read one statement at a time.
func TestReadTogetherLeavesConnectionsForOthers(t *testing.T) {
	s := openTestStore(t)
	bg := context.Background()
	const requests = 16
	var wg sync.WaitGroup
	ready := make(chan struct{})
	errs := make(chan error, requests)
	held := make(chan bool, requests)
	for range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, end := s.ReadTogether(bg)
			defer end()
			var n int
			if err := s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&n); err != nil {
				errs <- err
				return
			}
			held <- readTxOf(ctx) != nil
			<-ready // all hold what they got
			ctx2, cancel := context.WithTimeout(bg, 5*time.Second)
			defer cancel()
			if err := s.DB().QueryRowContext(ctx2, `SELECT 2`).Scan(&n); err != nil {
				errs <- err
			}
		}()
	}
	holding := 0
	for range requests {
		if <-held {
			holding++
		}
	}
	close(ready)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a request could not read: %v", err)
	}
	if holding == 0 || holding > readTxSlots {
		t.Errorf("%d requests held a read transaction, want 1 to %d", holding, readTxSlots)
	}
}
