package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
// only, never Public; private events and drafts are never sent. A
// scheduled event's announcement waits for its publication time.
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
	inboxes, err := a.store.FollowerInboxesTx(ctx, tx, organizer.ID)
	if err != nil {
		return err
	}
	if inboxes, err = a.withInstanceFollowers(ctx, tx, e, inboxes); err != nil || len(inboxes) == 0 {
		return err
	}
	doc := a.eventDocument(e)
	actor := a.actorURI(organizer)
	id := a.newActivityURI()
	var activity *ap.Activity
	switch verb {
	case VerbCreate:
		activity = ap.NewCreate(id, actor, doc, doc.To, doc.Cc)
	case VerbUpdate:
		activity = ap.NewUpdate(id, actor, doc, doc.To, doc.Cc)
	case VerbDelete:
		activity = ap.NewDelete(id, actor, doc.ID, ap.TypeEvent, doc.To, doc.Cc)
	default:
		return fmt.Errorf("enqueue event activity: unknown verb %q", verb)
	}
	notBefore := *e.PublishedAt
	if verb == VerbDelete {
		notBefore = time.Time{}
	}
	return a.enqueueActivity(ctx, tx, organizer, id, activity, inboxes, notBefore)
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
// queues what peers need: a Create when it is first announced (a draft
// published, an event made visible), an Update, or a Delete when it is no
// longer theirs to see (made private or back to draft).
func (a *App) updateEventAndAnnounce(ctx context.Context, old, e *store.Event) error {
	verb := ""
	switch was, is := announced(old), announced(e); {
	case !was && is:
		verb = VerbCreate
	case was && is:
		verb = VerbUpdate
	case was && !is:
		verb = VerbDelete
	}
	return a.store.Tx(ctx, func(tx *sql.Tx) error {
		if err := a.store.UpdateEventTx(ctx, tx, e); err != nil {
			return err
		}
		switch verb {
		case "":
			return nil
		case VerbDelete:
			gone := *old
			return a.enqueueEventActivity(ctx, tx, &gone, VerbDelete)
		}
		return a.enqueueEventActivity(ctx, tx, e, verb)
	})
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
