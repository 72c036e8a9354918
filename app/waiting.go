package app

import (
	"context"
	"net/http"

	"convene/app/store"
	"convene/views"
)

// waitingShown bounds the "Waiting for you" list.
const waitingShown = 100

// countWaiting is the header's badge: 0 when it cannot be counted, as a
// page is better shown without its badge than not at all.
func (a *App) countWaiting(ctx context.Context, acc *store.Account) int {
	seen, err := a.store.WaitingSeenAt(ctx, acc.ID)
	if err != nil {
		a.log.Warn("waiting seen", "err", err)
		return 0
	}
	n, err := a.store.CountWaiting(ctx, acc.ID, acc.IsAdmin, seen)
	if err != nil {
		a.log.Warn("count waiting", "err", err)
		return 0
	}
	return n
}

// showWaiting lists what waits for the account, each with where to act;
// looking at it makes the news in it stop counting (open requests count
// until answered).
func (a *App) showWaiting(w http.ResponseWriter, r *http.Request) error {
	acc := currentAccount(r)
	if acc == nil {
		return a.sendToLogin(w, r)
	}
	ctx := r.Context()
	seen, err := a.store.WaitingSeenAt(ctx, acc.ID)
	if err != nil {
		return err
	}
	items, err := a.store.WaitingFor(ctx, acc.ID, acc.IsAdmin, seen, waitingShown)
	if err != nil {
		return err
	}
	if err := a.store.MarkWaitingSeen(ctx, acc.ID, a.now()); err != nil {
		return err
	}
	p := a.page(r, a.printer(r).T("Waiting for you"))
	p.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	return a.render(w, r, http.StatusOK, views.WaitingPage(p, items))
}
