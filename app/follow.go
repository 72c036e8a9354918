package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"convene/app/ap"
	"convene/app/store"
	"convene/views"
)

// followsPerPage bounds the follower and following lists.
const followsPerPage = 200

// receiveFollow: a remote actor follows one of ours. It is accepted at
// once, or held for the identity to decide when it approves followers by
// hand (the instance actor always does).
func (a *App) receiveFollow(ctx context.Context, in *incoming) error {
	local, err := a.localActorByURI(ctx, in.Activity.Object.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if in.Actor.Kind != store.KindApplication {
		// Before the follow counts: what its server does with addressing
		// decides whether unlisted events may go there.
		if err := a.learnPeerSoftware(ctx, in.Actor.Domain); err != nil {
			return err
		}
	}
	state := store.FollowAccepted
	if local.ManuallyApproves || local.Kind == store.KindApplication || a.federationPolicy(in.Actor.URI).Verdict == verdictSilence {
		state = store.FollowPending
	}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		f, err := a.store.SaveFollowTx(ctx, tx, in.Actor.ID, local.ID, in.Activity.ID, state)
		if err != nil {
			return err
		}
		if f.State != store.FollowAccepted {
			return nil
		}
		return a.answerFollowTx(ctx, tx, f, ap.TypeAccept)
	})
}

// answerFollowTx sends Accept or Reject of a remote actor's follow.
func (a *App) answerFollowTx(ctx context.Context, tx *sql.Tx, f *store.Follow, verb string) error {
	local := &f.Followed
	id := a.newActivityURI()
	follow := ap.NewFollowRef(f.ActivityURI, f.Follower.URI, a.actorURI(local))
	var act *ap.Activity
	if verb == ap.TypeAccept {
		act = ap.NewAccept(id, a.actorURI(local), follow, []string{f.Follower.URI})
	} else {
		act = ap.NewReject(id, a.actorURI(local), follow, []string{f.Follower.URI})
	}
	return a.enqueueActivity(ctx, tx, local, id, act, inboxOf(&f.Follower), time.Time{})
}

// followOfAnswer finds our follow an Accept or Reject answers: by the
// Follow's id, else (a peer that rewrote it) by who follows whom.
func (a *App) followOfAnswer(ctx context.Context, in *incoming) (*store.Follow, error) {
	ref := in.Activity.Object
	f, err := a.store.FollowByActivity(ctx, ref.ID)
	if errors.Is(err, store.ErrNotFound) && ref.Embedded() {
		if follow, perr := ap.ParseActivity(ref.Raw); perr == nil {
			if local, lerr := a.localActorByURI(ctx, follow.Actor); lerr == nil {
				f, err = a.store.FollowBetween(ctx, local.ID, in.Actor.ID)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	// Only the followed actor may answer.
	if f.Followed.ID != in.Actor.ID || !f.Follower.IsLocal() {
		return nil, store.ErrNotFound
	}
	return f, nil
}

// receiveAccept: someone we asked to follow accepted.
func (a *App) receiveAccept(ctx context.Context, in *incoming) error {
	f, err := a.followOfAnswer(ctx, in)
	if errors.Is(err, store.ErrNotFound) {
		return a.receiveMembershipAnswer(ctx, in, true) // an Accept of a Join or an Invite
	}
	if err != nil {
		return err
	}
	if err := a.store.AcceptFollow(ctx, f.ID); err != nil {
		return err
	}
	return a.followAnswered(ctx, f, true)
}

// receiveReject: someone refused (or stopped) our follow.
func (a *App) receiveReject(ctx context.Context, in *incoming) error {
	f, err := a.followOfAnswer(ctx, in)
	if errors.Is(err, store.ErrNotFound) {
		return a.receiveMembershipAnswer(ctx, in, false)
	}
	if err != nil {
		return err
	}
	if err := a.store.DeleteFollow(ctx, f.ID); err != nil {
		return err
	}
	return a.followAnswered(ctx, f, false)
}

// receiveUndoFollow: a remote follower stops following.
func (a *App) receiveUndoFollow(ctx context.Context, in *incoming) error {
	ref := in.Activity.Object
	f, err := a.store.FollowByActivity(ctx, ref.ID)
	if errors.Is(err, store.ErrNotFound) && ref.Embedded() {
		if follow, perr := ap.ParseActivity(ref.Raw); perr == nil {
			if local, lerr := a.localActorByURI(ctx, follow.Object.ID); lerr == nil {
				f, err = a.store.FollowBetween(ctx, in.Actor.ID, local.ID)
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if f.Follower.ID != in.Actor.ID {
		return nil // only the follower may undo its follow
	}
	return a.store.DeleteFollow(ctx, f.ID)
}

// actingIdentity is the identity a /me page is about, or nil after sending
// the visitor to log in.
func (a *App) actingIdentity(w http.ResponseWriter, r *http.Request) (*store.Actor, error) {
	id := currentIdentity(r)
	if id == nil {
		return nil, a.sendToLogin(w, r)
	}
	return id, nil
}

// showFollowing lists whom the acting identity follows, with the follow
// form (prefilled when coming from a remote "follow" button).
func (a *App) showFollowing(w http.ResponseWriter, r *http.Request) error {
	id, err := a.actingIdentity(w, r)
	if id == nil {
		return err
	}
	return a.renderFollowing(w, r, http.StatusOK, id, strings.TrimSpace(r.URL.Query().Get("follow")), nil)
}

func (a *App) renderFollowing(w http.ResponseWriter, r *http.Request, status int, id *store.Actor, handle string, errs views.FieldErrors) error {
	follows, err := a.store.Following(r.Context(), id.ID, "", followsPerPage, 0)
	if err != nil {
		return err
	}
	p := a.page(r, a.printer(r).T("Following"))
	p.NoIndex = true
	return a.render(w, r, status, views.FollowingPage(p, views.FollowingView{Identity: id, Handle: handle, Follows: follows}, errs))
}

// followRemote follows a remote actor given as @user@host or as a URL:
// WebFinger, then the actor, then a signed Follow. The follow is pending
// until their Accept arrives.
func (a *App) followRemote(w http.ResponseWriter, r *http.Request) error {
	id, err := a.actingIdentity(w, r)
	if id == nil {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	handle := strings.TrimSpace(r.PostFormValue("handle"))
	fail := func(msg string) error {
		return a.renderFollowing(w, r, http.StatusUnprocessableEntity, id, handle, views.FieldErrors{"handle": msg})
	}
	if handle == "" || len(handle) > 300 {
		return fail(l.T("Give an address like @someone@events.example.org."))
	}
	if !a.limits.allow("follow:"+strconv.FormatInt(id.ID, 10), 2*time.Second, 10) {
		return fail(l.T("Too many attempts; wait a minute and try again."))
	}
	actorURL, err := a.resolveHandle(ctx, handle)
	if err != nil {
		a.log.Info("follow: lookup failed", "handle", handle, "err", err)
		return fail(l.T("No fediverse account was found at this address. Check it and try again."))
	}
	if ap.SameHost(actorURL, a.cfg.BaseURL) {
		return fail(l.T("This account is on this server: there is nothing to follow from elsewhere."))
	}
	remote, err := a.remoteActor(ctx, actorURL, false)
	if err != nil || remote.InboxURL == "" {
		a.log.Info("follow: actor fetch failed", "actor", actorURL, "err", err)
		return fail(l.T("No fediverse account was found at this address. Check it and try again."))
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		actID := a.newActivityURI()
		if _, err := a.store.SaveFollowTx(ctx, tx, id.ID, remote.ID, actID, store.FollowPending); err != nil {
			return err
		}
		follow := ap.NewFollow(actID, a.actorURI(id), remote.URI)
		return a.enqueueActivity(ctx, tx, id, actID, follow, inboxOf(&remote.Actor), time.Time{})
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/me/following", l.T("Follow request sent to %s.", remote.Handle()))
}

// resolveHandle turns @user@host (or a profile URL) into an actor id.
func (a *App) resolveHandle(ctx context.Context, handle string) (string, error) {
	if strings.HasPrefix(handle, "https://") || strings.HasPrefix(handle, "http://") {
		return handle, nil
	}
	acct := strings.TrimPrefix(strings.TrimPrefix(handle, "acct:"), "@")
	user, host, ok := strings.Cut(acct, "@")
	if !ok || user == "" || host == "" || strings.ContainsAny(host, "/?#@ ") || strings.ContainsAny(user, "/?# ") {
		return "", fmt.Errorf("%q is not @user@host", handle)
	}
	schemes := []string{"https"}
	if a.fed.unsafe {
		schemes = append(schemes, "http")
	}
	var lastErr error
	for _, scheme := range schemes {
		u := scheme + "://" + host + "/.well-known/webfinger?resource=" + url.QueryEscape("acct:"+user+"@"+host)
		resp, err := a.fed.fetcher.Fetch(ctx, u, "application/jrd+json, application/json", nil)
		if err != nil {
			lastErr = err
			continue
		}
		jrd, err := ap.ParseJRD(resp.Body)
		if err != nil {
			return "", err
		}
		if actor := jrd.ActorURL(); actor != "" {
			return actor, nil
		}
		return "", fmt.Errorf("webfinger of %s names no actor", handle)
	}
	return "", lastErr
}

// unfollow stops following a remote actor: an Undo of the Follow.
func (a *App) unfollow(w http.ResponseWriter, r *http.Request) error {
	id, err := a.actingIdentity(w, r)
	if id == nil {
		return err
	}
	ctx := r.Context()
	fid, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	f, err := a.store.FollowByID(ctx, fid)
	if err != nil || f.Follower.ID != id.ID {
		return errNotFound()
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.DeleteFollowTx(ctx, tx, f.ID); err != nil {
			return err
		}
		undoID := a.newActivityURI()
		follow := ap.NewFollowRef(f.ActivityURI, a.actorURI(id), f.Followed.URI)
		undo := ap.NewUndo(undoID, a.actorURI(id), follow, []string{f.Followed.URI})
		return a.enqueueActivity(ctx, tx, id, undoID, undo, inboxOf(&f.Followed), time.Time{})
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/me/following", a.printer(r).T("You no longer follow %s.", f.Followed.Handle()))
}

// showFollowers lists who follows the acting identity; only its owner
// sees this page.
func (a *App) showMyFollowers(w http.ResponseWriter, r *http.Request) error {
	id, err := a.actingIdentity(w, r)
	if id == nil {
		return err
	}
	followers, err := a.store.Followers(r.Context(), id.ID, "", followsPerPage, 0)
	if err != nil {
		return err
	}
	p := a.page(r, a.printer(r).T("Followers of %s", id.Handle()))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.FollowersPage(p, views.FollowersView{Identity: id, Followers: followers}))
}

// myFollower is a follow of the acting identity named in the path.
func (a *App) myFollower(w http.ResponseWriter, r *http.Request) (*store.Follow, error) {
	id, err := a.actingIdentity(w, r)
	if id == nil {
		return nil, err
	}
	fid, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	f, err := a.store.FollowByID(r.Context(), fid)
	if err != nil || f.Followed.ID != id.ID {
		return nil, errNotFound()
	}
	return f, nil
}

// acceptFollower approves a follow request held for approval.
func (a *App) acceptFollower(w http.ResponseWriter, r *http.Request) error {
	f, err := a.myFollower(w, r)
	if f == nil {
		return err
	}
	ctx := r.Context()
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.AcceptFollowTx(ctx, tx, f.ID); err != nil {
			return err
		}
		return a.answerFollowTx(ctx, tx, f, ap.TypeAccept)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/me/followers", a.printer(r).T("%s now follows you.", f.Follower.Handle()))
}

// removeFollower refuses a follow request or removes a follower; the
// follower's server is told with a Reject.
func (a *App) removeFollower(w http.ResponseWriter, r *http.Request) error {
	f, err := a.myFollower(w, r)
	if f == nil {
		return err
	}
	ctx := r.Context()
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.DeleteFollowTx(ctx, tx, f.ID); err != nil {
			return err
		}
		if f.Follower.IsLocal() {
			return nil
		}
		return a.answerFollowTx(ctx, tx, f, ap.TypeReject)
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/me/followers", a.printer(r).T("%s no longer follows you.", f.Follower.Handle()))
}
