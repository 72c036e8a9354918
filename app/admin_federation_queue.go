package app

// The federation queues as administrators see them (deliveries waiting,
// failing servers, last errors, given-up deliveries, the inbox's depth),
// and the housekeeping that keeps them from growing without end.

import (
	"context"
	"net/http"
	"time"

	"convene/views"
)

const (
	// federationRetention is how long processed inbox ids and given-up
	// deliveries are kept: long enough for an administrator to look.
	federationRetention = 7 * 24 * time.Hour
	// federationPurgeEvery is how often the worker purges.
	federationPurgeEvery = time.Hour
	// queuePageRows bounds the lists of the queue page.
	queuePageRows = 50
)

func init() {
	adminSections = append(adminSections, views.AdminLink{URL: "/admin/federation/queue", Title: "Federation queue",
		Description: "Deliveries waiting, failing servers and their errors, given-up deliveries, the inbox's depth."})
}

// showFederationQueue is /admin/federation/queue.
func (a *App) showFederationQueue(w http.ResponseWriter, r *http.Request) error {
	q, err := a.store.FederationQueueOverview(r.Context(), queuePageRows)
	if err != nil {
		return err
	}
	p := a.adminPage(r, "Federation queue")
	w.Header().Set("Cache-Control", "no-store")
	return a.render(w, r, http.StatusOK, views.AdminQueuePage(p, views.QueueView{Queue: q, Retention: federationRetention, Zone: a.instanceLocation(r.Context())}))
}

// PurgeFederationQueues forgets processed inbox ids and given-up
// deliveries older than the retention; the worker calls it hourly.
func (a *App) PurgeFederationQueues(ctx context.Context) error {
	inbox, deliveries, err := a.store.PurgeFederationQueues(ctx, a.now().Add(-federationRetention))
	if err == nil && inbox+deliveries > 0 {
		a.log.Info("federation queues purged", "inbox", inbox, "deliveries", deliveries)
	}
	return err
}

// runFederationHousekeeping purges the queues now and then until ctx ends.
func (a *App) runFederationHousekeeping(ctx context.Context) {
	ticker := time.NewTicker(federationPurgeEvery)
	defer ticker.Stop()
	for {
		if err := a.PurgeFederationQueues(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("purge federation queues", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
