package views

import (
	"convene/app/store"
	"time"
)

// ParticipationBox is the "I'm coming" block of an event page: counts,
// the visitor's own participations and the ways to join.
type ParticipationBox struct {
	Event     *store.Event
	Confirmed int
	Remaining int // places left; meaningful only when Event.Capacity > 0
	// Closed says why nobody can join now (cancelled, over, full), already
	// translated; empty while joining is open.
	Closed    string
	Organiser bool // the visitor organises this event
	LoggedIn  bool
	Mine      []IdentityParticipation // one line per identity of the visitor
	// AnonymousOpen tells whether a visitor may join with a name and an
	// email; AnonymousOff says why not when that is worth saying.
	AnonymousOpen bool
	AnonymousOff  string
	Form          AnonymousJoinForm
	Errs          FieldErrors
}

// IdentityParticipation is where one of the visitor's identities stands.
type IdentityParticipation struct {
	Identity store.Actor
	State    string // a store.Participation* state, or "" when none
}

// Active tells whether the identity is coming or waiting for an answer.
func (ip IdentityParticipation) Active() bool {
	return ip.State == store.ParticipationConfirmed || ip.State == store.ParticipationPending
}

// CanJoin lists the identities that may still join, given the join mode.
func (b ParticipationBox) CanJoin() []store.Actor {
	var out []store.Actor
	for _, ip := range b.Mine {
		if ip.Active() || ip.State == store.ParticipationRejected {
			continue
		}
		if b.Event.JoinMode == store.JoinInvite && ip.State != store.ParticipationInvited {
			continue
		}
		out = append(out, ip.Identity)
	}
	return out
}

// Full tells whether the event has no place left.
func (b ParticipationBox) Full() bool { return b.Event.Capacity > 0 && b.Remaining <= 0 }

// AnonymousJoinForm is what a visitor without an account typed.
type AnonymousJoinForm struct {
	Name      string
	Anonymous bool // stay anonymous to other visitors
	Email     string
	Message   string
}

// ParticipantsView is the organiser's list of an event's participants.
type ParticipantsView struct {
	Event          *store.Event
	Participations []*store.Participation
	Confirmed      int
	Pending        int
	InviteErrs     FieldErrors
	InviteName     string
	MessageErrs    FieldErrors
	MessageText    string
}

// MyEventsView is the "My events" page.
type MyEventsView struct {
	Identities    []store.Actor
	Filter        int64 // the identity shown, 0 for all
	Groups        []MyEventsGroup
	Notifications []store.Notification
	Now           time.Time // tells a scheduled event from a published one
}

// MyEventsGroup is one identity's part of "My events".
type MyEventsGroup struct {
	Identity   store.Actor
	Going      []store.MyParticipation
	Organising []*store.Event
}

// LinkAction is the page behind an emailed link: what it will do, as a
// button, so that a mail scanner following links changes nothing.
type LinkAction struct {
	Event   *store.Event
	Heading string
	Text    string
	Button  string
	Danger  bool
}
