package app

import (
	"database/sql"
	"net/http"
	"strconv"

	"convene/app/ap"
	"convene/app/store"
	"convene/views"
)

// showInstanceFollowers lists the servers following the instance actor:
// they receive every public event, so an admin accepts each one.
func (a *App) showInstanceFollowers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	inst, err := a.instanceActor(ctx)
	if err != nil {
		return err
	}
	followers, err := a.store.Followers(ctx, inst.ID, "", 500, 0)
	if err != nil {
		return err
	}
	p := a.adminPage(r, "Servers following this instance")
	return a.render(w, r, http.StatusOK, views.FollowersPage(p, views.FollowersView{Identity: inst, Followers: followers, Base: "/admin/followers"}))
}

// answerInstanceFollower accepts a follow of the instance actor, or
// refuses or removes it (telling the follower's server), and logs it.
func (a *App) answerInstanceFollower(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	verb := r.PathValue("verb")
	if verb != "accept" && verb != "remove" {
		return errNotFound()
	}
	inst, err := a.instanceActor(ctx)
	if err != nil {
		return err
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	f, err := a.store.FollowByID(ctx, id)
	if err != nil || f.Followed.ID != inst.ID {
		return errNotFound()
	}
	l := a.printer(r)
	if verb == "accept" && f.State != store.FollowPending {
		return a.redirect(w, r, "/admin/followers", l.T("%s already follows this instance.", f.Follower.Handle()))
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		answer := ap.TypeAccept
		if verb == "accept" {
			if err := a.store.AcceptFollowTx(ctx, tx, f.ID); err != nil {
				return err
			}
		} else {
			answer = ap.TypeReject
			if err := a.store.DeleteFollowTx(ctx, tx, f.ID); err != nil {
				return err
			}
		}
		if err := a.logModeration(ctx, tx, currentAccount(r), "instance_follower."+verb, "actor", f.Follower.URI, 0, nil); err != nil {
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
		return a.redirect(w, r, "/admin/followers", l.T("%s now receives this instance's public events.", f.Follower.Handle()))
	}
	return a.redirect(w, r, "/admin/followers", l.T("%s no longer follows this instance.", f.Follower.Handle()))
}
