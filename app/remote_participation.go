package app

// Participation across servers, in Mobilizon's words: a remote actor's
// Join of one of our events is handled like a local participation and
// answered with Accept (free events, or when the organisers approve) or
// Reject (full, cancelled, past, invitation only, or declined); Leave
// cancels it. The other way, an identity here joins an event published
// elsewhere with a Join to its organiser, and the Accept or Reject that
// comes back settles the participation.

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"

	"convene/app/ap"
	"convene/app/store"
	"convene/views"

	"github.com/a-h/templ"
)

func init() {
	chainInboxHandler("Join", (*App).receiveJoin)
	chainInboxHandler("Leave", (*App).receiveLeave)
	chainInboxHandler("Accept", func(a *App, ctx context.Context, in *incoming) (bool, error) {
		return a.receiveJoinAnswer(ctx, in, true)
	})
	chainInboxHandler("Reject", func(a *App, ctx context.Context, in *incoming) (bool, error) {
		return a.receiveJoinAnswer(ctx, in, false)
	})
}

// ourEventByURI finds one of our own events by its id, on our host only;
// ErrNotFound for anything else.
func (a *App) ourEventByURI(ctx context.Context, uri string) (*store.Event, error) {
	if !ap.SameHost(uri, a.cfg.BaseURL) {
		return nil, store.ErrNotFound
	}
	return a.localEventByURI(ctx, uri)
}

// organizerOf returns an event's organiser, reading it when not filled.
func (a *App) organizerOf(ctx context.Context, e *store.Event) (*store.Actor, error) {
	if e.Organizer != nil && e.Organizer.ID == e.OrganizerID {
		return e.Organizer, nil
	}
	o, err := a.store.ActorByID(ctx, e.OrganizerID)
	if err != nil {
		return nil, err
	}
	e.Organizer = o
	return o, nil
}

// receiveJoin: a remote actor asks to take part in one of our events.
func (a *App) receiveJoin(ctx context.Context, in *incoming) (bool, error) {
	e, err := a.ourEventByURI(ctx, in.Activity.Object.ID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if !a.eventServable(e) {
		return true, nil // not theirs to know about: no answer at all
	}
	organizer, err := a.organizerOf(ctx, e)
	if err != nil {
		return true, err
	}
	message := clipRunes(strings.TrimSpace(in.Activity.ParticipationMessage), maxParticipantText)
	join := ap.NewJoinRef(in.Activity.ID, in.Actor.URI, a.eventURI(e))
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		state, p, err := a.joinAsIdentityTx(ctx, tx, e, &in.Actor.Actor, message)
		var refusal *participationRefusal
		if errors.As(err, &refusal) {
			a.log.Info("remote join refused", "event", e.UUID, "actor", in.Actor.URI, "reason", refusal.message)
			return a.answerJoinTx(ctx, tx, organizer, &in.Actor.Actor, join, false)
		}
		if err != nil {
			return err
		}
		if err := a.store.SetJoinActivityTx(ctx, tx, p.ID, in.Activity.ID); err != nil {
			return err
		}
		if state == store.ParticipationConfirmed {
			return a.answerJoinTx(ctx, tx, organizer, &in.Actor.Actor, join, true)
		}
		return nil // pending: the organisers decide, and the answer goes then
	})
	return true, err
}

// answerJoinTx queues the organiser's Accept or Reject of a remote Join.
func (a *App) answerJoinTx(ctx context.Context, tx *sql.Tx, organizer, participant *store.Actor, join *ap.ActivityRef, accept bool) error {
	id := a.newActivityURI()
	var act *ap.Activity
	if accept {
		act = ap.NewAccept(id, a.actorURI(organizer), join, []string{participant.URI})
	} else {
		act = ap.NewReject(id, a.actorURI(organizer), join, []string{participant.URI})
	}
	return a.enqueueActivity(ctx, tx, organizer, id, act, inboxOf(participant), time.Time{})
}

// tellRemoteParticipantTx answers a remote participant's Join when the
// organisers decide (called from the decision, inside its transaction).
func (a *App) tellRemoteParticipantTx(ctx context.Context, tx *sql.Tx, e *store.Event, p *store.Participation, accepted bool) error {
	joinID, err := a.store.JoinActivityTx(ctx, tx, p.ID)
	if err != nil || joinID == "" {
		return err
	}
	organizer, err := a.organizerOf(ctx, e)
	if err != nil {
		return err
	}
	join := ap.NewJoinRef(joinID, p.Actor.URI, a.eventURI(e))
	return a.answerJoinTx(ctx, tx, organizer, p.Actor, join, accepted)
}

// receiveLeave: a remote participant no longer comes. Its object is the
// event (Mobilizon) or the Join it takes back.
func (a *App) receiveLeave(ctx context.Context, in *incoming) (bool, error) {
	ref := in.Activity.Object.ID
	var p *store.Participation
	e, err := a.ourEventByURI(ctx, ref)
	switch {
	case err == nil:
		p, err = a.store.ParticipationOf(ctx, e.ID, in.Actor.ID)
	case errors.Is(err, store.ErrNotFound):
		p, err = a.store.ParticipationByJoinActivity(ctx, ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return e != nil, nil
	}
	if err != nil {
		return true, err
	}
	if p.ActorID != in.Actor.ID {
		return true, nil // only the participant may take it back
	}
	return true, a.store.Tx(ctx, func(tx *sql.Tx) error {
		p, err := a.store.ParticipationByIDTx(ctx, tx, p.ID)
		if err != nil || p.State == store.ParticipationRejected || p.State == store.ParticipationCancelled {
			return err
		}
		p.State = store.ParticipationCancelled
		return a.store.UpdateParticipationTx(ctx, tx, p)
	})
}

// receiveJoinAnswer: the organiser of a remote event accepted or refused
// the Join one of our identities sent. Anything else (a Follow's answer)
// goes on to the next handler.
func (a *App) receiveJoinAnswer(ctx context.Context, in *incoming, accept bool) (bool, error) {
	ref := in.Activity.Object
	p, err := a.store.ParticipationByJoinActivity(ctx, ref.ID)
	if errors.Is(err, store.ErrNotFound) && ref.Embedded() {
		// A peer that names the Join by content rather than by our id.
		if join, perr := ap.ParseActivity(ref.Raw); perr == nil && join.Is(ap.TypeJoin) {
			if local, lerr := a.localActorByURI(ctx, join.Actor); lerr == nil {
				if remote, rerr := a.store.RemoteEventByURI(ctx, join.Object.ID); rerr == nil {
					p, err = a.store.ParticipationOf(ctx, remote.EventID, local.ID)
				}
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	e, err := a.store.EventByID(ctx, p.EventID)
	if err != nil {
		return true, err
	}
	// Only the event's own server answers for it, and only for a
	// participation of ours.
	if e.URI == "" || p.Actor == nil || !p.Actor.IsLocal() || !ap.SameHost(in.Actor.URI, e.URI) {
		a.log.Info("join answer ignored", "actor", in.Actor.URI, "event", e.URI)
		return true, nil
	}
	state, kind := store.ParticipationConfirmed, "accepted"
	if !accept {
		state, kind = store.ParticipationRejected, "rejected"
	}
	return true, a.store.Tx(ctx, func(tx *sql.Tx) error {
		p, err := a.store.ParticipationByIDTx(ctx, tx, p.ID)
		if err != nil || p.State == state || p.State == store.ParticipationCancelled {
			return err
		}
		p.State = state
		if err := a.store.UpdateParticipationTx(ctx, tx, p); err != nil {
			return err
		}
		return a.store.AddNotificationTx(ctx, tx, store.Notification{ActorID: p.ActorID, EventID: e.ID, Kind: kind})
	})
}

// remoteJoinClosedReason says why nobody can join an event published
// elsewhere from here, or nil. Its copy's join mode is always "external"
// (people are sent to the origin); the origin's own mode is remote.RemoteJoin.
func remoteJoinClosedReason(now time.Time, e *store.Event, remote *store.RemoteEvent) *participationRefusal {
	switch {
	case e.Status == store.StatusCancelled:
		return errEventCancelled
	case !e.EndsAt.After(now):
		return errEventOver
	case remote.RemoteJoin == ap.JoinModeExternal || remote.RemoteJoin == ap.JoinModeInvite:
		return errEventExternal
	}
	return nil
}

// joinRemoteEvent: an identity here asks to take part in an event
// published elsewhere, with a Join to its organiser. The participation
// waits for their answer.
func (a *App) joinRemoteEvent(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e, err := a.store.EventByUUID(ctx, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	remote, err := a.store.RemoteEventByID(ctx, e.ID)
	if err != nil || remote.Hidden {
		return errNotFound()
	}
	id, err := participationIdentity(r)
	if err != nil {
		return err
	}
	l := a.printer(r)
	if reason := remoteJoinClosedReason(a.now(), e, remote); reason != nil {
		return a.refusalPage(w, r, e, http.StatusConflict, reason.message)
	}
	organizer, err := a.organizerOf(ctx, e)
	if err != nil {
		return err
	}
	if organizer.IsLocal() || organizer.InboxURL == "" {
		return errNotFound()
	}
	message := strings.TrimSpace(r.PostFormValue("message"))
	if msg := validText(l, message, maxParticipantText, true); msg != "" {
		return errBadRequest(msg)
	}
	if !a.limits.allow("join:"+itoa(id.ID), 2*time.Second, 10) {
		return errBadRequest("Too many attempts; wait a minute and try again.")
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		p, err := a.store.ParticipationOfTx(ctx, tx, e.ID, id.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if p != nil && (p.State == store.ParticipationConfirmed || p.State == store.ParticipationPending) {
			return nil // already asked: asking twice changes nothing
		}
		if p != nil && p.State == store.ParticipationRejected {
			return errDeclined
		}
		if p == nil {
			p = &store.Participation{EventID: e.ID, ActorID: id.ID, State: store.ParticipationPending, Message: message}
			if err := a.store.InsertParticipationTx(ctx, tx, p); err != nil {
				return err
			}
		} else {
			p.State, p.Message = store.ParticipationPending, message
			if err := a.store.UpdateParticipationTx(ctx, tx, p); err != nil {
				return err
			}
		}
		joinID := a.newActivityURI()
		if err := a.store.SetJoinActivityTx(ctx, tx, p.ID, joinID); err != nil {
			return err
		}
		join := ap.NewJoin(joinID, a.actorURI(id), e.URI, message, []string{organizer.URI})
		return a.enqueueActivity(ctx, tx, id, joinID, join, inboxOf(organizer), time.Time{})
	})
	var refusal *participationRefusal
	if errors.As(err, &refusal) {
		return a.refusalPage(w, r, e, http.StatusConflict, refusal.message)
	}
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/events/"+e.UUID, l.T("Your request to join was sent to the organisers on %s as %s. You will see their answer on My events.", organizer.Domain, id.Handle()))
}

// leaveRemoteEvent: an identity here no longer takes part in an event
// published elsewhere; its organiser is told with a Leave.
func (a *App) leaveRemoteEvent(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e, err := a.store.EventByUUID(ctx, r.PathValue("uuid"))
	if err != nil || e.URI == "" {
		return errNotFound()
	}
	id, err := participationIdentity(r)
	if err != nil {
		return err
	}
	organizer, err := a.organizerOf(ctx, e)
	if err != nil {
		return err
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		p, err := a.store.ParticipationOfTx(ctx, tx, e.ID, id.ID)
		if err != nil {
			return err
		}
		if p.State == store.ParticipationRejected || p.State == store.ParticipationCancelled {
			return nil
		}
		p.State = store.ParticipationCancelled
		if err := a.store.UpdateParticipationTx(ctx, tx, p); err != nil {
			return err
		}
		leaveID := a.newActivityURI()
		leave := ap.NewLeave(leaveID, a.actorURI(id), e.URI, []string{organizer.URI})
		return a.enqueueActivity(ctx, tx, id, leaveID, leave, inboxOf(organizer), time.Time{})
	})
	if errors.Is(err, store.ErrNotFound) {
		return a.redirect(w, r, "/events/"+e.UUID, "")
	}
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/events/"+e.UUID, a.printer(r).T("%s is no longer going to this event.", id.Handle()))
}

// remoteJoinComponent is the join block of a remote event's page, for
// logged-in people (nil for visitors: they take part on the origin).
func (a *App) remoteJoinComponent(r *http.Request, e *store.Event) templ.Component {
	ctx := r.Context()
	rs := requestStateFrom(ctx)
	if rs == nil || rs.Account == nil {
		return nil
	}
	organizer, err := a.organizerOf(ctx, e)
	if err != nil || organizer.IsLocal() || organizer.InboxURL == "" {
		return nil
	}
	remote, err := a.store.RemoteEventByID(ctx, e.ID)
	if err != nil {
		return nil
	}
	b := views.RemoteJoinBox{Event: e, Origin: organizer.Domain, Identity: rs.Identity}
	if reason := remoteJoinClosedReason(a.now(), e, remote); reason != nil {
		b.Closed = a.printer(r).T(reason.message)
	}
	for _, id := range rs.Identities {
		ip := views.IdentityParticipation{Identity: id}
		if p, err := a.store.ParticipationOf(ctx, e.ID, id.ID); err == nil {
			ip.State = p.State
			if b.Identity != nil && id.ID == b.Identity.ID && ip.Active() {
				b.Identity = nil // already in: the state and Leave say it all
			}
		}
		b.Mine = append(b.Mine, ip)
	}
	return views.RemoteJoinBlock(a.page(r, ""), b)
}
