package app

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"

	"github.com/a-h/templ"
)

// SettingAnonymousParticipation is the instance-wide switch for joining
// events without an account ("on" or "off"); each event has its own too.
const SettingAnonymousParticipation = "participation.anonymous"

func init() { settingDefaults[SettingAnonymousParticipation] = "on" }

// How long an emailed confirmation link works, and the limits on joins
// without an account: per address, and per event (which stops one event
// being used to mail-bomb strangers).
const (
	confirmLinkTTL     = 72 * time.Hour
	anonJoinIPEvery    = 2 * time.Minute
	anonJoinIPBurst    = 5
	anonJoinEventEvery = 10 * time.Second
	anonJoinEventBurst = 60
	maxParticipantName = 100
	maxParticipantText = 2000
	maxOrganiserText   = 5000
)

// participationRefusal is a join refused for a reason the visitor should
// read: a closed event, no place left, not invited.
type participationRefusal struct{ message string }

func (e *participationRefusal) Error() string { return e.message }

var (
	errEventFull       = &participationRefusal{"Sorry, this event is full: there is no place left."}
	errEventCancelled  = &participationRefusal{"This event is cancelled, so it takes no new participants."}
	errEventOver       = &participationRefusal{"This event is over, so it takes no new participants."}
	errEventExternal   = &participationRefusal{"This event takes registrations on another site."}
	errNotInvited      = &participationRefusal{"This event is by invitation only, and this identity is not invited."}
	errDeclined        = &participationRefusal{"The organisers declined this participation."}
	errAnonymousClosed = &participationRefusal{"This event cannot be joined without an account."}
)

// joinClosedReason says why nobody can join the event now, or "".
func (a *App) joinClosedReason(e *store.Event) *participationRefusal {
	switch {
	case e.Status == store.StatusCancelled:
		return errEventCancelled
	case !e.EndsAt.After(a.now()):
		return errEventOver
	case e.JoinMode == store.JoinExternal:
		return errEventExternal
	}
	return nil
}

// eventVisibleTo tells whether the person asking may see the event at all:
// published public and unlisted events are for anyone with the link;
// drafts, scheduled and private ones for their organisers only.
func (a *App) eventVisibleTo(r *http.Request, e *store.Event) bool {
	if e.URI != "" {
		return false // remote events are joined on their own instance (for now)
	}
	if !e.Draft && e.PublishedAt != nil && !e.PublishedAt.After(a.now()) && e.Visibility != store.VisibilityPrivate {
		return true
	}
	return a.organises(r, e)
}

// organises tells whether the logged-in account owns the event's organiser.
func (a *App) organises(r *http.Request, e *store.Event) bool {
	rs := requestStateFrom(r.Context())
	if rs == nil || rs.Account == nil {
		return false
	}
	for _, id := range rs.Identities {
		if id.ID == e.OrganizerID {
			return true
		}
	}
	return false
}

// seesPrivateDetails tells whether the visitor may read what an event
// keeps for those it let in (its online address, its pad, video room and
// stream): its organisers, and people one of whose identities was
// accepted. owner is what eventForVisitor said.
func (a *App) seesPrivateDetails(r *http.Request, e *store.Event, owner bool) bool {
	if !e.KeepsDetailsPrivate() || owner || a.organises(r, e) {
		return true
	}
	rs := requestStateFrom(r.Context())
	if rs == nil || rs.Account == nil {
		return false
	}
	for _, id := range rs.Identities {
		p, err := a.store.ParticipationOf(r.Context(), e.ID, id.ID)
		if err == nil && p.State == store.ParticipationConfirmed {
			return true
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			a.log.Warn("participation", "event", e.UUID, "err", err)
		}
	}
	return false
}

// anonymousOffReason says why a visitor cannot join this event without an
// account, or "" when they can.
func (a *App) anonymousOffReason(ctx context.Context, l *i18n.Printer, e *store.Event) string {
	switch {
	case e.JoinMode == store.JoinInvite || e.JoinMode == store.JoinExternal:
		return l.T("Joining without an account is not possible for this event.")
	case e.Visibility == store.VisibilityPrivate:
		return l.T("Joining without an account is not possible for this event.")
	case !e.AnonymousParticipation:
		return l.T("The organisers ask participants to join with an account.")
	case a.setting(ctx, SettingAnonymousParticipation) != "on":
		return l.T("This instance does not allow joining events without an account.")
	case !a.MailEnabled():
		return l.T("Joining without an account is off: this instance cannot send email yet, and a confirmation email is needed. Log in to join with your identity.")
	}
	return ""
}

// loadJoinableEvent reads the event of the URL and checks the visitor may
// see it.
func (a *App) loadVisibleEvent(r *http.Request) (*store.Event, error) {
	e, err := a.store.EventByUUID(r.Context(), r.PathValue("uuid"))
	if err != nil {
		return nil, err
	}
	if !a.eventVisibleTo(r, e) {
		return nil, errNotFound()
	}
	return e, nil
}

// participationComponent is the "I'm coming" block of an event page for the
// person asking; the event page places it.
// e was read in this request, with its count of participants (Going).
func (a *App) participationComponent(r *http.Request, p views.Page, e *store.Event) templ.Component {
	b, err := a.participationStateCounted(r, e, e.Going)
	if err != nil {
		a.log.Error("participation block", "event", e.UUID, "err", err)
		return nil
	}
	return views.ParticipationBlock(p, b)
}

// participationState gathers what the participation block shows.
func (a *App) participationState(r *http.Request, e *store.Event) (views.ParticipationBox, error) {
	n, err := a.store.ConfirmedCount(r.Context(), e.ID)
	if err != nil {
		return views.ParticipationBox{}, err
	}
	return a.participationStateCounted(r, e, n)
}

// participationStateCounted is participationState when the count of
// confirmed participants n is known already (read with the event).
func (a *App) participationStateCounted(r *http.Request, e *store.Event, n int) (views.ParticipationBox, error) {
	ctx := r.Context()
	l := a.printer(r)
	b := views.ParticipationBox{Event: e, Confirmed: n, Organiser: a.organises(r, e)}
	if e.Capacity > 0 {
		b.Remaining = max(e.Capacity-n, 0)
	}
	if reason := a.joinClosedReason(e); reason != nil && reason != errEventExternal {
		b.Closed = l.T(reason.message)
	} else if b.Full() {
		b.Closed = l.T(errEventFull.message)
	}
	if rs := requestStateFrom(ctx); rs != nil && rs.Account != nil {
		b.LoggedIn = true
		for _, id := range rs.Identities {
			ip := views.IdentityParticipation{Identity: id}
			p, err := a.store.ParticipationOf(ctx, e.ID, id.ID)
			if err == nil {
				ip.State = p.State
			} else if !errors.Is(err, store.ErrNotFound) {
				return b, err
			}
			b.Mine = append(b.Mine, ip)
		}
	}
	if b.AnonymousOff = a.anonymousOffReason(ctx, l, e); b.AnonymousOff == "" {
		b.AnonymousOpen = true
	}
	return b, nil
}

// participationIdentity reads the identity a form acts as, which must be
// one of the logged-in account's.
func participationIdentity(r *http.Request) (*store.Actor, error) {
	rs := requestStateFrom(r.Context())
	if rs == nil || rs.Account == nil {
		return nil, errForbidden("Log in to do this.")
	}
	id, _ := strconv.ParseInt(r.PostFormValue("identity"), 10, 64)
	if id == 0 && rs.Identity != nil {
		return rs.Identity, nil
	}
	for i := range rs.Identities {
		if rs.Identities[i].ID == id {
			return &rs.Identities[i], nil
		}
	}
	return nil, errBadRequest("Choose one of your identities.")
}

// refusalPage answers a refused participation with its reason and the
// way back to the event.
func (a *App) refusalPage(w http.ResponseWriter, r *http.Request, e *store.Event, status int, message string) error {
	p := a.page(r, a.printer(r).T("Participation"))
	p.NoIndex = true
	return a.render(w, r, status, views.ParticipationNotice(p, e, p.T("Participation"), p.T(message)))
}

// joinEvent: a logged-in person joins with one of their identities.
func (a *App) joinEvent(w http.ResponseWriter, r *http.Request) error {
	e, err := a.loadVisibleEvent(r)
	if err != nil {
		return err
	}
	id, err := participationIdentity(r)
	if err != nil {
		return err
	}
	l := a.printer(r)
	message := strings.TrimSpace(r.PostFormValue("message"))
	if msg := validText(l, message, maxParticipantText, true); msg != "" {
		return errBadRequest(msg)
	}
	state, err := a.joinAsIdentity(r.Context(), e, id, message)
	var refusal *participationRefusal
	if errors.As(err, &refusal) {
		return a.refusalPage(w, r, e, http.StatusConflict, refusal.message)
	}
	if err != nil {
		return err
	}
	flash := l.T("You are going to this event as %s.", id.Handle())
	if state == store.ParticipationPending {
		flash = l.T("Your request to join was sent to the organisers as %s. You will see their answer on My events.", id.Handle())
	}
	return a.redirect(w, r, "/events/"+e.UUID, flash)
}

// joinAsIdentity records an identity's participation: confirmed at once
// (free mode, or invited), or pending the organisers' approval. The count
// of confirmed participants and the write happen in one immediate
// transaction, so two people racing for the last place cannot both get it.
func (a *App) joinAsIdentity(ctx context.Context, e *store.Event, id *store.Actor, message string) (string, error) {
	var state string
	err := a.store.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		state, _, err = a.joinAsIdentityTx(ctx, tx, e, id, message)
		return err
	})
	return state, err
}

// joinAsIdentityTx is joinAsIdentity inside tx, for callers that write
// more in the same transaction (a federated Join and its answer); it
// returns the participation too. A refusal is returned before any write.
func (a *App) joinAsIdentityTx(ctx context.Context, tx *sql.Tx, e *store.Event, id *store.Actor, message string) (string, *store.Participation, error) {
	if reason := a.joinClosedReason(e); reason != nil {
		return "", nil, reason
	}
	p, err := a.store.ParticipationOfTx(ctx, tx, e.ID, id.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", nil, err
	}
	if p != nil {
		switch p.State {
		case store.ParticipationConfirmed, store.ParticipationPending:
			return p.State, p, nil // already in: joining twice changes nothing
		case store.ParticipationRejected:
			return "", nil, errDeclined
		}
	}
	invited := p != nil && p.State == store.ParticipationInvited
	if e.JoinMode == store.JoinInvite && !invited {
		return "", nil, errNotInvited
	}
	state := store.ParticipationConfirmed
	if e.JoinMode == store.JoinApproval && !invited {
		state = store.ParticipationPending
	}
	if err := a.checkCapacityTx(ctx, tx, e); err != nil {
		return "", nil, err
	}
	if p == nil {
		p = &store.Participation{EventID: e.ID, ActorID: id.ID, Actor: id, State: state, Message: message}
		return state, p, a.store.InsertParticipationTx(ctx, tx, p)
	}
	p.State, p.Message = state, message
	return state, p, a.store.UpdateParticipationTx(ctx, tx, p)
}

// checkCapacityTx refuses when the event has no place left. It must run in
// the transaction that then adds the participant.
func (a *App) checkCapacityTx(ctx context.Context, tx *sql.Tx, e *store.Event) error {
	if e.Capacity <= 0 {
		return nil
	}
	n, err := a.store.ConfirmedCountTx(ctx, tx, e.ID)
	if err != nil {
		return err
	}
	if n >= e.Capacity {
		return errEventFull
	}
	return nil
}

// leaveEvent: an identity stops participating.
func (a *App) leaveEvent(w http.ResponseWriter, r *http.Request) error {
	e, err := a.loadVisibleEvent(r)
	if err != nil {
		return err
	}
	id, err := participationIdentity(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		p, err := a.store.ParticipationOfTx(ctx, tx, e.ID, id.ID)
		if err != nil {
			return err
		}
		if p.State == store.ParticipationRejected || p.State == store.ParticipationCancelled {
			return nil
		}
		p.State = store.ParticipationCancelled
		return a.store.UpdateParticipationTx(ctx, tx, p)
	})
	if errors.Is(err, store.ErrNotFound) {
		return a.redirect(w, r, "/events/"+e.UUID, "")
	}
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/events/"+e.UUID, a.printer(r).T("%s is no longer going to this event.", id.Handle()))
}

// showJoinForm is the join-without-account form on its own page: where
// the event page's form comes back with its errors, and a page to link to.
func (a *App) showJoinForm(w http.ResponseWriter, r *http.Request) error {
	e, err := a.loadVisibleEvent(r)
	if err != nil {
		return err
	}
	b, err := a.participationState(r, e)
	if err != nil {
		return err
	}
	return a.renderJoinPage(w, r, http.StatusOK, b)
}

func (a *App) renderJoinPage(w http.ResponseWriter, r *http.Request, status int, b views.ParticipationBox) error {
	p := a.page(r, a.printer(r).T("Join “%s”", b.Event.Title))
	p.NoIndex = true
	return a.render(w, r, status, views.JoinPage(p, b))
}

// joinWithoutAccount: a visitor gives a name and an email; a confirmation
// link is emailed and only a confirmed participation counts. The answer
// is the same whether or not the email was already registered.
func (a *App) joinWithoutAccount(w http.ResponseWriter, r *http.Request) error {
	e, err := a.loadVisibleEvent(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	b, err := a.participationState(r, e)
	if err != nil {
		return err
	}
	if reason := a.joinClosedReason(e); reason != nil {
		return a.refusalPage(w, r, e, http.StatusConflict, reason.message)
	}
	if !b.AnonymousOpen {
		return a.refusalPage(w, r, e, http.StatusForbidden, b.AnonymousOff)
	}
	f := views.AnonymousJoinForm{
		Name:      cleanSpace(r.PostFormValue("name")),
		Anonymous: r.PostFormValue("anonymous") != "",
		Email:     strings.TrimSpace(r.PostFormValue("email")),
		Message:   strings.TrimSpace(r.PostFormValue("message")),
	}
	errs := views.FieldErrors{}
	if f.Name == "" && !f.Anonymous {
		errs["name"] = l.T("Enter your name, or tick “stay anonymous”.")
	} else if msg := validText(l, f.Name, maxParticipantName, false); msg != "" {
		errs["name"] = msg
	}
	if msg := validEmail(l, f.Email); msg != "" {
		errs["email"] = msg
	}
	if msg := validText(l, f.Message, maxParticipantText, true); msg != "" {
		errs["message"] = msg
	}
	if len(errs) > 0 {
		b.Form, b.Errs = f, errs
		return a.renderJoinPage(w, r, http.StatusUnprocessableEntity, b)
	}
	// Only well-formed requests count against the limits: each one sends
	// an email, and a person fixing a typo should not be locked out.
	if !a.limits.allow("join-anon-ip:"+clientIP(r), anonJoinIPEvery, anonJoinIPBurst) ||
		!a.limits.allow("join-anon-event:"+e.UUID, anonJoinEventEvery, anonJoinEventBurst) {
		return &publicError{Status: http.StatusTooManyRequests, Message: "Too many attempts to join from here. Please wait a few minutes and try again."}
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error { return a.joinAnonymouslyTx(ctx, tx, e, f) })
	var refusal *participationRefusal
	if errors.As(err, &refusal) {
		return a.refusalPage(w, r, e, http.StatusConflict, refusal.message)
	}
	if err != nil {
		return err
	}
	a.mailQueued()
	p := a.page(r, l.T("Check your mailbox"))
	p.NoIndex = true
	return a.render(w, r, http.StatusOK, views.ParticipationNotice(p, e, l.T("Check your mailbox"),
		l.T("We sent a message to %s. Follow the link in it to confirm your participation; until then it does not count. The message also has a link to cancel at any time.", f.Email)))
}

// joinAnonymouslyTx records or refreshes a visitor's participation and
// queues the email that goes with it, in the caller's transaction.
func (a *App) joinAnonymouslyTx(ctx context.Context, tx *sql.Tx, e *store.Event, f views.AnonymousJoinForm) error {
	if err := a.checkCapacityTx(ctx, tx, e); err != nil {
		return err
	}
	p, err := a.store.ParticipationByEmailTx(ctx, tx, e.ID, f.Email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if p != nil && (p.State == store.ParticipationConfirmed || p.State == store.ParticipationPending || p.State == store.ParticipationRejected) {
		// Already registered: tell the mailbox's owner where they stand,
		// and tell the visitor nothing more. Nothing changes: anyone may
		// type this address, and a fresh cancel link would void the one
		// the participant keeps in their first message.
		return a.queueMail(ctx, tx, p.Email, a.alreadyRegisteredMail(ctx, e, p))
	}
	cancelSecret := store.NewSecret()
	confirmSecret := store.NewSecret()
	fresh := &store.Participation{
		EventID: e.ID, Name: f.Name, Anonymous: f.Anonymous, Email: f.Email, State: store.ParticipationUnconfirmed, Message: f.Message,
		ConfirmTokenHash: store.HashSecret(confirmSecret), ConfirmExpiresAt: a.now().Add(confirmLinkTTL),
		CancelTokenHash: store.HashSecret(cancelSecret),
	}
	if p == nil {
		if err := a.store.InsertParticipationTx(ctx, tx, fresh); err != nil {
			return err
		}
	} else {
		fresh.ID = p.ID
		fresh.Email = p.Email
		if err := a.store.UpdateParticipationTx(ctx, tx, fresh); err != nil {
			return err
		}
	}
	return a.queueMail(ctx, tx, f.Email, a.confirmationMail(ctx, e, fresh, confirmSecret, cancelSecret))
}

func (a *App) confirmationMail(ctx context.Context, e *store.Event, p *store.Participation, confirmSecret, cancelSecret string) views.Mail {
	l := a.mailPrinter(ctx, e)
	greeting := l.T("Hello,")
	if p.Name != "" {
		greeting = l.T("Hello %s,", p.Name)
	}
	paras := []string{l.T("Someone, probably you, asked to join “%s” with this email address. Confirm it with the button below: until then your participation does not count.", e.Title)}
	if e.JoinMode == store.JoinApproval {
		paras = append(paras, l.T("The organisers approve each participant: once you confirm, they will decide and we will tell you by email."))
	}
	paras = append(paras, l.T("If it was not you, ignore this message: nothing happens without the link. The link works for %d hours.", int(confirmLinkTTL/time.Hour)))
	return views.Mail{
		Lang:       l.Lang,
		Subject:    l.T("Confirm your participation in “%s”", e.Title),
		Greeting:   greeting,
		Paragraphs: paras,
		Event:      a.mailEvent(l, e),
		Action:     views.MailLink{Label: l.T("Confirm my participation"), URL: a.URL("/participations/confirm/" + confirmSecret)},
		Links:      []views.MailLink{{Label: l.T("Changed your mind? Cancel at any time:"), URL: a.URL("/participations/cancel/" + cancelSecret)}},
	}
}

func (a *App) alreadyRegisteredMail(ctx context.Context, e *store.Event, p *store.Participation) views.Mail {
	l := a.mailPrinter(ctx, e)
	m := views.Mail{
		Lang:     l.Lang,
		Subject:  l.T("Your participation in “%s”", e.Title),
		Greeting: l.T("Hello,"),
		Event:    a.mailEvent(l, e),
	}
	switch p.State {
	case store.ParticipationConfirmed:
		m.Paragraphs = []string{l.T("Someone, probably you, asked again to join “%s” with this email address. You are already registered: there is nothing more to do.", e.Title)}
	case store.ParticipationPending:
		m.Paragraphs = []string{l.T("Someone, probably you, asked again to join “%s” with this email address. Your request is already waiting for the organisers' answer.", e.Title)}
	default:
		m.Paragraphs = []string{l.T("Someone, probably you, asked again to join “%s” with this email address. The organisers declined this participation earlier.", e.Title)}
	}
	if p.State != store.ParticipationRejected {
		m.Paragraphs = append(m.Paragraphs, l.T("To cancel, use the link in the message you received when you joined: it still works."))
	}
	return m
}

// linkProblem is what an emailed link that cannot be used gets: a clear
// page, and nothing changed.
func (a *App) linkProblem(w http.ResponseWriter, r *http.Request, e *store.Event, status int, message string) error {
	l := a.printer(r)
	p := a.page(r, l.T("This link cannot be used"))
	p.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	return a.render(w, r, status, views.ParticipationNotice(p, e, l.T("This link cannot be used"), l.T(message)))
}

const badLinkMessage = "This link is not valid: it may be incomplete (check that you copied all of it) or belong to a participation that no longer exists."

// showConfirmParticipation shows what the confirmation link will do; the
// button posts. Mail scanners that open links change nothing.
func (a *App) showConfirmParticipation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := a.store.ParticipationByConfirmSecret(ctx, r.PathValue("token"))
	if errors.Is(err, store.ErrNotFound) {
		return a.linkProblem(w, r, nil, http.StatusNotFound, badLinkMessage)
	}
	if err != nil {
		return err
	}
	e, err := a.store.EventByID(ctx, p.EventID)
	if err != nil {
		return err
	}
	if msg := a.confirmProblem(e, p); msg != "" {
		return a.linkProblem(w, r, e, http.StatusGone, msg)
	}
	l := a.printer(r)
	pg := a.page(r, l.T("Confirm your participation"))
	pg.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	return a.render(w, r, http.StatusOK, views.LinkActionPage(pg, views.LinkAction{
		Event: e, Heading: l.T("Confirm your participation"),
		Text:   l.T("You are about to confirm your participation in “%s”.", e.Title),
		Button: l.T("Confirm my participation"),
	}))
}

// confirmProblem says why a confirmation link cannot be used now, or "".
func (a *App) confirmProblem(e *store.Event, p *store.Participation) string {
	switch {
	case p.State == store.ParticipationConfirmed || p.State == store.ParticipationPending:
		return "This link was already used: your participation is confirmed."
	case p.State != store.ParticipationUnconfirmed:
		return "This link was already used or is no longer valid: nothing was changed. To join again, use the form on the event page."
	case !p.ConfirmExpiresAt.After(a.now()):
		return "This confirmation link has expired: nothing was changed. Join again from the event page to get a new one."
	case e.Status == store.StatusCancelled:
		return errEventCancelled.message
	case !e.EndsAt.After(a.now()):
		return errEventOver.message
	}
	return ""
}

// confirmParticipation follows a confirmation link: the participation
// counts from now (or waits for the organisers in approval mode).
func (a *App) confirmParticipation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	secret := r.PathValue("token")
	var e *store.Event
	var problem string
	var state string
	err := a.store.Tx(ctx, func(tx *sql.Tx) error {
		p, err := a.store.ParticipationByConfirmSecretTx(ctx, tx, secret)
		if err != nil {
			return err
		}
		e, err = a.store.EventByID(ctx, p.EventID)
		if err != nil {
			return err
		}
		if problem = a.confirmProblem(e, p); problem != "" {
			return nil
		}
		state = store.ParticipationConfirmed
		if e.JoinMode == store.JoinApproval {
			state = store.ParticipationPending
		} else if err := a.checkCapacityTx(ctx, tx, e); err != nil {
			return err
		}
		p.State = state
		return a.store.UpdateParticipationTx(ctx, tx, p)
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return a.linkProblem(w, r, nil, http.StatusNotFound, badLinkMessage)
	case errors.Is(err, errEventFull):
		return a.linkProblem(w, r, e, http.StatusConflict, "Sorry, the event became full before you confirmed, so your participation could not be confirmed. Nothing was changed: if a place frees up, this link will work again.")
	case err != nil:
		return err
	case problem != "":
		return a.linkProblem(w, r, e, http.StatusGone, problem)
	}
	l := a.printer(r)
	msg := l.T("Your participation is confirmed. See you there! To cancel, use the other link in the email.")
	if state == store.ParticipationPending {
		msg = l.T("Your email address is confirmed. The organisers approve each participant: we will tell you their answer by email.")
	}
	pg := a.page(r, l.T("Participation confirmed"))
	pg.NoIndex = true
	return a.render(w, r, http.StatusOK, views.ParticipationNotice(pg, e, l.T("Participation confirmed"), msg))
}

// showCancelParticipation shows what the cancel link will do.
func (a *App) showCancelParticipation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := a.store.ParticipationByCancelSecret(ctx, r.PathValue("token"))
	if errors.Is(err, store.ErrNotFound) {
		return a.linkProblem(w, r, nil, http.StatusNotFound, badLinkMessage)
	}
	if err != nil {
		return err
	}
	e, err := a.store.EventByID(ctx, p.EventID)
	if err != nil {
		return err
	}
	if msg := a.cancelProblem(e, p); msg != "" {
		return a.linkProblem(w, r, e, http.StatusGone, msg)
	}
	l := a.printer(r)
	pg := a.page(r, l.T("Cancel your participation"))
	pg.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	return a.render(w, r, http.StatusOK, views.LinkActionPage(pg, views.LinkAction{
		Event: e, Heading: l.T("Cancel your participation"),
		Text:   l.T("You are about to cancel your participation in “%s”.", e.Title),
		Button: l.T("Cancel my participation"), Danger: true,
	}))
}

func (a *App) cancelProblem(e *store.Event, p *store.Participation) string {
	switch {
	case p.State == store.ParticipationCancelled:
		return "This participation is already cancelled: nothing was changed."
	case p.State == store.ParticipationRejected:
		return "The organisers declined this participation: there is nothing to cancel."
	case !e.EndsAt.After(a.now()):
		return "This event is over: there is nothing to cancel."
	}
	return ""
}

// cancelParticipation follows a cancel link.
func (a *App) cancelParticipation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var e *store.Event
	var problem string
	err := a.store.Tx(ctx, func(tx *sql.Tx) error {
		p, err := a.store.ParticipationByCancelSecretTx(ctx, tx, r.PathValue("token"))
		if err != nil {
			return err
		}
		e, err = a.store.EventByID(ctx, p.EventID)
		if err != nil {
			return err
		}
		if problem = a.cancelProblem(e, p); problem != "" {
			return nil
		}
		p.State = store.ParticipationCancelled
		return a.store.UpdateParticipationTx(ctx, tx, p)
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return a.linkProblem(w, r, nil, http.StatusNotFound, badLinkMessage)
	case err != nil:
		return err
	case problem != "":
		return a.linkProblem(w, r, e, http.StatusGone, problem)
	}
	l := a.printer(r)
	pg := a.page(r, l.T("Participation cancelled"))
	pg.NoIndex = true
	return a.render(w, r, http.StatusOK, views.ParticipationNotice(pg, e, l.T("Participation cancelled"),
		l.T("Your participation is cancelled. Thank you for letting the organisers know.")))
}
