package app

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"convene/app/i18n"
	"convene/app/store"
	"convene/views"
)

// loadOrganisedEvent reads the event of the URL and checks that the
// logged-in account organises it. Others get a 404, not a hint that the
// page exists.
func (a *App) loadOrganisedEvent(r *http.Request) (*store.Event, error) {
	if currentAccount(r) == nil {
		return nil, errForbidden("Log in to do this.")
	}
	e, err := a.store.EventByUUID(r.Context(), r.PathValue("uuid"))
	if err != nil {
		return nil, err
	}
	if !a.organises(r, e) {
		return nil, errNotFound()
	}
	return e, nil
}

func (a *App) participantsView(ctx context.Context, e *store.Event) (views.ParticipantsView, error) {
	ps, err := a.store.ListParticipations(ctx, e.ID)
	if err != nil {
		return views.ParticipantsView{}, err
	}
	v := views.ParticipantsView{Event: e}
	for _, p := range ps {
		if p.State == store.ParticipationUnconfirmed {
			continue // not a participant until the email is confirmed
		}
		v.Participations = append(v.Participations, p)
		switch p.State {
		case store.ParticipationConfirmed:
			v.Confirmed++
		case store.ParticipationPending:
			v.Pending++
		}
	}
	return v, nil
}

func (a *App) renderParticipants(w http.ResponseWriter, r *http.Request, status int, v views.ParticipantsView) error {
	p := a.page(r, a.printer(r).T("Participants of “%s”", v.Event.Title))
	p.NoIndex = true
	w.Header().Set("Cache-Control", "no-store")
	return a.render(w, r, status, views.ParticipantsPage(p, v))
}

// showParticipants is the organisers' list: everyone with their state,
// the pending ones to accept or reject, and the tools to invite, export
// and write to participants.
func (a *App) showParticipants(w http.ResponseWriter, r *http.Request) error {
	e, err := a.loadOrganisedEvent(r)
	if err != nil {
		return err
	}
	v, err := a.participantsView(r.Context(), e)
	if err != nil {
		return err
	}
	return a.renderParticipants(w, r, http.StatusOK, v)
}

// decideParticipation accepts or rejects a participant.
func (a *App) decideParticipation(w http.ResponseWriter, r *http.Request) error {
	e, err := a.loadOrganisedEvent(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	accept := r.PathValue("decision") == "accept"
	if !accept && r.PathValue("decision") != "reject" {
		return errNotFound()
	}
	var who string
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		p, err := a.store.ParticipationByIDTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if p.EventID != e.ID {
			return store.ErrNotFound
		}
		who = participantName(l.T, p)
		switch {
		case accept && p.State == store.ParticipationConfirmed, !accept && p.State == store.ParticipationRejected:
			return nil // already decided so: a double click changes nothing
		case accept && p.State != store.ParticipationPending && p.State != store.ParticipationRejected:
			return errBadRequest("Only a pending participation can be accepted.")
		case !accept && p.State != store.ParticipationPending && p.State != store.ParticipationConfirmed:
			return errBadRequest("Only a pending or confirmed participation can be rejected.")
		}
		if accept {
			if err := a.checkCapacityTx(ctx, tx, e); err != nil {
				return err
			}
			p.State = store.ParticipationConfirmed
		} else {
			p.State = store.ParticipationRejected
		}
		if err := a.store.UpdateParticipationTx(ctx, tx, p); err != nil {
			return err
		}
		return a.tellDecisionTx(ctx, tx, e, p, accept)
	})
	if errors.Is(err, errEventFull) {
		return a.redirect(w, r, "/events/"+e.UUID+"/participants", l.T("The event is full: free a place (or raise the capacity) before accepting someone else."))
	}
	if err != nil {
		return err
	}
	a.mailQueued()
	flash := l.T("%s is accepted.", who)
	if !accept {
		flash = l.T("%s is declined.", who)
	}
	return a.redirect(w, r, "/events/"+e.UUID+"/participants", flash)
}

// tellDecisionTx lets the participant know: by email for visitors, in the
// app for identities, by federation for remote participants.
func (a *App) tellDecisionTx(ctx context.Context, tx *sql.Tx, e *store.Event, p *store.Participation, accepted bool) error {
	if p.Actor != nil && !p.Actor.IsLocal() {
		return a.tellRemoteParticipantTx(ctx, tx, e, p, accepted) // by Accept or Reject of their Join
	}
	if !p.IsAnonymous() {
		kind := "rejected"
		if accepted {
			kind = "accepted"
		}
		return a.store.AddNotificationTx(ctx, tx, store.Notification{ActorID: p.ActorID, EventID: e.ID, Kind: kind})
	}
	l := a.mailPrinter(ctx, e)
	m := views.Mail{Lang: l.Lang, Greeting: l.T("Hello,"), Event: a.mailEvent(l, e)}
	if p.Name != "" {
		m.Greeting = l.T("Hello %s,", p.Name)
	}
	if accepted {
		m.Subject = l.T("You are in: “%s”", e.Title)
		m.Paragraphs = []string{l.T("The organisers accepted your participation. See you there! To cancel, use the cancel link from the first email.")}
		// A visitor without an account cannot see them on the page: the
		// address and tools kept for participants come with the answer.
		m.Links = privateDetailLinks(l, e)
	} else {
		m.Subject = l.T("Your participation in “%s”", e.Title)
		m.Paragraphs = []string{l.T("Sorry: the organisers could not accept your participation.")}
	}
	return a.queueMail(ctx, tx, p.Email, m)
}

// privateDetailLinks are what an event keeps for accepted participants
// (its online address, pad, video room, stream), as links for an email.
func privateDetailLinks(l *i18n.Printer, e *store.Event) []views.MailLink {
	if !e.KeepsDetailsPrivate() {
		return nil
	}
	var out []views.MailLink
	if e.OnlineURL != "" {
		out = append(out, views.MailLink{Label: l.T("Online:"), URL: e.OnlineURL})
	}
	for _, link := range e.PrivateLinks() {
		out = append(out, views.MailLink{Label: views.LinkKindLabel(l, link.Kind) + ":", URL: link.URL})
	}
	return out
}

// participantName is how organisers see a participant.
func participantName(t func(string, ...any) string, p *store.Participation) string {
	if p.Actor != nil {
		return p.Actor.Name() + " (" + p.Actor.Handle() + ")"
	}
	if p.Name != "" {
		return p.Name
	}
	return t("Anonymous participant")
}

// inviteParticipant lets an organiser of an invite-only (or any) event
// invite a local identity by username.
func (a *App) inviteParticipant(w http.ResponseWriter, r *http.Request) error {
	e, err := a.loadOrganisedEvent(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	name := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(r.PostFormValue("username"))), "@")
	fail := func(msg string) error {
		v, err := a.participantsView(ctx, e)
		if err != nil {
			return err
		}
		v.InviteName, v.InviteErrs = r.PostFormValue("username"), views.FieldErrors{"username": msg}
		return a.renderParticipants(w, r, http.StatusUnprocessableEntity, v)
	}
	if msg := validUsername(l, name); msg != "" {
		return fail(msg)
	}
	actor, err := a.store.LocalActorByUsername(ctx, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && actor.AccountID == 0) {
		return fail(l.T("There is no identity @%s on this instance.", name))
	}
	if err != nil {
		return err
	}
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		p, err := a.store.ParticipationOfTx(ctx, tx, e.ID, actor.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if err := a.store.InsertParticipationTx(ctx, tx, &store.Participation{EventID: e.ID, ActorID: actor.ID, State: store.ParticipationInvited}); err != nil {
				return err
			}
		case err != nil:
			return err
		case p.State == store.ParticipationConfirmed || p.State == store.ParticipationPending || p.State == store.ParticipationInvited:
			return nil
		default:
			p.State = store.ParticipationInvited
			if err := a.store.UpdateParticipationTx(ctx, tx, p); err != nil {
				return err
			}
		}
		return a.store.AddNotificationTx(ctx, tx, store.Notification{ActorID: actor.ID, EventID: e.ID, Kind: "invited"})
	})
	if err != nil {
		return err
	}
	return a.redirect(w, r, "/events/"+e.UUID+"/participants", l.T("%s is invited: they will see the invitation on My events and on the event page.", actor.Handle()))
}

// messageParticipants sends the organisers' message to every confirmed
// participant: by email to visitors, in the app to identities.
func (a *App) messageParticipants(w http.ResponseWriter, r *http.Request) error {
	e, err := a.loadOrganisedEvent(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	l := a.printer(r)
	text := strings.TrimSpace(r.PostFormValue("message"))
	msg := validText(l, text, maxOrganiserText, true)
	if text == "" {
		msg = l.T("Write the message to send.")
	}
	if msg != "" {
		v, err := a.participantsView(ctx, e)
		if err != nil {
			return err
		}
		v.MessageText, v.MessageErrs = text, views.FieldErrors{"message": msg}
		return a.renderParticipants(w, r, http.StatusUnprocessableEntity, v)
	}
	if !a.limits.allow("message-participants:"+e.UUID, 10*time.Minute, 5) {
		return &publicError{Status: http.StatusTooManyRequests, Message: "You sent several messages to the participants in a short time. Please wait a few minutes."}
	}
	var sent int
	err = a.store.Tx(ctx, func(tx *sql.Tx) error {
		ps, err := a.store.ListParticipationsTx(ctx, tx, e.ID, store.ParticipationConfirmed)
		if err != nil {
			return err
		}
		ml := a.mailPrinter(ctx, e)
		for _, p := range ps {
			if p.IsAnonymous() {
				m := views.Mail{
					Lang: ml.Lang, Subject: ml.T("A message about “%s”", e.Title),
					Greeting:   ml.T("Hello,"),
					Paragraphs: []string{ml.T("The organisers of “%s” wrote to everyone taking part:", e.Title)},
					Quote:      text, Event: a.mailEvent(ml, e),
				}
				if p.Name != "" {
					m.Greeting = ml.T("Hello %s,", p.Name)
				}
				if err := a.queueMail(ctx, tx, p.Email, m); err != nil {
					return err
				}
			} else if err := a.store.AddNotificationTx(ctx, tx, store.Notification{ActorID: p.ActorID, EventID: e.ID, Kind: "message", Body: text}); err != nil {
				return err
			}
			sent++
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.mailQueued()
	return a.redirect(w, r, "/events/"+e.UUID+"/participants", l.N(sent, "Your message goes to %d participant.", "Your message goes to %d participants."))
}

// exportParticipants writes the list as CSV for a spreadsheet: UTF-8 with
// a byte-order mark (without it LibreOffice and Excel guess another
// encoding), a header row, RFC 4180 quoting, and cells that a spreadsheet
// would run as a formula defused.
func (a *App) exportParticipants(w http.ResponseWriter, r *http.Request) error {
	e, err := a.loadOrganisedEvent(r)
	if err != nil {
		return err
	}
	v, err := a.participantsView(r.Context(), e)
	if err != nil {
		return err
	}
	l := a.printer(r)
	loc := e.Location()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="participants-%s.csv"`, e.UUID))
	w.Header().Set("Cache-Control", "no-store")
	if _, err := w.Write([]byte("\uFEFF")); err != nil {
		return nil
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	_ = cw.Write([]string{l.T("Name"), l.T("Identity"), l.T("Email"), l.T("State"), l.T("Message"), l.T("Since")})
	for _, p := range v.Participations {
		name, handle := p.Name, ""
		if p.Actor != nil {
			name, handle = p.Actor.Name(), p.Actor.Handle()
		} else if name == "" {
			name = l.T("Anonymous participant")
		}
		row := []string{name, handle, p.Email, views.ParticipationStateLabel(l, p.State), p.Message,
			p.CreatedAt.In(loc).Format("2006-01-02 15:04")}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		_ = cw.Write(row)
	}
	cw.Flush()
	return nil
}

// csvSafe keeps a spreadsheet from reading a cell as a formula: a cell
// starting with = + - @ (or a tab or carriage return, which some strip
// first) gets a leading apostrophe.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
