package app

import (
	"database/sql"
	"errors"
	"net/http"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// Following a group from its page. Following is not joining: a follower
// reads what the group publishes (its events come into the follower's
// own calendar, /me/calendar-sources) and takes part in nothing. A local
// group is followed at once — its "approve by hand" setting is about
// fediverse followers — and a remote one is asked with a Follow, as
// /me/following does for any account.

// followGroup makes the acting identity follow the group of the path.
func (a *App) followGroup(w http.ResponseWriter, r *http.Request) error {
	if currentIdentity(r) == nil {
		return a.sendToLogin(w, r)
	}
	gc, err := a.loadGroup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	g, who := gc.Group, gc.Identity
	if g.IsLocal() && g.Visibility != store.GroupPublic {
		return errForbidden(l.T("Only public groups can be followed."))
	}
	if _, err := a.store.FollowBetween(ctx, who.ID, g.ID); err == nil {
		return a.redirect(w, r, groupPath(g), l.T("You already follow %s.", g.Name()))
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	actID := a.newActivityURI()
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if g.IsLocal() {
			_, err := a.store.SaveFollowTx(ctx, tx, who.ID, g.ID, actID, store.FollowAccepted)
			return err
		}
		if _, err := a.store.SaveFollowTx(ctx, tx, who.ID, g.ID, actID, store.FollowPending); err != nil {
			return err
		}
		return a.enqueueActivity(ctx, tx, who, actID, ap.NewFollow(actID, a.actorURI(who), g.URI), inboxOf(g.Actor), time.Time{})
	})
	if err != nil {
		return err
	}
	if !g.IsLocal() {
		return a.redirect(w, r, groupPath(g), l.T("Follow request sent to %s.", g.Handle()))
	}
	return a.redirect(w, r, groupPath(g), l.T("You follow %s: its events are in your calendar.", g.Name()))
}

// unfollowGroup stops following it (a remote group is told with Undo).
func (a *App) unfollowGroup(w http.ResponseWriter, r *http.Request) error {
	if currentIdentity(r) == nil {
		return a.sendToLogin(w, r)
	}
	gc, err := a.loadGroup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	g, who := gc.Group, gc.Identity
	f, err := a.store.FollowBetween(ctx, who.ID, g.ID)
	if errors.Is(err, store.ErrNotFound) {
		return a.redirect(w, r, groupPath(g), "")
	}
	if err != nil {
		return err
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.DeleteFollowTx(ctx, tx, f.ID); err != nil || g.IsLocal() {
			return err
		}
		undoID := a.newActivityURI()
		follow := ap.NewFollowRef(f.ActivityURI, a.actorURI(who), g.URI)
		return a.enqueueActivity(ctx, tx, who, undoID, ap.NewUndo(undoID, a.actorURI(who), follow, []string{g.URI}), inboxOf(g.Actor), time.Time{})
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, groupPath(g), a.printer(r).T("You no longer follow %s.", g.Name()))
}
