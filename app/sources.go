package app

// Sources: remote actors the instance follows (as its instance actor) so
// that their events show on our calendar: a Mobilizon instance's relay, a
// Mobilizon group, a Gancio instance, another Convene instance or
// identity, a Mastodon account that boosts events.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"convene/app/ap"
	"convene/app/store"
	"convene/views"
)

// backfillMax bounds how many items of a new source's collection are read.
const backfillMax = 50

func (a *App) showAdminSources(w http.ResponseWriter, r *http.Request) error {
	return a.renderAdminSources(w, r, http.StatusOK, "", nil)
}

func (a *App) renderAdminSources(w http.ResponseWriter, r *http.Request, status int, address string, errs views.FieldErrors) error {
	sources, err := a.store.Sources(r.Context())
	if err != nil {
		return err
	}
	return a.render(w, r, status, views.AdminSourcesPage(a.adminPage(r, "Sources of events"), sources, address, errs))
}

// addSource follows what the admin typed: @user@host, an actor URL, or a
// bare host (its instance actor).
func (a *App) addSource(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	l := a.printer(r)
	address := strings.TrimSpace(r.PostFormValue("address"))
	fail := func(msg string) error {
		return a.renderAdminSources(w, r, http.StatusUnprocessableEntity, address, views.FieldErrors{"address": msg})
	}
	if address == "" || len(address) > 300 {
		return fail(l.T("Give an address: @group@events.example.org, a profile URL or a server name like events.example.org."))
	}
	if !a.limits.allow("source:"+strconv.FormatInt(currentAccount(r).ID, 10), 2*time.Second, 10) {
		return fail(l.T("Too many attempts; wait a minute and try again."))
	}
	if host := normalizeDomain(address); host != "" && !a.federationAllowed(host) {
		return fail(l.T("This instance's federation policy blocks %s.", host))
	}
	actorURL, err := a.resolveSource(ctx, address)
	if err != nil {
		a.log.Info("source: lookup failed", "address", address, "err", err)
		if errors.Is(err, ap.ErrHostRefused) {
			return fail(l.T("This instance's federation policy blocks %s.", normalizeDomain(address)))
		}
		return fail(l.T("Nothing to follow was found at this address. Check it and try again."))
	}
	if ap.SameHost(actorURL, a.cfg.BaseURL) {
		return fail(l.T("This is this instance: its events are already here."))
	}
	if err := a.followSource(ctx, currentAccount(r), actorURL); err != nil {
		a.log.Info("source: follow failed", "actor", actorURL, "err", err)
		return fail(l.T("Nothing to follow was found at this address. Check it and try again."))
	}
	return a.redirect(w, r, "/admin/sources", l.T("Follow request sent. The source shows as pending until its server accepts."))
}

// followSource sends a Follow from the instance actor to actorURL and
// records the source as pending.
func (a *App) followSource(ctx context.Context, by *store.Account, actorURL string) error {
	remote, err := a.remoteActor(ctx, actorURL, false)
	if err != nil {
		return err
	}
	if remote.InboxURL == "" {
		return fmt.Errorf("actor %s has no inbox", actorURL)
	}
	inst, err := a.instanceActor(ctx)
	if err != nil {
		return err
	}
	kind := store.SourcePerson
	switch remote.Kind {
	case store.KindApplication:
		kind = store.SourceInstance
	case store.KindGroup:
		kind = store.SourceGroup
	}
	var byID int64
	if by != nil {
		byID = by.ID
	}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		actID := a.newActivityURI()
		if _, err := a.store.SaveFollowTx(ctx, tx, inst.ID, remote.ID, actID, store.FollowPending); err != nil {
			return err
		}
		if err := a.store.SaveSourceTx(ctx, tx, remote.ID, kind, actID, byID); err != nil {
			return err
		}
		if err := a.logModeration(ctx, tx, by, "source.follow", "source", remote.URI, 0, map[string]string{"kind": kind}); err != nil {
			return err
		}
		return a.enqueueActivity(ctx, tx, inst, actID, ap.NewFollow(actID, a.actorURI(inst), remote.URI), inboxOf(&remote.Actor), time.Time{})
	})
}

// resolveSource finds the actor an address names: WebFinger for
// @user@host, the URL itself, else for a bare host the NodeInfo
// Application actor (FEP-2677), then relay@host, then host@host.
func (a *App) resolveSource(ctx context.Context, address string) (string, error) {
	if strings.Contains(address, "://") {
		return address, nil
	}
	if strings.Contains(strings.TrimPrefix(address, "@"), "@") {
		return a.resolveHandle(ctx, address)
	}
	host := strings.TrimSuffix(strings.ToLower(address), "/")
	if strings.ContainsAny(host, "/?#@ ") {
		return "", fmt.Errorf("%q is not a host", address)
	}
	if actor, err := a.nodeInfoInstanceActor(ctx, host); err == nil {
		return actor, nil
	} else if errors.Is(err, ap.ErrHostRefused) {
		return "", err
	}
	name, _, _ := strings.Cut(host, ":")
	var lastErr error
	for _, user := range []string{"relay", name} {
		actor, err := a.resolveHandle(ctx, "@"+user+"@"+host)
		if err == nil {
			return actor, nil
		}
		lastErr = err
	}
	return "", lastErr
}

// nodeInfoInstanceActor reads a host's NodeInfo links for its instance
// actor.
func (a *App) nodeInfoInstanceActor(ctx context.Context, host string) (string, error) {
	schemes := []string{"https"}
	if a.fed.unsafe {
		schemes = append(schemes, "http")
	}
	var lastErr error
	for _, scheme := range schemes {
		resp, err := a.fed.fetcher.Fetch(ctx, scheme+"://"+host+"/.well-known/nodeinfo", "application/json", nil)
		if err != nil {
			lastErr = err
			continue
		}
		jrd, err := ap.ParseJRD(resp.Body)
		if err != nil {
			return "", err
		}
		if href := jrd.Href("https://www.w3.org/ns/activitystreams#Application"); href != "" && ap.SameHost(href, scheme+"://"+host) {
			return href, nil
		}
		return "", fmt.Errorf("nodeinfo of %s names no instance actor", host)
	}
	return "", lastErr
}

// unfollowSource sends Undo Follow and forgets which events the source
// brought (they drop off the calendar unless another source has them).
func (a *App) unfollowSource(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	src, err := a.store.SourceByActor(ctx, id)
	if err != nil {
		return errNotFound()
	}
	inst, err := a.instanceActor(ctx)
	if err != nil {
		return err
	}
	mod := currentAccount(r)
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		if f, err := a.store.FollowBetween(ctx, inst.ID, src.Actor.ID); err == nil {
			if err := a.store.DeleteFollowTx(ctx, tx, f.ID); err != nil {
				return err
			}
			undoID := a.newActivityURI()
			follow := ap.NewFollowRef(f.ActivityURI, a.actorURI(inst), src.Actor.URI)
			undo := ap.NewUndo(undoID, a.actorURI(inst), follow, []string{src.Actor.URI})
			if err := a.enqueueActivity(ctx, tx, inst, undoID, undo, inboxOf(&src.Actor), time.Time{}); err != nil {
				return err
			}
		}
		if err := a.store.DeleteSourceTx(ctx, tx, src.Actor.ID); err != nil {
			return err
		}
		if err := a.logModeration(ctx, tx, mod, "source.remove", "source", src.Actor.URI, 0, map[string]string{"handle": src.Actor.Handle()}); err != nil {
			return err
		}
		return a.store.RelistRemoteEventsTx(ctx, tx, 0, a.silencedDomains())
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/admin/sources", a.printer(r).T("You no longer follow %s.", src.Actor.Handle()))
}

// showSource lists a source's upcoming events, whatever their audience.
func (a *App) showSource(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	src, err := a.store.SourceByActor(ctx, id)
	if err != nil {
		return errNotFound()
	}
	events, err := a.store.EventsOfSource(ctx, src.Actor.ID, a.now(), 200)
	if err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, views.AdminSourcePage(a.adminPage(r, "Source"), src, events))
}

// followAnswered is called once one of our follows was accepted or
// rejected: for a source, it moves its state and, when accepted,
// backfills its upcoming events.
func (a *App) followAnswered(ctx context.Context, f *store.Follow, accepted bool) error {
	if f.Follower.Kind != store.KindApplication {
		return nil
	}
	src, err := a.store.SourceByActor(ctx, f.Followed.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !accepted {
		return a.store.SetSourceStateTx(ctx, a.store.DB(), src.Actor.ID, store.SourceRejected)
	}
	if err := a.store.SetSourceStateTx(ctx, a.store.DB(), src.Actor.ID, store.SourceAccepted); err != nil {
		return err
	}
	if err := a.backfillSource(ctx, src.Actor.URI); err != nil {
		a.log.Info("source backfill", "source", src.Actor.URI, "err", err)
	}
	return nil
}

// backfillSource reads a source's upcoming events: its upcomingEvents
// collection if it has one (FEP-8a8e), else the first page of its outbox.
func (a *App) backfillSource(ctx context.Context, actorURI string) error {
	src, err := a.store.RemoteActorByURI(ctx, actorURI)
	if err != nil {
		return err
	}
	raw, err := a.fetchObject(ctx, actorURI)
	if err != nil {
		return err
	}
	var doc struct {
		Upcoming json.RawMessage `json:"upcomingEvents"`
		Outbox   json.RawMessage `json:"outbox"`
	}
	_ = json.Unmarshal(raw, &doc)
	collection := refString(doc.Upcoming)
	if collection == "" {
		collection = refString(doc.Outbox)
	}
	if collection == "" || !ap.SameHost(collection, actorURI) {
		return errors.New("no upcomingEvents nor outbox")
	}
	items, err := a.collectionItems(ctx, collection, 2, backfillMax, a.instanceSigner(ctx))
	if err != nil {
		return err
	}
	for _, item := range items {
		var obj struct {
			ID     string          `json:"id"`
			Type   any             `json:"type"`
			Object json.RawMessage `json:"object"`
		}
		if json.Unmarshal(item, &obj) != nil {
			obj.ID = refString(item)
		}
		// Unwrap Create and Announce; what is left is an event or its id.
		inner := item
		if t := fmt.Sprint(obj.Type); t == ap.TypeCreate || t == "Announce" {
			inner = obj.Object
		}
		id := refString(inner)
		if id == "" || !a.federationAllowed(id) {
			continue
		}
		var evRaw []byte
		if len(inner) > 0 && inner[0] == '{' && ap.SameHost(id, actorURI) {
			evRaw = inner
		} else if evRaw, err = a.fetchObject(ctx, id); err != nil {
			continue
		}
		if o, err := ap.ParseObject(evRaw); err != nil || !o.Is(ap.TypeEvent) {
			continue
		}
		if err := a.ingestEvent(ctx, src, evRaw, "backfill"); err != nil {
			a.log.Info("backfill: event refused", "id", id, "err", err)
		}
	}
	return a.store.SetSourceRefreshed(ctx, src.ID)
}

// collectionItems reads up to limit items of a collection, from its
// first pages, fetched signed by signer.
func (a *App) collectionItems(ctx context.Context, uri string, pages, limit int, signer *ap.Signer) ([]json.RawMessage, error) {
	var out []json.RawMessage
	next := uri
	for i := 0; i <= pages && next != "" && len(out) < limit; i++ {
		raw, err := a.fed.fetcher.FetchObject(ctx, next, signer)
		if err != nil {
			return out, err
		}
		var c struct {
			First        json.RawMessage   `json:"first"`
			Next         json.RawMessage   `json:"next"`
			Items        []json.RawMessage `json:"items"`
			OrderedItems []json.RawMessage `json:"orderedItems"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return out, err
		}
		out = append(out, c.OrderedItems...)
		out = append(out, c.Items...)
		switch {
		case len(c.First) > 0 && len(c.OrderedItems)+len(c.Items) == 0:
			if c.First[0] == '{' {
				var page struct {
					Items        []json.RawMessage `json:"items"`
					OrderedItems []json.RawMessage `json:"orderedItems"`
					Next         json.RawMessage   `json:"next"`
				}
				_ = json.Unmarshal(c.First, &page)
				out = append(out, page.OrderedItems...)
				out = append(out, page.Items...)
				next = refString(page.Next)
			} else {
				next = refString(c.First)
			}
		default:
			next = refString(c.Next)
		}
		if next != "" && !ap.SameHost(next, uri) {
			break
		}
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// refString is the id of a JSON value that is an id or an object with one.
func refString(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &o)
	return o.ID
}
