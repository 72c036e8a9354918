package app

// A group's fediverse followers: a group that approves followers by hand
// holds each Follow until one of its moderators or administrators
// accepts it (an Accept from the group) or refuses it (a Reject).

import (
	"database/sql"
	"net/http"
	"strconv"

	"convene/app/ap"
	"convene/app/store"
	"convene/views"
)

// showGroupFollowers lists a local group's followers, requests first
// among the newest.
func (a *App) showGroupFollowers(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actManageMembers)
	if !ok {
		return err
	}
	g := gc.Group
	if !g.IsLocal() {
		return errNotFound()
	}
	ctx := r.Context()
	followers, err := a.store.Followers(ctx, g.ID, "", followsPerPage, 0)
	if err != nil {
		return err
	}
	pending, err := a.store.CountPendingFollowers(ctx, g.ID)
	if err != nil {
		return err
	}
	p := a.page(r, a.printer(r).T("Followers of %s", g.Name()))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.FollowersPage(p, views.FollowersView{Identity: g.Actor, Followers: followers,
		Base: groupPath(g) + "/followers", Group: g, GroupAt: groupPage(g), Pending: pending}))
}

// answerGroupFollower accepts a follow request of the group, or refuses
// it or removes a follower; the follower's server is told either way.
func (a *App) answerGroupFollower(w http.ResponseWriter, r *http.Request) error {
	gc, ok, err := a.localGroupFor(w, r, actManageMembers)
	if !ok {
		return err
	}
	g := gc.Group
	verb := r.PathValue("verb")
	if !g.IsLocal() || (verb != "accept" && verb != "remove") {
		return errNotFound()
	}
	ctx := r.Context()
	l := a.printer(r)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	f, err := a.store.FollowByID(ctx, id)
	if err != nil || f.Followed.ID != g.ID {
		return errNotFound()
	}
	back := groupPath(g) + "/followers"
	if verb == "accept" && f.State != store.FollowPending {
		return a.redirect(w, r, back, l.T("%s already follows the group.", f.Follower.Handle()))
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		answer, action := ap.TypeAccept, "follower_accepted"
		if verb == "accept" {
			if err := a.store.AcceptFollowTx(ctx, tx, f.ID); err != nil {
				return err
			}
		} else {
			answer, action = ap.TypeReject, "follower_removed"
			if err := a.store.DeleteFollowTx(ctx, tx, f.ID); err != nil {
				return err
			}
		}
		if err := logTx(ctx, a, tx, g.ID, gc.Identity.ID, f.Follower.ID, action, ""); err != nil {
			return err
		}
		if f.Follower.IsLocal() {
			return nil
		}
		return a.answerFollowTx(ctx, tx, f, answer)
	})
	if err != nil {
		return err
	}
	if verb == "accept" {
		return a.redirect(w, r, back, l.T("%s now follows the group.", f.Follower.Handle()))
	}
	return a.redirect(w, r, back, l.T("%s no longer follows the group.", f.Follower.Handle()))
}
