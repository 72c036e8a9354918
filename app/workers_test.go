package app

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// Close must not pull the database from under a worker: it stops the
// workers and waits for every loop to return first.
func TestCloseWaitsForWorkers(t *testing.T) {
	ti := newTestInstance(t)
	ti.App.StartWorkers(context.Background())
	var finished atomic.Bool
	started := make(chan struct{})
	ti.App.goWorker(func() {
		close(started)
		// A loop that notices the stop only after finishing its item.
		time.Sleep(200 * time.Millisecond)
		if _, err := ti.App.store.CountAccounts(context.Background()); err != nil {
			t.Errorf("the worker found the database closed: %v", err)
		}
		finished.Store(true)
	})
	<-started
	if err := ti.App.Close(); err != nil {
		t.Fatal(err)
	}
	if !finished.Load() {
		t.Fatal("Close returned before a worker finished")
	}
}
