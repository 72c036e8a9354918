package app

import (
	"context"
	"sync"
)

// workers are the instance's background loops (mail, deliveries, inbox,
// recurring events and calendar imports, daily chores). Close stops them and waits, so
// the database never closes under a loop that is still using it.
type workers struct {
	mu     sync.Mutex
	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// StartWorkers starts the background loops; they run until ctx is done or
// Close is called. Every queue they drain is in the database, so stopping
// them mid-way loses nothing: an unfinished item is simply done later.
func (a *App) StartWorkers(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	a.workers.mu.Lock()
	a.workers.cancel = cancel
	a.workers.mu.Unlock()
	a.goWorker(func() { a.syndicationWorker(ctx) })
	if a.mailer != nil {
		a.goWorker(func() { a.mailWorker(ctx) })
		a.goWorker(func() { a.groupDigestWorker(ctx) })
	}
	a.startFederationWorkers(ctx)
	a.goWorker(func() { a.dailyWorker(ctx) })
}

// goWorker runs a background loop that Close waits for.
func (a *App) goWorker(loop func()) {
	a.workers.wg.Add(1)
	go func() {
		defer a.workers.wg.Done()
		loop()
	}()
}

// stopWorkers asks the loops to stop and waits until they have.
func (a *App) stopWorkers() {
	a.workers.mu.Lock()
	if a.workers.cancel != nil {
		a.workers.cancel()
	}
	a.workers.mu.Unlock()
	a.workers.wg.Wait()
}
