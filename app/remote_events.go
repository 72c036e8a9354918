package app

// Remote events: what followed sources publish, taken in under the
// ingestion rules of the spec (following-moderation.md §1.2) and shown
// beside our own events with their origin.
//
// A remote event is an events row with uri set and a remote organiser,
// plus a remote_events row (where to view it, its audience, the origin's
// last update). Being an events row, it appears in every list, search,
// tag page and feed with nothing special; whether it may appear is its
// visibility, set by store.RelistRemoteEventsTx from its audience, its
// sources and the federation policy.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"time"

	"convene/app/ap"
	"convene/app/store"
	"convene/views"

	"github.com/microcosm-cc/bluemonday"
)

// Freshness of remote events.
const (
	remoteRetention     = 30 * 24 * time.Hour // ended events are kept this long
	remoteRefreshWithin = 14 * 24 * time.Hour // events starting this soon are refetched...
	remoteRefreshEvery  = 24 * time.Hour      // ...when older than this
	tombstoneRetention  = 90 * 24 * time.Hour
)

// receiveRemoteEvent handles Create and Update of an Event. What the
// federation core does for identities' follows (remote_objects) is kept;
// then the event is taken in as a source's event if the rules allow it.
func (a *App) receiveRemoteEvent(ctx context.Context, in *incoming) error {
	if err := a.receiveEvent(ctx, in); err != nil {
		return err
	}
	return a.ingestEvent(ctx, in.Actor, in.Object.Raw, "create")
}

// ingestEvent applies the ingestion rules to an event whose content its
// origin vouches for (raw), sent or announced by actor.
func (a *App) ingestEvent(ctx context.Context, actor *store.RemoteActorInfo, raw []byte, via string) error {
	ev, err := ap.ParseEvent(raw)
	if err != nil {
		return err
	}
	if ev.ID == "" || strings.TrimSpace(ev.Name) == "" || ev.StartTime.IsZero() {
		return errors.New("event without id, name or startTime")
	}
	// Tangential blocks: an event of a refused host, or attributed to one,
	// is dropped whoever relays it.
	if !a.federationAllowed(ev.ID) || (ev.Organizer() != "" && !a.federationAllowed(ev.Organizer())) {
		return nil
	}
	reused, err := a.tombstoneAllows(ctx, ev)
	if errors.Is(err, errTombstoned) {
		return nil
	}
	if err != nil {
		return err
	}
	existing, err := a.store.RemoteEventByURI(ctx, ev.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// Which source brings it: the sender itself, or an instance source on
	// its host. Updates of an event already cached are judged by origin.
	sourceID, err := a.store.AcceptedSourceFor(ctx, actor.ID, actor.Domain)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// A person's own follow makes the sender a personal source: its events
	// are kept, linked to it for that person's calendar, but stay unlisted
	// on the instance unless an instance source also brings them.
	personalSource := int64(0)
	if sourceID == 0 {
		followed, err := a.store.IsFollowedLocally(ctx, actor.ID)
		if err != nil {
			return err
		}
		if followed {
			personalSource = actor.ID
		} else if existing == nil && !a.groupWithLocalMembers(ctx, actor.ID) && a.groupModeratedBy(ctx, actor, ev) == nil {
			return nil // not from a source: acknowledged, not stored
		}
	}
	publicTo := slices.Contains(ev.To, ap.Public)
	if !publicTo && !slices.Contains(ev.Cc, ap.Public) {
		return nil // no Public at all: not ours to show
	}
	if existing != nil {
		if !ap.SameHost(ev.ID, actor.URI) && via == "create" {
			return fmt.Errorf("update of %s from another origin", ev.ID)
		}
		if !ev.Updated.IsZero() && ev.Updated.Before(existing.RemoteUpdated) {
			return nil // an older copy never overwrites a newer one
		}
	}
	organizer, err := a.eventOrganizer(ctx, actor, ev)
	if err != nil {
		return err
	}
	e := a.eventFromRemote(ev, organizer.ID, a.remoteEventZone(ctx, ev))
	e.AttributedToID = a.remoteEventGroup(ctx, actor, ev, organizer, via)
	url := ev.URL
	if url == "" {
		url = ev.ID
	}
	host, _ := ap.Host(ev.ID)
	updated := ev.Updated
	if updated.IsZero() {
		updated = ev.Published
	}
	pictureDue := false
	defer func() {
		if pictureDue {
			poke(a.fed.picturePoke)
		}
	}()
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		if existing != nil {
			e.ID, e.UUID = existing.EventID, existing.UUID
		}
		if reused {
			if err := a.store.RemoveTombstoneTx(ctx, tx, ev.ID); err != nil {
				return err
			}
		}
		if err := a.store.SaveRemoteEventTx(ctx, tx, e, store.RemoteEventMeta{
			URL: url, OriginDomain: host, PublicInTo: publicTo, RemoteJoin: strings.ToLower(ev.JoinMode),
			RemoteUpdated: updated, Raw: raw,
		}); err != nil {
			return err
		}
		// The picture: our copy when we have it, else fetched later.
		if pictureDue, err = a.store.SetRemotePictureTx(ctx, tx, e.ID, remotePictureURL(ev)); err != nil {
			return err
		}
		for _, src := range []int64{sourceID, personalSource} {
			if src == 0 {
				continue
			}
			if err := a.store.LinkEventSourceTx(ctx, tx, e.ID, src, via); err != nil {
				return err
			}
		}
		return a.store.RelistRemoteEventsTx(ctx, tx, e.ID, a.silencedDomains())
	})
}

// errTombstoned drops an event whose id names one that was deleted.
var errTombstoned = errors.New("event was deleted")

// tombstoneAllows decides about an event whose id we may hold a tombstone
// for. No tombstone: go on (false). A tombstone: the deleted event coming
// back (a replay, a late retry, a stale relay) is dropped; but an origin
// may give the id of a deleted event to a new one (Gancio on SQLite
// numbers events by row id, and reuses the newest's after it is deleted),
// and that event must not be lost. It is taken as new (true: its
// tombstone goes) when all of these hold:
//
//   - its content is its origin's: ingestEvent only sees copies the
//     object's own host vouched for (embedded by an actor of that host, or
//     fetched from it), and the tombstone is of that host;
//   - it was published after the deleted event was: what comes back of the
//     deleted one carries the deleted one's publication time (or none, and
//     is dropped: without dates the two cannot be told apart).
//
// A different publication time is different content, and the origin's
// word on its own ids is the only one there is.
func (a *App) tombstoneAllows(ctx context.Context, ev *ap.RemoteEvent) (bool, error) {
	tomb, err := a.store.TombstoneOf(ctx, ev.ID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	host, _ := ap.Host(ev.ID)
	// Publication times are stored to the second.
	if tomb.ObjectPublished.IsZero() || ev.Published.IsZero() || !strings.EqualFold(host, tomb.Domain) ||
		ev.Published.Unix() <= tomb.ObjectPublished.Unix() {
		return false, errTombstoned
	}
	return true, nil
}

// eventOrganizer is the remote actor an event is attributed to, fetched
// if unknown (the sender when it is its own event).
func (a *App) eventOrganizer(ctx context.Context, sender *store.RemoteActorInfo, ev *ap.RemoteEvent) (*store.RemoteActorInfo, error) {
	org := ev.Organizer()
	if org == "" || ap.SameURL(org, sender.URI) {
		return sender, nil
	}
	if ev.Actor == "" && a.groupModeratedBy(ctx, sender, ev) != nil {
		return sender, nil // a moderator's Create of the group's event
	}
	if !ap.SameHost(org, ev.ID) {
		return nil, fmt.Errorf("event %s attributed to another host", ev.ID)
	}
	return a.remoteActor(ctx, org, false)
}

var stripHTML = bluemonday.StrictPolicy()

// eventFromRemote maps a peer's event onto our events row, its times
// shown in zone. The description is the peer's HTML, sanitised; its plain
// text is what search indexes.
func (a *App) eventFromRemote(ev *ap.RemoteEvent, organizerID int64, zone string) *store.Event {
	// An event sent without an end (Gancio's often are) is stored as
	// ending when it starts: the store's "no end" (store.Event.HasEnd),
	// shown as its start alone and written without DTEND, as iCalendar
	// reads a missing end. Nothing is invented.
	end := ev.EndTime
	if end.IsZero() || end.Before(ev.StartTime) {
		end = ev.StartTime
	}
	published := ev.Published
	if published.IsZero() || published.After(a.now()) {
		published = a.now()
	}
	e := &store.Event{
		URI: ev.ID, OrganizerID: organizerID,
		Title:           clipRunes(strings.TrimSpace(ev.Name), 200),
		DescriptionHTML: remoteHTMLPolicy().Sanitize(ev.Content),
		DescriptionMD:   clipRunes(strings.TrimSpace(html.UnescapeString(stripHTML.Sanitize(ev.Content))), 10000),
		StartsAt:        ev.StartTime.UTC(), EndsAt: end.UTC(), Timezone: zone,
		OnlineURL: ev.OnlineAddress(), Category: "other", Status: store.StatusConfirmed,
		Visibility: store.VisibilityUnlisted, JoinMode: store.JoinExternal,
		ExternalURL:       ev.ExternalParticipationURL,
		CommentModeration: store.CommentsClosed, Language: ev.InLanguage, PublishedAt: &published,
	}
	if slices.Contains(store.Categories, strings.ToLower(ev.Category)) {
		e.Category = strings.ToLower(ev.Category)
	}
	switch ev.Status {
	case "CANCELLED":
		e.Status = store.StatusCancelled
	case "TENTATIVE":
		e.Status = store.StatusTentative
	}
	if len(ev.Locations) > 0 {
		p := ev.Locations[0]
		e.Address.Venue = clipRunes(p.Name, 200)
		if p.Address != nil {
			e.Address.Street = clipRunes(p.Address.StreetAddress, 200)
			e.Address.PostalCode = clipRunes(p.Address.PostalCode, 20)
			e.Address.Locality = clipRunes(p.Address.AddressLocality, 100)
			e.Address.Region = clipRunes(p.Address.AddressRegion, 100)
			e.Address.Country = clipRunes(p.Address.AddressCountry, 100)
		} else if p.AddressText != "" && e.Address.Venue == "" {
			e.Address.Venue = clipRunes(p.AddressText, 200)
		} else if p.AddressText != "" {
			// Gancio: a place name and its address as one line; the line
			// is kept whole, as the street part of the address.
			e.Address.Street = clipRunes(p.AddressText, 200)
		}
		e.Address.Latitude, e.Address.Longitude = p.Latitude, p.Longitude
	}
	for _, t := range ev.Tags {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" && len(e.Tags) < 20 {
			e.Tags = append(e.Tags, clipRunes(t, 50))
		}
	}
	return e
}

// receiveAnnounce takes in an event a source boosts or relays: the
// embedded object when it has the announcer's origin, else the object
// refetched from its own origin. Announces of anything else (a Note
// boosted by a Mastodon account) are ignored.
func (a *App) receiveAnnounce(ctx context.Context, in *incoming) error {
	ref := in.Activity.Object
	if ref.ID == "" {
		return nil
	}
	// Tangential block: refused hosts are neither stored nor fetched.
	if !a.federationAllowed(ref.ID) {
		return nil
	}
	if gone, err := a.store.IsTombstoned(ctx, ref.ID); err != nil || gone {
		return err
	}
	// Only sources may bring new events: do not fetch for strangers.
	if _, err := a.store.RemoteEventByURI(ctx, ref.ID); errors.Is(err, store.ErrNotFound) {
		if _, err := a.store.AcceptedSourceFor(ctx, in.Actor.ID, in.Actor.Domain); err != nil && !a.groupWithLocalMembers(ctx, in.Actor.ID) {
			followed, ferr := a.store.IsFollowedLocally(ctx, in.Actor.ID)
			if ferr != nil || !followed {
				return ferr
			}
		}
	}
	if ap.SameHost(ref.ID, a.cfg.BaseURL) {
		return nil
	}
	raw, err := a.announcedObject(ctx, ref, ap.SameHost(ref.ID, in.Actor.URI), a.instanceSigner(ctx))
	if err != nil {
		return err
	}
	obj, err := ap.ParseObject(raw)
	if err != nil || !obj.Is(ap.TypeEvent) {
		return nil
	}
	return a.ingestEvent(ctx, in.Actor, raw, "announce")
}

// announcedObject resolves what an Announce carries by fetching it again,
// signed, from where its id says it lives: the origin's copy is the one
// to trust and the newest. When the origin does not show it to us (a
// members-only object: Mobilizon answers 404 to anyone for a private
// post), the embedded copy is used, but only if vouched for: its
// announcer is on the object's own server (or is the group whose
// discussion it belongs to) and signed the Announce.
func (a *App) announcedObject(ctx context.Context, ref ap.ObjectRef, vouched bool, signer *ap.Signer) ([]byte, error) {
	raw, err := a.fed.fetcher.FetchObject(ctx, ref.ID, signer)
	if err == nil {
		return raw, nil
	}
	var status *ap.StatusError
	if errors.As(err, &status) && status.Code >= 400 && status.Code < 500 && status.Code != http.StatusGone &&
		status.Code != http.StatusTooManyRequests && status.Code != http.StatusRequestTimeout {
		if ref.Embedded() && vouched {
			return ref.Raw, nil
		}
		return nil, fmt.Errorf("announced %s is not served to us (%d)", ref.ID, status.Code)
	}
	return nil, errRetry{fmt.Errorf("refetching announced %s: %w", ref.ID, err)}
}

// receiveUndoAnnounce: a source no longer relays an event; an event left
// with no source drops off the public calendar.
func (a *App) receiveUndoAnnounce(ctx context.Context, in *incoming) error {
	announce, err := ap.ParseActivity(in.Activity.Object.Raw)
	if err != nil || !ap.SameURL(announce.Actor, in.Actor.URI) {
		return nil
	}
	ev, err := a.store.RemoteEventByURI(ctx, announce.Object.ID)
	if err != nil {
		return nil
	}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.UnlinkSourceTx(ctx, tx, in.Actor.ID, ev.EventID); err != nil {
			return err
		}
		return a.store.RelistRemoteEventsTx(ctx, tx, ev.EventID, a.silencedDomains())
	})
}

// receiveRemoteDelete: the origin deleted an event (by id or Tombstone):
// it goes, and its tombstone keeps it from coming back.
func (a *App) receiveRemoteDelete(ctx context.Context, in *incoming) error {
	if err := a.receiveDelete(ctx, in); err != nil {
		return err
	}
	id := in.Activity.Object.ID
	ev, err := a.store.RemoteEventByURI(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !ap.SameHost(id, in.Actor.URI) {
		return nil
	}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		return a.store.DeleteRemoteEventTx(ctx, tx, ev.EventID, id, ev.OriginDomain)
	})
}

// RefreshRemoteEvents is the daily freshness job: events starting within
// two weeks not fetched for a day are refetched (a 404 or 410 deletes
// them), ended ones past the retention are purged, old tombstones go.
func (a *App) RefreshRemoteEvents(ctx context.Context) error {
	now := a.now()
	if _, err := a.store.PurgeEndedRemoteEvents(ctx, now.Add(-remoteRetention)); err != nil {
		return err
	}
	if err := a.store.PurgeTombstones(ctx, now.Add(-tombstoneRetention)); err != nil {
		return err
	}
	uris, err := a.store.RemoteEventsToRefresh(ctx, now, now.Add(remoteRefreshWithin), now.Add(-remoteRefreshEvery), 500)
	if err != nil {
		return err
	}
	for _, uri := range uris {
		ev, err := a.store.RemoteEventByURI(ctx, uri)
		if err != nil {
			continue
		}
		raw, err := a.fetchObject(ctx, uri)
		var status *ap.StatusError
		switch {
		case errors.As(err, &status) && (status.Code == 404 || status.Code == 410):
			err = a.store.Tx(ctx, func(tx *sql.Tx) error {
				return a.store.DeleteRemoteEventTx(ctx, tx, ev.EventID, uri, ev.OriginDomain)
			})
		case err != nil:
			a.log.Info("remote event refresh", "uri", uri, "err", err)
			continue
		default:
			if obj, perr := ap.ParseObject(raw); perr == nil && obj.Is("Tombstone") {
				err = a.store.Tx(ctx, func(tx *sql.Tx) error {
					return a.store.DeleteRemoteEventTx(ctx, tx, ev.EventID, uri, ev.OriginDomain)
				})
				break
			}
			organizer, oerr := a.store.RemoteActorByID(ctx, ev.OrganizerID)
			if oerr != nil {
				continue
			}
			err = a.ingestEvent(ctx, organizer, raw, "refresh")
			if err == nil {
				err = a.store.TouchRemoteEvent(ctx, ev.EventID)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// showRemoteEvent is the page of an event from another server: its origin,
// and how to take part there (the external registration URL when the
// origin names one, else the original page).
func (a *App) showRemoteEvent(w http.ResponseWriter, r *http.Request, e *store.Event) error {
	remote, err := a.store.RemoteEventByID(r.Context(), e.ID)
	if err != nil {
		return errNotFound()
	}
	if remote.Hidden && (currentAccount(r) == nil || !currentAccount(r).IsAdmin) {
		return errNotFound()
	}
	l := a.printer(r)
	v := views.RemoteEventView{Event: e, Remote: remote, JoinURL: remote.URL,
		When: formatWhen(l, e.StartsAt, e.EndsAt, e.Location()), ReportPath: "/report?event=" + e.UUID}
	if remote.RemoteJoin == "external" && e.ExternalURL != "" {
		v.JoinURL, v.JoinIsExt = e.ExternalURL, true
	}
	v.Participation = a.remoteJoinComponent(r, e)
	p := a.page(r, e.Title)
	return a.render(w, r, http.StatusOK, views.RemoteEventPage(p, v))
}
