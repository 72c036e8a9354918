package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"convene/app/ap"
	"convene/app/store"
)

// Verbs of enqueueEventActivity.
const (
	VerbCreate = "Create"
	VerbUpdate = "Update"
	VerbDelete = "Delete"
)

// enqueueEventActivity queues the announcement of a change to a local
// event to its organiser's followers, inside tx: the transaction that makes
// the change, so the two commit together or not at all. Call it with the
// event as it now is (for a Delete: as it was).
//
// Public events go to Public with cc followers; unlisted ones to followers
// only, never Public, and never to followers that are servers (see
// eventFollowerInboxesTx); private events and drafts are never sent. A
// scheduled event's announcement waits for its publication time. Servers
// following the instance receive public events from the instance actor
// (enqueueInstanceEventTx).
func (a *App) enqueueEventActivity(ctx context.Context, tx *sql.Tx, e *store.Event, verb string) error {
	if e.URI != "" || e.Visibility == store.VisibilityPrivate || e.Draft || e.PublishedAt == nil {
		return nil
	}
	organizer := e.Organizer
	if organizer == nil || organizer.ID != e.OrganizerID {
		var err error
		if organizer, err = a.store.ActorByID(ctx, e.OrganizerID); err != nil {
			return err
		}
		e.Organizer = organizer
	}
	if e.AttributedToID != 0 {
		if err := a.announceGroupEventTx(ctx, tx, e, verb); err != nil {
			return err
		}
	}
	inboxes, err := a.eventFollowerInboxesTx(ctx, tx, e, organizer.ID)
	if err != nil {
		return err
	}
	doc := a.eventDocument(e)
	notBefore := *e.PublishedAt
	if verb == VerbDelete {
		notBefore = time.Time{}
	}
	if len(inboxes) > 0 {
		id := a.newActivityURI()
		activity, err := eventActivity(verb, id, a.actorURI(organizer), doc, doc.To, doc.Cc)
		if err != nil {
			return err
		}
		if err := a.enqueueActivity(ctx, tx, organizer, id, activity, inboxes, notBefore); err != nil {
			return err
		}
	}
	return a.enqueueInstanceEventTx(ctx, tx, e, doc, verb, inboxes, notBefore)
}

// eventActivity wraps an event document in the activity verb names.
func eventActivity(verb, id, actor string, doc *ap.Event, to, cc []string) (*ap.Activity, error) {
	switch verb {
	case VerbCreate:
		return ap.NewCreate(id, actor, doc, to, cc), nil
	case VerbUpdate:
		return ap.NewUpdate(id, actor, doc, to, cc), nil
	case VerbDelete:
		return ap.NewDelete(id, actor, doc.ID, ap.TypeEvent, to, cc), nil
	}
	return nil, fmt.Errorf("enqueue event activity: unknown verb %q", verb)
}

// eventFollowerInboxesTx is where an event goes among the followers of
// actorID (its organiser, or its group). An unlisted event goes to people
// only: servers following an actor (Gancio follows with its instance
// actor, relays with theirs) list what they receive for everyone, so to
// them an unlisted event would become public.
func (a *App) eventFollowerInboxesTx(ctx context.Context, tx *sql.Tx, e *store.Event, actorID int64) ([]store.Inbox, error) {
	if e.Visibility == store.VisibilityPublic {
		return a.store.FollowerInboxesTx(ctx, tx, actorID)
	}
	return a.store.PeopleFollowerInboxesTx(ctx, tx, actorID)
}

// enqueueInstanceEventTx sends a public event's Create, Update or Delete
// to the servers following the instance, from the instance actor and
// signed with its key. They follow the instance, not the organiser, and
// take events only from an actor they follow: Gancio answers 404 to an
// event sent by anyone else. The event keeps its organiser (or group) in
// attributedTo. A Create by the instance actor also serves Mobilizon,
// whose relays follow an instance actor the same way: Mobilizon takes a
// Create of an Event from any actor of the event's own host, whereas an
// Announce would make Gancio (which takes Announce only as a boost of its
// own events) drop it. Inboxes that already receive the organiser's
// activity are left out, so a server gets the event once.
func (a *App) enqueueInstanceEventTx(ctx context.Context, tx *sql.Tx, e *store.Event, doc *ap.Event, verb string, sent []store.Inbox, notBefore time.Time) error {
	if e.Visibility != store.VisibilityPublic {
		return nil
	}
	// Inside the caller's transaction: never create the actor here.
	instID, err := a.store.InstanceActorIDTx(ctx, tx)
	if err != nil || instID == 0 {
		return err
	}
	followers, err := a.store.FollowerInboxesTx(ctx, tx, instID)
	if err != nil {
		return err
	}
	inboxes := slices.DeleteFunc(followers, func(in store.Inbox) bool {
		return slices.ContainsFunc(sent, func(s store.Inbox) bool { return s.URL == in.URL })
	})
	if len(inboxes) == 0 {
		return nil
	}
	inst, err := a.store.ActorByID(ctx, instID)
	if err != nil {
		return err
	}
	id := a.newActivityURI()
	activity, err := eventActivity(verb, id, a.actorURI(inst), doc, []string{ap.Public}, []string{a.followersURI(inst)})
	if err != nil {
		return err
	}
	return a.enqueueActivity(ctx, tx, inst, id, activity, inboxes, notBefore)
}

// enqueueActivity stores an activity for delivery to inboxes, inside tx,
// and wakes the delivery worker (whose claim waits for tx to commit).
func (a *App) enqueueActivity(ctx context.Context, tx *sql.Tx, actor *store.Actor, id string, activity any, inboxes []store.Inbox, notBefore time.Time) error {
	if inboxes = a.allowedInboxes(inboxes); len(inboxes) == 0 {
		return nil
	}
	body, err := json.Marshal(activity)
	if err != nil {
		return err
	}
	if err := a.store.EnqueueActivityTx(ctx, tx, store.OutgoingActivity{URI: id, ActorID: actor.ID, Body: body}, inboxes, notBefore); err != nil {
		return err
	}
	poke(a.fed.deliverPoke)
	return nil
}

// inboxOf is where to send an activity meant for one remote actor: its own
// inbox (Follow, Accept and the like are personal).
func inboxOf(act *store.Actor) []store.Inbox {
	if act.InboxURL == "" {
		return nil
	}
	return []store.Inbox{{URL: act.InboxURL, Host: act.Domain}}
}

// announced tells whether peers have been (or, once scheduled, will be)
// told about an event in this state.
func announced(e *store.Event) bool {
	return e.URI == "" && !e.Draft && e.PublishedAt != nil && e.Visibility != store.VisibilityPrivate
}

// createEventAndAnnounce stores a new event and, in the same transaction,
// queues its Create for the organiser's followers.
func (a *App) createEventAndAnnounce(ctx context.Context, e *store.Event) error {
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.CreateEventTx(ctx, tx, e); err != nil {
			return err
		}
		return a.enqueueEventActivity(ctx, tx, e, VerbCreate)
	})
}

// updateEventAndAnnounce stores an edited event (old is how it was) and
// queues what peers need (updateEventAndAnnounceTx).
func (a *App) updateEventAndAnnounce(ctx context.Context, old, e *store.Event) error {
	return a.store.Tx(ctx, func(tx *sql.Tx) error { return a.updateEventAndAnnounceTx(ctx, tx, old, e) })
}

// updateEventAndAnnounceTx stores an edited event inside tx and queues a
// Create when it is first announced (a draft published, an event made
// visible), an Update, or a Delete when it is no longer theirs to see
// (made private or back to draft).
func (a *App) updateEventAndAnnounceTx(ctx context.Context, tx *sql.Tx, old, e *store.Event) error {
	verb := ""
	switch was, is := announced(old), announced(e); {
	case !was && is:
		verb = VerbCreate
	case was && is:
		verb = VerbUpdate
	case was && !is:
		verb = VerbDelete
	}
	if err := a.store.UpdateEventTx(ctx, tx, e); err != nil {
		return err
	}
	if verb == VerbUpdate && old.Visibility == store.VisibilityPublic && e.Visibility != store.VisibilityPublic {
		if err := a.withdrawFromServersTx(ctx, tx, old); err != nil {
			return err
		}
	}
	switch verb {
	case "":
		return nil
	case VerbDelete:
		gone := *old
		return a.enqueueEventActivity(ctx, tx, &gone, VerbDelete)
	}
	return a.enqueueEventActivity(ctx, tx, e, verb)
}

// withdrawFromServersTx takes back a public event that is public no
// more from the servers that had it as followers (eventFollowerInboxesTx):
// they would keep listing it. People following its organiser keep it,
// with the Update that follows.
func (a *App) withdrawFromServersTx(ctx context.Context, tx *sql.Tx, old *store.Event) error {
	organizer, err := a.store.ActorByID(ctx, old.OrganizerID)
	if err != nil {
		return err
	}
	gone := *old
	gone.Organizer = organizer
	if err := a.enqueueInstanceEventTx(ctx, tx, &gone, a.eventDocument(&gone), VerbDelete, nil, time.Time{}); err != nil {
		return err
	}
	all, err := a.store.FollowerInboxesTx(ctx, tx, old.OrganizerID)
	if err != nil {
		return err
	}
	people, err := a.store.PeopleFollowerInboxesTx(ctx, tx, old.OrganizerID)
	if err != nil {
		return err
	}
	servers := slices.DeleteFunc(all, func(in store.Inbox) bool {
		return slices.ContainsFunc(people, func(p store.Inbox) bool { return p.URL == in.URL })
	})
	if len(servers) == 0 {
		return nil
	}
	id := a.newActivityURI()
	del := ap.NewDelete(id, a.actorURI(organizer), a.eventURI(old), ap.TypeEvent, []string{ap.Public}, []string{a.followersURI(organizer)})
	return a.enqueueActivity(ctx, tx, organizer, id, del, servers, time.Time{})
}

// deleteEventAndAnnounce deletes an event and queues its Delete.
func (a *App) deleteEventAndAnnounce(ctx context.Context, e *store.Event) error {
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.enqueueEventActivity(ctx, tx, e, VerbDelete); err != nil {
			return err
		}
		return a.store.DeleteEventTx(ctx, tx, e.ID)
	})
}
