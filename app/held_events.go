package app

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"time"

	"convene/app/store"
)

// firstEventsHeld is how many events of a self-registered account wait
// for a moderator before they are listed and federated: a spammer's
// first wave is seen by a person, a real organiser waits only a little.
const firstEventsHeld = 3

// holdIfNew turns an event about to be published into a draft when its
// organiser's account is on probation, and tells whether it did.
func (a *App) holdIfNew(ctx context.Context, identityID int64, e *store.Event) (bool, error) {
	if e.Draft || e.PublishedAt == nil {
		return false, nil
	}
	on, err := a.store.OnProbation(ctx, identityID)
	if err != nil || !on {
		return false, err
	}
	e.Draft, e.PublishedAt = true, nil
	return true, nil
}

// approveHeldEvent publishes an event held for review, federating it as
// any published event.
func (a *App) approveHeldEvent(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e, err := a.store.EventByUUID(ctx, r.PathValue("uuid"))
	if err != nil {
		return errNotFound()
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.ReleaseEventTx(ctx, tx, e.ID); err != nil {
			return err
		}
		return a.logModeration(ctx, tx, currentAccount(r), "event.approve", "event", e.UUID, 0, map[string]string{"title": e.Title})
	})
	l := a.printer(r)
	if errors.Is(err, store.ErrNotFound) {
		return a.redirect(w, r, "/admin/reports", l.T("This event was not waiting for review."))
	}
	if err != nil {
		return err
	}
	old := *e
	now := a.now().UTC().Truncate(time.Second)
	e.Draft, e.PublishedAt = false, &now
	if err := a.updateEventAndAnnounce(ctx, &old, e); err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/reports", l.T("“%s” is approved and published.", e.Title))
}

// holdOnEdit keeps a held event a draft whatever the form says, and holds
// a draft that an account on probation publishes.
func (a *App) holdOnEdit(ctx context.Context, old, e *store.Event) (bool, error) {
	held, err := a.store.IsEventHeld(ctx, old.ID)
	if err != nil {
		return false, err
	}
	if held {
		if !e.Draft {
			e.Draft, e.PublishedAt = true, nil
		}
		return true, nil
	}
	if !old.Draft {
		return false, nil
	}
	held, err = a.holdIfNew(ctx, old.OrganizerID, e)
	if held && err == nil {
		err = a.store.HoldEvent(ctx, old.ID)
	}
	return held, err
}
